package e2e

import (
	"testing"
	"time"
)

// BenchmarkRepair12NodesRF3 compares, with the stand-in's repair speed fixed
// (repair_full_ring_duration 60s: repairing ranges that add up to the whole ring takes 60 s of
// session time), a full repair of keyspace ks (RF 3) on a 12-node ring by cassmesos at the highest
// safe parallelism (12 nodes / RF 3 = 4 disjoint replica sets) with the cron way: `nodetool repair
// --full -pr ks` on each node in turn. It reports both times and their ratio (target <= 0.3).
func BenchmarkRepair12NodesRF3(b *testing.B) {
	const nodes = 12
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
		out, errOut, code := w.CLI("repair", "run", "bench", "--keyspace", "ks", "--full", "--parallel", "4", "--wait", "--timeout", "10m")
		if code != 0 {
			b.Fatalf("repair run --wait: exit %d\n%s%s", code, out, errOut)
		}
		par := time.Since(begin)
		b.ReportMetric(seq.Seconds(), "sequential-pr-s")
		b.ReportMetric(par.Seconds(), "cassmesos-s")
		b.ReportMetric(par.Seconds()/seq.Seconds(), "ratio")
		b.Logf("nodetool repair -pr node by node: %v; cassmesos repair --parallel 4: %v; ratio %.2f", seq.Round(time.Millisecond), par.Round(time.Millisecond), par.Seconds()/seq.Seconds())
	}
}
