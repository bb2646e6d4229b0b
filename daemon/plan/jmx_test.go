package plan_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// shareHosts puts the world's agents on shared machines, perHost agents each ("box1", "box2",
// …), as several Mesos agents on one host: each agent keeps its own address and gets its own
// port range (31000+100·i to +10), and no agent offers 7199.
func shareHosts(w *plantest.World, perHost int) {
	for i, a := range w.Agents {
		a.Hostname = fmt.Sprintf("box%d", i/perHost+1)
		base := uint64(31000 + 100*i)
		a.Ports = []placement.Range{{Begin: 7000, End: 7001}, {Begin: 9042, End: 9042}, {Begin: base, End: base + 10}}
		ag := w.State.Agents[a.ID]
		ag.Hostname = a.Hostname
		w.State.Agents[a.ID] = ag
	}
}

func jmxFromOffer(sp *cassmesosv1.RingSpec) *cassmesosv1.RingSpec {
	sp.Ports = &cassmesosv1.Ports{JmxFromOffer: true}
	return sp
}

// checkNodeJMX checks every node of the ring against its live task: the recorded JMX port is the
// one in the task's configuration, among the task's port resources, and not the executor's
// port. It returns the JMX ports by node.
func checkNodeJMX(t *testing.T, w *plantest.World, ring string) map[string]uint32 {
	t.Helper()
	out := map[string]uint32{}
	for _, name := range sortedNodeNames(w) {
		n := w.Store.Nodes[name]
		if n.GetRing() != ring {
			continue
		}
		p := w.Procs[n.GetTaskId()]
		if p == nil {
			t.Fatalf("%s: no task %s", name, n.GetTaskId())
		}
		jmx := p.Config.GetPorts().GetJmx()
		if n.GetJmxPort() == 0 || n.GetJmxPort() != jmx || jmx == n.GetAgentPort() || !slices.Contains(p.Ports(), uint64(jmx)) {
			t.Fatalf("%s: recorded JMX port %d, task's %d, agent port %d, task ports %v", name, n.GetJmxPort(), jmx, n.GetAgentPort(), p.Ports())
		}
		out[name] = jmx
	}
	return out
}

func TestJMXPortFromOfferSameHost(t *testing.T) {
	// Two agents on one machine (as in the local world); Cassandra binds JMX on 127.0.0.1, so
	// the ring's two nodes must not share a JMX port. Neither agent offers 7199.
	w := plantest.NewWorld(t, 2, plan.Config{})
	shareHosts(w, 2)
	acc, err := w.Submit(plan.CreateRing{Spec: jmxFromOffer(spec("demo", 2, 1))})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 2 && opDone(w, acc.Operation.GetOperation().GetId()) })
	jmx := checkNodeJMX(t, w, "demo")
	a0, a1 := w.Store.Nodes["demo-0"], w.Store.Nodes["demo-1"]
	if a0.GetHostname() != a1.GetHostname() || a0.GetAgentId() == a1.GetAgentId() {
		t.Fatalf("nodes on %s/%s and %s/%s, want two agents of one host", a0.GetAgentId(), a0.GetHostname(), a1.GetAgentId(), a1.GetHostname())
	}
	if jmx["demo-0"] == jmx["demo-1"] || jmx["demo-0"] < 31000 || jmx["demo-1"] < 31000 {
		t.Fatalf("JMX ports %v: want two different offered ports", jmx)
	}
	// The spec is untouched: the JMX port lives on the nodes only.
	if p := w.Store.Rings["demo"].GetSpec().GetPorts(); p.GetJmx() != 0 || !p.GetJmxFromOffer() {
		t.Fatalf("stored ring ports %v", p)
	}
	// Every other port is the ring's static port, as before.
	for _, name := range []string{"demo-0", "demo-1"} {
		c := w.Procs[w.Store.Nodes[name].GetTaskId()].Config.GetPorts()
		if c.GetStorage() != 7000 || c.GetSslStorage() != 7001 || c.GetNative() != 9042 || !c.GetJmxFromOffer() {
			t.Fatalf("%s task ports %v", name, c)
		}
	}
}

