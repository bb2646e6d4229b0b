package engine_test

import (
	"sync/atomic"
	"testing"

	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
)

// awaitPlanner always awaits an unreachable agent; it has work needing offers while work is set.
type awaitPlanner struct {
	scriptPlanner
	work atomic.Bool
}

func (a *awaitPlanner) Reconcile(*plan.State) plan.Plan {
	return plan.Plan{AwaitAgents: true, WantOffers: a.work.Load()}
}

func (a *awaitPlanner) MatchOffers(s *plan.State, _ []plan.Offer) plan.Plan { return a.Reconcile(s) }

// Offers are revived while an agent is awaited, and revived again when work appears (the idle
// decline filters set meanwhile would hold the work back); no SUPPRESS while awaiting.
func TestReviveAgainWhenWorkAppears(t *testing.T) {
	p := &awaitPlanner{}
	w := newWorld(t, p)
	waitFor(t, "a REVIVE while an agent is awaited", func() bool { return len(w.mesos.find("revive")) == 1 })
	p.work.Store(true)
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t9", AgentID: "a1", State: plan.TaskRunning}}
	waitFor(t, "a second REVIVE when work appears", func() bool { return len(w.mesos.find("revive")) == 2 })
	p.work.Store(false)
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t9", AgentID: "a1", State: plan.TaskRunning}}
	w.settle()
	if n := len(w.mesos.find("revive")); n != 2 {
		t.Errorf("%d REVIVEs, want 2", n)
	}
	if s := w.mesos.find("suppress"); len(s) != 0 {
		t.Errorf("SUPPRESS while an agent is still awaited: %+v", s)
	}
}

// wantPlanner wants offers while want is set.
type wantPlanner struct {
	scriptPlanner
	want atomic.Bool
}

func (p *wantPlanner) Reconcile(*plan.State) plan.Plan { return plan.Plan{WantOffers: p.want.Load()} }

func (p *wantPlanner) MatchOffers(s *plan.State, _ []plan.Offer) plan.Plan { return p.Reconcile(s) }

// NothingPending (read by the Mesos adapter to subscribe with suppressed roles) follows the
// planner's last pass: true when it wanted no offers, false as soon as work appears.
func TestNothingPendingFollowsThePlanner(t *testing.T) {
	p := &wantPlanner{}
	w := newWorld(t, p)
	waitFor(t, "nothing pending after an idle pass", w.eng.NothingPending)
	p.want.Store(true)
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t9", AgentID: "a1", State: plan.TaskRunning}}
	waitFor(t, "work pending once the planner wants offers", func() bool { return !w.eng.NothingPending() })
	p.want.Store(false)
	w.events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t9", AgentID: "a1", State: plan.TaskRunning}}
	waitFor(t, "nothing pending again", w.eng.NothingPending)
}
