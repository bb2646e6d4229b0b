package plan_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// A node's executor exits after its task, so the executor's share of the reservation is offered
// only after the task's share and the volume were released. Deleting the ring must still leave
// nothing reserved, and the planner must stop wanting offers only then.
func TestDeleteRingReleasesExecutorShare(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	acc, err := w.Submit(plan.DeleteRing{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	// Offers arrive while the executors still run: only the task's share and the volume are
	// offered.
	w.Reconcile()
	w.OfferRound()
	check(t, w)
	if left := w.Reservations(); len(left) != 3 {
		t.Fatalf("after the first release round want 3 partial reservations (executor shares), got %v\n%s", left, w.Dump())
	}
	for _, r := range w.Reservations() {
		if !strings.Contains(r, "cpus=0.1 mem=64 disk=0") {
			t.Fatalf("partial reservation %q is not the executor's share", r)
		}
	}
	for name, n := range w.Store.Nodes {
		if n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			t.Fatalf("node %s is %v, want REMOVED until its executor's share is released", name, n.GetPhase())
		}
	}
	if p := w.Reconcile(); !p.WantOffers {
		t.Fatal("planner stopped wanting offers while executor shares are still reserved")
	}
	cooperate(t, w, 20, func() bool { return opDone(w, id) })
	if left := w.Reservations(); len(left) != 0 {
		t.Fatalf("reservations left after the ring was deleted: %v\n%s", left, w.Dump())
	}
	if len(w.Store.Rings)+len(w.Store.Nodes) != 0 {
		t.Fatalf("records left\n%s", w.Dump())
	}
	if p := w.OfferRound(); p.WantOffers {
		t.Fatal("still wants offers with nothing left to release")
	}
}

// A reservation carrying this framework's ID whose node record is gone (left by an older
// version, a crash, or a record deleted by hand) is named by no intent: it is left alone, never
// destroyed, and reported once per pass as unclaimed; the planner does not keep wanting offers
// for it.
func TestUnclaimedReservationLeftAlone(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	acc, err := w.Submit(plan.DeleteRing{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	w.Reconcile()
	w.OfferRound()
	// Forget the records behind the planner's back.
	for name := range w.State.Nodes {
		delete(w.State.Nodes, name)
		delete(w.Store.Nodes, name)
	}
	w.Tick(time.Second) // the executors exit
	p := w.OfferRound()
	if ops := releaseOps(p); len(ops) > 0 {
		t.Fatalf("reservations no record names were released: %v", ops)
	}
	if left := w.Reservations(); len(left) != 3 {
		t.Fatalf("want the 3 executor shares left alone, got %v\n%s", left, w.Dump())
	}
	if len(p.Unclaimed) != 3 {
		t.Fatalf("want 3 unclaimed reservations reported, got %+v", p.Unclaimed)
	}
	for _, u := range p.Unclaimed {
		if u.PersistenceID == "" || u.Ring != "demo" || u.RingUID == "" || !strings.HasPrefix(u.PersistenceID, u.Node+"-") {
			t.Fatalf("unclaimed reservation not described by its labels: %+v", u)
		}
	}
	cooperate(t, w, 20, func() bool { return opDone(w, acc.Operation.GetOperation().GetId()) })
	if p := w.OfferRound(); p.WantOffers || len(releaseOps(p)) > 0 || len(p.Unclaimed) != 3 {
		t.Fatalf("after the delete: want_offers=%v releases=%v unclaimed=%d", p.WantOffers, releaseOps(p), len(p.Unclaimed))
	}
}

// Until the framework ID is known (before SUBSCRIBED) nothing is released, not even what a
// REMOVED node's record names; once it is known the release goes on.
func TestNothingReleasedWithoutFrameworkID(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	acc, err := w.Submit(plan.DeleteRing{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	w.State.FrameworkID = ""
	for i := 0; i < 5; i++ {
		w.Reconcile()
		if p := w.OfferRound(); len(releaseOps(p)) > 0 {
			t.Fatalf("released before the framework ID is known: %v", releaseOps(p))
		}
		w.Tick(time.Second)
	}
	if left := w.Reservations(); len(left) != 3 {
		t.Fatalf("reservations: %v", left)
	}
	w.State.FrameworkID = w.FrameworkID
	cooperate(t, w, 20, func() bool { return opDone(w, acc.Operation.GetOperation().GetId()) })
	if left := w.Reservations(); len(left) != 0 {
		t.Fatalf("reservations left after the delete: %v\n%s", left, w.Dump())
	}
}

// A daemon killed after persisting a launch (the node's new reservation, not yet confirmed) and
// before its ACCEPT reached the master leaves a reservation intent that was never made. The
// next leader must not wait forever for a volume its agent never had: an offer from that agent
// without the volume proves it, and the node is placed anew (found by `make chaos`: a replace
// stayed "waiting for an offer for demo-1 on agent …" until its placement timeout).
func TestUnmadeReservationIsPlacedAnew(t *testing.T) {
	w := plantest.NewWorld(t, 6, plan.Config{})
	acc, err := w.Submit(plan.CreateRing{Spec: spec("demo", 3, 2)})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	w.Reconcile()
	w.CrashAfterPersist = true
	p := w.OfferRound()
	launched := ""
	for _, a := range p.Actions {
		if acc, ok := a.(plan.Accept); ok && len(acc.Operations) > 0 {
			launched = acc.AgentID
		}
	}
	if launched == "" {
		t.Fatalf("the first offer round launched nothing\n%s", w.Dump())
	}
	var pinned string
	for _, n := range w.Store.Nodes {
		if r := n.GetReservation(); r.GetAgentId() != "" {
			if r.GetConfirmed() {
				t.Fatalf("node %s: a reservation never made is stored as confirmed", n.GetName())
			}
			pinned = n.GetName()
		}
	}
	if pinned == "" {
		t.Fatalf("no reservation intent was persisted before the ACCEPT\n%s", w.Dump())
	}
	if left := w.Reservations(); len(left) != 0 {
		t.Fatalf("the ACCEPT was dropped, yet reservations exist: %v", left)
	}
	w.Restart()
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 3 && opDone(w, id) })
	if r := w.Store.Nodes[pinned].GetReservation(); !r.GetConfirmed() {
		t.Fatalf("node %s UN but its reservation is not confirmed: %v", pinned, r)
	}
	// Nothing of the unmade reservation existed: no release intent is left to keep the daemon
	// wanting offers for ever.
	if rel := w.Store.Nodes[pinned].GetRelease(); len(rel) != 0 {
		t.Fatalf("node %s keeps release entries for a reservation never made: %v", pinned, rel)
	}
	if p := w.OfferRound(); p.WantOffers {
		t.Fatalf("still wants offers with the ring healthy\n%s", w.Dump())
	}
}

// A daemon killed after persisting a release pass (its DESTROY/UNRESERVE never sent) must not
// have dropped the intents that name those reservations: the next leader releases them, and only
// then forgets the records. Before, the pass that sent the release also deleted the REMOVED
// records, so the reservations were left unclaimed for ever.
func TestReleaseSurvivesCrashBeforeAccept(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	acc, err := w.Submit(plan.DeleteRing{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	w.Reconcile()
	w.Tick(time.Second) // the tasks are killed; their executors exit
	w.Reconcile()
	for range 4 {
		w.CrashAfterPersist = true
		p := w.OfferRound()
		if len(releaseOps(p)) > 0 {
			break
		}
		w.Restart()
	}
	w.Restart()
	cooperate(t, w, 30, func() bool { return opDone(w, id) })
	if left := w.Reservations(); len(left) != 0 {
		t.Fatalf("reservations left after a crash before the release ACCEPT: %v\n%s", left, w.Dump())
	}
	if len(w.Store.Nodes) != 0 {
		t.Fatalf("records left\n%s", w.Dump())
	}
}
