package backup

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/cassmesos/cassmesos/executor/agent"
	"github.com/cassmesos/cassmesos/internal/backupstore"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ErrInvalid marks a request the runner refuses before doing anything (InvalidArgument).
var ErrInvalid = agent.ErrBackupInvalid

// StagingSubdir is the restore staging directory, in the node's volume beside Cassandra's data
// directory (the same file system, so nodetool import moves files instead of copying them).
const StagingSubdir = "restore-staging"

// Runner serves the executor's BackupNode and RestoreNode calls for its node.
type Runner struct {
	Nodetool Nodetool
	Ring     string
	Node     string
	// DataDir is Cassandra's data directory; StagingDir a directory on the same volume.
	DataDir, StagingDir string
	// Cluster gives backups the node's tokens and keyspaces and lets restores create missing
	// schema; nil: neither.
	Cluster Cluster
	Logger  *slog.Logger
}

func (r *Runner) log() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

func open(url, access, secret string) (backupstore.Store, error) {
	st, err := backupstore.Open(url, backupstore.Credentials{AccessKey: access, SecretKey: secret})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return st, nil
}

func result(s Stats) *cassmesosv1.BackupNodeResult {
	return &cassmesosv1.BackupNodeResult{Files: s.Files, Bytes: s.Bytes, TransferredFiles: s.TransferredFiles,
		TransferredBytes: s.TransferredBytes, Tables: int32(s.Tables), ManifestSha256: s.ManifestSHA256, Seconds: s.Elapsed.Seconds(), Created: s.Created}
}

// Backup backs the node up as req says.
func (r *Runner) Backup(ctx context.Context, req *cassmesosv1.BackupNodeRequest) (*cassmesosv1.BackupNodeResult, error) {
	st, err := open(req.GetStoreUrl(), req.GetAccessKey(), req.GetSecretKey())
	if err != nil {
		return nil, err
	}
	s := Spec{BackupID: req.GetBackupId(), Ring: r.Ring, Node: r.Node, DataDir: r.DataDir, Keyspaces: req.GetKeyspaces(), Cluster: r.Cluster}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	r.log().Info("backup started", "backup", s.BackupID, "store", st.String())
	m, stats, err := Backup(ctx, r.Nodetool, st, s)
	if err != nil {
		return nil, err
	}
	r.log().Info("backup done", "backup", s.BackupID, "files", stats.Files, "bytes", stats.Bytes,
		"uploaded_files", stats.TransferredFiles, "uploaded_bytes", stats.TransferredBytes, "tokens", len(m.Tokens), "elapsed", stats.Elapsed)
	res := result(stats)
	res.Tokens = m.Tokens
	return res, nil
}

// Restore restores the files of req's source node into this node.
func (r *Runner) Restore(ctx context.Context, req *cassmesosv1.RestoreNodeRequest) (*cassmesosv1.BackupNodeResult, error) {
	st, err := open(req.GetStoreUrl(), req.GetAccessKey(), req.GetSecretKey())
	if err != nil {
		return nil, err
	}
	src := req.GetSourceNode()
	if src == "" {
		src = r.Node
	}
	if strings.ContainsAny(src, "/\\") {
		return nil, fmt.Errorf("%w: source node %q", ErrInvalid, src)
	}
	s := Spec{BackupID: req.GetBackupId(), Ring: r.Ring, Node: src, DataDir: r.DataDir, StagingDir: filepath.Clean(r.StagingDir),
		Keyspaces: req.GetKeyspaces(), Tables: req.GetTables(), ManifestSHA256: req.GetManifestSha256(), Cluster: r.Cluster}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	r.log().Warn("restore started", "backup", s.BackupID, "source_node", src, "store", st.String())
	stats, err := Restore(ctx, r.Nodetool, st, s)
	if err != nil {
		return nil, err
	}
	r.log().Info("restore done", "backup", s.BackupID, "tables", stats.Tables, "created", stats.Created, "files", stats.Files, "bytes", stats.Bytes, "elapsed", stats.Elapsed)
	return result(stats), nil
}

// Delete removes a backup from the store req names (Delete).
func (r *Runner) Delete(ctx context.Context, req *cassmesosv1.DeleteStoredBackupRequest) (*cassmesosv1.DeleteStoredBackupResponse, error) {
	st, err := open(req.GetStoreUrl(), req.GetAccessKey(), req.GetSecretKey())
	if err != nil {
		return nil, err
	}
	r.log().Warn("deleting backup", "backup", req.GetBackupId(), "store", st.String())
	ds, err := Delete(ctx, st, req.GetBackupId())
	if err != nil {
		return nil, err
	}
	r.log().Info("backup deleted", "backup", req.GetBackupId(), "manifests", ds.Manifests, "files", ds.Files, "bytes", ds.Bytes)
	return &cassmesosv1.DeleteStoredBackupResponse{Manifests: ds.Manifests, Files: ds.Files, Bytes: ds.Bytes}, nil
}
