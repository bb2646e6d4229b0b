package plan_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// reconcileOnce runs one planning pass on s and applies its writes.
func reconcileOnce(t *testing.T, s *plan.State) plan.Plan {
	t.Helper()
	p := plan.New(plan.Config{}, &countIDs{}).Reconcile(s)
	s.Apply(p.Writes)
	return p
}

func reconciled(p plan.Plan) []plan.TaskRef {
	var out []plan.TaskRef
	for _, a := range p.Actions {
		if r, ok := a.(plan.ReconcileTasks); ok {
			out = append(out, r.Tasks...)
		}
	}
	return out
}

func replaceOps(s *plan.State) []string {
	var out []string
	for id, o := range s.Operations {
		if o.GetOperation().GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE {
			out = append(out, id)
		}
	}
	return out
}

// Issue 17 item 1: TASK_UNKNOWN from a failed-over master (the agent has not re-registered) is
// "not known yet". With a 10s replace-after and the master's TASK_UNKNOWN for 70s, the node keeps
// its phase, UN and task state, gets no lost time and no replacement, says it is stale, and its
// task is reconciled again with a bounded backoff; only after 15 minutes is it taken as lost.
func TestTaskUnknownAfterFailoverIsStaleNotLost(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	s := w.State.Clone()
	s.Rings["demo"].Spec.ReplaceAfter = durpb(10 * time.Second)
	n := s.Nodes["demo-2"]
	taskID := n.GetTaskId()
	before := n.GetMode()
	if n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_RUNNING || before != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
		t.Fatalf("node before: %v", n)
	}
	delete(s.Views, "demo-2") // no Cassandra view either: the record is all there is
	t0 := s.Now
	unknown := func(at time.Time) {
		st := s.Tasks[taskID]
		since := st.Since
		if st.State != plan.TaskUnknown {
			since = at
		}
		s.Tasks[taskID] = plan.TaskStatus{TaskID: taskID, AgentID: n.GetAgentId(), State: plan.TaskUnknown, Reason: "REASON_RECONCILIATION", At: at, Since: since}
	}
	unknown(t0)
	var asked []time.Duration
	for at := t0; at.Before(t0.Add(70 * time.Second)); at = at.Add(500 * time.Millisecond) {
		s.Now = at
		p := reconcileOnce(t, s)
		if refs := reconciled(p); len(refs) > 0 {
			if len(refs) != 1 || refs[0].TaskID != taskID || refs[0].AgentID != n.GetAgentId() {
				t.Fatalf("reconciled %+v", refs)
			}
			asked = append(asked, at.Sub(t0))
			unknown(at) // the master answers TASK_UNKNOWN again
		}
		got := s.Nodes["demo-2"]
		if got.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_RUNNING || got.GetLostTime() != nil || got.GetTaskState() != "TASK_RUNNING" || got.GetMode() != before {
			t.Fatalf("at +%s: node %s lost %v state %s mode %s, want RUNNING, no lost time, TASK_RUNNING, %s", at.Sub(t0), got.GetPhase(), got.GetLostTime(), got.GetTaskState(), got.GetMode(), before)
		}
		if !strings.HasPrefix(got.GetMessage(), "stale:") {
			t.Fatalf("at +%s: message %q, want it marked stale", at.Sub(t0), got.GetMessage())
		}
		if ops := replaceOps(s); len(ops) > 0 {
			t.Fatalf("at +%s: replacement %v of a stale node", at.Sub(t0), ops)
		}
	}
	t.Logf("reconciled again at %v", asked)
	if len(asked) < 4 || len(asked) > 12 {
		t.Errorf("%d reconciliations in 70s (%v), want a backoff from 1s to 30s", len(asked), asked)
	}
	for i := 1; i < len(asked); i++ {
		if gap := asked[i] - asked[i-1]; gap > 31*time.Second {
			t.Errorf("gap %s between reconciliations, want at most 30s", gap)
		}
	}

	// The agent re-registers: the master's answer is TASK_RUNNING without labels or health.
	s.Now = t0.Add(71 * time.Second)
	s.Tasks[taskID] = plan.TaskStatus{TaskID: taskID, AgentID: n.GetAgentId(), State: plan.TaskRunning, Reason: "REASON_RECONCILIATION", At: s.Now, Since: s.Now}
	reconcileOnce(t, s)
	if got := s.Nodes["demo-2"]; got.GetMode() != before || got.GetLiveness() != cassmesosv1.Liveness_LIVENESS_UP || got.GetMessage() != "" || got.GetHostId() != n.GetHostId() {
		t.Errorf("after the re-registration: mode %s liveness %s message %q host %q", got.GetMode(), got.GetLiveness(), got.GetMessage(), got.GetHostId())
	}

	// Never re-registered: given up after 15 minutes, then lost as before.
	unknown(s.Now)
	s.Now = s.Now.Add(15*time.Minute + time.Second)
	reconcileOnce(t, s)
	if got := s.Nodes["demo-2"]; got.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_LOST || got.GetLostTime() == nil {
		t.Errorf("after 15 minutes of TASK_UNKNOWN: %s lost %v, want LOST", got.GetPhase(), got.GetLostTime())
	}
}

