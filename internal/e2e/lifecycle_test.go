package e2e

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Issue 6: node lifecycle — restart in place, automatic and manual replacement, scaling,
// rolling restarts and updates, end to end.

func node(r *cassmesosv1.GetRingResponse, name string) *cassmesosv1.Node {
	for _, n := range r.GetNodes() {
		if n.GetName() == name {
			return n
		}
	}
	return nil
}

// mustNode is the daemon's record of one node (the test fails if the ring or node is missing).
func mustNode(t *testing.T, w *World, name string) *cassmesosv1.Node {
	t.Helper()
	r, err := w.GetRing("demo")
	if err != nil {
		t.Fatalf("GetRing demo: %v", err)
	}
	n := node(r, name)
	if n == nil {
		t.Fatalf("node %s missing from %v", name, r.GetNodes())
	}
	return n
}

// opsOf lists the ring's operations of one kind, oldest first.
func opsOf(t *testing.T, w *World, kind cassmesosv1.OperationKind) []*cassmesosv1.Operation {
	t.Helper()
	all, err := w.Operations("demo")
	if err != nil {
		t.Fatalf("ListOperations: %v", err)
	}
	var out []*cassmesosv1.Operation
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].GetKind() == kind {
			out = append(out, all[i])
		}
	}
	return out
}

func agentIndex(w *World, addr string, agents int) int {
	for i := range agents {
		if w.AgentIP(i) == addr {
			return i
		}
	}
	return -1
}

// killCassandra SIGKILLs the stand-in process of the node's current task (found by its sandbox
// path, which names the executor "<node>.<incarnation>") and returns its pid.
func killCassandra(t *testing.T, w *World, n *cassmesosv1.Node) int {
	t.Helper()
	parts := strings.SplitN(n.GetTaskId(), ".", 3)
	if len(parts) < 2 {
		t.Fatalf("task ID %q", n.GetTaskId())
	}
	exec := "/executors/" + parts[0] + "." + parts[1] + "/"
	for _, p := range markedProcesses(w.marker()) {
		if strings.Contains(p.cmdline, exec) && strings.Contains(p.cmdline, "cassandra-sim cassandra") {
			if err := syscall.Kill(p.pid, syscall.SIGKILL); err != nil {
				t.Fatalf("kill %d: %v", p.pid, err)
			}
			return p.pid
		}
	}
	t.Fatalf("no Cassandra process for %s (%s)", n.GetName(), exec)
	return 0
}

// heapOf reads MAX_HEAP_SIZE from the environment of the stand-in process of the node's task.
func heapOf(w *World, n *cassmesosv1.Node) string {
	parts := strings.SplitN(n.GetTaskId(), ".", 3)
	exec := "/executors/" + parts[0] + "." + parts[1] + "/"
	for _, p := range markedProcesses(w.marker()) {
		if !strings.Contains(p.cmdline, exec) || !strings.Contains(p.cmdline, "cassandra-sim cassandra") {
			continue
		}
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.pid))
		for kv := range bytes.SplitSeq(env, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte("MAX_HEAP_SIZE=")); ok {
				return string(v)
			}
		}
	}
	return ""
}

// bootstrapsOf counts bootstrap and replace actions the stand-in at addr logged after since.
func bootstrapsOf(w *World, addr string, since time.Time) int {
	c := 0
	for _, a := range w.ActionLog() {
		if a.Node == addr && (a.Action == "bootstrap" || a.Action == "replace") && a.Time.After(since) {
			c++
		}
	}
	return c
}

