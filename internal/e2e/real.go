package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/internal/cassandrasim"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// RealTarball is the real Apache Cassandra 5.0 distribution `make deps` assembles
// (bin/apache-cassandra-5.0.N-bin.tar.gz in the module root). A test that needs it fails, with the
// command that builds it, when it is missing; it never skips.
func RealTarball(t testing.TB) string {
	t.Helper()
	root, err := cassandrasim.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if src := os.Getenv("CASSMESOS_E2E_SRC"); src != "" {
		root = src
	}
	found, _ := filepath.Glob(filepath.Join(root, "bin", "apache-cassandra-5.*-bin.tar.gz"))
	if len(found) == 0 {
		t.Fatalf("e2e: real Apache Cassandra is not assembled (no bin/apache-cassandra-5.*-bin.tar.gz in %s): run `make deps`", root)
	}
	sort.Strings(found)
	return found[len(found)-1]
}

// RealRingFlags are the `ring create` flags every real-Cassandra test ring takes: the test-speed
// JVM settings (a short ring delay, no wait for gossip to settle, no superuser set-up delay; never
// production defaults), and a JMX port per node from its offer, since all the nodes share this
// machine and real Cassandra binds local JMX to 127.0.0.1.
func RealRingFlags() []string {
	return []string{
		"--jvm-opt=-Dcassandra.ring_delay_ms=2000",
		"--jvm-opt=-Dcassandra.skip_wait_for_gossip_to_settle=0",
		"--jvm-opt=-Dcassandra.superuser_setup_delay_ms=0",
		"--jmx-port-from-offer",
		"--cpus", "0.5", "--mem", "1Gi", "--disk", "1Gi",
	}
}

// RealExecutorEnv is the executors' environment in a real-Cassandra world: every nodetool call
// starts a JVM (about a second of CPU), so the steady health poll is the product's default rather
// than the stand-in worlds' 500 ms.
func RealExecutorEnv() map[string]string {
	return map[string]string{"CASSMESOS_EXECUTOR_HEALTH_INTERVAL": "5s"}
}

// RealAgentResources are the resources of n agents sharing this machine for real Cassandra: the
// static Cassandra ports, and each agent its own range of further ports, as separate hosts' agents
// would have (JMX binds 127.0.0.1, so two nodes on one machine must not be offered the same port).
func RealAgentResources(n int) []string {
	out := make([]string, n)
	for i := range n {
		lo := 31000 + 100*i
		out[i] = fmt.Sprintf("cpus:4;mem:8192;disk:65536;ports:[7000-7001,7199-7199,9042-9042,%d-%d]", lo, lo+99)
	}
	return out
}

// Nodes are a ring's nodes as the daemon reports them, by name.
func (w *World) Nodes(ring string) map[string]*cassmesosv1.Node {
	w.t.Helper()
	out := map[string]*cassmesosv1.Node{}
	for _, n := range w.Ring(ring).GetNodes() {
		out[n.GetName()] = n
	}
	return out
}

// NodeStatus runs the real `nodetool status` on the node (through its local JMX port, as an
// operator on its host would) and parses it with the executor's parser. raw is nodetool's output.
func (w *World) NodeStatus(n *cassmesosv1.Node) (st *nodetool.Status, raw string, err error) {
	w.t.Helper()
	if n.GetJmxPort() == 0 {
		return nil, "", fmt.Errorf("node %s has no JMX port yet", n.GetName())
	}
	out, errOut, code := w.NodetoolJMX("127.0.0.1", int(n.GetJmxPort()), "status")
	if code != 0 {
		return nil, out, fmt.Errorf("nodetool status on %s: exit %d: %s%s", n.GetName(), code, out, errOut)
	}
	st, err = nodetool.ParseStatus(out)
	return st, out, err
}

// StatusCodesOf is the status's two-letter code (UN, DN, UJ, ...) by address.
func StatusCodesOf(st *nodetool.Status) map[string]string {
	out := map[string]string{}
	for _, n := range st.All() {
		out[n.Host()] = n.Code()
	}
	return out
}

// CQL opens a session to the given node addresses (port 9042). Closed with the test.
func (w *World) CQL(hosts ...string) *gocql.Session {
	w.t.Helper()
	var s *gocql.Session
	w.Eventually(2*time.Minute, func() error {
		c := gocql.NewCluster(hosts...)
		c.Port = 9042
		c.Timeout = 20 * time.Second
		c.ConnectTimeout = 10 * time.Second
		c.ProtoVersion = 4
		c.DisableInitialHostLookup = false
		c.ReconnectInterval = time.Second
		c.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 3}
		var err error
		s, err = c.CreateSession()
		return err
	}, "a CQL session to %s", strings.Join(hosts, ","))
	w.t.Cleanup(s.Close)
	return s
}

// ExecCQL runs a CQL statement with retries (schema changes and writes may time out on a loaded
// machine; every statement the tests send is idempotent).
func (w *World) ExecCQL(s *gocql.Session, c gocql.Consistency, stmt string, args ...any) {
	w.t.Helper()
	w.Eventually(2*time.Minute, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return s.Query(stmt, args...).Consistency(c).Idempotent(true).WithContext(ctx).Exec()
	}, "CQL %q", stmt)
}
