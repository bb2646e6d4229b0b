package engine

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// The engine never waits on Mesos: its scheduler calls (ACCEPT, DECLINE, KILL, ACKNOWLEDGE,
// RECONCILE, REVIVE, SUPPRESS) are queued, in the order the loop decided them, and one sender
// goroutine makes them one after the other; a call's outcome comes back to the loop as an event.
// Order is kept (a plan's writes are persisted before its calls are queued, so persist-before-act
// holds; an ACCEPT reaches Mesos before the DECLINE of the same pass's other offers), and every
// call is fenced by the Mesos adapter with the leader epoch as before: a fenced call's error stops
// the loop when it comes back (fencedOff).

// mesosCall is one queued scheduler call.
type mesosCall struct {
	what string
	sub  uint64
	do   func(ctx context.Context, sub uint64) error
	// ok runs on the loop after the call succeeded; failed after it failed (both may be nil).
	ok     func()
	failed func(err error)
}

type mesosOutcome struct {
	c   mesosCall
	err error
}

// outbox is the unbounded FIFO between the loop and the sender: the loop never blocks on it.
type outbox struct {
	mu       sync.Mutex
	calls    []mesosCall
	outcomes []mesosOutcome
	kick     chan struct{} // the sender has calls to make
	back     chan struct{} // the loop has outcomes to take
}

func newOutbox() *outbox {
	return &outbox{kick: make(chan struct{}, 1), back: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// send queues a call (loop goroutine).
func (e *Engine) send(c mesosCall) {
	c.sub = e.sub
	o := e.out
	o.mu.Lock()
	o.calls = append(o.calls, c)
	o.mu.Unlock()
	signal(o.kick)
}

// sendLoop makes the queued calls in order until ctx ends; what is still queued then is dropped
// (Mesos resends unacknowledged updates and rescinds unanswered offers; the records say what was
// meant, and the next leader reconciles).
func (e *Engine) sendLoop(ctx context.Context) {
	o := e.out
	for {
		o.mu.Lock()
		var c mesosCall
		have := len(o.calls) > 0
		if have {
			c = o.calls[0]
			o.calls[0] = mesosCall{}
			o.calls = o.calls[1:]
		}
		o.mu.Unlock()
		if !have {
			select {
			case <-ctx.Done():
				return
			case <-o.kick:
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		err := e.call(ctx, c)
		if c.ok == nil && c.failed == nil && err == nil {
			continue
		}
		o.mu.Lock()
		o.outcomes = append(o.outcomes, mesosOutcome{c, err})
		o.mu.Unlock()
		signal(o.back)
	}
}

// call makes one call; a panic in it (a bug in the adapter) is its error, not the daemon's end.
func (e *Engine) call(ctx context.Context, c mesosCall) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("scheduler call panicked", "call", c.what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("%s panicked: %v", c.what, r)
		}
	}()
	return c.do(ctx, c.sub)
}

// takeOutcomes applies the outcomes of made calls (loop goroutine).
func (e *Engine) takeOutcomes() {
	o := e.out
	o.mu.Lock()
	outs := o.outcomes
	o.outcomes = nil
	o.mu.Unlock()
	for _, r := range outs {
		if r.err != nil {
			e.fencedOff(r.err)
			if r.c.failed != nil {
				r.c.failed(r.err)
			}
			continue
		}
		if r.c.ok != nil {
			r.c.ok()
		}
	}
}

// Flush returns once every scheduler call the engine decided before it was called has been
// made (or the engine stopped, or ctx ended).
func (e *Engine) Flush(ctx context.Context) error {
	made := make(chan struct{})
	if err := e.do(ctx, func() {
		e.send(mesosCall{what: "flush", do: func(context.Context, uint64) error { close(made); return nil }})
	}); err != nil {
		return err
	}
	select {
	case <-made:
		return nil
	case <-e.stopped:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}
