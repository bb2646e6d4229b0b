package run

import (
	"context"
	"slices"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdRun(t *testing.T) {
	e := clitest.New(t)
	var got *RunOptions
	if code := e.Run(NewCmdRun(e.F, func(o *RunOptions) error { got = o; return nil }), "demo -k shop --tables a,b --wait"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if got.Ring != "demo" || got.Params.Keyspace != "shop" || !slices.Equal(got.Params.Tables, []string{"a", "b"}) || !got.Wait {
		t.Fatalf("opts %+v", got)
	}
	for _, bad := range []string{"", "demo --tables a", "demo extra"} {
		if code := e.Run(NewCmdRun(e.F, nil), bad); code != 2 {
			t.Fatalf("%q: exit %d", bad, code)
		}
	}
}

func TestRunRun(t *testing.T) {
	for _, tc := range []struct {
		name, args       string
		tty              bool
		wantOut, wantErr string
	}{
		{name: "pipe", args: "demo", wantOut: "operation 0001 (cleanup demo) started; follow it with `cassmesos op watch 0001`\n"},
		{name: "terminal wait", tty: true, args: "demo --wait", wantOut: "operation 0001 (cleanup demo) succeeded\n",
			wantErr: "op 0001 cleanup demo: running 1/3\n\x1b[1A\x1b[Jop 0001 cleanup demo: succeeded 3/3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.Srv.RunCleanupFn = func(_ context.Context, in *pb.RunCleanupRequest) (*pb.RunCleanupResponse, error) {
				return &pb.RunCleanupResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_CLEANUP)}, nil
			}
			e.Finishes(pb.OperationKind_OPERATION_KIND_CLEANUP, pb.OperationPhase_OPERATION_PHASE_SUCCEEDED)
			if code := e.Run(NewCmdRun(e.F, nil), tc.args); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}
