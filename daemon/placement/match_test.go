package placement_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/placement"
)

func offer(id, agent, rack string, cpus, mem, disk float64, ports ...placement.Range) placement.Offer {
	if len(ports) == 0 {
		ports = []placement.Range{{Begin: 7000, End: 7001}, {Begin: 7199, End: 7199}, {Begin: 9042, End: 9042}, {Begin: 31000, End: 31005}}
	}
	return placement.Offer{ID: id, AgentID: agent, Hostname: "h-" + agent, Attributes: map[string]string{"rack": rack},
		Resources: []placement.Resource{
			{Name: placement.CPUs, Scalar: cpus, Role: "r"}, {Name: placement.Mem, Scalar: mem, Role: "r"},
			{Name: placement.Disk, Scalar: disk, Role: "r"}, {Name: placement.Ports, Ranges: ports, Role: "r"},
		}}
}

func req(key, group string) placement.Request {
	return placement.Request{Key: key, Group: group, Role: "r", CPUs: 1, MemMB: 1024, DiskMB: 1000,
		StaticPorts: []uint64{7000, 7001, 7199, 9042}, DynamicPorts: 1}
}

func TestPlaceFilters(t *testing.T) {
	like := placement.Constraint{Attribute: "rack", Operator: placement.OpLike, Pattern: regexp.MustCompile(`^(?:r2)$`)}
	unlike := placement.Constraint{Attribute: "hostname", Operator: placement.OpUnlike, Pattern: regexp.MustCompile(`^(?:h-a1)$`)}
	cases := []struct {
		name    string
		offers  []placement.Offer
		req     func() placement.Request
		placed  []placement.Placed
		agent   string // "" = unplaced
		because string
	}{
		{"fits", []placement.Offer{offer("o1", "a1", "r1", 2, 2048, 2000)}, func() placement.Request { return req("n0", "g") }, nil, "a1", ""},
		{"cpus", []placement.Offer{offer("o1", "a1", "r1", 0.5, 2048, 2000)}, func() placement.Request { return req("n0", "g") }, nil, "", "needs 1 cpus"},
		{"mem", []placement.Offer{offer("o1", "a1", "r1", 2, 512, 2000)}, func() placement.Request { return req("n0", "g") }, nil, "", "mem"},
		{"disk", []placement.Offer{offer("o1", "a1", "r1", 2, 2048, 10)}, func() placement.Request { return req("n0", "g") }, nil, "", "disk"},
		{"static port missing", []placement.Offer{offer("o1", "a1", "r1", 2, 2048, 2000, placement.Range{Begin: 7000, End: 7001}, placement.Range{Begin: 31000, End: 31005})},
			func() placement.Request { return req("n0", "g") }, nil, "", "port 7199"},
		{"no dynamic port", []placement.Offer{offer("o1", "a1", "r1", 2, 2048, 2000, placement.Range{Begin: 7000, End: 7001}, placement.Range{Begin: 7199, End: 7199}, placement.Range{Begin: 9042, End: 9042})},
			func() placement.Request { return req("n0", "g") }, nil, "", "more ports"},
		{"one per agent per group", []placement.Offer{offer("o1", "a1", "r1", 8, 8192, 9000)}, func() placement.Request { return req("n1", "g") },
			[]placement.Placed{{Key: "n0", Group: "g", AgentID: "a1"}}, "", "already runs"},
		{"other group, other ports", []placement.Offer{offer("o1", "a1", "r1", 8, 8192, 9000, placement.Range{Begin: 7000, End: 9999}, placement.Range{Begin: 31000, End: 31005})},
			func() placement.Request {
				r := req("m0", "h")
				r.StaticPorts = []uint64{8000, 8001, 8199, 9142}
				return r
			},
			[]placement.Placed{{Key: "n0", Group: "g", AgentID: "a1", StaticPorts: []uint64{7000, 7001, 7199, 9042}}}, "a1", ""},
		{"other group, same ports", []placement.Offer{offer("o1", "a1", "r1", 8, 8192, 9000, placement.Range{Begin: 7000, End: 9999}, placement.Range{Begin: 31000, End: 31005})},
			func() placement.Request { return req("m0", "h") },
			[]placement.Placed{{Key: "n0", Group: "g", AgentID: "a1", StaticPorts: []uint64{7000, 7001, 7199, 9042}}}, "", "bound by another node"},
		{"like", []placement.Offer{offer("o1", "a1", "r1", 2, 2048, 2000), offer("o2", "a2", "r2", 2, 2048, 2000)},
			func() placement.Request { r := req("n0", "g"); r.Constraints = []placement.Constraint{like}; return r }, nil, "a2", ""},
		{"unlike", []placement.Offer{offer("o1", "a1", "r1", 2, 2048, 2000), offer("o2", "a2", "r1", 2, 2048, 2000)},
			func() placement.Request {
				r := req("n0", "g")
				r.Constraints = []placement.Constraint{unlike}
				return r
			}, nil, "a2", ""},
		{"pinned elsewhere", []placement.Offer{offer("o1", "a1", "r1", 2, 2048, 2000)},
			func() placement.Request { r := req("n0", "g"); r.Agent = "a9"; return r }, nil, "", "no offer from agent a9"},
		{"pinned without volume", []placement.Offer{offer("o1", "a1", "r1", 2, 2048, 2000)},
			func() placement.Request { r := req("n0", "g"); r.Agent, r.PersistenceID = "a1", "v1"; return r }, nil, "", "volume v1 not offered"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := placement.Place(c.offers, []placement.Request{c.req()}, c.placed)
			if c.agent == "" {
				if len(res.Matches) != 0 {
					t.Fatalf("matched %+v", res.Matches)
				}
				why := res.Unplaced[c.req().Key]
				if !strings.Contains(why, c.because) {
					t.Fatalf("reason %q, want it to mention %q", why, c.because)
				}
				if len(res.Unused) != len(c.offers) {
					t.Fatalf("unused %v", res.Unused)
				}
				return
			}
			if len(res.Matches) != 1 || res.Matches[0].AgentID != c.agent {
				t.Fatalf("matches %+v unplaced %v", res.Matches, res.Unplaced)
			}
			m := res.Matches[0]
			if len(m.Use.DynamicPorts) != 1 || containsAny(m.Use.DynamicPorts[0], c.req().StaticPorts, c.placed) {
				t.Fatalf("dynamic ports %v", m.Use.DynamicPorts)
			}
			if m.Use.UnreservedCPUs != c.req().CPUs {
				t.Fatalf("uses %v cpus", m.Use.UnreservedCPUs)
			}
		})
	}
}

