package clitest

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Run executes cmd with a space-separated command line ('quoted' parts kept together), prints
// an error the way Main does, and returns the exit code.
func (e *Env) Run(cmd *cobra.Command, args string) int {
	err := Exec(cmd, Split(args)...)
	if err != nil {
		fmt.Fprintln(e.ErrOut, "error: "+cmdutil.ErrorMessage(err))
	}
	return cmdutil.ExitCode(err)
}

// Nodes are three nodes of ring demo: two UN seeds and one DN.
func Nodes() []*pb.Node {
	mk := func(i int, l pb.Liveness, m pb.CassandraMode, p pb.NodePhase) *pb.Node {
		return &pb.Node{Ring: "demo", Name: fmt.Sprintf("demo-%d", i), Seed: i < 2, Phase: p, Liveness: l, Mode: m,
			Hostname: fmt.Sprintf("agent-%d", i), Address: fmt.Sprintf("127.0.0.%d", i+2), HostId: fmt.Sprintf("hid-%d", i),
			TaskId: fmt.Sprintf("demo-%d.t1", i), Datacenter: "dc1", Rack: "rack1", LoadBytes: int64(i) * 3 << 29,
			Restarts: int32(i), CreateTime: Ago(time.Duration(3-i) * time.Hour), JmxPort: uint32(31001 + i)}
	}
	ns := []*pb.Node{
		mk(0, pb.Liveness_LIVENESS_UP, pb.CassandraMode_CASSANDRA_MODE_NORMAL, pb.NodePhase_NODE_PHASE_RUNNING),
		mk(1, pb.Liveness_LIVENESS_UP, pb.CassandraMode_CASSANDRA_MODE_NORMAL, pb.NodePhase_NODE_PHASE_RUNNING),
		mk(2, pb.Liveness_LIVENESS_DOWN, pb.CassandraMode_CASSANDRA_MODE_NORMAL, pb.NodePhase_NODE_PHASE_LOST),
	}
	// demo-0's state is live (seen 2s ago), demo-1's recorded (last changed 12m ago), demo-2's
	// source unknown.
	ns[0].StateSource, ns[0].StateTime = pb.NodeStateSource_NODE_STATE_SOURCE_LIVE, Ago(2*time.Second)
	ns[1].StateSource, ns[1].StateTime = pb.NodeStateSource_NODE_STATE_SOURCE_RECORDED, Ago(12*time.Minute)
	return ns
}

// Ring is ring demo, degraded, 2 of 3 nodes ready.
func Ring() *pb.Ring {
	return &pb.Ring{
		Spec: &pb.RingSpec{Name: "demo", Nodes: 3, Seeds: 2, Resources: &pb.Resources{Cpus: 2, MemMb: 8192, DiskMb: 10240},
			Distribution: &pb.Distribution{Version: "4.1.5"}},
		Status: &pb.RingStatus{Phase: pb.RingPhase_RING_PHASE_DEGRADED, ReadyNodes: 2, TotalNodes: 3,
			Warnings: []string{"last complete repair is older than gc_grace_seconds"}},
		CreateTime: Ago(3 * time.Hour),
	}
}

// Op is operation 0001 of the given kind on ring demo.
func Op(kind pb.OperationKind, phase pb.OperationPhase) *pb.Operation {
	return &pb.Operation{Id: "0001", Kind: kind, Ring: "demo", Phase: phase, Progress: &pb.Progress{Done: 1, Total: 3},
		CreateTime: Ago(5 * time.Minute), Origin: "cli"}
}

// Finishes makes the fake's WatchOperation send one running snapshot and then a final one in phase.
func (e *Env) Finishes(kind pb.OperationKind, phase pb.OperationPhase) {
	e.Srv.WatchOperationFn = func(in *pb.WatchOperationRequest, s grpc.ServerStreamingServer[pb.WatchOperationResponse]) error {
		run := Op(kind, pb.OperationPhase_OPERATION_PHASE_RUNNING)
		run.Id = in.Id
		if err := s.Send(&pb.WatchOperationResponse{Operation: run}); err != nil {
			return err
		}
		end := Op(kind, phase)
		end.Id = in.Id
		end.Progress.Done = 3
		if phase == pb.OperationPhase_OPERATION_PHASE_FAILED {
			end.Error = "demo-2 did not come back"
		}
		return s.Send(&pb.WatchOperationResponse{Operation: end})
	}
}

// Started is a hook answer: the operation kind just started, PENDING.
func Started(kind pb.OperationKind) *pb.Operation {
	return Op(kind, pb.OperationPhase_OPERATION_PHASE_PENDING)
}
