package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Issue 17: what a real Mesos master does that the simulator did not, and the daemon handling it.
// Two worlds (a ring takes a while to create): the first covers the master's side (failover,
// unreachable agents and suppression, reconciliation without labels), the second the agents'
// (duplicate status updates, agent restart with recovery).

// nodeSnap is what must not change about a node across the faults below.
type nodeSnap struct{ task, agent, address, hostID string }

func snapNodes(t *testing.T, w *World, ring string) map[string]nodeSnap {
	t.Helper()
	out := map[string]nodeSnap{}
	for _, n := range w.Ring(ring).GetNodes() {
		out[n.GetName()] = nodeSnap{n.GetTaskId(), n.GetAgentId(), n.GetAddress(), n.GetHostId()}
	}
	return out
}

// checkNodesKept reports a node that is shown lost, replaced or anything but RUNNING, or whose
// task, agent, address or host ID changed.
func checkNodesKept(w *World, ring string, want map[string]nodeSnap) error {
	r, err := w.GetRing(ring)
	if err != nil {
		return err
	}
	if len(r.GetNodes()) != len(want) {
		return fmt.Errorf("%d nodes, want %d", len(r.GetNodes()), len(want))
	}
	for _, n := range r.GetNodes() {
		got := nodeSnap{n.GetTaskId(), n.GetAgentId(), n.GetAddress(), n.GetHostId()}
		if n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_RUNNING || got != want[n.GetName()] {
			return fmt.Errorf("node %s is %s (%s) with %+v, want RUNNING with %+v", n.GetName(), n.GetPhase(), n.GetMessage(), got, want[n.GetName()])
		}
	}
	return nil
}

// suppressed reports whether the daemon's framework is connected with its roles suppressed and
// holds no offer.
func suppressed(w *World) error {
	s, err := w.mesosState()
	if err != nil {
		return err
	}
	for _, f := range s.Frameworks {
		if f.Removed {
			continue
		}
		if !f.Connected || len(f.Suppressed) == 0 || f.Offers != 0 {
			return fmt.Errorf("framework %s: connected %v, suppressed roles %v, %d offers", f.ID, f.Connected, f.Suppressed, f.Offers)
		}
		return nil
	}
	return fmt.Errorf("no framework")
}

// holdFor checks cond every 100ms for d and fails at the first error (it observes that something
// does not happen; it synchronises nothing).
func holdFor(t *testing.T, d time.Duration, what string, cond func() error) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if err := cond(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func noReplacement(t *testing.T, w *World) {
	t.Helper()
	if ops := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE); len(ops) != 0 {
		t.Fatalf("replacement started: %v", ops)
	}
}

