package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// Cassandra is the part of nodetool.Controller the supervisor needs.
type Cassandra interface {
	Netstats(ctx context.Context) (*nodetool.Netstats, error)
	Info(ctx context.Context) (*nodetool.Info, error)
	Drain(ctx context.Context) error
}

// Config configures a Supervisor.
type Config struct {
	// Command runs Cassandra in the foreground.
	Command Command
	// Prepare is called before every start (first start and restarts), e.g. to render the
	// configuration. It may change Command.Env through the returned slice (nil keeps it).
	Prepare func(ctx context.Context) error
	// Address and NativePort are probed for the native transport.
	Address    string
	NativePort uint32
	// Cassandra answers mode, host ID and drain.
	Cassandra Cassandra
	// HealthInterval is the time between probes once Cassandra is NORMAL (default 5s).
	HealthInterval time.Duration
	// TransitionInterval is the time between probes while Cassandra is not NORMAL (starting,
	// joining, leaving, draining; default 200ms, at most HealthInterval). It doubles after
	// every probe that sees no change, up to HealthInterval, so a long join does not spawn
	// nodetool back to back, and drops back to TransitionInterval whenever the mode changes.
	TransitionInterval time.Duration
	// ProbeTimeout bounds one probe's nodetool calls (default 30s).
	ProbeTimeout time.Duration
	// DrainTimeout bounds nodetool drain in the stop sequence (default 2m).
	DrainTimeout time.Duration
	// LogFiles are tailed into the failure message (system.log, stdout, stderr).
	LogFiles []string
	// StateLog is Cassandra's system.log, followed as it is written (inotify). A line saying the
	// node itself joins, turned NORMAL ("Node /<Address>:<port> state jump to NORMAL") or
	// started or stopped its native transport is applied at once (LogState), so the status
	// update leaves as Cassandra logs the change; every line that marks a mode change (also
	// LEAVING, DRAINED, Startup complete, ...) triggers a nodetool probe at once, which confirms
	// or corrects it. "" polls only.
	StateLog string
	// StateLogInterval is how often StateLog is read when no inotify watch can be made (default
	// 100ms; with a watch it is read on every write, and every second anyway).
	StateLogInterval time.Duration
	// TailBytes is how much of each log file the failure message carries (default 1500).
	TailBytes int64
	// OnChange is called, in order and from one goroutine at a time, with every changed snapshot.
	// It must not block for long.
	OnChange func(Snapshot)
	Logger   *slog.Logger
}

// Supervisor runs one Cassandra process and reports its state.
type Supervisor struct {
	cfg Config
	log *slog.Logger

	opMu sync.Mutex // serialises Start, Stop and Restart

	mu      sync.Mutex // guards m, proc, probeCancel; held while calling OnChange
	m       *Machine
	logSeq  uint64 // log states applied: a probe that saw it move while it ran is stale
	proc    *Process
	cancel  context.CancelFunc
	exited  chan struct{} // closed when the current incarnation's exit has been applied
	stopped chan struct{} // closed on a terminal state
	once    sync.Once
}

// New returns a supervisor; nothing runs until Start.
func New(cfg Config) *Supervisor {
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = 5 * time.Second
	}
	if cfg.TransitionInterval <= 0 {
		cfg.TransitionInterval = 200 * time.Millisecond
	}
	if cfg.StateLogInterval <= 0 {
		cfg.StateLogInterval = 100 * time.Millisecond
	}
	cfg.TransitionInterval = min(cfg.TransitionInterval, cfg.HealthInterval)
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = 30 * time.Second
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 2 * time.Minute
	}
	if cfg.TailBytes <= 0 {
		cfg.TailBytes = 1500
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Supervisor{cfg: cfg, log: cfg.Logger, m: NewMachine(), stopped: make(chan struct{})}
}

// Snapshot returns the current state.
func (s *Supervisor) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Snapshot()
}

// Done is closed when the node reached a terminal state (Stopped or Failed).
func (s *Supervisor) Done() <-chan struct{} { return s.stopped }

func (s *Supervisor) apply(e Event) Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applyLocked(e)
}

func (s *Supervisor) applyLocked(e Event) Snapshot {
	snap, changed := s.m.Apply(e)
	if changed {
		s.log.Info("node state", "state", snap.State.String(), "mode", string(snap.Mode), "host_id", snap.HostID,
			"healthy", snap.Healthy)
		if s.cfg.OnChange != nil {
			s.cfg.OnChange(snap)
		}
	}
	if snap.State.Terminal() {
		s.once.Do(func() { close(s.stopped) })
	}
	return snap
}

