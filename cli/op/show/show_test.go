package show

import (
	"context"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdShow(t *testing.T) {
	e := clitest.New(t)
	var got *ShowOptions
	if code := e.Run(NewCmdShow(e.F, func(o *ShowOptions) error { got = o; return nil }), "operation/0001"); code != 0 || got.ID != "0001" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdShow(e.F, nil), ""); code != 2 {
		t.Fatalf("no ID: exit %d", code)
	}
}

func TestShowRun(t *testing.T) {
	op := clitest.Op(pb.OperationKind_OPERATION_KIND_CREATE_RING, pb.OperationPhase_OPERATION_PHASE_RUNNING)
	op.Steps = []*pb.Step{
		{Name: "bootstrap demo-0", Node: "demo-0", Phase: pb.StepPhase_STEP_PHASE_DONE, Attempts: 1, StartTime: clitest.Ago(5 * time.Minute), EndTime: clitest.Ago(3 * time.Minute)},
		{Name: "bootstrap demo-1", Node: "demo-1", Phase: pb.StepPhase_STEP_PHASE_RUNNING, Attempts: 2, Message: "UJ", LastError: "timeout", StartTime: clitest.Ago(time.Minute)},
		{Name: "bootstrap demo-2", Node: "demo-2", Phase: pb.StepPhase_STEP_PHASE_PENDING},
	}
	const summary = "ID:       0001\nKind:     create-ring\nRing:     demo\nPhase:    running\nProgress: 1/3\nOrigin:   cli\nCreated:  5m ago\n\n"
	for _, tc := range []struct {
		name, output string
		tty          bool
		wantOut      string
	}{
		{name: "pipe", wantOut: summary + `STEP               NODE     PHASE     ATTEMPTS   MESSAGE   DURATION
bootstrap demo-0   demo-0   done      1          -         2m
bootstrap demo-1   demo-1   running   2          UJ        60s
bootstrap demo-2   demo-2   pending   0          -         -
`},
		{name: "terminal wide", tty: true, output: "wide", wantOut: summary + `STEP               NODE     PHASE     ATTEMPTS   MESSAGE   DURATION   LAST ERROR
bootstrap demo-0   demo-0   done      1          -         2m         -
bootstrap demo-1   demo-1   running   2          UJ        60s        timeout
bootstrap demo-2   demo-2   pending   0          -         -          -
`},
		{name: "name", output: "name", wantOut: "operation/0001\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			e.Srv.GetOperationFn = func(context.Context, *pb.GetOperationRequest) (*pb.GetOperationResponse, error) {
				return &pb.GetOperationResponse{Operation: op}, nil
			}
			if code := e.Run(NewCmdShow(e.F, nil), "0001"); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
		})
	}
}
