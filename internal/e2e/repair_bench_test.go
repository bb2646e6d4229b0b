package e2e

import (
	"os"
	"sort"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/cassandrasim"
)

// BenchmarkRepair12NodesRF3 compares, with the stand-in's repair speed fixed
// (repair_full_ring_duration 60s: repairing ranges that add up to the whole ring takes 60 s of
// session time), a full repair of keyspace ks (RF 3) on a 12-node ring by cassmesos at the highest
// safe parallelism (12 nodes / RF 3 = 4 disjoint replica sets) with the cron way: `nodetool repair
// --full -pr ks` on each node in turn. It reports both times and their ratio (target <= 0.3), and
// from the stand-ins' action log how many repair sessions cassmesos ran and how many ran at once
// on average while any ran.
//
// Segments per node: 8. The ring has 16 vnodes per node, so 192 token ranges, and a segment never
// spans two ranges (nodetool repair -st/-et must lie inside one). A segment costs about 0.1 s on
// the executor's side (relay, nodetool start, session start and end) whatever its size, so the
// fewest segments are best as long as none is large enough to leave replicas idle at the end: 8
// per node caps a segment at 1/96 of the ring and gives one segment per range (193 measured).
// 16 per node (the default) cuts every range above 1/192 of the ring in two: with the stand-in's
// token allocation now as even as Cassandra's (tokenalloc.go), about a quarter of the ranges,
// 241 segments: each node takes part in about 12 more, over 1 s more of overhead. The busiest
// node bounds the run: no schedule can end before it has spent its share of the 60 s (25% of the
// ring at best, 15 s; the two seeds start together and both allocate on an empty ring, as real
// Cassandra does, which leaves the busiest node at 27-29%). CASSMESOS_BENCH_SEGMENTS_PER_NODE
// overrides it to explore the trade-off.
func BenchmarkRepair12NodesRF3(b *testing.B) {
	const nodes = 12
	segsPerNode := "8"
	if s := os.Getenv("CASSMESOS_BENCH_SEGMENTS_PER_NODE"); s != "" {
		segsPerNode = s
	}
	w := NewWorld(b, Options{Agents: nodes, CassandraKnobs: map[string]string{
		"repair_full_ring_duration": "60s", "failure_detection_timeout": "6s", "gossip_interval": "200ms",
	}})
	addrs := repairRingTB(b, w, "bench", nodes)
	for b.Loop() {
		begin := time.Now()
		for _, a := range addrs {
			out, errOut, code := w.Nodetool(a, "repair", "--full", "-pr", "ks")
			if code != 0 {
				b.Fatalf("nodetool -h %s repair --full -pr ks: exit %d\n%s%s", a, code, out, errOut)
			}
		}
		seq := time.Since(begin)

		begin = time.Now()
		out, errOut, code := w.CLI("repair", "run", "bench", "--keyspace", "ks", "--full", "--parallel", "4",
			"--segments-per-node", segsPerNode, "--wait", "--timeout", "10m")
		if code != 0 {
			b.Fatalf("repair run --wait: exit %d\n%s%s", code, out, errOut)
		}
		par := time.Since(begin)
		sessions, mean, busy, busiest := repairConcurrency(w.ActionLog(), begin)
		b.ReportMetric(seq.Seconds(), "sequential-pr-s")
		b.ReportMetric(par.Seconds(), "cassmesos-s")
		b.ReportMetric(par.Seconds()/seq.Seconds(), "ratio")
		b.ReportMetric(float64(sessions), "segments")
		b.ReportMetric(mean, "mean-concurrent")
		b.ReportMetric(busiest.Seconds(), "busiest-node-s")
		b.Logf("nodetool repair -pr node by node: %v; cassmesos repair --parallel 4 --segments-per-node %s: %v; ratio %.2f; "+
			"%d repair sessions, %.1f s of session time, %.2f at once on average while any ran; the busiest node spent %.1f s in sessions (no schedule can beat that)",
			seq.Round(time.Millisecond), segsPerNode, par.Round(time.Millisecond), par.Seconds()/seq.Seconds(), sessions, busy.Seconds(), mean, busiest.Seconds())
	}
}

// repairConcurrency reads the successful repair sessions of keyspace ks started at or after
// since: how many, the mean number running at once while at least one ran, their total time, and
// the session time of the busiest replica (a lower bound for any schedule).
func repairConcurrency(acts []cassandrasim.Action, since time.Time) (n int, mean float64, busy, busiest time.Duration) {
	type edge struct {
		t time.Time
		d int
	}
	var edges []edge
	perNode := map[string]time.Duration{}
	for _, a := range cassandrasim.RepairSessions(acts) {
		if a.Keyspace != "ks" || a.Status != "ok" || a.Start.Before(since) {
			continue
		}
		n++
		busy += a.End.Sub(a.Start)
		for _, r := range a.Replicas {
			perNode[r] += a.End.Sub(a.Start)
			busiest = max(busiest, perNode[r])
		}
		edges = append(edges, edge{a.Start, 1}, edge{a.End, -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].t.Equal(edges[j].t) {
			return edges[i].d < edges[j].d
		}
		return edges[i].t.Before(edges[j].t)
	})
	var active time.Duration
	running := 0
	for i, e := range edges {
		if running > 0 {
			active += e.t.Sub(edges[i-1].t)
		}
		running += e.d
	}
	if active > 0 {
		mean = busy.Seconds() / active.Seconds()
	}
	return n, mean, busy, busiest
}
