package executor

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cassmesos/cassmesos/executor/agent"
	"github.com/cassmesos/cassmesos/executor/mesosexec"
	"github.com/cassmesos/cassmesos/internal/cassandrasim"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

var (
	distOnce sync.Once
	distDir  string
	distErr  error
)

// standInDist builds the Cassandra stand-in distribution once per test binary.
func standInDist(t *testing.T) string {
	t.Helper()
	distOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cassmesos-executor-dist-")
		if err != nil {
			distErr = err
			return
		}
		distDir, distErr = cassandrasim.BuildDist(filepath.Join(dir, "apache-cassandra-4.1.5"))
	})
	if distErr != nil {
		t.Fatalf("building the Cassandra stand-in (needs the go tool): %v", distErr)
	}
	return distDir
}

type reports struct {
	mu sync.Mutex
	s  []mesosexec.Status
}

func (r *reports) add(s mesosexec.Status) { r.mu.Lock(); r.s = append(r.s, s); r.mu.Unlock() }

func (r *reports) find(pred func(mesosexec.Status) bool) (mesosexec.Status, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.s {
		if pred(s) {
			return s, true
		}
	}
	return mesosexec.Status{}, false
}

func label(s mesosexec.Status, key string) string {
	for _, l := range s.Labels {
		if l.Key == key {
			return l.GetValue()
		}
	}
	return ""
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNodeAgainstStandIn runs the executor's node (render, supervisor, nodetool, gRPC) against one
// real stand-in node: it starts, reaches NORMAL with a host ID, answers GetNodeStatus, records
// that it bootstrapped, and drains and stops on Kill.
func TestNodeAgainstStandIn(t *testing.T) {
	dist := standInDist(t)
	sandbox := t.TempDir()
	if err := os.Symlink(dist, filepath.Join(sandbox, "apache-cassandra-4.1.5")); err != nil {
		t.Fatal(err)
	}
	for k, v := range cassandrasim.FastKnobs() {
		t.Setenv("CASSANDRA_SIM_"+strings.ToUpper(k), v)
	}
	addr := cassandrasim.LoopbackBlock()(2)
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "demo", Node: "demo-0", ClusterName: "demo", Seeds: []string{addr},
		Address: addr, NumTokens: 4, Datacenter: "dc1", Rack: "r1", HeapMb: 256, HeapNewMb: 64, DataDir: "volume",
		AutoBootstrap: false, AgentPort: 17123, AgentSecret: "sekrit", KillGrace: durationpb.New(5 * time.Second), Seed: true}
	data, err := proto.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &reports{}
	opts := Options{Sandbox: sandbox, HealthInterval: 100 * time.Millisecond, DrainTimeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	start := time.Now()
	task, err := Launch(opts)(context.Background(), mesos.TaskInfo{TaskID: mesos.TaskID{Value: "t1"}, Data: data}, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			task.Kill(context.Background(), time.Second)
		}
	})

	var normal mesosexec.Status
	waitFor(t, "a healthy NORMAL update with a host ID", 60*time.Second, func() bool {
		var ok bool
		normal, ok = rec.find(func(s mesosexec.Status) bool {
			return s.State == mesos.TASK_RUNNING && s.Healthy != nil && *s.Healthy && label(s, "mode") == "NORMAL" && label(s, "host_id") != ""
		})
		return ok
	})
	t.Logf("NORMAL and healthy %v after launch", time.Since(start).Round(time.Millisecond))
	if label(normal, "address") != addr {
		t.Errorf("labels = %v", normal.Labels)
	}
	if _, ok := rec.find(func(s mesosexec.Status) bool { return s.State != mesos.TASK_RUNNING }); ok {
		t.Errorf("unexpected state in %v", rec.s)
	}

	// The rendered configuration and the state file.
	yml, err := os.ReadFile(filepath.Join(sandbox, ConfDirName, "cassandra.yaml"))
	if err != nil || !strings.Contains(string(yml), "listen_address: "+addr) ||
		!strings.Contains(string(yml), filepath.Join(sandbox, "volume", "commitlog")) {
		t.Errorf("cassandra.yaml: %v", err)
	}
	waitFor(t, "the bootstrapped note", 5*time.Second, func() bool {
		st, err := readState(filepath.Join(sandbox, "volume"))
		return err == nil && st.Bootstrapped && st.HostID == label(normal, "host_id")
	})

	// The node agent API answers the daemon, and only the daemon.
	conn, err := grpc.NewClient(addr+":17123", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cli := cassmesosv1.NewNodeAgentServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cli.GetNodeStatus(ctx, &cassmesosv1.GetNodeStatusRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("without the secret: %v", err)
	}
	actx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer sekrit", agent.RingMetadataKey, "demo", agent.NodeMetadataKey, "demo-0")
	ns, err := cli.GetNodeStatus(actx, &cassmesosv1.GetNodeStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if ns.GetMode() != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL || ns.GetHostId() != label(normal, "host_id") ||
		len(ns.GetPeers()) != 1 || ns.GetPeers()[0].GetAddress() != addr || ns.GetPeers()[0].GetLiveness() != cassmesosv1.Liveness_LIVENESS_UP ||
		ns.GetReleaseVersion() == "" {
		t.Errorf("GetNodeStatus = %v", ns)
	}

	// ListKeyspaces: nodetool describecluster through the executor; a keyspace created with the
	// stand-in's cqlsh shows with its replication, the system ones are flagged.
	out, err := exec.CommandContext(ctx, filepath.Join(dist, "bin", "cqlsh"), addr, "-e",
		"CREATE KEYSPACE shop WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}").CombinedOutput()
	if err != nil {
		t.Fatalf("cqlsh: %v\n%s", err, out)
	}
	var shop *cassmesosv1.Keyspace
	waitFor(t, "keyspace shop in ListKeyspaces", 10*time.Second, func() bool {
		resp, err := cli.ListKeyspaces(actx, &cassmesosv1.ListKeyspacesRequest{})
		if err != nil {
			t.Fatalf("ListKeyspaces: %v", err)
		}
		sys := map[string]bool{}
		for _, k := range resp.GetKeyspaces() {
			sys[k.GetName()] = k.GetSystem()
			if k.GetName() == "shop" {
				shop = k
			}
		}
		if !sys["system"] || !sys["system_schema"] || !sys["system_auth"] {
			t.Fatalf("system keyspaces not flagged: %v", resp)
		}
		return shop != nil
	})
	if shop.GetSystem() || shop.GetReplicationClass() != "NetworkTopologyStrategy" || shop.GetReplication()["dc1"] != "1" {
		t.Errorf("shop = %v", shop)
	}
	// With tables: the stand-in's tablestats -F json counts shop's two tables.
	out, err = exec.CommandContext(ctx, filepath.Join(dist, "bin", "cqlsh"), addr, "-e",
		"CREATE TABLE shop.items (id int PRIMARY KEY, v text); CREATE TABLE shop.orders (id int PRIMARY KEY)").CombinedOutput()
	if err != nil {
		t.Fatalf("cqlsh: %v\n%s", err, out)
	}
	waitFor(t, "shop's 2 tables in ListKeyspaces", 10*time.Second, func() bool {
		resp, err := cli.ListKeyspaces(actx, &cassmesosv1.ListKeyspacesRequest{Tables: true})
		if err != nil {
			t.Fatalf("ListKeyspaces with tables: %v", err)
		}
		for _, k := range resp.GetKeyspaces() {
			if k.GetName() == "shop" {
				return k.GetTables() == 2
			}
		}
		return false
	})

	// Kill: drain, SIGTERM, TASK_KILLED.
	killed = true
	final := task.Kill(context.Background(), 0)
	if final.State != mesos.TASK_KILLED {
		t.Fatalf("Kill = %v %q", final.State, final.Message)
	}
	if _, ok := rec.find(func(s mesosexec.Status) bool { return label(s, "mode") == "DRAINED" }); !ok {
		t.Errorf("no DRAINED update before the stop: %v", rec.s)
	}
	if _, err := cli.GetNodeStatus(actx, &cassmesosv1.GetNodeStatusRequest{}); err == nil {
		t.Error("node agent API still answers after Kill")
	}
}
