package watch

import (
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdWatch(t *testing.T) {
	e := clitest.New(t)
	e.F.Globals.Timeout = time.Minute
	var got *WatchOptions
	if code := e.Run(NewCmdWatch(e.F, func(o *WatchOptions) error { got = o; return nil }), "operation/0001"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got.ID != "0001" || !got.Wait || got.Timeout != time.Minute {
		t.Fatalf("opts %+v", got)
	}
	if code := e.Run(NewCmdWatch(e.F, nil), "a b"); code != 2 {
		t.Fatalf("two IDs: exit %d", code)
	}
}

func TestWatchRun(t *testing.T) {
	for _, tc := range []struct {
		name             string
		tty              bool
		phase            pb.OperationPhase
		wantCode         int
		wantOut, wantErr string
	}{
		{name: "pipe succeeded", phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED,
			wantOut: "operation 0001 (repair demo) succeeded\n",
			wantErr: "2026-11-23T10:00:00Z op 0001 running 1/3\n2026-11-23T10:00:00Z op 0001 succeeded 3/3\n"},
		{name: "terminal failed", tty: true, phase: pb.OperationPhase_OPERATION_PHASE_FAILED, wantCode: 6,
			wantErr: "op 0001 repair demo: running 1/3\n\x1b[1A\x1b[Jop 0001 repair demo: failed 3/3\nerror: demo-2 did not come back\nerror: operation 0001 failed: demo-2 did not come back\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.Finishes(pb.OperationKind_OPERATION_KIND_REPAIR, tc.phase)
			if code := e.Run(NewCmdWatch(e.F, nil), "0001"); code != tc.wantCode {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}
