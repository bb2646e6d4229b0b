package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Issue 16: backup and restore through the daemon, the executors and the stand-in's nodetool
// snapshot / clearsnapshot / import, into a file-system store; the daemon is killed while a node's
// backup has finished on the executor but before the daemon heard of it.

// simDataDirs maps each node's host ID to its stand-in's data directory (the parent of
// system/local.json in its persistent volume).
func simDataDirs(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Name() == "local.json" && filepath.Base(filepath.Dir(p)) == "system" {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			var l struct {
				HostID string `json:"host_id"`
			}
			if json.Unmarshal(b, &l) == nil && l.HostID != "" {
				out[l.HostID] = filepath.Dir(filepath.Dir(p))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tableFiles maps the SHA-256 of each sstable file in dir to its component name (the part after
// "-big-"), so tables can be compared whatever generations their files got.
func tableFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.Contains(e.Name(), "-big-") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		_, comp, _ := strings.Cut(e.Name(), "-big-")
		out = append(out, comp+":"+hex.EncodeToString(sum[:8]))
	}
	sort.Strings(out)
	return out
}

func TestBackupRestoreSurvivesDaemonKill(t *testing.T) {
	t.Parallel()
	store := filepath.Join(t.TempDir(), "backups")
	fplog := filepath.Join(t.TempDir(), "failpoints.log")
	w := NewWorld(t, Options{Agents: 3,
		DaemonFlags: []string{"--backup-store", "file://" + store},
		ExecutorEnv: map[string]string{"CASSMESOS_FAILPOINTS": "executor/after-backup=pause(4s)", "CASSMESOS_FAILPOINT_LOG": fplog},
	})
	if out, errOut, code := w.CLI(append(createArgs("demo", 3, 1), "--wait", "--timeout", "3m")...); code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	nodes := w.Ring("demo").GetNodes()
	// The table is in the ring's schema (a restore creates only what the schema lacks).
	w.cqlsh(nodes[0].GetAddress(), "CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}; CREATE TABLE shop.orders (id int PRIMARY KEY, v text)")
	dirs := simDataDirs(t, w.Dir())
	tables := map[string]string{} // node -> table directory
	want := map[string][]string{}
	for i, n := range nodes {
		data := dirs[n.GetHostId()]
		if data == "" {
			t.Fatalf("no data directory for %s (host ID %s) among %v", n.GetName(), n.GetHostId(), dirs)
		}
		td := filepath.Join(data, "shop", "orders-6f1c2a40b7c211ee9a4b3d1e5f2a7c90")
		if err := os.MkdirAll(td, 0o755); err != nil {
			t.Fatal(err)
		}
		for gen := 1; gen <= 2; gen++ {
			big := make([]byte, 200<<10)
			_, _ = rand.Read(big)
			for comp, b := range map[string][]byte{"Data.db": big, "Statistics.db": []byte(fmt.Sprintf("%s gen %d", n.GetName(), gen)), "TOC.txt": []byte("Data.db\nStatistics.db\nTOC.txt\n")} {
				if err := os.WriteFile(filepath.Join(td, fmt.Sprintf("nb-%d-big-%s", gen, comp)), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		tables[n.GetName()] = td
		want[n.GetName()] = tableFiles(t, td)
		_ = i
	}

	out, errOut, code := w.CLI("backup", "create", "demo", "-o", "name")
	if code != 0 {
		t.Fatalf("backup create: exit %d\n%s%s", code, out, errOut)
	}
	id := strings.TrimPrefix(strings.TrimSpace(out), "operation/")

	// The first node's executor has stored its files and manifest and pauses before answering:
	// kill -9 the daemon then. Its successor relays the step again; nothing is uploaded twice.
	w.WaitFor(60*time.Second, func() bool {
		b, _ := os.ReadFile(fplog)
		return bytes.Contains(b, []byte("executor/after-backup fired"))
	}, "the first node's backup to finish on its executor")
	w.KillDaemon()
	w.StartDaemon()

	ops := cassmesosv1.NewOperationServiceClient(w.Conn())
	var op *cassmesosv1.Operation
	w.WaitFor(2*time.Minute, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, err := ops.GetOperation(ctx, &cassmesosv1.GetOperationRequest{Id: id})
		op = r.GetOperation()
		return err == nil && (op.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED || op.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED)
	}, "backup %s to end", id)
	if op.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		t.Fatalf("backup %s: %v", id, op)
	}
	first := op.GetSteps()[0]
	if b := first.GetBackup(); b.GetFiles() != 6 || b.GetTransferredFiles() != 0 || b.GetManifestSha256() == "" {
		t.Errorf("%s after the daemon kill: %v (want 6 files, none uploaded again)", first.GetName(), b)
	}
	// The others upload their Data.db and Statistics.db files; the TOC.txt files are the same
	// on every node and were stored with the first node's.
	for _, s := range op.GetSteps()[1:] {
		if b := s.GetBackup(); b.GetFiles() != 6 || b.GetTransferredFiles() != 4 {
			t.Errorf("%s: %v (want 6 files, 4 of them uploaded)", s.GetName(), b)
		}
	}
	for _, n := range nodes {
		b, err := os.ReadFile(filepath.Join(store, "backups", id, n.GetName(), "manifest.json"))
		if err != nil {
			t.Errorf("manifest of %s: %v", n.GetName(), err)
		}
		var m struct {
			Tokens    []string          `json:"tokens"`
			Keyspaces map[string]string `json:"keyspaces"`
		}
		if err := json.Unmarshal(b, &m); err != nil || len(m.Tokens) == 0 || !strings.Contains(m.Keyspaces["shop"], "'replication_factor': '3'") {
			t.Errorf("manifest of %s: tokens %v, keyspaces %v (%v): want the node's tokens and shop's replication", n.GetName(), m.Tokens, m.Keyspaces, err)
		}
		if left, _ := filepath.Glob(filepath.Join(tables[n.GetName()], "snapshots", "*")); len(left) != 0 {
			t.Errorf("snapshot left on %s: %v", n.GetName(), left)
		}
	}
	// The TOC files are identical on every node: stored once.
	blobs, _ := filepath.Glob(filepath.Join(store, "blobs", "*"))
	if len(blobs) != 3*6-5 {
		t.Errorf("%d blobs in the store, want %d (the six TOC.txt files are one blob)", len(blobs), 3*6-5)
	}

	// list and show.
	if out, errOut, code = w.CLI("backup", "list", "-o", "name"); code != 0 || !strings.Contains(out, "backup/"+id) {
		t.Errorf("backup list: exit %d: %s%s", code, out, errOut)
	}
	if out, errOut, code = w.CLI("backup", "show", id); code != 0 || !strings.Contains(out, "demo-2") || !strings.Contains(out, "file://"+store) {
		t.Errorf("backup show: exit %d: %s%s", code, out, errOut)
	}

	// Lose the data (as TRUNCATE leaves it: the table, no sstables), then restore.
	for _, td := range tables {
		m, _ := filepath.Glob(filepath.Join(td, "nb-*"))
		for _, p := range m {
			_ = os.Remove(p)
		}
	}
	if out, errOut, code = w.CLI("backup", "restore", "demo", "--backup", id, "--wait", "--timeout", "2m"); code != 0 {
		t.Fatalf("backup restore: exit %d\n%s%s", code, out, errOut)
	}
	for name, td := range tables {
		if got := tableFiles(t, td); strings.Join(got, " ") != strings.Join(want[name], " ") {
			t.Errorf("%s after the restore:\n got %v\nwant %v", name, got, want[name])
		}
	}

	// Delete: the manifests and every blob go (no other backup uses them); the backup stays
	// listed, marked deleted, and cannot be restored.
	if out, errOut, code = w.CLI("backup", "delete", id, "--wait", "--timeout", "1m"); code != 0 {
		t.Fatalf("backup delete: exit %d\n%s%s", code, out, errOut)
	}
	if left, _ := filepath.Glob(filepath.Join(store, "blobs", "*")); len(left) != 0 {
		t.Errorf("%d blobs left after the deletion", len(left))
	}
	if left, _ := filepath.Glob(filepath.Join(store, "backups", id, "*", "manifest.json")); len(left) != 0 {
		t.Errorf("manifests left after the deletion: %v", left)
	}
	if out, errOut, code = w.CLI("backup", "restore", "demo", "--backup", id); code == 0 || !strings.Contains(errOut, "was deleted") {
		t.Errorf("restore of a deleted backup: exit %d: %s%s", code, out, errOut)
	}

	// A restore of something that is not a backup is refused with a clear error.
	if out, errOut, code = w.CLI("backup", "restore", "demo", "--backup", "nope"); code == 0 || !strings.Contains(errOut, "is not a backup") {
		t.Errorf("restore of a missing backup: exit %d: %s%s", code, out, errOut)
	}
}
