package plan

import (
	"fmt"
	"regexp"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/internal/specrules"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Data centres (issue 16). A spec with data_centers names each of the ring's data centres and
// its node and seed counts; spec.nodes and spec.seeds are their sums. Each node slot is given its
// data centre when it is created (NodeRecord.datacenter), which cassandra-rackdc.properties gets
// at every launch; a data centre with a region runs only on agents whose "dc" attribute (the
// fault domain's region when the agent has no such attribute) is that region. Placement spreads
// the nodes of each data centre over its racks separately (the placement group is the ring and
// the data centre).

// DataCenterAttribute is the agent attribute a data centre's region is matched against.
const DataCenterAttribute = "dc"

// multiDC reports whether the spec names its data centres.
func multiDC(spec *cassmesosv1.RingSpec) bool { return len(spec.GetDataCenters()) > 0 }

// dataCenter is the spec's data centre of that name, nil when it has none.
func dataCenter(spec *cassmesosv1.RingSpec, name string) *cassmesosv1.DataCenter {
	for _, dc := range spec.GetDataCenters() {
		if dc.GetName() == name {
			return dc
		}
	}
	return nil
}

// dcSeedsDefault is a data centre's seed count when its spec leaves it 0.
func dcSeedsDefault(nodes int32) int32 { return min(nodes, 2) }

// applyDCDefaults fills each data centre's seeds and the spec's node and seed sums (when 0).
func applyDCDefaults(s *cassmesosv1.RingSpec) {
	if !multiDC(s) {
		return
	}
	var nodes, seeds int32
	for _, dc := range s.DataCenters {
		if dc.Seeds == 0 {
			dc.Seeds = dcSeedsDefault(dc.Nodes)
		}
		nodes += dc.Nodes
		seeds += dc.Seeds
	}
	if s.Nodes == 0 {
		s.Nodes = nodes
	}
	if s.Seeds == 0 {
		s.Seeds = seeds
	}
}

// validateDataCenter checks one data centre's fields (f is its field path).
func validateDataCenter(f string, dc *cassmesosv1.DataCenter) error {
	if err := specrules.Datacenter("spec."+f+".name", dc.GetName()); err != nil {
		return broken(err)
	}
	if err := specrules.RackDC("spec."+f+".name", dc.GetName()); err != nil {
		return broken(err)
	}
	if dc.GetNodes() < 1 {
		return invalid(f+".nodes", "%d: a data centre needs at least 1 node", dc.GetNodes())
	}
	if dc.GetNodes() > MaxNodes {
		return invalid(f+".nodes", "%d: at most %d nodes", dc.GetNodes(), MaxNodes)
	}
	seeds := dc.GetSeeds()
	if seeds < 0 {
		return invalid(f+".seeds", "%d is negative", seeds)
	}
	if seeds == 0 {
		seeds = dcSeedsDefault(dc.GetNodes())
	}
	if seeds > dc.GetNodes() {
		return invalid(f+".seeds", "%d seeds for %d nodes: seeds may not exceed nodes", seeds, dc.GetNodes())
	}
	if r := dc.GetRegion(); r != "" {
		if err := specrules.RackDC("spec."+f+".region", r); err != nil {
			return broken(err)
		}
	}
	return nil
}

// validateDataCenters checks a spec's data centres and returns the spec with their defaults and
// sums filled in (a copy; s itself is not changed), for the rest of ValidateSpec.
func validateDataCenters(s *cassmesosv1.RingSpec) (*cassmesosv1.RingSpec, error) {
	if !multiDC(s) {
		return s, nil
	}
	if s.GetDatacenter() != "" {
		return nil, invalid("datacenter", "%q: leave it empty when data_centers names the data centres", s.GetDatacenter())
	}
	seen := map[string]bool{}
	var nodes, seeds int32
	for i, dc := range s.GetDataCenters() {
		f := fmt.Sprintf("data_centers[%d]", i)
		if err := validateDataCenter(f, dc); err != nil {
			return nil, err
		}
		if seen[dc.GetName()] {
			return nil, invalid(f+".name", "%q named twice", dc.GetName())
		}
		seen[dc.GetName()] = true
		nodes += dc.GetNodes()
		seeds += max(dc.GetSeeds(), 0)
		if dc.GetSeeds() == 0 {
			seeds += dcSeedsDefault(dc.GetNodes())
		}
	}
	if n := s.GetNodes(); n != 0 && n != nodes {
		return nil, invalid("nodes", "%d, but the data centres have %d nodes in all (leave nodes 0 with data_centers)", n, nodes)
	}
	if n := s.GetSeeds(); n != 0 && n != seeds {
		return nil, invalid("seeds", "%d, but the data centres have %d seeds in all (leave seeds 0 with data_centers)", n, seeds)
	}
	c := proto.Clone(s).(*cassmesosv1.RingSpec)
	applyDCDefaults(c)
	return c, nil
}

// dcSlot is what a new node slot of a ring is: its data centre and whether it is a seed.
type dcSlot struct {
	dc   string
	seed bool
}

// createSlots lists the slots of a new ring in ordinal order: each data centre's nodes together,
// its seeds first. A spec without data centres gives seeds first, with no data centre (the
// launch takes it from the spec or the agent).
func createSlots(spec *cassmesosv1.RingSpec) []dcSlot {
	var out []dcSlot
	if !multiDC(spec) {
		for i := int32(0); i < spec.GetNodes(); i++ {
			out = append(out, dcSlot{seed: i < spec.GetSeeds()})
		}
		return out
	}
	for _, dc := range spec.GetDataCenters() {
		for i := int32(0); i < dc.GetNodes(); i++ {
			out = append(out, dcSlot{dc: dc.GetName(), seed: i < dc.GetSeeds()})
		}
	}
	return out
}

// placementGroup is the node's placement group: its ring, or its ring and data centre when the
// ring names its data centres (so that each data centre is spread over racks on its own).
func placementGroup(spec *cassmesosv1.RingSpec, n *statev1.NodeRecord) string {
	if multiDC(spec) && n.GetDatacenter() != "" {
		return n.GetRing() + "/" + n.GetDatacenter()
	}
	return n.GetRing()
}

// regionConstraint keeps a data centre with a region on the agents of that region.
func regionConstraint(spec *cassmesosv1.RingSpec, n *statev1.NodeRecord) (placement.Constraint, bool) {
	dc := dataCenter(spec, n.GetDatacenter())
	if dc.GetRegion() == "" {
		return placement.Constraint{}, false
	}
	return placement.Constraint{Attribute: DataCenterAttribute, Operator: placement.OpLike,
		Pattern: regexp.MustCompile("^" + regexp.QuoteMeta(dc.GetRegion()) + "$")}, true
}

// sumDataCenters sets the spec's node and seed counts to the sums over its data centres.
func sumDataCenters(s *cassmesosv1.RingSpec) {
	if !multiDC(s) {
		return
	}
	s.Nodes, s.Seeds = 0, 0
	for _, d := range s.DataCenters {
		s.Nodes += d.Nodes
		s.Seeds += d.Seeds
	}
}

// checkRingDC refuses a data centre ("" passes) that none of the ring's nodes is in, naming the
// ones they are in.
func (ps *pass) checkRingDC(ring, dc string) error {
	if dc == "" {
		return nil
	}
	have := map[string]bool{}
	for _, n := range ps.ringNodes(ring) {
		if n.GetDatacenter() == dc {
			return nil
		}
		if n.GetDatacenter() != "" {
			have[n.GetDatacenter()] = true
		}
	}
	names := sortedKeys(have)
	if len(names) == 0 {
		names = []string{"none known yet"}
	}
	return fmt.Errorf("%w: datacenter: ring %s has no node in data centre %q (its nodes are in %s)", ErrInvalid, ring, dc, strings.Join(names, ", "))
}

// inDataCenter keeps, of each token range, the replicas in data centre dc (by their node
// records' addresses), dropping the ranges with none there; dc "" keeps them all. A repair with
// -dc repairs among those replicas only, so its segments, coordinators and replica sets are
// planned from them.
func inDataCenter(ranges []TokenRange, dc string, byAddr map[string]*statev1.NodeRecord) []TokenRange {
	if dc == "" {
		return ranges
	}
	var out []TokenRange
	for _, tr := range ranges {
		var eps []string
		for _, e := range tr.Endpoints {
			if n := byAddr[e]; n != nil && n.GetDatacenter() == dc {
				eps = append(eps, e)
			}
		}
		if len(eps) > 0 {
			out = append(out, TokenRange{Start: tr.Start, End: tr.End, Endpoints: eps})
		}
	}
	return out
}

// checkDCSeeds refuses a new data centre of 3 nodes or more with fewer than 2 seeds (checked when
// a ring is created or a data centre added; a one-data-centre ring made before data centres were
// named keeps the seeds it has).
func checkDCSeeds(f string, dc *cassmesosv1.DataCenter) error {
	seeds := dc.GetSeeds()
	if seeds == 0 {
		seeds = dcSeedsDefault(dc.GetNodes())
	}
	if dc.GetNodes() >= 3 && seeds < 2 {
		return invalid(f+".seeds", "%d seed for %d nodes: a data centre of 3 nodes or more needs at least 2 seeds", seeds, dc.GetNodes())
	}
	return nil
}
