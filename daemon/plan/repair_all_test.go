package plan

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// A repair without a keyspace lists the ring's keyspaces through a UN node, records the
// non-system ones in the operation (written in the pass that describes the first, so before the
// describe is sent), then repairs them one after another, each covering every token once. A
// planner restarted from the stored records does not list them again: a keyspace created after
// the start is not repaired by this run.
func TestRepairEveryKeyspace(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := unRing(4, now)
	p := New(Config{}, &seqIDs{})
	acc, err := p.Submit(s, RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{Parallel: 2, SegmentsPerNode: 2}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	id := acc.Operation.GetOperation().GetId()
	if name := acc.Operation.GetOperation().GetSteps()[0].GetName(); !strings.Contains(name, "every non-system keyspace") {
		t.Errorf("step name %q", name)
	}

	// 1. The keyspaces are listed first; nothing is described before.
	pl := step(p, s)
	ls := relaysOf(pl, RelayListKeyspaces)
	if len(ls) != 1 || len(relaysOf(pl, RelayDescribeRing)) != 0 || ls[0].Node == "" {
		t.Fatalf("want one keyspace listing and no describe, got %v", pl.Actions)
	}
	// A failed listing is retried under a new relay ID.
	s.Relays[ls[0].ID] = RelayResult{Done: true, Err: "JMX connection refused"}
	var ls2 []Relay
	for i := 0; i < 3 && len(ls2) == 0; i++ {
		s.Now = s.Now.Add(time.Second)
		ls2 = relaysOf(step(p, s), RelayListKeyspaces)
	}
	if len(ls2) != 1 || ls2[0].ID == ls[0].ID {
		t.Fatalf("no retry of the listing: %v", pl.Actions)
	}
	s.Relays[ls2[0].ID] = RelayResult{Done: true, Keyspaces: []KeyspaceInfo{
		{Name: "system", System: true}, {Name: "shop"}, {Name: "system_auth", System: true}, {Name: "audit"}, {Name: "system_distributed", System: true},
	}}
	pl = step(p, s)
	// 2. The resolved list is in the operation record written by the pass that sends the first
	// describe (the engine persists a pass's writes before its actions).
	var written *statev1.OperationRecord
	for _, w := range pl.Writes {
		if w.Kind == RecordOperation && w.Name == id {
			written = w.Operation
		}
	}
	if written == nil || strings.Join(written.GetState().GetKeyspaces(), ",") != "audit,shop" || !written.GetState().GetKeyspacesResolved() {
		t.Fatalf("resolved keyspaces not written with the pass: %v", written.GetState())
	}
	d := relaysOf(pl, RelayDescribeRing)
	if len(d) != 1 || d[0].Keyspace != "audit" {
		t.Fatalf("want a describe of audit, got %v", pl.Actions)
	}

	// 3. A restarted planner (state reloaded from the records) goes on with the same list.
	p = New(Config{}, &seqIDs{n: 100})
	s.Operations[id] = proto.Clone(s.Operations[id]).(*statev1.OperationRecord)

	ranges := ringRanges(rand.New(rand.NewPCG(3, 3)), 4, 4, 3)
	repaired := map[string][]span{}
	described := map[string]int{}
	for round := 0; round < 400; round++ {
		s.Now = s.Now.Add(10 * time.Second)
		pl = step(p, s)
		if len(relaysOf(pl, RelayListKeyspaces)) > 0 {
			t.Fatalf("round %d: keyspaces listed again", round)
		}
		if opFinished(s.Operations[id].GetOperation().GetPhase()) {
			break
		}
		for _, r := range relaysOf(pl, RelayDescribeRing) {
			if _, ok := s.Relays[r.ID]; !ok {
				described[r.Keyspace]++
				s.Relays[r.ID] = RelayResult{Done: true, Ranges: ranges}
			}
		}
		for _, r := range relaysOf(pl, RelayRepair) {
			if _, ok := s.Relays[r.ID]; !ok {
				s.Relays[r.ID] = RelayResult{Done: true}
			}
		}
	}
	o := s.Operations[id].GetOperation()
	if o.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		t.Fatalf("repair ended %v: %s", o.GetPhase(), o.GetError())
	}
	if described["audit"] != 1 || described["shop"] != 1 || len(described) != 2 {
		t.Errorf("describes per keyspace %v, want audit and shop once each", described)
	}
	for _, sg := range s.Segments[id] {
		g := sg.GetSegment()
		if g.GetPhase() != segDone {
			t.Errorf("segment %d of %s ended %v", g.GetIndex(), sg.GetKeyspace(), g.GetPhase())
		}
		repaired[sg.GetKeyspace()] = append(repaired[sg.GetKeyspace()], segmentSpans(g.GetStartToken(), g.GetEndToken())...)
	}
	var kss []string
	for ks, spans := range repaired {
		kss = append(kss, ks)
		checkExact(t, spans)
	}
	sort.Strings(kss)
	if strings.Join(kss, ",") != "audit,shop" {
		t.Errorf("repaired keyspaces %v", kss)
	}
}

// A ring with only system keyspaces: the run succeeds at once, saying there was nothing to do.
func TestRepairEveryKeyspaceNothingToDo(t *testing.T) {
	s := unRing(3, time.Unix(1_700_000_000, 0))
	p := New(Config{}, &seqIDs{})
	acc, err := p.Submit(s, RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	id := acc.Operation.GetOperation().GetId()
	pl := step(p, s)
	for _, r := range relaysOf(pl, RelayListKeyspaces) {
		s.Relays[r.ID] = RelayResult{Done: true, Keyspaces: []KeyspaceInfo{{Name: "system", System: true}, {Name: "system_auth", System: true}}}
	}
	pl = step(p, s)
	o := s.Operations[id].GetOperation()
	if o.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED || len(relaysOf(pl, RelayDescribeRing)) > 0 {
		t.Fatalf("phase %v, actions %v", o.GetPhase(), pl.Actions)
	}
	if msg := o.GetSteps()[0].GetMessage(); !strings.Contains(msg, "nothing to repair") {
		t.Errorf("step message %q", msg)
	}
}
