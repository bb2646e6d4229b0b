package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/engine"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/zkstore"
	"github.com/cassmesos/cassmesos/internal/zktest"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

func TestMain(m *testing.M) { zktest.Main(m) }

var seq atomic.Int64

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// world is a real ZooKeeper with a leader's fenced store, a fault-injecting Store over it, a fake
// Mesos that records calls (and what ZooKeeper held when each was made), and a scripted planner.
type world struct {
	t       *testing.T
	base    *zkstate.Store // unfenced, for reading what is persisted
	lead    *zkstate.Leadership
	store   *faultyStore
	mesos   *fakeMesos
	planner *scriptPlanner
	events  chan mesosadapter.Event
	eng     *engine.Engine
	done    chan error
}

type faultyStore struct {
	engine.Store
	fail atomic.Bool
}

func (f *faultyStore) Persist(ctx context.Context, w []plan.Write) error {
	if f.fail.Load() {
		return fmt.Errorf("injected: %w", zkstate.ErrUnavailable)
	}
	return f.Store.Persist(ctx, w)
}

type call struct {
	name string
	arg  string
	// persisted says whether node "demo-0" was in ZooKeeper when the call was made.
	persisted bool
}

type fakeMesos struct {
	mu    sync.Mutex
	calls []call
	check func() bool
}

func (m *fakeMesos) record(name, arg string) error {
	p := m.check()
	m.mu.Lock()
	m.calls = append(m.calls, call{name, arg, p})
	m.mu.Unlock()
	return nil
}

func (m *fakeMesos) Accept(_ context.Context, _ uint64, a plan.Accept) error {
	return m.record("accept", a.OfferIDs[0])
}
func (m *fakeMesos) Decline(_ context.Context, _ uint64, d plan.Decline) error {
	return m.record("decline", d.OfferIDs[0])
}
func (m *fakeMesos) Kill(_ context.Context, _ uint64, k plan.Kill) error {
	return m.record("kill", k.TaskID)
}
func (m *fakeMesos) Reconcile(_ context.Context, _ uint64, ts []plan.TaskRef) error {
	return m.record("reconcile", fmt.Sprint(len(ts)))
}
func (m *fakeMesos) Acknowledge(_ context.Context, _ uint64, a mesosadapter.Ack) error {
	return m.record("ack", a.TaskID)
}
func (m *fakeMesos) Suppress(context.Context, uint64) error { return m.record("suppress", "") }
func (m *fakeMesos) Revive(context.Context, uint64) error   { return m.record("revive", "") }

