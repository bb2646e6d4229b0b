package plan_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// dcSpec is a ring spec naming its data centres.
func dcSpec(name string, dcs ...*cassmesosv1.DataCenter) *cassmesosv1.RingSpec {
	s := spec(name, 0, 0)
	s.DataCenters = dcs
	return s
}

// byDC maps each data centre to its nodes' names, sorted.
func byDC(w *plantest.World, ring string) map[string][]string {
	out := map[string][]string{}
	for name, n := range w.Store.Nodes {
		if n.GetRing() == ring {
			out[n.GetDatacenter()] = append(out[n.GetDatacenter()], name)
		}
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

func TestValidateDataCenters(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  *cassmesosv1.RingSpec
		field string
	}{
		{"ok", dcSpec("a", &cassmesosv1.DataCenter{Name: "dc1", Nodes: 3}, &cassmesosv1.DataCenter{Name: "dc2", Nodes: 1}), ""},
		{"dup", dcSpec("a", &cassmesosv1.DataCenter{Name: "dc1", Nodes: 1}, &cassmesosv1.DataCenter{Name: "dc1", Nodes: 1}), "spec.data_centers[1].name"},
		{"no nodes", dcSpec("a", &cassmesosv1.DataCenter{Name: "dc1"}), "spec.data_centers[0].nodes"},
		{"too many seeds", dcSpec("a", &cassmesosv1.DataCenter{Name: "dc1", Nodes: 2, Seeds: 3}), "spec.data_centers[0].seeds"},
		{"bad name", dcSpec("a", &cassmesosv1.DataCenter{Name: "dc 1", Nodes: 2}), "spec.data_centers[0].name"},
		{"bad region", dcSpec("a", &cassmesosv1.DataCenter{Name: "dc1", Nodes: 2, Region: "a=b"}), "spec.data_centers[0].region"},
		{"datacenter too", func() *cassmesosv1.RingSpec {
			s := dcSpec("a", &cassmesosv1.DataCenter{Name: "dc1", Nodes: 2})
			s.Datacenter = "x"
			return s
		}(), "spec.datacenter"},
		{"nodes disagree", func() *cassmesosv1.RingSpec {
			s := dcSpec("a", &cassmesosv1.DataCenter{Name: "dc1", Nodes: 2})
			s.Nodes = 5
			return s
		}(), "spec.nodes"},
	} {
		err := plan.ValidateSpec(tc.spec)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			if d := plan.ApplyDefaults(tc.spec); d.GetNodes() != 4 || d.GetSeeds() != 3 || d.GetDataCenters()[0].GetSeeds() != 2 {
				t.Errorf("%s: defaults nodes %d seeds %d", tc.name, d.GetNodes(), d.GetSeeds())
			}
			continue
		}
		if !errors.Is(err, plan.ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err %v, want one naming %s", tc.name, err, tc.field)
		}
	}
}

// A ring of two data centres: each node is created in its data centre, which its task config
// carries (cassandra-rackdc.properties); each data centre has its own seeds and is spread over
// the racks on its own; the seed list spans both.
func TestCreateTwoDataCenters(t *testing.T) {
	w := plantest.NewWorld(t, 9, plan.Config{})
	acc, err := w.Submit(plan.CreateRing{Spec: dcSpec("demo",
		&cassmesosv1.DataCenter{Name: "dc1", Nodes: 3}, &cassmesosv1.DataCenter{Name: "dc2", Nodes: 3})})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 150, func() bool { return w.UN("demo") == 6 && opDone(w, acc.Operation.GetOperation().GetId()) })
	got := byDC(w, "demo")
	if !slices.Equal(got["dc1"], []string{"demo-0", "demo-1", "demo-2"}) || !slices.Equal(got["dc2"], []string{"demo-3", "demo-4", "demo-5"}) {
		t.Fatalf("nodes by data centre: %v", got)
	}
	if s := seedNames(w); !slices.Equal(s, []string{"demo-0", "demo-1", "demo-3", "demo-4"}) {
		t.Fatalf("seeds %v, want two per data centre", s)
	}
	racks := map[string]map[string]bool{}
	var seedAddrs []string
	for _, name := range seedNames(w) {
		seedAddrs = append(seedAddrs, w.Store.Nodes[name].GetAddress())
	}
	for name, n := range w.Store.Nodes {
		p := w.LiveProcs(name)
		if len(p) != 1 || p[0].Config.GetDatacenter() != n.GetDatacenter() || p[0].Config.GetRack() != n.GetRack() {
			t.Fatalf("%s: task config dc/rack vs record %s/%s", name, n.GetDatacenter(), n.GetRack())
		}
		if racks[n.GetDatacenter()] == nil {
			racks[n.GetDatacenter()] = map[string]bool{}
		}
		racks[n.GetDatacenter()][n.GetRack()] = true
		if n.GetName() == "demo-5" {
			// The last node launched knows the seeds of both data centres.
			for _, a := range seedAddrs {
				if !slices.Contains(p[0].Seeds, a) {
					t.Errorf("demo-5's seeds %v lack %s", p[0].Seeds, a)
				}
			}
		}
	}
	for dc, r := range racks {
		if len(r) != 3 {
			t.Errorf("%s is on racks %v, want all three", dc, r)
		}
	}
	if ws := w.Store.Rings["demo"].GetStatus().GetWarnings(); len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	// A data centre of three nodes needs two seeds.
	if _, err := w.Submit(plan.CreateRing{Spec: dcSpec("other", &cassmesosv1.DataCenter{Name: "dc1", Nodes: 3, Seeds: 1})}); !errors.Is(err, plan.ErrInvalid) || !strings.Contains(err.Error(), "spec.data_centers[0].seeds") {
		t.Fatalf("one seed of three: %v", err)
	}
	if _, err := w.Submit(plan.AddDataCenter{Ring: "demo", DataCenter: &cassmesosv1.DataCenter{Name: "dc3", Nodes: 3, Seeds: 1}}); !errors.Is(err, plan.ErrInvalid) || !strings.Contains(err.Error(), "datacenter.seeds") {
		t.Fatalf("dc add with one seed of three: %v", err)
	}
	// Scaling a ring of two data centres is refused with the way to do it.
	if _, err := w.Submit(plan.ScaleRing{Ring: "demo", Nodes: 7}); !errors.Is(err, plan.ErrPrecondition) || !strings.Contains(err.Error(), "dc add") {
		t.Fatalf("scale: %v", err)
	}
}

