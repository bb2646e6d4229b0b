package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// fakeCluster is a node's schema as nodetool and CQL see it: ExecCQL creates keyspaces and
// tables (the table's directory in the fake node's data directory, as Cassandra does).
type fakeCluster struct {
	n         *fakeNode
	mu        sync.Mutex
	tokens    []string
	keyspaces map[string]string
	tables    map[string][]string
	executed  []string
	execErr   error
}

func newFakeCluster(n *fakeNode) *fakeCluster {
	return &fakeCluster{n: n, tokens: []string{"-9000", "42"},
		keyspaces: map[string]string{"shop": "SimpleStrategy {replication_factor=2}", "system": "LocalStrategy {}"},
		tables:    map[string][]string{"shop": {"orders", "users"}}}
}

func (c *fakeCluster) Tokens(context.Context) ([]string, error) { return c.tokens, nil }
func (c *fakeCluster) Keyspaces(context.Context) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for k, v := range c.keyspaces {
		out[k] = v
	}
	return out, nil
}
func (c *fakeCluster) Tables(context.Context) (map[string][]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]string{}
	for k, v := range c.tables {
		out[k] = append([]string(nil), v...)
	}
	return out, nil
}

var (
	fakeCreateKS    = regexp.MustCompile(`^CREATE KEYSPACE IF NOT EXISTS "(\w+)" WITH replication = \{(.*)\}$`)
	fakeCreateTable = regexp.MustCompile(`(?s)^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+) \(`)
)

func (c *fakeCluster) ExecCQL(_ context.Context, stmts ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.execErr != nil {
		return c.execErr
	}
	for _, s := range stmts {
		c.executed = append(c.executed, s)
		if m := fakeCreateKS.FindStringSubmatch(s); m != nil {
			c.keyspaces[m[1]] = m[2]
			continue
		}
		m := fakeCreateTable.FindStringSubmatch(s)
		if m == nil {
			return fmt.Errorf("fake cluster: unexpected statement %q", s)
		}
		if _, ok := c.keyspaces[m[1]]; !ok {
			return fmt.Errorf("InvalidRequest: Keyspace '%s' doesn't exist", m[1])
		}
		if !contains(c.tables[m[1]], m[2]) {
			c.tables[m[1]] = append(c.tables[m[1]], m[2])
			if err := os.MkdirAll(c.n.tableDir(m[1], m[2]), 0o755); err != nil {
				return err
			}
		}
	}
	return nil
}

// drop removes a table as DROP TABLE does (its files and its place in the schema).
func (c *fakeCluster) drop(ks, table string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var keep []string
	for _, t := range c.tables[ks] {
		if t != table {
			keep = append(keep, t)
		}
	}
	c.tables[ks] = keep
	if err := os.RemoveAll(c.n.tableDir(ks, table)); err != nil {
		c.n.t.Fatal(err)
	}
}

func TestBackupRecordsTokensAndSchemaAndRestoreRecreatesDroppedTable(t *testing.T) {
	ctx := context.Background()
	n := newFakeNode(t)
	n.flush("shop", "orders", []byte("order rows"))
	n.flush("shop", "users", []byte("user rows"))
	c := newFakeCluster(n)
	st := fileStore(t)
	s := spec(n, "b1")
	s.Cluster = c
	m, _, err := Backup(ctx, n, st, s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Tokens, ",") != "-9000,42" {
		t.Errorf("tokens %v, want the node's", m.Tokens)
	}
	if got := m.Keyspaces["shop"]; got != `CREATE KEYSPACE IF NOT EXISTS "shop" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '2'}` {
		t.Errorf("keyspace statement %q", got)
	}
	if !strings.HasPrefix(m.Tables["shop.orders"], "CREATE TABLE IF NOT EXISTS shop.orders") || m.Tables["shop.users"] == "" {
		t.Errorf("table schemas %v", m.Tables)
	}

	// DROP TABLE orders: the restore recreates it (not users, which exists) and imports it.
	c.drop("shop", "orders")
	rs, err := Restore(ctx, n, st, s)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rs.Created) != "[shop.orders]" || len(c.executed) != 1 || !strings.HasPrefix(c.executed[0], "CREATE TABLE IF NOT EXISTS shop.orders") {
		t.Errorf("created %v by %q", rs.Created, c.executed)
	}
	if got := n.dataContents("shop", "orders"); got["order rows"] != 1 {
		t.Errorf("orders after the restore: %v", got)
	}

	// DROP KEYSPACE: both come back, the keyspace first, with its backed-up replication.
	c.drop("shop", "users")
	c.drop("shop", "orders")
	delete(c.keyspaces, "shop")
	c.executed = nil
	rs, err = Restore(ctx, n, st, s)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rs.Created) != "[shop shop.orders shop.users]" || !strings.HasPrefix(c.executed[0], `CREATE KEYSPACE IF NOT EXISTS "shop"`) {
		t.Errorf("created %v by %q", rs.Created, c.executed)
	}
	if c.keyspaces["shop"] != "'class': 'SimpleStrategy', 'replication_factor': '2'" {
		t.Errorf("recreated keyspace's replication %q", c.keyspaces["shop"])
	}
}

