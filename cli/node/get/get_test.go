package get

import (
	"context"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdGet(t *testing.T) {
	e := clitest.New(t)
	var got *GetOptions
	if code := e.Run(NewCmdGet(e.F, func(o *GetOptions) error { got = o; return nil }), "node/demo-2"); code != 0 || got.Node != "demo-2" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdGet(e.F, nil), ""); code != 2 {
		t.Fatalf("no node: exit %d", code)
	}
}

func TestGetRun(t *testing.T) {
	const table = "NAME     RING   ADDRESS     STATE   SEED   AGENT     HOST ID   AGE\ndemo-2   demo   127.0.0.4   DN      no     agent-2   hid-2     60m\n"
	for _, tc := range []struct {
		name    string
		tty     bool
		wantOut string
	}{
		{name: "pipe", wantOut: table},
		{name: "terminal", tty: true, wantOut: table + "\nMessage: task lost: agent agent-2 unreachable\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.Srv.GetNodeFn = func(_ context.Context, in *pb.GetNodeRequest) (*pb.GetNodeResponse, error) {
				n := clitest.Nodes()[2]
				n.Message = "task lost:\nagent agent-2 unreachable"
				return &pb.GetNodeResponse{Node: n}, nil
			}
			if code := e.Run(NewCmdGet(e.F, nil), "demo-2"); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
		})
	}
}
