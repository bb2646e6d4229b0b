package remove

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestRemoveRun(t *testing.T) {
	e := clitest.New(t)
	var req *pb.RemoveDataCenterRequest
	e.Srv.RemoveDataCenterFn = func(_ context.Context, in *pb.RemoveDataCenterRequest) (*pb.RemoveDataCenterResponse, error) {
		req = in
		return &pb.RemoveDataCenterResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_REMOVE_DATACENTER)}, nil
	}
	if code := e.Run(NewCmdRemove(e.F, nil), "ring/demo dc2"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if req.GetName() != "demo" || req.GetDatacenter() != "dc2" {
		t.Fatalf("request %v", req)
	}
	e = clitest.New(t)
	e.Srv.RemoveDataCenterFn = func(context.Context, *pb.RemoveDataCenterRequest) (*pb.RemoveDataCenterResponse, error) {
		return nil, status.Error(codes.FailedPrecondition, "refused: 1 keyspace(s) still replicate to data centre dc2")
	}
	if code := e.Run(NewCmdRemove(e.F, nil), "demo dc2"); code == 0 || !strings.Contains(e.ErrOut.String(), "still replicate to data centre dc2") {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	for _, args := range []string{"demo", "demo bad=dc", "demo dc2 extra"} {
		if code := clitest.New(t).Run(NewCmdRemove(clitest.New(t).F, func(*RemoveOptions) error { return nil }), args); code != 2 {
			t.Errorf("%s: exit %d, want 2", args, code)
		}
	}
}