// A crashed Cassandra process and a dead executor are restarted in place (same agent, address
// and host ID, no bootstrap); a partitioned agent healed within the grace replaces nothing; a
// live node is not replaced (refused with the reason).
func TestLifecycleCrashAndPartition(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 4, AgentUnreachableTimeout: 2 * time.Second, AgentGoneTimeout: 2 * time.Minute})
	if out, errOut, code := w.CLI(append(createArgs("demo", 3, 2), "--replace-after", "40s", "--wait", "--timeout", "4m")...); code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 3, 2*time.Minute)

	// node replace of a live node: refused, nothing started.
	_, errOut, code := w.CLI("node", "replace", "demo-2")
	if code == 0 || !strings.Contains(errOut, "demo-2 is U") || !strings.Contains(errOut, "needs it down") {
		t.Fatalf("node replace of a live node: exit %d, stderr %q; want a refusal naming why", code, errOut)
	}
	if ops := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE); len(ops) != 0 {
		t.Fatalf("a refused replace started %v", ops)
	}

	// Crash of the Cassandra process.
	before := mustNode(t, w, "demo-2")
	killed := time.Now()
	killCassandra(t, w, before)
	w.WaitFor(30*time.Second, func() bool {
		return len(opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_RECOVER_NODE)) > 0
	}, "a RECOVER_NODE operation for demo-2")
	w.WaitFor(3*time.Minute, func() bool {
		n := node(w.Ring("demo"), "demo-2")
		return n.GetTaskId() != before.GetTaskId() && n.GetLiveness() == cassmesosv1.Liveness_LIVENESS_UP &&
			n.GetMode() == cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL
	}, "demo-2 back to UN in a new task")
	after := mustNode(t, w, "demo-2")
	if after.GetAgentId() != before.GetAgentId() || after.GetAddress() != before.GetAddress() || after.GetHostId() != before.GetHostId() {
		t.Errorf("demo-2 moved: before %s/%s/%s, after %s/%s/%s", before.GetAgentId(), before.GetAddress(), before.GetHostId(),
			after.GetAgentId(), after.GetAddress(), after.GetHostId())
	}
	if after.GetRestarts() <= before.GetRestarts() {
		t.Errorf("restarts %d → %d", before.GetRestarts(), after.GetRestarts())
	}
	rec := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_RECOVER_NODE)
	if last := rec[len(rec)-1]; last.GetSteps()[0].GetAttempts() < 1 || last.GetOrigin() != "daemon" {
		t.Errorf("recover operation %v: want attempts >= 1, origin daemon", last)
	}
	if b := bootstrapsOf(w, before.GetAddress(), killed); b != 0 {
		t.Errorf("demo-2 bootstrapped %d times after its crash; a restart in place must not", b)
	}

	// Death of the executor.
	before = mustNode(t, w, "demo-1")
	parts := strings.SplitN(before.GetTaskId(), ".", 3)
	killed = time.Now()
	w.KillExecutor(w.MesosState().Frameworks[0].ID, parts[0]+"."+parts[1])
	w.WaitFor(3*time.Minute, func() bool {
		n := node(w.Ring("demo"), "demo-1")
		return n.GetTaskId() != before.GetTaskId() && n.GetLiveness() == cassmesosv1.Liveness_LIVENESS_UP &&
			n.GetMode() == cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL
	}, "demo-1 back to UN after its executor died")
	after = mustNode(t, w, "demo-1")
	if after.GetAgentId() != before.GetAgentId() || after.GetHostId() != before.GetHostId() {
		t.Errorf("demo-1 moved after its executor died: %v → %v", before, after)
	}
	if b := bootstrapsOf(w, before.GetAddress(), killed); b != 0 {
		t.Errorf("demo-1 bootstrapped %d times after its executor died", b)
	}

	// Partition within the grace: the node is lost, returns, carries on; nothing replaced.
	before = mustNode(t, w, "demo-2")
	idx := agentIndex(w, before.GetAddress(), 4)
	w.PartitionAgent(idx)
	w.WaitFor(30*time.Second, func() bool {
		return node(w.Ring("demo"), "demo-2").GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_LOST
	}, "demo-2 to be LOST while its agent is partitioned")
	w.HealAgent(idx)
	waitHealthy(w, "demo", 3, 2*time.Minute)
	after = mustNode(t, w, "demo-2")
	if after.GetTaskId() != before.GetTaskId() || after.GetAddress() != before.GetAddress() {
		t.Errorf("demo-2 changed across a healed partition: %s@%s → %s@%s", before.GetTaskId(), before.GetAddress(), after.GetTaskId(), after.GetAddress())
	}
	if ops := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE); len(ops) != 0 {
		t.Errorf("a partition healed within the grace started a replacement: %v", ops)
	}
	h := w.TaskHistory()
	for n, c := range h.MaxLivePerNode {
		if c > 1 {
			t.Errorf("node %s had %d live tasks at once", n, c)
		}
	}
}

