package plan_test

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// TestPropertyRandomEvents throws random sequences of offers, ticks, crashes, lost tasks,
// partitions, agent removals, daemon restarts and operator requests at the planner, checking the
// invariants after every step; then, with the world cooperating, every operation must finish
// and every node slot that should run must be UN.
func TestPropertyRandomEvents(t *testing.T) {
	seeds := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runRandom(t, seed, 300)
		})
	}
}

// TestPropertyRandomEventsJMXFromOffer runs the same random events on a ring whose nodes take
// their JMX ports from offers, on agents that share hosts two by two (disjoint port ranges, no
// 7199): the world checks at every launch that a node binds only ports it was given and that no
// two live nodes on one host bind the same JMX port.
func TestPropertyRandomEventsJMXFromOffer(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4, 5} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runRandomWith(t, seed, 300, func(w *plantest.World, sp *cassmesosv1.RingSpec) {
				shareHosts(w, 2)
				sp.Ports = &cassmesosv1.Ports{JmxFromOffer: true}
			})
		})
	}
}

func runRandom(t *testing.T, seed int64, steps int) {
	runRandomWith(t, seed, steps, nil)
}

// runRandomWith is runRandom with a change to the world and the ring's spec before the start.
func runRandomWith(t *testing.T, seed int64, steps int, setup func(*plantest.World, *cassmesosv1.RingSpec)) {
	rng := rand.New(rand.NewSource(seed))
	cfg := plan.Config{RestartBackoffMin: 5 * time.Second, RestartBackoffMax: 20 * time.Second}
	w := plantest.NewWorld(t, 9, cfg)
	sp := spec("demo", 6, 2)
	sp.ReplaceAfter = durpb(2 * time.Minute)
	if setup != nil {
		setup(w, sp)
	}
	if _, err := w.Submit(plan.CreateRing{Spec: sp}); err != nil {
		t.Fatal(err)
	}
	removed := 0
	for i := 0; i < steps; i++ {
		x := rng.Intn(100)
		live := w.LiveTaskIDs()
		agents := w.AgentIDs()
		switch {
		case x < 35:
			w.OfferRound()
		case x < 65:
			w.Tick(10 * time.Second)
			w.Reconcile()
		case x < 71 && len(live) > 0:
			w.Crash(live[rng.Intn(len(live))])
			w.Reconcile()
		case x < 73 && len(live) > 0:
			w.Lose(live[rng.Intn(len(live))])
			w.Reconcile()
		case x < 77:
			w.Partition(agents[rng.Intn(len(agents))], true)
			w.Reconcile()
		case x < 83:
			w.HealAll()
			w.Reconcile()
		case x < 84 && removed < 1:
			removed++
			w.RemoveAgent(agents[rng.Intn(len(agents))])
			w.AddAgent(fmt.Sprintf("r%d", rng.Intn(3)))
			w.Reconcile()
		case x < 88:
			w.Restart()
			w.Reconcile()
		case x < 92:
			randomRequest(w, rng)
			w.Reconcile()
		default:
			w.Tick(time.Minute)
			w.Reconcile()
		}
		check(t, w)
	}
	// Cooperation: heal, then everything must settle.
	w.HealAll()
	cooperate(t, w, 150, func() bool { return settled(w) })
}

// settled: no active operation, and every node slot of the ring is UN.
func settled(w *plantest.World) bool {
	for _, o := range w.Store.Operations {
		p := o.GetOperation().GetPhase()
		if p != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED && p != cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED &&
			p != cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED {
			return false
		}
	}
	for _, n := range w.Store.Nodes {
		if n.GetBootstrapped() && w.UN(n.GetRing()) < countBootstrapped(w, n.GetRing()) {
			return false
		}
	}
	return true
}

func countBootstrapped(w *plantest.World, ring string) int {
	c := 0
	for _, n := range w.Store.Nodes {
		if n.GetRing() == ring && n.GetBootstrapped() {
			c++
		}
	}
	return c
}

func randomRequest(w *plantest.World, rng *rand.Rand) {
	names := sortedNodeNames(w)
	if len(names) == 0 {
		return
	}
	node := names[rng.Intn(len(names))]
	var req plan.Request
	switch rng.Intn(6) {
	case 0:
		req = plan.RestartNode{Node: node}
	case 1:
		req = plan.ReplaceNode{Node: node}
	case 2:
		req = plan.ScaleRing{Ring: "demo", Nodes: int32(3 + rng.Intn(5))}
	case 3:
		req = plan.DecommissionNode{Node: node}
	case 4:
		req = plan.RemoveNode{Node: node}
	case 5:
		req = plan.RestartRing{Ring: "demo"}
	}
	_, _ = w.Submit(req)
}
