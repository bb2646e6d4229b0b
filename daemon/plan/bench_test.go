package plan_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/daemon/plan"
)

// benchState: 100 rings of 10 nodes being created (1,000 node records, 100 operations), and
// 10,000 offers from 10,000 agents in 10 racks.
func benchState(b *testing.B) (*plan.Planner, *plan.State, []plan.Offer) {
	p := plan.New(plan.Config{}, &countIDs{})
	s := plan.NewState()
	s.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Reconciled = true
	for r := 0; r < 100; r++ {
		sp := spec(fmt.Sprintf("ring%d", r), 10, 2)
		sp.Ports = nil
		acc, err := p.Submit(s, plan.CreateRing{Spec: sp})
		if err != nil {
			b.Fatal(err)
		}
		s.Apply(acc.Plan.Writes)
	}
	s.Apply(p.Reconcile(s).Writes)
	var offers []plan.Offer
	for i := 0; i < 10000; i++ {
		offers = append(offers, plan.Offer{ID: fmt.Sprint("o", i), AgentID: fmt.Sprint("a", i), Hostname: fmt.Sprint("h", i),
			Attributes: map[string]string{"rack": fmt.Sprint("r", i%10)},
			Resources: []placement.Resource{
				{Name: placement.CPUs, Scalar: 8, Role: "cassmesos"}, {Name: placement.Mem, Scalar: 32768, Role: "cassmesos"},
				{Name: placement.Disk, Scalar: 200000, Role: "cassmesos"},
				{Name: placement.Ports, Ranges: []placement.Range{{Begin: 7000, End: 7001}, {Begin: 7199, End: 7199}, {Begin: 9042, End: 9042}, {Begin: 31000, End: 32000}}, Role: "cassmesos"},
			}})
	}
	return p, s, offers
}

// BenchmarkPlanMatchOffers: one MatchOffers pass over 1,000 node records and 100 running
// operations with 10,000 offers (100 seeds placed, 9,900 offers declined).
func BenchmarkPlanMatchOffers(b *testing.B) {
	p, s, offers := benchState(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var pl plan.Plan
	for i := 0; i < b.N; i++ {
		pl = p.MatchOffers(s, offers)
	}
	el := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(el.Microseconds())/1000, "ms/pass")
	accepts := 0
	for _, a := range pl.Actions {
		if _, ok := a.(plan.Accept); ok {
			accepts++
		}
	}
	b.ReportMetric(float64(accepts), "accepts")
	if accepts != 100 {
		b.Fatalf("accepts %d, want 100", accepts)
	}
}

// BenchmarkPlanReconcile: one Reconcile pass (no offers) over the same state.
func BenchmarkPlanReconcile(b *testing.B) {
	p, s, _ := benchState(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		_ = p.Reconcile(s)
	}
	b.ReportMetric(float64((time.Since(start)/time.Duration(b.N)).Microseconds())/1000, "ms/pass")
}
