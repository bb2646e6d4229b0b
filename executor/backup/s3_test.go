package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/internal/backupstore/s3test"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// A backup and restore through the Runner (as the executor serves them) into a real S3 server.
func TestRunnerRoundTripS3(t *testing.T) {
	srv := s3test.Start(t, "backups", "")
	ctx := context.Background()
	n := newFakeNode(t)
	n.flush("shop", "orders", []byte(strings.Repeat("row ", 5000)))
	r := &Runner{Nodetool: n, Ring: "demo", Node: "demo-0", DataDir: n.dataDir, StagingDir: filepath.Join(filepath.Dir(n.dataDir), "staging")}
	if _, err := r.Backup(ctx, &cassmesosv1.BackupNodeRequest{BackupId: "b1", StoreUrl: srv.URL, AccessKey: srv.AccessKey, SecretKey: "nope"}); err == nil {
		t.Fatal("backup with a wrong secret key succeeded")
	}
	res, err := r.Backup(ctx, &cassmesosv1.BackupNodeRequest{BackupId: "b1", StoreUrl: srv.URL, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	// The failed attempt left its snapshot; this one reused it and uploaded both files.
	if res.GetFiles() != 2 || res.GetTransferredFiles() != 2 || res.GetManifestSha256() == "" {
		t.Fatalf("backup: %v", res)
	}
	want := n.dataContents("shop", "orders")
	m, _ := filepath.Glob(filepath.Join(n.tableDir("shop", "orders"), "*.db"))
	for _, p := range m {
		os.Remove(p)
	}
	if _, err := r.Restore(ctx, &cassmesosv1.RestoreNodeRequest{BackupId: "b1", StoreUrl: srv.URL, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		ManifestSha256: strings.Repeat("0", 64)}); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("restore with another manifest checksum: %v", err)
	}
	rr, err := r.Restore(ctx, &cassmesosv1.RestoreNodeRequest{BackupId: "b1", StoreUrl: srv.URL, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		ManifestSha256: res.GetManifestSha256()})
	if err != nil || rr.GetTables() != 1 {
		t.Fatalf("restore: %v %v", rr, err)
	}
	if got := n.dataContents("shop", "orders"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("restored %v, want %v", got, want)
	}
	if _, err := r.Backup(ctx, &cassmesosv1.BackupNodeRequest{BackupId: "b2", StoreUrl: "ftp://x"}); err == nil || !strings.Contains(err.Error(), "scheme") {
		t.Fatalf("bad store URL: %v", err)
	}
}
