package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/cassmesos/cassmesos/internal/svgplot"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// BenchmarkFailover kills the leading cassmesosd with SIGKILL while a standby runs, and measures,
// from the kill:
//
//   - serving: the standby accepts a write (CreateRepairSchedule; deleted again) and has
//     re-subscribed to the master with the framework ID (its "subscribed" log line);
//   - recorded: the standby's GetRing first shows every node UN (the state recorded in ZooKeeper);
//   - true state: its GetRing shows every node UN observed live by itself (state_source LIVE);
//   - blank: whether any answer in between showed a running node's state as "-" (unknown).
//
// The killed daemon is started again as the next standby; CASSMESOS_BENCH_FAILOVERS rounds
// (default 5) alternate between two daemons. CASSMESOS_BENCH_ZK_SESSION_TIMEOUT (default 10s) is
// the daemons' --zk-session-timeout; the goals are serving ≤ timeout+2s and true state ≤
// timeout+3s. CASSMESOS_BENCH_FAILOVER_SVG names an SVG file to draw the figures into.
func BenchmarkFailover(b *testing.B) {
	sessionTimeout, err := time.ParseDuration(envOr("CASSMESOS_BENCH_ZK_SESSION_TIMEOUT", "10s"))
	if err != nil {
		b.Fatalf("CASSMESOS_BENCH_ZK_SESSION_TIMEOUT: %v", err)
	}
	rounds, err := strconv.Atoi(envOr("CASSMESOS_BENCH_FAILOVERS", "5"))
	if err != nil || rounds < 1 {
		b.Fatalf("CASSMESOS_BENCH_FAILOVERS: want a positive number, got %q", os.Getenv("CASSMESOS_BENCH_FAILOVERS"))
	}
	const nodes = 3
	var serving, recorded, trueState []float64
	blanks := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w := NewWorld(b, Options{
			Agents: nodes, NoDaemon: true,
			DaemonFlags: []string{"--zk-session-timeout", sessionTimeout.String()},
		})
		ds := [2]*Daemon{w.SpawnDaemon(0, DaemonOptions{}), nil}
		leader := w.WaitLeader(2*time.Minute, ds[0])
		if out, errOut, code := w.CLI("ring", "create", "fo", "--nodes", fmt.Sprint(nodes), "--seeds", "2",
			"--cpus", "0.1", "--mem", "256Mi", "--disk", "64Mi", "--wait", "--timeout", "5m"); code != 0 {
			b.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
		}
		// The probe write (a repair schedule) names a keyspace that exists.
		if err := w.Cqlsh(w.Ring("fo").GetNodes()[0].GetAddress(),
			"CREATE KEYSPACE probe WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"); err != nil {
			b.Fatalf("creating keyspace probe: %v", err)
		}
		ds[1] = w.SpawnDaemon(1, DaemonOptions{})
		for r := 0; r < rounds; r++ {
			standby := ds[1-leader.Slot]
			w.WaitFor(2*time.Minute, func() bool {
				v := standby.Version()
				m, _ := w.ZKMembers()
				return v != nil && !v.GetIsLeader() && len(m) == 2
			}, "daemon %d to stand by", standby.Slot)
			w.WaitFor(2*time.Minute, func() bool { return allUN(w.Ring("fo").GetNodes(), nodes) }, "every node UN before the kill")
			b.StartTimer()
			t0 := time.Now()
			leader.Kill()
			m := measureFailover(b, w, standby, t0, nodes, 5*sessionTimeout+time.Minute)
			b.StopTimer()
			serving = append(serving, m.serving.Seconds())
			trueState = append(trueState, m.trueState.Seconds())
			blanks += m.blanks
			recorded = append(recorded, m.recorded.Seconds())
			b.Logf("failover %d (daemon %d → %d): write accepted %v, re-subscribed %v, first answer %v, every node UN (recorded) %v, every node UN live %v, answers with a running node shown as '-': %d",
				r+1, leader.Slot, standby.Slot, m.write.Round(time.Millisecond), m.subscribed.Round(time.Millisecond),
				m.firstAnswer.Round(time.Millisecond), m.recorded.Round(time.Millisecond), m.trueState.Round(time.Millisecond), m.blanks)
			w.UseDaemon(standby)
			ds[leader.Slot] = w.SpawnDaemon(leader.Slot, DaemonOptions{})
			leader = standby
		}
	}
	lo, med, hi := svgplot.Stats(serving)
	b.Logf("serving writes and re-subscribed: min %.2fs median %.2fs max %.2fs (goal ≤ %v)", lo, med, hi, sessionTimeout+2*time.Second)
	b.ReportMetric(med, "s-serving-median")
	b.ReportMetric(hi, "s-serving-max")
	lo, med, hi = svgplot.Stats(recorded)
	b.Logf("every node UN (recorded state): min %.2fs median %.2fs max %.2fs", lo, med, hi)
	b.ReportMetric(med, "s-recorded-median")
	lo, med, hi = svgplot.Stats(trueState)
	b.Logf("every node's true state (live): min %.2fs median %.2fs max %.2fs (goal ≤ %v)", lo, med, hi, sessionTimeout+3*time.Second)
	b.ReportMetric(med, "s-truestate-median")
	b.ReportMetric(hi, "s-truestate-max")
	b.ReportMetric(float64(blanks), "blank-answers")
	b.ReportMetric(0, "ns/op")
	if path := os.Getenv("CASSMESOS_BENCH_FAILOVER_SVG"); path != "" {
		writeChart(b, path, svgplot.Chart{
			Title: fmt.Sprintf("Failover after kill -9 of the leader (%d runs, ZooKeeper session timeout %v)", len(serving), sessionTimeout),
			Unit:  "seconds after kill -9",
			Rows:  []svgplot.Series{{Name: "serving + re-subscribed", Samples: serving}, {Name: "every node UN (recorded)", Samples: recorded}, {Name: "every node UN (live)", Samples: trueState}},
			Goals: []svgplot.Goal{{Label: "session timeout", At: sessionTimeout.Seconds()}, {Label: "goal: timeout + 3s", At: (sessionTimeout + 3*time.Second).Seconds()}},
		})
	}
	if blanks > 0 {
		b.Errorf("%d answers of the new leader showed a running node's state as '-'", blanks)
	}
}

