package realcassandra

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/internal/e2e"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// autoRepairFull reads a node's Auto Repair config with the real nodetool, as an operator on its
// host would (JMX on 127.0.0.1 and the node's own port): whether the scheduler is on and full
// repair enabled.
func autoRepairFull(t *testing.T, w *e2e.World, n *cassmesosv1.Node) (on, full bool, err error) {
	t.Helper()
	out, errOut, code := w.NodetoolJMX("127.0.0.1", int(n.GetJmxPort()), "getautorepairconfig")
	if code != 0 {
		return false, false, fmt.Errorf("nodetool getautorepairconfig on %s: exit %d: %s%s", n.GetName(), code, out, errOut)
	}
	cfg, err := nodetool.ParseAutoRepairConfig(out)
	if err != nil {
		return false, false, fmt.Errorf("%s: %w", n.GetName(), err)
	}
	tc, _ := cfg.Type("full")
	return cfg.Enabled, tc.Enabled, nil
}

// A 3-node ring of real Cassandra 5.0.8 on Cassandra's Auto Repair: every node runs the
// scheduler with full repair enabled; keyspace list counts tables as the real nodetool does;
// cassmesos repair runs and schedules are refused; a non-seed node is replaced after its agent was
// killed, and during the replacement the live nodes have Auto Repair paused (seen with the real
// nodetool); the daemon's record reaches RESUMED (waited for), and then every node, the
// replacement too, has it enabled again per its own nodetool.
func TestRealAutoRepair(t *testing.T) {
	start := time.Now()
	const ring = "auto"
	const agents = 4
	w := e2e.NewWorld(t, e2e.Options{
		Agents: agents, AgentResources: e2e.RealAgentResources(agents), Tarball: e2e.RealTarball(t), ExecutorEnv: e2e.RealExecutorEnv(),
		TaskPollInterval:            time.Second,
		ExecutorShutdownGracePeriod: time.Minute,
	})
	begin := time.Now()
	cli(t, w, append([]string{"ring", "create", ring, "--nodes", "3", "--seeds", "2", "--num-tokens", "4",
		"--repair-engine", "cassandra", "--auto-repair-types", "full", "--wait", "--timeout", "8m"}, e2e.RealRingFlags()...)...)
	t.Logf("figure: ring create --nodes 3 --repair-engine cassandra --wait: %v", time.Since(begin).Round(time.Millisecond))
	nodes := map[string]*cassmesosv1.Node{}
	w.Eventually(5*time.Minute, func() error {
		nodes = w.Nodes(ring)
		if len(nodes) != 3 {
			return fmt.Errorf("%d nodes", len(nodes))
		}
		for name, n := range nodes {
			if n.GetLiveness() != cassmesosv1.Liveness_LIVENESS_UP || n.GetMode() != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
				return fmt.Errorf("%s is %s/%s", name, n.GetLiveness(), n.GetMode())
			}
		}
		return nil
	}, "3 nodes UN")
	for name, n := range nodes {
		on, full, err := autoRepairFull(t, w, n)
		if err != nil || !on || !full {
			t.Fatalf("%s: Auto Repair on %v, full %v, %v", name, on, full, err)
		}
	}
	status := func() *cassmesosv1.GetAutoRepairStatusResponse {
		t.Helper()
		var resp cassmesosv1.GetAutoRepairStatusResponse
		out := cli(t, w, "repair", "status", "--ring", ring, "-o", "json")
		if err := protojson.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatalf("repair status --ring -o json: %v\n%s", err, out)
		}
		return &resp
	}
	st := status()
	if st.GetEngine() != cassmesosv1.RepairEngine_REPAIR_ENGINE_CASSANDRA || len(st.GetNodes()) != 3 {
		t.Fatalf("repair status --ring: %v", st)
	}
	for _, ns := range st.GetNodes() {
		if !ns.GetState().GetSchedulerEnabled() || len(ns.GetState().GetTypes()) == 0 || !ns.GetState().GetTypes()[0].GetEnabled() {
			t.Errorf("repair status --ring: %s %v", ns.GetNode(), ns)
		}
	}
	// keyspace list's TABLES against the real nodetool tablestats.
	checkKeyspaceTables(t, w, ring, nodes, nodes[ring+"-0"])

	// Never both engines: cassmesos' own repair runs and schedules are refused (exit 5).
	if out, errOut, code := w.CLI("repair", "run", ring, "--keyspace", "system_auth"); code != 5 || !strings.Contains(out+errOut, "Auto Repair") {
		t.Errorf("repair run on an Auto Repair ring: exit %d %s%s", code, out, errOut)
	}
	if out, errOut, code := w.CLI("repair", "schedule", "create", ring, "--every", "1d", "--keyspace", "system_auth"); code != 5 || !strings.Contains(out+errOut, "Auto Repair") {
		t.Errorf("repair schedule create on an Auto Repair ring: exit %d %s%s", code, out, errOut)
	}

	// Replace the non-seed real node after killing its agent; watch the live nodes meanwhile.
	name := ring + "-2"
	old := nodes[name]
	agent := -1
	for i := range agents {
		if w.AgentIP(i) == old.GetAddress() {
			agent = i
		}
	}
	if agent < 0 {
		t.Fatalf("no agent has %s's address %s", name, old.GetAddress())
	}
	w.KillAgent(agent)
	live := []*cassmesosv1.Node{nodes[ring+"-0"], nodes[ring+"-1"]}
	w.Eventually(3*time.Minute, func() error {
		st, _, err := w.NodeStatus(live[0])
		if err != nil {
			return err
		}
		if c := e2e.StatusCodesOf(st)[old.GetAddress()]; c != "DN" {
			return fmt.Errorf("%s is %q", old.GetAddress(), c)
		}
		return nil
	}, "%s DN", name)
	begin = time.Now()
	var wg sync.WaitGroup
	replaced := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Refused (exit 5) until the daemon's view, refreshed by the live executors' nodetool
		// status, shows the node down: asked again on a tick until accepted or the deadline.
		deadline := time.Now().Add(3 * time.Minute)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			out, errOut, code := w.CLI("node", "replace", name, "--wait", "--timeout", "8m")
			if code == 0 {
				replaced <- nil
				return
			}
			if code != 5 || time.Now().After(deadline) {
				replaced <- fmt.Errorf("node replace %s: exit %d: %s%s", name, code, out, errOut)
				return
			}
			<-tick.C
		}
	}()
	sawPaused := false
	var replaceErr error
	for done := false; !done; {
		select {
		case replaceErr = <-replaced:
			done = true
		case <-time.After(time.Second):
			if sawPaused {
				continue
			}
			paused := 0
			for _, n := range live {
				if on, full, err := autoRepairFull(t, w, n); err == nil && on && !full {
					paused++
				}
			}
			if paused == len(live) {
				sawPaused = true
				t.Logf("Auto Repair paused on both live nodes %v after the replace was asked", time.Since(begin).Round(time.Millisecond))
			}
		}
	}
	wg.Wait()
	if replaceErr != nil {
		t.Fatal(replaceErr)
	}
	t.Logf("figure: node replace %s --wait (Auto Repair paused and resumed): %v", name, time.Since(begin).Round(time.Millisecond))
	if !sawPaused {
		t.Errorf("Auto Repair was never seen paused on the live nodes during the replacement")
	}
	// After the replacement the daemon records the resume as done (RESUMED; it may still be
	// RESUMING just after the operation ended: wait for it), and then every node, the new one
	// too, has full repair enabled again on its own nodetool.
	var p *cassmesosv1.AutoRepairPauseInfo
	w.Eventually(2*time.Minute, func() error {
		st := status()
		if len(st.GetPauses()) != 1 {
			return fmt.Errorf("pauses %v", st.GetPauses())
		}
		p = st.GetPauses()[0]
		if p.GetPhase() != "RESUMED" {
			return fmt.Errorf("recorded pause %v", p)
		}
		return nil
	}, "the recorded pause RESUMED")
	if p.GetPausedTime() == nil || p.GetResumedTime() == nil || !p.GetResumedTime().AsTime().After(p.GetPausedTime().AsTime()) || p.GetLastError() != "" {
		t.Errorf("recorded pause %v", p)
	}
	nodes = w.Nodes(ring)
	if len(nodes) != 3 || nodes[name].GetAddress() == old.GetAddress() {
		t.Fatalf("nodes after the replacement %v", nodes)
	}
	for n, node := range nodes {
		on, full, err := autoRepairFull(t, w, node)
		if err != nil || !on || !full {
			t.Errorf("%s after the resume: scheduler %v, full %v, %v", n, on, full, err)
		}
	}
	t.Logf("figure: Auto Repair paused for %v around the replacement", p.GetResumedTime().AsTime().Sub(p.GetPausedTime().AsTime()).Round(time.Millisecond))
	t.Logf("figure: TestRealAutoRepair total %v", time.Since(start).Round(time.Millisecond))
}
