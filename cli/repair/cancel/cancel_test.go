package cancel

import (
	"context"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdCancel(t *testing.T) {
	e := clitest.New(t)
	var got *CancelOptions
	if code := e.Run(NewCmdCancel(e.F, func(o *CancelOptions) error { got = o; return nil }), "operation/0001"); code != 0 || got.ID != "0001" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdCancel(e.F, nil), ""); code != 2 {
		t.Fatalf("no ID: exit %d", code)
	}
}

func TestCancelRun(t *testing.T) {
	for _, tc := range []struct {
		name, output string
		tty          bool
		wantOut      string
	}{
		{name: "pipe", wantOut: "repair 0001: cancel requested; it stops after its running segments\n"},
		{name: "terminal", tty: true, wantOut: "repair 0001: cancel requested; it stops after its running segments\n"},
		{name: "name", output: "name", wantOut: "operation/0001\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			var req *pb.CancelRepairRequest
			e.Srv.CancelRepairFn = func(_ context.Context, in *pb.CancelRepairRequest) (*pb.CancelRepairResponse, error) {
				req = in
				return &pb.CancelRepairResponse{Operation: clitest.Op(pb.OperationKind_OPERATION_KIND_REPAIR, pb.OperationPhase_OPERATION_PHASE_RUNNING)}, nil
			}
			if code := e.Run(NewCmdCancel(e.F, nil), "0001"); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			if req.GetId() != "0001" {
				t.Fatalf("request %v", req)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
		})
	}
}