func TestRestoreWithoutSchemaForMissingTableFails(t *testing.T) {
	ctx := context.Background()
	n := newFakeNode(t)
	n.flush("shop", "orders", []byte("order rows"))
	st := fileStore(t)
	// A backup made without Cluster (an older manifest): no keyspace statement.
	if _, _, err := Backup(ctx, n, st, spec(n, "old")); err != nil {
		t.Fatal(err)
	}
	c := newFakeCluster(n)
	c.drop("shop", "orders")
	c.drop("shop", "users")
	delete(c.keyspaces, "shop")
	s := spec(n, "old")
	s.Cluster = c
	_, err := Restore(ctx, n, st, s)
	if err == nil || !strings.Contains(err.Error(), "keyspace shop does not exist") {
		t.Fatalf("restore: %v, want the missing keyspace named", err)
	}
	if len(c.executed) != 0 {
		t.Errorf("executed %q", c.executed)
	}
	for _, call := range n.calls {
		if strings.HasPrefix(call, "import") {
			t.Errorf("imported although the table is missing: %v", n.calls)
		}
	}
	// A CQL failure is reported and nothing is imported.
	c2 := newFakeCluster(n)
	c2.drop("shop", "orders")
	c2.execErr = fmt.Errorf("Unauthorized: no")
	n.calls = nil
	s.Cluster = c2
	s.BackupID = "old"
	if _, err := Restore(ctx, n, st, s); err == nil || !strings.Contains(err.Error(), "creating shop.orders") || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("restore with failing CQL: %v", err)
	}
}

// schema.cql as Cassandra 5.0.8 writes it into a snapshot.
const schema50 = `CREATE TABLE IF NOT EXISTS ks.rows (
    id int PRIMARY KEY,
    v text
) WITH ID = 5a1c3e10-b1d2-11f0-8b5a-6b2c3d4e5f60
    AND additional_write_policy = '99p'
    AND comment = 'a; b -- not a comment'
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}
    AND speculative_retry = '99p';
-- a comment; with a semicolon
ALTER TABLE ks.rows DROP old USING TIMESTAMP 1700000000000000;
/* block; comment */ CREATE INDEX IF NOT EXISTS rows_v ON ks.rows (v);
`

