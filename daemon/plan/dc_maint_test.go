package plan

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// twoDCRing is unRing with nodes 0..2 in dc1 and 3..5 in dc2.
func twoDCRing(now time.Time) *State {
	s := unRing(6, now)
	for name, n := range s.Nodes {
		n.Datacenter = "dc1"
		if n.GetOrdinal() >= 3 {
			n.Datacenter = "dc2"
		}
		s.Nodes[name] = n
	}
	return s
}

// repair --dc plans its segments over that data centre's replicas only, coordinated by one of
// them, and relays nodetool repair -dc; cleanup --dc cleans that data centre's nodes only; an
// unknown data centre is refused naming the ring's.
func TestRepairAndCleanupInOneDataCenter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := twoDCRing(now)
	p := New(Config{}, &seqIDs{})
	if _, err := p.Submit(s, RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks", Datacenter: "dc9"}}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "dc1, dc2") {
		t.Fatalf("unknown dc: %v", err)
	}
	if _, err := p.Submit(s, RunCleanup{Ring: "demo", Params: &cassmesosv1.CleanupParams{Datacenter: "bad=dc"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad dc name: %v", err)
	}
	acc, err := p.Submit(s, RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks", SegmentsPerNode: 2, Datacenter: "dc2"}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	id := acc.Operation.GetOperation().GetId()
	pl := step(p, s)
	d := relaysOf(pl, RelayDescribeRing)
	if len(d) != 1 {
		t.Fatalf("want one describering, got %v", pl.Actions)
	}
	s.Relays[d[0].ID] = RelayResult{Done: true, Ranges: ringRanges(rand.New(rand.NewPCG(3, 3)), 6, 4, 3)}
	pl = step(p, s)
	inDC2 := map[string]bool{"10.0.0.4": true, "10.0.0.5": true, "10.0.0.6": true}
	if len(s.Segments[id]) == 0 {
		t.Fatalf("no segments planned")
	}
	for _, seg := range s.Segments[id] {
		sg := seg.GetSegment()
		for _, a := range sg.GetReplicas() {
			if !inDC2[a] {
				t.Fatalf("segment %d has replica %s outside dc2: %v", sg.GetIndex(), a, sg.GetReplicas())
			}
		}
		if co := s.Nodes[sg.GetCoordinator()]; co.GetDatacenter() != "dc2" {
			t.Fatalf("segment %d coordinated by %s of %s", sg.GetIndex(), sg.GetCoordinator(), co.GetDatacenter())
		}
	}
	rs := relaysOf(pl, RelayRepair)
	if len(rs) == 0 {
		pl = step(p, s)
		rs = relaysOf(pl, RelayRepair)
	}
	if len(rs) == 0 {
		t.Fatalf("no repair relayed: %v", pl.Actions)
	}
	for _, r := range rs {
		if r.Datacenter != "dc2" || s.Nodes[r.Node].GetDatacenter() != "dc2" {
			t.Fatalf("repair relay %+v", r)
		}
	}

	s = twoDCRing(now)
	acc, err = p.Submit(s, RunCleanup{Ring: "demo", Params: &cassmesosv1.CleanupParams{Datacenter: "dc1"}})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for _, st := range acc.Operation.GetOperation().GetSteps() {
		nodes = append(nodes, st.GetNode())
	}
	if strings.Join(nodes, ",") != "demo-0,demo-1,demo-2" {
		t.Fatalf("cleanup steps on %v, want dc1's nodes", nodes)
	}
}

// A rack-spread warning appearing on a ring's status is told once as a warning event.
func TestRackSpreadEvent(t *testing.T) {
	st := NewState()
	st.Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	msg := "rack spread: dc1: 3 nodes on r1 ×3, though agents on 3 racks are known (r1 r2 r3); the offers did not allow an even spread"
	old := &statev1.RingRecord{Spec: &cassmesosv1.RingSpec{Name: "demo"}, Status: &cassmesosv1.RingStatus{}}
	st.Rings["demo"] = old
	warned := proto.Clone(old).(*statev1.RingRecord)
	warned.Status.Warnings = []string{msg}
	got := evSummary(EventWrites(st, []Write{{Kind: RecordRing, RingName: "demo", Name: "demo", Ring: warned}}))
	if len(got) != 1 || got[0] != "W RackSpreadUneven demo//: "+msg {
		t.Fatalf("events %q", got)
	}
	st.Rings["demo"] = warned
	again := proto.Clone(warned).(*statev1.RingRecord)
	again.Status.ReadyNodes = 3
	if got := EventWrites(st, []Write{{Kind: RecordRing, RingName: "demo", Name: "demo", Ring: again}}); len(got) != 0 {
		t.Fatalf("the same warning told again: %q", evSummary(got))
	}
}
