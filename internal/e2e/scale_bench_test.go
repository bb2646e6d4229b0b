package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/cassandrasim"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// BenchmarkRing1000 is the 1,000-node run (docs/performance.md, "Scale: 1,000 nodes"): a world of
// CASSMESOS_BENCH_NODES agents (default 1000, one node each), the stand-in with a 0 s bootstrap
// and digest gossip (gossip_fanout 1), one fetcher cache for every agent (mesos-sim
// --fetcher-cache-dir: the executor and the stand-in's binary are hard links, not 1,000 copies).
// It measures:
//
//   - `ring create --nodes N --wait`: wall time, and framework time per join (as
//     BenchmarkNodeJoinOverhead: UN→UN minus the stand-in's own start);
//   - the idle footprint of the ring's processes (Pss and CPU of executors and stand-ins);
//   - `cassmesos ring status` against getring (a raw client of the same GetRing RPC over the same
//     TLS, printing JSON as grpcurl would), alternated, median of CASSMESOS_BENCH_REPEAT runs each;
//   - `cassmesos node list --ring`;
//   - a full repair of keyspace ks (RF 3) followed by `cassmesos op watch`;
//   - the daemon's VmRSS and Go heap (/metrics) every 10 s from the start until
//     CASSMESOS_BENCH_SOAK (default 10m) after the ring was created, and the trend (MiB/hour).
//
// Samples are written to CASSMESOS_BENCH_SCALE_OUT (a directory, default: the world's) as
// memory.csv. Only real failures fail it (a CLI error, a node never UN); times are reported, not
// asserted. Run by `make bench-scale` (CASSMESOS_BENCH_SCALE=1; `make bench` skips it: it takes most of
// an hour); not part of `make test` (it is a benchmark).
func BenchmarkRing1000(b *testing.B) {
	if os.Getenv("CASSMESOS_BENCH_SCALE") != "1" {
		b.Skip("the 1,000-node run takes most of an hour: make bench-scale (CASSMESOS_BENCH_SCALE=1)")
	}
	nodes := envInt(b, "CASSMESOS_BENCH_NODES", 1000)
	soak := envDur(b, "CASSMESOS_BENCH_SOAK", 10*time.Minute)
	repeat := envInt(b, "CASSMESOS_BENCH_REPEAT", 5)
	gossip := envOr("CASSMESOS_BENCH_GOSSIP_INTERVAL", "2s")
	cache := b.TempDir()
	w := NewWorld(b, Options{
		Agents: nodes, NoDaemon: true, TaskPollInterval: 5 * time.Second,
		MesosSimFlags: []string{"--fetcher-cache-dir", cache},
		CassandraKnobs: map[string]string{
			"bootstrap_duration": "0s", "ring_delay": "0s", "start_delay": "0s",
			"gossip_fanout": "1", "gossip_interval": gossip,
			"failure_detection_timeout": envOr("CASSMESOS_BENCH_FD_TIMEOUT", "120s"),
			"repair_full_ring_duration": "30s",
		},
		ExecutorEnv: map[string]string{
			"CASSMESOS_EXECUTOR_HEALTH_INTERVAL": envOr("CASSMESOS_BENCH_HEALTH_INTERVAL", "30s"),
			"GOGC":                               envOr("CASSMESOS_BENCH_GOGC", "100"),
		},
	})
	metricsAddr := w.ip(1) + ":9094"
	// A loaded machine can starve ZooKeeper for seconds: the world's 4 s session would expire
	// (and the daemon fail over) mid-run.
	w.opts.DaemonFlags = append(w.opts.DaemonFlags, "--metrics-listen", metricsAddr,
		"--zk-session-timeout", envOr("CASSMESOS_BENCH_ZK_SESSION_TIMEOUT", "30s"))
	w.StartDaemon()
	out := envOr("CASSMESOS_BENCH_SCALE_OUT", w.Dir())
	getring := buildGetRing(b, w)

	mem := startMemSampler(b, w, "https://"+metricsAddr+"/metrics")
	defer mem.stop()

	for b.Loop() {
		begin := time.Now()
		o, e, code := cliTimeout(w, time.Duration(nodes)*20*time.Second+10*time.Minute, "ring", "create", "bench",
			"--nodes", strconv.Itoa(nodes), "--seeds", "3", "--cpus", "0.1", "--mem", "256Mi", "--disk", "64Mi",
			"--wait", "--timeout", (time.Duration(nodes)*20*time.Second + 5*time.Minute).String())
		create := time.Since(begin)
		if code != 0 {
			b.Fatalf("ring create: exit %d\n%s%s", code, tail2(o, 20), e)
		}
		created := time.Now()
		mem.mark("created")
		ring := w.Ring("bench")
		if up := UpNormal(ring); up != nodes {
			b.Fatalf("after ring create --wait %d of %d nodes are UN", up, nodes)
		}
		b.ReportMetric(create.Seconds(), "s-create")
		b.ReportMetric(float64(create.Milliseconds())/float64(nodes), "ms-create-per-node")
		fmt.Printf("scale: ring create of %d nodes: %v (%.0f ms per node)\n", nodes, create.Round(time.Millisecond), float64(create.Milliseconds())/float64(nodes))

		var fw, own []time.Duration
		joins := joinTimelines(b, w)
		for k := 1; k < len(joins); k++ {
			prev, j := joins[k-1], joins[k]
			if j.launched.Before(prev.un) {
				continue
			}
			ls := j.legs(prev.un)
			total := j.un.Sub(prev.un)
			fw = append(fw, total-ls[ownLeg])
			own = append(own, ls[ownLeg])
		}
		if len(fw) > 0 {
			var sum time.Duration
			for _, d := range fw {
				sum += d
			}
			b.ReportMetric(ms(quantile(fw, 0.5)), "ms-framework-median")
			b.ReportMetric(ms(quantile(fw, 0.9)), "ms-framework-p90")
			b.ReportMetric(sum.Seconds(), "s-framework-total")
			fmt.Printf("scale: framework time per join (%d joins): min %.0f ms, median %.0f ms, p90 %.0f ms, max %.0f ms, total %.1f s (goal ≤ %d × 250 ms = %.0f s); stand-in's own start median %.0f ms\n",
				len(fw), ms(quantile(fw, 0)), ms(quantile(fw, 0.5)), ms(quantile(fw, 0.9)), ms(quantile(fw, 1)), sum.Seconds(),
				nodes, float64(nodes)*0.25, ms(quantile(own, 0.5)))
			// The trend: framework time of the first and last tenth of the joins.
			tenth := max(1, len(fw)/10)
			fmt.Printf("scale: framework time median of the first %d joins %.0f ms, of the last %d %.0f ms\n",
				tenth, ms(quantile(fw[:tenth], 0.5)), tenth, ms(quantile(fw[len(fw)-tenth:], 0.5)))
		}

		fp := footprint(w, 30*time.Second)
		for _, k := range []string{"cassmesos-execu", "cassandra-sim"} {
			f := fp[k]
			if f.n == 0 {
				continue
			}
			name := map[string]string{"cassmesos-execu": "executor", "cassandra-sim": "standin"}[k]
			b.ReportMetric(f.pss/float64(f.n)/1024, "MiB-pss-"+name)
			b.ReportMetric(f.cpu/float64(f.n)*100, "pct-cpu-"+name)
			fmt.Printf("scale: %d %s processes: Pss %.1f MiB each (anon %.1f, file %.1f), %.0f MiB in all; idle CPU %.2f%% of a core each, %.0f%% in all; %.1f threads each\n",
				f.n, k, f.pss/float64(f.n)/1024, f.anon/float64(f.n)/1024, (f.pss-f.anon)/float64(f.n)/1024, f.pss/1024,
				f.cpu/float64(f.n)*100, f.cpu*100, float64(f.threads)/float64(f.n))
		}
		if f := fp["cassmesosd"]; f.n == 1 {
			fmt.Printf("scale: cassmesosd idle with %d nodes: CPU %.1f%% of a core\n", nodes, f.cpu*100)
			b.ReportMetric(f.cpu*100, "pct-cpu-daemon-idle")
		}
		if f := fp["mesos-sim"]; f.n == 1 {
			fmt.Printf("scale: mesos-sim idle with %d agents: CPU %.1f%% of a core, Pss %.0f MiB\n", nodes, f.cpu*100, f.pss/1024)
		}

		// ring status (the CLI) against the raw GetRing client, alternated.
		var cliT, rawT, listT []time.Duration
		for range repeat {
			t0 := time.Now()
			o, e, code := cliTimeout(w, 5*time.Minute, "ring", "status", "bench")
			cliT = append(cliT, time.Since(t0))
			if code != 0 || strings.Count(o, "\n") < nodes {
				b.Fatalf("ring status: exit %d, %d lines\n%s", code, strings.Count(o, "\n"), e)
			}
			t0 = time.Now()
			raw, err := getring(w)
			rawT = append(rawT, time.Since(t0))
			if err != nil || strings.Count(raw, `"address"`) < nodes {
				b.Fatalf("getring: %v, %d addresses", err, strings.Count(raw, `"address"`))
			}
			t0 = time.Now()
			o, e, code = cliTimeout(w, 5*time.Minute, "node", "list", "--ring", "bench")
			listT = append(listT, time.Since(t0))
			if code != 0 || strings.Count(o, "\n") < nodes {
				b.Fatalf("node list: exit %d, %d lines\n%s", code, strings.Count(o, "\n"), e)
			}
		}
		ratio := ms(quantile(cliT, 0.5)) / ms(quantile(rawT, 0.5))
		b.ReportMetric(ms(quantile(cliT, 0.5)), "ms-ring-status")
		b.ReportMetric(ms(quantile(rawT, 0.5)), "ms-getring-raw")
		b.ReportMetric(ratio, "ring-status-vs-raw")
		b.ReportMetric(ms(quantile(listT, 0.5)), "ms-node-list")
		fmt.Printf("scale: ring status of %d nodes: median %.0f ms (min %.0f, max %.0f); raw GetRing client median %.0f ms (min %.0f, max %.0f); ratio %.2f; node list median %.0f ms (%d runs each)\n",
			nodes, ms(quantile(cliT, 0.5)), ms(quantile(cliT, 0)), ms(quantile(cliT, 1)),
			ms(quantile(rawT, 0.5)), ms(quantile(rawT, 0)), ms(quantile(rawT, 1)), ratio, ms(quantile(listT, 0.5)), repeat)

		// A full repair of ks (RF 3), followed with op watch.
		addrs := make([]string, 0, nodes)
		for _, n := range ring.GetNodes() {
			addrs = append(addrs, n.GetAddress())
		}
		w.cqlsh(addrs[0], "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
		t0 := time.Now()
		parallelEach(addrs, 4, func(a string) {
			w.WaitFor(10*time.Minute, func() bool {
				_, _, code := w.Nodetool(a, "describering", "ks")
				return code == 0
			}, "keyspace ks on %s", a)
		})
		fmt.Printf("scale: keyspace ks known to every node %v after CREATE\n", time.Since(t0).Round(time.Millisecond))
		t0 = time.Now()
		o, e, code = cliTimeout(w, time.Minute, "repair", "run", "bench", "--keyspace", "ks", "--full",
			"--parallel", strconv.Itoa(max(1, min(32, nodes/3))), "--segments-per-node", "1")
		if code != 0 {
			b.Fatalf("repair run: exit %d\n%s%s", code, o, e)
		}
		opID := ""
		ops, err := w.Operations("bench")
		if err != nil {
			b.Fatal(err)
		}
		for _, op := range ops {
			if op.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPAIR {
				opID = op.GetId()
				break
			}
		}
		if opID == "" {
			b.Fatalf("no repair operation on ring bench after repair run:\n%s", o)
		}
		t1 := time.Now()
		o, e, code = cliTimeout(w, time.Hour, "op", "watch", opID)
		watch, repair := time.Since(t1), time.Since(t0)
		if code != 0 {
			b.Fatalf("op watch %s: exit %d\n%s%s", opID, code, tail2(o, 20), e)
		}
		b.ReportMetric(repair.Seconds(), "s-repair")
		b.ReportMetric(watch.Seconds(), "s-op-watch")
		fmt.Printf("scale: full repair of ks (RF 3) on %d nodes: %v from repair run to op watch's exit (op watch %v, %d lines)\n",
			nodes, repair.Round(time.Millisecond), watch.Round(time.Millisecond), strings.Count(o, "\n"))

		for rest := soak - time.Since(created); rest > 0; rest = soak - time.Since(created) {
			fmt.Printf("scale: soaking: %v left\n", rest.Round(time.Second))
			time.Sleep(min(rest, time.Minute)) // the soak is wall time by definition
		}
	}
	mem.stop()
	mem.report(b, filepath.Join(out, "memory.csv"))
	b.ReportMetric(0, "ns/op")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

func envDur(b *testing.B, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		b.Fatalf("%s=%q: want a duration such as 10m", name, v)
	}
	return d
}

func tail2(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func parallelEach(items []string, n int, f func(string)) {
	var wg sync.WaitGroup
	ch := make(chan string)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				f(it)
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}

// cliTimeout is World.CLI with another timeout.
func cliTimeout(w *World, timeout time.Duration, args ...string) (stdout, stderr string, exit int) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.bins.CLI, append([]string{"--server", w.grpcAddr}, args...)...)
	cmd.Env = append(append(w.baseEnv(), w.cliEnv()...), "CASSMESOS_CONFIG="+filepath.Join(w.dir, "cli-config.yaml"))
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	exit = cmd.ProcessState.ExitCode()
	if err != nil && exit < 0 {
		w.t.Fatalf("e2e: cassmesos %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), exit
}

// buildGetRing builds the raw GetRing client and returns a function running it once.
func buildGetRing(b *testing.B, w *World) func(*World) (string, error) {
	root, err := cassandrasim.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(w.bins.Dir, "getring")
	cmd := exec.Command("go", "build", "-o", bin, "./internal/e2e/getring")
	cmd.Dir = root
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build getring: %v\n%s", err, o)
	}
	d := w.PKIDir()
	return func(w *World) (string, error) {
		c := exec.Command(bin, "--server", w.grpcAddr, "--ring", "bench", "--ca", filepath.Join(d, "ca.crt"),
			"--cert", filepath.Join(d, "admin.crt"), "--key", filepath.Join(d, "admin.key"))
		var out, errOut strings.Builder
		c.Stdout, c.Stderr = &out, &errOut
		if err := c.Run(); err != nil {
			return "", fmt.Errorf("%v: %s", err, errOut.String())
		}
		return out.String(), nil
	}
}

// procUse is what processes of one name use: summed Pss and anonymous Pss (KiB), CPU (cores,
// over the measuring window) and threads.
type procUse struct {
	n, threads     int
	pss, anon, cpu float64
}

// footprint measures the world's processes by name over window: Pss at the end, CPU over it.
func footprint(w *World, window time.Duration) map[string]procUse {
	ticks := func() map[int]float64 {
		m := map[int]float64{}
		for _, p := range markedProcesses(w.marker()) {
			st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
			if err != nil {
				continue
			}
			s := string(st)
			f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
			u, _ := strconv.ParseFloat(f[11], 64)
			k, _ := strconv.ParseFloat(f[12], 64)
			m[p.pid] = u + k
		}
		return m
	}
	before, t0 := ticks(), time.Now()
	time.Sleep(window) // CPU is measured over a wall-clock window
	after, el := ticks(), time.Since(t0).Seconds()
	out := map[string]procUse{}
	for pid, t := range after {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil {
			continue
		}
		name := strings.TrimSpace(string(comm))
		u := out[name]
		u.n++
		if b0, ok := before[pid]; ok {
			u.cpu += (t - b0) / 100 / el // USER_HZ 100
		}
		kv := readKV(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		u.pss += kv["Pss"]
		u.anon += kv["Pss_Anon"]
		u.threads += int(readKV(fmt.Sprintf("/proc/%d/status", pid))["Threads"])
		out[name] = u
	}
	return out
}

// readKV reads "Key: value [kB]" lines.
func readKV(path string) map[string]float64 {
	m := map[string]float64{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			continue
		}
		if x, err := strconv.ParseFloat(fs[0], 64); err == nil {
			m[k] = x
		}
	}
	return m
}

// memSampler samples the daemon's VmRSS and Go heap every 10 s.
type memSampler struct {
	w       *World
	metrics string
	client  *http.Client
	stopCh  chan struct{}
	done    chan struct{}
	once    sync.Once

	mu      sync.Mutex
	samples []memSample
	marks   map[string]time.Time
	heapErr error
}

type memSample struct {
	t          time.Time
	rss, heap  float64 // MiB; heap < 0 when /metrics did not answer
	goroutines float64
}

func startMemSampler(b *testing.B, w *World, metricsURL string) *memSampler {
	m := &memSampler{w: w, metrics: metricsURL, stopCh: make(chan struct{}), done: make(chan struct{}), marks: map[string]time.Time{}}
	m.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: w.ClientTLS("admin")}}
	if m.client.Transport.(*http.Transport).TLSClientConfig == nil {
		m.client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{}
	}
	go m.run()
	return m
}

