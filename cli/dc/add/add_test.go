package add

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdAdd(t *testing.T) {
	for _, tc := range []struct {
		args     string
		wantCode int
		want     string // name/nodes/seeds/region/source
	}{
		{args: "demo dc2 --nodes 3 --wait", want: "dc2/3/0//"},
		{args: "ring/demo west --nodes 2 --seeds 1 --region us-west --source east", want: "west/2/1/us-west/east"},
		{args: "demo dc2", wantCode: 2},
		{args: "demo dc2 --nodes 0", wantCode: 2},
		{args: "demo dc2 --nodes 2 --seeds 3", wantCode: 2},
		{args: "demo bad=dc --nodes 2", wantCode: 2},
		{args: "demo", wantCode: 2},
	} {
		e := clitest.New(t)
		var got *AddOptions
		code := e.Run(NewCmdAdd(e.F, func(o *AddOptions) error { got = o; return nil }), tc.args)
		if code != tc.wantCode {
			t.Fatalf("%s: exit %d, want %d: %s", tc.args, code, tc.wantCode, e.ErrOut)
		}
		if code != 0 {
			continue
		}
		d := got.DataCenter
		if s := strings.Join([]string{d.GetName(), itoa(d.GetNodes()), itoa(d.GetSeeds()), d.GetRegion(), got.Source}, "/"); s != tc.want || got.Ring != "demo" {
			t.Errorf("%s: got %s (ring %s), want %s", tc.args, s, got.Ring, tc.want)
		}
	}
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }

func TestAddRun(t *testing.T) {
	e := clitest.New(t)
	var req *pb.AddDataCenterRequest
	e.Srv.AddDataCenterFn = func(_ context.Context, in *pb.AddDataCenterRequest) (*pb.AddDataCenterResponse, error) {
		req = in
		return &pb.AddDataCenterResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_ADD_DATACENTER)}, nil
	}
	if code := e.Run(NewCmdAdd(e.F, nil), "demo dc2 --nodes 2 --source dc1"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if req.GetName() != "demo" || req.GetDatacenter().GetName() != "dc2" || req.GetDatacenter().GetNodes() != 2 || req.GetSourceDatacenter() != "dc1" {
		t.Fatalf("request %v", req)
	}
	if !strings.Contains(e.Out.String(), "started") {
		t.Errorf("stdout %q", e.Out.String())
	}
	e = clitest.New(t)
	e.Srv.AddDataCenterFn = func(context.Context, *pb.AddDataCenterRequest) (*pb.AddDataCenterResponse, error) {
		return nil, status.Error(codes.FailedPrecondition, "refused: demo already has data centre dc2")
	}
	if code := e.Run(NewCmdAdd(e.F, nil), "demo dc2 --nodes 2"); code == 0 || !strings.Contains(e.ErrOut.String(), "already has data centre dc2") {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
}
