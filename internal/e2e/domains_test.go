package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// Agents with Mesos fault domains and no rack or dc attribute: the zone is the node's rack and
// the region its datacenter (GossipingPropertyFileSnitch, as Cassandra's own nodetool status
// shows), the nodes spread over the zones, and the agent of another region is never offered
// (the daemon is not REGION_AWARE).
func TestFaultDomainRacks(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 5, AgentAttributes: []string{"kind:sim"},
		MesosSimFlags: []string{"--master-domain", "east/e1",
			"--agent-domain", "east/e1", "--agent-domain", "east/e2", "--agent-domain", "east/e3",
			"--agent-domain", "east/e1", "--agent-domain", "west/w1"}})
	if out, errOut, code := w.CLI(append(createArgs("dom", 3, 2), "--wait", "--timeout", "4m")...); code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "dom", 3, 2*time.Minute)
	var racks []string
	for _, n := range w.Ring("dom").GetNodes() {
		if n.GetDatacenter() != "east" {
			t.Errorf("%s: datacenter %q, want the region east", n.GetName(), n.GetDatacenter())
		}
		if n.GetAddress() == w.AgentIP(4) {
			t.Errorf("%s runs on the west agent", n.GetName())
		}
		racks = append(racks, n.GetRack())
	}
	slices.Sort(racks)
	if !slices.Equal(racks, []string{"e1", "e2", "e3"}) {
		t.Errorf("racks %v, want one node per zone e1 e2 e3", racks)
	}
	out, _, code := w.Nodetool(w.Ring("dom").GetNodes()[0].GetAddress(), "status")
	if code != 0 {
		t.Fatalf("nodetool status: exit %d\n%s", code, out)
	}
	st, err := nodetool.ParseStatus(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range st.All() {
		if n.Datacenter != "east" || !slices.Contains([]string{"e1", "e2", "e3"}, n.Rack) {
			t.Errorf("nodetool status: %s in %s/%s", n.Host(), n.Datacenter, n.Rack)
		}
	}
}
