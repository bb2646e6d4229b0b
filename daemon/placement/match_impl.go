package placement

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// agentOffer is every offer of one agent merged, with what is still free.
type agentOffer struct {
	agentID, hostname, address string
	attrs                      map[string]string
	offerIDs                   []string
	order                      int // first appearance, for deterministic tie-breaks

	role            string // allocation role of unreserved resources
	cpus, mem, disk float64
	ports           []Range // free unreserved port ranges
	taken           map[uint64]bool
	reserved        []Resource // reserved resources (possibly with volumes)
	reservedUsed    []bool
	groups          map[string][]string // group -> keys of its nodes on this agent
	staticPorts     map[uint64]string   // static port -> key of the node binding it
	frameworkNodes  int
	used            bool // some match used this agent
}

const epsilon = 1e-9

func byBegin(a, b Range) int { return cmp.Compare(a.Begin, b.Begin) }

func mergeOffers(offers []Offer) ([]*agentOffer, map[string]*agentOffer) {
	byAgent := make(map[string]*agentOffer, len(offers))
	list := make([]*agentOffer, 0, len(offers))
	block := make([]agentOffer, 0, len(offers)) // one allocation; never grown, so pointers stay valid
	for _, o := range offers {
		a := byAgent[o.AgentID]
		if a == nil {
			addr := o.Address
			if addr == "" {
				addr = o.Hostname
			}
			block = append(block, agentOffer{agentID: o.AgentID, hostname: o.Hostname, address: addr, attrs: o.Attributes, order: len(list), role: o.Role})
			a = &block[len(block)-1]
			byAgent[o.AgentID] = a
			list = append(list, a)
		}
		a.offerIDs = append(a.offerIDs, o.ID)
		for _, r := range o.Resources {
			if r.Reservation != nil {
				a.reserved = append(a.reserved, r)
				a.reservedUsed = append(a.reservedUsed, false)
				continue
			}
			if a.role == "" && r.Role != "" {
				a.role = r.Role
			}
			switch r.Name {
			case CPUs:
				a.cpus += r.Scalar
			case Mem:
				a.mem += r.Scalar
			case Disk:
				if r.Volume == nil {
					a.disk += r.Scalar
				}
			case Ports:
				a.ports = append(a.ports, r.Ranges...)
			}
		}
	}
	for _, a := range list {
		if len(a.ports) > 1 && !slices.IsSortedFunc(a.ports, byBegin) {
			slices.SortFunc(a.ports, byBegin)
		}
	}
	return list, byAgent
}

func (a *agentOffer) portFree(p uint64) bool {
	if a.taken[p] {
		return false
	}
	for _, r := range a.ports {
		if p >= r.Begin && p <= r.End {
			return true
		}
	}
	return false
}

// dynamicPorts picks n free ports, lowest first, avoiding the request's static ports and the
// static ports of other nodes on the agent. It returns nil when there are not enough. Port
// ranges are sorted once, in mergeOffers.
func (a *agentOffer) dynamicPorts(n int, static []uint64) []uint64 {
	if n == 0 {
		return nil
	}
	out := make([]uint64, 0, n)
	a.scanPorts(n, static, func(p uint64) { out = append(out, p) })
	if len(out) < n {
		return nil
	}
	return out
}

// scanPorts calls f for up to n usable dynamic ports and returns how many it found.
func (a *agentOffer) scanPorts(n int, static []uint64, f func(uint64)) int {
	found := 0
	for _, r := range a.ports {
		for p := r.Begin; found < n; p++ {
			_, bound := a.staticPorts[p]
			if !a.taken[p] && !bound && !containsPort(static, p) {
				if f != nil {
					f(p)
				}
				found++
			}
			if p == r.End {
				break
			}
		}
		if found == n {
			break
		}
	}
	return found
}

func containsPort(ps []uint64, p uint64) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func attrValue(attrs map[string]string, hostname, name string) (string, bool) {
	if name == "hostname" {
		return hostname, true
	}
	v, ok := attrs[name]
	return v, ok
}