func TestJMXPortFromOfferTwoRingsOneAgent(t *testing.T) {
	// Two rings' nodes on one agent: storage and native ports differ by ring, and each node's
	// JMX port comes from the agent's offer, so they cannot collide.
	w := plantest.NewWorld(t, 1, plan.Config{})
	// (The other ring's static ports lie above the range the dynamic ports come from: dynamic
	// ports are taken lowest first and would otherwise take them.)
	w.Agents[0].Ports = []placement.Range{{Begin: 7000, End: 7001}, {Begin: 9042, End: 9042}, {Begin: 31000, End: 31010}, {Begin: 32000, End: 32001}, {Begin: 32042, End: 32042}}
	other := spec("other", 1, 1)
	other.Ports = &cassmesosv1.Ports{Storage: 32000, SslStorage: 32001, Native: 32042, JmxFromOffer: true}
	for _, sp := range []*cassmesosv1.RingSpec{jmxFromOffer(spec("demo", 1, 1)), other} {
		if _, err := w.Submit(plan.CreateRing{Spec: sp}); err != nil {
			t.Fatal(err)
		}
	}
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 1 && w.UN("other") == 1 })
	a, b := checkNodeJMX(t, w, "demo")["demo-0"], checkNodeJMX(t, w, "other")["other-0"]
	ports := map[uint32]bool{a: true, b: true, w.Store.Nodes["demo-0"].GetAgentPort(): true, w.Store.Nodes["other-0"].GetAgentPort(): true}
	if len(ports) != 4 {
		t.Fatalf("JMX %d and %d, agent ports %d and %d: want four different ports", a, b,
			w.Store.Nodes["demo-0"].GetAgentPort(), w.Store.Nodes["other-0"].GetAgentPort())
	}
}

func TestJMXPortStaticMustBeOffered(t *testing.T) {
	// Without jmx_from_offer nothing changes: an agent that does not offer 7199 cannot take a
	// node, and the step says why.
	w := plantest.NewWorld(t, 2, plan.Config{})
	shareHosts(w, 1)
	if _, err := w.Submit(plan.CreateRing{Spec: spec("demo", 1, 1)}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		w.OfferRound()
		check(t, w)
		w.Reconcile()
	}
	n := w.Store.Nodes["demo-0"]
	if n.GetTaskId() != "" || !strings.Contains(n.GetMessage(), "port 7199 not offered") {
		t.Fatalf("task %q message %q: want no launch for want of port 7199", n.GetTaskId(), n.GetMessage())
	}
}

func TestJMXPortUnchangedWithoutFlag(t *testing.T) {
	w, _ := healthyRing(t, 3, 3, 2)
	sp := w.Store.Rings["demo"].GetSpec()
	for _, name := range sortedNodeNames(w) {
		n := w.Store.Nodes[name]
		p := w.Procs[n.GetTaskId()]
		// The task gets the ring's ports as they are; its port resources are the four static
		// ports and the executor's port.
		if !proto.Equal(p.Config.GetPorts(), sp.GetPorts()) || p.Config.GetPorts().GetJmx() != 7199 {
			t.Fatalf("%s: task ports %v, ring ports %v", name, p.Config.GetPorts(), sp.GetPorts())
		}
		got := p.Ports()
		slices.Sort(got)
		if want := []uint64{7000, 7001, 7199, 9042, uint64(n.GetAgentPort())}; !slices.Equal(got, want) {
			t.Fatalf("%s: task port resources %v, want %v", name, got, want)
		}
		if n.GetJmxPort() != 7199 {
			t.Fatalf("%s: recorded JMX port %d", name, n.GetJmxPort())
		}
	}
}

func TestJMXPortFromOfferRestartInPlace(t *testing.T) {
	// A restart in place takes a new offer: when the old JMX port is no longer offered, the
	// node gets another one, and its record and task follow.
	w := plantest.NewWorld(t, 3, plan.Config{})
	shareHosts(w, 3)
	acc, err := w.Submit(plan.CreateRing{Spec: jmxFromOffer(spec("demo", 3, 2))})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 80, func() bool { return w.UN("demo") == 3 && opDone(w, acc.Operation.GetOperation().GetId()) })
	before := checkNodeJMX(t, w, "demo")
	n := w.Store.Nodes["demo-2"]
	var ag *plantest.Agent
	for _, a := range w.Agents {
		if a.ID == n.GetAgentId() {
			ag = a
		}
	}
	// Something else on the agent took the old JMX port.
	old := uint64(before["demo-2"])
	var kept []placement.Range
	for _, r := range ag.Ports {
		if old >= r.Begin && old <= r.End {
			if old > r.Begin {
				kept = append(kept, placement.Range{Begin: r.Begin, End: old - 1})
			}
			if old < r.End {
				kept = append(kept, placement.Range{Begin: old + 1, End: r.End})
			}
			continue
		}
		kept = append(kept, r)
	}
	ag.Ports = kept
	w.Crash(n.GetTaskId())
	w.Reconcile()
	cooperate(t, w, 40, func() bool { return w.UN("demo") == 3 && w.Store.Nodes["demo-2"].GetIncarnation() == 2 })
	after := checkNodeJMX(t, w, "demo")
	m := w.Store.Nodes["demo-2"]
	if m.GetAgentId() != n.GetAgentId() || m.GetReservation().GetPersistenceId() != n.GetReservation().GetPersistenceId() {
		t.Fatalf("not restarted in place")
	}
	if after["demo-2"] == before["demo-2"] {
		t.Fatalf("JMX port %d kept although it is no longer offered", after["demo-2"])
	}
}