// Issue 17 item 5: the master's reconciliation answer (no labels, no health) after a daemon
// restart changes nothing the executor's labels said: mode, liveness and host ID stay recorded.
func TestReconciliationWithoutLabelsChangesNothing(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	s := w.State.Clone()
	want := map[string]*statev1.NodeRecord{}
	for name, n := range s.Nodes {
		want[name] = n
	}
	// Restarted: no status, no view yet, reconciliation under way.
	s.Tasks, s.Views, s.Reconciled = map[string]plan.TaskStatus{}, map[string]plan.NodeView{}, false
	for _, wr := range reconcileOnce(t, s).Writes {
		if wr.Kind == plan.RecordNode {
			t.Errorf("write of node %s before any status", wr.Name)
		}
	}
	s.Reconciled = true
	for _, n := range s.Nodes {
		s.Tasks[n.GetTaskId()] = plan.TaskStatus{TaskID: n.GetTaskId(), AgentID: n.GetAgentId(), State: plan.TaskRunning, Reason: "REASON_RECONCILIATION", At: s.Now}
	}
	p := reconcileOnce(t, s)
	for _, wr := range p.Writes {
		if wr.Kind == plan.RecordNode {
			t.Errorf("write of node %s on a label-less reconciliation", wr.Name)
		}
	}
	for name, n := range s.Nodes {
		if n.GetMode() != want[name].GetMode() || n.GetHostId() != want[name].GetHostId() || n.GetAddress() != want[name].GetAddress() || n.GetLiveness() != want[name].GetLiveness() {
			t.Errorf("%s changed: %v", name, n)
		}
	}
}

// Issue 17 item 2: an unreachable agent alone wants no offers (the same before and after a
// restart); an agent that comes back does, for a while, so its first offer is seen.
func TestUnreachableAgentAloneWantsNoOffers(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	s := w.State.Clone()
	s.Agents["gone-for-good"] = plan.Agent{ID: "gone-for-good", Reachable: false, Since: s.Now.Add(-time.Hour)}
	if p := reconcileOnce(t, s); p.WantOffers || p.AwaitAgents {
		t.Errorf("want %v await %v with only an unreachable agent", p.WantOffers, p.AwaitAgents)
	}
	s.Agents["gone-for-good"] = plan.Agent{ID: "gone-for-good", Reachable: true, Since: s.Now, Returned: s.Now}
	p := reconcileOnce(t, s)
	if !p.AwaitAgents || p.Wake.IsZero() {
		t.Errorf("await %v wake %v right after the agent returned", p.AwaitAgents, p.Wake)
	}
	s.Now = s.Now.Add(time.Minute)
	if p := reconcileOnce(t, s); p.AwaitAgents {
		t.Errorf("still awaiting a minute after the agent returned")
	}
}
