package agent

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/internal/failpoint"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// BackupRunner does the node's backups and restores (backup.Runner in production).
type BackupRunner interface {
	Backup(ctx context.Context, req *cassmesosv1.BackupNodeRequest) (*cassmesosv1.BackupNodeResult, error)
	Restore(ctx context.Context, req *cassmesosv1.RestoreNodeRequest) (*cassmesosv1.BackupNodeResult, error)
	Delete(ctx context.Context, req *cassmesosv1.DeleteStoredBackupRequest) (*cassmesosv1.DeleteStoredBackupResponse, error)
}

// ErrBackupInvalid is what a BackupRunner wraps for a request it refuses (InvalidArgument).
var ErrBackupInvalid = errors.New("invalid backup request")

// BackupNode snapshots the node and uploads it (BackupRunner.Backup).
func (s *server) BackupNode(ctx context.Context, req *cassmesosv1.BackupNodeRequest) (*cassmesosv1.BackupNodeResponse, error) {
	if s.backups == nil {
		return nil, status.Error(codes.Unimplemented, "this executor has no backup runner")
	}
	res, err := s.backups.Backup(ctx, req)
	if err != nil {
		return nil, backupStatus(s, "BackupNode", err)
	}
	// After the node's files and manifest are stored, before the daemon hears of it.
	_ = failpoint.Inject("executor/after-backup")
	return &cassmesosv1.BackupNodeResponse{Result: res}, nil
}

// RestoreNode downloads, verifies and imports a node's files (BackupRunner.Restore).
func (s *server) RestoreNode(ctx context.Context, req *cassmesosv1.RestoreNodeRequest) (*cassmesosv1.RestoreNodeResponse, error) {
	if s.backups == nil {
		return nil, status.Error(codes.Unimplemented, "this executor has no backup runner")
	}
	res, err := s.backups.Restore(ctx, req)
	if err != nil {
		return nil, backupStatus(s, "RestoreNode", err)
	}
	_ = failpoint.Inject("executor/mid-relay")
	return &cassmesosv1.RestoreNodeResponse{Result: res}, nil
}

func backupStatus(s *server, m string, err error) error {
	if errors.Is(err, ErrBackupInvalid) {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return toStatus(s.log, m, err)
}

// DeleteStoredBackup removes a backup from its store (BackupRunner.Delete).
func (s *server) DeleteStoredBackup(ctx context.Context, req *cassmesosv1.DeleteStoredBackupRequest) (*cassmesosv1.DeleteStoredBackupResponse, error) {
	if s.backups == nil {
		return nil, status.Error(codes.Unimplemented, "this executor has no backup runner")
	}
	res, err := s.backups.Delete(ctx, req)
	if err != nil {
		return nil, backupStatus(s, "DeleteStoredBackup", err)
	}
	return res, nil
}