// Losing an agent leads, after the ring's replace-after grace, to a replacement on another agent
// (old address gone from nodetool status, the old volume destroyed when the agent returns); a
// seed is replaced too, with the daemon kill -9'd in the middle, and no slot ever has two tasks.
func TestLifecycleAgentLossReplacement(t *testing.T) {
	t.Parallel()
	const grace = 5 * time.Second
	w := NewWorld(t, Options{Agents: 5, AgentUnreachableTimeout: 2 * time.Second, AgentGoneTimeout: 2 * time.Minute})
	if out, errOut, code := w.CLI(append(createArgs("demo", 3, 2), "--replace-after", grace.String(), "--wait", "--timeout", "4m")...); code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 3, 2*time.Minute)

	// 1. A non-seed's agent dies.
	old := mustNode(t, w, "demo-2")
	oldIdx := agentIndex(w, old.GetAddress(), 5)
	lostAt := time.Now()
	w.KillAgent(oldIdx)
	var replace *cassmesosv1.Operation
	w.WaitFor(60*time.Second, func() bool {
		ops := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE)
		if len(ops) > 0 {
			replace = ops[0]
		}
		return replace != nil
	}, "an automatic REPLACE_NODE for demo-2")
	startedAt := time.Now()
	if replace.GetOrigin() != "daemon" || replace.GetParams().GetNodes()[0] != "demo-2" {
		t.Fatalf("replace operation %v", replace)
	}
	if d := replace.GetCreateTime().AsTime().Sub(lostAt); d < grace {
		t.Errorf("replacement started %v after the agent died, before the %v grace", d, grace)
	}
	w.WaitFor(3*time.Minute, func() bool {
		n := node(w.Ring("demo"), "demo-2")
		return n.GetAddress() != old.GetAddress() && n.GetAddress() != "" &&
			n.GetLiveness() == cassmesosv1.Liveness_LIVENESS_UP && n.GetMode() == cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL
	}, "demo-2 UN on another agent")
	unAt := time.Now()
	t.Logf("agent loss → replacement UN: %v in all; %v until the replacement started (grace %v, agent unreachable after 2s), %v from then to UN",
		unAt.Sub(lostAt).Round(10*time.Millisecond), startedAt.Sub(lostAt).Round(10*time.Millisecond), grace, unAt.Sub(startedAt).Round(10*time.Millisecond))
	repl := mustNode(t, w, "demo-2")
	w.WaitFor(30*time.Second, func() bool {
		c, err := w.StatusCodes(w.AgentIP(0))
		_, stale := c[old.GetAddress()]
		return err == nil && countCode(c, "UN") == 3 && len(c) == 3 && !stale && c[repl.GetAddress()] == "UN"
	}, "nodetool status: 3 UN, the old address %s gone", old.GetAddress())
	var replaced bool
	for _, a := range w.ActionLog() {
		if a.Node == repl.GetAddress() && a.Action == "replace" && a.Target == old.GetAddress() {
			replaced = true
		}
	}
	if !replaced {
		t.Errorf("the stand-in at %s logged no replace of %s (replace_address_first_boot)", repl.GetAddress(), old.GetAddress())
	}

	// The old agent returns: its old task is gone and the old volume destroyed and unreserved.
	w.HealAgent(oldIdx)
	w.WaitFor(60*time.Second, func() bool {
		for _, a := range w.MesosState().Agents {
			if a.Hostname != old.GetAddress() || a.State != "registered" {
				continue
			}
			for _, r := range a.Reservations {
				if strings.Contains(r, "cassmesos.node=demo-2") {
					return false
				}
			}
			for _, t := range a.Tasks {
				if liveState(t.State) {
					return false
				}
			}
			return len(a.Volumes) == 0
		}
		return false
	}, "the returned agent %s to hold no task, reservation or volume of demo-2", old.GetAddress())

	// 2. A seed's agent dies; the daemon is killed -9 in the middle of the replacement.
	seed := mustNode(t, w, "demo-0")
	seedIdx := agentIndex(w, seed.GetAddress(), 5)
	w.KillAgent(seedIdx)
	w.WaitFor(2*time.Minute, func() bool {
		switch node(w.Ring("demo"), "demo-0").GetPhase() {
		case cassmesosv1.NodePhase_NODE_PHASE_REPLACING, cassmesosv1.NodePhase_NODE_PHASE_LAUNCHING, cassmesosv1.NodePhase_NODE_PHASE_STARTING:
			return len(opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE)) == 2
		}
		return false
	}, "demo-0 to be being replaced")
	w.KillDaemon()
	w.StartDaemon()
	w.WaitFor(2*time.Minute, func() bool {
		n := node(w.Ring("demo"), "demo-0")
		return n.GetAddress() != seed.GetAddress() && n.GetLiveness() == cassmesosv1.Liveness_LIVENESS_UP &&
			n.GetMode() == cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL
	}, "the seed demo-0 UN on another agent")
	waitHealthy(w, "demo", 3, 2*time.Minute)
	// The lost seed handed its role to a live node before its replacement; every node was sent
	// the new seed list (nodetool reloadseeds), the replacement launched with it.
	if n := mustNode(t, w, "demo-0"); n.GetSeed() {
		t.Errorf("demo-0 is still a seed after it was lost and replaced")
	}
	checkSeedLists(t, w, "demo", 2)
	ops := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE)
	if len(ops) != 2 {
		t.Fatalf("%d REPLACE_NODE operations, want 2: %v", len(ops), ops)
	}
	for _, o := range ops {
		if o.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
			t.Errorf("operation %s is %s: %s", o.GetId(), o.GetPhase(), o.GetError())
		}
	}
	h := w.TaskHistory()
	for n, c := range h.MaxLivePerNode {
		if c > 1 {
			t.Errorf("node %s had %d live tasks at once", n, c)
		}
	}
	// A launch may fail (the fetch from the killed daemon's artifact server) and be retried, but
	// only one replacement task of the seed ever runs.
	var ran []string
	for id, r := range h.Tasks {
		if r.Node == "demo-0" && r.Agent != seed.GetAddress() && slices.Contains(r.States, "TASK_RUNNING") {
			ran = append(ran, id)
		}
	}
	if len(ran) != 1 {
		t.Errorf("%d replacement tasks of demo-0 ran, want 1 (no duplicate after the daemon's restart): %v", len(ran), ran)
	}
}

