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

	"github.com/cassmesos/cassmesos/internal/svgplot"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// BenchmarkNodeJoinOverhead measures the time cassmesos adds to each node join (docs/performance.md,
// "Node join overhead"): a 20-node ring is created on the stand-in with a 0 s bootstrap, and for
// every node launched after the previous one was UN, the time from the daemon seeing the previous
// node UN to the daemon seeing this one UN is split into legs by the logs of the daemon, the Mesos
// stand-in, the executor and the node's own system.log:
//
//	prevUN→offer      daemon saw the previous node UN → the offer the node was launched on arrived
//	offer→accept      the offer arrived → the ACCEPT with the launch was sent (plan, persist)
//	accept→agent      the ACCEPT was sent → the agent began launching the executor (the master)
//	agent→executor    → the agent started the executor process (sandbox, fetch, unpack)
//	executor→process  the executor process started → it started bin/cassandra
//	process→UN(log)   bin/cassandra started → its system.log says it is NORMAL with CQL clients
//	                  served: Cassandra's own time (the stand-in's here), not the framework's
//	UN(log)→daemon    the log said UN → the daemon saw the node RUNNING, healthy, NORMAL
//
// Framework time = (UN seen − previous UN seen) − process→UN(log); without accept→agent and
// agent→executor (the Mesos master's and agent's) it is cassmesos's own. It reports min, median and
// max of framework time (ms), the median of cassmesos's own and of each leg, and prints one line
// per node and a summary line.
//
// Tunables: CASSMESOS_BENCH_ALLOCATION_INTERVAL (mesos-sim --allocation-interval, default the
// simulator's 1s) and CASSMESOS_BENCH_HEALTH_INTERVAL (the executor's health interval, default
// 500ms), to show where the time goes; CASSMESOS_BENCH_GOSSIP_INTERVAL (the stand-in's gossip
// round, default 1s: real Cassandra's fixed interval). A 100 ms round, which earlier runs used, made
// each idle stand-in cost about 7% of a core, so 20 of them saturated this 2-core machine and the
// Mesos agent's launch of the next executor waited for CPU (agent→executor grew from 0.12 s on the
// first join to 5.4 s on the last).
func BenchmarkNodeJoinOverhead(b *testing.B) {
	const nodes = 20
	opts := Options{
		Agents: nodes,
		CassandraKnobs: map[string]string{
			"bootstrap_duration": "0s", "ring_delay": "0s", "start_delay": "0s",
			"gossip_interval": envOr("CASSMESOS_BENCH_GOSSIP_INTERVAL", "1s"), "failure_detection_timeout": "1s",
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
	var fw, ours []time.Duration
	legs := make([][]time.Duration, len(joinLegNames))
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
		joins := joinTimelines(b, w)
		for k := 1; k < len(joins); k++ {
			prev, j := joins[k-1], joins[k]
			if j.launched.Before(prev.un) {
				fmt.Printf("join %s: launched before %s was UN (seeds start together): not a join after a join\n", j.node, prev.node)
				continue
			}
			ls := j.legs(prev.un)
			own := ls[ownLeg]
			total := j.un.Sub(prev.un)
			fw = append(fw, total-own)
			ours = append(ours, total-own-ls[agentLegs[0]]-ls[agentLegs[1]])
			parts := make([]string, len(ls))
			for x, d := range ls {
				legs[x] = append(legs[x], d)
				parts[x] = fmt.Sprintf("%s %s", joinLegNames[x], d.Round(100*time.Microsecond))
			}
			fmt.Printf("join %s: UN→UN %s, framework %s: %s\n", j.node, total.Round(100*time.Microsecond),
				(total - own).Round(100*time.Microsecond), strings.Join(parts, ", "))
		}
	}
	if len(fw) == 0 {
		b.Fatal("no join followed another")
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(quantile(fw, 0)), "ms-framework-min")
	b.ReportMetric(ms(quantile(fw, 0.5)), "ms-framework-median")
	b.ReportMetric(ms(quantile(fw, 1)), "ms-framework-max")
	b.ReportMetric(ms(quantile(ours, 0.5)), "ms-cassmesos-only-median")
	summary := fmt.Sprintf("node join overhead (%d joins): framework min %.1f ms, median %.1f ms, max %.1f ms; without the Mesos master and agent (cassmesos only) min %.1f, median %.1f, max %.1f; leg medians:",
		len(fw), ms(quantile(fw, 0)), ms(quantile(fw, 0.5)), ms(quantile(fw, 1)), ms(quantile(ours, 0)), ms(quantile(ours, 0.5)), ms(quantile(ours, 1)))
	for x, name := range joinLegNames {
		b.ReportMetric(ms(quantile(legs[x], 0.5)), "ms-"+name+"-median")
		summary += fmt.Sprintf(" %s %.1f", name, ms(quantile(legs[x], 0.5)))
	}
	fmt.Println(summary)
	b.ReportMetric(0, "ns/op")
	if path := os.Getenv("CASSMESOS_BENCH_JOIN_SVG"); path != "" {
		msAll := func(ds []time.Duration) []float64 {
			out := make([]float64, len(ds))
			for i, d := range ds {
				out[i] = ms(d)
			}
			return out
		}
		writeChart(b, path, svgplot.Chart{
			Title: fmt.Sprintf("Framework time added per node join (%d joins, %d-node ring, 0 s bootstrap)", len(fw), nodes),
			Unit:  "milliseconds per join",
			Rows: []svgplot.Series{
				{Name: "framework (all but Cassandra's own start)", Samples: msAll(fw)},
				{Name: "cassmesos only (without Mesos master/agent)", Samples: msAll(ours)},
				{Name: "Mesos agent: fetch + executor start", Samples: msAll(legs[agentLegs[1]])},
				{Name: "log UN → daemon sees UN", Samples: msAll(legs[len(legs)-1])},
			},
			Goals: []svgplot.Goal{{Label: "goal 250 ms", At: 250}, {Label: "stretch 100 ms", At: 100}},
		})
	}
}

// joinLegNames name the legs of joinTimeline.legs, in order.
var joinLegNames = []string{"prevUN-offer", "offer-accept", "accept-agent", "agent-executor", "executor-process", "process-UNlog", "UNlog-daemon"}

// ownLeg is the index of Cassandra's own leg (process-UNlog) in joinLegNames; agentLegs those of
// the Mesos master's and agent's (accept-agent, agent-executor).
var (
	ownLeg    = 5
	agentLegs = [2]int{2, 3}
)

// joinTimeline is one node's launch, from the logs.
type joinTimeline struct {
	node, addr       string
	offer, launched  time.Time // daemon: offer arrived, ACCEPT with the launch sent
	agent, executor  time.Time // mesos-sim: launching the executor, its process started
	process          time.Time // executor: bin/cassandra started
	normalLog, cqlUp time.Time // system.log: own state jump to NORMAL, CQL clients served
	un               time.Time // daemon: node RUNNING (phase_time)
}

func (j joinTimeline) legs(prevUN time.Time) []time.Duration {
	unLog := j.normalLog
	if j.cqlUp.After(unLog) {
		unLog = j.cqlUp
	}
	return []time.Duration{j.offer.Sub(prevUN), j.launched.Sub(j.offer), j.agent.Sub(j.launched), j.executor.Sub(j.agent),
		j.process.Sub(j.executor), unLog.Sub(j.process), j.un.Sub(unLog)}
}

var (
	launchedLine = regexp.MustCompile(`^time=\S+ .*msg=launched .*\bnode=(\S+) .*\boffer_received=(\S+) accept_sent=(\S+)`)
	simExecLine  = regexp.MustCompile(`^time=(\S+) .*msg="executor process started" .*\bexecutor_id=(\S+)`)
	sandboxLine  = regexp.MustCompile(`^time=(\S+) .*msg="launching executor" .*\bexecutor_id=(\S+) .*\bsandbox=(\S+)`)
	execStarted  = regexp.MustCompile(`^time=(\S+) .*msg="cassandra started"`)
	javaLogTime  = regexp.MustCompile(`\] (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) `)
)

// joinTimelines reads every node's timeline from the world's logs, ordered by when the daemon saw
// the node UN.
func joinTimelines(b *testing.B, w *World) []joinTimeline {
	b.Helper()
	ring := w.Ring("bench")
	byNode := map[string]*joinTimeline{}
	var out []*joinTimeline
	for _, n := range ring.GetNodes() {
		if n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_RUNNING {
			b.Fatalf("node %s is %s after create --wait", n.GetName(), n.GetPhase())
		}
		j := &joinTimeline{node: n.GetName(), addr: n.GetAddress(), un: n.GetPhaseTime().AsTime()}
		byNode[j.node] = j
		out = append(out, j)
	}
	node := func(executorID string) *joinTimeline { // executor IDs are <node>.<incarnation>
		if i := strings.LastIndexByte(executorID, '.'); i > 0 {
			return byNode[executorID[:i]]
		}
		return nil
	}
	eachLine(b, filepath.Join(w.Dir(), "cassmesosd.log"), func(l string) {
		if m := launchedLine.FindStringSubmatch(l); m != nil {
			if j := byNode[strings.Trim(m[1], `"`)]; j != nil {
				j.offer, j.launched = rfc3339(b, m[2]), rfc3339(b, m[3])
			}
		}
	})
	sandboxes := map[*joinTimeline]string{}
	eachLine(b, filepath.Join(w.Dir(), "mesos-sim.log"), func(l string) {
		if m := simExecLine.FindStringSubmatch(l); m != nil {
			if j := node(m[2]); j != nil {
				j.executor = rfc3339(b, m[1])
			}
		}
		if m := sandboxLine.FindStringSubmatch(l); m != nil {
			if j := node(m[2]); j != nil {
				j.agent, sandboxes[j] = rfc3339(b, m[1]), strings.Trim(m[3], `"`)
			}
		}
	})
	for j, sb := range sandboxes {
		eachLine(b, filepath.Join(sb, "stderr"), func(l string) {
			if m := execStarted.FindStringSubmatch(l); m != nil {
				j.process = rfc3339(b, m[1])
			}
		})
		own := "Node /" + j.addr + ":"
		eachLine(b, filepath.Join(sb, "cassandra-logs", "system.log"), func(l string) {
			m := javaLogTime.FindStringSubmatch(l)
			if m == nil {
				return
			}
			t, err := time.ParseInLocation("2006-01-02 15:04:05,000", m[1], time.Local)
			if err != nil {
				b.Fatalf("system.log time %q: %v", m[1], err)
			}
			switch {
			case strings.Contains(l, own) && strings.Contains(l, "state jump to NORMAL"):
				j.normalLog = t
			case strings.Contains(l, "Starting listening for CQL clients"):
				j.cqlUp = t
			}
		})
	}
	for _, j := range out {
		for what, t := range map[string]time.Time{"launch": j.launched, "executor start": j.executor,
			"process start": j.process, "NORMAL in system.log": j.normalLog, "CQL in system.log": j.cqlUp} {
			if t.IsZero() {
				b.Fatalf("node %s: no %s in the logs", j.node, what)
			}
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].un.Before(out[k].un) })
	res := make([]joinTimeline, len(out))
	for i, j := range out {
		res[i] = *j
	}
	return res
}

func rfc3339(b *testing.B, s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.Trim(s, `"`))
	if err != nil {
		b.Fatalf("time %q: %v", s, err)
	}
	return t
}

func eachLine(b *testing.B, path string, fn func(string)) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fn(sc.Text())
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// quantile is the q-quantile of ds (0: the minimum, 1: the maximum).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
