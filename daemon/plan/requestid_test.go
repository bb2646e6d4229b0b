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

// A CreateRing retried with its request ID answers with the original operation — even after the
// ring has moved on (scaled, so its spec differs) and the daemon restarted — and writes nothing.
func TestRequestIDRepeatReturnsOriginalOperation(t *testing.T) {
	w := plantest.NewWorld(t, 8, plan.Config{})
	req := plan.CreateRing{Spec: spec("demo", 3, 2), RequestID: "create-1"}
	acc, err := w.Submit(req)
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	// Stored with the operation, in the same write.
	stored := false
	for _, wr := range acc.Plan.Writes {
		if wr.Kind == plan.RecordOperation && wr.Name == id && wr.Operation.GetRequestId() == "create-1" && wr.Operation.GetRequestDigest() != "" {
			stored = true
		}
	}
	if !stored {
		t.Fatalf("no operation write carries the request ID: %+v", acc.Plan.Writes)
	}
	cooperate(t, w, 100, func() bool { return w.UN("demo") == 3 && opDone(w, id) })
	if _, err := w.Submit(plan.ScaleRing{Ring: "demo", Nodes: 4}); err != nil {
		t.Fatal(err)
	}
	w.Restart()
	again, err := w.Submit(req)
	if err != nil {
		t.Fatalf("repeated CreateRing: %v", err)
	}
	if got := again.Operation.GetOperation().GetId(); got != id {
		t.Fatalf("repeat answered operation %q, want the original %s", got, id)
	}
	if again.Created || len(again.Plan.Writes) != 0 || len(again.Plan.Actions) != 0 {
		t.Fatalf("repeat created=%v with %d writes, %d actions; want nothing", again.Created, len(again.Plan.Writes), len(again.Plan.Actions))
	}
	// Without the ID the same request is today's: the ring exists with another spec.
	if _, err := w.Submit(plan.CreateRing{Spec: spec("demo", 3, 2)}); !errors.Is(err, plan.ErrRingExists) {
		t.Fatalf("CreateRing without an ID: %v, want ErrRingExists", err)
	}
}