func (m *fakeMesos) find(name string) []call {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []call
	for _, c := range m.calls {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// scriptPlanner: a RUNNING status for task t1 without a node record makes it write demo-0; an
// offer makes it write demo-0 with the offer's agent and accept the offer.
type scriptPlanner struct{}

func nodeRecord(agent, taskState string) *statev1.NodeRecord {
	return &statev1.NodeRecord{Ring: "demo", Name: "demo-0", AgentId: agent, TaskId: "t1", TaskState: taskState,
		Phase: cassmesosv1.NodePhase_NODE_PHASE_RUNNING}
}

func (scriptPlanner) Submit(*plan.State, plan.Request) (plan.Accepted, error) {
	return plan.Accepted{}, plan.ErrInvalid
}

func (scriptPlanner) Reconcile(s *plan.State) plan.Plan {
	var p plan.Plan
	if st, ok := s.Tasks["t1"]; ok && st.State == plan.TaskRunning && s.Nodes["demo-0"].GetTaskState() != "TASK_RUNNING" {
		p.Writes = append(p.Writes, plan.Write{Kind: plan.RecordNode, RingName: "demo", Name: "demo-0", Node: nodeRecord(st.AgentID, "TASK_RUNNING")})
	}
	return p
}

func (sp scriptPlanner) MatchOffers(s *plan.State, offers []plan.Offer) plan.Plan {
	p := sp.Reconcile(s)
	p.WantOffers = true
	for _, o := range offers {
		if s.Nodes["demo-0"] == nil {
			p.Writes = append(p.Writes, plan.Write{Kind: plan.RecordNode, RingName: "demo", Name: "demo-0", Node: nodeRecord(o.AgentID, "")})
			p.Actions = append(p.Actions, plan.Accept{AgentID: o.AgentID, OfferIDs: []string{o.ID}})
		} else {
			p.Actions = append(p.Actions, plan.Decline{OfferIDs: []string{o.ID}, Refuse: time.Minute})
		}
	}
	return p
}

// newWorld starts an engine with the script planner, or the planner given.
func newWorld(t *testing.T, planner ...engine.Planner) *world {
	t.Helper()
	var pl engine.Planner
	if len(planner) > 0 {
		pl = planner[0]
	}
	return newWorldWith(t, pl, nil)
}

// newWorldWith starts an engine with pl (nil: the script planner) and metrics (may be nil).
func newWorldWith(t *testing.T, pl engine.Planner, metrics engine.Metrics) *world {
	t.Helper()
	srv := zktest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	base, err := zkstate.Open(ctx, zkstate.Config{Servers: srv.Servers(), Framework: fmt.Sprintf("engine-%d", seq.Add(1)), Logger: quiet()})
	if err != nil {
		t.Fatalf("zkstate.Open: %v (is ZooKeeper installed? run `make deps`)", err)
	}
	t.Cleanup(base.Close)
	// The ring record must exist for node records under it.
	if err := base.Create(ctx, zkstate.RingPath("demo"), &statev1.RingRecord{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 1}}); err != nil {
		t.Fatal(err)
	}
	lead, err := base.Campaign(ctx, "127.0.0.1:9090")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, base: base, lead: lead, planner: &scriptPlanner{}, events: make(chan mesosadapter.Event, 16), done: make(chan error, 1)}
	if pl == nil {
		pl = w.planner
	}
	w.store = &faultyStore{Store: zkstore.New(lead.Store(), nil)}
	w.mesos = &fakeMesos{check: func() bool {
		_, _, err := base.NodeByName(context.Background(), "demo", "demo-0")
		return err == nil
	}}
	w.eng = engine.New(engine.Options{Planner: pl, Store: w.store, Mesos: w.mesos, Events: w.events,
		Logger: quiet(), Metrics: metrics, Tick: 20 * time.Millisecond, ReconcileTimeout: time.Second})
	rctx, rcancel := context.WithCancel(context.Background())
	go func() { w.done <- w.eng.Run(rctx) }()
	t.Cleanup(func() {
		rcancel()
		select {
		case <-w.done:
		case <-time.After(10 * time.Second):
			t.Error("engine did not stop")
		}
	})
	w.events <- mesosadapter.Event{Subscription: 1, Connected: &mesosadapter.Connected{FrameworkID: "fw"}}
	return w
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	zktest.WaitFor(t, 10*time.Second, cond, "%s", what)
}

func running(agent string) mesosadapter.Event {
	return mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t1", AgentID: agent, State: plan.TaskRunning},
		Ack: &mesosadapter.Ack{AgentID: agent, TaskID: "t1", UUID: []byte("0123456789abcdef")}}
}

// settle returns once the loop has handled every event sent so far.
func (w *world) settle() {
	waitFor(w.t, "the loop to take every event", func() bool { return len(w.events) == 0 })
	// A Read is served after the loop finished handling the event it took last.
	if err := w.eng.Read(context.Background(), func(*plan.State) {}); err != nil {
		w.t.Fatal(err)
	}
	// The scheduler calls it decided are made off the loop: wait for them too.
	if err := w.eng.Flush(context.Background()); err != nil {
		w.t.Fatal(err)
	}
}

func TestAckOnlyAfterPersist(t *testing.T) {
	w := newWorld(t)
	w.events <- running("a1")
	waitFor(t, "ACKNOWLEDGE", func() bool { return len(w.mesos.find("ack")) == 1 })
	if c := w.mesos.find("ack")[0]; !c.persisted {
		t.Error("acknowledged before the status's effect was in ZooKeeper")
	}
	n, _, err := w.base.NodeByName(context.Background(), "demo", "demo-0")
	if err != nil || n.GetTaskState() != "TASK_RUNNING" {
		t.Errorf("persisted node %v, %v", n, err)
	}
}

