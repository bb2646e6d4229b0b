package e2e

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/internal/cassandrasim"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// Issue 5: creating and deleting rings, end to end.

// smallMem is an agent that cannot hold a 1 GiB node.
const smallMem = "cpus:4;mem:512;disk:65536;ports:[7000-7001,7199-7199,9042-9042,31000-32000]"

var nodeSize = []string{"--cpus", "0.5", "--mem", "1Gi", "--disk", "1Gi"}

func createArgs(name string, nodes, seeds int, extra ...string) []string {
	args := []string{"ring", "create", name, "--nodes", fmt.Sprint(nodes), "--seeds", fmt.Sprint(seeds)}
	return append(append(args, nodeSize...), extra...)
}

// A six-node ring with two seeds comes up through `ring create --wait`: every node's nodetool
// shows six UN, the stand-ins saw seeds first and one bootstrap at a time and refused nothing, the
// agent too small for a node never got one, and `ring delete --wait` leaves nothing behind.
func TestRingCreateSixNodesAndDelete(t *testing.T) {
	t.Parallel()
	// Agent 0 is too small; agents 1..6 take one node each.
	res := []string{smallMem}
	for range 6 {
		res = append(res, DefaultAgentResources)
	}
	w := NewWorld(t, Options{Agents: 7, AgentResources: res})

	out, errOut, code := w.CLI(append(createArgs("demo", 6, 2), "--wait", "--timeout", "3m")...)
	if code != 0 {
		t.Fatalf("ring create --wait: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	ring := w.Ring("demo")
	if ring == nil || len(ring.GetNodes()) != 6 {
		t.Fatalf("GetRing demo after create: %v", ring)
	}
	var addrs, seeds []string
	for _, n := range ring.GetNodes() {
		if n.GetAddress() == "" {
			t.Fatalf("node %s has no address: %v", n.GetName(), n)
		}
		addrs = append(addrs, n.GetAddress())
		if n.GetSeed() {
			seeds = append(seeds, n.GetAddress())
		}
	}
	if len(seeds) != 2 {
		t.Fatalf("seeds %v, want 2", seeds)
	}
	// Every node sees six UN (gossip may need a moment to settle on the last joiner).
	for _, a := range addrs {
		w.WaitFor(15*time.Second, func() bool {
			c, err := w.StatusCodes(a)
			return err == nil && countCode(c, "UN") == 6 && len(c) == 6
		}, "nodetool -h %s status to show six UN", a)
	}

	checkBootstrapOrder(t, w.ActionLog(), seeds, addrs)

	// The small agent never got a task; no node ever had two live tasks.
	h := w.TaskHistory()
	if on := h.TasksOn(w.AgentIP(0)); len(on) > 0 {
		t.Errorf("tasks landed on the agent without enough memory (%s): %v", w.AgentIP(0), on)
	}
	checkOneTaskPerNode(t, h, 6, true)
	for _, a := range addrs {
		if a == w.AgentIP(0) {
			t.Errorf("a node has the small agent's address %s", a)
		}
	}

	// Delete: no task, reservation, volume or ZooKeeper record stays.
	out, errOut, code = w.CLI("ring", "delete", "demo", "--yes", "--wait", "--timeout", "2m")
	if code != 0 {
		t.Fatalf("ring delete --wait: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	w.Eventually(30*time.Second, func() error {
		var left []string
		for _, a := range w.MesosState().Agents {
			for _, tk := range a.Tasks {
				if liveState(tk.State) {
					left = append(left, fmt.Sprintf("%s: task %s %s", a.Hostname, tk.ID, tk.State))
				}
			}
			for _, x := range a.Executors {
				left = append(left, fmt.Sprintf("%s: executor %s", a.Hostname, x))
			}
			for _, r := range a.Reservations {
				left = append(left, fmt.Sprintf("%s: reservation %s", a.Hostname, r))
			}
			for _, v := range a.Volumes {
				left = append(left, fmt.Sprintf("%s: volume %s at %s", a.Hostname, v.PersistenceID, v.HostPath))
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("left behind:\n%s", strings.Join(left, "\n"))
		}
		return nil
	}, "no live task, executor, reservation or volume after delete")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := w.ZK().RingByName(ctx, "demo"); !errors.Is(err, zkstate.ErrNotFound) {
		t.Errorf("ring record after delete: err=%v, want ErrNotFound", err)
	}
	if nodes, err := w.ZK().ListNodes(ctx, "demo"); err != nil && !errors.Is(err, zkstate.ErrNotFound) || len(nodes) > 0 {
		t.Errorf("node records after delete: %d (%v)", len(nodes), err)
	}
	if rings, err := w.ZK().ListRings(ctx); err != nil || len(rings) > 0 {
		t.Errorf("rings in ZooKeeper after delete: %d (%v)", len(rings), err)
	}
	if _, err := w.GetRing("demo"); status.Code(err) != codes.NotFound {
		t.Errorf("GetRing after delete: %v, want NotFound", err)
	}
}

func countCode(c map[string]string, code string) int {
	n := 0
	for _, v := range c {
		if v == code {
			n++
		}
	}
	return n
}

// checkBootstrapOrder checks the stand-ins' action log: nothing refused, every seed started before
// any other node, and no two bootstraps at once.
func checkBootstrapOrder(t *testing.T, acts []cassandrasim.Action, seeds, addrs []string) {
	t.Helper()
	if len(acts) == 0 {
		t.Fatal("the action log is empty")
	}
	isSeed := map[string]bool{}
	for _, s := range seeds {
		isSeed[s] = true
	}
	firstStart := map[string]time.Time{}
	type span struct {
		node       string
		start, end time.Time
	}
	var boots []span
	open := map[string]time.Time{}
	for _, a := range acts {
		if a.Status == "refused" || a.Action == "refused" {
			t.Errorf("a stand-in refused something: %+v", a)
		}
		switch {
		case a.Action == "start" && firstStart[a.Node].IsZero():
			firstStart[a.Node] = a.Time
		case a.Action == "bootstrap" && a.Status == "started":
			open[a.Node] = a.Time
		case a.Action == "bootstrap" && a.Status != "started":
			if a.Status != "ok" {
				t.Errorf("bootstrap of %s ended %s: %s", a.Node, a.Status, a.Error)
			}
			s, e := open[a.Node], a.Time
			if !a.Start.IsZero() {
				s = a.Start
			}
			if !a.End.IsZero() {
				e = a.End
			}
			boots = append(boots, span{a.Node, s, e})
			delete(open, a.Node)
		}
	}
	for n := range open {
		t.Errorf("bootstrap of %s never finished", n)
	}
	for _, a := range addrs {
		if firstStart[a].IsZero() {
			t.Errorf("no start of %s in the action log", a)
		}
	}
	var lastSeed time.Time
	for _, s := range seeds {
		if firstStart[s].After(lastSeed) {
			lastSeed = firstStart[s]
		}
	}
	for _, a := range addrs {
		if !isSeed[a] && !firstStart[a].After(lastSeed) {
			t.Errorf("non-seed %s started at %s, before the last seed started at %s", a,
				firstStart[a].Format(time.StampMilli), lastSeed.Format(time.StampMilli))
		}
	}
	if want := len(addrs) - len(seeds); len(boots) != want {
		t.Errorf("%d bootstraps in the action log, want %d (one per non-seed): %+v", len(boots), want, boots)
	}
	sort.Slice(boots, func(i, j int) bool { return boots[i].start.Before(boots[j].start) })
	for i := 1; i < len(boots); i++ {
		if boots[i].start.Before(boots[i-1].end) {
			t.Errorf("bootstraps overlap: %s [%s, %s] and %s [%s, %s]", boots[i-1].node,
				boots[i-1].start.Format(time.StampMilli), boots[i-1].end.Format(time.StampMilli), boots[i].node,
				boots[i].start.Format(time.StampMilli), boots[i].end.Format(time.StampMilli))
		}
	}
}

// checkOneTaskPerNode: n nodes, never two live tasks for one node, never more than n live at
// once, every node's tasks on one agent (a relaunch lands on its reservation: no node lost), and
// with strict, exactly one task per node.
func checkOneTaskPerNode(t *testing.T, h TaskHistory, n int, strict bool) {
	t.Helper()
	perNode := map[string][]string{}
	for id, r := range h.Tasks {
		perNode[r.Node] = append(perNode[r.Node], id)
	}
	if len(perNode) != n {
		t.Errorf("tasks for %d nodes, want %d: %v", len(perNode), n, perNode)
	}
	for node, ids := range perNode {
		sort.Strings(ids)
		if len(ids) != 1 {
			var states []string
			for _, id := range ids {
				states = append(states, fmt.Sprintf("%s %v", id, h.Tasks[id].States))
			}
			if strict {
				t.Errorf("node %s had %d tasks, want 1: %v", node, len(ids), states)
			} else {
				t.Logf("node %s was relaunched: %v", node, states)
			}
		}
		if h.MaxLivePerNode[node] > 1 || h.MaxRunningPerNode[node] > 1 {
			t.Errorf("node %s had %d live (%d running) tasks at once", node, h.MaxLivePerNode[node], h.MaxRunningPerNode[node])
		}
		if agents := h.AgentsOf(node); len(agents) != 1 {
			t.Errorf("node %s ran on %d agents: %v", node, len(agents), agents)
		}
	}
	if h.MaxLive > n {
		t.Errorf("%d tasks live at once for %d slots", h.MaxLive, n)
	}
}

// upOnSeed counts UN nodes in the first seed's nodetool status (0 while it has none).
func upOnSeed(w *World, ring string) int {
	r := w.Ring(ring)
	for _, n := range r.GetNodes() {
		if n.GetSeed() && n.GetAddress() != "" {
			if c, err := w.StatusCodes(n.GetAddress()); err == nil {
				return countCode(c, "UN")
			}
		}
	}
	return 0
}

func waitHealthy(w *World, ring string, n int, timeout time.Duration) {
	w.t.Helper()
	w.WaitFor(timeout, func() bool {
		r := w.Ring(ring)
		return r.GetRing().GetStatus().GetPhase() == cassmesosv1.RingPhase_RING_PHASE_HEALTHY &&
			r.GetRing().GetStatus().GetReadyNodes() == int32(n)
	}, "ring %s to be HEALTHY with %d ready nodes", ring, n)
	w.WaitFor(15*time.Second, func() bool { return upOnSeed(w, ring) == n }, "%d UN in a seed's nodetool status", n)
}

// kill -9 of the daemon halfway through the bootstrap: a new daemon finishes the ring, with one
// task per node slot throughout and no node lost.
func TestRingCreateSurvivesDaemonKill(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 6, CassandraKnobs: map[string]string{"bootstrap_duration": "2s"}, DaemonFlags: []string{"--log-level", "debug"}})
	out, errOut, code := w.CLI(createArgs("demo", 6, 2)...)
	if code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	w.WaitFor(90*time.Second, func() bool { return upOnSeed(w, "demo") >= 3 }, "3 of 6 nodes UN")
	if up := upOnSeed(w, "demo"); up >= 6 {
		t.Fatalf("the ring finished (%d UN) before the daemon was killed; the test proves nothing", up)
	}
	w.KillDaemon()
	w.StartDaemon()
	waitHealthy(w, "demo", 6, 90*time.Second)
	checkOneTaskPerNode(t, w.TaskHistory(), 6, false)
	for _, n := range w.Ring("demo").GetNodes() {
		if n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_RUNNING {
			t.Errorf("node %s is %s", n.GetName(), n.GetPhase())
		}
	}
	for _, a := range w.ActionLog() {
		if a.Status == "refused" || a.Action == "crash" || a.Action == "replace" || a.Action == "removenode" {
			t.Errorf("action log: %+v", a)
		}
	}
}

// A master failover halfway through the bootstrap: the daemon re-subscribes and the ring completes.
func TestRingCreateSurvivesMasterRestart(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 4, CassandraKnobs: map[string]string{"bootstrap_duration": "2s"}})
	out, errOut, code := w.CLI(createArgs("demo", 4, 2)...)
	if code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	w.WaitFor(90*time.Second, func() bool { return upOnSeed(w, "demo") >= 2 }, "2 of 4 nodes UN")
	masterBefore := w.MesosState().MasterID
	w.RestartMaster()
	if w.MesosState().MasterID == masterBefore {
		t.Fatal("the master ID did not change on restart")
	}
	// The CLI follows the (idempotent) create to its end, as an operator would after the failover.
	out, errOut, code = w.CLI(append(createArgs("demo", 4, 2), "--wait", "--timeout", "2m")...)
	if code != 0 {
		t.Fatalf("ring create --wait after the failover: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 4, time.Minute)
	checkOneTaskPerNode(t, w.TaskHistory(), 4, false)
	for _, f := range w.MesosState().Frameworks {
		if !f.Removed && !f.Connected {
			t.Errorf("framework %s is not connected after the failover", f.ID)
		}
	}
}

// Bad specs are refused with InvalidArgument (exit 2) naming the field, and nothing is written.
func TestRingCreateRejectsBadSpecs(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 1})
	for _, tc := range []struct {
		name  string
		args  []string
		field string // what the error must name
	}{
		{"zero nodes", []string{"ring", "create", "bad", "--nodes", "0"}, "nodes"},
		{"more seeds than nodes", []string{"ring", "create", "bad", "--nodes", "3", "--seeds", "4"}, "seeds"},
		{"unparsable size", []string{"ring", "create", "bad", "--nodes", "3", "--mem", "4Gx"}, "mem"},
		{"unknown constraint operator", []string{"ring", "create", "bad", "--nodes", "3", "--constraint", "rack:NEAR"}, "constraint"},
		{"bad name", []string{"ring", "create", "Bad_Name!", "--nodes", "3"}, "name"},
		// Issue 13: URLs outside the daemon's --artifact-allow list (no probe, nothing fetched).
		{"cassandra url outside the allow-list", []string{"ring", "create", "bad", "--nodes", "3", "--cassandra-url", "http://127.0.0.1:1/apache-cassandra-4.1.5-bin.tar.gz"}, "url"},
		{"file url outside the allow-list", []string{"ring", "create", "bad", "--nodes", "3", "--cassandra-url", "file:///etc/shadow"}, "url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := w.CLI(tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if !strings.Contains(strings.ToLower(errOut), tc.field) {
				t.Errorf("stderr does not name %q:\n%s", tc.field, errOut)
			}
		})
	}

	// The same refusals straight from the server, so they do not depend on the CLI's own checks.
	valid := func() *cassmesosv1.RingSpec {
		return &cassmesosv1.RingSpec{Name: "bad", Nodes: 3, Seeds: 2,
			Resources: &cassmesosv1.Resources{Cpus: 0.5, MemMb: 1024, DiskMb: 1024}}
	}
	rs := cassmesosv1.NewRingServiceClient(w.Conn())
	for _, tc := range []struct {
		name   string
		mutate func(*cassmesosv1.RingSpec)
		field  string
	}{
		{"zero nodes", func(s *cassmesosv1.RingSpec) { s.Nodes = 0 }, "nodes"},
		{"more seeds than nodes", func(s *cassmesosv1.RingSpec) { s.Seeds = 4 }, "seeds"},
		{"unknown constraint operator", func(s *cassmesosv1.RingSpec) {
			s.Constraints = []*cassmesosv1.PlacementConstraint{{Attribute: "rack", Operator: cassmesosv1.ConstraintOperator(42)}}
		}, "constraints"},
		{"bad name", func(s *cassmesosv1.RingSpec) { s.Name = "Bad_Name!" }, "name"},
		{"url outside the allow-list", func(s *cassmesosv1.RingSpec) {
			s.Distribution = &cassmesosv1.Distribution{Url: "http://127.0.0.1:1/apache-cassandra-4.1.5-bin.tar.gz"}
		}, "spec.distribution.url"},
		{"file url outside the allow-list", func(s *cassmesosv1.RingSpec) {
			s.Distribution = &cassmesosv1.Distribution{Url: "file:///etc/shadow"}
		}, "spec.distribution.url"},
		{"java url escaping the allowed tarball with ..", func(s *cassmesosv1.RingSpec) {
			s.Distribution = &cassmesosv1.Distribution{JavaUrl: "file://" + w.Tarball() + "/../../../etc/shadow"}
		}, "spec.distribution.java_url"},
		// Specs the executor would refuse (issue 12, defect 5): refused here, by the same rules.
		{"jvm option with a space", func(s *cassmesosv1.RingSpec) { s.JvmOptions = []string{"-Dfoo=a b"} },
			`spec.jvm_options[0]: "-Dfoo=a b": contains a space`},
		{"cassandra_yaml key the executor owns", func(s *cassmesosv1.RingSpec) {
			s.CassandraYaml = map[string]string{"listen_interface_prefer_ipv6": "true"}
		}, `spec.cassandra_yaml["listen_interface_prefer_ipv6"]: key is owned by cassmesos`},
		{"cassandra_yaml value that is not YAML", func(s *cassmesosv1.RingSpec) { s.CassandraYaml = map[string]string{"authenticator": "[x"} },
			`spec.cassandra_yaml["authenticator"]: "[x": is not YAML`},
	} {
		t.Run("grpc/"+tc.name, func(t *testing.T) {
			spec := valid()
			tc.mutate(spec)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := rs.CreateRing(ctx, &cassmesosv1.CreateRingRequest{Spec: spec})
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("CreateRing: %v, want InvalidArgument", err)
			}
			if !strings.Contains(status.Convert(err).Message(), tc.field) {
				t.Errorf("message does not name %q: %s", tc.field, status.Convert(err).Message())
			}
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rings, err := w.ZK().ListRings(ctx)
	if err != nil && err != zkstate.ErrNotFound {
		t.Fatal(err)
	}
	if len(rings) > 0 {
		t.Errorf("refused specs wrote %d ring records: %v", len(rings), rings)
	}
	if ops, err := w.ZK().ListOperations(ctx); (err != nil && err != zkstate.ErrNotFound) || len(ops) > 0 {
		t.Errorf("refused specs wrote %d operations (%v)", len(ops), err)
	}
	if h := w.TaskHistory(); len(h.Tasks) > 0 {
		t.Errorf("refused specs launched tasks: %v", h.Tasks)
	}
}
