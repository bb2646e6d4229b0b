package plan

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Records that decode but do not agree with their key or with each other, as a new leader may
// load them: planning passes and offers go on without a panic; a record the planner cannot act on
// is reported (Plan.Problems, its ring's warnings, or its operation's blocked reason) and never
// written.
func TestInconsistentRecordsAreSkipped(t *testing.T) {
	now := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	repairOp := func(s *State) *statev1.OperationRecord {
		return &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op-r", Kind: cassmesosv1.OperationKind_OPERATION_KIND_REPAIR, Ring: "demo",
			Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING, Steps: []*cassmesosv1.Step{newStep(stepRepair, "")}}, Cursor: map[string]string{}}
	}
	for _, tc := range []struct {
		name   string
		break_ func(s *State)
		// record the problem names ("" when none is expected), ring whose warnings show it
		record, ring string
	}{
		{"operation without its operation", func(s *State) { s.Operations["op-x"] = &statev1.OperationRecord{} }, "operation op-x", ""},
		{"operation under another ID", func(s *State) {
			s.Operations["op-x"] = &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op-y", Ring: "demo",
				Kind: cassmesosv1.OperationKind_OPERATION_KIND_RESTART_RING, Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING,
				Steps: []*cassmesosv1.Step{newStep(stepRestart, "demo-0")}}}
		}, "operation op-x", "demo"},
		{"operation whose step index is past its steps", func(s *State) {
			s.Operations["op-x"] = &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op-x", Ring: "demo",
				Kind: cassmesosv1.OperationKind_OPERATION_KIND_RESTART_RING, Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING,
				Steps: []*cassmesosv1.Step{{Name: "restart demo-0", Node: "demo-0", Phase: cassmesosv1.StepPhase_STEP_PHASE_DONE}}},
				Cursor: map[string]string{"7.holds": "1", "3.relay_id": "x"}}
		}, "", ""},
		{"step naming a node that does not exist", func(s *State) {
			s.Operations["op-x"] = &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op-x", Ring: "demo",
				Kind: cassmesosv1.OperationKind_OPERATION_KIND_DECOMMISSION_NODE, Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING,
				Steps: []*cassmesosv1.Step{newStep(stepDecommission, "ghost"), newStep(stepRemove, ""), {Name: "", Phase: 99}}}}
		}, "", ""},
		{"node naming a ring that does not exist", func(s *State) {
			n := proto.Clone(s.Nodes["demo-2"]).(*statev1.NodeRecord)
			n.Ring = "ghost"
			s.Nodes["demo-2"] = n
		}, "node demo-2", ""},
		{"node under another name", func(s *State) {
			s.Nodes["demo-9"] = proto.Clone(s.Nodes["demo-2"]).(*statev1.NodeRecord)
		}, "node demo-9", "demo"},
		{"node with empty names", func(s *State) { s.Nodes[""] = &statev1.NodeRecord{} }, "node ", ""},
		{"node with a reservation but no agent", func(s *State) {
			n := proto.Clone(s.Nodes["demo-1"]).(*statev1.NodeRecord)
			n.AgentId, n.Reservation = "", &statev1.Reservation{PersistenceId: "v1", Resources: &cassmesosv1.Resources{Cpus: -1, MemMb: math.MaxInt64}}
			n.Phase = cassmesosv1.NodePhase_NODE_PHASE_RESTARTING
			s.Nodes["demo-1"] = n
		}, "", ""},
		{"duplicate task IDs", func(s *State) {
			n := proto.Clone(s.Nodes["demo-1"]).(*statev1.NodeRecord)
			n.TaskId = s.Nodes["demo-0"].GetTaskId()
			s.Nodes["demo-1"] = n
		}, "", ""},
		{"negative and huge counts", func(s *State) {
			r := proto.Clone(s.Rings["demo"]).(*statev1.RingRecord)
			r.Spec.Nodes, r.Spec.Seeds, r.NextOrdinal, r.Generation = -3, math.MaxInt32, math.MinInt32, math.MaxInt64
			s.Rings["demo"] = r
			n := proto.Clone(s.Nodes["demo-0"]).(*statev1.NodeRecord)
			n.Incarnation, n.Ordinal, n.Restarts = math.MaxInt32, -1, math.MaxInt32
			s.Nodes["demo-0"] = n
		}, "", ""},
		{"ring under another name", func(s *State) {
			r := proto.Clone(s.Rings["demo"]).(*statev1.RingRecord)
			r.Spec.Name = "other"
			s.Rings["demo"] = r
		}, "ring demo", ""},
		{"ring without its spec", func(s *State) { s.Rings["demo"] = &statev1.RingRecord{} }, "ring demo", ""},
		{"repair without segments", func(s *State) {
			o := repairOp(s)
			o.Operation.Params = &cassmesosv1.OperationParams{Repair: RepairDefaults(&cassmesosv1.RepairParams{Keyspace: "ks"})}
			o.Cursor["0.recompute"] = "1"
			s.Operations["op-r"] = o
		}, "", ""},
		{"repair without its parameters", func(s *State) {
			o := repairOp(s)
			o.Operation.Params = &cassmesosv1.OperationParams{}
			s.Operations["op-r"] = o
		}, "operation op-r", ""}, // blocked with the reason: TestRepairWithoutParametersIsBlockedUntilRepaired
		{"segment under another index", func(s *State) {
			o := repairOp(s)
			o.Operation.Params = &cassmesosv1.OperationParams{Repair: RepairDefaults(&cassmesosv1.RepairParams{Keyspace: "ks"})}
			s.Operations["op-r"] = o
			s.Segments["op-r"] = map[int32]*statev1.SegmentRecord{3: {Segment: &cassmesosv1.RepairSegment{Index: 4}}, 5: {}}
		}, "segment op-r/3", "demo"},
		{"schedule without its schedule", func(s *State) { s.Schedules["s-1"] = &statev1.ScheduleRecord{} }, "schedule s-1", ""},
		{"schedule without parameters", func(s *State) {
			s.Schedules["s-1"] = &statev1.ScheduleRecord{Schedule: &cassmesosv1.RepairSchedule{Id: "s-1", Ring: "demo", Cron: "@daily"}}
		}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := unRing(3, now)
			tc.break_(s)
			p := New(Config{Location: time.UTC}, &seqIDs{})
			pl := p.Reconcile(s)
			offers := []Offer{{ID: "o1", AgentID: "a0", Hostname: "h0", Address: "10.0.0.1"}}
			mo := p.MatchOffers(s, offers)
			if tc.record == "" {
				return
			}
			found := false
			for _, pr := range pl.Problems {
				found = found || pr.Record == tc.record
			}
			if !found {
				t.Fatalf("problems %v do not name %s", pl.Problems, tc.record)
			}
			for _, w := range append(pl.Writes, mo.Writes...) {
				// (A repair without its parameters is written blocked, with the reason.)
				if k := writeRecord(w); k == tc.record && k != "operation op-r" {
					t.Errorf("the skipped record was written: %+v", w)
				}
			}
			if tc.ring != "" {
				s.Apply(pl.Writes)
				if ws := strings.Join(s.Rings[tc.ring].GetStatus().GetWarnings(), "\n"); !strings.Contains(ws, "inconsistent record skipped: "+tc.record) {
					t.Errorf("ring %s warnings %q do not name %s", tc.ring, ws, tc.record)
				}
			}
		})
	}
}