func TestPlaceReservedInPlace(t *testing.T) {
	rv := &placement.Reservation{Role: "r", Labels: map[string]string{placement.LabelNode: "n0"}}
	o := offer("o1", "a1", "r1", 0, 0, 0)
	o.Resources = append(o.Resources,
		placement.Resource{Name: placement.CPUs, Scalar: 1.1, Role: "r", Reservation: rv},
		placement.Resource{Name: placement.Mem, Scalar: 1088, Role: "r", Reservation: rv},
		placement.Resource{Name: placement.Disk, Scalar: 1000, Role: "r", Reservation: rv, Volume: &placement.Volume{PersistenceID: "v1"}})
	r := req("n0", "g")
	r.CPUs, r.MemMB, r.Agent, r.PersistenceID = 1.1, 1088, "a1", "v1"
	res := placement.Place([]placement.Offer{o}, []placement.Request{r}, []placement.Placed{{Key: "n0", Group: "g", AgentID: "a1"}})
	if len(res.Matches) != 1 {
		t.Fatalf("unplaced: %v", res.Unplaced)
	}
	if u := res.Matches[0].Use; len(u.Reserved) != 3 || u.UnreservedCPUs != 0 {
		t.Fatalf("use %+v", u)
	}
	// Someone else's reservation is not used.
	r.Key = "n1"
	res = placement.Place([]placement.Offer{o}, []placement.Request{r}, nil)
	if len(res.Matches) != 0 {
		t.Fatal("used another node's reservation")
	}
}

