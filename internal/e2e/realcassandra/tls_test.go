package realcassandra

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/cassmesos/cassmesos/internal/e2e"
)

const tlsRing = "sec"

// sslLine matches the log lines that explain a failed TLS handshake.
var sslLine = regexp.MustCompile(`(?i)ssl|handshake|pkix|certificate|alternative|key usage|private key|gossip with any`)

// dumpSSLLogs logs, for a failed test, the TLS-related lines of every node's system.log and
// debug.log in the world's sandboxes (the cause of a failed handshake is only written there).
func dumpSSLLogs(t *testing.T, w *e2e.World) {
	t.Helper()
	if !t.Failed() {
		return
	}
	_ = filepath.WalkDir(filepath.Join(w.Dir(), "mesos"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (d.Name() != "system.log" && d.Name() != "debug.log") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		var b strings.Builder
		n := 0
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() && n < 60 {
			if sslLine.MatchString(sc.Text()) {
				b.WriteString(sc.Text() + "\n")
				n++
			}
		}
		t.Logf("TLS lines of %s:\n%s", p, b.String())
		return nil
	})
}

// TestRealEncryption: a small ring of real Cassandra 5.0 with internode_encryption all and
// client encryption required. The nodes gossip over mutual TLS (every node UN in every node's
// nodetool status), rows written at QUORUM read back at ALL over a gocql TLS session verified
// against the daemon's CA, plaintext CQL is refused, and each node serves its own certificate on
// 7000 and 9042.
func TestRealEncryption(t *testing.T) {
	w := e2e.NewWorld(t, e2e.Options{
		Agents: 3, AgentResources: e2e.RealAgentResources(3), Tarball: e2e.RealTarball(t), ExecutorEnv: e2e.RealExecutorEnv(),
		TaskPollInterval:            time.Second,
		ExecutorShutdownGracePeriod: time.Minute,
	})
	t.Cleanup(func() { dumpSSLLogs(t, w) })
	begin := time.Now()
	create := []string{"ring", "create", tlsRing, "--nodes", "2", "--seeds", "1", "--num-tokens", "4", "--wait", "--timeout", "6m",
		"--internode-encryption", "all", "--client-encryption", "required"}
	cli(t, w, append(create, e2e.RealRingFlags()...)...)
	t.Logf("figure: encrypted ring create --nodes 2 --wait to 2 UN: %v", time.Since(begin).Round(time.Millisecond))
	names := []string{tlsRing + "-0", tlsRing + "-1"}
	nodes := expectRingOf(t, w, tlsRing, names...)
	checkEncryption(t, w, tlsRing, nodes)

	var hosts []string
	for _, n := range nodes {
		hosts = append(hosts, n.GetAddress())
	}
	s := w.CQLTLS(hosts...)
	rs := &rows{w: w, t: t, vals: map[int]string{}}
	w.ExecCQL(s, gocql.All, "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
	w.ExecCQL(s, gocql.All, "CREATE TABLE IF NOT EXISTS ks.rows (id int PRIMARY KEY, v text)")
	rs.write(s, 50)
	rs.check(s, gocql.All, "encrypted ring")
	t.Logf("figure: encrypted ring checks done: %v", time.Since(begin).Round(time.Millisecond))
}
