package engine_test

import (
	"sync"
	"testing"

	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
)

// unclaimedPlanner reports one unclaimed reservation per offer and records the framework ID
// the planner is given.
type unclaimedPlanner struct {
	scriptPlanner
	mu  sync.Mutex
	fid []string
}

func (p *unclaimedPlanner) MatchOffers(s *plan.State, offers []plan.Offer) plan.Plan {
	p.mu.Lock()
	p.fid = append(p.fid, s.FrameworkID)
	p.mu.Unlock()
	pl := plan.Plan{}
	for _, o := range offers {
		pl.Actions = append(pl.Actions, plan.Decline{OfferIDs: []string{o.ID}})
		pl.Unclaimed = append(pl.Unclaimed, plan.UnclaimedReservation{AgentID: o.AgentID, PersistenceID: "demo-9-x", Ring: "demo", RingUID: "u1", Node: "demo-9"})
	}
	return pl
}

func (p *unclaimedPlanner) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.fid...)
}

// The framework ID learned on SUBSCRIBED reaches the planner; an unclaimed reservation is
// counted once per agent and persistence ID however often it is offered.
func TestUnclaimedReservationCountedOnce(t *testing.T) {
	p := &unclaimedPlanner{}
	m := &countingMetrics{}
	w := newWorldWith(t, p, m)
	for i, id := range []string{"o1", "o2", "o3"} {
		agent := "a1"
		if i == 2 {
			agent = "a2"
		}
		w.events <- mesosadapter.Event{Subscription: 1, Offers: []plan.Offer{{ID: id, AgentID: agent, Hostname: "h-" + agent}}}
	}
	w.settle()
	if ids := p.ids(); len(ids) != 3 || ids[0] != "fw" || ids[2] != "fw" {
		t.Fatalf("framework IDs the planner saw: %v, want fw", ids)
	}
	if n := m.unclaimed.Load(); n != 2 {
		t.Fatalf("%d unclaimed reservations counted, want 2 (a1 once, a2 once)", n)
	}
}
