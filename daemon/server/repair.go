package server

import (
	"context"
	"errors"
	"sort"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ringDescriber is what the keyspace check needs of the backend (daemon/engine.Engine has it).
type ringDescriber interface {
	DescribeRing(ctx context.Context, ring, keyspace string) ([]plan.TokenRange, error)
}

// checkKeyspace asks a live node of the ring whether the keyspace exists, so an unknown keyspace
// is refused before anything is written. When no node can answer (none running, executor
// unreachable) the check is left to the operation's first step, which fails with the reason.
func (s *services) checkKeyspace(ctx context.Context, b Backend, ring, keyspace string) error {
	d, ok := b.(ringDescriber)
	if !ok {
		return nil
	}
	_, err := d.DescribeRing(ctx, ring, keyspace)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, plan.ErrKeyspaceNotFound):
		return notFound(plan.ErrKeyspaceNotFound, keyspace+" in ring "+ring)
	case errors.Is(err, plan.ErrRingNotFound):
		return err
	default:
		s.log.Warn("keyspace check skipped; the repair's first step checks it", "ring", ring, "keyspace", keyspace, "err", err)
		return nil
	}
}

type repairServer struct {
	cassmesosv1.UnimplementedRepairServiceServer
	*services
}

func (s *repairServer) RunRepair(ctx context.Context, req *cassmesosv1.RunRepairRequest) (*cassmesosv1.RunRepairResponse, error) {
	const m = "RunRepair"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	if err := checkRingName("ring", req.GetRing()); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	if err := plan.ValidateRepairParams("params", req.GetParams()); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	if ks := req.GetParams().GetKeyspace(); ks != "" {
		if err := s.checkKeyspace(ctx, b, req.GetRing(), ks); err != nil {
			return nil, toStatus(s.log, m, err)
		}
	}
	acc, err := b.Submit(ctx, plan.RunRepair{Ring: req.GetRing(), Params: req.GetParams(), IfIdle: req.GetIfIdle(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	s.log.Info(m, "ring", req.GetRing(), "keyspace", req.GetParams().GetKeyspace(), "operation_id", acc.Operation.GetOperation().GetId())
	return &cassmesosv1.RunRepairResponse{Operation: acc.Operation.GetOperation()}, nil
}

func (s *repairServer) ListRepairs(ctx context.Context, req *cassmesosv1.ListRepairsRequest) (*cassmesosv1.ListRepairsResponse, error) {
	if req.GetRing() != "" {
		if err := checkRingName("ring", req.GetRing()); err != nil {
			return nil, toStatus(s.log, "ListRepairs", err)
		}
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	resp := &cassmesosv1.ListRepairsResponse{}
	err = b.Read(ctx, func(st *plan.State) {
		for _, r := range st.Operations {
			o := r.GetOperation()
			if o.GetKind() != cassmesosv1.OperationKind_OPERATION_KIND_REPAIR || (req.GetRing() != "" && o.GetRing() != req.GetRing()) ||
				(!req.GetAll() && engine.Terminal(o.GetPhase())) {
				continue
			}
			resp.Operations = append(resp.Operations, o)
		}
	})
	if err != nil {
		return nil, toStatus(s.log, "ListRepairs", err)
	}
	sort.Slice(resp.Operations, func(i, j int) bool { return resp.Operations[i].GetId() > resp.Operations[j].GetId() })
	return resp, nil
}

// repairOp reads a repair operation (NotFound when there is none, or it is not a repair).
func (s *repairServer) repairOp(ctx context.Context, b Backend, id string, segments bool) (*cassmesosv1.Operation, []*cassmesosv1.RepairSegment, error) {
	if err := checkOperationID("id", id); err != nil {
		return nil, nil, err
	}
	var op *cassmesosv1.Operation
	var segs []*cassmesosv1.RepairSegment
	err := b.Read(ctx, func(st *plan.State) {
		op = st.Operations[id].GetOperation()
		if op == nil || !segments {
			return
		}
		for _, sr := range st.Segments[id] {
			segs = append(segs, sr.GetSegment())
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if op == nil || op.GetKind() != cassmesosv1.OperationKind_OPERATION_KIND_REPAIR {
		return nil, nil, notFound(plan.ErrOperationNotFound, "repair "+id)
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].GetIndex() < segs[j].GetIndex() })
	return op, segs, nil
}

func (s *repairServer) GetRepair(ctx context.Context, req *cassmesosv1.GetRepairRequest) (*cassmesosv1.GetRepairResponse, error) {
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	op, segs, err := s.repairOp(ctx, b, req.GetId(), true)
	if err != nil {
		return nil, toStatus(s.log, "GetRepair", err)
	}
	return &cassmesosv1.GetRepairResponse{Operation: op, Segments: segs}, nil
}

func (s *repairServer) submitOn(ctx context.Context, method, id string, req plan.Request) (*cassmesosv1.Operation, error) {
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.repairOp(ctx, b, id, false); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	acc, err := b.Submit(ctx, req)
	if err != nil {
		return nil, toStatus(s.log, method, err)
	}
	op := acc.Operation.GetOperation()
	if op == nil {
		op, _, _ = s.repairOp(ctx, b, id, false)
	}
	s.log.Info(method, "operation_id", id)
	return op, nil
}

func (s *repairServer) CancelRepair(ctx context.Context, req *cassmesosv1.CancelRepairRequest) (*cassmesosv1.CancelRepairResponse, error) {
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, "CancelRepair", err)
	}
	op, err := s.submitOn(ctx, "CancelRepair", req.GetId(), plan.CancelOperation{ID: req.GetId(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	return &cassmesosv1.CancelRepairResponse{Operation: op}, nil
}

func (s *repairServer) PauseRepair(ctx context.Context, req *cassmesosv1.PauseRepairRequest) (*cassmesosv1.PauseRepairResponse, error) {
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, "PauseRepair", err)
	}
	op, err := s.submitOn(ctx, "PauseRepair", req.GetId(), plan.PauseRepair{ID: req.GetId(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	return &cassmesosv1.PauseRepairResponse{Operation: op}, nil
}

func (s *repairServer) ResumeRepair(ctx context.Context, req *cassmesosv1.ResumeRepairRequest) (*cassmesosv1.ResumeRepairResponse, error) {
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, "ResumeRepair", err)
	}
	op, err := s.submitOn(ctx, "ResumeRepair", req.GetId(), plan.ResumeRepair{ID: req.GetId(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	return &cassmesosv1.ResumeRepairResponse{Operation: op}, nil
}

func (s *repairServer) CreateRepairSchedule(ctx context.Context, req *cassmesosv1.CreateRepairScheduleRequest) (*cassmesosv1.CreateRepairScheduleResponse, error) {
	const m = "CreateRepairSchedule"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	if req.GetSchedule() == nil {
		return nil, toStatus(s.log, m, invalid("schedule", "required"))
	}
	if err := checkRingName("schedule.ring", req.GetSchedule().GetRing()); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	if err := plan.ValidateSchedule(req.GetSchedule()); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	// A schedule without a keyspace repairs every non-system keyspace, resolved at each run.
	if ks := req.GetSchedule().GetParams().GetKeyspace(); ks != "" {
		if err := s.checkKeyspace(ctx, b, req.GetSchedule().GetRing(), ks); err != nil {
			return nil, toStatus(s.log, m, err)
		}
	}
	acc, err := b.Submit(ctx, plan.CreateSchedule{Schedule: req.GetSchedule(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	s.log.Info(m, "ring", req.GetSchedule().GetRing(), "schedule_id", acc.Schedule.GetId(), "cron", acc.Schedule.GetCron())
	sch := acc.Schedule
	_ = b.Read(ctx, func(st *plan.State) {
		if r := st.Schedules[sch.GetId()]; r != nil {
			sch = r.GetSchedule()
		}
	})
	return &cassmesosv1.CreateRepairScheduleResponse{Schedule: sch}, nil
}

func (s *repairServer) ListRepairSchedules(ctx context.Context, req *cassmesosv1.ListRepairSchedulesRequest) (*cassmesosv1.ListRepairSchedulesResponse, error) {
	if req.GetRing() != "" {
		if err := checkRingName("ring", req.GetRing()); err != nil {
			return nil, toStatus(s.log, "ListRepairSchedules", err)
		}
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	resp := &cassmesosv1.ListRepairSchedulesResponse{}
	err = b.Read(ctx, func(st *plan.State) {
		for _, r := range st.Schedules {
			if req.GetRing() == "" || r.GetSchedule().GetRing() == req.GetRing() {
				resp.Schedules = append(resp.Schedules, r.GetSchedule())
			}
		}
	})
	if err != nil {
		return nil, toStatus(s.log, "ListRepairSchedules", err)
	}
	sort.Slice(resp.Schedules, func(i, j int) bool { return resp.Schedules[i].GetId() < resp.Schedules[j].GetId() })
	return resp, nil
}

func (s *repairServer) DeleteRepairSchedule(ctx context.Context, req *cassmesosv1.DeleteRepairScheduleRequest) (*cassmesosv1.DeleteRepairScheduleResponse, error) {
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, "DeleteRepairSchedule", err)
	}
	if err := checkOperationID("id", req.GetId()); err != nil {
		return nil, toStatus(s.log, "DeleteRepairSchedule", err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := b.Submit(ctx, plan.DeleteSchedule{ID: req.GetId(), RequestID: req.GetRequestId()}); err != nil {
		return nil, toStatus(s.log, "DeleteRepairSchedule", err)
	}
	s.log.Info("DeleteRepairSchedule", "schedule_id", req.GetId())
	return &cassmesosv1.DeleteRepairScheduleResponse{}, nil
}

type cleanupServer struct {
	cassmesosv1.UnimplementedCleanupServiceServer
	*services
}

func (s *cleanupServer) RunCleanup(ctx context.Context, req *cassmesosv1.RunCleanupRequest) (*cassmesosv1.RunCleanupResponse, error) {
	const m = "RunCleanup"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	if err := checkRingName("ring", req.GetRing()); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	if err := plan.ValidateCleanupParams("params", req.GetParams()); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	if ks := req.GetParams().GetKeyspace(); ks != "" {
		if err := s.checkKeyspace(ctx, b, req.GetRing(), ks); err != nil {
			return nil, toStatus(s.log, m, err)
		}
	}
	acc, err := b.Submit(ctx, plan.RunCleanup{Ring: req.GetRing(), Params: req.GetParams(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	s.log.Info(m, "ring", req.GetRing(), "operation_id", acc.Operation.GetOperation().GetId())
	return &cassmesosv1.RunCleanupResponse{Operation: acc.Operation.GetOperation()}, nil
}
