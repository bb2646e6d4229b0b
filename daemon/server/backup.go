package server

import (
	"context"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

type backupServer struct {
	cassmesosv1.UnimplementedBackupServiceServer
	*services
}

func (s *backupServer) CreateBackup(ctx context.Context, req *cassmesosv1.CreateBackupRequest) (*cassmesosv1.CreateBackupResponse, error) {
	const m = "CreateBackup"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	if err := checkRingName("ring", req.GetRing()); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := b.Submit(ctx, plan.RunBackup{Ring: req.GetRing(), Params: req.GetParams(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	s.log.Info(m, "ring", req.GetRing(), "operation_id", acc.Operation.GetOperation().GetId())
	return &cassmesosv1.CreateBackupResponse{Operation: acc.Operation.GetOperation()}, nil
}

func (s *backupServer) RestoreBackup(ctx context.Context, req *cassmesosv1.RestoreBackupRequest) (*cassmesosv1.RestoreBackupResponse, error) {
	const m = "RestoreBackup"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	if err := checkRingName("ring", req.GetRing()); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := b.Submit(ctx, plan.RunRestore{Ring: req.GetRing(), Params: req.GetParams(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	s.log.Warn(m, "ring", req.GetRing(), "backup", req.GetParams().GetBackupId(), "operation_id", acc.Operation.GetOperation().GetId())
	return &cassmesosv1.RestoreBackupResponse{Operation: acc.Operation.GetOperation()}, nil
}

func (s *backupServer) DeleteBackup(ctx context.Context, req *cassmesosv1.DeleteBackupRequest) (*cassmesosv1.DeleteBackupResponse, error) {
	const m = "DeleteBackup"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	if req.GetBackupId() == "" {
		return nil, toStatus(s.log, m, invalid("backup_id", "required"))
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := b.Submit(ctx, plan.RunDeleteBackup{BackupID: req.GetBackupId(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	s.log.Warn(m, "backup", req.GetBackupId(), "operation_id", acc.Operation.GetOperation().GetId())
	return &cassmesosv1.DeleteBackupResponse{Operation: acc.Operation.GetOperation()}, nil
}