// why a request does not fit an agent; "" when it fits.
func (a *agentOffer) unfit(r *Request) string {
	for _, k := range a.groups[r.Group] {
		if k != r.Key {
			return "already runs a node of " + r.Group
		}
	}
	for _, p := range r.StaticPorts {
		if k, ok := a.staticPorts[p]; ok && k != r.Key {
			return fmt.Sprintf("port %d is bound by another node", p)
		}
	}
	for _, c := range r.Constraints {
		v, ok := attrValue(a.attrs, a.hostname, c.Attribute)
		switch c.Operator {
		case OpLike:
			if !ok || c.Pattern == nil || !c.Pattern.MatchString(v) {
				return "constraint " + c.Attribute + " LIKE"
			}
		case OpUnlike:
			if ok && c.Pattern != nil && c.Pattern.MatchString(v) {
				return "constraint " + c.Attribute + " UNLIKE"
			}
		}
	}
	if r.PersistenceID == "" {
		if a.cpus+epsilon < r.CPUs {
			return fmt.Sprintf("needs %g cpus", r.CPUs)
		}
		if a.mem+epsilon < r.MemMB {
			return fmt.Sprintf("needs %g MiB mem", r.MemMB)
		}
		if a.disk+epsilon < r.DiskMB {
			return fmt.Sprintf("needs %g MiB disk", r.DiskMB)
		}
	}
	for _, p := range r.StaticPorts {
		if !a.portFree(p) {
			return fmt.Sprintf("port %d not offered", p)
		}
	}
	if a.scanPorts(r.DynamicPorts, r.StaticPorts, nil) < r.DynamicPorts {
		return fmt.Sprintf("needs %d more ports", r.DynamicPorts)
	}
	return ""
}

// reservedFor finds the node's reserved resources in the agent's offers: the volume and enough
// reserved cpus and mem. It returns their indexes, or a reason.
func (a *agentOffer) reservedFor(r *Request) ([]int, string) {
	var idx []int
	var cpus, mem float64
	vol := false
	for i, res := range a.reserved {
		if a.reservedUsed[i] || res.Reservation.Role != r.Role {
			continue
		}
		if n, ok := res.Reservation.Labels[LabelNode]; ok && n != r.Key {
			continue
		}
		switch res.Name {
		case CPUs:
			cpus += res.Scalar
			idx = append(idx, i)
		case Mem:
			mem += res.Scalar
			idx = append(idx, i)
		case Disk:
			if res.Volume != nil && res.Volume.PersistenceID == r.PersistenceID {
				vol = true
				idx = append(idx, i)
			}
		}
	}
	switch {
	case !vol:
		return nil, "volume " + r.PersistenceID + " not offered"
	case cpus+epsilon < r.CPUs:
		return nil, fmt.Sprintf("reserved cpus %g < %g", cpus, r.CPUs)
	case mem+epsilon < r.MemMB:
		return nil, fmt.Sprintf("reserved mem %g < %g", mem, r.MemMB)
	}
	return idx, ""
}

// take records a match of r on a.
func (a *agentOffer) take(r *Request, reservedIdx []int) Match {
	m := Match{Key: r.Key, AgentID: a.agentID, Hostname: a.hostname, Address: a.address, Attributes: a.attrs, OfferIDs: a.offerIDs}
	m.Use.Role = a.role
	if r.PersistenceID != "" {
		for _, i := range reservedIdx {
			a.reservedUsed[i] = true
			m.Use.Reserved = append(m.Use.Reserved, a.reserved[i])
		}
	} else {
		a.cpus -= r.CPUs
		a.mem -= r.MemMB
		a.disk -= r.DiskMB
		m.Use.UnreservedCPUs, m.Use.UnreservedMemMB, m.Use.UnreservedDiskMB = r.CPUs, r.MemMB, r.DiskMB
	}
	dyn := a.dynamicPorts(r.DynamicPorts, r.StaticPorts)
	if a.taken == nil {
		a.taken = map[uint64]bool{}
	}
	if a.staticPorts == nil {
		a.staticPorts = map[uint64]string{}
	}
	if a.groups == nil {
		a.groups = map[string][]string{}
	}
	for _, p := range r.StaticPorts {
		a.taken[p] = true
		a.staticPorts[p] = r.Key
	}
	for _, p := range dyn {
		a.taken[p] = true
	}
	m.Use.StaticPorts = append([]uint64(nil), r.StaticPorts...)
	m.Use.DynamicPorts = dyn
	a.groups[r.Group] = append(a.groups[r.Group], r.Key)
	a.frameworkNodes++
	a.used = true
	return m
}

