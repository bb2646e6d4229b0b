// Package backup is the executor's half of cassmesos backups: it snapshots its node (nodetool
// snapshot -t <backup-id>), uploads the snapshot's sstables to a backup store (content-addressed by
// SHA-256, so a file already stored is not sent again) with a per-node manifest (every file's
// keyspace, table, name, size and SHA-256, and the tables' schema.cql), and restores: it downloads
// a node's files into a staging directory on the node's volume, verifies every checksum, and loads
// each table's files with nodetool import.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cassmesos/cassmesos/internal/backupstore"
)

// Nodetool is what a backup needs from the node.
type Nodetool interface {
	// Snapshot runs `nodetool snapshot -t <tag> [keyspaces...]`.
	Snapshot(ctx context.Context, tag string, keyspaces ...string) error
	// ClearSnapshot runs `nodetool clearsnapshot -t <tag>`.
	ClearSnapshot(ctx context.Context, tag string) error
	// Import runs `nodetool import <keyspace> <table> <dir>`.
	Import(ctx context.Context, keyspace, table, dir string) error
}

// ManifestVersion is the manifest format written.
const ManifestVersion = 1

// Manifest is one node's part of a backup, stored at ManifestKey(id, node).
type Manifest struct {
	Version  int       `json:"version"`
	BackupID string    `json:"backup_id"`
	Ring     string    `json:"ring"`
	Node     string    `json:"node"`
	Created  time.Time `json:"created"`
	// Tokens the node owned (nodetool info -T at backup time; for a token-aligned restore into a
	// new ring).
	Tokens []string `json:"tokens,omitempty"`
	Files  []File   `json:"files"`
	// Schema is the CREATE statements of the backed-up tables (each snapshot's schema.cql),
	// keyspace and table order.
	Schema string `json:"schema"`
	// Keyspaces holds, per backed-up keyspace, a CREATE KEYSPACE IF NOT EXISTS statement with
	// the replication it had at backup time.
	Keyspaces map[string]string `json:"keyspaces,omitempty"`
	// Tables holds, per "<keyspace>.<table>", that table's schema.cql.
	Tables map[string]string `json:"tables,omitempty"`
}