func TestRequestIDReusedForADifferentRequest(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	acc, err := w.Submit(plan.RestartRing{Ring: "demo", RequestID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	opID := acc.Operation.GetOperation().GetId()
	before := len(w.Store.Operations)
	for _, req := range []plan.Request{
		plan.RestartNode{Ring: "demo", Node: "demo-1", RequestID: "r1"},
		plan.CreateRing{Spec: spec("other", 3, 2), RequestID: "r1"},
		plan.CancelOperation{ID: opID, RequestID: "r1"},
	} {
		_, err := w.Submit(req)
		if !errors.Is(err, plan.ErrRequestIDReused) || !strings.Contains(err.Error(), "request ID r1 was used for a different request") {
			t.Fatalf("%T with a used ID: %v, want ErrRequestIDReused", req, err)
		}
	}
	if len(w.Store.Operations) != before || w.Store.Rings["other"] != nil {
		t.Fatal("a refused request wrote something")
	}
	if a, err := w.Submit(plan.RestartRing{Ring: "demo", RequestID: "r1"}); err != nil || a.Operation.GetOperation().GetId() != opID {
		t.Fatalf("the same request again: %v %v", a.Operation, err)
	}
}

func TestRequestIDInvalid(t *testing.T) {
	w := plantest.NewWorld(t, 3, plan.Config{})
	for _, id := range []string{strings.Repeat("a", 65), "has space", "slash/no", "ünï"} {
		_, err := w.Submit(plan.CreateRing{Spec: spec("demo", 3, 2), RequestID: id})
		if !errors.Is(err, plan.ErrInvalid) || !strings.Contains(err.Error(), "request_id") {
			t.Fatalf("request ID %q: %v, want ErrInvalid naming request_id", id, err)
		}
	}
	if len(w.Store.Rings)+len(w.Store.Operations) != 0 {
		t.Fatal("an invalid request wrote records")
	}
	if err := plan.ValidateRequestID("request_id", strings.Repeat("a", 64)); err != nil {
		t.Fatal(err)
	}
	if err := plan.ValidateRequestID("request_id", "A-z_0.9"); err != nil {
		t.Fatal(err)
	}
}

// Changes of an existing operation (cancel) remember their ID too: the repeat after the
// operation ended answers with it instead of "already cancelled".
func TestRequestIDCancelRepeat(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	acc, err := w.Submit(plan.RestartRing{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	if _, err := w.Submit(plan.CancelOperation{ID: id, RequestID: "c1"}); err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 50, func() bool {
		w.Reconcile()
		return opPhase(w, id) == cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED
	})
	if _, err := w.Submit(plan.CancelOperation{ID: id}); !errors.Is(err, plan.ErrPrecondition) {
		t.Fatalf("a new cancel of a cancelled operation: %v, want refused", err)
	}
	again, err := w.Submit(plan.CancelOperation{ID: id, RequestID: "c1"})
	if err != nil || again.Operation.GetOperation().GetId() != id {
		t.Fatalf("repeated cancel: %v %v", again.Operation, err)
	}
}

// A DeleteRing retried after the ring is gone answers with the deletion, not NotFound.
func TestRequestIDDeleteRingRepeatAfterGone(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	acc, err := w.Submit(plan.DeleteRing{Ring: "demo", RequestID: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	// A second delete (another ID) joins the deletion under way and is remembered on it.
	if a, err := w.Submit(plan.DeleteRing{Ring: "demo", RequestID: "d2"}); err != nil || a.Operation.GetOperation().GetId() != id {
		t.Fatalf("second delete: %v %v", a.Operation, err)
	}
	cooperate(t, w, 50, func() bool { return opDone(w, id) })
	if w.Store.Rings["demo"] != nil {
		t.Fatal("ring still stored")
	}
	for _, rid := range []string{"d1", "d2"} {
		again, err := w.Submit(plan.DeleteRing{Ring: "demo", RequestID: rid})
		if err != nil || again.Operation.GetOperation().GetId() != id ||
			again.Operation.GetOperation().GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
			t.Fatalf("repeated delete %s: %v %v", rid, again.Operation, err)
		}
	}
	if _, err := w.Submit(plan.DeleteRing{Ring: "demo", RequestID: "d3"}); !errors.Is(err, plan.ErrRingNotFound) {
		t.Fatalf("a new delete of a gone ring: %v", err)
	}
}

func TestRequestIDCreateScheduleRepeat(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	req := plan.CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "@daily", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}, RequestID: "s1"}
	a, err := w.Submit(req)
	if err != nil {
		t.Fatal(err)
	}
	w.Now = w.Now.Add(time.Minute)
	b, err := w.Submit(req)
	if err != nil {
		t.Fatal(err)
	}
	if a.Schedule.GetId() == "" || b.Schedule.GetId() != a.Schedule.GetId() || len(w.State.Schedules) != 1 {
		t.Fatalf("schedules %q then %q, %d stored; want one", a.Schedule.GetId(), b.Schedule.GetId(), len(w.State.Schedules))
	}
	req.Schedule.Cron = "@weekly"
	if _, err := w.Submit(req); !errors.Is(err, plan.ErrRequestIDReused) {
		t.Fatalf("a different schedule under the same ID: %v", err)
	}
}

// Regression (issue 12, defect 7): a DELETE_RING operation must not be stored SUCCEEDED in the
// plan that deletes the ring record. A plan stores its puts before its deletes, so a crash between
// them left the operation SUCCEEDED (the CLI reported the ring deleted) with the ring still
// stored.
func TestDeleteRingSucceedsOnlyAfterTheRingIsGone(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	acc, err := w.Submit(plan.DeleteRing{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	inspect := func(p plan.Plan) {
		t.Helper()
		deletes, succeeds := false, false
		for _, wr := range p.Writes {
			if wr.Kind == plan.RecordRing && wr.Delete && wr.Name == "demo" {
				deletes = true
			}
			if wr.Kind == plan.RecordOperation && wr.Name == id && wr.Operation.GetOperation().GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
				succeeds = true
				if w.Store.Rings["demo"] != nil && !deletes {
					t.Fatalf("the deletion is stored SUCCEEDED while the ring record is still stored")
				}
			}
		}
		if deletes && succeeds {
			t.Fatalf("one plan stores the deletion SUCCEEDED and deletes the ring record: a crash between the two leaves a ring behind a finished deletion")
		}
	}
	for i := 0; i < 60 && opPhase(w, id) != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED; i++ {
		inspect(w.OfferRound())
		w.Tick(10 * time.Second)
		inspect(w.Reconcile())
	}
	if opPhase(w, id) != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED || w.Store.Rings["demo"] != nil {
		t.Fatalf("deletion %v, ring stored %v", opPhase(w, id), w.Store.Rings["demo"] != nil)
	}
}
