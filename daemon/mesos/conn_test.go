package mesos

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/config"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/internal/mesossim"
)

// memStore is an in-memory FrameworkIDStore that logs what happened, in order.
type memStore struct {
	mu  sync.Mutex
	id  string
	log []string
}

func (m *memStore) FrameworkID(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.id, nil
}

func (m *memStore) StoreFrameworkID(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.id != "" && m.id != id {
		return errors.New("another ID stored")
	}
	m.id = id
	m.log = append(m.log, "stored "+id)
	return nil
}

func (m *memStore) note(s string) {
	m.mu.Lock()
	m.log = append(m.log, s)
	m.mu.Unlock()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startSim(t *testing.T, cfg mesossim.Config) *mesossim.Sim {
	t.Helper()
	cfg.WorkDir = t.TempDir()
	if cfg.Agents == nil {
		cfg.Agents = mesossim.DefaultAgents(2)
	}
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = 200 * time.Millisecond
	}
	cfg.AllocationInterval = 50 * time.Millisecond
	cfg.Logger = quiet()
	sim, err := mesossim.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

func endpoint(t *testing.T, url string) string {
	t.Helper()
	e, err := config.MasterEndpoint(url)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type running struct {
	conn   *Conn
	events chan Event
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned; err is then set
	err    error
}

func (r *running) stop() error {
	r.cancel()
	<-r.done
	return r.err
}

func runConn(t *testing.T, store FrameworkIDStore, masters ...string) *running {
	t.Helper()
	return runConnWith(t, store, func(*Options) {}, masters...)
}

// runConnWith is runConn with the options adjusted by edit.
func runConnWith(t *testing.T, store FrameworkIDStore, edit func(*Options), masters ...string) *running {
	t.Helper()
	opts := Options{
		Masters:         masters,
		FrameworkInfo:   FrameworkInfo("cassmesos-test", []string{"cassandra"}, "nobody", "", "", time.Hour),
		Store:           store,
		HeartbeatMisses: 3,
		BackoffMin:      20 * time.Millisecond,
		BackoffMax:      200 * time.Millisecond,
		CallTimeout:     5 * time.Second,
		Logger:          quiet(),
	}
	edit(&opts)
	c, err := NewConn(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{conn: c, events: make(chan Event, 256), cancel: cancel, done: make(chan struct{})}
	go func() { r.err = c.Run(ctx, r.events); close(r.done) }()
	t.Cleanup(func() { _ = r.stop() })
	return r
}

// next waits for an event matching ok, failing after a deadline.
func (r *running) next(t *testing.T, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case e := <-r.events:
			if ok(e) {
				return e
			}
		case <-r.done:
			t.Fatalf("waiting for %s: Run ended: %v", what, r.err)
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func isConnected(e Event) bool    { return e.Connected != nil }
func isDisconnected(e Event) bool { return e.Disconnected != nil }
func hasOffers(e Event) bool      { return len(e.Offers) > 0 }

func TestSubscribeStoresIDFirstAndResubscribes(t *testing.T) {
	sim := startSim(t, mesossim.Config{})
	store := &memStore{}
	r := runConn(t, store, endpoint(t, sim.URL()))
	c := r.next(t, "SUBSCRIBED", isConnected).Connected
	store.note("connected")
	if !c.NewFramework || c.FrameworkID == "" || c.MasterVersion != "1.11.0" {
		t.Fatalf("connected: %+v", c)
	}
	store.mu.Lock()
	log := strings.Join(store.log, ";")
	store.mu.Unlock()
	if log != "stored "+c.FrameworkID+";connected" {
		t.Errorf("order %q: the ID must be stored before anything is delivered", log)
	}
	// Offers arrive and carry the plain form.
	offers := r.next(t, "offers", hasOffers).Offers
	if offers[0].AgentID == "" || offers[0].Address == "" || len(offers[0].Resources) == 0 {
		t.Errorf("offer %+v", offers[0])
	}

	// A restarted daemon (new Conn, same store) re-subscribes with the stored ID.
	_ = r.stop()
	r2 := runConn(t, store, endpoint(t, sim.URL()))
	c2 := r2.next(t, "re-SUBSCRIBED", isConnected).Connected
	if c2.NewFramework || c2.FrameworkID != c.FrameworkID {
		t.Errorf("re-subscribe: %+v, want framework %s", c2, c.FrameworkID)
	}
	if n := len(sim.State().Frameworks); n != 1 {
		t.Errorf("%d frameworks registered, want 1", n)
	}
}

func TestRefusesOldMaster(t *testing.T) {
	sim := startSim(t, mesossim.Config{Version: "1.8.1"})
	store := &memStore{}
	r := runConn(t, store, endpoint(t, sim.URL()))
	select {
	case <-r.done:
		err := r.err
		if !errors.Is(err, ErrMasterTooOld) || !strings.Contains(err.Error(), "1.8.1") || !strings.Contains(err.Error(), "1.9.0") {
			t.Fatalf("Run: %v, want ErrMasterTooOld naming 1.8.1 and 1.9.0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not refuse the old master")
	}
	if store.id != "" {
		t.Errorf("framework ID %q stored for a refused master", store.id)
	}
}

func TestHeartbeatLossReconnects(t *testing.T) {
	sim := startSim(t, mesossim.Config{HeartbeatInterval: 100 * time.Millisecond})
	r := runConn(t, &memStore{}, endpoint(t, sim.URL()))
	first := r.next(t, "SUBSCRIBED", isConnected)
	sim.StopHeartbeats(true)
	d := r.next(t, "disconnect on missed heartbeats", isDisconnected)
	if d.Subscription != first.Subscription || !strings.Contains(d.Disconnected.Reason, "heartbeat") {
		t.Errorf("disconnect %+v", d.Disconnected)
	}
	sim.StopHeartbeats(false)
	again := r.next(t, "re-SUBSCRIBED", isConnected)
	if again.Subscription <= first.Subscription || again.Connected.FrameworkID != first.Connected.FrameworkID {
		t.Errorf("reconnect %+v after %+v", again, first)
	}
}

func TestDeclineSuppressRevive(t *testing.T) {
	sim := startSim(t, mesossim.Config{})
	r := runConn(t, &memStore{}, endpoint(t, sim.URL()))
	d := &Driver{Conn: r.conn, Roles: []string{"cassandra"}}
	sub := r.next(t, "SUBSCRIBED", isConnected).Subscription
	ctx := context.Background()

	// Suppress, decline what was offered already: then no offers for a while.
	ev := r.next(t, "offers", hasOffers)
	if err := d.Suppress(ctx, sub); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range ev.Offers {
		ids = append(ids, o.ID)
	}
	if err := d.Decline(ctx, sub, plan.Decline{OfferIDs: ids, Refuse: time.Hour}); err != nil {
		t.Fatal(err)
	}
	quietUntil := time.After(500 * time.Millisecond) // 10 allocation rounds
	for waiting := true; waiting; {
		select {
		case e := <-r.events:
			if len(e.Offers) > 0 {
				t.Fatalf("offers while suppressed and declined: %d", len(e.Offers))
			}
		case <-quietUntil:
			waiting = false
		}
	}
	// Revive clears the filters and asks for offers again.
	if err := d.Revive(ctx, sub); err != nil {
		t.Fatal(err)
	}
	r.next(t, "offers after REVIVE", hasOffers)

	// Calls tied to an ended subscription are refused.
	if err := d.Suppress(ctx, sub+1); !errors.Is(err, ErrNotConnected) {
		t.Errorf("call on another subscription: %v", err)
	}
}

func TestFollowsStandbyRedirect(t *testing.T) {
	leader := startSim(t, mesossim.Config{})
	standby := startSim(t, mesossim.Config{Leader: leader.Addr(), Agents: []mesossim.AgentConfig{}})
	r := runConn(t, &memStore{}, endpoint(t, standby.URL()))
	c := r.next(t, "SUBSCRIBED via redirect", isConnected).Connected
	if c.MasterURL != endpoint(t, leader.URL()) {
		t.Errorf("subscribed to %s, want the leader %s", c.MasterURL, leader.URL())
	}
	// Later calls go to the leader too (httpsched alone would send them to the standby).
	d := &Driver{Conn: r.conn, Roles: []string{"cassandra"}}
	if err := d.Revive(context.Background(), 0); err != nil {
		t.Errorf("REVIVE after redirect: %v", err)
	}
}

func TestNextMasterWhenUnreachable(t *testing.T) {
	sim := startSim(t, mesossim.Config{})
	r := runConn(t, &memStore{}, "http://127.0.0.1:1/api/v1/scheduler", endpoint(t, sim.URL()))
	c := r.next(t, "SUBSCRIBED on the second master", isConnected).Connected
	if c.MasterURL != endpoint(t, sim.URL()) {
		t.Errorf("subscribed to %s", c.MasterURL)
	}
}

func TestParseVersion(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Version
		bad  bool
	}{
		{"1.11.0", Version{1, 11, 0}, false},
		{"1.9", Version{1, 9, 0}, false},
		{"1.10.0-dev", Version{1, 10, 0}, false},
		{"", Version{}, true},
		{"x.y", Version{}, true},
		{"1.2.3.4", Version{}, true},
	} {
		got, err := ParseVersion(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
			t.Errorf("ParseVersion(%q) = %v, %v", tt.in, got, err)
		}
	}
	if err := checkVersion("1.8.9"); !errors.Is(err, ErrMasterTooOld) {
		t.Errorf("1.8.9 accepted")
	}
	if err := checkVersion("1.9.0"); err != nil {
		t.Errorf("1.9.0 refused: %v", err)
	}
}

func FuzzParseVersion(f *testing.F) {
	f.Add("1.11.0")
	f.Fuzz(func(t *testing.T, s string) { _, _ = ParseVersion(s) })
}

// Issue 17 item 4: a real master sends offers before a SUPPRESS sent after SUBSCRIBED arrives. A
// daemon with nothing pending subscribes with suppressed_roles, and no offer comes until REVIVE.
func TestSubscribeSuppressedGetsNoOffers(t *testing.T) {
	sim := startSim(t, mesossim.Config{})
	var pending atomic.Bool // nothing pending at first
	r := runConnWith(t, &memStore{}, func(o *Options) {
		o.SubscribeSuppressed = func() bool { return !pending.Load() }
	}, endpoint(t, sim.URL()))
	ev := r.next(t, "SUBSCRIBED", isConnected)
	if !ev.Connected.Suppressed {
		t.Fatalf("connected %+v: want Suppressed", ev.Connected)
	}
	quietUntil := time.After(500 * time.Millisecond) // 10 allocation rounds
	for waiting := true; waiting; {
		select {
		case e := <-r.events:
			if len(e.Offers) > 0 {
				t.Fatalf("%d offers to a framework that subscribed suppressed", len(e.Offers))
			}
		case <-quietUntil:
			waiting = false
		}
	}
	d := &Driver{Conn: r.conn, Roles: []string{"cassandra"}}
	if err := d.Revive(context.Background(), ev.Subscription); err != nil {
		t.Fatal(err)
	}
	r.next(t, "offers after REVIVE", hasOffers)

	// With work pending at the next subscription, it subscribes unsuppressed and offers come.
	pending.Store(true)
	r.conn.Disconnect()
	again := r.next(t, "re-SUBSCRIBED", func(e Event) bool { return e.Connected != nil && e.Subscription > ev.Subscription })
	if again.Connected.Suppressed {
		t.Errorf("re-subscribed suppressed with work pending")
	}
	r.next(t, "offers without REVIVE", func(e Event) bool { return len(e.Offers) > 0 && e.Subscription == again.Subscription })
}
