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
	if code := e.Run(NewCmdRestart(e.F, func(o *RestartOptions) error { got = o; return nil }), "node/demo-2 --ring demo --wait"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if got.Node != "demo-2" || got.Ring != "demo" || !got.Wait {
		t.Fatalf("opts %+v", got)
	}
	if code := e.Run(NewCmdRestart(e.F, nil), ""); code != 2 {
		t.Fatalf("no node: exit %d", code)
	}
}

func TestRestartRun(t *testing.T) {
	for _, tc := range []struct {
		name, args, output string
		tty                bool
		wantCode           int
		wantOut, wantErr   string
	}{
		{name: "pipe", args: "demo-2", wantOut: "operation 0001 (restart-node demo) started; follow it with `cassmesos op watch 0001`\n"},
		{name: "terminal", tty: true, args: "demo-2", wantOut: "operation 0001 (restart-node demo) started; follow it with `cassmesos op watch 0001`\n"},
		{name: "wait in a pipe", args: "demo-2 --wait", wantCode: 7,
			wantErr: "2026-11-23T10:00:00Z op 0001 running 1/3\n2026-11-23T10:00:00Z op 0001 cancelled 3/3\nerror: operation 0001 was cancelled\n"},
		{name: "wait yaml", args: "demo-2 --wait", output: "yaml", wantCode: 7,
			wantOut: "operation:\n  id: \"0001\"\n  kind: OPERATION_KIND_RESTART_NODE\n  ring: demo\n  phase: OPERATION_PHASE_CANCELLED\n  progress:\n    done: \"3\"\n    total: \"3\"\n  createTime: \"2026-11-23T09:55:00Z\"\n  origin: cli\n",
			wantErr: "error: operation 0001 was cancelled\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			var req *pb.RestartNodeRequest
			e.Srv.RestartNodeFn = func(_ context.Context, in *pb.RestartNodeRequest) (*pb.RestartNodeResponse, error) {
				req = in
				return &pb.RestartNodeResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_RESTART_NODE)}, nil
			}
			e.Finishes(pb.OperationKind_OPERATION_KIND_RESTART_NODE, pb.OperationPhase_OPERATION_PHASE_CANCELLED)
			if code := e.Run(NewCmdRestart(e.F, nil), tc.args); code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, e.ErrOut)
			}
			if req.GetRef().GetNode() != "demo-2" {
				t.Fatalf("request %v", req)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}