// File is one sstable component in the backup.
type File struct {
	Keyspace string `json:"keyspace"`
	Table    string `json:"table"`
	// Name relative to the table's snapshot directory ("nb-1-big-Data.db", ".idx/nb-1-big-Data.db").
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Stats counts what a backup or restore moved.
type Stats struct {
	Files, Bytes int64
	// Transferred files and bytes: uploaded (backup; the rest were already stored) or downloaded
	// (restore; the rest were already staged and verified by an interrupted attempt).
	TransferredFiles, TransferredBytes int64
	// Tables imported (restore).
	Tables int
	// Created lists the keyspaces and tables ("ks.t") the restore created from the backup's
	// schema.
	Created []string
	// Elapsed is the wall time of the whole call.
	Elapsed time.Duration
	// ManifestSHA256 is the SHA-256 of the node's manifest as stored (Backup) or read (Restore).
	ManifestSHA256 string
}

// BlobKey is the store key of a file's content.
func BlobKey(sum string) string { return "blobs/" + sum }

// ManifestKey is the store key of a node's manifest.
func ManifestKey(backupID, node string) string {
	return "backups/" + backupID + "/" + node + "/manifest.json"
}

// IDRE is what a backup ID must match (it becomes a snapshot tag and a store key).
var IDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

var (
	identRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,48}$`)
	sumRE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// tableDirRE: a table's directory is "<table>-<32 hex digits of its ID>".
	tableDirRE = regexp.MustCompile(`^([A-Za-z0-9_]{1,48})-([0-9a-f]{32})$`)
)

// Spec says what to back up or restore.
type Spec struct {
	BackupID string
	Ring     string
	// Node is the node whose backup is written (Backup) or read (Restore: the source node; for a
	// restore into a new ring, the old ring's node with the same ordinal).
	Node string
	// DataDir is the node's Cassandra data directory (data_file_directories[0]).
	DataDir string
	// StagingDir is where Restore downloads files; on the same file system as DataDir.
	StagingDir string
	// Keyspaces limits the backup or restore ("": all non-system keyspaces); Tables limits the
	// restore of a single keyspace.
	Keyspaces []string
	Tables    []string
	Tokens    []string
	// ManifestSHA256, when set, is what the manifest read by Restore must hash to.
	ManifestSHA256 string
	// Progress, when set, is called after each file.
	Progress func(done, total int64)
	// Now gives the manifest's time (tests); nil uses time.Now.
	Now func() time.Time
	// Cluster, when set, gives the node's tokens and keyspaces' replication to a backup's
	// manifest, and lets a restore create missing keyspaces and tables (nil: neither).
	Cluster Cluster
}

func (s Spec) check() error {
	if !IDRE.MatchString(s.BackupID) {
		return fmt.Errorf("backup ID %q: want letters, digits, '.', '_' or '-' (at most 128, starting with a letter or digit)", s.BackupID)
	}
	if err := backupstore.CheckKey(s.Node); err != nil || strings.Contains(s.Node, "/") {
		return fmt.Errorf("node %q is not a node name", s.Node)
	}
	if !filepath.IsAbs(s.DataDir) {
		return fmt.Errorf("data directory %q is not absolute", s.DataDir)
	}
	for _, k := range s.Keyspaces {
		if !identRE.MatchString(k) {
			return fmt.Errorf("keyspace %q is not a keyspace name", k)
		}
	}
	for _, t := range s.Tables {
		if !identRE.MatchString(t) {
			return fmt.Errorf("table %q is not a table name", t)
		}
	}
	if len(s.Tables) > 0 && len(s.Keyspaces) != 1 {
		return errors.New("tables need exactly one keyspace")
	}
	return nil
}

// systemKeyspace: Cassandra's own keyspaces are never backed up or imported.
func systemKeyspace(ks string) bool {
	return ks == "system" || strings.HasPrefix(ks, "system_")
}

func (s Spec) wantKeyspace(ks string) bool {
	if systemKeyspace(ks) {
		return false
	}
	if len(s.Keyspaces) == 0 {
		return true
	}
	for _, k := range s.Keyspaces {
		if k == ks {
			return true
		}
	}
	return false
}

func (s Spec) wantTable(t string) bool {
	if len(s.Tables) == 0 {
		return true
	}
	for _, x := range s.Tables {
		if x == t {
			return true
		}
	}
	return false
}

// snapshotDir is a table's snapshot directory for tag.
type snapshotDir struct {
	keyspace, table, dir string
}

// findSnapshots lists the tables with a snapshot named tag, in keyspace and table order.
func findSnapshots(dataDir, tag string, s Spec) ([]snapshotDir, error) {
	kss, err := os.ReadDir(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	var out []snapshotDir
	for _, ks := range kss {
		if !ks.IsDir() || !identRE.MatchString(ks.Name()) || !s.wantKeyspace(ks.Name()) {
			continue
		}
		tables, err := os.ReadDir(filepath.Join(dataDir, ks.Name()))
		if err != nil {
			return nil, err
		}
		for _, t := range tables {
			m := tableDirRE.FindStringSubmatch(t.Name())
			if !t.IsDir() || m == nil {
				continue
			}
			d := filepath.Join(dataDir, ks.Name(), t.Name(), "snapshots", tag)
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				out = append(out, snapshotDir{keyspace: ks.Name(), table: m[1], dir: d})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].keyspace != out[j].keyspace {
			return out[i].keyspace < out[j].keyspace
		}
		return out[i].table < out[j].table
	})
	return out, nil
}

// snapshotExtras are files of a snapshot directory that are not sstable components.
func snapshotExtra(name string) bool { return name == "manifest.json" || name == "schema.cql" }

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Backup snapshots the node (reusing a snapshot of the same tag an interrupted attempt left),
// uploads the files the store does not hold yet, writes the node's manifest, and clears the
// snapshot. Calling it again after a failure resumes: stored blobs are not sent again.
func Backup(ctx context.Context, nt Nodetool, st backupstore.Store, s Spec) (*Manifest, Stats, error) {
	start := time.Now()
	var stats Stats
	if err := s.check(); err != nil {
		return nil, stats, err
	}
	snaps, err := findSnapshots(s.DataDir, s.BackupID, s)
	if err != nil {
		return nil, stats, err
	}
	if len(snaps) == 0 {
		if err := nt.Snapshot(ctx, s.BackupID, s.Keyspaces...); err != nil {
			return nil, stats, fmt.Errorf("nodetool snapshot -t %s: %w", s.BackupID, err)
		}
		if snaps, err = findSnapshots(s.DataDir, s.BackupID, s); err != nil {
			return nil, stats, err
		}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	m := &Manifest{Version: ManifestVersion, BackupID: s.BackupID, Ring: s.Ring, Node: s.Node, Created: now().UTC(), Tokens: s.Tokens, Files: []File{},
		Tables: map[string]string{}}
	if s.Cluster != nil {
		if err := describeNode(ctx, s.Cluster, m, snaps); err != nil {
			return nil, stats, err
		}
	}
	type job struct {
		f    File
		path string
	}
	var jobs []job
	var schema strings.Builder
	for _, sd := range snaps {
		if b, err := os.ReadFile(filepath.Join(sd.dir, "schema.cql")); err == nil {
			schema.WriteString(strings.TrimSpace(string(b)))
			schema.WriteString("\n\n")
			m.Tables[sd.keyspace+"."+sd.table] = strings.TrimSpace(string(b))
		}
		err := filepath.WalkDir(sd.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(sd.dir, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if snapshotExtra(rel) {
				return nil
			}
			jobs = append(jobs, job{f: File{Keyspace: sd.keyspace, Table: sd.table, Name: rel}, path: p})
			return nil
		})
		if err != nil {
			return nil, stats, fmt.Errorf("reading snapshot %s: %w", sd.dir, err)
		}
	}
	m.Schema = schema.String()
	for i := range jobs {
		if err := ctx.Err(); err != nil {
			return nil, stats, err
		}
		j := &jobs[i]
		sum, size, err := hashFile(j.path)
		if err != nil {
			return nil, stats, fmt.Errorf("hashing %s: %w", j.path, err)
		}
		j.f.SHA256, j.f.Size = sum, size
		stats.Files++
		stats.Bytes += size
		if got, err := st.Stat(ctx, BlobKey(sum)); err == nil && got == size {
			// Already stored (an earlier backup or an interrupted attempt): not sent again.
		} else if err != nil && !errors.Is(err, backupstore.ErrNotFound) {
			return nil, stats, fmt.Errorf("backup store %s: %w", st, err)
		} else {
			if err := putVerified(ctx, st, j.path, sum); err != nil {
				return nil, stats, err
			}
			stats.TransferredFiles++
			stats.TransferredBytes += size
		}
		m.Files = append(m.Files, j.f)
		if s.Progress != nil {
			s.Progress(int64(i+1), int64(len(jobs)))
		}
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, stats, err
	}
	ms := sha256.Sum256(b)
	stats.ManifestSHA256 = hex.EncodeToString(ms[:])
	if err := st.Put(ctx, ManifestKey(s.BackupID, s.Node), strings.NewReader(string(b))); err != nil {
		return nil, stats, fmt.Errorf("writing manifest: %w", err)
	}
	if err := nt.ClearSnapshot(ctx, s.BackupID); err != nil {
		return nil, stats, fmt.Errorf("nodetool clearsnapshot -t %s: %w", s.BackupID, err)
	}
	stats.Elapsed = time.Since(start)
	return m, stats, nil
}

// putVerified uploads path as the blob of sum, checking while it reads that the content still has
// that hash (an sstable does not change, but a corrupt read must not be stored under its name).
func putVerified(ctx context.Context, st backupstore.Store, path, sum string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	r := &checkReader{r: io.TeeReader(f, h), h: h, want: sum}
	if err := st.Put(ctx, BlobKey(sum), r); err != nil {
		return fmt.Errorf("uploading %s: %w", path, err)
	}
	return nil
}

// checkReader fails the read at EOF when the content's SHA-256 differs from want, so a store
// never completes an object with the wrong content.
type checkReader struct {
	r    io.Reader
	h    interface{ Sum([]byte) []byte }
	want string
}

func (c *checkReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		if got := hex.EncodeToString(c.h.Sum(nil)); got != c.want {
			return n, fmt.Errorf("checksum mismatch: read SHA-256 %s, want %s", got, c.want)
		}
	}
	return n, err
}

// ReadManifest reads and checks a node's manifest; with wantSum set, its SHA-256 must be that.
// It returns the manifest and its SHA-256.
func ReadManifest(ctx context.Context, st backupstore.Store, backupID, node, wantSum string) (*Manifest, string, error) {
	rc, err := st.Get(ctx, ManifestKey(backupID, node))
	if err != nil {
		return nil, "", fmt.Errorf("manifest of %s in backup %s: %w", node, backupID, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 256<<20))
	if err != nil {
		return nil, "", fmt.Errorf("manifest of %s in backup %s: %w", node, backupID, err)
	}
	sum := sha256.Sum256(b)
	got := hex.EncodeToString(sum[:])
	if wantSum != "" && got != wantSum {
		return nil, "", fmt.Errorf("manifest of %s in backup %s: checksum mismatch: SHA-256 %s, the catalogue says %s: refusing to restore it", node, backupID, got, wantSum)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, "", fmt.Errorf("manifest of %s in backup %s: %w", node, backupID, err)
	}
	if m.Version != ManifestVersion || m.BackupID != backupID || m.Node != node {
		return nil, "", fmt.Errorf("manifest of %s in backup %s: version %d, backup %q, node %q: not this node's manifest", node, backupID, m.Version, m.BackupID, m.Node)
	}
	for i, f := range m.Files {
		if !identRE.MatchString(f.Keyspace) || !identRE.MatchString(f.Table) || !sumRE.MatchString(f.SHA256) || f.Size < 0 {
			return nil, "", fmt.Errorf("manifest of %s in backup %s: files[%d] is malformed", node, backupID, i)
		}
		if err := backupstore.CheckKey(f.Name); err != nil {
			return nil, "", fmt.Errorf("manifest of %s in backup %s: files[%d].name: %v", node, backupID, i, err)
		}
	}
	return &m, got, nil
}

// describeNode records the node's tokens and the replication of the snapshots' keyspaces in m.
func describeNode(ctx context.Context, c Cluster, m *Manifest, snaps []snapshotDir) error {
	tokens, err := c.Tokens(ctx)
	if err != nil {
		return fmt.Errorf("the node's tokens: %w", err)
	}
	if len(tokens) == 0 {
		return errors.New("the node's tokens: nodetool info -T printed none (has the node joined?)")
	}
	m.Tokens = tokens
	reps, err := c.Keyspaces(ctx)
	if err != nil {
		return fmt.Errorf("the keyspaces' replication: %w", err)
	}
	m.Keyspaces = map[string]string{}
	for _, sd := range snaps {
		if _, done := m.Keyspaces[sd.keyspace]; done {
			continue
		}
		r, ok := reps[sd.keyspace]
		if !ok {
			continue // not in the node's schema: a restore that needs it says so
		}
		stmt, err := KeyspaceCQL(sd.keyspace, r)
		if err != nil {
			return err
		}
		m.Keyspaces[sd.keyspace] = stmt
	}
	return nil
}

// Restore downloads the files of the source node's manifest (limited to s.Keyspaces/s.Tables) into
// s.StagingDir/<backup-id>/<keyspace>/<table>, verifying each file's size and SHA-256, and loads
// each table with nodetool import. With s.Cluster set, keyspaces and tables the node lacks are
// first created from the manifest's schema (see ensureSchema); without it they must exist. Files an interrupted attempt already staged and verified are not downloaded again; a
// table's staging directory is removed once imported.
func Restore(ctx context.Context, nt Nodetool, st backupstore.Store, s Spec) (Stats, error) {
	start := time.Now()
	var stats Stats
	if err := s.check(); err != nil {
		return stats, err
	}
	if !filepath.IsAbs(s.StagingDir) {
		return stats, fmt.Errorf("staging directory %q is not absolute", s.StagingDir)
	}
	m, sum, err := ReadManifest(ctx, st, s.BackupID, s.Node, s.ManifestSHA256)
	if err != nil {
		return stats, err
	}
	stats.ManifestSHA256 = sum
	type table struct{ ks, t string }
	var order []table
	files := map[table][]File{}
	for _, f := range m.Files {
		if !s.wantKeyspace(f.Keyspace) || !s.wantTable(f.Table) {
			continue
		}
		k := table{f.Keyspace, f.Table}
		if _, ok := files[k]; !ok {
			order = append(order, k)
		}
		files[k] = append(files[k], f)
		stats.Files++
		stats.Bytes += f.Size
	}
	if len(order) == 0 {
		return stats, fmt.Errorf("backup %s of %s holds no files for keyspaces %v tables %v", s.BackupID, s.Node, s.Keyspaces, s.Tables)
	}
	if s.Cluster != nil {
		want := make([]tableRef, len(order))
		for i, k := range order {
			want[i] = tableRef{k.ks, k.t}
		}
		if stats.Created, err = ensureSchema(ctx, s.Cluster, m, want); err != nil {
			return stats, err
		}
	}
	var done int64
	for _, k := range order {
		dir := filepath.Join(s.StagingDir, s.BackupID, k.ks, k.t)
		for _, f := range files[k] {
			got, err := fetchVerified(ctx, st, f, filepath.Join(dir, filepath.FromSlash(f.Name)))
			if err != nil {
				return stats, err
			}
			if got {
				stats.TransferredFiles++
				stats.TransferredBytes += f.Size
			}
			done++
			if s.Progress != nil {
				s.Progress(done, stats.Files)
			}
		}
		if err := nt.Import(ctx, k.ks, k.t, dir); err != nil {
			return stats, fmt.Errorf("nodetool import %s %s: %w", k.ks, k.t, err)
		}
		stats.Tables++
		if err := os.RemoveAll(dir); err != nil {
			return stats, err
		}
	}
	_ = os.RemoveAll(filepath.Join(s.StagingDir, s.BackupID))
	stats.Elapsed = time.Since(start)
	return stats, nil
}

// fetchVerified puts blob f at path unless a file with its size and hash is there already; it
// reports whether it downloaded. A download whose size or SHA-256 differs fails and leaves nothing.
func fetchVerified(ctx context.Context, st backupstore.Store, f File, path string) (bool, error) {
	if sum, n, err := hashFile(path); err == nil && sum == f.SHA256 && n == f.Size {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return false, err
	}
	rc, err := st.Get(ctx, BlobKey(f.SHA256))
	if err != nil {
		return false, fmt.Errorf("%s.%s %s: %w", f.Keyspace, f.Table, f.Name, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".restore-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(rc, f.Size+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("downloading %s.%s %s: %w", f.Keyspace, f.Table, f.Name, err)
	}
	if n != f.Size {
		return false, fmt.Errorf("%s.%s %s: the store holds %d bytes or more, the manifest says %d: refusing to restore it", f.Keyspace, f.Table, f.Name, n, f.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return false, fmt.Errorf("%s.%s %s: checksum mismatch: SHA-256 %s, the manifest says %s: refusing to restore it", f.Keyspace, f.Table, f.Name, got, f.SHA256)
	}
	return true, os.Rename(tmp.Name(), path)
}
