package plan_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/daemon/plan"
)

// cpuTime is the process's user+system CPU time so far: on a shared, loaded machine the pass's
// CPU cost says more than its wall time (both are reported).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchOffers is n offers from n agents in 10 racks.
func benchOffers(n int) []plan.Offer {
	var offers []plan.Offer
	for i := 0; i < n; i++ {
		offers = append(offers, plan.Offer{ID: fmt.Sprint("o", i), AgentID: fmt.Sprint("a", i), Hostname: fmt.Sprint("h", i),
			Attributes: map[string]string{"rack": fmt.Sprint("r", i%10)},
			Resources: []placement.Resource{
				{Name: placement.CPUs, Scalar: 8, Role: "cassmesos"}, {Name: placement.Mem, Scalar: 32768, Role: "cassmesos"},
				{Name: placement.Disk, Scalar: 200000, Role: "cassmesos"},
				{Name: placement.Ports, Ranges: []placement.Range{{Begin: 7000, End: 7001}, {Begin: 7199, End: 7199}, {Begin: 9042, End: 9042}, {Begin: 31000, End: 32000}}, Role: "cassmesos"},
			}})
	}
	return offers
}

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
	return p, s, benchOffers(10000)
}

// benchRing1000: one ring of 1,000 nodes (3 seeds) being created, and 10,000 offers.
func benchRing1000(b *testing.B) (*plan.Planner, *plan.State, []plan.Offer) {
	p := plan.New(plan.Config{}, &countIDs{})
	s := plan.NewState()
	s.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Reconciled = true
	sp := spec("big", 1000, 3)
	sp.Ports = nil
	acc, err := p.Submit(s, plan.CreateRing{Spec: sp})
	if err != nil {
		b.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	s.Apply(p.Reconcile(s).Writes)
	return p, s, benchOffers(10000)
}

// BenchmarkPlanMatchOffersRing1000: one MatchOffers pass over a 1,000-node ring being created
// with 10,000 offers (one node placed: seeds start one at a time). Goal: ≤ 40 ms per pass.
func BenchmarkPlanMatchOffersRing1000(b *testing.B) {
	p, s, offers := benchRing1000(b)
	runMatch(b, p, s, offers, 1)
}

// BenchmarkPlanReconcileRing1000: one Reconcile pass over the same state.
func BenchmarkPlanReconcileRing1000(b *testing.B) {
	p, s, _ := benchRing1000(b)
	runReconcile(b, p, s)
}

func runMatch(b *testing.B, p *plan.Planner, s *plan.State, offers []plan.Offer, wantAccepts int) {
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime(b)
	var pl plan.Plan
	for i := 0; i < b.N; i++ {
		pl = p.MatchOffers(s, offers)
	}
	el, cpu := time.Since(start)/time.Duration(b.N), (cpuTime(b)-cpu0)/time.Duration(b.N)
	b.ReportMetric(float64(el.Microseconds())/1000, "ms/pass")
	b.ReportMetric(float64(cpu.Microseconds())/1000, "cpu-ms/pass")
	accepts := 0
	for _, a := range pl.Actions {
		if _, ok := a.(plan.Accept); ok {
			accepts++
		}
	}
	b.ReportMetric(float64(accepts), "accepts")
	if accepts != wantAccepts {
		b.Fatalf("accepts %d, want %d", accepts, wantAccepts)
	}
}

func runReconcile(b *testing.B, p *plan.Planner, s *plan.State) {
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime(b)
	for i := 0; i < b.N; i++ {
		_ = p.Reconcile(s)
	}
	b.ReportMetric(float64((time.Since(start)/time.Duration(b.N)).Microseconds())/1000, "ms/pass")
	b.ReportMetric(float64(((cpuTime(b)-cpu0)/time.Duration(b.N)).Microseconds())/1000, "cpu-ms/pass")
}

// BenchmarkPlanMatchOffers: one MatchOffers pass over 1,000 node records and 100 running
// operations with 10,000 offers (100 seeds placed, 9,900 offers declined).
func BenchmarkPlanMatchOffers(b *testing.B) {
	p, s, offers := benchState(b)
	runMatch(b, p, s, offers, 100)
}

// BenchmarkPlanReconcile: one Reconcile pass (no offers) over the same state.
func BenchmarkPlanReconcile(b *testing.B) {
	p, s, _ := benchState(b)
	runReconcile(b, p, s)
}
