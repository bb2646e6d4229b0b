package list

import (
	"context"
	"slices"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdList(t *testing.T) {
	e := clitest.New(t)
	var got *ListOptions
	if code := e.Run(NewCmdList(e.F, func(o *ListOptions) error { got = o; return nil }), "--ring demo -A --kind repair,create-ring --limit 5"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if got.Ring != "demo" || !got.All || got.Limit != 5 ||
		!slices.Equal(got.Kinds, []pb.OperationKind{pb.OperationKind_OPERATION_KIND_REPAIR, pb.OperationKind_OPERATION_KIND_CREATE_RING}) {
		t.Fatalf("opts %+v", got)
	}
	if code := e.Run(NewCmdList(e.F, nil), "--kind resize"); code != 2 {
		t.Fatalf("bad kind: exit %d", code)
	}
}

func TestListRun(t *testing.T) {
	op := clitest.Op(pb.OperationKind_OPERATION_KIND_REPAIR, pb.OperationPhase_OPERATION_PHASE_BLOCKED)
	op.BlockedReason = "demo-2 is DN"
	op.CancelRequested = true
	for _, tc := range []struct {
		name, output string
		tty          bool
		wantOut      string
	}{
		{name: "pipe", wantOut: "ID     KIND     RING   PHASE                  PROGRESS   AGE\n0001   repair   demo   blocked (cancelling)   1/3        5m\n"},
		{name: "terminal wide", tty: true, output: "wide", wantOut: "ID     KIND     RING   PHASE                  PROGRESS   NODES   ORIGIN   BLOCKED        ERROR   AGE\n0001   repair   demo   blocked (cancelling)   1/3        -       cli      demo-2 is DN   -       5m\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			e.Srv.ListOperationsFn = func(context.Context, *pb.ListOperationsRequest) (*pb.ListOperationsResponse, error) {
				return &pb.ListOperationsResponse{Operations: []*pb.Operation{op}}, nil
			}
			if code := e.Run(NewCmdList(e.F, nil), ""); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
		})
	}
}
