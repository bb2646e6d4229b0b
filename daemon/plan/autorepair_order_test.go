package plan_test

import (
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
)

// The replacement comes up (UN) in the pass that ends the operation, so its pause is sent just
// before the resume: the resume to it waits until that pause has answered. Sent side by side (as
// on real 5.0.8, where the pause landed 1 s after the resume), the node stayed paused.
func TestAutoRepairResumeWaitsForPauseInFlight(t *testing.T) {
	w := autoRepairRing(t, 6, 3, 2)
	old := w.Store.Nodes["demo-2"]
	w.Partition(old.GetAgentId(), true)
	w.Reconcile()
	// Pauses to the replacement stay in flight.
	w.HoldRelay = func(r plan.Relay) bool {
		return r.Kind == plan.RelayAutoRepair && r.Node == "demo-2" && !r.Enable
	}
	acc, err := w.Submit(plan.ReplaceNode{Node: "demo-2"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 3 && opDone(w, id) })
	for range 3 {
		w.Reconcile()
	}
	if ph := autoRepairState(w, id).GetPhase(); ph != statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSED {
		t.Fatalf("with the replacement's pause in flight the phase is %v, want PAUSED", ph)
	}
	if log := strings.Join(w.AutoRepairLog, ","); strings.Contains(log, "resume") {
		t.Fatalf("resumed while a pause was in flight: %s", log)
	}
	w.HoldRelay = nil
	for range 3 {
		w.Reconcile()
	}
	if st := autoRepairState(w, id); st.GetPhase() != statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMED {
		t.Fatalf("after the pause answered: %v\n%s", st, w.Dump())
	}
	log := strings.Join(w.AutoRepairLog, ",")
	if p, r := strings.Index(log, "pause demo-2"), strings.Index(log, "resume demo-2"); p < 0 || r < p {
		t.Errorf("calls %s: want demo-2's pause before its resume", log)
	}
	if paused, running := pausedProcs(w); len(paused) != 0 || len(running) != 3 {
		t.Errorf("paused %v running %v", paused, running)
	}
}

// A topology operation that starts while an earlier one is still resuming Auto Repair waits for
// that resume before it pauses: a pause sent beside it could be overtaken and leave Auto Repair
// running during the change.
func TestAutoRepairPauseWaitsForEarlierResume(t *testing.T) {
	w := autoRepairRing(t, 8, 3, 2)
	old := w.Store.Nodes["demo-2"]
	w.Partition(old.GetAgentId(), true)
	w.Reconcile()
	acc, err := w.Submit(plan.ReplaceNode{Node: "demo-2"})
	if err != nil {
		t.Fatal(err)
	}
	first := acc.Operation.GetOperation().GetId()
	w.HoldRelay = func(r plan.Relay) bool { return r.Kind == plan.RelayAutoRepair && r.Enable && r.Node == "demo-0" }
	cooperate(t, w, 60, func() bool {
		return w.UN("demo") == 3 && opDone(w, first) &&
			autoRepairState(w, first).GetPhase() == statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMING
	})
	calls := len(w.AutoRepairLog)
	acc, err = w.Submit(plan.ScaleRing{Ring: "demo", Nodes: 4})
	if err != nil {
		t.Fatal(err)
	}
	second := acc.Operation.GetOperation().GetId()
	for range 3 {
		w.Reconcile()
	}
	if got := w.AutoRepairLog[calls:]; len(got) != 0 {
		t.Fatalf("calls while operation %s still resumes: %v", first, got)
	}
	if msg := w.Store.Operations[second].GetOperation().GetSteps()[0].GetMessage(); !strings.Contains(msg, "waiting for operation "+first) {
		t.Errorf("step message %q", msg)
	}
	w.HoldRelay = nil
	cooperate(t, w, 100, func() bool { return w.UN("demo") == 4 && opDone(w, second) })
	log := strings.Join(w.AutoRepairLog[calls:], ",")
	if !strings.HasPrefix(log, "resume demo-0,") || !strings.Contains(log, "pause demo-0") {
		t.Errorf("calls after the hold: %s: want demo-0's resume before the next pause", log)
	}
	if st := autoRepairState(w, first); st.GetPhase() != statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMED {
		t.Errorf("first operation's pause %v", st)
	}
}
