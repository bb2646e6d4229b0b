package run

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdRun(t *testing.T) {
	for _, tc := range []struct {
		args       string
		wantCode   int
		wantParams *pb.RepairParams
		wantIdle   bool
	}{
		{args: "demo", wantParams: &pb.RepairParams{Full: true}},
		{args: "demo -k shop --tables orders,carts --incremental --segments-per-node 32 --parallel 2 --intensity 0.5 --segment-timeout 1h --max-attempts 5 --if-idle --wait",
			wantIdle: true,
			wantParams: &pb.RepairParams{Keyspace: "shop", Tables: []string{"orders", "carts"}, SegmentsPerNode: 32, Parallel: 2,
				Intensity: 0.5, SegmentTimeout: durationpb.New(time.Hour), MaxAttempts: 5}},
		{args: "demo --parallel 0", wantCode: 2},
		{args: "demo --intensity 0", wantCode: 2},
		{args: "demo --intensity 1.01", wantCode: 2},
		{args: "demo --segments-per-node 0", wantCode: 2},
		{args: "demo --segment-timeout 0s", wantCode: 2},
		{args: "demo --segment-timeout never", wantCode: 2},
		{args: "demo --tables t", wantCode: 2},
		{args: "demo --full --incremental", wantCode: 2},
		{args: "", wantCode: 2},
	} {
		e := clitest.New(t)
		var got *RunOptions
		code := e.Run(NewCmdRun(e.F, func(o *RunOptions) error { got = o; return nil }), tc.args)
		if code != tc.wantCode {
			t.Fatalf("%q: exit %d, want %d: %s", tc.args, code, tc.wantCode, e.ErrOut)
		}
		if code == 0 && (!proto.Equal(got.Params, tc.wantParams) || got.IfIdle != tc.wantIdle || got.Ring != "demo") {
			t.Fatalf("%q: opts %+v", tc.args, got)
		}
	}
}

func TestRunRun(t *testing.T) {
	for _, tc := range []struct {
		name, args, output string
		tty, running       bool
		wantCode           int
		wantOut, wantErr   string
	}{
		{name: "pipe", args: "demo", wantOut: "operation 0001 (repair demo) started; follow it with `cassmesos op watch 0001`\n"},
		{name: "terminal json", tty: true, args: "demo", output: "json", wantOut: "{\n  \"operation\": {\n    \"id\": \"0001\",\n    \"kind\": \"OPERATION_KIND_REPAIR\",\n    \"ring\": \"demo\",\n    \"phase\": \"OPERATION_PHASE_PENDING\",\n    \"progress\": {\n      \"done\": \"1\",\n      \"total\": \"3\"\n    },\n    \"createTime\": \"2026-11-23T09:55:00Z\",\n    \"origin\": \"cli\"\n  }\n}\n"},
		{name: "if idle, already running", args: "demo --if-idle", running: true, wantCode: 9,
			wantErr: "error: a repair of ring demo is already running (--if-idle): repair 0000 is running\n"},
		{name: "already running without if-idle", args: "demo", running: true, wantCode: 5,
			wantErr: "error: repairing ring demo: repair 0000 is running\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			e.Srv.RunRepairFn = func(_ context.Context, in *pb.RunRepairRequest) (*pb.RunRepairResponse, error) {
				if tc.running {
					return nil, status.Error(codes.FailedPrecondition, "repair 0000 is running")
				}
				return &pb.RunRepairResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_REPAIR)}, nil
			}
			if code := e.Run(NewCmdRun(e.F, nil), tc.args); code != tc.wantCode {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}
