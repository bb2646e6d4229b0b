package scale

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdScale(t *testing.T) {
	for _, tc := range []struct {
		args       string
		wantCode   int
		wantNodes  int32
		wantRemove []string
	}{
		{args: "demo --nodes 5 --wait", wantNodes: 5},
		{args: "demo --nodes 2 --remove node/demo-1,demo-4", wantNodes: 2, wantRemove: []string{"demo-1", "demo-4"}},
		{args: "demo", wantCode: 2},
		{args: "demo --nodes 0", wantCode: 2},
		{args: "demo --nodes x", wantCode: 2},
	} {
		e := clitest.New(t)
		var got *ScaleOptions
		code := e.Run(NewCmdScale(e.F, func(o *ScaleOptions) error { got = o; return nil }), tc.args)
		if code != tc.wantCode {
			t.Fatalf("%s: exit %d: %s", tc.args, code, e.ErrOut)
		}
		if code == 0 && (got.Nodes != tc.wantNodes || !slices.Equal(got.Remove, tc.wantRemove) || got.Wait != strings.Contains(tc.args, "--wait")) {
			t.Fatalf("%s: opts %+v", tc.args, got)
		}
	}
}

func TestScaleRun(t *testing.T) {
	for _, tty := range []bool{false, true} {
		e := clitest.New(t).TTY(tty)
		var req *pb.ScaleRingRequest
		e.Srv.ScaleRingFn = func(_ context.Context, in *pb.ScaleRingRequest) (*pb.ScaleRingResponse, error) {
			req = in
			return &pb.ScaleRingResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_SCALE_RING)}, nil
		}
		if code := e.Run(NewCmdScale(e.F, nil), "demo --nodes 2 --remove demo-1"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.ErrOut)
		}
		if req.Name != "demo" || req.Nodes != 2 || !slices.Equal(req.Remove, []string{"demo-1"}) {
			t.Fatalf("request %v", req)
		}
		clitest.Diff(t, "stdout", e.Out.String(), "operation 0001 (scale-ring demo) started; follow it with `cassmesos op watch 0001`\n")
	}
}
