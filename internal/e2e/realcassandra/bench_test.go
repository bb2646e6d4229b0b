package realcassandra

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/e2e"
)

// logTime is the timestamp of a Cassandra 5.0 system.log line ("INFO  [main] 2026-12-03
// 07:46:38,891 StorageService.java:3320 - ...").
var logTime = regexp.MustCompile(`\] (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) `)

// nodeFloor is one node's own start-to-NORMAL time, from its system.log: the first line the JVM
// logged to "state jump to NORMAL" for its own address. ok is false while the log lacks either.
func nodeFloor(path, addr string) (d time.Duration, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var first time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := logTime.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ts, err := time.Parse("2006-01-02 15:04:05,000", m[1])
		if err != nil {
			continue
		}
		if first.IsZero() {
			first = ts
		}
		if strings.Contains(sc.Text(), "Node /"+addr+":") && strings.Contains(sc.Text(), "state jump to NORMAL") {
			return ts.Sub(first), true
		}
	}
	return 0, false
}

// floors reads every node's floor from the sandboxes of the world's executors, by address.
func floors(w *e2e.World) map[string]time.Duration {
	out := map[string]time.Duration{}
	logs, _ := filepath.Glob(filepath.Join(w.Dir(), "mesos", "*", "slaves", "*", "frameworks", "*", "executors", "*", "runs", "*", "cassandra-logs", "system.log"))
	for _, p := range logs {
		addr := strings.Split(strings.TrimPrefix(p, filepath.Join(w.Dir(), "mesos")+"/"), "/")[0]
		if d, ok := nodeFloor(p, addr); ok {
			if prev, seen := out[addr]; !seen || d > prev {
				out[addr] = d
			}
		}
	}
	return out
}

// BenchmarkRealRingCreate: `ring create --nodes 3 --wait` to 3 UN on real Cassandra 5.0, and one
// added node, each next to the floor Cassandra imposes (each node's own start-to-NORMAL time from
// its log; the nodes start one at a time, so the floor of a ring is their sum). Reports the
// framework's share as a ratio.
func BenchmarkRealRingCreate(b *testing.B) {
	for range b.N {
		w := e2e.NewWorld(b, e2e.Options{Agents: 4, AgentResources: e2e.RealAgentResources(4), Tarball: e2e.RealTarball(b), ExecutorEnv: e2e.RealExecutorEnv(),
			TaskPollInterval:            time.Second,
			ExecutorShutdownGracePeriod: time.Minute})
		begin := time.Now()
		out, errOut, code := w.CLI(append([]string{"ring", "create", ring, "--nodes", "3", "--seeds", "2", "--num-tokens", "4",
			"--wait", "--timeout", "8m"}, e2e.RealRingFlags()...)...)
		if code != 0 {
			b.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
		}
		create := time.Since(begin)
		fl := floors(w)
		var floor time.Duration
		for _, d := range fl {
			floor += d
		}
		if len(fl) != 3 {
			b.Fatalf("found the start-to-NORMAL time of %d nodes in their logs, want 3: %v", len(fl), fl)
		}
		before := map[string]bool{}
		for a := range fl {
			before[a] = true
		}
		begin = time.Now()
		out, errOut, code = w.CLI("ring", "scale", ring, "--nodes", "4", "--wait", "--timeout", "6m")
		if code != 0 {
			b.Fatalf("ring scale: exit %d\n%s%s", code, out, errOut)
		}
		add := time.Since(begin)
		var addFloor time.Duration
		for a, d := range floors(w) {
			if !before[a] {
				addFloor = d
			}
		}
		var per []string
		for a, d := range fl {
			per = append(per, a+"="+d.Round(time.Millisecond).String())
		}
		sort.Strings(per)
		b.Logf("create 3 nodes: %v; Cassandra's own start-to-NORMAL %v (%s); framework share %.2f",
			create.Round(time.Millisecond), floor.Round(time.Millisecond), strings.Join(per, " "), 1-float64(floor)/float64(create))
		b.Logf("add 1 node: %v; its own start-to-NORMAL %v; framework share %.2f",
			add.Round(time.Millisecond), addFloor.Round(time.Millisecond), 1-float64(addFloor)/float64(add))
		b.ReportMetric(create.Seconds(), "create-s")
		b.ReportMetric(floor.Seconds(), "create-floor-s")
		b.ReportMetric(create.Seconds()/floor.Seconds(), "create/floor")
		b.ReportMetric(add.Seconds(), "add-s")
		b.ReportMetric(addFloor.Seconds(), "add-floor-s")
		if addFloor > 0 {
			b.ReportMetric(add.Seconds()/addFloor.Seconds(), "add/floor")
		}
	}
}
