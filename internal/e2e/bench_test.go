package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// BenchmarkBootstrapOverheadPerNode measures the time cassmesos adds to a bootstrap: with a
// stand-in that starts and bootstraps in 0 s, a 20-node ring is created and, per node, the time
// from the previous node turning UN to the next node turning UN is taken from the nodes'
// phase_time (when the daemon saw them RUNNING = UN). It reports the median and p90 (ms/node), and
// the median of each leg: previous UN → launch (daemon log), launch → Cassandra start (action log:
// fetch, executor, process), start → bootstrap done, done → the daemon seeing UN.
//
// Tunables: CASSMESOS_BENCH_ALLOCATION_INTERVAL (mesos-sim --allocation-interval, default the
// simulator's 1s) and CASSMESOS_BENCH_HEALTH_INTERVAL (the executor's health interval, default
// 500ms), to show where the time goes.
func BenchmarkBootstrapOverheadPerNode(b *testing.B) {
	const nodes = 20
	opts := Options{
		Agents: nodes,
		CassandraKnobs: map[string]string{
			"bootstrap_duration": "0s", "ring_delay": "0s", "start_delay": "0s",
			"gossip_interval": "100ms", "failure_detection_timeout": "1s",
		},
		ExecutorEnv: map[string]string{"CASSMESOS_EXECUTOR_HEALTH_INTERVAL": envOr("CASSMESOS_BENCH_HEALTH_INTERVAL", "500ms")},
	}
	if v := os.Getenv("CASSMESOS_BENCH_ALLOCATION_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("CASSMESOS_BENCH_ALLOCATION_INTERVAL: %v", err)
		}
		opts.AllocationInterval = d
	}
	var gaps, decide, launch, boot, observe []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w := NewWorld(b, opts)
		b.StartTimer()
		out, errOut, code := w.CLI("ring", "create", "bench", "--nodes", fmt.Sprint(nodes), "--seeds", "2",
			"--cpus", "0.1", "--mem", "256Mi", "--disk", "64Mi", "--wait", "--timeout", "5m")
		b.StopTimer()
		if code != 0 {
			b.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
		}
		ring := w.Ring("bench")
		type nodeT struct {
			name, addr               string
			launched, started, ready time.Time
			un                       time.Time
		}
		launches := launchTimes(b, filepath.Join(w.Dir(), "cassmesosd.log"))
		byAddr := map[string]*nodeT{}
		var ns []*nodeT
		for _, n := range ring.GetNodes() {
			if n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_RUNNING {
				b.Fatalf("node %s is %s after create --wait", n.GetName(), n.GetPhase())
			}
			t := &nodeT{name: n.GetName(), addr: n.GetAddress(), un: n.GetPhaseTime().AsTime(), launched: launches[n.GetName()]}
			byAddr[t.addr] = t
			ns = append(ns, t)
		}
		for _, a := range w.ActionLog() {
			t := byAddr[a.Node]
			if t == nil || a.Status != "ok" {
				continue
			}
			switch a.Action {
			case "start":
				if t.started.IsZero() {
					t.started = a.Time
					if t.ready.IsZero() {
						t.ready = a.Time // a seed is ready once started; a bootstrap moves it on
					}
				}
			case "bootstrap", "join":
				t.ready = a.Time
			}
		}
		sort.Slice(ns, func(i, j int) bool { return ns[i].un.Before(ns[j].un) })
		for k := 1; k < len(ns); k++ {
			prev, t := ns[k-1], ns[k]
			gaps = append(gaps, t.un.Sub(prev.un))
			b.Logf("%s: prev UN→UN %v: prev UN→launch %v, launch→start %v, start→bootstrapped %v, bootstrapped→UN seen %v",
				t.name, t.un.Sub(prev.un).Round(time.Millisecond), t.launched.Sub(prev.un).Round(time.Millisecond),
				t.started.Sub(t.launched).Round(time.Millisecond), t.ready.Sub(t.started).Round(time.Millisecond),
				t.un.Sub(t.ready).Round(time.Millisecond))
			if !t.launched.IsZero() {
				decide = append(decide, t.launched.Sub(prev.un))
				launch = append(launch, t.started.Sub(t.launched))
			}
			boot = append(boot, t.ready.Sub(t.started))
			observe = append(observe, t.un.Sub(t.ready))
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(quantile(gaps, 0.5)), "ms/node-median")
	b.ReportMetric(ms(quantile(gaps, 0.9)), "ms/node-p90")
	b.ReportMetric(ms(quantile(decide, 0.5)), "ms-prevUN-to-launch-median")
	b.ReportMetric(ms(quantile(launch, 0.5)), "ms-launch-to-start-median")
	b.ReportMetric(ms(quantile(boot, 0.5)), "ms-start-to-bootstrapped-median")
	b.ReportMetric(ms(quantile(observe, 0.5)), "ms-bootstrapped-to-UN-seen-median")
	b.ReportMetric(0, "ns/op")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

var launchedLine = regexp.MustCompile(`^time=(\S+) .*msg=launched .*\bnode=(\S+)`)

// launchTimes reads when the daemon launched each node's (last) task from its log.
func launchTimes(b *testing.B, path string) map[string]time.Time {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := map[string]time.Time{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := launchedLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, m[1]); err == nil {
			out[strings.Trim(m[2], `"`)] = t
		}
	}
	return out
}
