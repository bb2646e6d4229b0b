package supervisor

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// fakeCassandra answers the probes from fields the test sets.
type fakeCassandra struct {
	mu       sync.Mutex
	mode     nodetool.Mode
	hostID   string
	drains   int
	drainErr error
}

func (f *fakeCassandra) Netstats(context.Context) (*nodetool.Netstats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mode == "" {
		return nil, nodetool.ErrConnectionRefused
	}
	return &nodetool.Netstats{Mode: f.mode}, nil
}

func (f *fakeCassandra) Info(context.Context) (*nodetool.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &nodetool.Info{ID: f.hostID}, nil
}

func (f *fakeCassandra) Drain(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drains++
	if f.drainErr != nil {
		return f.drainErr
	}
	f.mode = nodetool.ModeDrained
	return nil
}

func (f *fakeCassandra) set(mode nodetool.Mode, hostID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode, f.hostID = mode, hostID
}

func (f *fakeCassandra) drainCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.drains
}

// script writes an executable shell script into dir and returns its path.
func script(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "cassandra")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

type recorder struct {
	mu    sync.Mutex
	snaps []Snapshot
}

func (r *recorder) add(s Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snaps = append(r.snaps, s)
}

func (r *recorder) states() []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []State
	for _, s := range r.snaps {
		if len(out) == 0 || out[len(out)-1] != s.State {
			out = append(out, s.State)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newTestSupervisor(t *testing.T, body string, fc *fakeCassandra, rec *recorder) (*Supervisor, string) {
	t.Helper()
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	s := New(Config{
		Command: Command{Path: script(t, dir, body), Args: []string{"-f"}, Dir: dir,
			Env:    []string{"CASSANDRA_LOG_DIR=" + logs, "PATH=" + os.Getenv("PATH"), "READY=" + filepath.Join(dir, "ready")},
			Stdout: filepath.Join(logs, "stdout"), Stderr: filepath.Join(logs, "stderr")},
		Cassandra:      fc,
		HealthInterval: 10 * time.Millisecond,
		DrainTimeout:   time.Second,
		LogFiles:       []string{filepath.Join(logs, "system.log"), filepath.Join(logs, "stdout"), filepath.Join(logs, "stderr")},
		OnChange:       rec.add,
	})
	t.Cleanup(func() {
		if pid := s.PID(); pid != 0 {
			s.Stop(context.Background(), 10*time.Millisecond)
		}
	})
	return s, dir
}

func TestCrashIsFailedWithLogTail(t *testing.T) {
	fc := &fakeCassandra{}
	rec := &recorder{}
	s, _ := newTestSupervisor(t, `echo "starting on $1"
echo "ERROR [main] 2024-01-01 Exception encountered during startup" >> "$CASSANDRA_LOG_DIR/system.log"
echo "oops on stderr" >&2
exit 3
`, fc, rec)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	snap := s.Snapshot()
	if snap.State != StateFailed || snap.Exit == nil || snap.Exit.Code != 3 {
		t.Fatalf("snapshot = %+v", snap)
	}
	for _, want := range []string{"exit status 3", "==> logs/system.log <==", "Exception encountered during startup",
		"==> logs/stdout <==", "starting on -f", "==> logs/stderr <==", "oops on stderr"} {
		if !strings.Contains(snap.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, snap.Message)
		}
	}
	if fc.drainCount() != 0 {
		t.Error("drained a dead process")
	}
}

func TestHealthyThenStopDrainsAndTerminates(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port, _ := strconv.Atoi(strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:"))

	fc := &fakeCassandra{}
	rec := &recorder{}
	s, _ := newTestSupervisor(t, `trap 'echo got TERM; exit 0' TERM
touch "$READY"
while :; do sleep 0.05; done
`, fc, rec)
	s.cfg.Address, s.cfg.NativePort = "127.0.0.1", uint32(port)
	var prepared atomic.Int32
	s.cfg.Prepare = func(context.Context) error { prepared.Add(1); return nil }
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	fc.set(nodetool.ModeJoining, "")
	waitFor(t, "JOINING", func() bool { return s.Snapshot().State == StateJoining })
	fc.set(nodetool.ModeNormal, "11111111-2222-3333-4444-555555555555")
	waitFor(t, "healthy NORMAL", func() bool { sn := s.Snapshot(); return sn.Healthy && sn.HostID != "" })

	snap := s.Stop(context.Background(), 5*time.Second)
	if snap.State != StateStopped || snap.Exit == nil || snap.Exit.Code != 0 {
		t.Fatalf("after stop: %+v", snap)
	}
	if fc.drainCount() != 1 || prepared.Load() != 1 {
		t.Errorf("drains=%d prepared=%d", fc.drainCount(), prepared.Load())
	}
	got := rec.states()
	want := []State{StateJoining, StateNormal, StateDraining, StateDrained, StateStopped}
	if !equalStates(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
}

func equalStates(a, b []State) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestIgnoredSIGTERMGetsSIGKILL(t *testing.T) {
	fc := &fakeCassandra{drainErr: errors.New("connection refused")}
	rec := &recorder{}
	s, dir := newTestSupervisor(t, `trap '' TERM
touch "$READY"
while :; do sleep 0.05; done
`, fc, rec)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "script ready", func() bool { _, err := os.Stat(filepath.Join(dir, "ready")); return err == nil })
	start := time.Now()
	snap := s.Stop(context.Background(), 200*time.Millisecond)
	if snap.State != StateStopped || snap.Exit == nil || snap.Exit.Signal != "SIGKILL" {
		t.Fatalf("after stop: %+v exit=%+v", snap, snap.Exit)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("killed after %v, before the grace", el)
	}
	if fc.drainCount() != 1 {
		t.Error("drain not attempted")
	}
}

func TestRestartInPlace(t *testing.T) {
	fc := &fakeCassandra{}
	rec := &recorder{}
	s, dir := newTestSupervisor(t, `trap 'exit 0' TERM
echo $$ >> "$READY"
while :; do sleep 0.05; done
`, fc, rec)
	var prepared atomic.Int32
	s.cfg.Prepare = func(context.Context) error { prepared.Add(1); return nil }
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	fc.set(nodetool.ModeNormal, "h")
	waitFor(t, "NORMAL", func() bool { return s.Snapshot().State == StateNormal })
	pid := s.PID()
	if err := s.Restart(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	fc.set(nodetool.ModeNormal, "h")
	waitFor(t, "NORMAL again", func() bool { return s.Snapshot().State == StateNormal })
	if s.PID() == pid || s.PID() == 0 || prepared.Load() != 2 || fc.drainCount() != 1 {
		t.Errorf("pid %d→%d prepared=%d drains=%d", pid, s.PID(), prepared.Load(), fc.drainCount())
	}
	select {
	case <-s.Done():
		t.Fatal("restart reported a terminal state")
	default:
	}
	waitFor(t, "two starts", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "ready"))
		return len(strings.Fields(string(b))) == 2
	})
	s.Stop(context.Background(), time.Second)
	if err := s.Restart(context.Background(), time.Second); !errors.Is(err, ErrNotRunning) {
		t.Errorf("restart after stop: %v", err)
	}
}

