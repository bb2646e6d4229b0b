package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDelaySequence(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	s := b.Start()
	for i, w := range want {
		if got := s.Next(); got != w*time.Millisecond {
			t.Fatalf("delay %d = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	s.Reset()
	if got := s.Next(); got != 100*time.Millisecond {
		t.Fatalf("after Reset: %v, want 100ms", got)
	}
	if got := (Backoff{Initial: time.Second, Multiplier: 3}).Delay(3); got != 9*time.Second {
		t.Fatalf("multiplier 3, delay 3 = %v", got)
	}
	if got := (Backoff{Initial: time.Hour}).Delay(200); got <= 0 {
		t.Fatalf("uncapped delay overflowed: %v", got)
	}
	if got := Constant(time.Second).Delay(10); got != time.Second {
		t.Fatalf("Constant: %v", got)
	}
	if got := (Backoff{}).Delay(5); got != 0 {
		t.Fatalf("zero Backoff: %v", got)
	}
}

func TestJitterStaysInRange(t *testing.T) {
	for _, r := range []float64{0, 0.5, 0.999} {
		b := Backoff{Initial: time.Second, Jitter: 0.5, Rand: func() float64 { return r }}
		got := b.Start().Next()
		lo, hi := 500*time.Millisecond, time.Second
		if got < lo || got > hi {
			t.Fatalf("rand %v: delay %v outside [%v, %v]", r, got, lo, hi)
		}
	}
	b := Backoff{Initial: time.Second, Jitter: 0.5}
	for range 100 {
		if d := b.Start().Next(); d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("delay %v outside [500ms, 1s]", d)
		}
	}
}

func TestDoStopsOnSuccess(t *testing.T) {
	calls := 0
	err := Do(context.Background(), Backoff{Initial: time.Millisecond, Attempts: 5}, func(_ context.Context, attempt int) error {
		calls++
		if attempt != calls {
			t.Fatalf("attempt %d on call %d", attempt, calls)
		}
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("err %v after %d calls, want nil after 3", err, calls)
	}
}

func TestDoAttemptLimit(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	err := Do(context.Background(), Backoff{Initial: time.Millisecond, Attempts: 4}, func(context.Context, int) error {
		calls++
		return boom
	})
	if calls != 4 || !errors.Is(err, boom) || !errors.Is(err, ErrExhausted) {
		t.Fatalf("calls %d err %v; want 4 calls and an exhausted boom", calls, err)
	}
}

func TestDoPermanent(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	err := Do(context.Background(), Backoff{Initial: time.Millisecond}, func(context.Context, int) error {
		calls++
		return Permanent(boom)
	})
	if calls != 1 || err != boom {
		t.Fatalf("calls %d err %v; want 1 call returning boom itself", calls, err)
	}
	if Permanent(nil) != nil {
		t.Fatal("Permanent(nil) is not nil")
	}
}

func TestDoStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	boom := errors.New("boom")
	calls := 0
	done := make(chan error, 1)
	go func() {
		done <- Do(ctx, Backoff{Initial: time.Hour}, func(context.Context, int) error {
			calls++
			return boom
		})
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, boom) || !errors.Is(err, context.Canceled) || calls != 1 {
			t.Fatalf("err %v calls %d", err, calls)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Do did not return after its context was cancelled")
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a cancelled context: %v", err)
	}
	start := time.Now()
	if err := Sleep(context.Background(), 5*time.Millisecond); err != nil || time.Since(start) < 5*time.Millisecond {
		t.Fatalf("Sleep 5ms: err %v after %v", err, time.Since(start))
	}
}
