package leader

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/server"
	"github.com/cassmesos/cassmesos/internal/zktest"
	"github.com/cassmesos/cassmesos/zkstate"
)

type nopBackend struct{ name string }

func (nopBackend) Submit(context.Context, plan.Request) (plan.Accepted, error) {
	return plan.Accepted{}, nil
}
func (nopBackend) Read(context.Context, func(*plan.State)) error { return nil }
func (nopBackend) Watch(context.Context, string) (<-chan engine.Snapshot, error) {
	return nil, nil
}
func (nopBackend) Info() engine.Info { return engine.Info{} }

func TestFailover(t *testing.T) {
	srv := zktest.Start(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() *zkstate.Store {
		s, err := zkstate.Open(context.Background(), zkstate.Config{Servers: srv.Servers(), Framework: "leader-test", Logger: quiet, SessionTimeout: 4 * time.Second})
		if err != nil {
			t.Fatalf("zkstate.Open: %v", err)
		}
		t.Cleanup(s.Close)
		return s
	}
	var mu sync.Mutex
	leads := map[string]*zkstate.Leadership{}
	term := func(name string) Term {
		return func(ctx context.Context, lead *zkstate.Leadership, set func(server.Backend)) error {
			mu.Lock()
			leads[name] = lead
			mu.Unlock()
			set(nopBackend{name})
			<-ctx.Done()
			return nil
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := &Leader{Store: open(), Address: "10.0.0.1:9090", Refresh: 20 * time.Millisecond, Logger: quiet}
	b := &Leader{Store: open(), Address: "10.0.0.2:9090", Refresh: 20 * time.Millisecond, Logger: quiet}
	done := make(chan error, 2)
	go func() { done <- a.Run(ctx, term("a")) }()
	zktest.WaitFor(t, 10*time.Second, func() bool { return a.Backend() != nil }, "a to lead")
	go func() { done <- b.Run(ctx, term("b")) }()
	zktest.WaitFor(t, 10*time.Second, func() bool { return b.LeaderAddress() == a.Address }, "standby b to learn the leader (has %q)", b.LeaderAddress())
	if b.Backend() != nil {
		t.Fatal("standby has a backend")
	}

	// a loses leadership: its term stops at once, b takes over, a stands by behind b.
	mu.Lock()
	lead := leads["a"]
	mu.Unlock()
	if err := lead.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	zktest.WaitFor(t, 10*time.Second, func() bool { return a.Backend() == nil && b.Backend() != nil }, "b to take over")
	zktest.WaitFor(t, 10*time.Second, func() bool { return a.LeaderAddress() == b.Address }, "a to point at b")
	if got := fmt.Sprint(b.Backend()); got != fmt.Sprint(nopBackend{"b"}) {
		t.Errorf("b's backend %s", got)
	}
	cancel()
	for range 2 {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}