func TestStartFailures(t *testing.T) {
	rec := &recorder{}
	s := New(Config{Command: Command{Path: "/nonexistent/bin/cassandra"}, OnChange: rec.add})
	if err := s.Start(context.Background()); err == nil {
		t.Fatal("started a missing program")
	}
	if snap := s.Snapshot(); snap.State != StateFailed || !strings.Contains(snap.Message, "nonexistent") {
		t.Errorf("snapshot %+v", snap)
	}
	s2 := New(Config{Command: Command{Path: "/bin/true"}, Prepare: func(context.Context) error { return errors.New("bad yaml") }})
	if err := s2.Start(context.Background()); err == nil || s2.Snapshot().State != StateFailed {
		t.Errorf("prepare failure: %v %+v", err, s2.Snapshot())
	}
	s3 := New(Config{})
	if snap := s3.Stop(context.Background(), time.Second); snap.State != StateStopped {
		t.Errorf("stop before start: %+v", snap)
	}
}

func TestTail(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "a.log")
	var b strings.Builder
	for i := range 100 {
		b.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	os.WriteFile(long, []byte(b.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644)
	got := Tail([]string{long, filepath.Join(dir, "missing"), filepath.Join(dir, "empty")}, 30)
	if !strings.HasPrefix(got, "==> ") || !strings.HasSuffix(got, "line 99\n") || strings.Contains(got, "line 9\n") ||
		strings.Contains(got, "missing") || strings.Contains(got, "empty") {
		t.Errorf("tail = %q", got)
	}
}
