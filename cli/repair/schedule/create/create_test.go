package create

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdCreate(t *testing.T) {
	for _, tc := range []struct {
		args     string
		wantCode int
		want     *pb.RepairSchedule
	}{
		{args: "demo --every 7d --at 02:00 --window 01:00-06:00 --parallel 2",
			want: &pb.RepairSchedule{Ring: "demo", Cron: "0 2 * * 0", Window: "01:00-06:00", Params: &pb.RepairParams{Full: true, Parallel: 2}}},
		{args: "demo --every 1d --at 2:30", want: &pb.RepairSchedule{Ring: "demo", Cron: "30 2 * * *", Params: &pb.RepairParams{Full: true}}},
		{args: "demo --every 36h", want: &pb.RepairSchedule{Ring: "demo", Cron: "@every 36h", Params: &pb.RepairParams{Full: true}}},
		{args: "demo --every 90m", want: &pb.RepairSchedule{Ring: "demo", Cron: "@every 1h30m", Params: &pb.RepairParams{Full: true}}},
		{args: "demo --cron '0 3 * * 1-5' -k shop --incremental", want: &pb.RepairSchedule{Ring: "demo", Cron: "0 3 * * 1-5", Params: &pb.RepairParams{Keyspace: "shop"}}},
		{args: "demo --cron @daily", want: &pb.RepairSchedule{Ring: "demo", Cron: "@daily", Params: &pb.RepairParams{Full: true}}},
		{args: "demo", wantCode: 2},
		{args: "demo --every 1d --cron @daily", wantCode: 2},
		{args: "demo --at 02:00 --cron @daily", wantCode: 2},
		{args: "demo --every 2d --at 02:00", wantCode: 2},
		{args: "demo --every 1d --at 25:00", wantCode: 2},
		{args: "demo --every 10s", wantCode: 2},
		{args: "demo --cron '61 * * * *'", wantCode: 2},
		{args: "demo --every 1d --window 06:00-06:00", wantCode: 2},
		{args: "demo --every 1d --parallel 0", wantCode: 2},
	} {
		e := clitest.New(t)
		var got *CreateOptions
		code := e.Run(NewCmdCreate(e.F, func(o *CreateOptions) error { got = o; return nil }), tc.args)
		if code != tc.wantCode {
			t.Fatalf("%q: exit %d, want %d: %s", tc.args, code, tc.wantCode, e.ErrOut)
		}
		if code == 0 && !proto.Equal(got.Schedule, tc.want) {
			t.Fatalf("%q: schedule %v", tc.args, got.Schedule)
		}
	}
}

func TestCreateRun(t *testing.T) {
	for _, tc := range []struct {
		name, output string
		tty          bool
		wantOut      string
	}{
		{name: "pipe", wantOut: "schedule s-1 created: repair ring demo on \"0 2 * * 0\"; next run 2026-11-29T02:00:00Z\n"},
		{name: "terminal", tty: true, wantOut: "schedule s-1 created: repair ring demo on \"0 2 * * 0\"; next run 2026-11-29T02:00:00Z\n"},
		{name: "name", output: "name", wantOut: "schedule/s-1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			e.Srv.CreateRepairScheduleFn = func(_ context.Context, in *pb.CreateRepairScheduleRequest) (*pb.CreateRepairScheduleResponse, error) {
				s := proto.Clone(in.Schedule).(*pb.RepairSchedule)
				s.Id = "s-1"
				s.NextRunTime = timestamppb.New(time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC))
				return &pb.CreateRepairScheduleResponse{Schedule: s}, nil
			}
			if code := e.Run(NewCmdCreate(e.F, nil), "demo --every 7d --at 02:00"); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
		})
	}
}

func FuzzCronExpr(f *testing.F) {
	f.Add("7d", "02:00", "")
	f.Add("", "", "0 2 * * 0")
	f.Add("1d", "", "@every 5m")
	f.Fuzz(func(t *testing.T, every, at, spec string) {
		expr, err := CronExpr(every != "", every, at != "", at, spec != "", spec)
		if err == nil && strings.TrimSpace(expr) == "" {
			t.Fatal("empty expression accepted")
		}
	})
}