// Scaling 3 → 5 → 4, a rolling restart with N-1 nodes UN at every poll, a rolling update of the
// heap, and the refusals of bad requests.
func TestLifecycleScaleRestartUpdate(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 5})
	if out, errOut, code := w.CLI(append(createArgs("demo", 3, 2), "--wait", "--timeout", "4m")...); code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 3, 2*time.Minute)

	// Bad input: refused with the reason, nothing started.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ring", "scale", "demo", "--nodes", "0"}, "--nodes"},
		{[]string{"ring", "scale", "demo", "--nodes", "1"}, "2 seeds"},
		{[]string{"node", "decommission", "demo-9"}, "demo-9"},
		{[]string{"node", "replace", "demo-9"}, "demo-9"},
	} {
		_, errOut, code := w.CLI(tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("cassmesos %s: exit %d, stderr %q; want a refusal mentioning %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
	}
	if all, _ := w.Operations("demo"); len(all) != 1 {
		t.Fatalf("refused requests started operations: %v", all)
	}

	// 3 → 5 → 4.
	if out, errOut, code := w.CLI("ring", "scale", "demo", "--nodes", "5", "--wait", "--timeout", "4m"); code != 0 {
		t.Fatalf("scale to 5: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 5, 2*time.Minute)
	gone := mustNode(t, w, "demo-4").GetAddress()
	if out, errOut, code := w.CLI("ring", "scale", "demo", "--nodes", "4", "--wait", "--timeout", "4m"); code != 0 {
		t.Fatalf("scale to 4: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 4, 2*time.Minute)
	if n := node(w.Ring("demo"), "demo-4"); n != nil {
		t.Errorf("demo-4 still recorded after scaling down: %v", n)
	}
	if c, _ := w.StatusCodes(w.AgentIP(0)); c[gone] != "" {
		t.Errorf("the decommissioned %s is still in nodetool status: %v", gone, c)
	}
	decommissioned := false
	for _, a := range w.ActionLog() {
		if a.Node == gone && a.Action == "decommission" && a.Status == "ok" {
			decommissioned = true
		}
	}
	if !decommissioned {
		t.Errorf("%s never logged a finished decommission", gone)
	}

	// Rolling restart: poll nodetool status on every node until it ends; at least 3 of 4 UN at
	// every poll.
	before := w.Ring("demo").GetNodes()
	if out, errOut, code := w.CLI("ring", "restart", "demo"); code != 0 {
		t.Fatalf("ring restart: exit %d\n%s%s", code, out, errOut)
	}
	// An update needing a restart is refused while the rolling restart runs.
	if _, errOut, code := w.CLI("ring", "update", "demo", "--heap", "600Mi"); code == 0 || !strings.Contains(errOut, "has operation") {
		t.Errorf("ring update during a rolling restart: exit %d, stderr %q; want a refusal", code, errOut)
	}
	polls, minUN := 0, 4
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ops := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_RESTART_RING)
		if len(ops) == 1 && ops[0].GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
			break
		}
		if len(ops) != 1 || ops[0].GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED || time.Now().After(deadline) {
			t.Fatalf("rolling restart: %v", ops)
		}
		// Every node that answers is asked; a node that has just started sees its peers DN until
		// gossip reaches it, so the round counts the best-informed view (the most UN).
		best := -1
		for _, n := range before {
			if c, err := w.StatusCodes(n.GetAddress()); err == nil {
				best = max(best, countCode(c, "UN"))
			}
		}
		if best >= 0 {
			polls++
			minUN = min(minUN, best)
		}
	}
	t.Logf("rolling restart: %d polls of nodetool status, at least %d of 4 UN at each", polls, minUN)
	if minUN < 3 || polls < 5 {
		t.Errorf("rolling restart: %d polls, minimum %d UN; want at least 3 of 4 UN at every poll", polls, minUN)
	}
	waitHealthy(w, "demo", 4, 2*time.Minute)
	for _, b := range before {
		a := mustNode(t, w, b.GetName())
		// A launch that fails is retried in place with backoff, so restarts may exceed one.
		if a.GetRestarts() < b.GetRestarts()+1 || a.GetHostId() != b.GetHostId() || a.GetAgentId() != b.GetAgentId() {
			t.Errorf("%s: restarts %d → %d, host ID %s → %s, agent %s → %s", b.GetName(), b.GetRestarts(), a.GetRestarts(),
				b.GetHostId(), a.GetHostId(), b.GetAgentId(), a.GetAgentId())
		}
	}

	// Rolling update of the heap and JVM options.
	if out, errOut, code := w.CLI("ring", "update", "demo", "--heap", "600Mi", "--jvm-opt", "-Dcassmesos.test=1", "--wait", "--timeout", "3m"); code != 0 {
		t.Fatalf("ring update: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 4, 2*time.Minute)
	r := w.Ring("demo")
	if r.GetRing().GetGeneration() != 2 || r.GetRing().GetSpec().GetHeapMb() != 600 {
		t.Errorf("after update: generation %d heap %d", r.GetRing().GetGeneration(), r.GetRing().GetSpec().GetHeapMb())
	}
	for _, n := range r.GetNodes() {
		if h := heapOf(w, n); h != "600M" {
			t.Errorf("%s runs with MAX_HEAP_SIZE=%q, want 600M", n.GetName(), h)
		}
	}
	if ops := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_UPDATE_RING); len(ops) != 1 || !slices.ContainsFunc(ops[0].GetSteps(), func(s *cassmesosv1.Step) bool {
		return s.GetPhase() == cassmesosv1.StepPhase_STEP_PHASE_DONE
	}) {
		t.Errorf("update operations: %v", ops)
	}

	// Rolling update of cpus and mem: every node stays on its agent with its data, and its
	// reservation there grows to the new size plus the executor's share.
	before = w.Ring("demo").GetNodes()
	if out, errOut, code := w.CLI("ring", "update", "demo", "--cpus", "0.8", "--mem", "1536Mi", "--wait", "--timeout", "3m"); code != 0 {
		t.Fatalf("ring update --cpus --mem: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 4, 2*time.Minute)
	for _, b := range before {
		a := mustNode(t, w, b.GetName())
		if a.GetAgentId() != b.GetAgentId() || a.GetHostId() != b.GetHostId() {
			t.Errorf("%s moved during the resource update: %s/%s → %s/%s", b.GetName(), b.GetAgentId(), b.GetHostId(), a.GetAgentId(), a.GetHostId())
		}
		cpus, mem := reservedFor(w, a.GetAddress(), a.GetName())
		if cpus < 0.8 || mem < 1536 {
			t.Errorf("%s holds cpus %g mem %g reserved on %s after the update, want at least 0.8 and 1536", a.GetName(), cpus, mem, a.GetAddress())
		}
	}
}

// reservedFor sums the cpus and mem the simulator's agent at addr holds reserved for node.
func reservedFor(w *World, addr, node string) (cpus, mem float64) {
	for _, a := range w.MesosState().Agents {
		if a.Hostname != addr {
			continue
		}
		for _, r := range a.Reservations {
			if !strings.Contains(r, "cassmesos.node="+node+",") && !strings.Contains(r, "cassmesos.node="+node+"}") {
				continue
			}
			i := strings.LastIndex(r, ":")
			var v float64
			if _, err := fmt.Sscan(r[i+1:], &v); err != nil {
				continue
			}
			switch {
			case strings.Contains(r, ":cpus("):
				cpus += v
			case strings.Contains(r, ":mem("):
				mem += v
			}
		}
	}
	return cpus, mem
}

// node replace --wait of a dead node (automatic replacement off); a replacement no agent can
// take says so, is cancelled, and node remove takes the dead node out of the ring through a live
// node.
func TestLifecycleManualReplaceAndRemove(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 4, AgentUnreachableTimeout: 2 * time.Second, AgentGoneTimeout: 2 * time.Minute})
	if out, errOut, code := w.CLI(append(createArgs("demo", 3, 2), "--replace-after", "0", "--placement-timeout", "5s", "--wait", "--timeout", "4m")...); code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 3, 2*time.Minute)
	seedAddr := mustNode(t, w, "demo-0").GetAddress()
	// Down as the seed's nodetool sees it, and as the daemon's view (polled every 10 s) has it.
	downOnSeed := func(addr string) bool {
		c, err := w.StatusCodes(seedAddr)
		return err == nil && strings.HasPrefix(c[addr], "D") &&
			node(w.Ring("demo"), "demo-2").GetLiveness() == cassmesosv1.Liveness_LIVENESS_DOWN
	}

	// 1. demo-2's agent dies; with --replace-after 0 nothing happens until node replace.
	old := mustNode(t, w, "demo-2")
	w.KillAgent(agentIndex(w, old.GetAddress(), 4))
	w.WaitFor(time.Minute, func() bool {
		return node(w.Ring("demo"), "demo-2").GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_LOST && downOnSeed(old.GetAddress())
	}, "demo-2 LOST and DN on the seed")
	if out, errOut, code := w.CLI("node", "replace", "demo-2", "--wait", "--timeout", "3m"); code != 0 {
		t.Fatalf("node replace --wait: exit %d\n%s%s", code, out, errOut)
	}
	repl := mustNode(t, w, "demo-2")
	if repl.GetAddress() == old.GetAddress() {
		t.Fatalf("demo-2 still at %s after its replacement", old.GetAddress())
	}
	waitHealthy(w, "demo", 3, 2*time.Minute)
	ops := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE)
	if len(ops) != 1 || ops[0].GetOrigin() == "daemon" {
		t.Fatalf("replace operations %v: want one, from the CLI (automatic replacement is off)", ops)
	}

	// 2. Its new agent dies too, and no agent is left to take it: the replacement says so.
	w.KillAgent(agentIndex(w, repl.GetAddress(), 4))
	w.WaitFor(time.Minute, func() bool {
		return node(w.Ring("demo"), "demo-2").GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_LOST && downOnSeed(repl.GetAddress())
	}, "demo-2 LOST and DN on the seed again")
	if out, errOut, code := w.CLI("node", "replace", "demo-2"); code != 0 {
		t.Fatalf("node replace: exit %d\n%s%s", code, out, errOut)
	}
	var stuck *cassmesosv1.Operation
	w.WaitFor(2*time.Minute, func() bool {
		ops := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE)
		stuck = ops[len(ops)-1]
		return stuck.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED && strings.Contains(stuck.GetBlockedReason(), "no suitable offer")
	}, "the second replacement to report that no agent can take demo-2")
	t.Logf("blocked: %s", stuck.GetBlockedReason())
	if out, errOut, code := w.CLI("op", "cancel", stuck.GetId()); code != 0 {
		t.Fatalf("op cancel: exit %d\n%s%s", code, out, errOut)
	}
	w.WaitFor(time.Minute, func() bool {
		ops := opsOf(t, w, cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE)
		return ops[len(ops)-1].GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED
	}, "the replacement to be cancelled")

	// 3. node remove: removenode of demo-2's host ID through a live node; the ring is 2 nodes.
	if out, errOut, code := w.CLI("node", "remove", "demo-2", "--wait", "--timeout", "3m"); code != 0 {
		t.Fatalf("node remove --wait: exit %d\n%s%s", code, out, errOut)
	}
	w.Eventually(time.Minute, func() error {
		c, err := w.StatusCodes(seedAddr)
		if err != nil {
			return err
		}
		// The stand-in lets the first dead address (replaced, so out of the ring in Cassandra)
		// reclaim its tokens once its replacement is removed, and lists it DN again; real
		// Cassandra evicts a replaced endpoint from gossip. Only the removed one is checked.
		if _, ok := c[repl.GetAddress()]; ok || countCode(c, "UN") != 2 {
			return fmt.Errorf("status %v (old %s, replacement %s host ID %s)", c, old.GetAddress(), repl.GetAddress(), repl.GetHostId())
		}
		return nil
	}, "nodetool status on the seed: 2 UN, the removed %s gone", repl.GetAddress())
	r := w.Ring("demo")
	if len(r.GetNodes()) != 2 || r.GetRing().GetSpec().GetNodes() != 2 {
		t.Errorf("after node remove: %d nodes, spec %d", len(r.GetNodes()), r.GetRing().GetSpec().GetNodes())
	}
	removed := false
	for _, a := range w.ActionLog() {
		if a.Action == "removenode" && a.Status == "ok" && a.Target == repl.GetHostId() {
			removed = true
		}
	}
	if !removed {
		t.Errorf("no finished removenode of host ID %s in the action log", repl.GetHostId())
	}
}