type failoverTimes struct {
	write, subscribed, serving, trueState, firstAnswer, recorded time.Duration
	blanks                                                       int
}

// measureFailover polls the standby after the leader's kill at t0 until it serves writes, has
// re-subscribed and shows every node's true state.
func measureFailover(b *testing.B, w *World, d *Daemon, t0 time.Time, nodes int, timeout time.Duration) failoverTimes {
	b.Helper()
	c, err := grpc.NewClient(d.Addr, w.transportCreds())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	rings := cassmesosv1.NewRingServiceClient(c)
	repairs := cassmesosv1.NewRepairServiceClient(c)
	var m failoverTimes
	call := func(f func(ctx context.Context) error) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return f(ctx)
	}
	deadline := t0.Add(timeout)
	var writeErr error
	for m.write == 0 || m.subscribed == 0 || m.trueState == 0 {
		if time.Now().After(deadline) {
			b.Fatalf("failover to daemon %d: after %v: write %v (last error: %v), subscribed %v, true state %v\n%s",
				d.Slot, timeout, m.write, writeErr, m.subscribed, m.trueState, tail(d.Log(), 40))
		}
		if m.write == 0 {
			var id string
			err := call(func(ctx context.Context) error {
				r, err := repairs.CreateRepairSchedule(ctx, &cassmesosv1.CreateRepairScheduleRequest{
					Schedule: &cassmesosv1.RepairSchedule{Ring: "fo", Cron: "0 0 1 1 *", Params: &cassmesosv1.RepairParams{Keyspace: "probe", Full: true}}})
				id = r.GetSchedule().GetId()
				return err
			})
			writeErr = err
			if err == nil {
				m.write = time.Since(t0)
				if err := call(func(ctx context.Context) error {
					_, err := repairs.DeleteRepairSchedule(ctx, &cassmesosv1.DeleteRepairScheduleRequest{Id: id})
					return err
				}); err != nil {
					b.Fatalf("deleting the probe schedule %s: %v", id, err)
				}
			}
		}
		if m.subscribed == 0 {
			if at, ok := subscribedAfter(d.Log(), t0); ok {
				m.subscribed = at.Sub(t0)
			}
		}
		if m.trueState == 0 {
			var resp *cassmesosv1.GetRingResponse
			if err := call(func(ctx context.Context) (err error) {
				resp, err = rings.GetRing(ctx, &cassmesosv1.GetRingRequest{Name: "fo"})
				return err
			}); err == nil {
				if m.firstAnswer == 0 {
					m.firstAnswer = time.Since(t0)
				}
				for _, n := range resp.GetNodes() {
					if n.GetLiveness() == cassmesosv1.Liveness_LIVENESS_UNSPECIFIED && n.GetMode() == cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED {
						m.blanks++
						break
					}
				}
				if m.recorded == 0 && allUN(resp.GetNodes(), nodes) {
					m.recorded = time.Since(t0)
				}
				if allUN(resp.GetNodes(), nodes) && allLive(resp.GetNodes()) {
					m.trueState = time.Since(t0)
				}
			}
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
	m.serving = max(m.write, m.subscribed)
	return m
}

func allLive(ns []*cassmesosv1.Node) bool {
	for _, n := range ns {
		if n.GetStateSource() != cassmesosv1.NodeStateSource_NODE_STATE_SOURCE_LIVE {
			return false
		}
	}
	return true
}

func allUN(ns []*cassmesosv1.Node, want int) bool {
	if len(ns) != want {
		return false
	}
	for _, n := range ns {
		if n.GetLiveness() != cassmesosv1.Liveness_LIVENESS_UP || n.GetMode() != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
			return false
		}
	}
	return true
}

var subscribedLine = regexp.MustCompile(`^time=(\S+) .*msg=subscribed\b`)

// subscribedAfter is the time of the first "subscribed" line of a daemon's log after t0.
func subscribedAfter(path string, t0 time.Time) (time.Time, bool) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "msg=subscribed") {
			continue
		}
		mm := subscribedLine.FindStringSubmatch(line)
		if mm == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, mm[1])
		if err == nil && at.After(t0) {
			return at, true
		}
	}
	return time.Time{}, false
}

func writeChart(b *testing.B, path string, c svgplot.Chart) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Write(f); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote %s", path)
}
