// Package retry is the one backoff helper of cassmesos: exponential delays with an optional cap,
// jitter and attempt limit, and context-aware waits. Loops that keep their own control flow use a
// Sequence (Next, Reset, Wait); a call retried until it works uses Do.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff describes a sequence of delays: Initial, Initial×Multiplier, … capped at Max, each
// shortened by up to Jitter of itself. The zero value waits nothing between attempts.
type Backoff struct {
	// Initial is the first delay.
	Initial time.Duration
	// Max caps every delay (0: no cap).
	Max time.Duration
	// Multiplier grows the delay after each one (values below 1 mean 2).
	Multiplier float64
	// Jitter in [0, 1]: each delay is drawn uniformly from [d×(1−Jitter), d]. 0 means none.
	Jitter float64
	// Attempts bounds Do's calls (0: until ctx ends or the call succeeds or fails permanently).
	Attempts int
	// Rand returns a float in [0, 1) for the jitter (default math/rand/v2).
	Rand func() float64
}

// Constant is a Backoff that always waits d.
func Constant(d time.Duration) Backoff { return Backoff{Initial: d, Max: d} }

// Delay is the n-th delay (n ≥ 1), before jitter.
func (b Backoff) Delay(n int) time.Duration {
	if n < 1 || b.Initial <= 0 {
		return 0
	}
	m := b.Multiplier
	if m < 1 {
		m = 2
	}
	d := float64(b.Initial)
	for i := 1; i < n; i++ {
		d *= m
		if b.Max > 0 && d >= float64(b.Max) {
			return b.Max
		}
		if d > float64(1<<62) {
			break
		}
	}
	out := time.Duration(d)
	if b.Max > 0 && out > b.Max {
		out = b.Max
	}
	return out
}

func (b Backoff) jitter(d time.Duration) time.Duration {
	if b.Jitter <= 0 || d <= 0 {
		return d
	}
	j := min(b.Jitter, 1)
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	return d - time.Duration(float64(d)*j*r())
}

// Sequence hands out a Backoff's delays one at a time. Not safe for concurrent use.
type Sequence struct {
	b Backoff
	n int
}

// Start returns a Sequence at its first delay.
func (b Backoff) Start() *Sequence { return &Sequence{b: b} }

// Next returns the next delay (jittered) and advances.
func (s *Sequence) Next() time.Duration {
	s.n++
	return s.b.jitter(s.b.Delay(s.n))
}

// Reset starts the sequence again from Initial (after a success).
func (s *Sequence) Reset() { s.n = 0 }

// Wait sleeps the next delay or until ctx ends (then it returns ctx.Err()).
func (s *Sequence) Wait(ctx context.Context) error { return Sleep(ctx, s.Next()) }

// Sleep waits d or until ctx ends, returning ctx.Err() in the latter case. d ≤ 0 returns at once
// (ctx.Err() if ctx has ended).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying: Do returns it (unwrapped) at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// ErrExhausted is wrapped by Do's error when every attempt failed.
var ErrExhausted = errors.New("attempts exhausted")

// Do calls fn (attempt counts from 1) until it returns nil, returns a Permanent error (returned
// unwrapped), b.Attempts calls have failed (the last error is returned wrapped with
// ErrExhausted), or ctx ends between attempts (the last error joined with ctx.Err()). It waits
// the Backoff's delays between calls.
func Do(ctx context.Context, b Backoff, fn func(ctx context.Context, attempt int) error) error {
	seq := b.Start()
	for attempt := 1; ; attempt++ {
		err := fn(ctx, attempt)
		if err == nil {
			return nil
		}
		var p permanent
		if errors.As(err, &p) {
			return p.err
		}
		if b.Attempts > 0 && attempt >= b.Attempts {
			return fmt.Errorf("%w after %d attempts: %w", ErrExhausted, attempt, err)
		}
		if cerr := seq.Wait(ctx); cerr != nil {
			return errors.Join(err, cerr)
		}
	}
}
