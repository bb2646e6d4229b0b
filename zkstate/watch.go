package zkstate

import (
	"context"
	"errors"
	"time"

	"github.com/go-zookeeper/zk"
)

// Watch follows the record at rel. The returned channel receives a value once the watch is set,
// and again each time the znode may have changed (created, written, deleted), each time after the
// watch has been set again, so a re-read after receiving never misses a change. This holds across
// reconnects (the client restores its watches within the session; ZooKeeper then reports changes
// it missed) and across session expiry (the watch is set again on the new session and a value is
// sent). Values coalesce: the channel holds at most one. It is closed when ctx ends or the store
// is closed.
func (s *Store) Watch(ctx context.Context, rel string) (<-chan struct{}, error) {
	return s.watch(ctx, rel, false)
}

// WatchChildren follows the set of rel's children (not their data) like Watch. It may be set
// before rel exists.
func (s *Store) WatchChildren(ctx context.Context, rel string) (<-chan struct{}, error) {
	return s.watch(ctx, rel, true)
}

func (s *Store) watch(ctx context.Context, rel string, children bool) (<-chan struct{}, error) {
	abs, err := s.abs("watch", rel)
	if err != nil {
		return nil, err
	}
	out := make(chan struct{}, 1)
	go s.watchLoop(ctx, abs, children, out)
	return out, nil
}

func (s *Store) watchLoop(ctx context.Context, abs string, children bool, out chan struct{}) {
	defer close(out)
	const minBackoff, maxBackoff = 50 * time.Millisecond, 2 * time.Second
	backoff := minBackoff
	for {
		events, err := s.arm(abs, children)
		if err != nil {
			if s.sess.isClosed() {
				return
			}
			s.sess.log.Debug("setting a watch failed; retrying", "znode", abs, "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			case <-s.sess.closed:
				t.Stop()
				return
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = minBackoff
		select {
		case out <- struct{}{}:
		default:
		}
		select {
		case ev := <-events:
			if ev.Type == zk.EventNotWatching && errors.Is(ev.Err, zk.ErrClosing) {
				return
			}
			// A change, or the watch was dropped (session expired): set it again, then notify.
		case <-ctx.Done():
			return
		case <-s.sess.closed:
			return
		}
	}
}

// arm sets one ZooKeeper watch on abs: on its data and existence, or on its children (or on its
// existence while it does not exist).
func (s *Store) arm(abs string, children bool) (<-chan zk.Event, error) {
	if children {
		_, _, ch, err := s.sess.conn.ChildrenW(abs)
		if !errors.Is(err, zk.ErrNoNode) {
			return ch, err
		}
		ok, _, ch, err := s.sess.conn.ExistsW(abs)
		if err == nil && ok {
			// Created in between: watch its children instead.
			_, _, ch, err = s.sess.conn.ChildrenW(abs)
		}
		return ch, err
	}
	_, _, ch, err := s.sess.conn.ExistsW(abs)
	return ch, err
}
