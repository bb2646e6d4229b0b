package engine_test

import (
	"context"
	"testing"
	"time"

	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func (w *world) task(id string) plan.TaskStatus {
	w.t.Helper()
	w.settle()
	var st plan.TaskStatus
	if err := w.eng.Read(context.Background(), func(s *plan.State) { st = s.Tasks[id] }); err != nil {
		w.t.Fatal(err)
	}
	return st
}

// Issue 17 items 1 and 5: the master's statuses (TASK_UNKNOWN during a failover, then the
// reconciliation answer) carry no labels; the executor's mode, host ID and health are kept, and a
// run of TASK_UNKNOWN answers keeps the time it began.
func TestMasterStatusesKeepTheExecutorsLabels(t *testing.T) {
	w := newWorld(t)
	t0 := time.Now()
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t1", AgentID: "a1", State: plan.TaskRunning, Healthy: true,
		Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL, HostID: "h1", At: t0}, Ack: &mesosadapter.Ack{AgentID: "a1", TaskID: "t1", UUID: []byte("0123456789abcdef")}}
	for i := range 3 {
		w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t1", AgentID: "a1", State: plan.TaskUnknown, Reason: "REASON_RECONCILIATION", At: t0.Add(time.Duration(i+1) * time.Second)}}
	}
	st := w.task("t1")
	if st.State != plan.TaskUnknown || !st.Since.Equal(t0.Add(time.Second)) || !st.At.Equal(t0.Add(3*time.Second)) {
		t.Errorf("after three TASK_UNKNOWN: %s since %v at %v, want since the first (+1s), at the last (+3s)", st.State, st.Since.Sub(t0), st.At.Sub(t0))
	}
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t1", AgentID: "a1", State: plan.TaskRunning, Reason: "REASON_RECONCILIATION", At: t0.Add(4 * time.Second)}}
	st = w.task("t1")
	if st.State != plan.TaskRunning || st.Mode != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL || st.HostID != "h1" || !st.Healthy {
		t.Errorf("after the label-less reconciliation answer: %+v, want RUNNING, NORMAL, h1, healthy", st)
	}
}

// Issue 17 item 2: an agent known unreachable that sends an update of its own again (even a
// terminal one, re-sent after a restart) has returned: the planner sees when.
func TestAgentReturnsOnItsOwnUpdate(t *testing.T) {
	w := newWorld(t)
	w.events <- mesosadapter.Event{Subscription: 1, Failure: &mesosadapter.Failure{AgentID: "a1"}}
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t1", AgentID: "a1", State: plan.TaskFailed, At: time.Now()},
		Ack: &mesosadapter.Ack{AgentID: "a1", TaskID: "t1", UUID: []byte("0123456789abcdef")}}
	w.settle()
	var a plan.Agent
	if err := w.eng.Read(context.Background(), func(s *plan.State) { a = s.Agents["a1"] }); err != nil {
		t.Fatal(err)
	}
	if !a.Reachable || a.Returned.IsZero() {
		t.Errorf("agent after its own update: %+v, want reachable and returned", a)
	}
}

// A TASK_GONE the master answers in reconciliation (REASON_RECONCILIATION) means the task is
// unknown to its registered agent, not that the agent was removed: the agent stays usable. (The
// chaos suite found a restart blocked for good on "agent ... is gone" after a failover.) A
// TASK_GONE for a removed agent, or TASK_GONE_BY_OPERATOR, still marks it gone.
func TestReconciledTaskGoneLeavesTheAgentAlone(t *testing.T) {
	w := newWorld(t)
	now := time.Now()
	agent := func(id string) plan.Agent {
		w.settle()
		var a plan.Agent
		if err := w.eng.Read(context.Background(), func(s *plan.State) { a = s.Agents[id] }); err != nil {
			t.Fatal(err)
		}
		return a
	}
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t1", AgentID: "a1", State: plan.TaskRunning, At: now},
		Ack: &mesosadapter.Ack{AgentID: "a1", TaskID: "t1", UUID: []byte("0123456789abcdef")}}
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t0", AgentID: "a1", State: plan.TaskGone, Reason: "REASON_RECONCILIATION", At: now.Add(time.Second)}}
	if a := agent("a1"); a.Gone || !a.Reachable {
		t.Fatalf("agent after a reconciliation TASK_GONE of a task it does not know: %+v, want reachable, not gone", a)
	}
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t1", AgentID: "a1", State: plan.TaskGone, Reason: "REASON_AGENT_REMOVED", At: now.Add(2 * time.Second)}}
	if a := agent("a1"); !a.Gone {
		t.Fatalf("agent after TASK_GONE (REASON_AGENT_REMOVED): %+v, want gone", a)
	}
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t2", AgentID: "a2", State: plan.TaskGoneByOperator, Reason: "REASON_RECONCILIATION", At: now}}
	if a := agent("a2"); !a.Gone {
		t.Fatalf("agent after TASK_GONE_BY_OPERATOR: %+v, want gone", a)
	}
}
