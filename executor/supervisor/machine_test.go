package supervisor

import (
	"testing"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

func TestMachine(t *testing.T) {
	type step struct {
		ev      Event
		state   State
		mode    nodetool.Mode
		healthy bool
		changed bool
	}
	up := func(mode nodetool.Mode) Probe { return Probe{NativeUp: true, Mode: mode, HostID: "h1"} }
	tests := []struct {
		name  string
		steps []step
	}{
		{"bootstrap to normal", []step{
			{ProcessStarted{}, StateStarting, nodetool.ModeStarting, false, false},
			{Probe{Mode: modeUnknown}, StateStarting, nodetool.ModeStarting, false, false},
			{Probe{Mode: nodetool.ModeJoining, HostID: "h1"}, StateJoining, nodetool.ModeJoining, false, true},
			{Probe{Mode: nodetool.ModeNormal}, StateNormal, nodetool.ModeNormal, false, true},
			{up(nodetool.ModeNormal), StateNormal, nodetool.ModeNormal, true, true},
			{up(nodetool.ModeNormal), StateNormal, nodetool.ModeNormal, true, false},
			{Probe{Mode: nodetool.ModeNormal}, StateNormal, nodetool.ModeNormal, false, true}, // native transport down
		}},
		{"unreadable mode keeps the last one", []step{
			{up(nodetool.ModeNormal), StateNormal, nodetool.ModeNormal, true, true},
			{Probe{NativeUp: true}, StateNormal, nodetool.ModeNormal, true, false},
		}},
		{"crash is a failure", []step{
			{up(nodetool.ModeNormal), StateNormal, nodetool.ModeNormal, true, true},
			{ProcessExited{Status: ExitStatus{Code: 1}, Message: "boom"}, StateFailed, nodetool.ModeNormal, false, true},
			{up(nodetool.ModeNormal), StateFailed, nodetool.ModeNormal, false, false},
			{ProcessStarted{}, StateFailed, nodetool.ModeNormal, false, false},
			{StopRequested{}, StateFailed, nodetool.ModeNormal, false, false},
		}},
		{"stop drains then stops", []step{
			{up(nodetool.ModeNormal), StateNormal, nodetool.ModeNormal, true, true},
			{StopRequested{}, StateDraining, nodetool.ModeNormal, false, true},
			{up(nodetool.ModeNormal), StateDraining, nodetool.ModeNormal, false, false},
			{Probe{Mode: nodetool.ModeDrained}, StateDrained, nodetool.ModeDrained, false, true},
			{ProcessExited{Status: ExitStatus{Code: 143}}, StateStopped, nodetool.ModeDrained, false, true},
		}},
		{"decommission keeps the process", []step{
			{up(nodetool.ModeNormal), StateNormal, nodetool.ModeNormal, true, true},
			{up(nodetool.ModeLeaving), StateLeaving, nodetool.ModeLeaving, false, true},
			{up(nodetool.ModeDecommissioned), StateDecommissioned, nodetool.ModeDecommissioned, false, true},
			{StopRequested{}, StateDraining, nodetool.ModeDecommissioned, false, true},
			{ProcessExited{}, StateStopped, nodetool.ModeDecommissioned, false, true},
		}},
		{"restart passes through restarting", []step{
			{up(nodetool.ModeNormal), StateNormal, nodetool.ModeNormal, true, true},
			{RestartRequested{}, StateDraining, nodetool.ModeNormal, false, true},
			{ProcessExited{Status: ExitStatus{Code: 0}}, StateRestarting, nodetool.ModeNormal, false, true},
			{up(nodetool.ModeNormal), StateRestarting, nodetool.ModeNormal, false, false},
			{ProcessStarted{}, StateStarting, nodetool.ModeStarting, false, true},
			{up(nodetool.ModeNormal), StateNormal, nodetool.ModeNormal, true, true},
			{ProcessExited{Status: ExitStatus{Code: 1}}, StateFailed, nodetool.ModeNormal, false, true},
		}},
		{"restart that cannot start again fails", []step{
			{RestartRequested{}, StateDraining, nodetool.ModeStarting, false, true},
			{ProcessExited{}, StateRestarting, nodetool.ModeStarting, false, true},
			{ProcessExited{Status: ExitStatus{Code: -1}, Message: "prepare"}, StateFailed, nodetool.ModeStarting, false, true},
		}},
		{"stop wins over restart", []step{
			{RestartRequested{}, StateDraining, nodetool.ModeStarting, false, true},
			{StopRequested{}, StateDraining, nodetool.ModeStarting, false, false},
			{ProcessExited{}, StateStopped, nodetool.ModeStarting, false, true},
			{ProcessStarted{}, StateStopped, nodetool.ModeStarting, false, false},
		}},
		{"stop before any probe", []step{
			{StopRequested{}, StateDraining, nodetool.ModeStarting, false, true},
			{RestartRequested{}, StateDraining, nodetool.ModeStarting, false, false},
			{ProcessExited{}, StateStopped, nodetool.ModeStarting, false, true},
		}},
		{"5.0 failed modes", []step{
			{up(nodetool.ModeJoiningFailed), StateJoining, nodetool.ModeJoiningFailed, false, true},
			{up(nodetool.ModeDecommissionFailed), StateLeaving, nodetool.ModeDecommissionFailed, false, true},
			{up(nodetool.ModeMoving), StateNormal, nodetool.ModeMoving, false, true},
			{up(nodetool.ModeDraining), StateDraining, nodetool.ModeDraining, false, true},
			{up(nodetool.ModeDrained), StateDrained, nodetool.ModeDrained, false, true},
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
	m.Apply(Probe{Mode: nodetool.ModeNormal, HostID: "abc"})
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