// Start prepares the configuration and starts Cassandra and the health loop.
func (s *Supervisor) Start(ctx context.Context) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	return s.start(ctx)
}

func (s *Supervisor) start(ctx context.Context) error {
	if s.cfg.Prepare != nil {
		if err := s.cfg.Prepare(ctx); err != nil {
			s.apply(ProcessExited{Status: ExitStatus{Code: -1}, Message: "prepare: " + err.Error()})
			return fmt.Errorf("prepare: %w", err)
		}
	}
	var lw *logWatch
	if s.cfg.StateLog != "" {
		lw = newLogWatch(s.cfg.StateLog) // from the log's end before this incarnation writes to it
	}
	proc, err := StartProcess(s.cfg.Command)
	if err != nil {
		s.apply(ProcessExited{Status: ExitStatus{Code: -1}, Message: err.Error()})
		return err
	}
	s.log.Info("cassandra started", "pid", proc.PID(), "cmd", s.cfg.Command.Path)
	probeCtx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{})
	s.mu.Lock()
	s.proc, s.cancel, s.exited = proc, cancel, exited
	s.applyLocked(ProcessStarted{})
	s.mu.Unlock()
	wake := make(chan struct{}, 1)
	if lw != nil {
		go lw.run(probeCtx, s.cfg.StateLogInterval, func(line []byte) {
			if ls, ok := parseLogState(line, s.cfg.Address); ok {
				s.applyLog(probeCtx, proc, ls)
			}
			if isStateLine(line) {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		})
	}
	go s.healthLoop(probeCtx, proc, wake)
	go func() {
		<-proc.Done()
		cancel()
		st := proc.Exit()
		msg := ""
		s.mu.Lock()
		stopping := s.m.Stopping()
		s.mu.Unlock()
		if !stopping {
			msg = fmt.Sprintf("cassandra exited on its own (%s)\n%s", st, Tail(s.cfg.LogFiles, s.cfg.TailBytes))
			s.log.Warn("cassandra exited", "status", st.String())
		} else {
			s.log.Info("cassandra stopped", "status", st.String())
		}
		s.apply(ProcessExited{Status: st, Message: msg})
		close(exited)
	}()
	return nil
}

// healthLoop probes on its own schedule (nextProbe) and at once when wake fires (a state line in
// Cassandra's log); after a woken probe the schedule restarts at TransitionInterval.
func (s *Supervisor) healthLoop(ctx context.Context, proc *Process, wake <-chan struct{}) {
	t := time.NewTimer(0)
	defer t.Stop()
	last, wait := nodetool.Mode("-"), s.cfg.TransitionInterval
	for {
		woken := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
			woken = true
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		}
		if woken {
			wait = s.cfg.TransitionInterval / 2 // nextProbe doubles it back to TransitionInterval
		}
		mode, native := s.probe(ctx, proc, last)
		wait = nextProbe(s.cfg, last, mode, native, wait)
		last = mode
		t.Reset(wait)
	}
}

// nextProbe is the wait before the next probe: the steady interval once NORMAL with the native
// transport up; otherwise TransitionInterval right after a change, doubling while nothing
// changes, up to the steady interval.
func nextProbe(cfg Config, last, mode nodetool.Mode, native bool, wait time.Duration) time.Duration {
	switch {
	case mode == nodetool.ModeNormal && native:
		return cfg.HealthInterval
	case mode != last:
		return cfg.TransitionInterval
	}
	return min(2*wait, cfg.HealthInterval)
}

// applyLog applies what a line of the current incarnation's log says at once: the status update
// goes out as Cassandra logs the change, and the probe the line wakes confirms it.
func (s *Supervisor) applyLog(ctx context.Context, proc *Process, ls LogState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil || !proc.Alive() || s.proc != proc {
		return
	}
	s.logSeq++
	s.applyLocked(ls)
}

