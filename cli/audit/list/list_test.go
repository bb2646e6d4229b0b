package list

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdList(t *testing.T) {
	e := clitest.New(t)
	var got *ListOptions
	if code := e.Run(NewCmdList(e.F, func(o *ListOptions) error { got = o; return nil }), "--since 1h --user alice --ring demo --limit 5"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if got.Since != time.Hour || got.User != "alice" || got.Ring != "demo" || got.Limit != 5 {
		t.Fatalf("opts %+v", got)
	}
	for _, bad := range []string{"--since soon", "--since -1h", "--limit 1001", "--limit -1", "-o name"} {
		if code := e.Run(NewCmdList(e.F, func(*ListOptions) error { return nil }), bad); code != 2 {
			t.Errorf("%s: exit %d, want 2", bad, code)
		}
	}
}

func TestListRun(t *testing.T) {
	ev := &pb.AuditEvent{Id: "e-0000000007", Time: timestamppb.New(clitest.Now.Add(-time.Minute)), Identity: "alice", Role: "operator",
		Via: "cert", Peer: "10.0.0.1:5555", Method: "/cassmesos.v1.RingService/DeleteRing", Ring: "demo",
		Code: "PermissionDenied", Message: "needs role admin\x1b[31m"}
	e := clitest.New(t)
	var req *pb.ListAuditEventsRequest
	e.Srv.ListAuditEventsFn = func(_ context.Context, r *pb.ListAuditEventsRequest) (*pb.ListAuditEventsResponse, error) {
		req = r
		return &pb.ListAuditEventsResponse{Events: []*pb.AuditEvent{ev}, NextPageToken: "e-0000000007"}, nil
	}
	e.F.Globals.Output = "wide"
	if code := e.Run(NewCmdList(e.F, nil), "--since 2h --user alice --ring demo"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if req.GetIdentity() != "alice" || req.GetRing() != "demo" || !req.GetSince().AsTime().Equal(clitest.Now.Add(-2*time.Hour)) {
		t.Fatalf("request %v", req)
	}
	want := "TIME                   USER    ROLE       METHOD       RING   NODE   OUTCOME            VIA    PEER            TARGET   MESSAGE\n" +
		ev.GetTime().AsTime().UTC().Format(time.RFC3339) + "   alice   operator   DeleteRing   demo   -      PermissionDenied   cert   10.0.0.1:5555   -        needs role admin[31m\n"
	clitest.Diff(t, "stdout", e.Out.String(), want)
	if e.ErrOut.Len() == 0 {
		t.Error("no hint that more events exist")
	}
}

func TestListRunDenied(t *testing.T) {
	e := clitest.New(t)
	e.Srv.ListAuditEventsFn = func(context.Context, *pb.ListAuditEventsRequest) (*pb.ListAuditEventsResponse, error) {
		return nil, status.Error(codes.PermissionDenied, "needs role admin")
	}
	if code := e.Run(NewCmdList(e.F, nil), ""); code != 11 {
		t.Fatalf("exit %d, want 11 (denied): %s", code, e.ErrOut)
	}
}
