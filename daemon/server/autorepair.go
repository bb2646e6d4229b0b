package server

import (
	"context"
	"errors"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// autoRepairReader is what GetAutoRepairStatus needs of the backend (daemon/engine.Engine has it).
type autoRepairReader interface {
	AutoRepairStatus(ctx context.Context, ring string) (*cassmesosv1.GetAutoRepairStatusResponse, error)
}

// GetAutoRepairStatus reads Cassandra's Auto Repair state of a ring's running nodes and the pauses
// cassmesos made around its topology changes.
func (s *repairServer) GetAutoRepairStatus(ctx context.Context, req *cassmesosv1.GetAutoRepairStatusRequest) (*cassmesosv1.GetAutoRepairStatusResponse, error) {
	const m = "GetAutoRepairStatus"
	if err := checkRingName("ring", req.GetRing()); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	rd, ok := b.(autoRepairReader)
	if !ok {
		return nil, toStatus(s.log, m, errors.New("this daemon cannot read Auto Repair"))
	}
	resp, err := rd.AutoRepairStatus(ctx, req.GetRing())
	if err != nil {
		if errors.Is(err, plan.ErrRingNotFound) {
			return nil, toStatus(s.log, m, notFound(plan.ErrRingNotFound, req.GetRing()))
		}
		return nil, toStatus(s.log, m, err)
	}
	return resp, nil
}