// A data centre with a region runs only on that region's agents.
func TestDataCenterRegion(t *testing.T) {
	w := plantest.NewWorld(t, 0, plan.Config{})
	for i, region := range []string{"east", "east", "west", "west", "west"} {
		a := w.AddAgent("r" + string(rune('1'+i%3)))
		a.Attrs["dc"] = region
	}
	acc, err := w.Submit(plan.CreateRing{Spec: dcSpec("demo",
		&cassmesosv1.DataCenter{Name: "e", Nodes: 2, Region: "east"}, &cassmesosv1.DataCenter{Name: "w", Nodes: 2, Region: "west"})})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 150, func() bool { return w.UN("demo") == 4 && opDone(w, acc.Operation.GetOperation().GetId()) })
	for name, n := range w.Store.Nodes {
		want := map[string]string{"e": "east", "w": "west"}[n.GetDatacenter()]
		if got := agentAttrs(w, n.GetAgentId())["dc"]; got != want {
			t.Errorf("%s of %s runs on an agent of region %q, want %q", name, n.GetDatacenter(), got, want)
		}
	}
}

func TestAddAndRemoveDataCenter(t *testing.T) {
	w, _ := healthyRing(t, 8, 3, 2)
	// Refusals name what is wrong and write nothing.
	for _, tc := range []struct {
		req  plan.AddDataCenter
		want string
	}{
		{plan.AddDataCenter{Ring: "demo", DataCenter: &cassmesosv1.DataCenter{Name: "dc1", Nodes: 2}}, "already has data centre dc1"},
		{plan.AddDataCenter{Ring: "demo", DataCenter: &cassmesosv1.DataCenter{Name: "dc2", Nodes: 2}, Source: "nope"}, `no data centre "nope"`},
		{plan.AddDataCenter{Ring: "demo", DataCenter: &cassmesosv1.DataCenter{Name: "dc2", Nodes: 0}}, "datacenter.nodes"},
		{plan.AddDataCenter{Ring: "nope", DataCenter: &cassmesosv1.DataCenter{Name: "dc2", Nodes: 1}}, "nope"},
	} {
		before := len(w.Store.Nodes)
		if _, err := w.Submit(tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.req, err, tc.want)
		}
		if len(w.Store.Nodes) != before || w.Store.Rings["demo"].GetSpec().GetDataCenters() != nil {
			t.Fatalf("a refused request wrote records")
		}
	}
	acc, err := w.Submit(plan.AddDataCenter{Ring: "demo", DataCenter: &cassmesosv1.DataCenter{Name: "dc2", Nodes: 2}})
	if err != nil {
		t.Fatal(err)
	}
	op := acc.Operation.GetOperation()
	var kinds []string
	for _, s := range op.GetSteps() {
		kinds = append(kinds, s.GetName())
	}
	if want := []string{"bootstrap demo-3", "bootstrap demo-4", "rebuild demo-3", "rebuild demo-4", "reseed: push the seed lists"}; !slices.Equal(kinds, want) {
		t.Fatalf("steps %v, want %v", kinds, want)
	}
	if sp := w.Store.Rings["demo"].GetSpec(); sp.GetNodes() != 5 || len(sp.GetDataCenters()) != 2 || sp.GetDataCenters()[0].GetName() != "dc1" || sp.GetSeeds() != 4 {
		t.Fatalf("spec after submit: %v", sp)
	}
	// The new nodes join; the rebuilds wait until a keyspace replicates to dc2, and say so.
	cooperate(t, w, 100, func() bool { return w.UN("demo") == 5 })
	cooperate(t, w, 5, func() bool { return opPhase(w, op.GetId()) == cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED })
	if msg := w.Store.Operations[op.GetId()].GetOperation().GetSteps()[2].GetMessage(); !strings.Contains(msg, "no keyspace replicates to data centre dc2") {
		t.Fatalf("blocked with %q", msg)
	}
	if len(w.Rebuilds) != 0 {
		t.Fatalf("rebuilt before any keyspace replicated to dc2: %v", w.Rebuilds)
	}
	w.Keyspaces = []plan.KeyspaceInfo{{Name: "app", Replication: map[string]string{"class": "NetworkTopologyStrategy", "dc1": "3", "dc2": "2"}}}
	// The daemon dies after the first rebuild was relayed and before its result came back: the
	// restarted daemon relays it again (same node, no new slot) and goes on.
	held, sent := true, 0
	w.HoldRelay = func(r plan.Relay) bool {
		if held && r.Kind == plan.RelayRebuild {
			sent++
			return true
		}
		return false
	}
	cooperate(t, w, 100, func() bool { return sent > 0 })
	if n := w.Store.Nodes["demo-3"]; !n.GetRebuildJoin() || w.UN("demo") != 5 {
		t.Fatalf("before the restart: demo-3 %v, %d UN", n, w.UN("demo"))
	}
	w.Restart()
	held = false
	cooperate(t, w, 100, func() bool { return opDone(w, op.GetId()) })
	if len(w.Store.Nodes) != 5 {
		t.Fatalf("%d nodes after the restart, want 5\n%s", len(w.Store.Nodes), w.Dump())
	}
	if !slices.Equal(w.Rebuilds, []string{"demo-3 from dc1", "demo-4 from dc1"}) {
		t.Fatalf("rebuilds %v", w.Rebuilds)
	}
	// Every node runs with the seed list of both data centres.
	checkSeedLists(t, w)
	for _, name := range []string{"demo-3", "demo-4"} {
		n := w.Store.Nodes[name]
		if n.GetDatacenter() != "dc2" || n.GetRebuildJoin() || !n.GetSeed() || n.GetIncarnation() != 1 {
			t.Fatalf("%s: %v", name, n)
		}
		if p := w.LiveProcs(name); len(p) != 1 || p[0].AutoBootstrap {
			t.Fatalf("%s: started with auto_bootstrap true (or not live)", name)
		}
	}

	// Remove it again: its nodes are decommissioned one by one; the spec goes back to dc1.
	if _, err := w.Submit(plan.RemoveDataCenter{Ring: "demo", DataCenter: "dc9"}); err == nil || !strings.Contains(err.Error(), `no data centre "dc9"`) {
		t.Fatalf("unknown dc: %v", err)
	}
	rm, err := w.Submit(plan.RemoveDataCenter{Ring: "demo", DataCenter: "dc2"})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 150, func() bool { return opDone(w, rm.Operation.GetOperation().GetId()) })
	if got := byDC(w, "demo"); len(got) != 1 || len(got["dc1"]) != 3 {
		t.Fatalf("nodes after removal: %v\n%s", got, w.Dump())
	}
	if sp := w.Store.Rings["demo"].GetSpec(); sp.GetNodes() != 3 || sp.GetSeeds() != 2 || len(sp.GetDataCenters()) != 1 {
		t.Fatalf("spec after removal: %v", sp)
	}
	if s := seedNames(w); !slices.Equal(s, []string{"demo-0", "demo-1"}) {
		t.Fatalf("seeds after removal: %v", s)
	}
	checkSeedLists(t, w)
	if _, err := w.Submit(plan.RemoveDataCenter{Ring: "demo", DataCenter: "dc1"}); !errors.Is(err, plan.ErrPrecondition) || !strings.Contains(err.Error(), "only data centre") {
		t.Fatalf("removing the last data centre: %v", err)
	}
}

// agentAttrs are the attributes of the world's agent with that ID.
func agentAttrs(w *plantest.World, id string) map[string]string {
	for _, a := range w.Agents {
		if a.ID == id {
			return a.Attrs
		}
	}
	return nil
}
