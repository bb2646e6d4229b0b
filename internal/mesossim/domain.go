package mesossim

import (
	"fmt"
	"strings"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Fault domains (Mesos 1.5+): the master and each agent may carry a DomainInfo with a region and
// a zone ("region/zone" in the simulator's flags and configs). As in Mesos, an agent with a domain
// needs a master with one; SUBSCRIBED carries master_info.domain, offers carry the agent's domain,
// and a framework without the REGION_AWARE capability is offered only agents of the master's
// region (and agents without a domain).

// parseDomain reads "region/zone"; "" is no domain.
func parseDomain(s string) (*mesos.DomainInfo, error) {
	if s == "" {
		return nil, nil
	}
	region, zone, ok := strings.Cut(s, "/")
	if !ok || region == "" || zone == "" || strings.ContainsAny(s, " \t\n,;") || strings.Contains(zone, "/") {
		return nil, fmt.Errorf("domain %q: want region/zone", s)
	}
	return &mesos.DomainInfo{FaultDomain: &mesos.DomainInfo_FaultDomain{
		Region: mesos.DomainInfo_FaultDomain_RegionInfo{Name: region},
		Zone:   mesos.DomainInfo_FaultDomain_ZoneInfo{Name: zone},
	}}, nil
}

// regionOf is a domain's region name ("" without one).
func regionOf(d *mesos.DomainInfo) string {
	if d == nil || d.FaultDomain == nil {
		return ""
	}
	return d.FaultDomain.Region.Name
}

// offersTo reports whether agent a's resources may be offered to fw: a framework that is not
// REGION_AWARE gets only agents of the master's region or without a domain.
func (s *Sim) offersTo(fw *framework, a *agent) bool {
	r := regionOf(a.domain)
	return r == "" || r == regionOf(s.domain) || fw.hasCap(mesos.FrameworkInfo_Capability_REGION_AWARE)
}
