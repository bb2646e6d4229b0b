package realcassandra

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/internal/e2e"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestMain(m *testing.M) { e2e.Main(m) }

const (
	ring   = "real"
	agents = 6
)

// rows tracks what the test has written: every row must read back after every step.
type rows struct {
	w    *e2e.World
	t    *testing.T
	next int
	vals map[int]string
}

func (r *rows) write(s *gocql.Session, n int) {
	r.t.Helper()
	for range n {
		id := r.next
		v := fmt.Sprintf("row-%d-%d", id, time.Now().UnixNano())
		r.w.ExecCQL(s, gocql.Quorum, "INSERT INTO ks.rows (id, v) VALUES (?, ?)", id, v)
		r.vals[id] = v
		r.next++
	}
}

// check reads every row written so far at consistency c and fails on a missing or wrong one.
func (r *rows) check(s *gocql.Session, c gocql.Consistency, step string) {
	r.t.Helper()
	ids := make([]int, 0, len(r.vals))
	for id := range r.vals {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	lost := 0
	for _, id := range ids {
		var got string
		r.w.Eventually(time.Minute, func() error {
			err := s.Query("SELECT v FROM ks.rows WHERE id = ?", id).Consistency(c).Scan(&got)
			if err == gocql.ErrNotFound {
				got = ""
				return nil
			}
			return err
		}, "reading row %d at %v", id, c)
		if got != r.vals[id] {
			lost++
			if lost <= 5 {
				r.t.Errorf("%s: row %d at %v = %q, want %q", step, id, c, got, r.vals[id])
			}
		}
	}
	if lost > 0 {
		r.t.Fatalf("%s: %d of %d rows lost or wrong", step, lost, len(ids))
	}
	r.t.Logf("%s: all %d rows read back at %v", step, len(ids), c)
}

func cli(t *testing.T, w *e2e.World, args ...string) string {
	t.Helper()
	begin := time.Now()
	out, errOut, code := w.CLI(args...)
	if code != 0 {
		t.Fatalf("cassmesos %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	t.Logf("cassmesos %s: %v", strings.Join(args, " "), time.Since(begin).Round(time.Millisecond))
	return out
}

func agentOf(w *e2e.World, addr string) int {
	for i := range agents {
		if w.AgentIP(i) == addr {
			return i
		}
	}
	return -1
}

// expectRing waits until the daemon reports exactly the named nodes UN and the real nodetool
// status of every one of them lists exactly their addresses, all UN.
func expectRing(t *testing.T, w *e2e.World, names ...string) map[string]*cassmesosv1.Node {
	t.Helper()
	return expectRingOf(t, w, ring, names...)
}

// expectRingOf is expectRing for the ring named r.
func expectRingOf(t *testing.T, w *e2e.World, r string, names ...string) map[string]*cassmesosv1.Node {
	t.Helper()
	var nodes map[string]*cassmesosv1.Node
	w.Eventually(5*time.Minute, func() error {
		nodes = w.Nodes(r)
		var want []string
		for _, name := range names {
			n, ok := nodes[name]
			if !ok {
				return fmt.Errorf("daemon does not list %s", name)
			}
			if n.GetLiveness() != cassmesosv1.Liveness_LIVENESS_UP || n.GetMode() != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
				return fmt.Errorf("daemon shows %s as %s/%s", name, n.GetLiveness(), n.GetMode())
			}
			want = append(want, n.GetAddress())
		}
		sort.Strings(want)
		for _, name := range names {
			st, raw, err := w.NodeStatus(nodes[name])
			if err != nil {
				return err
			}
			codes := e2e.StatusCodesOf(st)
			var got []string
			for addr, code := range codes {
				if code != "UN" {
					return fmt.Errorf("nodetool status on %s shows %s %s:\n%s", name, code, addr, raw)
				}
				got = append(got, addr)
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				return fmt.Errorf("nodetool status on %s lists %v, want %v", name, got, want)
			}
		}
		return nil
	}, "nodes %v UN in the daemon and in every node's nodetool status", names)
	return nodes
}

// The real tier: one ring of real Apache Cassandra 5.0 taken through every lifecycle step, with
// rows written at QUORUM and read back at ALL (QUORUM while a node is down) after each step, and
// every node's own nodetool status checked.
func TestRealRingLifecycle(t *testing.T) {
	w := e2e.NewWorld(t, e2e.Options{
		Agents: agents, AgentResources: e2e.RealAgentResources(agents), Tarball: e2e.RealTarball(t), ExecutorEnv: e2e.RealExecutorEnv(),
		TaskPollInterval:            time.Second,
		ExecutorShutdownGracePeriod: time.Minute,
	})
	rs := &rows{w: w, t: t, vals: map[int]string{}}

	// Create: 3 nodes, 2 seeds.
	begin := time.Now()
	// Plaintext: Cassandra encryption has its own ring in TestRealEncryption (tls_test.go).
	create := []string{"ring", "create", ring, "--nodes", "3", "--seeds", "2", "--num-tokens", "4", "--wait", "--timeout", "8m"}
	cli(t, w, append(create, e2e.RealRingFlags()...)...)
	t.Logf("figure: ring create --nodes 3 --wait to 3 UN: %v", time.Since(begin).Round(time.Millisecond))
	nodes := expectRing(t, w, "real-0", "real-1", "real-2")
	if !nodes["real-0"].GetSeed() || !nodes["real-1"].GetSeed() || nodes["real-2"].GetSeed() {
		t.Fatalf("seeds: real-0 %v real-1 %v real-2 %v, want the first two", nodes["real-0"].GetSeed(), nodes["real-1"].GetSeed(), nodes["real-2"].GetSeed())
	}
	jmx := map[uint32]string{}
	for name, n := range nodes {
		if other, dup := jmx[n.GetJmxPort()]; dup {
			t.Fatalf("%s and %s share JMX port %d", name, other, n.GetJmxPort())
		}
		jmx[n.GetJmxPort()] = name
	}

	cql := w.CQL
	s := cql(nodes["real-0"].GetAddress(), nodes["real-1"].GetAddress())
	w.ExecCQL(s, gocql.All, "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	w.ExecCQL(s, gocql.All, "CREATE TABLE IF NOT EXISTS ks.rows (id int PRIMARY KEY, v text)")
	rs.write(s, 100)
	rs.check(s, gocql.All, "create")

	// Scale to 4; cleanup after the growth; a segmented, full, parallel repair.
	begin = time.Now()
	cli(t, w, "ring", "scale", ring, "--nodes", "4", "--wait", "--timeout", "6m")
	t.Logf("figure: ring scale 3 -> 4 --wait: %v", time.Since(begin).Round(time.Millisecond))
	nodes = expectRing(t, w, "real-0", "real-1", "real-2", "real-3")
	rs.check(s, gocql.All, "scale to 4")
	rs.write(s, 50)
	captureGolden(t, w, nodes["real-3"])

	cli(t, w, "cleanup", "run", ring, "--keyspace", "ks", "--wait", "--timeout", "6m")
	rs.check(s, gocql.All, "cleanup")

	out := cli(t, w, "repair", "run", ring, "--keyspace", "ks", "--full", "--parallel", "2", "--segments-per-node", "2",
		"--wait", "--timeout", "8m", "-o", "json")
	checkRepair(t, w, out)
	rs.check(s, gocql.All, "repair")

	// Decommission a chosen seed: another node takes over as seed, and every node's seed list is
	// rewritten and reloaded (nodetool reloadseeds) without a restart.
	gone := nodes["real-1"].GetAddress()
	begin = time.Now()
	cli(t, w, "node", "decommission", "real-1", "--wait", "--timeout", "6m")
	t.Logf("figure: node decommission of a seed --wait: %v", time.Since(begin).Round(time.Millisecond))
	nodes = expectRing(t, w, "real-0", "real-2", "real-3")
	if _, still := w.Nodes(ring)["real-1"]; still {
		t.Errorf("real-1 is still listed after its decommission")
	}
	for _, n := range nodes {
		st, _, err := w.NodeStatus(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := st.Node(gone); ok {
			t.Errorf("nodetool status on %s still lists the decommissioned %s", n.GetName(), gone)
		}
	}
	rs.check(s, gocql.All, "decommission")
	checkSeeds(t, w, nodes, "real-1")

	// Restart one node; then a rolling update of a JVM option.
	hostID := nodes["real-2"].GetHostId()
	begin = time.Now()
	cli(t, w, "node", "restart", "real-2", "--wait", "--timeout", "5m")
	t.Logf("figure: node restart --wait: %v", time.Since(begin).Round(time.Millisecond))
	nodes = expectRing(t, w, "real-0", "real-2", "real-3")
	if nodes["real-2"].GetHostId() != hostID {
		t.Errorf("real-2's host ID changed across a restart: %s -> %s", hostID, nodes["real-2"].GetHostId())
	}
	rs.check(s, gocql.All, "node restart")

	marker := "-Dcassmesos.e2e.rolled=" + strconv.FormatInt(time.Now().Unix(), 10)
	jvm := []string{"ring", "update", ring, "--wait", "--timeout", "8m"}
	for _, f := range e2e.RealRingFlags() {
		if strings.HasPrefix(f, "--jvm-opt=") {
			jvm = append(jvm, f)
		}
	}
	begin = time.Now()
	cli(t, w, append(jvm, "--jvm-opt="+marker)...)
	t.Logf("figure: rolling ring update of the JVM options (3 nodes) --wait: %v", time.Since(begin).Round(time.Millisecond))
	nodes = expectRing(t, w, "real-0", "real-2", "real-3")
	if n := countJVMsWith(t, marker); n != 3 {
		t.Errorf("%d Cassandra JVMs run with %s after the rolling update, want 3", n, marker)
	}
	rs.check(s, gocql.All, "rolling JVM option update")

	// Replace real-3, then the seed real-0, each after its agent was killed.
	for _, name := range []string{"real-3", "real-0"} {
		old := nodes[name]
		w.KillAgent(agentOf(w, old.GetAddress()))
		var live []*cassmesosv1.Node
		for _, n := range nodes {
			if n.GetName() != name {
				live = append(live, n)
			}
		}
		w.Eventually(3*time.Minute, func() error {
			st, _, err := w.NodeStatus(live[0])
			if err != nil {
				return err
			}
			if c := e2e.StatusCodesOf(st)[old.GetAddress()]; c != "DN" {
				return fmt.Errorf("%s is %q in %s's nodetool status", old.GetAddress(), c, live[0].GetName())
			}
			return nil
		}, "%s DN in the live nodes' view", name)
		rs.check(s, gocql.Quorum, name+" down")
		begin = time.Now()
		// Refused (exit 5) until the daemon's view, refreshed by the live executors' nodetool
		// status, shows the node down; then accepted and waited for.
		w.Eventually(3*time.Minute, func() error {
			out, errOut, code := w.CLI("node", "replace", name, "--wait", "--timeout", "8m")
			if code != 0 {
				t.Logf("node replace %s: exit %d: %s", name, code, strings.TrimSpace(out+errOut))
				return fmt.Errorf("exit %d: %s%s", code, out, errOut)
			}
			return nil
		}, "node replace %s", name)
		t.Logf("figure: node replace %s --wait: %v", name, time.Since(begin).Round(time.Millisecond))
		nodes = expectRing(t, w, "real-0", "real-2", "real-3")
		if nodes[name].GetAddress() == old.GetAddress() {
			t.Fatalf("%s still has its old address %s", name, old.GetAddress())
		}
		if old.GetSeed() {
			// A lost seed hands its role to a live node before it is replaced.
			checkSeeds(t, w, nodes, name)
		} else {
			checkSeeds(t, w, nodes)
		}
		for _, n := range nodes {
			st, _, err := w.NodeStatus(n)
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := st.Node(old.GetAddress()); ok {
				t.Errorf("nodetool status on %s still lists the replaced %s as %s", n.GetName(), old.GetAddress(), c.Code())
			}
		}
		if name == "real-0" {
			s = cql(nodes["real-2"].GetAddress(), nodes["real-3"].GetAddress())
		}
		rs.check(s, gocql.All, "replace "+name)
	}
	rs.write(s, 20)
	rs.check(s, gocql.All, "end")
}

// checkEncryption: the ring runs with internode_encryption all and client encryption required
// (every node UN in every node's nodetool status, so the peers talk TLS to each other), each
// node's storage and native ports serve TLS with its own certificate of the world's CA, a
// plaintext CQL client is refused, and the key files are 0600.
func checkEncryption(t *testing.T, w *e2e.World, r string, nodes map[string]*cassmesosv1.Node) {
	t.Helper()
	for name, n := range nodes {
		for _, port := range []int{7000, 9042} {
			leaf, err := w.TLSPeer(n.GetAddress(), port, nil)
			if err != nil {
				t.Fatalf("%s: TLS on port %d: %v", name, port, err)
			}
			if leaf.Subject.CommonName != name+"."+r+".cassandra" {
				t.Errorf("%s: port %d serves %q, want the node's own certificate", name, port, leaf.Subject.CommonName)
			}
		}
		if err := w.CQLPlaintextRefused(n.GetAddress()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	files := 0
	_ = filepath.WalkDir(w.Dir(), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (d.Name() != "cassandra-tls.pem" && d.Name() != "cassandra-ca.pem") {
			return nil
		}
		files++
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", p, st.Mode().Perm(), err)
		}
		return nil
	})
	if files < 2*len(nodes) {
		t.Errorf("found %d TLS files in the sandboxes, want at least %d", files, 2*len(nodes))
	}
	t.Logf("encryption: %d nodes serve TLS on 7000 and 9042 with their own certificates; plaintext CQL refused; %d key files 0600", len(nodes), files)
}

// checkRepair checks a finished repair's JSON summary and its segments.
func checkRepair(t *testing.T, w *e2e.World, out string) {
	t.Helper()
	var resp struct {
		Operation struct {
			ID    string `json:"id"`
			Phase string `json:"phase"`
		} `json:"operation"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil || resp.Operation.ID == "" {
		t.Fatalf("repair run -o json: %v\n%s", err, out)
	}
	op := resp.Operation
	if op.Phase != "OPERATION_PHASE_SUCCEEDED" {
		t.Fatalf("repair %s is %s", op.ID, op.Phase)
	}
	st := cli(t, w, "repair", "status", op.ID, "--segments", "-o", "json")
	var rep struct {
		Segments []struct {
			Phase string `json:"phase"`
		} `json:"segments"`
	}
	if err := json.Unmarshal([]byte(st), &rep); err != nil {
		t.Fatalf("repair status -o json: %v\n%s", err, st)
	}
	if len(rep.Segments) == 0 {
		t.Fatalf("repair %s has no segments:\n%s", op.ID, st)
	}
	for i, seg := range rep.Segments {
		if seg.Phase != "STEP_PHASE_DONE" {
			t.Errorf("segment %d is %s", i, seg.Phase)
		}
	}
	t.Logf("repair %s: %d segments", op.ID, len(rep.Segments))
}

// countJVMsWith counts running Cassandra JVMs whose command line has arg.
func countJVMsWith(t *testing.T, arg string) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	n := 0
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if slices.Contains(args, "org.apache.cassandra.service.CassandraDaemon") && slices.Contains(args, arg) {
			n++
		}
	}
	return n
}

// captureGolden runs the nodetool commands whose output the executor parses against a real node,
// checks each with the executor's parser, and, when CASSMESOS_GOLDEN_DIR is set, writes the raw
// outputs there (executor/nodetool/testdata/real-5.0 holds the committed ones).
func captureGolden(t *testing.T, w *e2e.World, n *cassmesosv1.Node) {
	t.Helper()
	port := int(n.GetJmxPort())
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := w.NodetoolJMX("127.0.0.1", port, args...)
		if code != 0 {
			t.Fatalf("nodetool %s: exit %d: %s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	outs := map[string]string{}
	outs["status"] = run("status")
	outs["status-ks"] = run("status", "ks")
	outs["info"] = run("info")
	outs["netstats"] = run("netstats")
	outs["describering-ks"] = run("describering", "ks")
	outs["describecluster"] = run("describecluster")
	outs["ring"] = run("ring")
	outs["version"] = run("version")
	outs["statusbinary"] = run("statusbinary")
	outs["statusgossip"] = run("statusgossip")

	st, err := nodetool.ParseStatus(outs["status"])
	if err != nil || len(st.All()) != 4 {
		t.Errorf("ParseStatus of real output: %v, %d nodes\n%s", err, len(st.All()), outs["status"])
	}
	if info, err := nodetool.ParseInfo(outs["info"]); err != nil || info.ID != n.GetHostId() {
		t.Errorf("ParseInfo of real output: %v (%+v), want host ID %s\n%s", err, info, n.GetHostId(), outs["info"])
	}
	if ns, err := nodetool.ParseNetstats(outs["netstats"]); err != nil || ns.Mode != "NORMAL" {
		t.Errorf("ParseNetstats of real output: %v %+v\n%s", err, ns, outs["netstats"])
	}
	rd, err := nodetool.ParseDescribeRing(outs["describering-ks"])
	if err != nil || len(rd.Ranges) != 16 {
		t.Errorf("ParseDescribeRing of real output: %v, want 16 ranges (4 nodes x 4 tokens)\n%s", err, outs["describering-ks"])
	} else {
		// A subrange repair runs on one of the range's replicas ("Nothing to repair for ... in ks"
		// elsewhere): take the first range this node replicates.
		r := rd.Ranges[0]
		for _, c := range rd.Ranges {
			if slices.Contains(c.Endpoints, n.GetAddress()) {
				r = c
				break
			}
		}
		if len(r.Endpoints) != 3 {
			t.Errorf("range %s..%s has %d endpoints, want 3 (RF 3)", r.Start, r.End, len(r.Endpoints))
		}
		out, errOut, code := w.NodetoolJMX("127.0.0.1", port, "repair", "--full", "-st", r.Start, "-et", r.End, "ks")
		if code != 0 {
			t.Errorf("nodetool repair of one range: exit %d: %s%s", code, out, errOut)
		}
		outs["repair-full-subrange"] = out
		events := 0
		for line := range strings.SplitSeq(out, "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			if _, err := nodetool.ParseRepairLine(line); err != nil {
				t.Errorf("ParseRepairLine(%q): %v", line, err)
			}
			events++
		}
		if events == 0 {
			t.Errorf("nodetool repair printed nothing")
		}
	}
	if cd, err := nodetool.ParseDescribeCluster(outs["describecluster"]); err != nil || len(cd.SchemaVersions) != 1 {
		t.Errorf("ParseDescribeCluster of real output: %v %+v\n%s", err, cd, outs["describecluster"])
	}
	if _, err := nodetool.ParseRing(outs["ring"]); err != nil {
		t.Errorf("ParseRing of real output: %v\n%s", err, outs["ring"])
	}
	if v, err := nodetool.ParseVersion(outs["version"]); err != nil || !strings.HasPrefix(v, "5.0") {
		t.Errorf("ParseVersion of real output: %q %v", v, err)
	}
	if dir := os.Getenv("CASSMESOS_GOLDEN_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, out := range outs {
			if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("wrote %d real nodetool outputs to %s", len(outs), dir)
	}
}
