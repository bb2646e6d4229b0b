package status

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdStatus(t *testing.T) {
	e := clitest.New(t)
	var got *StatusOptions
	if code := e.Run(NewCmdStatus(e.F, func(o *StatusOptions) error { got = o; return nil }), "ring/demo"); code != 0 || got.Name != "demo" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdStatus(e.F, nil), ""); code != 2 {
		t.Fatalf("no name: exit %d", code)
	}
}

const table = `NAME     ADDRESS     STATE   SEED   AGENT     HOST ID   AGE
demo-0   127.0.0.2   UN      yes    agent-0   hid-0     3h
demo-1   127.0.0.3   UN      yes    agent-1   hid-1     2h
demo-2   127.0.0.4   DN      no     agent-2   hid-2     60m
`

func TestStatusRun(t *testing.T) {
	for _, tc := range []struct {
		name, output string
		tty          bool
		wantOut      string
		wantErr      string
	}{
		{name: "pipe", wantOut: table, wantErr: "warning: ring demo: last complete repair is older than gc_grace_seconds\n"},
		{name: "terminal", tty: true, wantOut: "Ring demo: degraded, 2/3 nodes UN\nwarning: last complete repair is older than gc_grace_seconds\n\n" + table},
		{name: "wide", output: "wide", wantErr: "warning: ring demo: last complete repair is older than gc_grace_seconds\n",
			wantOut: `NAME     ADDRESS     STATE   SEED   AGENT     HOST ID   PHASE     TASK        JMX     RACK    DC    LOAD      RESTARTS   SEEN           AGE
demo-0   127.0.0.2   UN      yes    agent-0   hid-0     running   demo-0.t1   31001   rack1   dc1   0 B       0          live 2s        3h
demo-1   127.0.0.3   UN      yes    agent-1   hid-1     running   demo-1.t1   31002   rack1   dc1   1.5 GiB   1          recorded 12m   2h
demo-2   127.0.0.4   DN      no     agent-2   hid-2     lost      demo-2.t1   31003   rack1   dc1   3.0 GiB   2          -              60m
`},
		{name: "yaml", output: "yaml", wantOut: "ring:\n  spec:\n    name: demo\n    nodes: 3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			e.Srv.GetRingFn = func(_ context.Context, in *pb.GetRingRequest) (*pb.GetRingResponse, error) {
				if tc.output == "yaml" {
					return &pb.GetRingResponse{Ring: &pb.Ring{Spec: &pb.RingSpec{Name: in.Name, Nodes: 3}}}, nil
				}
				return &pb.GetRingResponse{Ring: clitest.Ring(), Nodes: clitest.Nodes()}, nil
			}
			if code := e.Run(NewCmdStatus(e.F, nil), "demo"); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}

func TestStatusNotFound(t *testing.T) {
	e := clitest.New(t)
	e.Srv.GetRingFn = func(_ context.Context, in *pb.GetRingRequest) (*pb.GetRingResponse, error) {
		return nil, status.Errorf(codes.NotFound, "ring %q not found", in.Name)
	}
	if code := e.Run(NewCmdStatus(e.F, nil), "nope"); code != 4 {
		t.Fatalf("exit %d", code)
	}
	clitest.Diff(t, "stderr", e.ErrOut.String(), "error: ring nope: ring \"nope\" not found\n")
}
