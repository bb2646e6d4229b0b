package plan_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// seedNames are the ring's seed node names, by name.
func seedNames(w *plantest.World) []string {
	var out []string
	for name, n := range w.Store.Nodes {
		if n.GetSeed() {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// checkSeedLists checks that every live node uses the seed addresses of the ring's current
// seeds (without its own), and that its record says so.
func checkSeedLists(t *testing.T, w *plantest.World) {
	t.Helper()
	var seeds []string
	for _, name := range seedNames(w) {
		seeds = append(seeds, w.Store.Nodes[name].GetAddress())
	}
	for name, n := range w.Store.Nodes {
		var want []string
		for _, s := range seeds {
			if s != n.GetAddress() {
				want = append(want, s)
			}
		}
		if len(want) == 0 {
			want = []string{n.GetAddress()} // the only seed lists itself
		}
		live := w.LiveProcs(name)
		if len(live) != 1 {
			t.Fatalf("%s has %d live tasks", name, len(live))
		}
		got := slices.Clone(live[0].Seeds)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s uses seeds %v, want %v\n%s", name, got, want, w.Dump())
		}
		rec := slices.Clone(n.GetSeeds())
		slices.Sort(rec)
		if !slices.Equal(rec, want) {
			t.Fatalf("%s's record says seeds %v, want %v", name, rec, want)
		}
	}
}

func TestDecommissionSeedMovesSeed(t *testing.T) {
	w, _ := healthyRing(t, 6, 4, 2)
	if got := seedNames(w); !slices.Equal(got, []string{"demo-0", "demo-1"}) {
		t.Fatalf("seeds before: %v", got)
	}
	acc, err := w.Submit(plan.DecommissionNode{Node: "demo-0"})
	if err != nil {
		t.Fatal(err)
	}
	steps := acc.Operation.GetOperation().GetSteps()
	if len(steps) != 2 || steps[0].GetKind() != cassmesosv1.StepKind_STEP_KIND_MOVE_SEED {
		t.Fatalf("steps: %v", steps)
	}
	id := acc.Operation.GetOperation().GetId()
	cooperate(t, w, 40, func() bool { return opDone(w, id) })
	if w.Store.Nodes["demo-0"] != nil {
		t.Fatalf("demo-0 still there\n%s", w.Dump())
	}
	got := seedNames(w)
	if len(got) != 2 || !slices.Contains(got, "demo-1") {
		t.Fatalf("seeds after: %v", got)
	}
	checkSeedLists(t, w)
	// The seed list was pushed with reloadseeds, never by restarting a node.
	log := strings.Join(w.Log, "\n")
	if !strings.Contains(log, "reloadseeds") {
		t.Fatalf("no reloadseeds relayed\n%s", log)
	}
	for name, n := range w.Store.Nodes {
		if n.GetIncarnation() != 1 {
			t.Fatalf("%s was relaunched (incarnation %d)", name, n.GetIncarnation())
		}
	}
	// Both seeds go the same way; the last node of the ring is refused.
	for _, seed := range seedNames(w) {
		a, err := w.Submit(plan.DecommissionNode{Node: seed})
		if err != nil {
			t.Fatalf("decommission %s: %v\n%s", seed, err, w.Dump())
		}
		cooperate(t, w, 40, func() bool { return opDone(w, a.Operation.GetOperation().GetId()) })
		checkSeedLists(t, w)
	}
	if len(w.Store.Nodes) != 1 || len(seedNames(w)) != 1 {
		t.Fatalf("after three decommissions\n%s", w.Dump())
	}
	if sp := w.Store.Rings["demo"].GetSpec(); sp.GetNodes() != 1 || sp.GetSeeds() != 1 {
		t.Fatalf("spec after: nodes %d seeds %d", sp.GetNodes(), sp.GetSeeds())
	}
}

func TestReplaceLostSeedsMovesSeed(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 1)
	old := w.Store.Nodes["demo-0"]
	if !old.GetSeed() {
		t.Fatal("demo-0 is not a seed")
	}
	// The only seed is lost for good: another node takes over as seed, then the old one is
	// replaced as an ordinary node.
	w.RemoveAgent(old.GetAgentId())
	w.Reconcile()
	acc, err := w.Submit(plan.ReplaceNode{Node: "demo-0"})
	if err != nil {
		t.Fatalf("%v\n%s", err, w.Dump())
	}
	if k := acc.Operation.GetOperation().GetSteps()[0].GetKind(); k != cassmesosv1.StepKind_STEP_KIND_MOVE_SEED {
		t.Fatalf("first step %v", k)
	}
	id := acc.Operation.GetOperation().GetId()
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 3 && opDone(w, id) })
	if got := seedNames(w); len(got) != 1 || got[0] == "demo-0" {
		t.Fatalf("seeds after: %v", got)
	}
	checkSeedLists(t, w)
	if !strings.Contains(strings.Join(w.Log, "\n"), `replace="`+old.GetAddress()+`"`) {
		t.Fatalf("replacement not launched with replace_address %s\n%s", old.GetAddress(), w.Dump())
	}
}

func TestDecommissionOnlySeedRefusedWithoutCandidate(t *testing.T) {
	w, _ := healthyRing(t, 6, 2, 1)
	// demo-1 is lost: no UN node can take over from demo-0.
	w.Partition(w.Store.Nodes["demo-1"].GetAgentId(), true)
	w.Tick(time.Minute)
	w.Reconcile()
	_, err := w.Submit(plan.DecommissionNode{Node: "demo-0"})
	if !errors.Is(err, plan.ErrPrecondition) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "demo-0 is the ring's only seed") && !strings.Contains(err.Error(), "every other node UN") {
		t.Fatalf("err = %v", err)
	}
}
