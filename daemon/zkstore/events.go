package zkstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/zkstate"
)

// eventTrimEvery: the log is trimmed after a transaction that stored an event whose number is a
// multiple of this (so it never holds more than keep + eventTrimEvery records).
const eventTrimEvery = 100

// eventLog numbers the events a pass stores (/events/e-<seq>, zkstate/events.go). Numbers are
// handed out whether or not the transaction lands, so one whose outcome is unknown never makes
// the next one collide with it.
type eventLog struct {
	mu       sync.Mutex
	next     int64 // -1 until read from ZooKeeper
	trimDue  bool
	trimming atomic.Bool
	// Keep bounds the log (0: zkstate.DefaultEventKeep).
	keep int
}

// SetEventKeep bounds the event log to the newest keep events (0: zkstate.DefaultEventKeep).
func (s *Store) SetEventKeep(keep int) {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	s.events.keep = keep
}

// buildEvent adds the create of one event record, numbered after the newest stored one.
func (s *Store) buildEvent(ctx context.Context, t *txn, w plan.Write) error {
	if w.Event == nil {
		return errors.New("zkstore: event write without an event")
	}
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	if s.events.next < 0 {
		last, err := s.zk.LastEventSeq(ctx)
		if err != nil {
			return err
		}
		s.events.next = last + 1
	}
	seq := s.events.next
	s.events.next++
	if seq%eventTrimEvery == 0 && seq > 0 {
		s.events.trimDue = true
	}
	t.add(zkstate.PutOp(zkstate.EventPath(seq), w.Event, zkstate.Absent), "")
	return nil
}

// eventsStored trims the log in the background when a stored transaction crossed a trim mark;
// a failed trim is retried at the next mark.
func (s *Store) eventsStored(ctx context.Context) {
	s.events.mu.Lock()
	due, keep := s.events.trimDue, s.events.keep
	s.events.trimDue = false
	s.events.mu.Unlock()
	if !due || !s.events.trimming.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.events.trimming.Store(false)
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := s.zk.TrimEvents(tctx, keep); err != nil && s.observe != nil {
			s.observe("events-trim", 0, err)
		}
	}()
}