// probe checks the process once and returns the mode it saw and whether the native transport
// accepted. Host ID is asked only while unknown and when the node turns NORMAL (after a
// replacement it is final only then), so a NORMAL node costs one nodetool call per probe.
func (s *Supervisor) probe(ctx context.Context, proc *Process, last nodetool.Mode) (nodetool.Mode, bool) {
	if !proc.Alive() {
		return last, false
	}
	s.mu.Lock()
	seq := s.logSeq
	s.mu.Unlock()
	p := Probe{NativeUp: dialable(ctx, s.cfg.Address, s.cfg.NativePort)}
	pctx, cancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout)
	defer cancel()
	if s.cfg.Cassandra != nil {
		if ns, err := s.cfg.Cassandra.Netstats(pctx); err == nil {
			p.Mode = ns.Mode
		} else if ctx.Err() == nil {
			s.log.Debug("probe mode", "err", err)
		}
		if s.Snapshot().HostID == "" || p.Mode == nodetool.ModeNormal && last != nodetool.ModeNormal {
			if info, err := s.cfg.Cassandra.Info(pctx); err == nil {
				p.HostID = info.ID
			}
		}
	}
	if ctx.Err() != nil || !proc.Alive() {
		return last, false // the process went away during the probe; its exit is reported instead
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logSeq != seq {
		// The log reported a change while this probe ran: what the probe saw may be older (a
		// JOINING read just before "state jump to NORMAL"). Keep only the host ID; the probe the
		// log line woke follows at once.
		if p.HostID != "" {
			s.applyLocked(Probe{HostID: p.HostID, Mode: modeUnknown, NativeUp: s.m.nativeUp})
		}
		snap := s.m.Snapshot()
		return snap.Mode, s.m.nativeUp
	}
	s.applyLocked(p)
	return p.Mode, p.NativeUp
}

func dialable(ctx context.Context, addr string, port uint32) bool {
	if addr == "" || port == 0 {
		return false
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, strconv.FormatUint(uint64(port), 10)))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Stop runs the stop sequence: nodetool drain (bounded by DrainTimeout), SIGTERM to the process
// group, SIGKILL after grace. It returns the final snapshot (StateStopped), or the Failed
// snapshot when the process had already died.
func (s *Supervisor) Stop(ctx context.Context, grace time.Duration) Snapshot {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.mu.Lock()
	proc, exited := s.proc, s.exited
	s.applyLocked(StopRequested{})
	s.mu.Unlock()
	if proc == nil {
		// Never started: nothing to stop.
		return s.apply(ProcessExited{Status: ExitStatus{}})
	}
	s.halt(ctx, proc, grace)
	<-exited
	return s.Snapshot()
}

func (s *Supervisor) halt(ctx context.Context, proc *Process, grace time.Duration) {
	if proc.Alive() && s.cfg.Cassandra != nil {
		dctx, cancel := context.WithTimeout(ctx, s.cfg.DrainTimeout)
		err := s.drain(dctx, proc)
		cancel()
		if err != nil {
			s.log.Warn("drain before stop failed; stopping anyway", "err", err)
		}
	}
	killed, err := proc.Terminate(grace)
	if err != nil {
		s.log.Error("stop cassandra", "err", err)
	}
	if killed {
		s.log.Warn("cassandra ignored SIGTERM; killed after grace", "grace", grace.String())
	}
}

// drain runs nodetool drain but gives up early if the process dies.
func (s *Supervisor) drain(ctx context.Context, proc *Process) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-proc.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := s.cfg.Cassandra.Drain(ctx); err != nil {
		return err
	}
	s.apply(Probe{Mode: nodetool.ModeDrained})
	return nil
}

// ErrNotRunning is returned by Restart when there is no live process to restart.
var ErrNotRunning = errors.New("cassandra is not running")

// Restart drains and stops Cassandra, then starts it again in place with a fresh Prepare.
func (s *Supervisor) Restart(ctx context.Context, grace time.Duration) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.mu.Lock()
	proc, exited := s.proc, s.exited
	if proc == nil || !proc.Alive() || s.m.Snapshot().State.Terminal() || s.m.Stopping() {
		s.mu.Unlock()
		return ErrNotRunning
	}
	s.applyLocked(RestartRequested{})
	s.mu.Unlock()
	s.halt(ctx, proc, grace)
	<-exited
	if st := s.Snapshot().State; st != StateRestarting {
		return fmt.Errorf("restart: node is %s", st)
	}
	return s.start(ctx)
}

// PID returns the current Cassandra process ID, 0 when none runs.
func (s *Supervisor) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil || !s.proc.Alive() {
		return 0
	}
	return s.proc.PID()
}
