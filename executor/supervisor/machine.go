package supervisor

import (
	"fmt"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// State is the supervisor's view of the node's lifecycle.
type State int

// States. Stopped and Failed are terminal for a process incarnation; Restarting passes back to
// Starting when the process is started again.
const (
	StateStarting State = iota
	StateJoining
	StateNormal
	StateLeaving
	StateDecommissioned
	StateDraining
	StateDrained
	StateRestarting
	StateStopped
	StateFailed
)

var stateNames = [...]string{"STARTING", "JOINING", "NORMAL", "LEAVING", "DECOMMISSIONED", "DRAINING",
	"DRAINED", "RESTARTING", "STOPPED", "FAILED"}

func (s State) String() string {
	if int(s) >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Terminal reports whether the process is gone for good.
func (s State) Terminal() bool { return s == StateStopped || s == StateFailed }

// ExitStatus is how the Cassandra process ended.
type ExitStatus struct {
	// Code is the exit code, -1 when killed by a signal.
	Code int
	// Signal names the signal that killed it, "" otherwise.
	Signal string
}

func (e ExitStatus) String() string {
	if e.Signal != "" {
		return "killed by signal " + e.Signal
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// Snapshot is what the supervisor reports: every change of one of these fields is a status update.
type Snapshot struct {
	State State
	// Mode is Cassandra's last observed operation mode (STARTING before the first probe).
	Mode    nodetool.Mode
	HostID  string
	Healthy bool
	// Exit is set once the process ended (Stopped, Failed).
	Exit *ExitStatus
	// Message explains Failed (exit status and log tail).
	Message string
}

// Event drives the Machine.
type Event interface{ isEvent() }

// ProcessStarted: bin/cassandra was started.
type ProcessStarted struct{}

// ProcessExited: the process ended. Message is the log tail for a failure.
type ProcessExited struct {
	Status  ExitStatus
	Message string
}

// Probe is one health check result.
type Probe struct {
	// NativeUp: the native transport accepted a TCP connection.
	NativeUp bool
	// Mode is the mode nodetool reported; ModeUnknown when it could not be read.
	Mode nodetool.Mode
	// HostID is the host ID nodetool reported; "" when not read this time.
	HostID string
}

// StopRequested: a KILL or SHUTDOWN; the stop sequence (drain first) begins.
type StopRequested struct{}

// RestartRequested: drain, stop and start again in place.
type RestartRequested struct{}

func (ProcessStarted) isEvent()   {}
func (ProcessExited) isEvent()    {}
func (Probe) isEvent()            {}
func (StopRequested) isEvent()    {}
func (RestartRequested) isEvent() {}

// modeUnknown is a probe that could not read the mode.
const modeUnknown nodetool.Mode = ""

// Machine is the pure node state machine. The zero value is a node about to start.
type Machine struct {
	snap       Snapshot
	stopping   bool
	restarting bool
	nativeUp   bool
}

// NewMachine returns a machine in StateStarting.
func NewMachine() *Machine {
	return &Machine{snap: Snapshot{State: StateStarting, Mode: nodetool.ModeStarting}}
}

// Snapshot returns the current snapshot.
func (m *Machine) Snapshot() Snapshot { return m.snap }

// Stopping reports whether a stop was requested.
func (m *Machine) Stopping() bool { return m.stopping }

// Apply feeds one event and returns the new snapshot and whether it changed.
func (m *Machine) Apply(e Event) (Snapshot, bool) {
	before := m.snap
	switch e := e.(type) {
	case ProcessStarted:
		if m.snap.State.Terminal() && !m.restarting {
			break // a finished incarnation stays finished
		}
		m.restarting = false
		m.nativeUp = false
		m.snap = Snapshot{State: StateStarting, Mode: nodetool.ModeStarting, HostID: m.snap.HostID}
	case ProcessExited:
		if m.snap.State.Terminal() {
			break
		}
		st := e.Status
		m.nativeUp = false
		m.snap.Healthy = false
		m.snap.Exit = &st
		switch {
		case m.restarting && m.snap.State != StateRestarting:
			m.snap.State = StateRestarting
			m.snap.Exit = nil
		case m.stopping:
			m.snap.State = StateStopped
		default:
			m.snap.State = StateFailed
			m.snap.Message = e.Message
		}
	case StopRequested:
		if m.snap.State.Terminal() {
			break
		}
		m.stopping = true
		m.restarting = false
		m.snap.State = StateDraining
		m.snap.Healthy = false
	case RestartRequested:
		if m.snap.State.Terminal() || m.stopping {
			break
		}
		m.restarting = true
		m.snap.State = StateDraining
		m.snap.Healthy = false
	case Probe:
		if m.snap.State.Terminal() || m.snap.State == StateRestarting {
			break
		}
		m.nativeUp = e.NativeUp
		if e.HostID != "" {
			m.snap.HostID = e.HostID
		}
		m.observed(e.Mode)
	case LogState:
		if m.snap.State.Terminal() || m.snap.State == StateRestarting {
			break
		}
		switch {
		case e.Native > 0:
			m.nativeUp = true
		case e.Native < 0:
			m.nativeUp = false
		}
		m.observed(e.Mode)
	}
	return m.snap, !sameReport(before, m.snap)
}

// observed folds a mode seen by a probe or in the log (modeUnknown: none) into the snapshot.
func (m *Machine) observed(mode nodetool.Mode) {
	if mode != modeUnknown {
		m.snap.Mode = mode
	}
	if m.stopping || m.restarting {
		// The stop sequence owns the state; probes only refresh the labels.
		if m.snap.Mode == nodetool.ModeDrained {
			m.snap.State = StateDrained
		}
		m.snap.Healthy = false
		return
	}
	m.snap.State = stateForMode(m.snap.Mode, m.snap.State)
	m.snap.Healthy = m.nativeUp && m.snap.Mode == nodetool.ModeNormal
}

func stateForMode(mode nodetool.Mode, cur State) State {
	switch mode {
	case nodetool.ModeStarting:
		return StateStarting
	case nodetool.ModeJoining, nodetool.ModeJoiningFailed:
		return StateJoining
	case nodetool.ModeNormal, nodetool.ModeMoving:
		return StateNormal
	case nodetool.ModeLeaving, nodetool.ModeDecommissionFailed:
		return StateLeaving
	case nodetool.ModeDecommissioned:
		return StateDecommissioned
	case nodetool.ModeDraining:
		return StateDraining
	case nodetool.ModeDrained:
		return StateDrained
	}
	return cur
}

func sameReport(a, b Snapshot) bool {
	return a.State == b.State && a.Mode == b.Mode && a.HostID == b.HostID && a.Healthy == b.Healthy &&
		(a.Exit == nil) == (b.Exit == nil)
}
