package server

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// mutatingCalls calls every mutating RPC with the given request ID.
func mutatingCalls(t *testing.T, b *fakeBackend) map[string]func(id string) error {
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}, DefaultDistribution: tarball(t)})
	rings := cassmesosv1.NewRingServiceClient(conn)
	nodes := cassmesosv1.NewNodeServiceClient(conn)
	ops := cassmesosv1.NewOperationServiceClient(conn)
	rep := cassmesosv1.NewRepairServiceClient(conn)
	cl := cassmesosv1.NewCleanupServiceClient(conn)
	ctx := context.Background()
	ref := &cassmesosv1.NodeRef{Ring: "demo", Node: "demo-1"}
	ks := &cassmesosv1.RepairParams{Keyspace: "ks"}
	return map[string]func(string) error{
		"CreateRing": func(id string) error {
			_, err := rings.CreateRing(ctx, &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "new", Nodes: 3, Seeds: 2}, RequestId: id})
			return err
		},
		"UpdateRing": func(id string) error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", Spec: &cassmesosv1.RingSpec{HeapMb: 900}, UpdateMask: mask("heap_mb"), RequestId: id})
			return err
		},
		"ScaleRing": func(id string) error {
			_, err := rings.ScaleRing(ctx, &cassmesosv1.ScaleRingRequest{Name: "demo", Nodes: 3, RequestId: id})
			return err
		},
		"RestartRing": func(id string) error {
			_, err := rings.RestartRing(ctx, &cassmesosv1.RestartRingRequest{Name: "demo", RequestId: id})
			return err
		},
		"DeleteRing": func(id string) error {
			_, err := rings.DeleteRing(ctx, &cassmesosv1.DeleteRingRequest{Name: "demo", RequestId: id})
			return err
		},
		"ReplaceNode": func(id string) error {
			_, err := nodes.ReplaceNode(ctx, &cassmesosv1.ReplaceNodeRequest{Ref: ref, RequestId: id})
			return err
		},
		"RestartNode": func(id string) error {
			_, err := nodes.RestartNode(ctx, &cassmesosv1.RestartNodeRequest{Ref: ref, RequestId: id})
			return err
		},
		"DecommissionNode": func(id string) error {
			_, err := nodes.DecommissionNode(ctx, &cassmesosv1.DecommissionNodeRequest{Ref: ref, RequestId: id})
			return err
		},
		"RemoveNode": func(id string) error {
			_, err := nodes.RemoveNode(ctx, &cassmesosv1.RemoveNodeRequest{Ref: ref, RequestId: id})
			return err
		},
		"CancelOperation": func(id string) error {
			_, err := ops.CancelOperation(ctx, &cassmesosv1.CancelOperationRequest{Id: "op1", RequestId: id})
			return err
		},
		"RunRepair": func(id string) error {
			_, err := rep.RunRepair(ctx, &cassmesosv1.RunRepairRequest{Ring: "demo", Params: ks, RequestId: id})
			return err
		},
		"CancelRepair": func(id string) error {
			_, err := rep.CancelRepair(ctx, &cassmesosv1.CancelRepairRequest{Id: "rep1", RequestId: id})
			return err
		},
		"PauseRepair": func(id string) error {
			_, err := rep.PauseRepair(ctx, &cassmesosv1.PauseRepairRequest{Id: "rep1", RequestId: id})
			return err
		},
		"ResumeRepair": func(id string) error {
			_, err := rep.ResumeRepair(ctx, &cassmesosv1.ResumeRepairRequest{Id: "rep1", RequestId: id})
			return err
		},
		"CreateRepairSchedule": func(id string) error {
			_, err := rep.CreateRepairSchedule(ctx, &cassmesosv1.CreateRepairScheduleRequest{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "@daily", Params: ks}, RequestId: id})
			return err
		},
		"DeleteRepairSchedule": func(id string) error {
			_, err := rep.DeleteRepairSchedule(ctx, &cassmesosv1.DeleteRepairScheduleRequest{Id: "s-1", RequestId: id})
			return err
		},
		"RunCleanup": func(id string) error {
			_, err := cl.RunCleanup(ctx, &cassmesosv1.RunCleanupRequest{Ring: "demo", RequestId: id})
			return err
		},
	}
}

func requestIDState() *plan.State {
	st := testState()
	st.Operations["rep1"] = &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "rep1", Ring: "demo",
		Kind: cassmesosv1.OperationKind_OPERATION_KIND_REPAIR, Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING}}
	return st
}

// Every mutating RPC hands its request ID to the planner.
func TestRequestIDReachesThePlanner(t *testing.T) {
	b := &fakeBackend{state: requestIDState()}
	calls := mutatingCalls(t, b)
	if len(calls) != 17 {
		t.Fatalf("%d mutating RPCs covered, want 17", len(calls))
	}
	for name, call := range calls {
		b.mu.Lock()
		b.submitted = nil
		b.mu.Unlock()
		id := "req-" + strings.ToLower(name)
		if err := call(id); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b.mu.Lock()
		got := b.submitted
		b.mu.Unlock()
		if len(got) != 1 {
			t.Fatalf("%s: %d submits", name, len(got))
		}
		f := reflect.ValueOf(got[0]).FieldByName("RequestID")
		if !f.IsValid() || f.String() != id {
			t.Errorf("%s: submitted %+v, want RequestID %q", name, got[0], id)
		}
	}
}

// A bad request ID is InvalidArgument naming request_id, and nothing reaches the engine.
func TestRequestIDInvalidAtTheEdge(t *testing.T) {
	b := &fakeBackend{state: requestIDState()}
	for name, call := range mutatingCalls(t, b) {
		for _, id := range []string{strings.Repeat("x", 65), "a b", "a/b"} {
			err := call(id)
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "request_id:") {
				t.Errorf("%s with request ID %q: %v, want InvalidArgument naming request_id", name, id, err)
			}
		}
	}
	if n := b.writes(); n != 0 {
		t.Fatalf("%d requests reached the engine", n)
	}
}

func TestRequestIDReusedIsAlreadyExists(t *testing.T) {
	b := &fakeBackend{state: requestIDState(), submitErr: fmt.Errorf("%w: request ID r1 was used for a different request (operation op1)", plan.ErrRequestIDReused)}
	err := mutatingCalls(t, b)["RestartRing"]("r1")
	if status.Code(err) != codes.AlreadyExists || !strings.Contains(err.Error(), "request ID r1 was used for a different request") {
		t.Fatalf("got %v, want AlreadyExists", err)
	}
}
