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
	if code := e.Run(NewCmdCancel(e.F, func(o *CancelOptions) error { got = o; return nil }), "0001 --wait"); code != 0 || got.ID != "0001" || !got.Wait {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdCancel(e.F, nil), ""); code != 2 {
		t.Fatalf("no ID: exit %d", code)
	}
}

func TestCancelRun(t *testing.T) {
	for _, tc := range []struct {
		name, args       string
		tty, ended       bool
		wantCode         int
		wantOut, wantErr string
	}{
		{name: "pipe", args: "0001", wantOut: "operation 0001 (repair demo): cancel requested; it stops at its next safe point\n"},
		{name: "terminal, already ended", tty: true, ended: true, args: "0001", wantOut: "operation 0001 had already ended: succeeded\n"},
		{name: "wait", args: "0001 --wait", wantCode: 7,
			wantErr: "2026-11-23T10:00:00Z op 0001 running 1/3\n2026-11-23T10:00:00Z op 0001 cancelled 3/3\nerror: operation 0001 was cancelled\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.Srv.CancelOperationFn = func(_ context.Context, in *pb.CancelOperationRequest) (*pb.CancelOperationResponse, error) {
				phase := pb.OperationPhase_OPERATION_PHASE_RUNNING
				if tc.ended {
					phase = pb.OperationPhase_OPERATION_PHASE_SUCCEEDED
				}
				op := clitest.Op(pb.OperationKind_OPERATION_KIND_REPAIR, phase)
				op.CancelRequested = !tc.ended
				return &pb.CancelOperationResponse{Operation: op}, nil
			}
			e.Finishes(pb.OperationKind_OPERATION_KIND_REPAIR, pb.OperationPhase_OPERATION_PHASE_CANCELLED)
			if code := e.Run(NewCmdCancel(e.F, nil), tc.args); code != tc.wantCode {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}
