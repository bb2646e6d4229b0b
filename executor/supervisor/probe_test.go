package supervisor

import (
	"context"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

func TestNextProbe(t *testing.T) {
	cfg := Config{HealthInterval: 5 * time.Second, TransitionInterval: 200 * time.Millisecond}
	ms := time.Millisecond
	for _, tc := range []struct {
		name       string
		last, mode nodetool.Mode
		native     bool
		wait, want time.Duration
	}{
		{"normal and serving: steady", nodetool.ModeJoining, nodetool.ModeNormal, true, 200 * ms, 5 * time.Second},
		{"normal stays normal: steady", nodetool.ModeNormal, nodetool.ModeNormal, true, 5 * time.Second, 5 * time.Second},
		{"just started: fast", "-", nodetool.ModeStarting, false, 200 * ms, 200 * ms},
		{"starting, unchanged: backs off", nodetool.ModeStarting, nodetool.ModeStarting, false, 200 * ms, 400 * ms},
		{"joining, long unchanged: capped", nodetool.ModeJoining, nodetool.ModeJoining, false, 4 * time.Second, 5 * time.Second},
		{"change after back-off: fast again", nodetool.ModeStarting, nodetool.ModeJoining, false, 3200 * ms, 200 * ms},
		{"leaving: fast", nodetool.ModeNormal, nodetool.ModeLeaving, true, 5 * time.Second, 200 * ms},
		{"normal, native not yet up: fast then back-off", nodetool.ModeJoining, nodetool.ModeNormal, false, 200 * ms, 200 * ms},
		{"nodetool unanswered: backs off", "", "", false, 800 * ms, 1600 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := nextProbe(cfg, tc.last, tc.mode, tc.native, tc.wait); got != tc.want {
				t.Fatalf("nextProbe(%q→%q native=%v after %v) = %v, want %v", tc.last, tc.mode, tc.native, tc.wait, got, tc.want)
			}
		})
	}
}

func TestTransitionInterval(t *testing.T) {
	if got := New(Config{HealthInterval: 100 * time.Millisecond}).cfg.TransitionInterval; got != 100*time.Millisecond {
		t.Fatalf("transition interval %v, want capped at the health interval 100ms", got)
	}
	if got := New(Config{}).cfg.TransitionInterval; got != 200*time.Millisecond {
		t.Fatalf("default transition interval %v, want 200ms", got)
	}
}

// With a steady interval of an hour, a node going STARTING → JOINING → NORMAL is still seen at
// once: probes run at the transition interval while the mode is changing.
func TestTransitionsProbedFast(t *testing.T) {
	fc := &fakeCassandra{}
	rec := &recorder{}
	s, _ := newTestSupervisor(t, `touch "$READY"
while :; do sleep 0.05; done
`, fc, rec)
	s.cfg.HealthInterval, s.cfg.TransitionInterval = time.Hour, 20*time.Millisecond
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	fc.set(nodetool.ModeJoining, "")
	waitFor(t, "JOINING", func() bool { return s.Snapshot().State == StateJoining })
	fc.set(nodetool.ModeNormal, "11111111-2222-3333-4444-555555555555")
	waitFor(t, "NORMAL with host ID", func() bool { sn := s.Snapshot(); return sn.State == StateNormal && sn.HostID != "" })
}
