package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cassmesos/cassmesos/internal/backupstore"
)

// fakeNode is a Cassandra data directory laid out as 5.0 lays it out, with nodetool snapshot,
// clearsnapshot and import acting on the files as Cassandra does (hard links; import moves).
type fakeNode struct {
	t       *testing.T
	dataDir string
	mu      sync.Mutex
	calls   []string
	gen     int
}

const tableID = "0123456789abcdef0123456789abcdef"

func newFakeNode(t *testing.T) *fakeNode {
	return &fakeNode{t: t, dataDir: filepath.Join(t.TempDir(), "data")}
}

func (n *fakeNode) tableDir(ks, table string) string {
	return filepath.Join(n.dataDir, ks, table+"-"+tableID)
}

// flush writes one sstable (Data and Statistics components) of content into the table.
func (n *fakeNode) flush(ks, table string, content []byte) {
	n.t.Helper()
	n.gen++
	d := n.tableDir(ks, table)
	if err := os.MkdirAll(d, 0o755); err != nil {
		n.t.Fatal(err)
	}
	for comp, b := range map[string][]byte{"Data.db": content, "Statistics.db": []byte(fmt.Sprintf("stats %d", n.gen))} {
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("nb-%d-big-%s", n.gen, comp)), b, 0o644); err != nil {
			n.t.Fatal(err)
		}
	}
}

