package engine_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/engine"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/metrics"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	"github.com/cassmesos/cassmesos/daemon/zkstore"
	"github.com/cassmesos/cassmesos/internal/zktest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// Traffic of the simulated day (see BenchmarkDaemonDayOfUpdates).
// dayPollWait bounds each wait for the engine (a poll, a view taken).
var dayPollWait = 2 * time.Minute

const (
	dayNodes          = 1000
	dayPollInterval   = 10 * time.Second // the engine's default poll interval
	dayFlapsPerHour   = 50               // nodes whose CQL probe fails and recovers, per hour
	dayResubscribeHrs = 8                // a master failover (re-subscription, reconciliation) every 8 h
)

// dayMesos answers the engine's scheduler calls without keeping anything (counters only): an
// explicit reconciliation is answered, as a master does, with one TASK_RUNNING per task (no
// labels, no UUID).
type dayMesos struct {
	accepts, declines, kills, acks, recons, suppress, revive atomic.Int64
	answer                                                   func(refs []plan.TaskRef)
}

func (m *dayMesos) Accept(context.Context, uint64, plan.Accept) error { m.accepts.Add(1); return nil }
func (m *dayMesos) Decline(context.Context, uint64, plan.Decline) error {
	m.declines.Add(1)
	return nil
}
func (m *dayMesos) Kill(context.Context, uint64, plan.Kill) error { m.kills.Add(1); return nil }
func (m *dayMesos) Reconcile(_ context.Context, _ uint64, refs []plan.TaskRef) error {
	m.recons.Add(1)
	if len(refs) > 0 {
		go m.answer(append([]plan.TaskRef(nil), refs...))
	}
	return nil
}
func (m *dayMesos) Acknowledge(context.Context, uint64, mesosadapter.Ack) error {
	m.acks.Add(1)
	return nil
}
func (m *dayMesos) Suppress(context.Context, uint64) error { m.suppress.Add(1); return nil }
func (m *dayMesos) Revive(context.Context, uint64) error   { m.revive.Add(1); return nil }

// dayRelayer answers every status poll with the whole ring UN (one response, built once) and
// tells the bench it was polled.
type dayRelayer struct {
	resp   *cassmesosv1.GetNodeStatusResponse
	polled chan struct{}
	polls  atomic.Int64
}