// Behaviours 2, 5 and 1. A 3-node ring on 4 agents with a 10s replace-after:
//   - nothing pending: the framework is suppressed, also while the spare agent is unreachable, and
//     again after a daemon restart (decided from persisted state, not uptime);
//   - the daemon restarted, the master's reconciliation answers carry no labels: no node changes
//     its mode, host ID or address, none leaves RUNNING;
//   - a master failover whose agents re-register only 15s later (past the 10s replace-after): the
//     master answers TASK_UNKNOWN meanwhile; no node is shown lost or replaced, the nodes say they
//     are stale, and once the agents are back the ring is healthy with the same tasks.
func TestRealMasterFailoverUnreachableAndLabels(t *testing.T) {
	t.Parallel()
	const reregister = 15 * time.Second
	w := NewWorld(t, Options{Agents: 4, MesosSimFlags: []string{"--agent-reregister-delay", reregister.String()}})
	if out, errOut, code := w.CLI(append(createArgs("demo", 3, 2), "--replace-after", "10s", "--wait", "--timeout", "3m")...); code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 3, 2*time.Minute)
	want := snapNodes(t, w, "demo")

	// Behaviour 2: suppressed when nothing is pending, an unreachable agent being no work.
	w.Eventually(30*time.Second, func() error { return suppressed(w) }, "the framework suppressed with nothing pending")
	used := map[string]bool{}
	for _, n := range want {
		used[n.agent] = true
	}
	spare := -1
	for i, a := range w.MesosState().Agents {
		if !used[a.ID] {
			spare = i
		}
	}
	if spare < 0 {
		t.Fatalf("no agent without a node: %+v", want)
	}
	w.PartitionAgent(spare)
	w.WaitFor(30*time.Second, func() bool { return w.MesosState().Agents[spare].State == "unreachable" }, "agent %d unreachable", spare)
	holdFor(t, 5*time.Second, "suppressed while an agent without work is unreachable", func() error { return suppressed(w) })
	w.KillDaemon()
	w.StartDaemon()
	w.Eventually(30*time.Second, func() error { return suppressed(w) }, "the framework suppressed after a daemon restart")
	holdFor(t, 3*time.Second, "suppressed after a daemon restart", func() error { return suppressed(w) })
	w.HealAgent(spare)
	t.Log("behaviour 2: suppressed with nothing pending and an agent unreachable, before and after a daemon restart")

	// Behaviour 5: a restarted daemon learns its tasks from label-less reconciliation answers.
	w.KillDaemon()
	w.StartDaemon()
	w.Eventually(30*time.Second, func() error { _, err := w.GetRing("demo"); return err }, "the restarted daemon's engine to answer")
	holdFor(t, 8*time.Second, "nodes across a daemon restart (reconciliation without labels)", func() error {
		if err := checkNodesKept(w, "demo", want); err != nil {
			return err
		}
		for _, n := range w.Ring("demo").GetNodes() {
			if n.GetMode() != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
				return fmt.Errorf("node %s mode %s", n.GetName(), n.GetMode())
			}
		}
		return nil
	})
	t.Log("behaviour 5: reconciliation without labels changed no node")

	// Behaviour 1: a master failover that forgets the agents for longer than the replace-after.
	w.RestartMaster()
	failedOver := time.Now()
	sawStale, sawRecovering := false, false
	for time.Since(failedOver) < reregister+3*time.Second {
		if err := checkNodesKept(w, "demo", want); err != nil {
			t.Fatalf("%s after the failover: %v", time.Since(failedOver).Round(time.Second), err)
		}
		noReplacement(t, w)
		for _, n := range w.Ring("demo").GetNodes() {
			sawStale = sawStale || strings.HasPrefix(n.GetMessage(), "stale:")
		}
		for _, a := range w.MesosState().Agents {
			sawRecovering = sawRecovering || a.State == "recovering"
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !sawRecovering || !sawStale {
		t.Errorf("during the failover: agents recovering %v, a node marked stale %v; the test proves nothing otherwise", sawRecovering, sawStale)
	}
	waitHealthy(w, "demo", 3, time.Minute)
	w.Eventually(30*time.Second, func() error {
		if err := checkNodesKept(w, "demo", want); err != nil {
			return err
		}
		for _, n := range w.Ring("demo").GetNodes() {
			if n.GetMessage() != "" {
				return fmt.Errorf("node %s: %q", n.GetName(), n.GetMessage())
			}
		}
		return nil
	}, "nodes no longer stale")
	noReplacement(t, w)
	t.Logf("behaviour 1: no node lost or replaced across a master failover of %s with a 10s replace-after", time.Since(failedOver).Round(time.Second))
}

// Behaviours 3 and 6, one node on one agent with the master duplicating every status update:
//   - each update is acknowledged once per UUID (no second ACK, none the agent cannot match);
//   - an agent restart on the same work dir (down 1s): the executor re-subscribes well inside the
//     agent's 2s window, the node keeps its task, and the ring stays healthy.
func TestRealMasterDuplicatesAndAgentRestart(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 1, StatusUpdateRetry: 20 * time.Second})
	w.Admin("/admin/status-updates/duplicate?on=true")
	if out, errOut, code := w.CLI(append(createArgs("solo", 1, 1), "--wait", "--timeout", "3m")...); code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "solo", 1, 2*time.Minute)
	want := snapNodes(t, w, "solo")

	// Behaviour 6: agent restart with recovery.
	w.Admin("/admin/agents/0/restart?down=1s")
	var after int64
	w.Eventually(30*time.Second, func() error {
		a := w.MesosState().Agents[0]
		if a.Recoveries != 1 || len(a.ExecutorsReregisteredMs) != 1 {
			return fmt.Errorf("agent %s: %d recoveries, executors re-registered %v", a.State, a.Recoveries, a.ExecutorsReregisteredMs)
		}
		for _, ms := range a.ExecutorsReregisteredMs {
			after = ms
		}
		return nil
	}, "the executor back after the agent restart")
	if after > 1000 {
		t.Errorf("executor re-subscribed %dms after the agent recovered; want well inside the 2s window", after)
	}
	w.Eventually(30*time.Second, func() error { return checkNodesKept(w, "solo", want) }, "the node kept across the agent restart")
	waitHealthy(w, "solo", 1, time.Minute)
	t.Logf("behaviour 6: executor re-subscribed %dms after the agent recovered", after)

	// Behaviour 3: every update arrived twice; each UUID was acknowledged once.
	s := w.MesosState()
	if s.Acks == 0 || s.AckedTwice != 0 || s.UnknownAcks != 0 {
		t.Errorf("acknowledgements with duplicate updates: %d, %d UUIDs acknowledged twice, %d unmatched; want one per UUID", s.Acks, s.AckedTwice, s.UnknownAcks)
	}
	t.Logf("behaviour 3: %d acknowledgements, none twice, with every status update delivered twice", s.Acks)
}
