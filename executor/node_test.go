package executor

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/executor/agent"
	"github.com/cassmesos/cassmesos/executor/mesosexec"
	"github.com/cassmesos/cassmesos/executor/render"
	"github.com/cassmesos/cassmesos/internal/cassandrasim"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestDecodeTaskConfig(t *testing.T) {
	good := &cassmesosv1.NodeTaskConfig{Ring: "r", Address: "10.0.0.1", AgentPort: 9000, AgentSecret: "s", DataDir: "volume"}
	tests := []struct {
		name    string
		mod     func(*cassmesosv1.NodeTaskConfig)
		raw     []byte
		wantErr string
	}{
		{name: "good"},
		{name: "garbage", raw: []byte{0xff, 0xff, 0xff}, wantErr: "not a NodeTaskConfig"},
		{name: "no address", mod: func(c *cassmesosv1.NodeTaskConfig) { c.Address = "" }, wantErr: "address"},
		{name: "host name", mod: func(c *cassmesosv1.NodeTaskConfig) { c.Address = "node1" }, wantErr: "not an IP"},
		{name: "no port", mod: func(c *cassmesosv1.NodeTaskConfig) { c.AgentPort = 0 }, wantErr: "agent_port"},
		{name: "port too big", mod: func(c *cassmesosv1.NodeTaskConfig) { c.AgentPort = 70000 }, wantErr: "agent_port"},
		{name: "no secret", mod: func(c *cassmesosv1.NodeTaskConfig) { c.AgentSecret = "" }, wantErr: "agent_secret"},
		{name: "TLS key without its certificate", mod: func(c *cassmesosv1.NodeTaskConfig) { c.AgentTlsKey = []byte("k") }, wantErr: "all or none"},
		{name: "no data dir", mod: func(c *cassmesosv1.NodeTaskConfig) { c.DataDir = "" }, wantErr: "data_dir"},
		{name: "escaping data dir", mod: func(c *cassmesosv1.NodeTaskConfig) { c.DataDir = "../x" }, wantErr: "data_dir"},
		{name: "owned yaml key", mod: func(c *cassmesosv1.NodeTaskConfig) { c.CassandraYaml = map[string]string{"seed_provider": "x"} }, wantErr: "owned"},
		{name: "bad jvm option", mod: func(c *cassmesosv1.NodeTaskConfig) { c.JvmOptions = []string{"-Da b"} }, wantErr: "white space"},
		// The daemon's rules (internal/specrules), checked again here.
		{name: "no cluster name", mod: func(c *cassmesosv1.NodeTaskConfig) { c.Ring = "" }, wantErr: "NodeTaskConfig.cluster_name"},
		{name: "owned prefer_ipv6 key", mod: func(c *cassmesosv1.NodeTaskConfig) {
			c.CassandraYaml = map[string]string{"rpc_interface_prefer_ipv6": "true"}
		},
			wantErr: `NodeTaskConfig.cassandra_yaml["rpc_interface_prefer_ipv6"]: key is owned by cassmesos`},
		{name: "yaml value", mod: func(c *cassmesosv1.NodeTaskConfig) { c.CassandraYaml = map[string]string{"authenticator": "[x"} },
			wantErr: `NodeTaskConfig.cassandra_yaml["authenticator"]: "[x": is not YAML`},
		{name: "rack", mod: func(c *cassmesosv1.NodeTaskConfig) { c.Rack = "r1\ndc=evil" }, wantErr: "NodeTaskConfig.rack"},
		{name: "ports", mod: func(c *cassmesosv1.NodeTaskConfig) { c.Ports = &cassmesosv1.Ports{Storage: 9042} }, wantErr: "NodeTaskConfig.ports.native"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.raw
			if raw == nil {
				c := proto.Clone(good).(*cassmesosv1.NodeTaskConfig)
				if tt.mod != nil {
					tt.mod(c)
				}
				raw, _ = proto.Marshal(c)
			}
			_, err := DecodeTaskConfig(raw)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, mesosexec.ErrInvalidTask) {
				t.Errorf("err = %v, want %q (ErrInvalidTask)", err, tt.wantErr)
			}
		})
	}
}

