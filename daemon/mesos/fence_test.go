package mesos

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/cassmesos/cassmesos/daemon/plan"
)

var errLost = errors.New("test: leadership lost")

// Once the leadership the Conn runs under is lost, no call reaches the master: ACCEPT, DECLINE,
// KILL, ACKNOWLEDGE, RECONCILE, REVIVE and SUPPRESS fail with ErrFenced (wrapping the fence's
// error) and are not sent, and Run ends instead of subscribing again.
func TestCallsAreFencedByLeadership(t *testing.T) {
	m := &fakeMaster{scripts: [][]scheduler.Event{{subscribed()}, {subscribed()}}}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	var lost atomic.Bool
	r := runConnWith(t, &memStore{}, func(o *Options) {
		o.Fence = func() error {
			if lost.Load() {
				return errLost
			}
			return nil
		}
	}, srv.URL+"/api/v1/scheduler")
	sub := r.next(t, "SUBSCRIBED", isConnected).Subscription
	d := &Driver{Conn: r.conn, Roles: []string{"cassandra"}}
	ctx := context.Background()
	ack := Ack{AgentID: "a1", TaskID: "t1", UUID: []byte("0123456789abcdef")}

	send := map[scheduler.Call_Type]func() error{
		scheduler.Call_ACCEPT:      func() error { return d.Accept(ctx, sub, plan.Accept{AgentID: "a1", OfferIDs: []string{"o1"}}) },
		scheduler.Call_DECLINE:     func() error { return d.Decline(ctx, sub, plan.Decline{OfferIDs: []string{"o2"}}) },
		scheduler.Call_KILL:        func() error { return d.Kill(ctx, sub, plan.Kill{TaskID: "t1", AgentID: "a1"}) },
		scheduler.Call_RECONCILE:   func() error { return d.Reconcile(ctx, sub, nil) },
		scheduler.Call_REVIVE:      func() error { return d.Revive(ctx, sub) },
		scheduler.Call_SUPPRESS:    func() error { return d.Suppress(ctx, sub) },
		scheduler.Call_ACKNOWLEDGE: func() error { return d.Acknowledge(ctx, sub, ack) },
	}
	// While leading, every call is sent.
	for typ, call := range send {
		if err := call(); err != nil {
			t.Fatalf("%s while leading: %v", typ, err)
		}
		if n := m.count(typ); n != 1 {
			t.Fatalf("%s while leading reached the master %d times; want 1", typ, n)
		}
	}

	lost.Store(true)
	ack.UUID = []byte("fedcba9876543210") // a new update, so the dedup does not swallow it
	for typ, call := range send {
		err := call()
		if !errors.Is(err, ErrFenced) || !errors.Is(err, errLost) {
			t.Errorf("%s after leadership was lost: %v; want ErrFenced wrapping the fence's error", typ, err)
		}
		if n := m.count(typ); n != 1 {
			t.Errorf("%s after leadership was lost reached the master (%d in all)", typ, n)
		}
	}

	// The subscription ends: Run stops instead of subscribing as a deposed leader.
	r.conn.Disconnect()
	select {
	case <-r.done:
		if !errors.Is(r.err, ErrFenced) {
			t.Errorf("Run: %v; want ErrFenced", r.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run kept going after leadership was lost")
	}
	if n := m.count(scheduler.Call_SUBSCRIBE); n != 1 {
		t.Errorf("%d SUBSCRIBEs; a deposed leader must not subscribe again", n)
	}
}
