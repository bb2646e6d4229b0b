package plan_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
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

// node replace while the ring's only view of the node predates its loss: refused, saying the
// view is stale; once a fresh view shows it DN, accepted.
func TestReplaceNeedsAFreshView(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	st := w.State
	n := st.Nodes["demo-2"]
	lost := n.GetPhaseTime().AsTime().Add(time.Minute)
	w2 := st.Clone()
	w2.Now = lost.Add(5 * time.Second)
	m := proto.Clone(n).(*statev1.NodeRecord)
	m.Phase, m.PhaseTime, m.LostTime = cassmesosv1.NodePhase_NODE_PHASE_LOST, timestamppb.New(lost), timestamppb.New(lost)
	w2.Nodes["demo-2"] = m
	ts := w2.Tasks[m.GetTaskId()]
	ts.State = plan.TaskUnreachable
	w2.Tasks[m.GetTaskId()] = ts
	w2.Views["demo-2"] = plan.NodeView{Liveness: cassmesosv1.Liveness_LIVENESS_UP, Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL, Reporters: 1, Up: 1, At: lost.Add(-time.Second)}
	p := plan.New(plan.Config{}, &countIDs{})
	_, err := p.Submit(w2, plan.ReplaceNode{Node: "demo-2"})
	if !errors.Is(err, plan.ErrPrecondition) || !strings.Contains(err.Error(), "last view of it") {
		t.Fatalf("stale view: %v", err)
	}
	w2.Views["demo-2"] = plan.NodeView{Liveness: cassmesosv1.Liveness_LIVENESS_DOWN, Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL, Reporters: 1, At: lost.Add(time.Second)}
	if _, err := p.Submit(w2, plan.ReplaceNode{Node: "demo-2"}); err != nil {
		t.Fatalf("fresh DN view: %v", err)
	}
}
