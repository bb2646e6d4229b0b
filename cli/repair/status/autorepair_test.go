package status

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestAutoRepairStatus(t *testing.T) {
	e := clitest.New(t)
	var got *StatusOptions
	if code := e.Run(NewCmdStatus(e.F, func(o *StatusOptions) error { got = o; return nil }), "--ring demo"); code != 0 || got.Ring != "demo" || got.ID != "" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := clitest.New(t).Run(NewCmdStatus(e.F, nil), "0001 --ring demo"); code != 2 {
		t.Fatalf("ID and --ring: exit %d", code)
	}

	e = clitest.New(t)
	now := e.F.Now()
	e.Srv.GetAutoRepairStatusFn = func(_ context.Context, req *pb.GetAutoRepairStatusRequest) (*pb.GetAutoRepairStatusResponse, error) {
		if req.GetRing() != "demo" {
			t.Errorf("ring %q", req.GetRing())
		}
		return &pb.GetAutoRepairStatusResponse{
			Engine: pb.RepairEngine_REPAIR_ENGINE_CASSANDRA,
			Nodes: []*pb.NodeAutoRepairStatus{
				{Node: "demo-0", State: &pb.GetAutoRepairResponse{SchedulerEnabled: true, Types: []*pb.AutoRepairTypeStatus{
					{RepairType: "full", Enabled: true, MinRepairInterval: "24h", ActiveHostIds: []string{"6f5a"}},
					{RepairType: "incremental"}, {RepairType: "preview_repaired"}}}},
				{Node: "demo-1", Error: "unavailable"},
			},
			Pauses: []*pb.AutoRepairPauseInfo{{OperationId: "0002", Phase: "RESUMED",
				PausedTime: timestamppb.New(now.Add(-10 * time.Minute)), ResumedTime: timestamppb.New(now.Add(-time.Minute))}},
		}, nil
	}
	if code := e.Run(NewCmdStatus(e.F, nil), "--ring demo"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	clitest.Diff(t, "stdout", e.Out.String(), `Ring demo is repaired by Cassandra's Auto Repair (repair engine cassandra).

NODE     SCHEDULER   ENABLED TYPES   PAUSED TYPES                   MIN INTERVAL   IN PROGRESS
demo-0   on          full            incremental,preview_repaired   full=24h       full:6f5a
demo-1   ?                                                                         error: unavailable

Pauses around topology changes:
OPERATION   PHASE     PAUSED      RESUMED    LAST ERROR
0002        RESUMED   10m0s ago   1m0s ago
`)
}
