package zkstate

import (
	"context"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cassmesos/cassmesos/internal/zktest"
)

const watchWait = 15 * time.Second

func TestWatchFiresAfterReconnect(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	srv := zktest.Start(t) // restarted below: not the shared server
	fw := uniqueFramework(t)
	s := openStore(t, storeOpts{servers: srv.Servers(), framework: fw})
	const p = "/schedules/w"
	if err := s.Create(ctx, p, wrapperspb.String("v0")); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Watch(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	kids, err := s.WatchChildren(ctx, SchedulesPath())
	if err != nil {
		t.Fatal(err)
	}
	recv(t, rec, watchWait, "the record watch being set")
	recv(t, kids, watchWait, "the children watch being set")

	session := s.Conn().SessionID()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	zktest.WaitFor(t, watchWait, func() bool { return s.Conn().State() == zk.StateHasSession }, "reconnect")
	if got := s.Conn().SessionID(); got != session {
		t.Fatalf("session 0x%x replaced by 0x%x; want a reconnect within the session", session, got)
	}
	drain(rec)
	drain(kids)

	other := openStore(t, storeOpts{servers: srv.Servers(), framework: fw})
	if _, err := other.Update(ctx, p, wrapperspb.String("v1"), 0); err != nil {
		t.Fatal(err)
	}
	recv(t, rec, watchWait, "the record watch after the server restart")
	if err := other.Create(ctx, "/schedules/w2", wrapperspb.String("x")); err != nil {
		t.Fatal(err)
	}
	recv(t, kids, watchWait, "the children watch after the server restart")
	got := &wrapperspb.StringValue{}
	if _, err := s.Get(ctx, p, got); err != nil || got.Value != "v1" {
		t.Fatalf("re-read = %q, %v; want v1", got.Value, err)
	}
}

func TestWatchSurvivesSessionExpiry(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	fw := uniqueFramework(t)
	s := openStore(t, storeOpts{framework: fw})
	other := openStore(t, storeOpts{framework: fw})
	const p = "/schedules/w"
	rec, err := s.Watch(ctx, p) // set before the record exists
	if err != nil {
		t.Fatal(err)
	}
	recv(t, rec, watchWait, "the watch being set")
	if err := other.Create(ctx, p, wrapperspb.String("v0")); err != nil {
		t.Fatal(err)
	}
	recv(t, rec, watchWait, "the watch on creation")

	zktest.ExpireSession(t, s.Conn())
	recv(t, rec, watchWait, "the watch being set again on the new session")
	drain(rec)
	if _, err := other.Update(ctx, p, wrapperspb.String("v1"), 0); err != nil {
		t.Fatal(err)
	}
	recv(t, rec, watchWait, "the watch after session expiry")
	if err := other.Delete(ctx, p, 1); err != nil {
		t.Fatal(err)
	}
	recv(t, rec, watchWait, "the watch on deletion")
}

func TestWatchClosesWithContext(t *testing.T) {
	t.Parallel()
	s := openStore(t, storeOpts{})
	ctx, cancel := context.WithCancel(testCtx(t))
	ch, err := s.WatchChildren(ctx, "/rings/not-yet/nodes")
	if err != nil {
		t.Fatal(err)
	}
	recv(t, ch, watchWait, "the watch being set")
	cancel()
	deadline := time.After(watchWait)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("watch channel not closed after cancel")
		}
	}
}
