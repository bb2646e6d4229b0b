package plan_test

import (
	"sort"

	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func spec(name string, nodes, seeds int32) *cassmesosv1.RingSpec {
	return &cassmesosv1.RingSpec{Name: name, Nodes: nodes, Seeds: seeds,
		Resources: &cassmesosv1.Resources{Cpus: 1, MemMb: 2048, DiskMb: 1024}}
}

// cooperate runs offer rounds and ticks until cond holds or steps run out; it checks the
// invariants after every step.
func cooperate(t *testing.T, w *plantest.World, steps int, cond func() bool) int {
	t.Helper()
	for i := 0; i < steps; i++ {
		if cond() {
			return i
		}
		w.OfferRound()
		check(t, w)
		w.Tick(10 * time.Second)
		w.Reconcile()
		check(t, w)
	}
	if !cond() {
		t.Fatalf("condition not reached in %d steps\n%s", steps, w.Dump())
	}
	return steps
}

func check(t *testing.T, w *plantest.World) {
	t.Helper()
	if v := w.CheckInvariants(); len(v) > 0 {
		t.Fatalf("invariants violated:\n%v\n%s", v, w.Dump())
	}
}

func TestCreateRingReachesAllUN(t *testing.T) {
	w := plantest.NewWorld(t, 8, plan.Config{})
	acc, err := w.Submit(plan.CreateRing{Spec: spec("demo", 6, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if !acc.Created || acc.Operation == nil {
		t.Fatalf("not created: %+v", acc)
	}
	n := cooperate(t, w, 60, func() bool { return w.UN("demo") == 6 })
	t.Logf("6 UN after %d rounds", n)
	w.Reconcile()
	op := w.Store.Operations[acc.Operation.GetOperation().GetId()].GetOperation()
	if op.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		t.Fatalf("create op %v\n%s", op.GetPhase(), w.Dump())
	}
	if got := w.Store.Rings["demo"].GetStatus().GetPhase(); got != cassmesosv1.RingPhase_RING_PHASE_HEALTHY {
		t.Fatalf("ring phase %v", got)
	}
}

func durpb(d time.Duration) *durationpb.Duration { return durationpb.New(d) }

func sortedNodeNames(w *plantest.World) []string {
	var out []string
	for k := range w.Store.Nodes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
