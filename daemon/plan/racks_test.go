package plan_test

import (
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
)

func rackWarning(w *plantest.World) string {
	for _, s := range w.Store.Rings["demo"].GetStatus().GetWarnings() {
		if strings.HasPrefix(s, "rack spread:") {
			return s
		}
	}
	return ""
}

// Three nodes over three racks: one per rack and no warning.
func TestRackSpreadEven(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	racks := map[string]bool{}
	for _, n := range w.Store.Nodes {
		racks[n.GetRack()] = true
	}
	if len(racks) != 3 {
		t.Fatalf("nodes on racks %v, want 3 racks", racks)
	}
	if s := rackWarning(w); s != "" {
		t.Fatalf("warning on an even ring: %s", s)
	}
}

// Only rack r1 has room: the nodes share it, and the ring's status says so until an agent on
// another rack takes a node.
func TestRackSpreadWarnsWhenOffersCannot(t *testing.T) {
	w := plantest.NewWorld(t, 0, plan.Config{})
	for range 3 {
		w.AddAgent("r1")
	}
	full := w.AddAgent("r2")
	full.CPUs = 0.01
	w.AddAgent("r3").CPUs = 0.01
	acc, err := w.Submit(plan.CreateRing{Spec: spec("demo", 3, 2)})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 3 && opDone(w, acc.Operation.GetOperation().GetId()) })
	s := rackWarning(w)
	if !strings.Contains(s, "dc1: 3 nodes on r1 ×3, though agents on 3 racks are known (r1 r2 r3)") {
		t.Fatalf("warning %q\n%s", s, w.Dump())
	}
	// The r2 and r3 agents go away: the spread is the best possible, the warning goes.
	for _, a := range w.Agents {
		if a.Attrs["rack"] != "r1" {
			w.RemoveAgent(a.ID)
		}
	}
	w.Reconcile()
	if s := rackWarning(w); s != "" {
		t.Fatalf("warning once only r1 is left: %s", s)
	}
}