// writeRecord names the record a write touches, as Problem.Record does.
func writeRecord(w Write) string {
	switch w.Kind {
	case RecordRing:
		return "ring " + w.Name
	case RecordNode:
		return "node " + w.Name
	case RecordOperation:
		return "operation " + w.Name
	case RecordSegment:
		return fmt.Sprintf("segment %s/%d", w.Name, w.Segment.GetSegment().GetIndex())
	case RecordSchedule:
		return "schedule " + w.Name
	}
	return ""
}

// A repair whose record lost its parameters is blocked with the reason, everything else of the
// record kept; once the record is repaired it runs again.
func TestRepairWithoutParametersIsBlockedUntilRepaired(t *testing.T) {
	now := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	s := unRing(3, now)
	p := New(Config{Location: time.UTC}, &seqIDs{})
	acc, err := p.Submit(s, RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	id := acc.Operation.GetOperation().GetId()
	if pl := step(p, s); len(relaysOf(pl, RelayDescribeRing)) != 1 {
		t.Fatalf("the repair did not start: %v", pl.Actions)
	}
	good := s.Operations[id]
	bad := proto.Clone(good).(*statev1.OperationRecord)
	bad.Operation.Params.Repair = nil
	s.Operations[id] = bad
	s.Relays = map[string]RelayResult{} // a new leader: the describe is asked again
	pl := step(p, s)
	o := s.Operations[id].GetOperation()
	if o.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED || !strings.Contains(o.GetBlockedReason(), "params.repair") {
		t.Fatalf("phase %v, reason %q", o.GetPhase(), o.GetBlockedReason())
	}
	if len(relaysOf(pl, RelayDescribeRing)) != 0 {
		t.Fatalf("a repair without parameters relayed %v", pl.Actions)
	}
	w := proto.Clone(s.Operations[id]).(*statev1.OperationRecord)
	w.Operation.Phase, w.Operation.BlockedReason = bad.GetOperation().GetPhase(), bad.GetOperation().GetBlockedReason()
	if !proto.Equal(w, bad) {
		t.Errorf("more than the phase and reason changed:\n%v\n%v", w, bad)
	}
	if len(step(p, s).Writes) != 0 {
		t.Error("a blocked inconsistent operation is rewritten on every pass")
	}
	// Repaired: it runs again.
	fixed := proto.Clone(s.Operations[id]).(*statev1.OperationRecord)
	fixed.Operation.Params = good.GetOperation().GetParams()
	s.Operations[id] = fixed
	if pl := step(p, s); len(relaysOf(pl, RelayDescribeRing)) != 1 || s.Operations[id].GetOperation().GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING {
		t.Fatalf("the repaired repair did not resume: %v, %v", s.Operations[id].GetOperation().GetPhase(), pl.Actions)
	}
}

// A request whose writes would land on a skipped record is refused, naming it, rather than
// half-applied.
func TestRequestOverSkippedRecordIsRefused(t *testing.T) {
	s := unRing(3, time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC))
	s.Rings["demo"] = &statev1.RingRecord{}
	p := New(Config{}, &seqIDs{})
	_, err := p.Submit(s, CreateRing{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 3}})
	if !errors.Is(err, ErrPrecondition) || !strings.Contains(err.Error(), "ring demo: no spec") {
		t.Fatalf("err %v, want ErrPrecondition naming ring demo", err)
	}
}