func FuzzDecodeTaskConfig(f *testing.F) {
	b, _ := proto.Marshal(&cassmesosv1.NodeTaskConfig{Address: "10.0.0.1", AgentPort: 9000, AgentSecret: "s", DataDir: "v"})
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := DecodeTaskConfig(data); err != nil && !errors.Is(err, mesosexec.ErrInvalidTask) {
			t.Fatalf("error without ErrInvalidTask: %v", err)
		}
	})
}

func TestFindDistribution(t *testing.T) {
	mk := func(t *testing.T, files ...string) string {
		dir := t.TempDir()
		for _, f := range files {
			p := filepath.Join(dir, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	tests := []struct {
		name      string
		files     []string
		home, jdk string
		wantErr   string
	}{
		{name: "cassandra only", files: []string{"apache-cassandra-4.1.5/bin/cassandra", "cassmesos-executor", "apache-cassandra-4.1.5.tar.gz"},
			home: "apache-cassandra-4.1.5"},
		{name: "with java", files: []string{"apache-cassandra-4.1.5/bin/cassandra", "jdk-11.0.22+7-jre/bin/java"},
			home: "apache-cassandra-4.1.5", jdk: "jdk-11.0.22+7-jre"},
		{name: "none", files: []string{"x/bin/nodetool"}, wantErr: "no Cassandra distribution"},
		{name: "two", files: []string{"a/bin/cassandra", "b/bin/cassandra"}, wantErr: "several Cassandra"},
		{name: "two javas", files: []string{"a/bin/cassandra", "j1/bin/java", "j2/bin/java"}, wantErr: "several Java"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := mk(t, tt.files...)
			home, jdk, err := FindDistribution(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantJDK := ""
			if tt.jdk != "" {
				wantJDK = filepath.Join(dir, tt.jdk)
			}
			if home != filepath.Join(dir, tt.home) || jdk != wantJDK {
				t.Errorf("got %q %q", home, jdk)
			}
		})
	}
}

func launchStandIn(t *testing.T, cfg *cassmesosv1.NodeTaskConfig) (mesosexec.Task, *reports, string) {
	t.Helper()
	dist := standInDist(t)
	sandbox := t.TempDir()
	if err := os.Symlink(dist, filepath.Join(sandbox, "apache-cassandra-4.1.5")); err != nil {
		t.Fatal(err)
	}
	for k, v := range cassandrasim.FastKnobs() {
		t.Setenv("CASSANDRA_SIM_"+strings.ToUpper(k), v)
	}
	data, err := proto.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &reports{}
	opts := Options{Sandbox: sandbox, HealthInterval: 100 * time.Millisecond, DrainTimeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	task, err := Launch(opts)(context.Background(), mesos.TaskInfo{TaskID: mesos.TaskID{Value: "t1"}, Data: data}, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Kill(context.Background(), time.Second) })
	return task, rec, sandbox
}

func TestStandInCrashIsTaskFailed(t *testing.T) {
	t.Setenv("CASSANDRA_SIM_CRASH_AFTER", "1s")
	addr := cassandrasim.LoopbackBlock()(2)
	_, rec, _ := launchStandIn(t, &cassmesosv1.NodeTaskConfig{Ring: "r", Node: "r-0", Seeds: []string{addr}, Address: addr,
		DataDir: "volume", AgentPort: 17124, AgentSecret: "s"})
	var failed mesosexec.Status
	waitFor(t, "TASK_FAILED", 30*time.Second, func() bool {
		var ok bool
		failed, ok = rec.find(func(s mesosexec.Status) bool { return s.State == mesos.TASK_FAILED })
		return ok
	})
	for _, want := range []string{"cassandra exited on its own", "killed by signal SIGKILL", "==> cassandra-logs/system.log <=="} {
		if !strings.Contains(failed.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, failed.Message)
		}
	}
}

func TestStandInRestartInPlace(t *testing.T) {
	addr := cassandrasim.LoopbackBlock()(2)
	const jmxPassword = "ring-derived-jmx-password-0123"
	_, rec, sandbox := launchStandIn(t, &cassmesosv1.NodeTaskConfig{Ring: "r", Node: "r-0", Seeds: []string{addr}, Address: addr,
		DataDir: "volume", AgentPort: 17125, AgentSecret: "s", AutoBootstrap: true, JmxPassword: jmxPassword})
	yaml := func() string {
		b, _ := os.ReadFile(filepath.Join(sandbox, ConfDirName, "cassandra.yaml"))
		return string(b)
	}
	if !strings.Contains(yaml(), "auto_bootstrap: true") {
		t.Fatal("first start without auto_bootstrap: true")
	}
	normal := func(s mesosexec.Status) bool { return label(s, "mode") == "NORMAL" && s.Healthy != nil && *s.Healthy }
	waitFor(t, "NORMAL", 30*time.Second, func() bool { _, ok := rec.find(normal); return ok })

	// Issue 13: the node became healthy through authenticated JMX: the files are the task's
	// alone, carry the daemon's password, and nodetool without them is refused.
	for _, name := range []string{render.JMXPasswordFile, render.JMXAccessFile, render.NodetoolCredentialsFile} {
		st, err := os.Stat(filepath.Join(sandbox, ConfDirName, name))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v (mode %v), want 0600", name, err, st)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(sandbox, ConfDirName, render.NodetoolCredentialsFile)); string(b) != render.JMXUser+" "+jmxPassword+"\n" {
		t.Errorf("nodetool credentials %q", b)
	}
	nt := exec.Command(filepath.Join(standInDist(t), "bin", "nodetool"), "-h", addr, "-p", "7199", "status")
	if out, err := nt.CombinedOutput(); err == nil || !strings.Contains(string(out), "Authentication failed! Credentials required") {
		t.Errorf("nodetool without credentials: %v %s", err, out)
	}

	conn, err := grpc.NewClient(addr+":17125", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer s", agent.EpochMetadataKey, "1",
		agent.RingMetadataKey, "r", agent.NodeMetadataKey, "r-0")
	rec.mu.Lock()
	before := len(rec.s)
	rec.mu.Unlock()
	if _, err := cassmesosv1.NewNodeAgentServiceClient(conn).RestartCassandra(ctx, &cassmesosv1.RestartCassandraRequest{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(yaml(), "auto_bootstrap: false") {
		t.Error("restart rendered auto_bootstrap other than false after the node bootstrapped")
	}
	waitFor(t, "NORMAL after the restart", 30*time.Second, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		sawRestart := false
		for _, s := range rec.s[before:] {
			if label(s, "state") == "RESTARTING" || label(s, "state") == "STARTING" {
				sawRestart = true
			}
			if sawRestart && normal(s) {
				return true
			}
		}
		return false
	})
	if _, ok := rec.find(func(s mesosexec.Status) bool { return s.State != mesos.TASK_RUNNING }); ok {
		t.Error("restart produced a terminal update")
	}
}

// NORMAL can arrive from Cassandra's log before nodetool gave the host ID: the state file gets
// the host ID when it comes, and keeps it.
func TestMarkBootstrappedLateHostID(t *testing.T) {
	dir := t.TempDir()
	n := &node{log: slog.New(slog.DiscardHandler), paths: render.Paths{Data: dir}}
	n.markBootstrapped("")
	if st, err := readState(dir); err != nil || !st.Bootstrapped || st.HostID != "" {
		t.Fatalf("after NORMAL without host ID: %+v, %v", st, err)
	}
	n.markBootstrapped("6d194555-f6eb-41d0-c000-000000000001")
	n.markBootstrapped("")
	if st, err := readState(dir); err != nil || !st.Bootstrapped || st.HostID != "6d194555-f6eb-41d0-c000-000000000001" {
		t.Fatalf("after the host ID came: %+v, %v", st, err)
	}
}
