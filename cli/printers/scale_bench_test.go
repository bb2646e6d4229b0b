package printers

import (
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// BenchmarkNodeTable renders the wide node table of `ring status` / `node list` for rings of
// 1,000 and 10,000 nodes: the time per node should stay flat (no worse than linear).
func BenchmarkNodeTable(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, size := range []int{1000, 10000} {
		nodes := make([]*pb.Node, size)
		for i := range nodes {
			nodes[i] = &pb.Node{Ring: "big", Name: fmt.Sprintf("big-%d", i), Address: fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255),
				Liveness: pb.Liveness_LIVENESS_UP, Mode: pb.CassandraMode_CASSANDRA_MODE_NORMAL, Phase: pb.NodePhase_NODE_PHASE_RUNNING,
				Hostname: fmt.Sprintf("agent-%d", i), HostId: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), TaskId: fmt.Sprintf("big-%d.1.abcdefgh", i),
				Rack: "r1", Datacenter: "dc1", LoadBytes: int64(i) << 20, CreateTime: timestamppb.New(now.Add(-time.Hour)),
				StateSource: pb.NodeStateSource_NODE_STATE_SOURCE_LIVE, StateTime: timestamppb.New(now.Add(-2 * time.Second))}
		}
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := RenderTable(io.Discard, NodeTable(nodes, now, true, false)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(size), "µs/node")
		})
	}
}
