package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/cassmesos/cassmesos/daemon/engine"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
)

// panickyPlanner is the script planner, panicking in every call while boom is set.
type panickyPlanner struct {
	scriptPlanner
	boom atomic.Bool
}

func (p *panickyPlanner) Reconcile(s *plan.State) plan.Plan {
	if p.boom.Load() {
		var steps []int
		_ = steps[len(s.Nodes)+3] // index out of range, as an inconsistent record might cause
	}
	return p.scriptPlanner.Reconcile(s)
}

func (p *panickyPlanner) MatchOffers(s *plan.State, offers []plan.Offer) plan.Plan {
	if p.boom.Load() {
		panic("boom in MatchOffers")
	}
	return p.scriptPlanner.MatchOffers(s, offers)
}

func (p *panickyPlanner) Submit(s *plan.State, req plan.Request) (plan.Accepted, error) {
	if p.boom.Load() {
		panic("boom in Submit")
	}
	return p.scriptPlanner.Submit(s, req)
}

type countingMetrics struct{ panics, unclaimed atomic.Int32 }

func (*countingMetrics) OffersReceived(int)       {}
func (*countingMetrics) OffersDeclined(int)       {}
func (*countingMetrics) OffersAccepted(int)       {}
func (*countingMetrics) PersistFailed()           {}
func (*countingMetrics) StateChanged(*plan.State) {}
func (m *countingMetrics) PlannerPanicked()       { m.panics.Add(1) }
func (*countingMetrics) InconsistentRecords(int)  {}
func (m *countingMetrics) UnclaimedReservation()  { m.unclaimed.Add(1) }

// A panicking planning pass is recovered and counted: nothing of it is persisted or done (a
// status stays unacknowledged, an offer is declined), and once the planner gets past it the
// engine carries on.
func TestPlannerPanicIsRecovered(t *testing.T) {
	p := &panickyPlanner{}
	p.boom.Store(true)
	m := &countingMetrics{}
	w := newWorldWith(t, p, m)
	w.events <- running("a1")
	w.events <- mesosadapter.Event{Subscription: 1, Offers: []plan.Offer{{ID: "o1", AgentID: "a1", Hostname: "h1"}}}
	w.settle()
	if _, err := w.eng.Submit(context.Background(), plan.RestartRing{Ring: "demo"}); !errors.Is(err, engine.ErrPlannerPanicked) {
		t.Errorf("Submit: %v, want ErrPlannerPanicked", err)
	}
	if acks := w.mesos.find("ack"); len(acks) != 0 {
		t.Errorf("acknowledged although the pass panicked: %+v", acks)
	}
	if a := w.mesos.find("accept"); len(a) != 0 {
		t.Errorf("accepted although the pass panicked: %+v", a)
	}
	if d := w.mesos.find("decline"); len(d) != 1 || d[0].arg != "o1" {
		t.Errorf("declines %+v, want o1 declined", d)
	}
	if n := m.panics.Load(); n < 3 {
		t.Errorf("%d panics counted, want at least 3", n)
	}
	p.boom.Store(false)
	w.events <- running("a1")
	waitFor(t, "ACKNOWLEDGE once the planner works", func() bool { return len(w.mesos.find("ack")) == 1 })
	if !w.mesos.find("ack")[0].persisted {
		t.Error("ack before persist")
	}
}
