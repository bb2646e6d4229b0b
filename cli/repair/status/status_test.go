package status

import (
	"context"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdStatus(t *testing.T) {
	e := clitest.New(t)
	var got *StatusOptions
	if code := e.Run(NewCmdStatus(e.F, func(o *StatusOptions) error { got = o; return nil }), "0001 --segments"); code != 0 || got.ID != "0001" || !got.Segments {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdStatus(e.F, nil), ""); code != 2 {
		t.Fatalf("no ID: exit %d", code)
	}
}

func TestStatusRun(t *testing.T) {
	const summary = "ID:       0001\nKind:     repair\nRing:     demo\nPhase:    running\nProgress: 1/3\nOrigin:   cli\nCreated:  5m ago\nSegments: 1 done, 1 running, 0 pending, 1 failed, 0 skipped (of 3)\n"
	for _, tc := range []struct {
		name, args, output string
		tty                bool
		wantOut            string
	}{
		{name: "pipe", args: "0001", wantOut: summary},
		{name: "terminal with segments", tty: true, args: "0001 --segments", wantOut: summary + `
SEGMENT   COORDINATOR   PHASE     ATTEMPTS   LAST ERROR
0         demo-0        done      1          -
1         demo-1        running   1          -
2         demo-2        failed    3          demo-2 is DN
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			e.Srv.GetRepairFn = func(context.Context, *pb.GetRepairRequest) (*pb.GetRepairResponse, error) {
				return &pb.GetRepairResponse{
					Operation: clitest.Op(pb.OperationKind_OPERATION_KIND_REPAIR, pb.OperationPhase_OPERATION_PHASE_RUNNING),
					Segments: []*pb.RepairSegment{
						{Index: 0, Coordinator: "demo-0", Phase: pb.StepPhase_STEP_PHASE_DONE, Attempts: 1},
						{Index: 1, Coordinator: "demo-1", Phase: pb.StepPhase_STEP_PHASE_RUNNING, Attempts: 1},
						{Index: 2, Coordinator: "demo-2", Phase: pb.StepPhase_STEP_PHASE_FAILED, Attempts: 3, LastError: "demo-2 is DN"},
					}}, nil
			}
			if code := e.Run(NewCmdStatus(e.F, nil), tc.args); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
		})
	}
}