func TestPlaceSpreadsOverRacks(t *testing.T) {
	var offers []placement.Offer
	for i := 0; i < 9; i++ {
		offers = append(offers, offer(fmt.Sprint("o", i), fmt.Sprint("a", i), fmt.Sprint("r", i%3), 4, 8192, 9000))
	}
	var reqs []placement.Request
	for i := 0; i < 6; i++ {
		reqs = append(reqs, req(fmt.Sprint("n", i), "g"))
	}
	res := placement.Place(offers, reqs, nil)
	if len(res.Matches) != 6 {
		t.Fatalf("placed %d: %v", len(res.Matches), res.Unplaced)
	}
	racks := map[string]int{}
	agents := map[string]bool{}
	for _, m := range res.Matches {
		racks[m.Attributes["rack"]]++
		if agents[m.AgentID] {
			t.Fatalf("two nodes on %s", m.AgentID)
		}
		agents[m.AgentID] = true
	}
	for r, n := range racks {
		if n != 2 {
			t.Fatalf("rack %s got %d nodes: %v", r, n, racks)
		}
	}
	if len(res.Unused) != 3 {
		t.Fatalf("unused %v", res.Unused)
	}
	// SPREAD on another attribute wins over racks.
	for i := range offers {
		offers[i].Attributes["zone"] = fmt.Sprint("z", i%2)
	}
	spread := placement.Constraint{Attribute: "zone", Operator: placement.OpSpread}
	for i := range reqs[:4] {
		reqs[i].Constraints = []placement.Constraint{spread}
	}
	res = placement.Place(offers, reqs[:4], nil)
	zones := map[string]int{}
	for _, m := range res.Matches {
		zones[m.Attributes["zone"]]++
	}
	if zones["z0"] != 2 || zones["z1"] != 2 {
		t.Fatalf("zones %v", zones)
	}
}

func TestPlaceMergesOffersOfOneAgent(t *testing.T) {
	a := offer("o1", "a1", "r1", 0.5, 512, 500)
	b := offer("o2", "a1", "r1", 0.6, 600, 600, placement.Range{Begin: 31006, End: 31006})
	res := placement.Place([]placement.Offer{a, b}, []placement.Request{req("n0", "g")}, nil)
	if len(res.Matches) != 1 || len(res.Matches[0].OfferIDs) != 2 {
		t.Fatalf("%+v %v", res.Matches, res.Unplaced)
	}
}

// BenchmarkMatch10kOffers1kNodes places 1,000 pending nodes (10 rings of 100) on 10,000 offers
// from 10,000 agents in 10 racks. Target: under 50 ms per Place.
func BenchmarkMatch10kOffers1kNodes(b *testing.B) {
	var offers []placement.Offer
	for i := 0; i < 10000; i++ {
		offers = append(offers, offer(fmt.Sprint("o", i), fmt.Sprint("a", i), fmt.Sprint("r", i%10), 8, 32768, 200000))
	}
	var reqs []placement.Request
	for g := 0; g < 10; g++ {
		for i := 0; i < 100; i++ {
			r := req(fmt.Sprintf("g%d-%d", g, i), fmt.Sprint("g", g))
			r.StaticPorts = []uint64{uint64(7000 + g*10), uint64(7001 + g*10), uint64(7199 + g*10), uint64(9042 + g*10)}
			reqs = append(reqs, r)
		}
	}
	for i := range offers {
		offers[i].Resources[3].Ranges = []placement.Range{{Begin: 7000, End: 9999}, {Begin: 31000, End: 31005}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var placed int
	start := time.Now()
	for i := 0; i < b.N; i++ {
		res := placement.Place(offers, reqs, nil)
		placed = len(res.Matches)
	}
	el := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(el.Milliseconds()), "ms/place")
	b.ReportMetric(float64(placed), "placed")
	if placed != 1000 {
		b.Fatalf("placed %d of 1000", placed)
	}
}

func containsAny(p uint64, static []uint64, placed []placement.Placed) bool {
	for _, q := range static {
		if p == q {
			return true
		}
	}
	for _, pl := range placed {
		for _, q := range pl.StaticPorts {
			if p == q {
				return true
			}
		}
	}
	return false
}
