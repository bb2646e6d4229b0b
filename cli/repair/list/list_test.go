package list

import (
	"context"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdList(t *testing.T) {
	e := clitest.New(t)
	var got *ListOptions
	if code := e.Run(NewCmdList(e.F, func(o *ListOptions) error { got = o; return nil }), "--ring demo --all"); code != 0 || got.Ring != "demo" || !got.All {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdList(e.F, nil), "demo"); code != 2 {
		t.Fatalf("positional argument: exit %d", code)
	}
}

func TestListRun(t *testing.T) {
	for _, tc := range []struct {
		name, output     string
		tty, empty       bool
		wantOut, wantErr string
	}{
		{name: "pipe", wantOut: "ID     KIND     RING   PHASE     PROGRESS   AGE\n0001   repair   demo   running   1/3        5m\n"},
		{name: "terminal, none", tty: true, empty: true, wantErr: "No repairs.\n"},
		{name: "name", output: "name", wantOut: "operation/0001\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			e.Srv.ListRepairsFn = func(context.Context, *pb.ListRepairsRequest) (*pb.ListRepairsResponse, error) {
				if tc.empty {
					return &pb.ListRepairsResponse{}, nil
				}
				return &pb.ListRepairsResponse{Operations: []*pb.Operation{clitest.Op(pb.OperationKind_OPERATION_KIND_REPAIR, pb.OperationPhase_OPERATION_PHASE_RUNNING)}}, nil
			}
			if code := e.Run(NewCmdList(e.F, nil), ""); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}
