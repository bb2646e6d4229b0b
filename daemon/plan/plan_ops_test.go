package plan_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// healthyRing builds a world with a ring whose nodes are all UN.
func healthyRing(t *testing.T, agents int, nodes, seeds int32) (*plantest.World, string) {
	t.Helper()
	w := plantest.NewWorld(t, agents, plan.Config{RestartBackoffMin: 10 * time.Second, RestartBackoffMax: time.Minute})
	sp := spec("demo", nodes, seeds)
	sp.ReplaceAfter = durpb(5 * time.Minute)
	acc, err := w.Submit(plan.CreateRing{Spec: sp})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 100, func() bool { return w.UN("demo") == int(nodes) && opDone(w, acc.Operation.GetOperation().GetId()) })
	return w, acc.Operation.GetOperation().GetId()
}

func opDone(w *plantest.World, id string) bool {
	w.Reconcile()
	o := w.Store.Operations[id].GetOperation()
	return o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED
}

func opPhase(w *plantest.World, id string) cassmesosv1.OperationPhase {
	return w.Store.Operations[id].GetOperation().GetPhase()
}

func TestCreateRingOrder(t *testing.T) {
	// Seeds first, one at a time, each UN before the next starts; auto_bootstrap false for
	// seeds, true for the rest; seeds list the first seed.
	w, _ := healthyRing(t, 8, 4, 2)
	var launches []string
	for _, l := range w.Log {
		if i := strings.Index(l, "launch "); i >= 0 {
			launches = append(launches, l[i:])
		}
	}
	if len(launches) != 4 {
		t.Fatalf("launches: %v", launches)
	}
	for i, want := range []string{"demo-0.1.", "demo-1.1.", "demo-2.1.", "demo-3.1."} {
		if !strings.HasPrefix(launches[i], "launch "+want) {
			t.Fatalf("launch %d = %q, want %s…", i, launches[i], want)
		}
	}
	if !strings.Contains(launches[0], "seed=true auto_bootstrap=false") || !strings.Contains(launches[2], "seed=false auto_bootstrap=true") {
		t.Fatalf("bootstrap flags: %v", launches)
	}
	// The nodes spread over the three racks.
	racks := map[string]int{}
	for _, n := range w.Store.Nodes {
		racks[n.GetRack()]++
	}
	if len(racks) != 3 {
		t.Fatalf("racks used: %v", racks)
	}
}

func TestRecoverInPlace(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	n := w.Store.Nodes["demo-2"]
	agent, vol := n.GetAgentId(), n.GetReservation().GetPersistenceId()
	w.Crash(n.GetTaskId())
	w.Reconcile()
	if got := w.Store.Nodes["demo-2"].GetPhase(); got != cassmesosv1.NodePhase_NODE_PHASE_RESTARTING {
		t.Fatalf("phase after crash %v", got)
	}
	var recoverID string
	for id, o := range w.Store.Operations {
		if o.GetOperation().GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_RECOVER_NODE {
			recoverID = id
		}
	}
	if recoverID == "" {
		t.Fatalf("no RECOVER_NODE operation\n%s", w.Dump())
	}
	cooperate(t, w, 30, func() bool { return w.UN("demo") == 3 && opDone(w, recoverID) })
	m := w.Store.Nodes["demo-2"]
	if m.GetAgentId() != agent || m.GetReservation().GetPersistenceId() != vol || m.GetIncarnation() != 2 || m.GetRestarts() != 1 {
		t.Fatalf("not restarted in place: agent %s→%s volume %s→%s incarnation %d restarts %d", agent, m.GetAgentId(), vol, m.GetReservation().GetPersistenceId(), m.GetIncarnation(), m.GetRestarts())
	}
	if !strings.Contains(strings.Join(w.Log, "\n"), "launch demo-2.2.") {
		t.Fatal("no second incarnation launched")
	}
}