func TestSplitCQLAndStripTableID(t *testing.T) {
	got := SplitCQL(schema50)
	if len(got) != 3 {
		t.Fatalf("%d statements: %q", len(got), got)
	}
	if !strings.Contains(got[0], "comment = 'a; b -- not a comment'") || !strings.HasPrefix(got[1], "ALTER TABLE ks.rows DROP old") ||
		!strings.HasPrefix(got[2], "CREATE INDEX IF NOT EXISTS rows_v") {
		t.Fatalf("statements %q", got)
	}
	s := StripTableID(got[0])
	if strings.Contains(s, "5a1c3e10") || !strings.Contains(s, ") WITH additional_write_policy = '99p'") {
		t.Errorf("stripped: %s", s)
	}
	for in, want := range map[string]string{
		"CREATE TABLE ks.t (k int PRIMARY KEY) WITH ID = 5a1c3e10-b1d2-11f0-8b5a-6b2c3d4e5f60":                             "CREATE TABLE ks.t (k int PRIMARY KEY)",
		"CREATE TABLE ks.t (k int PRIMARY KEY) WITH comment = 'x' AND id = 5A1C3E10-B1D2-11F0-8B5A-6B2C3D4E5F60 AND a = 1": "CREATE TABLE ks.t (k int PRIMARY KEY) WITH comment = 'x' AND a = 1",
		"ALTER TABLE ks.t WITH ID = 5a1c3e10-b1d2-11f0-8b5a-6b2c3d4e5f60":                                                  "ALTER TABLE ks.t WITH ID = 5a1c3e10-b1d2-11f0-8b5a-6b2c3d4e5f60",
	} {
		if got := StripTableID(in); got != want {
			t.Errorf("StripTableID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKeyspaceCQL(t *testing.T) {
	got, err := KeyspaceCQL("ks", "org.apache.cassandra.locator.NetworkTopologyStrategy {dc2=1, dc1=3}")
	if err != nil || got != `CREATE KEYSPACE IF NOT EXISTS "ks" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': '3', 'dc2': '1'}` {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range [][2]string{{"ks", "LocalStrategy {}"}, {"k s", "SimpleStrategy {replication_factor=1}"}, {"ks", "nonsense"}} {
		if got, err := KeyspaceCQL(bad[0], bad[1]); err == nil {
			t.Errorf("KeyspaceCQL(%q, %q) = %q, want an error", bad[0], bad[1], got)
		}
	}
}

func FuzzSplitCQL(f *testing.F) {
	f.Add(schema50)
	f.Add("a;b;;'c;d';\"e;f\";$$g;h$$;/* i; */ j; -- k;\nl")
	f.Add("'unterminated; x")
	f.Fuzz(func(t *testing.T, src string) {
		stmts := SplitCQL(src)
		for _, s := range stmts {
			if strings.TrimSpace(s) != s || s == "" {
				t.Fatalf("statement %q not trimmed or empty", s)
			}
			_ = StripTableID(s)
		}
		// Without quotes or comments, it is a plain split on ';'.
		if !strings.ContainsAny(src, `'"$-/`) {
			var want []string
			for _, p := range strings.Split(src, ";") {
				if p = strings.TrimSpace(p); p != "" {
					want = append(want, p)
				}
			}
			if fmt.Sprintf("%q", want) != fmt.Sprintf("%q", stmts) {
				t.Fatalf("SplitCQL(%q) = %q, want %q", src, stmts, want)
			}
		}
	})
}

// The runner answers the daemon with the node's tokens (backup) and what it created (restore).
func TestRunnerReportsTokensAndCreated(t *testing.T) {
	ctx := context.Background()
	n := newFakeNode(t)
	n.flush("shop", "orders", []byte("order rows"))
	c := newFakeCluster(n)
	store := "file://" + filepath.Join(t.TempDir(), "store")
	r := &Runner{Nodetool: n, Cluster: c, Ring: "demo", Node: "demo-0", DataDir: n.dataDir, StagingDir: filepath.Join(filepath.Dir(n.dataDir), "staging")}
	res, err := r.Backup(ctx, &cassmesosv1.BackupNodeRequest{BackupId: "b1", StoreUrl: store})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.GetTokens(), ",") != "-9000,42" || len(res.GetCreated()) != 0 {
		t.Fatalf("backup result %v", res)
	}
	c.drop("shop", "orders")
	rr, err := r.Restore(ctx, &cassmesosv1.RestoreNodeRequest{BackupId: "b1", StoreUrl: store, ManifestSha256: res.GetManifestSha256()})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rr.GetCreated()) != "[shop.orders]" || len(rr.GetTokens()) != 0 || rr.GetTables() != 1 {
		t.Fatalf("restore result %v", rr)
	}
}
