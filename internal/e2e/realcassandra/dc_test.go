package realcassandra

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/internal/e2e"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// dcSession opens a CQL session whose coordinators are only the nodes of data centre dc
// (DC-aware policy and a data-centre host filter), so LOCAL_QUORUM means dc's replicas.
func dcSession(t *testing.T, w *e2e.World, dc string, hosts ...string) *gocql.Session {
	t.Helper()
	var s *gocql.Session
	w.Eventually(2*time.Minute, func() error {
		c := gocql.NewCluster(hosts...)
		c.Port = 9042
		c.Timeout = 20 * time.Second
		c.ConnectTimeout = 10 * time.Second
		c.ProtoVersion = 4
		c.PoolConfig.HostSelectionPolicy = gocql.DCAwareRoundRobinPolicy(dc)
		c.HostFilter = gocql.DataCentreHostFilter(dc)
		c.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 3}
		var err error
		s, err = c.CreateSession()
		return err
	}, "a CQL session to data centre %s", dc)
	t.Cleanup(s.Close)
	return s
}

// Issue 16 on real Cassandra 5.0: a 3-node ring (one data centre, dc1) with rows written at
// QUORUM into a NetworkTopologyStrategy {dc1: 3} keyspace gets a second data centre (dc2, one
// node) with `cassmesos dc add`: the node joins without streaming, the rebuild waits until the
// keyspace replicates to dc2 (ALTER KEYSPACE), then streams it, and every row reads back at
// LOCAL_QUORUM through a dc2 coordinator.
func TestRealAddDataCenter(t *testing.T) {
	w := e2e.NewWorld(t, e2e.Options{
		Agents: 4, AgentResources: e2e.RealAgentResources(4), Tarball: e2e.RealTarball(t), ExecutorEnv: e2e.RealExecutorEnv(),
		TaskPollInterval:            time.Second,
		ExecutorShutdownGracePeriod: time.Minute,
	})
	start := time.Now()
	rs := &rows{w: w, t: t, vals: map[int]string{}}
	// No --wait: the harness gives a CLI call 5 minutes, which 3 real nodes may need on a loaded
	// 2-core machine; the ring is waited for here instead.
	cli(t, w, append([]string{"ring", "create", ring, "--dc", "dc1=3", "--num-tokens", "4"}, e2e.RealRingFlags()...)...)
	w.Eventually(15*time.Minute, func() error {
		r := w.Ring(ring).GetRing()
		if r.GetStatus().GetPhase() != cassmesosv1.RingPhase_RING_PHASE_HEALTHY || r.GetStatus().GetReadyNodes() != 3 {
			return fmt.Errorf("ring is %s with %d ready nodes", r.GetStatus().GetPhase(), r.GetStatus().GetReadyNodes())
		}
		return nil
	}, "the ring to be HEALTHY with 3 ready nodes")
	t.Logf("figure: ring create --dc dc1=3 to HEALTHY: %v", time.Since(start).Round(time.Millisecond))
	nodes := expectRing(t, w, "real-0", "real-1", "real-2")
	for name, n := range nodes {
		if n.GetDatacenter() != "dc1" {
			t.Fatalf("%s is in data centre %q, want dc1", name, n.GetDatacenter())
		}
	}
	s := w.CQL(nodes["real-0"].GetAddress(), nodes["real-1"].GetAddress())
	w.ExecCQL(s, gocql.All, "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}")
	w.ExecCQL(s, gocql.All, "CREATE TABLE IF NOT EXISTS ks.rows (id int PRIMARY KEY, v text)")
	rs.write(s, 100)
	t.Logf("figure: 3-node ring created and 100 rows written: %v", time.Since(start).Round(time.Millisecond))

	begin := time.Now()
	cli(t, w, "dc", "add", ring, "dc2", "--nodes", "1", "--source", "dc1")
	w.Eventually(10*time.Minute, func() error {
		n := w.Nodes(ring)["real-3"]
		if n.GetLiveness() != cassmesosv1.Liveness_LIVENESS_UP || n.GetMode() != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
			return fmt.Errorf("real-3 is %s/%s", n.GetLiveness(), n.GetMode())
		}
		if n.GetDatacenter() != "dc2" {
			return fmt.Errorf("real-3 is in %q", n.GetDatacenter())
		}
		return nil
	}, "real-3 (dc2) to join")
	t.Logf("figure: dc add to the dc2 node UN (joined without streaming): %v", time.Since(begin).Round(time.Millisecond))
	w.ExecCQL(s, gocql.All, "ALTER KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 1}")
	w.Eventually(10*time.Minute, func() error {
		ops, err := w.Operations(ring)
		if err != nil {
			return err
		}
		for _, o := range ops {
			if o.GetKind() != cassmesosv1.OperationKind_OPERATION_KIND_ADD_DATACENTER {
				continue
			}
			switch o.GetPhase() {
			case cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED:
				return nil
			}
			var msgs []string
			for _, st := range o.GetSteps() {
				msgs = append(msgs, st.GetName()+": "+st.GetMessage())
			}
			if o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED {
				t.Fatalf("ADD_DATACENTER failed: %s", strings.Join(msgs, "; "))
			}
			return fmt.Errorf("ADD_DATACENTER is %s (%s)", o.GetPhase(), strings.Join(msgs, "; "))
		}
		return fmt.Errorf("no ADD_DATACENTER operation")
	}, "the ADD_DATACENTER operation to succeed")
	t.Logf("figure: dc add (1 node, rebuild of 100 rows) to SUCCEEDED: %v", time.Since(begin).Round(time.Millisecond))
	nodes = expectRing(t, w, "real-0", "real-1", "real-2", "real-3")
	st, raw, err := w.NodeStatus(nodes["real-3"])
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := st.Node(nodes["real-3"].GetAddress()); !ok || n.Datacenter != "dc2" || !strings.Contains(raw, "Datacenter: dc1") {
		t.Fatalf("nodetool status on real-3 does not show it in dc2 beside dc1:\n%s", raw)
	}
	// dc1's nodes were sent the seed list naming dc2's seed (nodetool reloadseeds).
	for _, name := range []string{"real-0", "real-2"} {
		out, errOut, code := w.NodetoolJMX("127.0.0.1", int(nodes[name].GetJmxPort()), "getseeds")
		if code != 0 {
			t.Fatalf("nodetool getseeds on %s: exit %d %s%s", name, code, out, errOut)
		}
		seeds, err := nodetool.ParseSeeds(out)
		if err != nil || !slices.Contains(seeds, nodes["real-3"].GetAddress()) {
			t.Errorf("nodetool getseeds on %s: %v (%v), want dc2's seed %s among them", name, seeds, err, nodes["real-3"].GetAddress())
		}
	}
	s2 := dcSession(t, w, "dc2", nodes["real-3"].GetAddress())
	rs.check(s2, gocql.LocalQuorum, "read from dc2 after dc add")
	t.Logf("figure: TestRealAddDataCenter total %v", time.Since(start).Round(time.Millisecond))
}
