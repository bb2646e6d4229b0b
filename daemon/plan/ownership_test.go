package plan_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
)

// releaseOps lists the DESTROY and UNRESERVE operations of a plan, as "kind node".
func releaseOps(p plan.Plan) []string {
	var out []string
	for _, a := range p.Actions {
		acc, ok := a.(plan.Accept)
		if !ok {
			continue
		}
		for _, op := range acc.Operations {
			if op.Kind != plan.OpDestroyVolume && op.Kind != plan.OpUnreserve {
				continue
			}
			for _, r := range op.Resources {
				kind := "unreserve"
				if op.Kind == plan.OpDestroyVolume {
					kind = "destroy"
				}
				out = append(out, kind+" "+acc.AgentID+"/"+r.Reservation.Labels[placement.LabelNode]+" "+r.Name)
			}
		}
	}
	return out
}

// stopFramework ends every task of the world (the framework torn down: its tasks die, its
// reservations and volumes stay) and lets the executors exit, so the reservations are offered.
func stopFramework(w *plantest.World) {
	for _, id := range w.LiveTaskIDs() {
		w.Crash(id)
	}
	w.Tick(time.Second)
	w.Tick(time.Second)
}

// secondInstall points the world at another daemon: a planner with the same framework name and
// role but another framework ID, and state of its own (another ZooKeeper chroot).
func secondInstall(w *plantest.World) {
	w.Planner = plan.New(plan.Config{RestartBackoffMin: 10 * time.Second, RestartBackoffMax: time.Minute}, w.IDs)
	s := plan.NewState()
	for _, a := range w.Agents {
		s.Agents[a.ID] = plan.Agent{ID: a.ID, Hostname: a.Hostname, Attributes: a.Attrs, Reachable: true}
	}
	w.FrameworkID = "fw-2"
	s.FrameworkID = w.FrameworkID
	s.Reconciled = true
	w.State, w.Store = s, plan.NewState()
}

// A second cassmesosd with the default framework name and role but another ZooKeeper chroot
// is offered the first one's reservations and volumes: they are not its own (another framework
// ID), so it neither destroys nor unreserves them, nor counts them as its unclaimed ones — not
// with empty state, not while it creates a ring of the same name whose nodes have the same names.
func TestSecondFrameworkLeavesForeignVolumesAlone(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		name := "id-labels"
		if legacy {
			name = "legacy-labels"
		}
		t.Run(name, func(t *testing.T) {
			w, _ := healthyRing(t, 9, 3, 2)
			if legacy {
				w.LegacyLabels()
			}
			before := w.Reservations()
			if len(before) != 3 {
				t.Fatalf("reservations of the first framework: %v", before)
			}
			stopFramework(w)
			secondInstall(w)
			for i := 0; i < 3; i++ {
				p := w.OfferRound()
				if ops := releaseOps(p); len(ops) > 0 {
					t.Fatalf("second framework releases the first one's resources: %v\n%s", ops, w.Dump())
				}
				if len(p.Unclaimed) > 0 {
					t.Fatalf("another framework's reservations reported as ours: %+v", p.Unclaimed)
				}
				w.Tick(time.Second)
			}
			acc, err := w.Submit(plan.CreateRing{Spec: spec("demo", 3, 2)})
			if err != nil {
				t.Fatal(err)
			}
			id := acc.Operation.GetOperation().GetId()
			for i := 0; i < 100 && !opDone(w, id); i++ {
				p := w.OfferRound()
				if ops := releaseOps(p); len(ops) > 0 {
					t.Fatalf("second framework releases the first one's resources: %v\n%s", ops, w.Dump())
				}
				w.Tick(30 * time.Second)
			}
			if !opDone(w, id) {
				t.Fatalf("second framework's ring not created\n%s", w.Dump())
			}
			check(t, w)
			after := w.Reservations()
			for _, r := range before {
				found := false
				for _, a := range after {
					found = found || a == r
				}
				if !found {
					t.Fatalf("first framework's reservation %s changed or gone: %v\n%s", r, after, w.Dump())
				}
			}
			// The second framework's own nodes did not take the first one's reservations.
			for _, n := range w.Store.Nodes {
				for _, r := range before {
					if strings.Contains(r, "volume=\""+n.GetReservation().GetPersistenceId()+"\"") {
						t.Fatalf("node %s of the second framework holds the first one's volume %s", n.GetName(), r)
					}
				}
			}
		})
	}
}