func TestStepKindIsTypedNotTheName(t *testing.T) {
	// A step is dispatched on its kind; the name is free text for people.
	s := namedStep(stepDecommission, "bootstrap demo-1 (renamed for display)", "demo-1")
	if got := stepKind(s); got != stepDecommission {
		t.Fatalf("stepKind = %v, want %v: the display name must not decide the kind", got, stepDecommission)
	}
	// A record written before kinds existed carries no kind: its name's first word names it.
	legacy := &cassmesosv1.Step{Name: "replace demo-2", Node: "demo-2"}
	if got := stepKind(legacy); got != stepReplace {
		t.Fatalf("legacy stepKind = %v, want %v", got, stepReplace)
	}
	if got := stepKind(&cassmesosv1.Step{Name: "frobnicate demo-2"}); got != cassmesosv1.StepKind_STEP_KIND_UNSPECIFIED {
		t.Fatalf("unknown legacy word: stepKind = %v, want UNSPECIFIED", got)
	}
	for k, w := range stepWords {
		if handlers[k] == nil {
			t.Errorf("step kind %v (%q) has no handler", k, w)
		}
		if n := newStep(k, "demo-0"); n.GetKind() != k || n.GetName() != w+" demo-0" {
			t.Errorf("newStep(%v) = %v", k, n)
		}
	}
	for k := range cassmesosv1.StepKind_name {
		kind := cassmesosv1.StepKind(k)
		if kind != cassmesosv1.StepKind_STEP_KIND_UNSPECIFIED && stepWords[kind] == "" {
			t.Errorf("step kind %v has no display word", kind)
		}
	}
	for k := range cassmesosv1.OperationKind_name {
		kind := cassmesosv1.OperationKind(k)
		if _, ok := opRules[kind]; !ok && kind != cassmesosv1.OperationKind_OPERATION_KIND_UNSPECIFIED {
			t.Errorf("operation kind %v has no row in opRules", kind)
		}
	}
}
