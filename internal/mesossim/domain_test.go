package mesossim

import (
	"context"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
)

func TestFaultDomains(t *testing.T) {
	cfg := fastConfig(t, 3)
	cfg.Domain = "east/e1"
	cfg.Agents[0].Domain = "east/e1"
	cfg.Agents[1].Domain = "east/e2"
	cfg.Agents[2].Domain = "west/w1"
	sim := startSim(t, cfg)
	west := sim.agents[2].id

	// Not REGION_AWARE: the master's region only; SUBSCRIBED names the master's domain.
	local := startSched(t, sim, frameworkInfo("local", 60), nil, mediaProtobuf)
	e := local.waitEvent(0, 20*time.Second, "SUBSCRIBED", func(e *scheduler.Event) bool { return e.Type == scheduler.Event_SUBSCRIBED })
	md := e.GetSubscribed().GetMasterInfo().GetDomain().GetFaultDomain()
	if md == nil || md.Region.Name != "east" || md.Zone.Name != "e1" {
		t.Fatalf("master_info.domain %v", md)
	}
	for _, z := range []string{"e1", "e2"} {
		local.waitOffer(0, "from zone "+z, func(o mesos.Offer) bool {
			return o.GetDomain().GetFaultDomain() != nil && o.GetDomain().GetFaultDomain().Zone.Name == z
		})
	}
	// Several allocation rounds have passed: none offered the west agent.
	local.mu.Lock()
	for _, ev := range local.events {
		for _, o := range ev.GetOffers().GetOffers() {
			if o.AgentID.Value == west {
				t.Errorf("a framework that is not REGION_AWARE got an offer from the west agent")
			}
		}
	}
	local.mu.Unlock()

	// REGION_AWARE: every region, offers carrying their agent's domain.
	aware := startSched(t, sim, frameworkInfo("aware", 60, mesos.FrameworkInfo_Capability_REGION_AWARE), nil, mediaProtobuf)
	o := aware.waitOffer(0, "from the west agent", func(o mesos.Offer) bool { return o.AgentID.Value == west })
	if d := o.GetDomain().GetFaultDomain(); d == nil || d.Region.Name != "west" || d.Zone.Name != "w1" {
		t.Fatalf("west offer's domain %v", d)
	}
}

func TestFaultDomainsRefusedWithoutMasterDomain(t *testing.T) {
	cfg := fastConfig(t, 1)
	cfg.Agents[0].Domain = "east/e1"
	if _, err := Start(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "master has none") {
		t.Fatalf("agent with a domain under a master without one: %v", err)
	}
	cfg = fastConfig(t, 1)
	cfg.Domain = "east"
	if _, err := Start(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "region/zone") {
		t.Fatalf("bad master domain: %v", err)
	}
}
