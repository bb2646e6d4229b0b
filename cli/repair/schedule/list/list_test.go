package list

import (
	"context"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdList(t *testing.T) {
	e := clitest.New(t)
	var got *ListOptions
	if code := e.Run(NewCmdList(e.F, func(o *ListOptions) error { got = o; return nil }), "--ring demo"); code != 0 || got.Ring != "demo" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdList(e.F, nil), "x"); code != 2 {
		t.Fatalf("positional argument: exit %d", code)
	}
}

func TestListRun(t *testing.T) {
	s := &pb.RepairSchedule{Id: "s-1", Ring: "demo", Cron: "0 2 * * 0", Window: "01:00-06:00",
		LastRunTime: clitest.Ago(26 * time.Hour), LastRunOperationId: "0001", LastSkipReason: "outside the window",
		NextRunTime: clitest.Ago(-16 * time.Hour), CreateTime: clitest.Ago(72 * time.Hour)}
	for _, tc := range []struct {
		name, output string
		tty          bool
		wantOut      string
	}{
		{name: "pipe", wantOut: "ID    RING   CRON        WINDOW        NEXT RUN               LAST RUN   AGE\ns-1   demo   0 2 * * 0   01:00-06:00   2026-11-24T02:00:00Z   26h ago    3d\n"},
		{name: "terminal wide", tty: true, output: "wide", wantOut: "ID    RING   CRON        WINDOW        NEXT RUN               LAST RUN   LAST OPERATION   LAST SKIP            AGE\ns-1   demo   0 2 * * 0   01:00-06:00   2026-11-24T02:00:00Z   26h ago    0001             outside the window   3d\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			e.Srv.ListRepairSchedulesFn = func(context.Context, *pb.ListRepairSchedulesRequest) (*pb.ListRepairSchedulesResponse, error) {
				return &pb.ListRepairSchedulesResponse{Schedules: []*pb.RepairSchedule{s}}, nil
			}
			if code := e.Run(NewCmdList(e.F, nil), ""); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
		})
	}
}