// Reservations carry the framework ID, the ring UID and the persistence ID; the ring UID is
// minted when the ring is created, and a ring stored without one gets one on the next pass.
func TestReservationLabelsCarryIDs(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	uid := w.Store.Rings["demo"].GetUid()
	if uid == "" {
		t.Fatal("ring created without a UID")
	}
	for _, name := range []string{"demo-0", "demo-1", "demo-2"} {
		pid := w.Store.Nodes[name].GetReservation().GetPersistenceId()
		lbs := w.ReservationLabels(name)
		if len(lbs) != 1 {
			t.Fatalf("%s: reservations %v", name, lbs)
		}
		lb := lbs[0]
		if lb[placement.LabelFrameworkID] != "fw-1" || lb[placement.LabelRingUID] != uid || lb[placement.LabelPersistenceID] != pid ||
			lb[placement.LabelNode] != name || lb[placement.LabelRing] != "demo" || lb[placement.LabelFramework] != "cassmesos" {
			t.Fatalf("%s: labels %v (ring UID %s, volume %s)", name, lb, uid, pid)
		}
	}
	// An older record without a UID gets one, persisted, and keeps it.
	old := proto.Clone(w.Store.Rings["demo"]).(*statev1.RingRecord)
	old.Uid = ""
	w.State.Rings["demo"], w.Store.Rings["demo"] = old, proto.Clone(old).(*statev1.RingRecord)
	w.Reconcile()
	minted := w.Store.Rings["demo"].GetUid()
	if minted == "" || minted == uid {
		t.Fatalf("ring stored without a UID got %q (the old one was %q)", minted, uid)
	}
	w.Reconcile()
	if got := w.Store.Rings["demo"].GetUid(); got != minted {
		t.Fatalf("ring UID changed from %s to %s", minted, got)
	}
}

// A node replaced on another agent gives up its old reservation: the record written before the
// replacement launches names it in its release list, and the old volume and reservation
// (executor share included) are destroyed and unreserved when the old agent offers them, after
// which the entry is dropped. Reservations made before the ID labels go the same way.
func TestReplacedNodeReleasesOldReservation(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		name := "id-labels"
		if legacy {
			name = "legacy-labels"
		}
		t.Run(name, func(t *testing.T) {
			w, _ := healthyRing(t, 6, 3, 2)
			if legacy {
				w.LegacyLabels()
			}
			old := w.Store.Nodes["demo-2"]
			oldAgent, oldPID := old.GetReservation().GetAgentId(), old.GetReservation().GetPersistenceId()
			w.Partition(oldAgent, true)
			w.Reconcile()
			acc, err := w.Submit(plan.ReplaceNode{Node: "demo-2"})
			if err != nil {
				t.Fatalf("%v\n%s", err, w.Dump())
			}
			id := acc.Operation.GetOperation().GetId()
			named := false
			for i := 0; i < 60 && !(w.UN("demo") == 3 && opDone(w, id)); i++ {
				n := w.Store.Nodes["demo-2"]
				rel := n.GetRelease()
				if n.GetTaskId() != "" && n.GetAgentId() != oldAgent && n.GetAgentId() != "" {
					// The replacement was launched: its record names the old reservation.
					if len(rel) != 1 || rel[0].GetAgentId() != oldAgent || rel[0].GetPersistenceId() != oldPID {
						t.Fatalf("replacement launched without the old reservation in its release list: %v", rel)
					}
					named = true
				}
				w.OfferRound()
				check(t, w)
				w.Tick(10 * time.Second)
				w.Reconcile()
			}
			if !named || w.UN("demo") != 3 {
				t.Fatalf("replacement not done (named=%v)\n%s", named, w.Dump())
			}
			// The old agent returns: its stray task is killed, its executor exits, and the old
			// reservation is released in full.
			w.Partition(oldAgent, false)
			cooperate(t, w, 20, func() bool { return len(w.Store.Nodes["demo-2"].GetRelease()) == 0 })
			for _, r := range w.Reservations() {
				if strings.HasPrefix(r, oldAgent+"/demo-2 ") {
					t.Fatalf("old reservation left on %s: %v\n%s", oldAgent, w.Reservations(), w.Dump())
				}
			}
			if !strings.Contains(strings.Join(w.Log, "\n"), "destroy volume "+oldPID+" of demo-2 on "+oldAgent) {
				t.Fatalf("old volume %s not destroyed\n%s", oldPID, w.Dump())
			}
			if len(w.Reservations()) != 3 {
				t.Fatalf("want the 3 live nodes' reservations, got %v", w.Reservations())
			}
			if p := w.OfferRound(); p.WantOffers || len(releaseOps(p)) > 0 || len(p.Unclaimed) > 0 {
				t.Fatalf("after the release: want_offers=%v releases=%v unclaimed=%+v", p.WantOffers, releaseOps(p), p.Unclaimed)
			}
		})
	}
}

