package resume

import (
	"context"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdResume(t *testing.T) {
	e := clitest.New(t)
	var got *ResumeOptions
	if code := e.Run(NewCmdResume(e.F, func(o *ResumeOptions) error { got = o; return nil }), "operation/0001"); code != 0 || got.ID != "0001" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdResume(e.F, nil), ""); code != 2 {
		t.Fatalf("no ID: exit %d", code)
	}
}

func TestResumeRun(t *testing.T) {
	for _, tc := range []struct {
		name, output string
		tty          bool
		wantOut      string
	}{
		{name: "pipe", wantOut: "repair 0001: resumed\n"},
		{name: "terminal", tty: true, wantOut: "repair 0001: resumed\n"},
		{name: "name", output: "name", wantOut: "operation/0001\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			var req *pb.ResumeRepairRequest
			e.Srv.ResumeRepairFn = func(_ context.Context, in *pb.ResumeRepairRequest) (*pb.ResumeRepairResponse, error) {
				req = in
				return &pb.ResumeRepairResponse{Operation: clitest.Op(pb.OperationKind_OPERATION_KIND_REPAIR, pb.OperationPhase_OPERATION_PHASE_RUNNING)}, nil
			}
			if code := e.Run(NewCmdResume(e.F, nil), "0001"); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			if req.GetId() != "0001" {
				t.Fatalf("request %v", req)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
		})
	}
}