func (m *memSampler) mark(name string) {
	m.mu.Lock()
	m.marks[name] = time.Now()
	m.mu.Unlock()
}

func (m *memSampler) run() {
	defer close(m.done)
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		m.sample()
		select {
		case <-m.stopCh:
			return
		case <-t.C:
		}
	}
}

func (m *memSampler) sample() {
	m.w.mu.Lock()
	d := m.w.daemon
	m.w.mu.Unlock()
	if d == nil || d.exited() {
		return
	}
	s := memSample{t: time.Now(), rss: readKV(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))["VmRSS"] / 1024, heap: -1}
	resp, err := m.client.Get(m.metrics)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, l := range strings.Split(string(body), "\n") {
			f := strings.Fields(l)
			if len(f) != 2 {
				continue
			}
			v, _ := strconv.ParseFloat(f[1], 64)
			switch f[0] {
			case "go_memstats_heap_inuse_bytes":
				s.heap = v / (1 << 20)
			case "go_goroutines":
				s.goroutines = v
			}
		}
		if s.heap < 0 {
			err = fmt.Errorf("%s: %s, no go_memstats_heap_inuse_bytes", m.metrics, resp.Status)
		}
	}
	m.mu.Lock()
	m.samples = append(m.samples, s)
	if err != nil && m.heapErr == nil {
		m.heapErr = err
	}
	m.mu.Unlock()
}