func TestRecoverBacksOff(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	// Crash twice: the second restart waits for the backoff.
	w.Crash(w.Store.Nodes["demo-2"].GetTaskId())
	w.Tick(0) // the executor exits, giving back its share of the reservation
	w.Reconcile()
	w.OfferRound() // first restart: immediate
	if w.Store.Nodes["demo-2"].GetIncarnation() != 2 {
		t.Fatalf("first restart not immediate\n%s", w.Dump())
	}
	w.Crash(w.Store.Nodes["demo-2"].GetTaskId())
	w.Tick(0)
	w.Reconcile()
	p := w.OfferRound()
	if w.Store.Nodes["demo-2"].GetIncarnation() != 2 {
		t.Fatalf("second restart did not wait for the backoff")
	}
	if p.Wake.IsZero() || p.Wake.Sub(w.Now) > 10*time.Second {
		t.Fatalf("wake %v, now %v", p.Wake, w.Now)
	}
	w.Tick(11 * time.Second)
	w.Reconcile()
	w.OfferRound()
	if w.Store.Nodes["demo-2"].GetIncarnation() != 3 {
		t.Fatalf("no restart after the backoff\n%s", w.Dump())
	}
}

func TestAutoReplaceAfterAgentGone(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	old := w.Store.Nodes["demo-2"]
	w.RemoveAgent(old.GetAgentId())
	w.Reconcile()
	// Not before the grace.
	for i := 0; i < 5; i++ {
		w.Tick(30 * time.Second)
		w.Reconcile()
	}
	for _, o := range w.Store.Operations {
		if o.GetOperation().GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE {
			t.Fatal("replaced before replace_after")
		}
	}
	w.Tick(3 * time.Minute)
	cooperate(t, w, 40, func() bool { return w.UN("demo") == 3 })
	n := w.Store.Nodes["demo-2"]
	if n.GetAgentId() == old.GetAgentId() || n.GetReplacesAddress() != "" || !n.GetBootstrapped() {
		t.Fatalf("replacement: %v", n)
	}
	if !strings.Contains(strings.Join(w.Log, "\n"), `replace="`+old.GetAddress()+`"`) {
		t.Fatalf("replacement not launched with replace_address %s\n%s", old.GetAddress(), w.Dump())
	}
}

func TestReplaceRefusedWhileUN(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	_, err := w.Submit(plan.ReplaceNode{Node: "demo-2"})
	if !errors.Is(err, plan.ErrPrecondition) || !strings.Contains(err.Error(), "demo-2 is UN on 3 of 3 live nodes; replace needs it down") {
		t.Fatalf("err = %v", err)
	}
	if _, err := w.Submit(plan.ReplaceNode{Node: "nope-1"}); !errors.Is(err, plan.ErrNodeNotFound) {
		t.Fatalf("unknown node: %v", err)
	}
}

func TestManualReplace(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	old := w.Store.Nodes["demo-2"]
	w.Partition(old.GetAgentId(), true)
	w.Reconcile()
	acc, err := w.Submit(plan.ReplaceNode{Node: "demo-2"})
	if err != nil {
		t.Fatalf("%v\n%s", err, w.Dump())
	}
	id := acc.Operation.GetOperation().GetId()
	cooperate(t, w, 40, func() bool { return w.UN("demo") == 3 && opDone(w, id) })
	// The old task comes back when the partition heals: it is a stray and is killed.
	w.Partition(old.GetAgentId(), false)
	w.Reconcile()
	if live := w.LiveProcs("demo-2"); len(live) != 1 || live[0].TaskID == old.GetTaskId() {
		t.Fatalf("live tasks of demo-2 after heal: %v", live)
	}
	// Its old volume is destroyed when its agent offers it.
	w.OfferRound()
	if !strings.Contains(strings.Join(w.Log, "\n"), "destroy volume "+old.GetReservation().GetPersistenceId()) {
		t.Fatalf("old volume not destroyed\n%s", w.Dump())
	}
}

