package agent

import (
	"context"
	"fmt"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// SetAutoRepair enables or disables Cassandra's Auto Repair for each requested repair type
// (nodetool setautorepairconfig -t <type> enabled true|false), in the order given.
func (s *server) SetAutoRepair(ctx context.Context, req *cassmesosv1.SetAutoRepairRequest) (*cassmesosv1.SetAutoRepairResponse, error) {
	const m = "SetAutoRepair"
	if len(req.GetRepairTypes()) == 0 {
		return nil, toStatus(s.log, m, fmt.Errorf("%w: no repair type", errInvalid))
	}
	for _, t := range req.GetRepairTypes() {
		if !nodetool.ValidAutoRepairType(t) {
			return nil, toStatus(s.log, m, fmt.Errorf("%w: repair type %q: want one of %v", errInvalid, t, nodetool.AutoRepairTypes))
		}
	}
	for _, t := range req.GetRepairTypes() {
		if err := s.ctl.SetAutoRepairEnabled(ctx, t, req.GetEnabled()); err != nil {
			return nil, toStatus(s.log, m, err)
		}
	}
	return &cassmesosv1.SetAutoRepairResponse{}, nil
}

// GetAutoRepair reads Auto Repair's configuration and, for each enabled type, the repairs in
// progress.
func (s *server) GetAutoRepair(ctx context.Context, _ *cassmesosv1.GetAutoRepairRequest) (*cassmesosv1.GetAutoRepairResponse, error) {
	const m = "GetAutoRepair"
	c, err := s.ctl.GetAutoRepairConfig(ctx)
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	out := &cassmesosv1.GetAutoRepairResponse{SchedulerEnabled: c.Enabled}
	for _, tc := range c.Types {
		ts := &cassmesosv1.AutoRepairTypeStatus{RepairType: tc.Type, Enabled: tc.Enabled, MinRepairInterval: tc.Settings["min_repair_interval"]}
		if tc.Enabled {
			st, err := s.ctl.AutoRepairStatus(ctx, tc.Type)
			if err != nil {
				return nil, toStatus(s.log, m, err)
			}
			ts.ActiveHostIds = st.Active
		}
		out.Types = append(out.Types, ts)
	}
	return out, nil
}