// The legacy reservations of this framework's own ring (made before the ID labels) are still
// its own: deleting the ring releases them, as the REMOVED records name them.
func TestDeleteRingReleasesLegacyReservations(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	w.LegacyLabels()
	acc, err := w.Submit(plan.DeleteRing{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 20, func() bool { return opDone(w, acc.Operation.GetOperation().GetId()) })
	if left := w.Reservations(); len(left) != 0 {
		t.Fatalf("legacy reservations left after the delete: %v\n%s", left, w.Dump())
	}
}

// A release entry whose agent is removed for good is dropped (the reservation went with the
// agent) and the planner stops wanting offers for it; a node replaced after its agent is gone
// records no entry at all.
func TestReleaseEntryDroppedWhenAgentGone(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	old := w.Store.Nodes["demo-2"]
	w.Partition(old.GetAgentId(), true)
	w.Reconcile()
	acc, err := w.Submit(plan.ReplaceNode{Node: "demo-2"})
	if err != nil {
		t.Fatalf("%v\n%s", err, w.Dump())
	}
	id := acc.Operation.GetOperation().GetId()
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 3 && opDone(w, id) })
	if rel := w.Store.Nodes["demo-2"].GetRelease(); len(rel) != 1 || rel[0].GetAgentId() != old.GetAgentId() {
		t.Fatalf("release list after the replacement: %v", rel)
	}
	w.RemoveAgent(old.GetAgentId())
	p := w.Reconcile()
	if rel := w.Store.Nodes["demo-2"].GetRelease(); len(rel) != 0 {
		t.Fatalf("release entry kept for a gone agent: %v", rel)
	}
	if p = w.OfferRound(); p.WantOffers {
		t.Fatalf("still wants offers with nothing to release\n%s", w.Dump())
	}

	// demo-1's agent is gone before the replacement: nothing to release.
	old1 := w.Store.Nodes["demo-1"]
	w.RemoveAgent(old1.GetAgentId())
	w.Reconcile()
	acc, err = w.Submit(plan.ReplaceNode{Node: "demo-1"})
	if err != nil {
		t.Fatalf("%v\n%s", err, w.Dump())
	}
	id = acc.Operation.GetOperation().GetId()
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 3 && opDone(w, id) })
	if rel := w.Store.Nodes["demo-1"].GetRelease(); len(rel) != 0 {
		t.Fatalf("release entry recorded for a gone agent: %v", rel)
	}
}
