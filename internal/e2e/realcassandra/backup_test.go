package realcassandra

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/cassmesos/cassmesos/internal/e2e"
)

// Issue 16 on real Cassandra 5.0: rows written, the ring backed up (nodetool snapshot, upload to a
// file-system store), the table truncated, the backup restored (download, SHA-256 check, nodetool
// import), and every row read back at ALL. One small ring (2 nodes, RF 2) for all of it.
func TestRealBackupRestore(t *testing.T) {
	store := filepath.Join(t.TempDir(), "backups")
	w := e2e.NewWorld(t, e2e.Options{
		Agents: 2, AgentResources: e2e.RealAgentResources(2), Tarball: e2e.RealTarball(t), ExecutorEnv: e2e.RealExecutorEnv(),
		TaskPollInterval: time.Second, ExecutorShutdownGracePeriod: time.Minute,
		DaemonFlags: []string{"--backup-store", "file://" + store},
	})
	begin := time.Now()
	cli(t, w, append([]string{"ring", "create", ring, "--nodes", "2", "--seeds", "1", "--num-tokens", "4", "--wait", "--timeout", "8m"}, e2e.RealRingFlags()...)...)
	t.Logf("figure: ring create --nodes 2 --wait: %v", time.Since(begin).Round(time.Millisecond))
	nodes := expectRing(t, w, "real-0", "real-1")
	s := w.CQL(nodes["real-0"].GetAddress(), nodes["real-1"].GetAddress())
	w.ExecCQL(s, gocql.All, "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
	w.ExecCQL(s, gocql.All, "CREATE TABLE IF NOT EXISTS ks.rows (id int PRIMARY KEY, v text)")
	rs := &rows{w: w, t: t, vals: map[int]string{}}
	rs.write(s, 200)

	begin = time.Now()
	out := cli(t, w, "backup", "create", ring, "--keyspaces", "ks", "--wait", "--timeout", "5m", "-o", "name")
	id := strings.TrimPrefix(strings.TrimSpace(out), "operation/")
	t.Logf("figure: backup create of 2 nodes --wait: %v", time.Since(begin).Round(time.Millisecond))
	show := cli(t, w, "backup", "show", id)
	t.Logf("backup show:\n%s", show)
	for _, n := range []string{"real-0", "real-1"} {
		m, _ := filepath.Glob(filepath.Join(store, "backups", id, n, "manifest.json"))
		if len(m) != 1 {
			t.Fatalf("no manifest of %s in %s", n, store)
		}
	}

	// Lose the data: TRUNCATE (every replica's sstables go); nothing reads back.
	w.ExecCQL(s, gocql.All, "TRUNCATE ks.rows")
	var count int
	if err := s.Query("SELECT count(*) FROM ks.rows").Consistency(gocql.All).Scan(&count); err != nil || count != 0 {
		t.Fatalf("after TRUNCATE: %d rows, %v", count, err)
	}

	begin = time.Now()
	cli(t, w, "backup", "restore", ring, "--backup", id, "--wait", "--timeout", "5m")
	t.Logf("figure: backup restore of 2 nodes --wait: %v", time.Since(begin).Round(time.Millisecond))
	rs.check(s, gocql.All, "restore after TRUNCATE")
}