func (n *fakeNode) Snapshot(_ context.Context, tag string, _ ...string) error {
	n.mu.Lock()
	n.calls = append(n.calls, "snapshot "+tag)
	n.mu.Unlock()
	kss, _ := os.ReadDir(n.dataDir)
	for _, ks := range kss {
		tables, _ := os.ReadDir(filepath.Join(n.dataDir, ks.Name()))
		for _, t := range tables {
			td := filepath.Join(n.dataDir, ks.Name(), t.Name())
			sd := filepath.Join(td, "snapshots", tag)
			if err := os.MkdirAll(sd, 0o755); err != nil {
				return err
			}
			files, _ := os.ReadDir(td)
			for _, f := range files {
				if f.Type().IsRegular() {
					if err := os.Link(filepath.Join(td, f.Name()), filepath.Join(sd, f.Name())); err != nil {
						return err
					}
				}
			}
			name, _, _ := strings.Cut(t.Name(), "-")
			schema := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (k int PRIMARY KEY, v text);", ks.Name(), name)
			if err := os.WriteFile(filepath.Join(sd, "schema.cql"), []byte(schema), 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(sd, "manifest.json"), []byte(`{"files":[]}`), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

func (n *fakeNode) ClearSnapshot(_ context.Context, tag string) error {
	n.mu.Lock()
	n.calls = append(n.calls, "clearsnapshot "+tag)
	n.mu.Unlock()
	m, _ := filepath.Glob(filepath.Join(n.dataDir, "*", "*", "snapshots", tag))
	for _, d := range m {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

func (n *fakeNode) Import(_ context.Context, ks, table, dir string) error {
	n.mu.Lock()
	n.calls = append(n.calls, "import "+ks+" "+table)
	n.mu.Unlock()
	td := n.tableDir(ks, table)
	if _, err := os.Stat(td); err != nil {
		return fmt.Errorf("unknown table %s.%s", ks, table)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		n.gen++
		if err := os.Rename(filepath.Join(dir, f.Name()), filepath.Join(td, fmt.Sprintf("imported-%d-%s", n.gen, f.Name()))); err != nil {
			return err
		}
	}
	return nil
}

// tableContents maps each Data.db file's content to how often it is in the table.
func (n *fakeNode) dataContents(ks, table string) map[string]int {
	out := map[string]int{}
	m, _ := filepath.Glob(filepath.Join(n.tableDir(ks, table), "*Data.db"))
	for _, p := range m {
		b, err := os.ReadFile(p)
		if err != nil {
			n.t.Fatal(err)
		}
		out[string(b)]++
	}
	return out
}

func spec(n *fakeNode, id string) Spec {
	return Spec{BackupID: id, Ring: "demo", Node: "demo-0", DataDir: n.dataDir, StagingDir: filepath.Join(filepath.Dir(n.dataDir), "staging")}
}

func fileStore(t *testing.T) *backupstore.FileStore {
	st, err := backupstore.NewFileStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestBackupRestoreRoundTripIsIncremental(t *testing.T) {
	ctx := context.Background()
	n := newFakeNode(t)
	n.flush("shop", "orders", bytes.Repeat([]byte("order-rows-1 "), 1000))
	n.flush("shop", "users", []byte("user rows"))
	n.flush("system", "local", []byte("never backed up"))
	st := fileStore(t)

	m, stats, err := Backup(ctx, n, st, spec(n, "b1"))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Files != 4 || stats.TransferredFiles != 4 {
		t.Fatalf("first backup: %+v, want 4 files all uploaded", stats)
	}
	for _, f := range m.Files {
		if f.Keyspace == "system" {
			t.Fatalf("system keyspace backed up: %+v", f)
		}
		b, err := os.ReadFile(filepath.Join(n.tableDir(f.Keyspace, f.Table), f.Name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(b)) != f.Size {
			t.Fatalf("manifest entry %+v does not match the file", f)
		}
	}
	if !strings.Contains(m.Schema, "CREATE TABLE IF NOT EXISTS shop.orders") || !strings.Contains(m.Schema, "shop.users") {
		t.Fatalf("schema: %q", m.Schema)
	}
	if left, _ := filepath.Glob(filepath.Join(n.dataDir, "*", "*", "snapshots", "b1")); len(left) != 0 {
		t.Fatalf("snapshot not cleared: %v", left)
	}

	// Second backup after one more flush: only the new sstable's components are sent.
	n.flush("shop", "orders", []byte("order-rows-2"))
	_, stats2, err := Backup(ctx, n, st, spec(n, "b2"))
	if err != nil {
		t.Fatal(err)
	}
	if stats2.Files != 6 || stats2.TransferredFiles != 2 {
		t.Fatalf("second backup: %+v, want 6 files of which 2 uploaded", stats2)
	}

	// Lose the data (TRUNCATE leaves the table, with no sstables), then restore b2.
	want := n.dataContents("shop", "orders")
	for _, tb := range []string{"orders", "users"} {
		m, _ := filepath.Glob(filepath.Join(n.tableDir("shop", tb), "*.db"))
		for _, p := range m {
			os.Remove(p)
		}
	}
	rs, err := Restore(ctx, n, st, spec(n, "b2"))
	if err != nil {
		t.Fatal(err)
	}
	if rs.Tables != 2 || rs.Files != 6 || rs.TransferredFiles != 6 {
		t.Fatalf("restore: %+v", rs)
	}
	if got := n.dataContents("shop", "orders"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("restored orders %v, want %v", got, want)
	}
	if got := n.dataContents("shop", "users"); got["user rows"] != 1 {
		t.Fatalf("restored users %v", got)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(n.dataDir), "staging", "b2")); !os.IsNotExist(err) {
		t.Fatalf("staging left behind: %v", err)
	}
}

func TestRestoreRefusesCorruptBlob(t *testing.T) {
	ctx := context.Background()
	n := newFakeNode(t)
	n.flush("shop", "orders", []byte("precious"))
	st := fileStore(t)
	m, _, err := Backup(ctx, n, st, spec(n, "b1"))
	if err != nil {
		t.Fatal(err)
	}
	var data File
	for _, f := range m.Files {
		if strings.HasSuffix(f.Name, "Data.db") {
			data = f
		}
	}
	// Same size, other content: only the checksum can tell.
	if err := st.Put(ctx, BlobKey(data.SHA256), strings.NewReader("PRECIOUS")); err != nil {
		t.Fatal(err)
	}
	_, err = Restore(ctx, n, st, spec(n, "b1"))
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("restore of a corrupt blob: %v, want a checksum mismatch", err)
	}
	for _, c := range n.calls {
		if strings.HasPrefix(c, "import") {
			t.Fatalf("imported despite the mismatch: %v", n.calls)
		}
	}
}

func TestRestoreResumesStagedFiles(t *testing.T) {
	ctx := context.Background()
	n := newFakeNode(t)
	n.flush("shop", "orders", []byte("rows"))
	st := fileStore(t)
	if _, _, err := Backup(ctx, n, st, spec(n, "b1")); err != nil {
		t.Fatal(err)
	}
	// The first attempt's import fails (table missing); the files stay staged and verified.
	s := spec(n, "b1")
	os.RemoveAll(n.tableDir("shop", "orders"))
	if _, err := Restore(ctx, n, st, s); err == nil || !strings.Contains(err.Error(), "unknown table") {
		t.Fatalf("restore into a missing table: %v", err)
	}
	os.MkdirAll(n.tableDir("shop", "orders"), 0o755)
	rs, err := Restore(ctx, n, st, s)
	if err != nil {
		t.Fatal(err)
	}
	if rs.TransferredFiles != 0 || rs.Files != 2 || rs.Tables != 1 {
		t.Fatalf("resumed restore: %+v, want nothing downloaded again", rs)
	}
	if got := n.dataContents("shop", "orders"); got["rows"] != 1 {
		t.Fatalf("restored %v", got)
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	ctx := context.Background()
	n := newFakeNode(t)
	n.flush("shop", "orders", []byte("rows"))
	st := fileStore(t)
	for _, tc := range []struct {
		mut  func(*Spec)
		want string
	}{
		{func(s *Spec) { s.BackupID = "../x" }, "backup ID"},
		{func(s *Spec) { s.BackupID = "" }, "backup ID"},
		{func(s *Spec) { s.Node = "a/b" }, "node"},
		{func(s *Spec) { s.Keyspaces = []string{"x;drop"} }, "keyspace"},
		{func(s *Spec) { s.Tables = []string{"t"} }, "tables need exactly one keyspace"},
		{func(s *Spec) { s.DataDir = "rel" }, "not absolute"},
	} {
		s := spec(n, "b1")
		tc.mut(&s)
		if _, _, err := Backup(ctx, n, st, s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Backup(%+v): %v, want %q", s, err, tc.want)
		}
	}
	if keys, _ := st.List(ctx, ""); len(keys) != 0 || len(n.calls) != 0 {
		t.Fatalf("bad input wrote %v, called %v", keys, n.calls)
	}
	if _, err := Restore(ctx, n, st, spec(n, "nope")); !errors.Is(err, backupstore.ErrNotFound) {
		t.Fatalf("restore of a missing backup: %v", err)
	}
}

func TestResumedBackupReusesSnapshot(t *testing.T) {
	ctx := context.Background()
	n := newFakeNode(t)
	n.flush("shop", "orders", []byte("rows"))
	st := fileStore(t)
	// An interrupted attempt left its snapshot; the next attempt must not snapshot again
	// (nodetool refuses an existing tag) but upload that one.
	if err := n.Snapshot(ctx, "b1"); err != nil {
		t.Fatal(err)
	}
	n.calls = nil
	m, _, err := Backup(ctx, n, st, spec(n, "b1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 2 || fmt.Sprint(n.calls) != "[clearsnapshot b1]" {
		t.Fatalf("files %d calls %v", len(m.Files), n.calls)
	}
}

func TestDeleteKeepsSharedBlobs(t *testing.T) {
	ctx := context.Background()
	n := newFakeNode(t)
	n.flush("shop", "orders", []byte("old rows"))
	st := fileStore(t)
	if _, _, err := Backup(ctx, n, st, spec(n, "b1")); err != nil {
		t.Fatal(err)
	}
	n.flush("shop", "orders", []byte("new rows"))
	if _, _, err := Backup(ctx, n, st, spec(n, "b2")); err != nil {
		t.Fatal(err)
	}
	before, _ := st.List(ctx, "blobs/")
	ds, err := Delete(ctx, st, "b2")
	if err != nil {
		t.Fatal(err)
	}
	// b2's own files (the second flush) go; the first flush's stay, b1 uses them.
	after, _ := st.List(ctx, "blobs/")
	if ds.Manifests != 1 || ds.Files != 2 || len(before) != 4 || len(after) != 2 {
		t.Fatalf("delete b2: %+v, blobs %d -> %d", ds, len(before), len(after))
	}
	if _, err := Restore(ctx, n, st, spec(n, "b1")); err != nil {
		t.Fatalf("b1 after b2's deletion: %v", err)
	}
	if _, err := Restore(ctx, n, st, spec(n, "b2")); !errors.Is(err, backupstore.ErrNotFound) {
		t.Fatalf("b2 after its deletion: %v", err)
	}
	// A manifest that cannot be read stops the deletion of any blob.
	if err := st.Put(ctx, ManifestKey("b3", "demo-0"), strings.NewReader("{garbage")); err != nil {
		t.Fatal(err)
	}
	if _, err := Delete(ctx, st, "b1"); err == nil || !strings.Contains(err.Error(), "not removing any stored file") {
		t.Fatalf("delete with an unreadable manifest: %v", err)
	}
	if left, _ := st.List(ctx, "blobs/"); len(left) != 2 {
		t.Fatalf("blobs removed despite the unreadable manifest: %v", left)
	}
}
