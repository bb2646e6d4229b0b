package agent

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

type fakeBackups struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeBackups) Backup(_ context.Context, req *cassmesosv1.BackupNodeRequest) (*cassmesosv1.BackupNodeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "backup "+req.GetBackupId())
	if req.GetStoreUrl() == "bad" {
		return nil, fmt.Errorf("%w: store %q", ErrBackupInvalid, req.GetStoreUrl())
	}
	return &cassmesosv1.BackupNodeResult{Files: 3}, nil
}

func (f *fakeBackups) Delete(_ context.Context, req *cassmesosv1.DeleteStoredBackupRequest) (*cassmesosv1.DeleteStoredBackupResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "delete "+req.GetBackupId())
	return &cassmesosv1.DeleteStoredBackupResponse{Manifests: 1}, nil
}

func (f *fakeBackups) Restore(_ context.Context, req *cassmesosv1.RestoreNodeRequest) (*cassmesosv1.BackupNodeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "restore "+req.GetBackupId())
	return &cassmesosv1.BackupNodeResult{Tables: 1}, nil
}

// Backups and restores are mutating: fenced by the leader epoch like every nodetool action.
func TestBackupNodeFencedAndMapped(t *testing.T) {
	fake := nodetoolfake.New()
	fake.SetMode(nodetool.ModeNormal)
	fb := &fakeBackups{}
	cli := serve(t, Config{Controller: fake, Secret: secret, EpochFile: filepath.Join(t.TempDir(), EpochFileName), Backups: fb})

	if _, err := cli.BackupNode(bearerOnly(), &cassmesosv1.BackupNodeRequest{BackupId: "b1"}); code(err) != codes.FailedPrecondition {
		t.Fatalf("BackupNode without an epoch: %v", err)
	}
	r, err := cli.BackupNode(withEpoch(5), &cassmesosv1.BackupNodeRequest{BackupId: "b1"})
	if err != nil || r.GetResult().GetFiles() != 3 {
		t.Fatalf("BackupNode: %v %v", r, err)
	}
	if _, err := cli.RestoreNode(withEpoch(4), &cassmesosv1.RestoreNodeRequest{BackupId: "b1"}); code(err) != codes.FailedPrecondition {
		t.Fatalf("RestoreNode from a deposed leader: %v", err)
	}
	if rr, err := cli.RestoreNode(withEpoch(5), &cassmesosv1.RestoreNodeRequest{BackupId: "b1"}); err != nil || rr.GetResult().GetTables() != 1 {
		t.Fatalf("RestoreNode: %v %v", rr, err)
	}
	if _, err := cli.BackupNode(withEpoch(5), &cassmesosv1.BackupNodeRequest{BackupId: "b2", StoreUrl: "bad"}); code(err) != codes.InvalidArgument {
		t.Fatalf("BackupNode with a bad store: %v", err)
	}
	if fmt.Sprint(fb.calls) != "[backup b1 restore b1 backup b2]" {
		t.Fatalf("runner calls %v (refused calls must not reach it)", fb.calls)
	}
	noRunner := serve(t, Config{Controller: fake, Secret: secret})
	if _, err := noRunner.BackupNode(withEpoch(5), &cassmesosv1.BackupNodeRequest{BackupId: "b1"}); code(err) != codes.Unimplemented {
		t.Fatalf("BackupNode without a runner: %v", err)
	}
}