// bucket holds candidate agents sharing one combination of spread-attribute values.
type bucket struct {
	values []string // one per spread key
	agents []*agentOffer
}

// shapePlan is the feasibility filter's result for every request with the same requirements
// (resources, ports, role, constraints, rack attribute): computed once per Place call and
// shared by the rings that have that shape.
type shapePlan struct {
	keys    []string // spread keys: SPREAD attributes, then the rack attribute
	buckets []*bucket
	reason  string
}

// groupPlan is one group's (ring's) view of its shape: its node counts per spread value and
// its cursor in each bucket.
type groupPlan struct {
	why    string // last reason an agent did not fit, for the unplaced message
	shape  *shapePlan
	counts []map[string]int
	next   []int
}

// shapeKey identifies requests that the feasibility filter treats alike.
func shapeKey(r *Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%g|%g|%g|%v|%d|%s", r.Role, r.CPUs, r.MemMB, r.DiskMB, r.StaticPorts, r.DynamicPorts, r.RackAttribute)
	for _, c := range r.Constraints {
		fmt.Fprintf(&b, "|%s:%d:%v", c.Attribute, c.Operator, c.Pattern)
	}
	return b.String()
}

func match(offers []Offer, reqs []Request, placed []Placed) Result {
	agents, byAgent := mergeOffers(offers)
	res := Result{Unplaced: map[string]string{}}

	// Occupancy from existing placements.
	groupPlaced := map[string][]Placed{}
	for _, p := range placed {
		groupPlaced[p.Group] = append(groupPlaced[p.Group], p)
		if a := byAgent[p.AgentID]; a != nil {
			if a.groups == nil {
				a.groups = map[string][]string{}
			}
			if a.staticPorts == nil {
				a.staticPorts = map[uint64]string{}
			}
			a.groups[p.Group] = append(a.groups[p.Group], p.Key)
			for _, port := range p.StaticPorts {
				a.staticPorts[port] = p.Key
			}
			a.frameworkNodes++
		}
	}

	groups := map[string]*groupPlan{}
	shapes := map[string]*shapePlan{}
	for i := range reqs {
		r := &reqs[i]
		if r.Agent != "" || r.PersistenceID != "" {
			a := byAgent[r.Agent]
			if a == nil {
				res.Unplaced[r.Key] = "no offer from agent " + r.Agent
				continue
			}
			var idx []int
			if r.PersistenceID != "" {
				var why string
				if idx, why = a.reservedFor(r); why != "" {
					res.Unplaced[r.Key] = "agent " + r.Agent + ": " + why
					continue
				}
			}
			if why := a.unfit(r); why != "" {
				res.Unplaced[r.Key] = "agent " + r.Agent + ": " + why
				continue
			}
			res.Matches = append(res.Matches, a.take(r, idx))
			continue
		}
		g := groups[r.Group]
		if g == nil {
			sk := shapeKey(r)
			sh := shapes[sk]
			if sh == nil {
				sh = newShapePlan(r, agents)
				shapes[sk] = sh
			}
			g = newGroupPlan(sh, groupPlaced[r.Group])
			groups[r.Group] = g
		}
		m, ok := g.place(r)
		if !ok {
			why := g.shape.reason
			if why == "" {
				why = g.why
			}
			if why == "" {
				why = "no agent left that fits"
			}
			res.Unplaced[r.Key] = why
			continue
		}
		res.Matches = append(res.Matches, m)
	}
	for _, a := range agents {
		if !a.used {
			res.Unused = append(res.Unused, a.offerIDs...)
		}
	}
	return res
}

