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
	if code := e.Run(NewCmdList(e.F, func(o *ListOptions) error { got = o; return nil }), "--ring ring/demo"); code != 0 || got.Ring != "demo" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdList(e.F, nil), "demo"); code != 2 {
		t.Fatalf("positional argument: exit %d", code)
	}
}

func TestListRun(t *testing.T) {
	for _, tc := range []struct {
		name, args, output string
		tty                bool
		nodes              func([]*pb.Node) []*pb.Node
		wantOut            string
	}{
		{name: "every ring, pipe", wantOut: `NAME     RING   ADDRESS     STATE   SEED   AGENT     HOST ID   AGE
demo-0   demo   127.0.0.2   UN      yes    agent-0   hid-0     3h
demo-1   demo   127.0.0.3   UN      yes    agent-1   hid-1     2h
demo-2   demo   127.0.0.4   DN      no     agent-2   hid-2     60m
`},
		{name: "one ring, terminal", tty: true, args: "--ring demo", wantOut: `NAME     ADDRESS     STATE   SEED   AGENT     HOST ID   AGE
demo-0   127.0.0.2   UN      yes    agent-0   hid-0     3h
demo-1   127.0.0.3   UN      yes    agent-1   hid-1     2h
demo-2   127.0.0.4   DN      no     agent-2   hid-2     60m
`},
		{name: "name", output: "name", wantOut: "node/demo-0\nnode/demo-1\nnode/demo-2\n"},
		// Wide shows each node's JMX port ("-" while unknown).
		{name: "wide", output: "wide", args: "--ring demo", nodes: func(ns []*pb.Node) []*pb.Node { ns[2].JmxPort = 0; return ns },
			wantOut: `NAME     ADDRESS     STATE   SEED   AGENT     HOST ID   PHASE     TASK        JMX     RACK    DC    LOAD      RESTARTS   SEEN           AGE
demo-0   127.0.0.2   UN      yes    agent-0   hid-0     running   demo-0.t1   31001   rack1   dc1   0 B       0          live 2s        3h
demo-1   127.0.0.3   UN      yes    agent-1   hid-1     running   demo-1.t1   31002   rack1   dc1   1.5 GiB   1          recorded 12m   2h
demo-2   127.0.0.4   DN      no     agent-2   hid-2     lost      demo-2.t1   -       rack1   dc1   3.0 GiB   2          -              60m
`},
		// Structured output carries it as jmxPort.
		{name: "json", output: "json", args: "--ring demo", nodes: func([]*pb.Node) []*pb.Node {
			return []*pb.Node{{Ring: "demo", Name: "demo-0", JmxPort: 31001}}
		}, wantOut: `{
  "nodes": [
    {
      "ring": "demo",
      "name": "demo-0",
      "jmxPort": 31001
    }
  ]
}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			var req *pb.ListNodesRequest
			e.Srv.ListNodesFn = func(_ context.Context, in *pb.ListNodesRequest) (*pb.ListNodesResponse, error) {
				req = in
				ns := clitest.Nodes()
				if tc.nodes != nil {
					ns = tc.nodes(ns)
				}
				return &pb.ListNodesResponse{Nodes: ns}, nil
			}
			if code := e.Run(NewCmdList(e.F, nil), tc.args); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			if tc.args != "" && req.Ring != "demo" {
				t.Fatalf("request %v", req)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
		})
	}
}
