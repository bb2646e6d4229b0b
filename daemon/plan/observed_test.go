package plan_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// A new leader shows a node's recorded state with its age until the node's executor (labels or
// health) or Cassandra's view reports it; the master's label-free reconciliation answer does not
// make it live.
func TestObservedSource(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	changed := t0.Add(-12 * time.Minute)
	n := &statev1.NodeRecord{Ring: "r", Name: "r-0", TaskId: "r-0.1.x", Liveness: cassmesosv1.Liveness_LIVENESS_UP,
		Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL, TaskState: "TASK_RUNNING", StateTime: timestamppb.New(changed),
		Phase: cassmesosv1.NodePhase_NODE_PHASE_RUNNING}
	s := plan.NewState()
	s.Nodes[n.GetName()] = n

	if live, at := s.Observed(n); live || !at.Equal(changed) {
		t.Fatalf("no status, no view: live=%v at=%v, want recorded at %v", live, at, changed)
	}
	// The master's answer to reconciliation: no labels, no health.
	s.Tasks[n.GetTaskId()] = plan.TaskStatus{TaskID: n.GetTaskId(), State: plan.TaskRunning, At: t0}
	if live, _ := s.Observed(n); live {
		t.Fatal("a label-free reconciliation answer counted as live")
	}
	// The executor's status with its labels.
	s.Tasks[n.GetTaskId()] = plan.TaskStatus{TaskID: n.GetTaskId(), State: plan.TaskRunning, Healthy: true,
		Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL, At: t0.Add(time.Second)}
	if live, at := s.Observed(n); !live || !at.Equal(t0.Add(time.Second)) {
		t.Fatalf("executor status: live=%v at=%v", live, at)
	}
	// Cassandra's view, newer than the status, gives the time.
	s.Views[n.GetName()] = plan.NodeView{Liveness: cassmesosv1.Liveness_LIVENESS_UP, Reporters: 1, Up: 1, At: t0.Add(3 * time.Second)}
	if live, at := s.Observed(n); !live || !at.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("view: live=%v at=%v", live, at)
	}
	// A view alone (no status yet) is live too.
	delete(s.Tasks, n.GetTaskId())
	if live, _ := s.Observed(n); !live {
		t.Fatal("a view alone did not count as live")
	}
	// No state time recorded (a record of an older daemon): recorded, time unknown.
	old := &statev1.NodeRecord{Ring: "r", Name: "r-1", Liveness: cassmesosv1.Liveness_LIVENESS_UP}
	if live, at := s.Observed(old); live || !at.IsZero() {
		t.Fatalf("old record: live=%v at=%v", live, at)
	}
}

// observeNode stamps state_time when liveness, mode or task state change, and only then.
func TestStateTimeWrittenOnChangeOnly(t *testing.T) {
	p := plan.New(plan.Config{}, &countIDs{})
	s := plan.NewState()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now, s.Reconciled = t0, true
	acc, err := p.Submit(s, plan.CreateRing{Spec: spec("r", 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	n := s.Nodes["r-0"]
	if n == nil {
		t.Fatal("no node r-0 after CreateRing")
	}
	n.TaskId, n.Phase, n.Liveness, n.TaskState = "r-0.1.x", cassmesosv1.NodePhase_NODE_PHASE_RUNNING, cassmesosv1.Liveness_LIVENESS_DOWN, "TASK_RUNNING"
	s.Tasks[n.GetTaskId()] = plan.TaskStatus{TaskID: n.GetTaskId(), State: plan.TaskRunning, Healthy: true,
		Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL, At: t0}
	stamped := func() *statev1.NodeRecord {
		for _, w := range p.Reconcile(s).Writes {
			if w.Kind == plan.RecordNode && w.Name == "r-0" {
				if w.Node == nil {
					return nil
				}
				return w.Node
			}
		}
		return nil
	}
	w := stamped()
	if w == nil || w.GetLiveness() != cassmesosv1.Liveness_LIVENESS_UP || !w.GetStateTime().AsTime().Equal(t0) {
		t.Fatalf("DN → UN: write %v, want UN with state_time %v", w, t0)
	}
	s.Nodes["r-0"] = w
	s.Now = t0.Add(time.Minute)
	s.Tasks[n.GetTaskId()] = plan.TaskStatus{TaskID: n.GetTaskId(), State: plan.TaskRunning, Healthy: true,
		Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL, At: s.Now}
	if w2 := stamped(); w2 != nil && !w2.GetStateTime().AsTime().Equal(t0) {
		t.Fatalf("a repeated UN status restamped state_time: %v", w2.GetStateTime().AsTime())
	}
}