func newShapePlan(r *Request, agents []*agentOffer) *shapePlan {
	g := &shapePlan{}
	for _, c := range r.Constraints {
		if c.Operator == OpSpread {
			g.keys = append(g.keys, c.Attribute)
		}
	}
	rack := r.RackAttribute
	if rack == "" {
		rack = "rack"
	}
	g.keys = append(g.keys, rack)
	// Feasibility filters, once per shape (the per-group filter, one node per agent per group,
	// is applied when picking); reasons tallied for the unplaced message.
	why := map[string]int{}
	byKey := map[string]*bucket{}
	n := 0
	probe := *r
	probe.Group = "\x00shape"
	for _, a := range agents {
		if w := a.unfit(&probe); w != "" {
			why[w]++
			continue
		}
		n++
		var key string
		var vals []string
		if len(g.keys) == 1 {
			key, _ = attrValue(a.attrs, a.hostname, g.keys[0])
		} else {
			vals = make([]string, len(g.keys))
			for i, k := range g.keys {
				vals[i], _ = attrValue(a.attrs, a.hostname, k)
			}
			key = strings.Join(vals, "\x00")
		}
		b := byKey[key]
		if b == nil {
			if vals == nil {
				vals = []string{key}
			}
			b = &bucket{values: vals}
			byKey[key] = b
			g.buckets = append(g.buckets, b)
		}
		b.agents = append(b.agents, a)
	}
	for _, b := range g.buckets {
		sort.SliceStable(b.agents, func(i, j int) bool {
			if b.agents[i].frameworkNodes != b.agents[j].frameworkNodes {
				return b.agents[i].frameworkNodes < b.agents[j].frameworkNodes
			}
			return b.agents[i].order < b.agents[j].order
		})
	}
	sort.Slice(g.buckets, func(i, j int) bool {
		return strings.Join(g.buckets[i].values, "\x00") < strings.Join(g.buckets[j].values, "\x00")
	})
	if n == 0 {
		g.reason = summarize(len(agents), why)
	}
	return g
}

func newGroupPlan(shape *shapePlan, placed []Placed) *groupPlan {
	g := &groupPlan{shape: shape, counts: make([]map[string]int, len(shape.keys)), next: make([]int, len(shape.buckets))}
	for i := range g.counts {
		g.counts[i] = map[string]int{}
	}
	for _, p := range placed {
		for i, k := range shape.keys {
			v, _ := attrValue(p.Attributes, "", k)
			g.counts[i][v]++
		}
	}
	return g
}

func summarize(total int, why map[string]int) string {
	if total == 0 {
		return "no offers"
	}
	type kv struct {
		k string
		v int
	}
	var l []kv
	for k, v := range why {
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].v != l[j].v {
			return l[i].v > l[j].v
		}
		return l[i].k < l[j].k
	})
	parts := make([]string, 0, 3)
	for i, e := range l {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%d %s", e.v, e.k))
	}
	return fmt.Sprintf("0 of %d offered agents fit: %s", total, strings.Join(parts, ", "))
}

// place picks, among buckets with a usable agent, the one whose spread values have the fewest
// nodes of the group (keys compared in order: SPREAD constraints first, then the rack), and in
// it the least loaded agent.
func (g *groupPlan) place(r *Request) (Match, bool) {
	sh := g.shape
	g.why = ""
	for {
		best := -1
		var bestKey []int
		key := make([]int, len(sh.keys))
		for bi, b := range sh.buckets {
			if g.next[bi] >= len(b.agents) {
				continue
			}
			for i := range sh.keys {
				key[i] = g.counts[i][b.values[i]]
			}
			if best < 0 || lessInts(key, bestKey) {
				best, bestKey = bi, append(bestKey[:0], key...)
			}
		}
		if best < 0 {
			return Match{}, false
		}
		b := sh.buckets[best]
		a := b.agents[g.next[best]]
		// Resources only shrink and groups only grow: an unfit agent stays unfit for the group.
		g.next[best]++
		if w := a.unfit(r); w != "" {
			g.why = "agent " + a.agentID + " " + w
			continue
		}
		for i := range sh.keys {
			g.counts[i][b.values[i]]++
		}
		return a.take(r, nil), true
	}
}

func lessInts(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
