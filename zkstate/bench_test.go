package zkstate

import (
	"slices"
	"testing"
	"time"
)

// writesPerIteration keeps the figures meaningful under `make bench` (-benchtime 1x).
const writesPerIteration = 200

// BenchmarkPutNode measures a leader's fenced compare-and-set write of one node record (a
// multi-op: check the election znode, set the record) against the real server.
func BenchmarkPutNode(b *testing.B) {
	ctx := testCtx(b)
	s := openStore(b, storeOpts{})
	l, err := s.Campaign(ctx, "bench:1")
	if err != nil {
		b.Fatal(err)
	}
	fs := l.Store()
	if _, err := fs.PutRing(ctx, ring("bench"), Absent); err != nil {
		b.Fatal(err)
	}
	n := node("bench", 0)
	v, err := fs.PutNode(ctx, n, Absent)
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N*writesPerIteration)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for range writesPerIteration {
			n.Incarnation++
			begin := time.Now()
			if v, err = fs.PutNode(ctx, n, v); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(begin))
		}
	}
	b.StopTimer()
	reportLatency(b, lat, "write")
}

// BenchmarkList1000 measures reading a ring of 1,000 node records.
func BenchmarkList1000(b *testing.B) {
	ctx := testCtx(b)
	s := openStore(b, storeOpts{})
	putNodes(b, s, "big", 1000)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		begin := time.Now()
		nodes, err := s.ListNodes(ctx, "big")
		if err != nil || len(nodes) != 1000 {
			b.Fatalf("ListNodes = %d records, %v", len(nodes), err)
		}
		lat = append(lat, time.Since(begin))
	}
	b.StopTimer()
	reportLatency(b, lat, "list")
}

func reportLatency(b *testing.B, lat []time.Duration, what string) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	b.ReportMetric(float64(sum.Microseconds())/float64(len(lat)), "µs/"+what)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs/"+what)
}