func TestDeleteRing(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	acc, err := w.Submit(plan.DeleteRing{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	cooperate(t, w, 20, func() bool { return opDone(w, id) })
	if len(w.Store.Rings)+len(w.Store.Nodes) != 0 {
		t.Fatalf("records left\n%s", w.Dump())
	}
	if len(w.LiveTaskIDs()) != 0 {
		t.Fatalf("tasks left: %v", w.LiveTaskIDs())
	}
	log := strings.Join(w.Log, "\n")
	if strings.Count(log, "destroy volume") != 3 || strings.Count(log, "kill ") != 3 {
		t.Fatalf("expected 3 kills and 3 volume destructions:\n%s", log)
	}
	// Nothing wanted any more: offers are declined with the idle refuse and not wanted.
	p := w.OfferRound()
	if p.WantOffers {
		t.Fatal("still wants offers")
	}
	if _, err := w.Submit(plan.DeleteRing{Ring: "demo"}); !errors.Is(err, plan.ErrRingNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestScaleUpAndDown(t *testing.T) {
	w, _ := healthyRing(t, 8, 3, 2)
	acc, err := w.Submit(plan.ScaleRing{Ring: "demo", Nodes: 5})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 5 && opDone(w, id) })
	acc, err = w.Submit(plan.ScaleRing{Ring: "demo", Nodes: 3})
	if err != nil {
		t.Fatal(err)
	}
	id = acc.Operation.GetOperation().GetId()
	cooperate(t, w, 60, func() bool { return opDone(w, id) })
	if len(w.Store.Nodes) != 3 || w.Store.Nodes["demo-4"] != nil || w.Store.Nodes["demo-3"] != nil {
		t.Fatalf("after scale down\n%s", w.Dump())
	}
	if w.Store.Rings["demo"].GetSpec().GetNodes() != 3 {
		t.Fatal("spec not updated")
	}
	if _, err := w.Submit(plan.ScaleRing{Ring: "demo", Nodes: 1}); !errors.Is(err, plan.ErrPrecondition) {
		t.Fatalf("below seeds: %v", err)
	}
}

func TestRollingRestart(t *testing.T) {
	w, _ := healthyRing(t, 6, 4, 2)
	acc, err := w.Submit(plan.RestartRing{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	minUN, maxCursors := 4, 0
	for i := 0; i < 80 && !opDone(w, id); i++ {
		w.OfferRound()
		check(t, w)
		w.Tick(10 * time.Second)
		w.Reconcile()
		check(t, w)
		minUN = min(minUN, w.UN("demo"))
		maxCursors = max(maxCursors, len(w.Store.Operations[id].GetState().GetSteps()))
	}
	// Only the step under way keeps a cursor: the record does not grow with the ring.
	if maxCursors > 1 || len(w.Store.Operations[id].GetState().GetSteps()) != 0 {
		t.Fatalf("step cursors: at most %d at once, %d after the operation ended; want ≤ 1 and 0",
			maxCursors, len(w.Store.Operations[id].GetState().GetSteps()))
	}
	if opPhase(w, id) != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		t.Fatalf("restart ring\n%s", w.Dump())
	}
	if minUN < 3 {
		t.Fatalf("more than one node down at once during a rolling restart (min UN %d)", minUN)
	}
	for name, n := range w.Store.Nodes {
		if n.GetIncarnation() != 2 {
			t.Fatalf("%s incarnation %d", name, n.GetIncarnation())
		}
	}
}

func TestDaemonRestartMidCreate(t *testing.T) {
	w := plantest.NewWorld(t, 8, plan.Config{})
	acc, err := w.Submit(plan.CreateRing{Spec: spec("demo", 6, 2)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 60 && w.UN("demo") < 6; i++ {
		w.OfferRound()
		if i%3 == 0 {
			w.Restart()
		}
		w.Tick(10 * time.Second)
		w.Reconcile()
		check(t, w)
	}
	if w.UN("demo") != 6 || !opDone(w, acc.Operation.GetOperation().GetId()) {
		t.Fatalf("create did not finish across restarts\n%s", w.Dump())
	}
}

func TestDecommissionAndCancel(t *testing.T) {
	w, _ := healthyRing(t, 6, 4, 2)
	acc, err := w.Submit(plan.DecommissionNode{Node: "demo-3"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	cooperate(t, w, 30, func() bool { return opDone(w, id) })
	if w.Store.Nodes["demo-3"] != nil || w.Store.Rings["demo"].GetSpec().GetNodes() != 3 {
		t.Fatalf("after decommission\n%s", w.Dump())
	}
	// A queued operation can be cancelled before it starts.
	a1, _ := w.Submit(plan.RestartRing{Ring: "demo"})
	a2, err := w.Submit(plan.ScaleRing{Ring: "demo", Nodes: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Submit(plan.CancelOperation{ID: a2.Operation.GetOperation().GetId()}); err != nil {
		t.Fatal(err)
	}
	if got := opPhase(w, a2.Operation.GetOperation().GetId()); got != cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED {
		t.Fatalf("queued op after cancel: %v", got)
	}
	if len(w.Store.Nodes) != 3 || w.Store.Rings["demo"].GetSpec().GetNodes() != 3 {
		t.Fatalf("cancelled scale left slots behind\n%s", w.Dump())
	}
	cooperate(t, w, 60, func() bool { return opDone(w, a1.Operation.GetOperation().GetId()) })
}
