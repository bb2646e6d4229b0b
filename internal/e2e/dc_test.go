package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// dcOf maps each node of the ring to its data centre as the daemon records it.
func dcOf(w *World, ring string) map[string]string {
	out := map[string]string{}
	for _, n := range w.Ring(ring).GetNodes() {
		out[n.GetName()] = n.GetDatacenter()
	}
	return out
}

// statusDCs is what a node's nodetool status says: each UN address's data centre.
func statusDCs(t *testing.T, w *World, addr string) map[string]string {
	t.Helper()
	out, errOut, code := w.Nodetool(addr, "status")
	if code != 0 {
		t.Fatalf("nodetool status on %s: exit %d %s%s", addr, code, out, errOut)
	}
	st, err := nodetool.ParseStatus(out)
	if err != nil {
		t.Fatalf("nodetool status on %s: %v\n%s", addr, err, out)
	}
	m := map[string]string{}
	for _, n := range st.All() {
		if n.Code() == "UN" {
			m[n.Host()] = n.Datacenter
		}
	}
	return m
}

// Issue 16, data centres on the stand-in: a ring of two data centres comes up with each node in
// its data centre (nodetool status has a section per data centre); a third one is added while the
// daemon is killed in the middle of its rebuilds (the restarted daemon finishes without a new node
// slot or a second task for a node); removing it is refused while a keyspace replicates to it and
// done once the keyspace no longer does.
func TestDataCentersAddRemove(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 5, CassandraKnobs: map[string]string{"cleanup_duration": "3s"}})
	args := append([]string{"ring", "create", "multi", "--dc", "dc1=2", "--dc", "dc2=1"}, nodeSize...)
	if out, errOut, code := w.CLI(append(args, "--wait", "--timeout", "4m")...); code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "multi", 3, 2*time.Minute)
	if got := dcOf(w, "multi"); got["multi-0"] != "dc1" || got["multi-1"] != "dc1" || got["multi-2"] != "dc2" {
		t.Fatalf("data centres %v", got)
	}
	ring := w.Ring("multi")
	if sp := ring.GetRing().GetSpec(); sp.GetNodes() != 3 || len(sp.GetDataCenters()) != 2 {
		t.Fatalf("spec %v", sp)
	}
	first := ring.GetNodes()[0].GetAddress()
	byAddr := statusDCs(t, w, first)
	for _, n := range ring.GetNodes() {
		if byAddr[n.GetAddress()] != n.GetDatacenter() {
			t.Errorf("nodetool status puts %s in %q, the daemon in %q", n.GetName(), byAddr[n.GetAddress()], n.GetDatacenter())
		}
	}
	out, _, code := w.Nodetool(first, "status")
	if code != 0 || !strings.Contains(out, "Datacenter: dc1") || !strings.Contains(out, "Datacenter: dc2") {
		t.Fatalf("nodetool status lacks a section per data centre:\n%s", out)
	}
	// node list shows each node's data centre.
	if out, errOut, code := w.CLI("node", "list", "--ring", "multi"); code != 0 || !strings.Contains(out, "DC") || !strings.Contains(out, "dc2") {
		t.Fatalf("node list: exit %d\n%s%s", code, out, errOut)
	}

	// Add dc3 with one node; kill the daemon while its rebuild runs.
	if out, errOut, code := w.CLI("dc", "add", "multi", "dc3", "--nodes", "1", "--source", "dc1"); code != 0 {
		t.Fatalf("dc add: exit %d\n%s%s", code, out, errOut)
	}
	// The new node joins; its rebuild waits until a keyspace replicates to dc3.
	w.WaitFor(2*time.Minute, func() bool {
		for _, o := range w.Ring("multi").GetNodes() {
			if o.GetDatacenter() == "dc3" && o.GetLiveness() == cassmesosv1.Liveness_LIVENESS_UP && o.GetMode() == cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
				return true
			}
		}
		return false
	}, "dc3's node to be UN")
	w.WaitFor(time.Minute, func() bool {
		ops, err := w.Operations("multi")
		if err != nil {
			return false
		}
		for _, o := range ops {
			if o.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_ADD_DATACENTER {
				for _, st := range o.GetSteps() {
					if strings.Contains(st.GetMessage(), "no keyspace replicates to data centre dc3") {
						return true
					}
				}
			}
		}
		return false
	}, "the rebuild to wait for a keyspace replicating to dc3")
	for _, a := range w.ActionLog() {
		if a.Action == "rebuild" {
			t.Fatalf("rebuilt before any keyspace replicated to dc3: %+v", a)
		}
	}
	if err := w.Cqlsh(first, "CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2, 'dc3': 1}"); err != nil {
		t.Fatal(err)
	}
	w.WaitFor(2*time.Minute, func() bool {
		for _, a := range w.ActionLog() {
			if a.Action == "rebuild" && a.Status == "started" {
				return true
			}
		}
		return false
	}, "a rebuild to start")
	w.KillDaemon()
	w.StartDaemon()
	w.WaitFor(2*time.Minute, func() bool {
		ops, err := w.Operations("multi")
		if err != nil {
			return false
		}
		for _, o := range ops {
			if o.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_ADD_DATACENTER {
				return o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED
			}
		}
		return false
	}, "the ADD_DATACENTER operation to succeed")
	waitHealthy(w, "multi", 4, time.Minute)
	got := dcOf(w, "multi")
	if len(got) != 4 || got["multi-3"] != "dc3" {
		t.Fatalf("after dc add: %v", got)
	}
	checkOneTaskPerNode(t, w.TaskHistory(), 4, true)
	// Every node's seed list names the seeds of all three data centres (2 + 1 + 1).
	checkSeedLists(t, w, "multi", 4)
	var rebuilds []string
	for _, a := range w.ActionLog() {
		if a.Action == "rebuild" && a.Status == "ok" {
			rebuilds = append(rebuilds, a.Target)
		}
		if a.Action == "bootstrap" && a.Node == w.Ring("multi").GetNodes()[3].GetAddress() {
			t.Errorf("the new data centre's node bootstrapped (streamed) instead of joining: %+v", a)
		}
	}
	if len(rebuilds) == 0 || slices.ContainsFunc(rebuilds, func(s string) bool { return s != "dc1" }) {
		t.Fatalf("rebuilds from %v, want dc1", rebuilds)
	}

	// app replicating to dc3 makes dc remove refuse; after ALTER it goes through.
	out, errOut, code := w.CLI("dc", "remove", "multi", "dc3", "--wait")
	if code == 0 || !strings.Contains(errOut, "app") || !strings.Contains(errOut, "dc3") {
		t.Fatalf("dc remove with app replicating to dc3: exit %d\n%s%s", code, out, errOut)
	}
	if n := len(w.Ring("multi").GetNodes()); n != 4 {
		t.Fatalf("a refused dc remove changed the ring: %d nodes", n)
	}
	if err := w.Cqlsh(first, "ALTER KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2}"); err != nil {
		t.Fatal(err)
	}
	w.WaitFor(30*time.Second, func() bool {
		_, errOut, _ := w.CLI("keyspace", "list", "multi", "-o", "json")
		return errOut == ""
	}, "keyspace list to answer")
	if out, errOut, code := w.CLI("dc", "remove", "multi", "dc3", "--wait", "--timeout", "3m"); code != 0 {
		t.Fatalf("dc remove: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "multi", 3, time.Minute)
	if got := dcOf(w, "multi"); len(got) != 3 || slices.Contains([]string{got["multi-0"], got["multi-1"], got["multi-2"]}, "dc3") {
		t.Fatalf("after dc remove: %v", got)
	}
	for addr, dc := range statusDCs(t, w, first) {
		if dc == "dc3" {
			t.Errorf("nodetool status still shows %s in dc3", addr)
		}
	}
}
