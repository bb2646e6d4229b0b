package delete

import (
	"context"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdDelete(t *testing.T) {
	for _, tc := range []struct {
		name, args string
		tty        bool
		wantCode   int
		wantYes    bool
	}{
		{name: "yes in a pipe", args: "demo --yes", wantYes: true},
		{name: "terminal asks", args: "demo", tty: true},
		{name: "pipe without --yes", args: "demo", wantCode: 2},
		{name: "no name", args: "--yes", wantCode: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			var got *DeleteOptions
			code := e.Run(NewCmdDelete(e.F, func(o *DeleteOptions) error { got = o; return nil }), tc.args)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, e.ErrOut)
			}
			if code == 0 && (got.Name != "demo" || got.Yes != tc.wantYes) {
				t.Fatalf("opts %+v", got)
			}
		})
	}
}

func TestDeleteRun(t *testing.T) {
	const prompt = "Delete ring demo? Every node is stopped and its data destroyed; this cannot be undone.\nType the ring name to confirm: "
	for _, tc := range []struct {
		name, args, answer string
		tty                bool
		wantCode           int
		wantOut, wantErr   string
		wantCalled         bool
	}{
		{name: "terminal confirmed", tty: true, args: "demo", answer: "demo\n", wantCalled: true, wantErr: prompt,
			wantOut: "operation 0001 (delete-ring demo) started; follow it with `cassmesos op watch 0001`\n"},
		{name: "terminal declined", tty: true, args: "demo", answer: "no\n", wantCode: 1,
			wantErr: prompt + "error: cancelled: nothing was changed\n"},
		{name: "pipe with --yes and --wait", args: "demo --yes --wait", wantCalled: true,
			wantOut: "operation 0001 (delete-ring demo) succeeded\n",
			wantErr: "2026-11-23T10:00:00Z op 0001 running 1/3\n2026-11-23T10:00:00Z op 0001 succeeded 3/3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.In.WriteString(tc.answer)
			called := false
			e.Srv.DeleteRingFn = func(_ context.Context, in *pb.DeleteRingRequest) (*pb.DeleteRingResponse, error) {
				called = in.Name == "demo"
				return &pb.DeleteRingResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_DELETE_RING)}, nil
			}
			e.Finishes(pb.OperationKind_OPERATION_KIND_DELETE_RING, pb.OperationPhase_OPERATION_PHASE_SUCCEEDED)
			if code := e.Run(NewCmdDelete(e.F, nil), tc.args); code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, e.ErrOut)
			}
			if called != tc.wantCalled {
				t.Fatalf("DeleteRing called = %v", called)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}
