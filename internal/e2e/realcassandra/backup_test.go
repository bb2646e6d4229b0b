package realcassandra

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/cassmesos/cassmesos/internal/e2e"
)

// Issue 16 on real Cassandra 5.0, one small ring (2 nodes, num_tokens 4, a third agent kept free
// for a replacement) for all of it:
//
//  1. rows written into ks.rows (RF 1: every row lives on one node only, so each node's backup
//     holds its own token ranges and nodetool import checks them against the node's tokens);
//  2. the ring backed up (nodetool snapshot, upload to a file-system store); each node's manifest
//     records its 4 tokens, the keyspace's replication and the table's schema.cql;
//  3. DROP TABLE ks.rows; the backup restored: the first node's restore recreates the table
//     from the backup's schema (CQL, without the old table ID) and waits for schema agreement,
//     then every node imports its files; every row reads back at ALL;
//  4. real-1's volume lost (its agent killed), real-1 replaced on the free agent with an empty
//     data directory and real-1's tokens: the rows of its ranges are gone (RF 1: nothing to
//     stream); the backup restored again: every row reads back at ALL.
func TestRealBackupRestore(t *testing.T) {
	const nAgents = 3
	store := filepath.Join(t.TempDir(), "backups")
	w := e2e.NewWorld(t, e2e.Options{
		Agents: nAgents, AgentResources: e2e.RealAgentResources(nAgents), Tarball: e2e.RealTarball(t), ExecutorEnv: e2e.RealExecutorEnv(),
		TaskPollInterval: time.Second, ExecutorShutdownGracePeriod: time.Minute,
		DaemonFlags: []string{"--backup-store", "file://" + store},
	})
	start := time.Now()
	begin := start
	cli(t, w, append([]string{"ring", "create", ring, "--nodes", "2", "--seeds", "1", "--num-tokens", "4", "--wait", "--timeout", "8m"}, e2e.RealRingFlags()...)...)
	t.Logf("figure: ring create --nodes 2 --wait: %v", time.Since(begin).Round(time.Millisecond))
	nodes := expectRing(t, w, "real-0", "real-1")
	s := w.CQL(nodes["real-0"].GetAddress(), nodes["real-1"].GetAddress())
	w.ExecCQL(s, gocql.All, "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	w.ExecCQL(s, gocql.All, "CREATE TABLE IF NOT EXISTS ks.rows (id int PRIMARY KEY, v text) WITH comment = 'restore; proof'")
	rs := &rows{w: w, t: t, vals: map[int]string{}}
	rs.write(s, 200)

	begin = time.Now()
	out := cli(t, w, "backup", "create", ring, "--keyspaces", "ks", "--wait", "--timeout", "5m", "-o", "name")
	id := strings.TrimPrefix(strings.TrimSpace(out), "operation/")
	t.Logf("figure: backup create of 2 nodes --wait: %v", time.Since(begin).Round(time.Millisecond))
	t.Logf("backup show:\n%s", cli(t, w, "backup", "show", id))
	for _, n := range []string{"real-0", "real-1"} {
		b, err := os.ReadFile(filepath.Join(store, "backups", id, n, "manifest.json"))
		if err != nil {
			t.Fatalf("manifest of %s: %v", n, err)
		}
		var m struct {
			Tokens    []string          `json:"tokens"`
			Keyspaces map[string]string `json:"keyspaces"`
			Tables    map[string]string `json:"tables"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("manifest of %s: %v", n, err)
		}
		if len(m.Tokens) != 4 || !strings.Contains(m.Keyspaces["ks"], "'replication_factor': '1'") ||
			!strings.Contains(m.Tables["ks.rows"], "CREATE TABLE IF NOT EXISTS ks.rows") {
			t.Errorf("manifest of %s: tokens %v, keyspaces %v, tables %v: want 4 tokens, ks's replication and ks.rows's schema", n, m.Tokens, m.Keyspaces, m.Tables)
		}
		t.Logf("manifest of %s: tokens %v; ks.rows schema.cql:\n%s", n, m.Tokens, m.Tables["ks.rows"])
	}

	// (a) DROP TABLE: the table and its sstables go; nothing reads back.
	w.ExecCQL(s, gocql.All, "DROP TABLE IF EXISTS ks.rows")
	if err := s.Query("SELECT count(*) FROM ks.rows").Consistency(gocql.All).Exec(); err == nil {
		t.Fatal("ks.rows still reads after DROP TABLE")
	}
	begin = time.Now()
	cli(t, w, "backup", "restore", ring, "--backup", id, "--wait", "--timeout", "5m")
	t.Logf("figure: backup restore of 2 nodes after DROP TABLE (table recreated) --wait: %v", time.Since(begin).Round(time.Millisecond))
	var comment string
	if err := s.Query("SELECT comment FROM system_schema.tables WHERE keyspace_name = 'ks' AND table_name = 'rows'").Scan(&comment); err != nil || comment != "restore; proof" {
		t.Errorf("recreated table's comment %q, %v: want the backed-up table's options", comment, err)
	}
	rs.check(s, gocql.All, "restore after DROP TABLE")

	// (b) Lose real-1's volume: its agent dies with the node; real-1 is replaced on the free
	// agent, empty, with real-1's tokens. RF 1: the rows of its ranges are gone.
	old := nodes["real-1"]
	lost := -1
	for i := range nAgents {
		if w.AgentIP(i) == old.GetAddress() {
			lost = i
		}
	}
	if lost < 0 {
		t.Fatalf("no agent has real-1's address %s", old.GetAddress())
	}
	begin = time.Now()
	w.KillAgent(lost)
	w.Eventually(3*time.Minute, func() error {
		out, errOut, code := w.CLI("node", "replace", "real-1", "--wait", "--timeout", "8m")
		if code != 0 {
			return fmt.Errorf("exit %d: %s%s", code, out, errOut)
		}
		return nil
	}, "node replace real-1")
	t.Logf("figure: agent of real-1 killed, node replace real-1 --wait: %v", time.Since(begin).Round(time.Millisecond))
	nodes = expectRing(t, w, "real-0", "real-1")
	if nodes["real-1"].GetAddress() == old.GetAddress() {
		t.Fatalf("real-1 still has its old address %s", old.GetAddress())
	}
	s = w.CQL(nodes["real-0"].GetAddress(), nodes["real-1"].GetAddress())
	missing := 0
	for id := range rs.vals {
		var v string
		err := s.Query("SELECT v FROM ks.rows WHERE id = ?", id).Consistency(gocql.All).Scan(&v)
		if err == gocql.ErrNotFound {
			missing++
		} else if err != nil {
			t.Fatalf("reading row %d after the replacement: %v", id, err)
		}
	}
	if missing == 0 {
		t.Fatalf("no row lost with real-1's volume: the lost-volume phase proves nothing")
	}
	t.Logf("after real-1's volume was lost and real-1 replaced: %d of %d rows missing", missing, len(rs.vals))
	begin = time.Now()
	out = cli(t, w, "backup", "restore", ring, "--backup", id, "--wait", "--timeout", "5m")
	t.Logf("figure: backup restore of 2 nodes after the lost volume --wait: %v", time.Since(begin).Round(time.Millisecond))
	t.Logf("backup restore:\n%s", out)
	rs.check(s, gocql.All, "restore after the lost volume")
	t.Logf("figure: TestRealBackupRestore total %v", time.Since(start).Round(time.Millisecond))
}