func (m *memSampler) stop() {
	m.once.Do(func() { close(m.stopCh) })
	<-m.done
}

// report prints the samples' summary, the trend after creation, and writes them as CSV.
func (m *memSampler) report(b *testing.B, csvPath string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.heapErr != nil {
		fmt.Printf("scale: Go heap not sampled: %v\n", m.heapErr)
	}
	if len(m.samples) == 0 {
		return
	}
	start := m.samples[0].t
	var sb strings.Builder
	sb.WriteString("seconds,rss_mib,heap_inuse_mib,goroutines\n")
	for _, s := range m.samples {
		fmt.Fprintf(&sb, "%.0f,%.1f,%.1f,%.0f\n", s.t.Sub(start).Seconds(), s.rss, s.heap, s.goroutines)
	}
	if err := os.WriteFile(csvPath, []byte(sb.String()), 0o644); err != nil {
		b.Logf("writing %s: %v", csvPath, err)
	}
	created, ok := m.marks["created"]
	var after []memSample
	for _, s := range m.samples {
		if ok && !s.t.Before(created) {
			after = append(after, s)
		}
	}
	peak := 0.0
	for _, s := range m.samples {
		peak = max(peak, s.rss)
	}
	b.ReportMetric(peak, "MiB-rss-peak")
	if len(after) < 2 {
		fmt.Printf("scale: daemon RSS peak %.0f MiB (%d samples, too few after creation for a trend; %s)\n", peak, len(m.samples), csvPath)
		return
	}
	rss := make([]float64, len(after))
	heap := make([]float64, len(after))
	xs := make([]float64, len(after))
	for i, s := range after {
		xs[i], rss[i], heap[i] = s.t.Sub(created).Hours(), s.rss, s.heap
	}
	rs, hs := slope(xs, rss), slope(xs, heap)
	b.ReportMetric(after[0].rss, "MiB-rss-created")
	b.ReportMetric(after[len(after)-1].rss, "MiB-rss-end")
	b.ReportMetric(rs, "MiB-per-hour-rss")
	fmt.Printf("scale: daemon RSS at creation %.0f MiB, at the end %.0f MiB (%v later), peak %.0f MiB; trend after creation %+.1f MiB/hour (RSS), %+.1f MiB/hour (heap in use, %.0f → %.0f MiB); goroutines %.0f → %.0f; %d samples in %s\n",
		after[0].rss, after[len(after)-1].rss, after[len(after)-1].t.Sub(created).Round(time.Second), peak, rs, hs,
		after[0].heap, after[len(after)-1].heap, after[0].goroutines, after[len(after)-1].goroutines, len(m.samples), csvPath)
}

// slope is the least-squares slope of y over x.
func slope(x, y []float64) float64 {
	n := float64(len(x))
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}
