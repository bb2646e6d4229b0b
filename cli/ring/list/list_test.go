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
	if code := e.Run(NewCmdList(e.F, func(o *ListOptions) error { got = o; return nil }), ""); code != 0 || got == nil {
		t.Fatalf("exit %d", code)
	}
	if code := e.Run(NewCmdList(e.F, func(*ListOptions) error { return nil }), "demo"); code != 2 {
		t.Fatalf("extra argument: exit %d", code)
	}
}

func TestListRun(t *testing.T) {
	for _, tc := range []struct {
		name, output string
		tty, empty   bool
		wantOut      string
		wantErr      string
	}{
		{name: "pipe", wantOut: "NAME   PHASE      READY   SEEDS   AGE\ndemo   degraded   2/3     2       3h\n"},
		{name: "terminal", tty: true, wantOut: "NAME   PHASE      READY   SEEDS   AGE\ndemo   degraded   2/3     2       3h\n"},
		{name: "wide", output: "wide", wantOut: "NAME   PHASE      READY   SEEDS   VERSION   CPUS   MEM      OPERATION   AGE\ndemo   degraded   2/3     2       4.1.5     2      8192Mi   -           3h\n"},
		{name: "name", output: "name", wantOut: "ring/demo\n"},
		{name: "empty on a terminal", tty: true, empty: true, wantErr: "No rings. Create one with `cassmesos ring create NAME --nodes N`.\n"},
		{name: "empty in a pipe", empty: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			e.Srv.ListRingsFn = func(context.Context, *pb.ListRingsRequest) (*pb.ListRingsResponse, error) {
				if tc.empty {
					return &pb.ListRingsResponse{}, nil
				}
				return &pb.ListRingsResponse{Rings: []*pb.Ring{clitest.Ring()}}, nil
			}
			if code := e.Run(NewCmdList(e.F, nil), ""); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}
