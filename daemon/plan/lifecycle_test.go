package plan_test

import (
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ring update of cpus and mem: every node restarts in place on its agent with its volume, its
// reservation grown by a RESERVE of the difference; lowering them again reserves nothing.
func TestUpdateRingResources(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	agents := map[string]string{}
	for name, n := range w.Store.Nodes {
		agents[name] = n.GetReservation().GetAgentId()
	}
	before := len(w.Log)
	acc, err := w.Submit(plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{Resources: &cassmesosv1.Resources{Cpus: 2, MemMb: 3072}},
		Paths: []string{"resources.cpus", "resources.mem_mb"}})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	cooperate(t, w, 120, func() bool { return opDone(w, id) && w.UN("demo") == 3 })
	cfg := plan.New(plan.Config{}, nil).Config()
	for name, n := range w.Store.Nodes {
		if n.GetReservation().GetAgentId() != agents[name] {
			t.Errorf("%s moved from %s to %s", name, agents[name], n.GetReservation().GetAgentId())
		}
		got := n.GetReservation().GetResources()
		if got.GetCpus() != 2+cfg.ExecutorCPUs || got.GetMemMb() != 3072+cfg.ExecutorMemMB {
			t.Errorf("%s reservation %v, want cpus %g mem %d", name, got, 2+cfg.ExecutorCPUs, 3072+cfg.ExecutorMemMB)
		}
	}
	log := strings.Join(w.Log[before:], "\n")
	if c := strings.Count(log, "reserve on"); c != 3 {
		t.Errorf("%d RESERVEs for 3 nodes:\n%s", c, log)
	}
	if strings.Contains(log, "create volume") || strings.Contains(log, "replace=\"1") {
		t.Errorf("a resource update created a volume or replaced a node:\n%s", log)
	}

	// Down again: restarts, no RESERVE.
	before = len(w.Log)
	acc, err = w.Submit(plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{Resources: &cassmesosv1.Resources{Cpus: 1}}, Paths: []string{"resources.cpus"}})
	if err != nil {
		t.Fatal(err)
	}
	id = acc.Operation.GetOperation().GetId()
	cooperate(t, w, 120, func() bool { return opDone(w, id) && w.UN("demo") == 3 })
	if log := strings.Join(w.Log[before:], "\n"); strings.Contains(log, "reserve on") || strings.Count(log, "launch ") != 3 {
		t.Errorf("lowering cpus:\n%s", log)
	}
}
