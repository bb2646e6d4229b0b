package realcassandra

import (
	"bufio"
	"fmt"
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
// 7000 and 9042. Certificates are valid 2 minutes here (--cassandra-cert-validity), so each node's
// is renewed about 80 s after its launch: the ports then serve a new serial (nodetool reloadssl
// took it up without a restart), the nodes still see each other UN and the rows read back at ALL
// over new connections.
func TestRealEncryption(t *testing.T) {
	w := e2e.NewWorld(t, e2e.Options{
		Agents: 3, AgentResources: e2e.RealAgentResources(3), Tarball: e2e.RealTarball(t), ExecutorEnv: e2e.RealExecutorEnv(),
		TaskPollInterval:            time.Second,
		ExecutorShutdownGracePeriod: time.Minute,
		DaemonFlags:                 []string{"--cassandra-cert-validity", "2m"},
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

	// Renewal without a restart: both ports of every node serve a new certificate of its own.
	renewed := time.Now()
	for name, n := range nodes {
		before := map[int]string{}
		for _, port := range []int{7000, 9042} {
			leaf, err := w.TLSPeer(n.GetAddress(), port, nil)
			if err != nil {
				t.Fatalf("%s: TLS on %d: %v", name, port, err)
			}
			before[port] = leaf.SerialNumber.Text(16)
		}
		w.Eventually(3*time.Minute, func() error {
			for _, port := range []int{7000, 9042} {
				leaf, err := w.TLSPeer(n.GetAddress(), port, nil)
				if err != nil {
					return fmt.Errorf("TLS on %d: %w", port, err)
				}
				if leaf.SerialNumber.Text(16) == before[port] {
					return fmt.Errorf("port %d still serves %s", port, before[port])
				}
				if leaf.Subject.CommonName != name+"."+tlsRing+".cassandra" {
					t.Fatalf("%s: port %d serves %q after renewal", name, port, leaf.Subject.CommonName)
				}
			}
			return nil
		}, "%s serving a renewed certificate on 7000 and 9042", name)
	}
	t.Logf("figure: every node served a renewed certificate within %v", time.Since(renewed).Round(time.Millisecond))
	after := expectRingOf(t, w, tlsRing, names...)
	for name, n := range after {
		if n.GetTaskId() != nodes[name].GetTaskId() {
			t.Errorf("%s was relaunched (%s -> %s): renewal must not restart", name, nodes[name].GetTaskId(), n.GetTaskId())
		}
	}
	rs.check(w.CQLTLS(hosts...), gocql.All, "after certificate renewal")
	t.Logf("figure: TestRealEncryption total %v", time.Since(begin).Round(time.Millisecond))
}
