package supervisor

import (
	"testing"

	"github.com/cassmesos/cassmesos/executor/control"
)

func TestMachine(t *testing.T) {
	type step struct {
		ev      Event
		state   State
		mode    control.Mode
		healthy bool
		changed bool
	}
	up := func(mode control.Mode) Probe { return Probe{NativeUp: true, Mode: mode, HostID: "h1"} }
	tests := []struct {
		name  string
		steps []step
	}{
		{"bootstrap to normal", []step{
			{ProcessStarted{}, StateStarting, control.ModeStarting, false, false},
			{Probe{Mode: control.ModeUnknown}, StateStarting, control.ModeStarting, false, false},
			{Probe{Mode: control.ModeJoining, HostID: "h1"}, StateJoining, control.ModeJoining, false, true},
			{Probe{Mode: control.ModeNormal}, StateNormal, control.ModeNormal, false, true},
			{up(control.ModeNormal), StateNormal, control.ModeNormal, true, true},
			{up(control.ModeNormal), StateNormal, control.ModeNormal, true, false},
			{Probe{Mode: control.ModeNormal}, StateNormal, control.ModeNormal, false, true}, // native transport down
		}},
		{"unreadable mode keeps the last one", []step{
			{up(control.ModeNormal), StateNormal, control.ModeNormal, true, true},
			{Probe{NativeUp: true}, StateNormal, control.ModeNormal, true, false},
		}},
		{"crash is a failure", []step{
			{up(control.ModeNormal), StateNormal, control.ModeNormal, true, true},
			{ProcessExited{Status: ExitStatus{Code: 1}, Message: "boom"}, StateFailed, control.ModeNormal, false, true},
			{up(control.ModeNormal), StateFailed, control.ModeNormal, false, false},
			{ProcessStarted{}, StateFailed, control.ModeNormal, false, false},
			{StopRequested{}, StateFailed, control.ModeNormal, false, false},
		}},
		{"stop drains then stops", []step{
			{up(control.ModeNormal), StateNormal, control.ModeNormal, true, true},
			{StopRequested{}, StateDraining, control.ModeNormal, false, true},
			{up(control.ModeNormal), StateDraining, control.ModeNormal, false, false},
			{Probe{Mode: control.ModeDrained}, StateDrained, control.ModeDrained, false, true},
			{ProcessExited{Status: ExitStatus{Code: 143}}, StateStopped, control.ModeDrained, false, true},
		}},
		{"decommission keeps the process", []step{
			{up(control.ModeNormal), StateNormal, control.ModeNormal, true, true},
			{up(control.ModeLeaving), StateLeaving, control.ModeLeaving, false, true},
			{up(control.ModeDecommissioned), StateDecommissioned, control.ModeDecommissioned, false, true},
			{StopRequested{}, StateDraining, control.ModeDecommissioned, false, true},
			{ProcessExited{}, StateStopped, control.ModeDecommissioned, false, true},
		}},
		{"restart passes through restarting", []step{
			{up(control.ModeNormal), StateNormal, control.ModeNormal, true, true},
			{RestartRequested{}, StateDraining, control.ModeNormal, false, true},
			{ProcessExited{Status: ExitStatus{Code: 0}}, StateRestarting, control.ModeNormal, false, true},
			{up(control.ModeNormal), StateRestarting, control.ModeNormal, false, false},
			{ProcessStarted{}, StateStarting, control.ModeStarting, false, true},
			{up(control.ModeNormal), StateNormal, control.ModeNormal, true, true},
			{ProcessExited{Status: ExitStatus{Code: 1}}, StateFailed, control.ModeNormal, false, true},
		}},
		{"restart that cannot start again fails", []step{
			{RestartRequested{}, StateDraining, control.ModeStarting, false, true},
			{ProcessExited{}, StateRestarting, control.ModeStarting, false, true},
			{ProcessExited{Status: ExitStatus{Code: -1}, Message: "prepare"}, StateFailed, control.ModeStarting, false, true},
		}},
		{"stop wins over restart", []step{
			{RestartRequested{}, StateDraining, control.ModeStarting, false, true},
			{StopRequested{}, StateDraining, control.ModeStarting, false, false},
			{ProcessExited{}, StateStopped, control.ModeStarting, false, true},
			{ProcessStarted{}, StateStopped, control.ModeStarting, false, false},
		}},
		{"stop before any probe", []step{
			{StopRequested{}, StateDraining, control.ModeStarting, false, true},
			{RestartRequested{}, StateDraining, control.ModeStarting, false, false},
			{ProcessExited{}, StateStopped, control.ModeStarting, false, true},
		}},
		{"5.0 failed modes", []step{
			{up(control.ModeJoiningFailed), StateJoining, control.ModeJoiningFailed, false, true},
			{up(control.ModeDecommissionFailed), StateLeaving, control.ModeDecommissionFailed, false, true},
			{up(control.ModeMoving), StateNormal, control.ModeMoving, false, true},
			{up(control.ModeDraining), StateDraining, control.ModeDraining, false, true},
			{up(control.ModeDrained), StateDrained, control.ModeDrained, false, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMachine()
			for i, s := range tt.steps {
				snap, changed := m.Apply(s.ev)
				if snap.State != s.state || snap.Mode != s.mode || snap.Healthy != s.healthy || changed != s.changed {
					t.Fatalf("step %d %T: got state=%s mode=%s healthy=%v changed=%v, want %s %s %v %v",
						i, s.ev, snap.State, snap.Mode, snap.Healthy, changed, s.state, s.mode, s.healthy, s.changed)
				}
			}
		})
	}
}

func TestMachineFailureCarriesExitAndMessage(t *testing.T) {
	m := NewMachine()
	m.Apply(ProcessStarted{})
	m.Apply(Probe{Mode: control.ModeNormal, HostID: "abc"})
	snap, _ := m.Apply(ProcessExited{Status: ExitStatus{Code: 3}, Message: "tail"})
	if snap.Exit == nil || snap.Exit.Code != 3 || snap.Message != "tail" || snap.HostID != "abc" {
		t.Fatalf("snapshot = %+v", snap)
	}
	if !snap.State.Terminal() || StateNormal.Terminal() {
		t.Error("Terminal")
	}
	if StateDecommissioned.String() != "DECOMMISSIONED" || State(99).String() != "State(99)" {
		t.Error("String")
	}
}
