package server

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/engine"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// openWatchBackend gives every watcher its own channel holding one running snapshot, and never
// ends it: the stream stays open until the client goes.
type openWatchBackend struct{ *fakeBackend }

func (b openWatchBackend) Watch(ctx context.Context, id string) (<-chan engine.Snapshot, error) {
	if _, err := b.fakeBackend.Watch(ctx, id); err != nil {
		return nil, err
	}
	ch := make(chan engine.Snapshot, 1)
	ch <- engine.Snapshot{Operation: b.state.Operations[id]}
	return ch, nil
}

// Issue 13: a client cannot open more than WatchPerClient streams; the excess is refused with
// ResourceExhausted, and a closed stream frees its slot.
func TestWatchStreamsBoundedPerClient(t *testing.T) {
	b := openWatchBackend{&fakeBackend{state: testState()}}
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}, WatchPerClient: 2, WatchTotal: 10})
	ops := cassmesosv1.NewOperationServiceClient(conn)
	open := func(ctx context.Context) error {
		s, err := ops.WatchOperation(ctx, &cassmesosv1.WatchOperationRequest{Id: "op1"})
		if err != nil {
			return err
		}
		_, err = s.Recv()
		return err
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	for _, ctx := range []context.Context{ctx1, ctx2} {
		if err := open(ctx); err != nil {
			t.Fatalf("stream within the limit: %v", err)
		}
	}
	err := open(context.Background())
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(status.Convert(err).Message(), "limit per client is 2") {
		t.Fatalf("third stream: %v, want ResourceExhausted naming the per-client limit", err)
	}
	cancel1()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithCancel(context.Background())
		err := open(ctx)
		if err == nil {
			cancel()
			break
		}
		cancel()
		if status.Code(err) != codes.ResourceExhausted || time.Now().After(deadline) {
			t.Fatalf("after closing a stream: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // polling the server for the freed slot, not synchronising
	}
}

func TestWatchLimiterPerClientAndTotal(t *testing.T) {
	l := newWatchLimiter(2, 3)
	from := func(ip string) context.Context {
		return peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}})
	}
	var releases []func()
	for _, ip := range []string{"10.0.0.1", "10.0.0.1", "10.0.0.2"} {
		r, err := l.acquire(from(ip))
		if err != nil {
			t.Fatalf("%s: %v", ip, err)
		}
		releases = append(releases, r)
	}
	if _, err := l.acquire(from("10.0.0.1")); status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "per client") {
		t.Errorf("third from one client: %v", err)
	}
	if _, err := l.acquire(from("10.0.0.3")); status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "on this daemon") {
		t.Errorf("beyond the total: %v", err)
	}
	releases[0]()
	releases[0]() // idempotent
	if all, c := l.open("10.0.0.1"); all != 2 || c != 1 {
		t.Errorf("after one release: all %d, client %d; want 2 and 1", all, c)
	}
	if _, err := l.acquire(from("10.0.0.3")); err != nil {
		t.Errorf("after a release: %v", err)
	}
}
