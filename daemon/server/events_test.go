package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/internal/zktest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

var eventFramework atomic.Int64

// eventStore opens a store under a fresh framework root and returns it with a function that
// appends one event (as the leader's engine would: the next number).
func eventStore(t *testing.T) (*zkstate.Store, func(ring, reason string, at time.Time)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	zs, err := zkstate.Open(ctx, zkstate.Config{Servers: zktest.Shared(t).Servers(),
		Framework: fmt.Sprintf("events-%d", eventFramework.Add(1)), SessionTimeout: zktest.DefaultSessionTimeout,
		Logger: slog.New(slog.DiscardHandler), Dialer: zktest.Dialer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(zs.Close)
	var seq int64
	return zs, func(ring, reason string, at time.Time) {
		ev := &cassmesosv1.Event{Time: timestamppb.New(at), Type: cassmesosv1.EventType_EVENT_TYPE_NORMAL, Reason: reason, Ring: ring}
		if err := zs.Create(ctx, zkstate.EventPath(seq), ev); err != nil {
			t.Fatal(err)
		}
		seq++
	}
}

func TestListAndWatchEvents(t *testing.T) {
	t.Parallel()
	zs, add := eventStore(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	add("demo", "RingCreated", t0)
	add("other", "RingCreated", t0.Add(time.Second))
	add("demo", "NodeUp", t0.Add(2*time.Second))

	// A standby answers (no backend), filtered by ring and since.
	conn := dial(t, Options{Leadership: &fakeLeadership{}, Events: ZKEvents{Store: zs}, WatchPerClient: 1, WatchTotal: 4})
	c := cassmesosv1.NewEventServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := c.ListEvents(ctx, &cassmesosv1.ListEventsRequest{Ring: "demo"})
	if err != nil || len(resp.GetEvents()) != 2 || resp.GetEvents()[0].GetReason() != "RingCreated" || resp.GetEvents()[1].GetId() != "e-0000000002" {
		t.Fatalf("ListEvents(demo) = %v, %v; want RingCreated then NodeUp (e-0000000002)", resp, err)
	}
	resp, err = c.ListEvents(ctx, &cassmesosv1.ListEventsRequest{Since: timestamppb.New(t0.Add(time.Second))})
	if err != nil || len(resp.GetEvents()) != 2 || resp.GetEvents()[0].GetRing() != "other" {
		t.Fatalf("ListEvents(since t0+1s) = %v, %v; want the last two", resp, err)
	}
	for _, bad := range []*cassmesosv1.ListEventsRequest{{Limit: -1}, {Limit: 5001}, {Ring: "bad/name"}} {
		if _, err := c.ListEvents(ctx, bad); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("ListEvents(%v) = %v; want InvalidArgument", bad, err)
		}
	}

	w, err := c.WatchEvents(ctx, &cassmesosv1.WatchEventsRequest{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	recv := func() *cassmesosv1.Event {
		t.Helper()
		m, err := w.Recv()
		if err != nil {
			t.Fatalf("WatchEvents: %v", err)
		}
		return m.GetEvent()
	}
	if a, b := recv(), recv(); a.GetReason() != "RingCreated" || b.GetReason() != "NodeUp" {
		t.Fatalf("watch replay: %v, %v", a, b)
	}
	// The per-client bound holds for event watches too.
	w2, err := c.WatchEvents(ctx, &cassmesosv1.WatchEventsRequest{})
	if err == nil {
		_, err = w2.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a second watch of the same client: %v; want ResourceExhausted", err)
	}
	add("other", "NodeDown", t0.Add(3*time.Second)) // filtered out
	add("demo", "NodeDown", t0.Add(4*time.Second))
	if e := recv(); e.GetReason() != "NodeDown" || e.GetRing() != "demo" || e.GetId() != "e-0000000004" {
		t.Fatalf("watched event %v; want demo's NodeDown e-0000000004", e)
	}

	if _, err := cassmesosv1.NewEventServiceClient(dial(t, Options{Leadership: &fakeLeadership{}})).ListEvents(ctx, &cassmesosv1.ListEventsRequest{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("ListEvents without an event log = %v; want Unavailable", err)
	}
}
