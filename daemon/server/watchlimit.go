package server

import (
	"context"
	"net"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Defaults of Options.WatchPerClient and Options.WatchTotal.
const (
	DefaultWatchPerClient = 8
	DefaultWatchTotal     = 256
)

// watchLimiter bounds concurrent WatchOperation streams per client and in all. A stream's own
// memory is bounded by the engine (one pending snapshot per watcher, the latest wins) and by
// gRPC flow control, so the count of streams is what bounds the daemon's memory.
type watchLimiter struct {
	mu        sync.Mutex
	perClient int
	total     int
	byClient  map[string]int
	all       int
}

func newWatchLimiter(perClient, total int) *watchLimiter {
	return &watchLimiter{perClient: perClient, total: total, byClient: map[string]int{}}
}

// clientKey identifies the caller: its peer's IP address (all connections from one host share a
// budget), or "unknown" when the transport gives none.
func clientKey(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return "unknown"
	}
	if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
		return host
	}
	return p.Addr.String()
}

// acquire takes a slot for ctx's client; release gives it back. ResourceExhausted when the
// client or the daemon is at its limit.
func (l *watchLimiter) acquire(ctx context.Context) (release func(), err error) {
	key := clientKey(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byClient[key] >= l.perClient {
		return nil, status.Errorf(codes.ResourceExhausted,
			"too many concurrent WatchOperation streams from %s: %d open, the limit per client is %d (--watch-per-client); close one or poll with GetOperation",
			key, l.byClient[key], l.perClient)
	}
	if l.all >= l.total {
		return nil, status.Errorf(codes.ResourceExhausted,
			"too many concurrent WatchOperation streams on this daemon: %d open, the limit is %d (--watch-total); retry later or poll with GetOperation",
			l.all, l.total)
	}
	l.byClient[key]++
	l.all++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.all--
			if l.byClient[key]--; l.byClient[key] <= 0 {
				delete(l.byClient, key)
			}
		})
	}, nil
}

// open reports the streams open in all and for one client key (for tests).
func (l *watchLimiter) open(key string) (all, client int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all, l.byClient[key]
}
