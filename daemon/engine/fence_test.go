package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/engine"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
)

// fencedMesos refuses every call as the Mesos adapter does once leadership is lost.
type fencedMesos struct{ fakeMesos }

func (m *fencedMesos) Reconcile(context.Context, uint64, []plan.TaskRef) error {
	return fmt.Errorf("RECONCILE %w: leadership lost", mesosadapter.ErrFenced)
}

// A Mesos call refused by the leadership fence stops the engine with ErrNotLeader.
func TestFencedMesosCallStopsTheEngine(t *testing.T) {
	events := make(chan mesosadapter.Event, 1)
	eng := engine.New(engine.Options{Planner: &opPlanner{}, Store: memStore{}, Mesos: &fencedMesos{fakeMesos{check: func() bool { return true }}},
		Events: events, Logger: quiet()})
	done := make(chan error, 1)
	go func() { done <- eng.Run(context.Background()) }()
	events <- mesosadapter.Event{Subscription: 1, Connected: &mesosadapter.Connected{FrameworkID: "fw"}}
	select {
	case err := <-done:
		if !errors.Is(err, engine.ErrNotLeader) || !errors.Is(err, mesosadapter.ErrFenced) {
			t.Fatalf("Run: %v; want ErrNotLeader wrapping ErrFenced", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the engine kept running after a fenced Mesos call")
	}
}
