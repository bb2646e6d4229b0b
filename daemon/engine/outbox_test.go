package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/engine"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
)

// emptyStore holds nothing and persists everything.
type emptyStore struct{}

func (emptyStore) Load(context.Context) (map[string]*statev1.RingRecord, map[string]*statev1.NodeRecord, map[string]*statev1.OperationRecord, error) {
	return nil, nil, nil, nil
}

func (emptyStore) Persist(context.Context, []plan.Write) error { return nil }

// gateMesos holds every ACCEPT until the gate opens.
type gateMesos struct {
	fakeMesos
	gate chan struct{}
}

func (m *gateMesos) Accept(ctx context.Context, sub uint64, a plan.Accept) error {
	select {
	case <-m.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return m.fakeMesos.Accept(ctx, sub, a)
}

// The loop does not wait on Mesos: while an ACCEPT hangs, status updates are still taken and
// requests answered; the calls decided meanwhile are made after it, in the order decided.
func TestMesosCallsDoNotBlockTheLoop(t *testing.T) {
	m := &gateMesos{fakeMesos: fakeMesos{check: func() bool { return true }}, gate: make(chan struct{})}
	events := make(chan mesosadapter.Event, 4)
	eng := engine.New(engine.Options{Planner: &scriptPlanner{}, Store: emptyStore{}, Mesos: m, Events: events, Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	events <- mesosadapter.Event{Subscription: 1, Connected: &mesosadapter.Connected{FrameworkID: "fw"}}
	events <- mesosadapter.Event{Subscription: 1, Offers: []plan.Offer{{ID: "o1", AgentID: "a1", Hostname: "h1"}}} // ACCEPT: hangs
	events <- mesosadapter.Event{Subscription: 1, Offers: []plan.Offer{{ID: "o2", AgentID: "a1", Hostname: "h1"}}} // DECLINE
	events <- running("a1")

	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	waitFor(t, "the status update taken while the ACCEPT hangs", func() bool {
		var seen bool
		err := eng.Read(rctx, func(s *plan.State) { _, seen = s.Tasks["t1"] })
		if err != nil && !errors.Is(err, engine.ErrStopped) { // ErrStopped: not started yet
			t.Fatalf("Read while the ACCEPT hangs: %v", err)
		}
		return seen
	})
	if d := m.find("decline"); len(d) != 0 {
		t.Fatalf("DECLINE made before the ACCEPT decided first: %+v", d)
	}
	close(m.gate)
	if err := eng.Flush(rctx); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	var order []string
	for _, c := range m.calls {
		if c.name == "accept" || c.name == "decline" || c.name == "ack" {
			order = append(order, c.name+" "+c.arg)
		}
	}
	m.mu.Unlock()
	want := []string{"accept o1", "decline o2", "ack t1"}
	if len(order) != len(want) {
		t.Fatalf("calls %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("calls %v, want %v", order, want)
		}
	}
	var _ engine.Mesos = m
}
