package restart

import (
	"context"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdRestart(t *testing.T) {
	e := clitest.New(t)
	var got *RestartOptions
	if code := e.Run(NewCmdRestart(e.F, func(o *RestartOptions) error { got = o; return nil }), "demo --wait"); code != 0 || got.Name != "demo" || !got.Wait {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdRestart(e.F, nil), "a b"); code != 2 {
		t.Fatalf("two names: exit %d", code)
	}
}

func TestRestartRun(t *testing.T) {
	for _, tc := range []struct {
		name             string
		tty              bool
		wantOut, wantErr string
	}{
		{name: "pipe", wantErr: "2026-11-23T10:00:00Z op 0001 running 1/3\n2026-11-23T10:00:00Z op 0001 failed 3/3\n2026-11-23T10:00:00Z op 0001 error: demo-2 did not come back\nerror: operation 0001 failed: demo-2 did not come back\n"},
		{name: "terminal", tty: true, wantErr: "op 0001 restart-ring demo: running 1/3\n\x1b[1A\x1b[Jop 0001 restart-ring demo: failed 3/3\nerror: demo-2 did not come back\nerror: operation 0001 failed: demo-2 did not come back\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.Srv.RestartRingFn = func(_ context.Context, in *pb.RestartRingRequest) (*pb.RestartRingResponse, error) {
				return &pb.RestartRingResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_RESTART_RING)}, nil
			}
			e.Finishes(pb.OperationKind_OPERATION_KIND_RESTART_RING, pb.OperationPhase_OPERATION_PHASE_FAILED)
			if code := e.Run(NewCmdRestart(e.F, nil), "demo --wait"); code != 6 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}
