package plan

import (
	"fmt"
	"slices"
	"strings"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// rackWarningPrefix starts the ring status warning about an uneven spread over racks.
const rackWarningPrefix = "rack spread:"

// rackWarnings puts a warning on a ring's status while the placed nodes of one of its
// datacenters are spread over racks less evenly than the racks of the reachable agents known to
// the daemon would allow (placement spreads over racks as far as the offers allow; this says when
// they did not), and takes it away once they are.
func (ps *pass) rackWarnings() {
	for _, name := range sortedKeys(ps.rings) {
		r := ps.ring(name)
		var want []string
		if !r.GetDeleting() {
			want = ps.rackSpread(name)
		}
		var keep []string
		for _, w := range r.GetStatus().GetWarnings() {
			if !strings.HasPrefix(w, rackWarningPrefix) {
				keep = append(keep, w)
			}
		}
		want = append(keep, want...)
		if strings.Join(want, "\n") != strings.Join(r.GetStatus().GetWarnings(), "\n") {
			w := ps.mutRing(name)
			if w.Status == nil {
				w.Status = &cassmesosv1.RingStatus{}
			}
			w.Status.Warnings = want
		}
	}
}

// rackSpread returns one warning per datacenter of the ring whose placed nodes are unevenly
// spread: on fewer racks than min(nodes, known racks), or more on one rack than
// ceil(nodes / known racks).
func (ps *pass) rackSpread(ring string) []string {
	spec := ps.ring(ring).GetSpec()
	attr := spec.GetRackAttribute()
	if attr == "" {
		attr = DefaultRackAttribute
	}
	known := map[string]map[string]bool{} // dc -> racks of reachable agents
	for _, a := range ps.s.Agents {
		if !a.Reachable || a.Gone {
			continue
		}
		var dcs []string
		if multiDC(spec) {
			for _, d := range spec.GetDataCenters() {
				if d.GetRegion() == "" || a.Attributes[DataCenterAttribute] == d.GetRegion() {
					dcs = append(dcs, d.GetName())
				}
			}
		} else if dc := spec.GetDatacenter(); dc != "" {
			dcs = []string{dc}
		} else {
			dcs = []string{attrOr(a.Attributes, "dc", DefaultDatacenter)}
		}
		for _, dc := range dcs {
			if known[dc] == nil {
				known[dc] = map[string]bool{}
			}
			known[dc][attrOr(a.Attributes, attr, DefaultRack)] = true
		}
	}
	used := map[string]map[string]int{} // dc -> rack -> nodes
	for _, n := range ps.ringNodes(ring) {
		if n.GetAgentId() == "" || n.GetRack() == "" || n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			continue
		}
		if used[n.GetDatacenter()] == nil {
			used[n.GetDatacenter()] = map[string]int{}
		}
		used[n.GetDatacenter()][n.GetRack()]++
	}
	var out []string
	for _, dc := range sortedKeys(used) {
		racks := used[dc]
		for r := range racks {
			if known[dc] == nil {
				known[dc] = map[string]bool{}
			}
			known[dc][r] = true
		}
		nodes, most := 0, 0
		for _, c := range racks {
			nodes += c
			most = max(most, c)
		}
		k := len(known[dc])
		if len(racks) >= min(nodes, k) && most <= (nodes+k-1)/k {
			continue
		}
		var parts []string
		for _, r := range sortedKeys(racks) {
			parts = append(parts, fmt.Sprintf("%s ×%d", r, racks[r]))
		}
		all := sortedKeys(known[dc])
		slices.Sort(all)
		out = append(out, fmt.Sprintf("%s %s: %d nodes on %s, though agents on %d racks are known (%s); the offers did not allow an even spread",
			rackWarningPrefix, dc, nodes, strings.Join(parts, ", "), k, strings.Join(first(all, 8), " ")))
	}
	return out
}