func TestNoAckWhenPersistFails(t *testing.T) {
	w := newWorld(t)
	w.store.fail.Store(true)
	w.events <- running("a1")
	w.settle()
	if acks := w.mesos.find("ack"); len(acks) != 0 {
		t.Fatalf("acknowledged although persisting failed: %+v", acks)
	}
	// ZooKeeper comes back; Mesos re-sends the unacknowledged update; now it is acknowledged.
	w.store.fail.Store(false)
	w.events <- running("a1")
	waitFor(t, "ACKNOWLEDGE after recovery", func() bool { return len(w.mesos.find("ack")) == 1 })
	if !w.mesos.find("ack")[0].persisted {
		t.Error("ack before persist")
	}
}

func TestPersistBeforeAct(t *testing.T) {
	w := newWorld(t)
	// Persisting fails: the offer is not accepted (it is declined so it is not held) and nothing
	// reaches ZooKeeper.
	w.store.fail.Store(true)
	w.events <- mesosadapter.Event{Subscription: 1, Offers: []plan.Offer{{ID: "o1", AgentID: "a1", Hostname: "h1"}}}
	w.settle()
	if a := w.mesos.find("accept"); len(a) != 0 {
		t.Fatalf("accepted although the plan was not persisted: %+v", a)
	}
	if d := w.mesos.find("decline"); len(d) != 1 || d[0].arg != "o1" {
		t.Errorf("declines %+v, want o1 declined", d)
	}
	if _, _, err := w.base.NodeByName(context.Background(), "demo", "demo-0"); !errors.Is(err, zkstate.ErrNotFound) {
		t.Errorf("node record written: %v", err)
	}
	// Persisting works: the write lands before the ACCEPT.
	w.store.fail.Store(false)
	w.events <- mesosadapter.Event{Subscription: 1, Offers: []plan.Offer{{ID: "o2", AgentID: "a1", Hostname: "h1"}}}
	waitFor(t, "ACCEPT", func() bool { return len(w.mesos.find("accept")) == 1 })
	if c := w.mesos.find("accept")[0]; c.arg != "o2" || !c.persisted {
		t.Errorf("accept %+v: must follow the persisted write", c)
	}
	w.settle() // the REVIVE is made after the ACCEPT, off the loop
	if len(w.mesos.find("revive")) == 0 {
		t.Error("no REVIVE although the plan wants offers")
	}
}

func TestLeadershipLossStopsTheLoop(t *testing.T) {
	w := newWorld(t)
	if err := w.lead.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.events <- mesosadapter.Event{Subscription: 1, Offers: []plan.Offer{{ID: "o1", AgentID: "a1", Hostname: "h1"}}}
	select {
	case err := <-w.done:
		w.done <- err
		if !errors.Is(err, engine.ErrNotLeader) {
			t.Fatalf("Run: %v, want ErrNotLeader", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("engine kept running after losing leadership")
	}
	if a := w.mesos.find("accept"); len(a) != 0 {
		t.Errorf("accepted after losing leadership: %+v", a)
	}
	if _, _, err := w.base.NodeByName(context.Background(), "demo", "demo-0"); !errors.Is(err, zkstate.ErrNotFound) {
		t.Errorf("a deposed leader wrote: %v", err)
	}
}

func TestReconciliationAfterSubscribe(t *testing.T) {
	w := newWorld(t)
	// No tasks known: explicit reconciliation is skipped and implicit follows at once.
	waitFor(t, "implicit reconciliation", func() bool {
		for _, c := range w.mesos.find("reconcile") {
			if c.arg == "0" {
				return true
			}
		}
		return false
	})
	var reconciled bool
	if err := w.eng.Read(context.Background(), func(s *plan.State) { reconciled = s.Reconciled }); err != nil || !reconciled {
		t.Errorf("state not marked reconciled: %v", err)
	}
}