func (r *dayRelayer) Relay(context.Context, uint64, plan.Relay) ([]plan.TokenRange, error) {
	return nil, nil
}
func (r *dayRelayer) ListKeyspaces(context.Context, uint64, plan.Relay, bool) ([]*cassmesosv1.Keyspace, error) {
	return nil, nil
}
func (r *dayRelayer) NodeStatus(ctx context.Context, _ uint64, _, _, _ string, _ uint32, _ string) (*cassmesosv1.GetNodeStatusResponse, error) {
	r.polls.Add(1)
	select {
	case r.polled <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return r.resp, nil
}

// rssBytes is the process's resident set size (/proc/self/statm), 0 when unknown.
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// daySample is one hourly sample: the live heap after a forced GC, and the RSS.
type daySample struct {
	hour              int
	heapAlloc, heapIn uint64
	rss               uint64
	goroutines        int
}

// sampleMemory takes the smallest of three samples: the engine keeps running while it is taken,
// and the garbage of the pass in progress counts as live at a GC.
func sampleMemory(hour int) daySample {
	var best daySample
	for i := 0; i < 3; i++ {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if i == 0 || ms.HeapAlloc < best.heapAlloc {
			best = daySample{hour: hour, heapAlloc: ms.HeapAlloc, heapIn: ms.HeapInuse, rss: rssBytes(), goroutines: runtime.NumGoroutine()}
		}
	}
	return best
}

// bringUpRing creates one ring of n nodes with the planner on the plantest world (simulated
// Mesos and Cassandra) until every node is UN, and returns the records "ZooKeeper" holds.
func bringUpRing(b *testing.B, n int) *plan.State {
	w := plantest.NewWorld(b, n, plan.Config{})
	w.JoinTicks = 0
	acc, err := w.Submit(plan.CreateRing{Spec: &cassmesosv1.RingSpec{Name: "day", Nodes: int32(n), Seeds: 3,
		Resources: &cassmesosv1.Resources{Cpus: 1, MemMb: 2048, DiskMb: 1024}}})
	if err != nil {
		b.Fatal(err)
	}
	opID := acc.Operation.GetOperation().GetId()
	wantOffers := true
	for i := 0; i < 10*n; i++ {
		if w.UN("day") == n && engine.Terminal(w.Store.Operations[opID].GetOperation().GetPhase()) {
			return w.Store
		}
		// Offers only when the planner asks for them: a 1,000-agent offer round is the
		// bring-up's dearest step, and most steps only wait for the joining node.
		if wantOffers {
			w.OfferRound()
		}
		w.Tick(10 * time.Second)
		wantOffers = w.Reconcile().WantOffers
	}
	b.Fatalf("the %d-node ring did not come up: %d UN", n, w.UN("day"))
	return nil
}

// BenchmarkDaemonDayOfUpdates runs the daemon's engine (real planner, real ZooKeeper through
// zkstore, the daemon's metrics) over a steady 1,000-node ring for a simulated day and samples
// its memory every simulated hour. The day's traffic, compressed in time (the engine's clock
// moves 10 s once the previous poll was answered, so the day lasts as long as the engine takes
// to handle it):
//
//   - a status poll of the ring every 10 s (the default --poll-interval), answered with every
//     node UN, and the engine's level-triggered pass (its 10 s tick): 8,640 of each;
//   - executor status updates: an executor reports only when its node's state or health
//     changes (executor/node.go onChange; no periodic heartbeat reaches the engine — Mesos
//     HEARTBEAT events end in the adapter). A steady day has few; the bench makes 50 nodes an
//     hour fail their health probe and recover (2 updates each, each with its own UUID to
//     acknowledge): 2,400 updates;
//   - a master failover every 8 hours: the subscription ends, a new one starts, and the engine's
//     explicit reconciliation of every task is answered by the master (1,000 statuses each time).
//
// Reported: the heap in use after a forced GC and the RSS at each simulated hour (logged), the
// first and last hour and the growth between them. CASSMESOS_BENCH_DAY_HOURS shortens the day.
func BenchmarkDaemonDayOfUpdates(b *testing.B) {
	hours := 24
	if s := os.Getenv("CASSMESOS_BENCH_DAY_HOURS"); s != "" {
		h, err := strconv.Atoi(s)
		if err != nil || h < 2 {
			b.Fatalf("CASSMESOS_BENCH_DAY_HOURS=%q: want a whole number of hours, at least 2", s)
		}
		hours = h
	}
	for b.Loop() {
		runDay(b, hours)
	}
}

func runDay(b *testing.B, hours int) {
	start := time.Now()
	nodes := dayNodes
	if s := os.Getenv("CASSMESOS_BENCH_DAY_NODES"); s != "" { // smaller rings, to try the bench out
		if n, err := strconv.Atoi(s); err == nil && n >= 3 {
			nodes = n
		}
	}
	stored := bringUpRing(b, nodes)
	b.Logf("brought up %d nodes with the planner in %v", len(stored.Nodes), time.Since(start).Round(time.Millisecond))
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "day: brought up %d nodes in %v\n", len(stored.Nodes), time.Since(start).Round(time.Millisecond))
	}

	srv := zktest.Shared(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, err := zkstate.Open(ctx, zkstate.Config{Servers: srv.Servers(), Framework: fmt.Sprintf("day-%d", seq.Add(1)), Logger: quiet()})
	if err != nil {
		b.Fatalf("zkstate.Open: %v (is ZooKeeper installed? run `make deps`)", err)
	}
	defer base.Close()
	lead, err := base.Campaign(ctx, "127.0.0.1:9090")
	if err != nil {
		b.Fatal(err)
	}
	store := zkstore.New(lead.Store(), nil)
	// Persist the records as the daemon that created the ring would have.
	var writes []plan.Write
	for name, r := range stored.Rings {
		writes = append(writes, plan.Write{Kind: plan.RecordRing, RingName: name, Name: name, Ring: r})
	}
	if err := store.Persist(ctx, writes); err != nil {
		b.Fatal(err)
	}
	writes = writes[:0]
	flush := func() {
		if len(writes) > 0 {
			if err := store.Persist(ctx, writes); err != nil {
				b.Fatal(err)
			}
			writes = writes[:0]
		}
	}
	for name, n := range stored.Nodes {
		writes = append(writes, plan.Write{Kind: plan.RecordNode, RingName: n.GetRing(), Name: name, Node: n})
		if len(writes) == 100 {
			flush()
		}
	}
	for id, o := range stored.Operations {
		writes = append(writes, plan.Write{Kind: plan.RecordOperation, Name: id, Operation: o})
	}
	flush()

	// The ring as Cassandra reports it, and each node's task.
	type task struct{ id, agent, hostID string }
	var tasks []task
	resp := &cassmesosv1.GetNodeStatusResponse{}
	nodeNames := map[string]string{} // node name -> address
	for name, n := range stored.Nodes {
		nodeNames[name] = n.GetAddress()
		resp.Peers = append(resp.Peers, &cassmesosv1.PeerStatus{Address: n.GetAddress(), Liveness: cassmesosv1.Liveness_LIVENESS_UP,
			Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL, HostId: n.GetHostId(), Datacenter: "dc1", Rack: "r1", Tokens: 16})
		tasks = append(tasks, task{n.GetTaskId(), n.GetAgentId(), n.GetHostId()})
	}
	stored = nil

	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	var sub atomic.Uint64
	sub.Store(1)
	events := make(chan mesosadapter.Event, 64)
	ms := &dayMesos{}
	ms.answer = func(refs []plan.TaskRef) {
		s := sub.Load()
		for _, r := range refs {
			st := plan.TaskStatus{TaskID: r.TaskID, AgentID: r.AgentID, State: plan.TaskRunning, Healthy: true, Reason: "REASON_RECONCILIATION", At: now()}
			select {
			case events <- mesosadapter.Event{Subscription: s, Update: &st}:
			case <-ctx.Done():
				return
			}
		}
	}
	rl := &dayRelayer{resp: resp, polled: make(chan struct{})}
	eng := engine.New(engine.Options{Planner: plan.New(plan.Config{}, &plantest.Counter{}), Store: store, Mesos: ms, Relayer: rl,
		Events: events, Logger: dayLogger(), Metrics: metrics.New(), Clock: now, Tick: time.Millisecond,
		PollInterval: dayPollInterval, ReconcileTimeout: 30 * time.Second})
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			b.Error("engine did not stop")
		}
	}()
	send := func(ev mesosadapter.Event) {
		select {
		case events <- ev:
		case err := <-done:
			b.Fatalf("engine stopped: %v", err)
		}
	}
	update := func(t task, healthy bool) {
		uuid := make([]byte, 16)
		_, _ = rand.Read(uuid)
		st := plan.TaskStatus{TaskID: t.id, AgentID: t.agent, State: plan.TaskRunning, Healthy: healthy,
			Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL, HostID: t.hostID, At: now()}
		send(mesosadapter.Event{Subscription: sub.Load(), Update: &st, Ack: &mesosadapter.Ack{AgentID: t.agent, TaskID: t.id, UUID: uuid}})
	}
	firstPeer := ""
	for name, n := range nodeNames {
		if n == resp.Peers[0].GetAddress() {
			firstPeer = name
		}
	}
	waitView := func(at time.Time) {
		rctx, rcancel := context.WithTimeout(ctx, dayPollWait)
		defer rcancel()
		for {
			var seen time.Time
			if err := eng.Read(rctx, func(s *plan.State) { seen = s.Views[firstPeer].At }); err != nil {
				b.Fatalf("waiting for the engine to take a status poll's answer: %v", err)
			}
			if !seen.Before(at) {
				return
			}
			select {
			case <-rctx.Done():
			case <-time.After(time.Millisecond):
			}
		}
	}
	settle := func() {
		rctx, rcancel := context.WithTimeout(ctx, time.Minute)
		defer rcancel()
		// Read fails until the engine has loaded the state and runs.
		for {
			err := eng.Read(rctx, func(*plan.State) {})
			if err == nil {
				break
			}
			if !errors.Is(err, engine.ErrStopped) || rctx.Err() != nil {
				b.Fatal(err)
			}
			select {
			case <-rctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
		if err := eng.Flush(rctx); err != nil {
			b.Fatal(err)
		}
	}

	// Hour 0: subscribe (reconciliation of every task) and every executor's current status.
	send(mesosadapter.Event{Subscription: 1, Connected: &mesosadapter.Connected{FrameworkID: "fw-1"}})
	for _, t := range tasks {
		update(t, true)
	}
	settle()

	stepsPerHour := int(time.Hour / dayPollInterval)
	var samples []daySample
	dayStart := time.Now()
	flap := 0
	for h := 1; h <= hours; h++ {
		for s := 0; s < stepsPerHour; s++ {
			// The simulated clock moves one poll interval; the engine's next tick polls.
			clock.Add(int64(dayPollInterval))
			select {
			case <-rl.polled:
			case err := <-done:
				b.Fatalf("engine stopped: %v", err)
			case <-time.After(dayPollWait):
				_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
				b.Fatalf("no status poll for %v (hour %d, step %d)", dayPollWait, h, s)
			}
			// Wait until the engine has taken the poll's answer (its view of the first peer is
			// stamped with the current clock) before the clock moves again: a poll still in
			// flight when the interval ends makes the engine skip that interval's poll.
			waitView(now())
			// Flaps spread over the hour: unhealthy at one poll, healthy at the next.
			if per := stepsPerHour / dayFlapsPerHour; s%per == 0 {
				t := tasks[flap%len(tasks)]
				flap++
				update(t, false)
			} else if s%per == 1 {
				update(tasks[(flap-1)%len(tasks)], true)
			}
			if s == stepsPerHour/2 && h%dayResubscribeHrs == 0 {
				old := sub.Load()
				send(mesosadapter.Event{Subscription: old, Disconnected: &mesosadapter.Disconnected{Reason: "master failover"}})
				sub.Store(old + 1)
				send(mesosadapter.Event{Subscription: old + 1, Connected: &mesosadapter.Connected{FrameworkID: "fw-1"}})
			}
		}
		settle()
		samples = append(samples, sampleMemory(h))
		if dir := os.Getenv("CASSMESOS_BENCH_DAY_HEAPPROFILES"); dir != "" { // to find what grows
			if f, err := os.Create(fmt.Sprintf("%s/heap-%02d.out", dir, h)); err == nil {
				_ = pprof.WriteHeapProfile(f)
				_ = f.Close()
			}
		}
		if testing.Verbose() {
			last := samples[len(samples)-1]
			fmt.Fprintf(os.Stderr, "day: hour %d done after %v: heap live %.2f MiB, RSS %.1f MiB\n", h, time.Since(dayStart).Round(time.Millisecond), mib(last.heapAlloc), mib(last.rss))
		}
	}
	elapsed := time.Since(dayStart)

	first, last := samples[0], samples[len(samples)-1]
	peakAfterFirst := first.heapAlloc
	for _, s := range samples {
		b.Logf("hour %2d: heap live %6.2f MiB, heap in use %6.2f MiB, RSS %6.1f MiB, goroutines %d",
			s.hour, mib(s.heapAlloc), mib(s.heapIn), mib(s.rss), s.goroutines)
		peakAfterFirst = max(peakAfterFirst, s.heapAlloc)
	}
	b.Logf("simulated %d h in %v: %d status polls, %d updates acknowledged, %d reconciliations, %d accepts, %d kills",
		hours, elapsed.Round(time.Millisecond), rl.polls.Load(), ms.acks.Load(), ms.recons.Load(), ms.accepts.Load(), ms.kills.Load())
	b.ReportMetric(mib(first.heapAlloc), "MiB-heap-hour1")
	b.ReportMetric(mib(last.heapAlloc), "MiB-heap-last")
	b.ReportMetric(mib(peakAfterFirst), "MiB-heap-peak")
	b.ReportMetric(mib(first.rss), "MiB-rss-hour1")
	b.ReportMetric(mib(last.rss), "MiB-rss-last")
	b.ReportMetric(elapsed.Seconds(), "s-wall")
	if ms.kills.Load() > 0 || ms.accepts.Load() > 0 {
		b.Errorf("a steady ring got %d kills and %d accepts: the simulated traffic is not steady", ms.kills.Load(), ms.accepts.Load())
	}
	// Flat: after the first hour the live heap may wobble (GC timing, map buckets) but not grow
	// with the day: the last hour within 10% (+1 MiB) of the first.
	if float64(last.heapAlloc) > float64(first.heapAlloc)*1.1+1<<20 {
		b.Errorf("live heap grew from %.2f MiB (hour 1) to %.2f MiB (hour %d)", mib(first.heapAlloc), mib(last.heapAlloc), last.hour)
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

func dayLogger() *slog.Logger {
	if os.Getenv("CASSMESOS_BENCH_DAY_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return quiet()
}
