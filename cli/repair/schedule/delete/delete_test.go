package delete

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdDelete(t *testing.T) {
	e := clitest.New(t)
	var got *DeleteOptions
	if code := e.Run(NewCmdDelete(e.F, func(o *DeleteOptions) error { got = o; return nil }), "schedule/s-1"); code != 0 || got.ID != "s-1" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdDelete(e.F, nil), ""); code != 2 {
		t.Fatalf("no ID: exit %d", code)
	}
}

func TestDeleteRun(t *testing.T) {
	for _, tc := range []struct {
		name, id         string
		tty              bool
		wantCode         int
		wantOut, wantErr string
	}{
		{name: "pipe", id: "s-1", wantOut: "schedule s-1 deleted\n"},
		{name: "terminal", tty: true, id: "s-1", wantOut: "schedule s-1 deleted\n"},
		{name: "not found", id: "s-9", wantCode: 4, wantErr: "error: deleting repair schedule s-9: no schedule s-9\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.Srv.DeleteRepairScheduleFn = func(_ context.Context, in *pb.DeleteRepairScheduleRequest) (*pb.DeleteRepairScheduleResponse, error) {
				if in.Id != "s-1" {
					return nil, status.Errorf(codes.NotFound, "no schedule %s", in.Id)
				}
				return &pb.DeleteRepairScheduleResponse{}, nil
			}
			if code := e.Run(NewCmdDelete(e.F, nil), tc.id); code != tc.wantCode {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}
