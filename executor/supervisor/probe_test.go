package supervisor

import (
	"context"
	"net"
	"os"
	"path/filepath"
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

// A node's own log lines are its state as they are written (inotify, else a 20 ms poll): with
// probes an hour apart and nodetool not answering, the node is seen JOINING and then NORMAL and healthy only because
// Cassandra 5.0.8's lines were appended to system.log; a peer's "state jump to NORMAL" is not
// the node's.
func TestLogStatePushed(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0") // the native transport the probe dials
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	port := lis.Addr().(*net.TCPAddr).Port
	fc := &fakeCassandra{} // mode "": nodetool refuses every call
	rec := &recorder{}
	s, dir := newTestSupervisor(t, `touch "$READY"
while :; do sleep 0.05; done
`, fc, rec)
	logPath := filepath.Join(dir, "logs", "system.log")
	s.cfg.HealthInterval, s.cfg.TransitionInterval, s.cfg.StateLogInterval = time.Hour, time.Hour, 20*time.Millisecond
	s.cfg.StateLog, s.cfg.Address, s.cfg.NativePort = logPath, "127.0.0.1", uint32(port)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the process to run", func() bool { _, err := os.Stat(filepath.Join(dir, "ready")); return err == nil })
	write := func(lines ...string) {
		t.Helper()
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range lines {
			if _, err := f.WriteString(l + "\n"); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("INFO  [GossipStage:1] 2026-12-03 08:11:29,467 StorageService.java:3320 - Node /127.0.0.9:7000 state jump to NORMAL",
		"INFO  [main] 2026-12-03 08:02:03,881 StorageService.java:2086 - JOINING: waiting for ring information")
	waitFor(t, "JOINING from the log", func() bool { return s.Snapshot().State == StateJoining })
	for _, st := range rec.states() {
		if st == StateNormal {
			t.Fatalf("a peer's state jump made the node NORMAL: %v", rec.states())
		}
	}
	write("INFO  [main] 2026-12-03 08:02:14,202 StorageService.java:3320 - Node /127.0.0.1:7000 state jump to NORMAL",
		"INFO  [main] 2026-12-03 08:02:14,875 PipelineConfigurator.java:148 - Starting listening for CQL clients on /127.0.0.1:9042 (unencrypted)...")
	waitFor(t, "NORMAL and healthy from the log", func() bool { sn := s.Snapshot(); return sn.State == StateNormal && sn.Healthy })
	lis.Close() // the probe the next line wakes agrees
	write("INFO  [RMI TCP Connection(114)-127.0.0.1] 2026-12-03 08:07:22,031 Server.java:203 - Stop listening for CQL clients")
	waitFor(t, "unhealthy once the native transport stopped", func() bool { sn := s.Snapshot(); return sn.State == StateNormal && !sn.Healthy })
}

// Log states move the machine like probes do, but only by what the line says.
func TestMachineLogState(t *testing.T) {
	m := NewMachine()
	m.Apply(ProcessStarted{})
	m.Apply(LogState{Mode: nodetool.ModeJoining})
	if sn, _ := m.Apply(LogState{Mode: nodetool.ModeNormal}); sn.State != StateNormal || sn.Healthy {
		t.Fatalf("after NORMAL from the log: %+v", sn)
	}
	if sn, _ := m.Apply(LogState{Native: +1}); !sn.Healthy {
		t.Fatalf("after CQL up from the log: %+v", sn)
	}
	if sn, _ := m.Apply(LogState{Native: -1}); sn.Healthy || sn.State != StateNormal {
		t.Fatalf("after CQL down from the log: %+v", sn)
	}
	m.Apply(StopRequested{})
	if sn, _ := m.Apply(LogState{Mode: nodetool.ModeNormal, Native: +1}); sn.State != StateDraining || sn.Healthy {
		t.Fatalf("a log line during the stop sequence: %+v", sn)
	}
}

// gatedCassandra answers JOINING, each probe only once the test lets it through.
type gatedCassandra struct {
	fakeCassandra
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedCassandra) Netstats(ctx context.Context) (*nodetool.Netstats, error) {
	select {
	case g.entered <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &nodetool.Netstats{Mode: nodetool.ModeJoining}, nil
}

// A probe that read JOINING before the log said NORMAL does not undo the log line.
func TestStaleProbeDoesNotUndoLog(t *testing.T) {
	g := &gatedCassandra{entered: make(chan struct{}), gate: make(chan struct{})}
	rec := &recorder{}
	s, _ := newTestSupervisor(t, `while :; do sleep 0.05; done
`, nil, rec)
	s.cfg.Cassandra = g
	s.cfg.HealthInterval, s.cfg.TransitionInterval = time.Hour, 5*time.Millisecond
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	entered := func(what string) {
		t.Helper()
		select {
		case <-g.entered:
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s", what)
		}
	}
	entered("first probe") // it is inside nodetool
	s.mu.Lock()
	proc := s.proc
	s.mu.Unlock()
	s.applyLog(context.Background(), proc, LogState{Mode: nodetool.ModeNormal})
	g.gate <- struct{}{}    // the first probe returns JOINING, read before the line
	entered("second probe") // probes run one after the other: the first one has been applied
	if st := s.Snapshot().State; st != StateNormal {
		t.Fatalf("state %s after a stale probe, want NORMAL (from the log); states %v", st, rec.states())
	}
	g.gate <- struct{}{} // a probe that started after the line counts: JOINING
	waitFor(t, "a fresh probe to apply", func() bool { return s.Snapshot().State == StateJoining })
}
