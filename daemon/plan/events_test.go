package plan

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	v1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func evSummary(ws []Write) []string {
	var out []string
	for _, w := range ws {
		if w.Kind != RecordEvent {
			panic("not an event write")
		}
		e := w.Event
		typ := "N"
		if e.GetType() == v1.EventType_EVENT_TYPE_WARNING {
			typ = "W"
		}
		out = append(out, typ+" "+e.GetReason()+" "+e.GetRing()+"/"+e.GetNode()+"/"+e.GetOperation()+": "+e.GetMessage())
	}
	return out
}

func nodeRec(name string, l v1.Liveness, m v1.CassandraMode) *statev1.NodeRecord {
	return &statev1.NodeRecord{Ring: "demo", Name: name, Liveness: l, Mode: m, Phase: v1.NodePhase_NODE_PHASE_RUNNING,
		TaskId: name + ".1.x", TaskState: "TASK_RUNNING"}
}

func TestEventWritesNodes(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := NewState()
	st.Now = now
	up := nodeRec("demo-1", v1.Liveness_LIVENESS_UP, v1.CassandraMode_CASSANDRA_MODE_NORMAL)
	joining := nodeRec("demo-2", v1.Liveness_LIVENESS_UP, v1.CassandraMode_CASSANDRA_MODE_JOINING)
	st.Nodes = map[string]*statev1.NodeRecord{"demo-1": up, "demo-2": joining}

	down := proto.Clone(up).(*statev1.NodeRecord)
	down.Liveness, down.TaskState, down.Message = v1.Liveness_LIVENESS_DOWN, "TASK_FAILED", "exited 137"
	joined := proto.Clone(joining).(*statev1.NodeRecord)
	joined.Mode = v1.CassandraMode_CASSANDRA_MODE_NORMAL
	loadOnly := proto.Clone(up).(*statev1.NodeRecord) // a write that changes no state
	loadOnly.LoadBytes = 12345
	fresh := &statev1.NodeRecord{Ring: "demo", Name: "demo-3", Seed: false}

	got := evSummary(EventWrites(st, []Write{
		{Kind: RecordNode, RingName: "demo", Name: "demo-1", Node: down},
		{Kind: RecordNode, RingName: "demo", Name: "demo-2", Node: joined},
		{Kind: RecordNode, RingName: "demo", Name: "demo-3", Node: fresh},
	}))
	want := []string{
		"W TaskFailed demo/demo-1/: task demo-1.1.x is TASK_FAILED: exited 137",
		"W NodeDown demo/demo-1/: node demo-1 is DN (was UN)",
		"N NodeUp demo/demo-2/: node demo-2 is UN (was UJ)",
		"N NodeCreated demo/demo-3/: slot demo-3 created",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if evs := EventWrites(st, []Write{{Kind: RecordNode, RingName: "demo", Name: "demo-1", Node: loadOnly}}); len(evs) != 0 {
		t.Fatalf("a load-only write gave events %v; want none", evSummary(evs))
	}
	// Unknown states are no news: a slot seen down before its first start, a lost node's mode.
	notStarted := &statev1.NodeRecord{Ring: "demo", Name: "demo-1"}
	seenDown := proto.Clone(notStarted).(*statev1.NodeRecord)
	seenDown.Liveness = v1.Liveness_LIVENESS_DOWN
	unknownLiveness := proto.Clone(up).(*statev1.NodeRecord)
	unknownLiveness.Liveness = v1.Liveness_LIVENESS_UNSPECIFIED
	for _, c := range []struct{ old, new *statev1.NodeRecord }{{notStarted, seenDown}, {up, unknownLiveness}} {
		s := st.Clone()
		s.Nodes = map[string]*statev1.NodeRecord{"demo-1": c.old}
		if evs := EventWrites(s, []Write{{Kind: RecordNode, RingName: "demo", Name: "demo-1", Node: c.new}}); len(evs) != 0 {
			t.Fatalf("%s -> %s gave events %v; want none", NodeStateCode(c.old), NodeStateCode(c.new), evSummary(evs))
		}
	}
	ws := EventWrites(st, []Write{{Kind: RecordNode, RingName: "demo", Name: "demo-1", Node: down}})
	if ts := ws[0].Event.GetTime().AsTime(); !ts.Equal(now) {
		t.Fatalf("event time %v; want the pass's now %v", ts, now)
	}

	lost := proto.Clone(down).(*statev1.NodeRecord)
	lost.Phase, lost.Message, lost.TaskState = v1.NodePhase_NODE_PHASE_LOST, "agent a1 is gone", "TASK_FAILED"
	st.Nodes["demo-1"] = down
	got = evSummary(EventWrites(st, []Write{{Kind: RecordNode, RingName: "demo", Name: "demo-1", Node: lost},
		{Kind: RecordNode, Delete: true, RingName: "demo", Name: "demo-2"}}))
	want = []string{"W NodeLost demo/demo-1/: node demo-1 lost: agent a1 is gone", "N NodeRemoved demo/demo-2/: node demo-2 removed"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEventWritesOperations(t *testing.T) {
	st := NewState()
	st.Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	op := func(kind v1.OperationKind, phase v1.OperationPhase, steps ...*v1.Step) *statev1.OperationRecord {
		return &statev1.OperationRecord{Operation: &v1.Operation{Id: "20260301-120000-a", Ring: "demo", Kind: kind, Phase: phase,
			Params: &v1.OperationParams{Nodes: []string{"demo-2"}}, Steps: steps, Error: "boom", BlockedReason: "demo-1 is DN",
			Progress: &v1.Progress{Done: 7, Total: 8}}}
	}
	step := func(p v1.StepPhase) *v1.Step {
		return &v1.Step{Name: "replace demo-2", Node: "demo-2", Phase: p, LastError: "no offer"}
	}
	replace := v1.OperationKind_OPERATION_KIND_REPLACE_NODE
	cases := []struct {
		name     string
		old, new *statev1.OperationRecord
		want     []string
	}{
		{"created", nil, op(replace, v1.OperationPhase_OPERATION_PHASE_PENDING, step(v1.StepPhase_STEP_PHASE_PENDING)),
			[]string{"N OperationCreated demo/demo-2/20260301-120000-a: replace-node demo-2 (20260301-120000-a) created (1 steps)"}},
		{"started", op(replace, v1.OperationPhase_OPERATION_PHASE_PENDING), op(replace, v1.OperationPhase_OPERATION_PHASE_RUNNING),
			[]string{"N OperationStarted demo/demo-2/20260301-120000-a: replace-node demo-2 (20260301-120000-a) started"}},
		{"unblocked is not started again", op(replace, v1.OperationPhase_OPERATION_PHASE_BLOCKED), op(replace, v1.OperationPhase_OPERATION_PHASE_RUNNING), nil},
		{"blocked", op(replace, v1.OperationPhase_OPERATION_PHASE_RUNNING), op(replace, v1.OperationPhase_OPERATION_PHASE_BLOCKED),
			[]string{"W OperationBlocked demo/demo-2/20260301-120000-a: replace-node demo-2 (20260301-120000-a) blocked: demo-1 is DN"}},
		{"replaced", op(replace, v1.OperationPhase_OPERATION_PHASE_RUNNING), op(replace, v1.OperationPhase_OPERATION_PHASE_SUCCEEDED),
			[]string{"N NodeReplaced demo/demo-2/20260301-120000-a: replace-node demo-2 (20260301-120000-a) succeeded: node replaced"}},
		{"step failed", op(replace, v1.OperationPhase_OPERATION_PHASE_RUNNING, step(v1.StepPhase_STEP_PHASE_RUNNING)),
			op(replace, v1.OperationPhase_OPERATION_PHASE_FAILED, step(v1.StepPhase_STEP_PHASE_FAILED)),
			[]string{"W OperationFailed demo/demo-2/20260301-120000-a: replace-node demo-2 (20260301-120000-a) failed: boom",
				"W StepFailed demo/demo-2/20260301-120000-a: step replace demo-2 failed: no offer"}},
		{"repair started", op(v1.OperationKind_OPERATION_KIND_REPAIR, v1.OperationPhase_OPERATION_PHASE_PENDING),
			op(v1.OperationKind_OPERATION_KIND_REPAIR, v1.OperationPhase_OPERATION_PHASE_RUNNING),
			[]string{"N RepairStarted demo/demo-2/20260301-120000-a: repair 20260301-120000-a started"}},
		{"repair finished", op(v1.OperationKind_OPERATION_KIND_REPAIR, v1.OperationPhase_OPERATION_PHASE_RUNNING),
			op(v1.OperationKind_OPERATION_KIND_REPAIR, v1.OperationPhase_OPERATION_PHASE_SUCCEEDED),
			[]string{"N RepairFinished demo/demo-2/20260301-120000-a: repair 20260301-120000-a finished (7/8)"}},
		{"repair failed", op(v1.OperationKind_OPERATION_KIND_REPAIR, v1.OperationPhase_OPERATION_PHASE_RUNNING),
			op(v1.OperationKind_OPERATION_KIND_REPAIR, v1.OperationPhase_OPERATION_PHASE_FAILED),
			[]string{"W RepairFailed demo/demo-2/20260301-120000-a: repair 20260301-120000-a failed: boom"}},
		{"unchanged", op(replace, v1.OperationPhase_OPERATION_PHASE_RUNNING), op(replace, v1.OperationPhase_OPERATION_PHASE_RUNNING), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := st.Clone()
			s.Operations = map[string]*statev1.OperationRecord{}
			if c.old != nil {
				s.Operations[c.old.GetOperation().GetId()] = c.old
			}
			got := evSummary(EventWrites(s, []Write{{Kind: RecordOperation, RingName: "demo", Name: c.new.GetOperation().GetId(), Operation: c.new}}))
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestEventWritesFromAPass: a real CreateRing pass tells of the ring, its slots and its operation,
// and State.Apply ignores event writes.
func TestEventWritesFromAPass(t *testing.T) {
	p := New(Config{}, &seqIDs{})
	st := NewState()
	st.Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	acc, err := p.Submit(st, CreateRing{Spec: &v1.RingSpec{Name: "demo", Nodes: 3, Seeds: 1,
		Resources: &v1.Resources{Cpus: 1, MemMb: 2048, DiskMb: 1024}}})
	if err != nil {
		t.Fatal(err)
	}
	evs := EventWrites(st, acc.Plan.Writes)
	reasons := map[string]int{}
	for _, w := range evs {
		reasons[w.Event.GetReason()]++
	}
	if reasons[ReasonRingCreated] != 1 || reasons[ReasonNodeCreated] != 3 || reasons[ReasonOperationCreated] != 1 || len(evs) != 5 {
		t.Fatalf("events of a CreateRing pass: %v; want RingCreated, 3 NodeCreated, OperationCreated", evSummary(evs))
	}
	before := len(st.Rings)
	st.Apply(evs)
	if len(st.Rings) != before || len(st.Nodes) != 0 {
		t.Fatalf("Apply of event writes changed the state")
	}
}
