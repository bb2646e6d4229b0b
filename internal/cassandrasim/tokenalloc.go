package cassandrasim

import (
	"container/heap"
	"hash/fnv"
	"math"
	"sort"
)

// Token allocation as Cassandra 4.0+/5.0 does it when cassandra.yaml sets
// allocate_tokens_for_local_replication_factor (5.0's default yaml sets 3): the new node's tokens
// are chosen to even out the replicated ownership of the nodes of its datacenter (Cassandra's
// TokenAllocation / ReplicationAwareTokenAllocator, described here, not copied):
//
//   - The allocation ring is the tokens of the normal and bootstrapping nodes of the local
//     datacenter. With RF 1, or as many racks as RF, every node replicates once (with racks = RF
//     the ring is the node's rack only); with more racks than RF the racks are the replication
//     groups; with one rack every node is its own group. Fewer racks than RF (but more than one)
//     is refused by Cassandra; the stand-in then falls back to AllocateTokens (see chooseTokens).
//   - While the ring holds fewer nodes than RF (or fewer tokens than the node asks for), the
//     tokens come from repeatedly splitting the largest range at a ratio drawn between
//     1-1/sqrt(5) and that + 0.075 (Java's Random seeded with the ring's token count); on an
//     empty ring from a random start token.
//   - Otherwise every midpoint of an existing range is a candidate. Each candidate is scored by
//     how much inserting it lowers the variance of the replicated ownership of the tokens it
//     affects and of their nodes (the new node counted as if its remaining tokens were ideal,
//     weighted by how many of its tokens are placed). Candidates are taken best first; a popped
//     candidate is scored again and kept only if still at least as good as the next one.
//
// Cassandra uses a simpler allocator (NoReplicationTokenAllocator) when every node replicates once;
// the stand-in uses the same replication-aware scoring with one replica there, which also evens
// out ownership.

// allocGroup is a replication group: a node, or a rack when racks are the groups.
type allocGroup struct{ key string }

type allocUnit struct {
	group *allocGroup
	own   float64 // replicated ownership, fraction of the ring
	count int     // tokens
}

type allocToken struct {
	t          int64
	u          *allocUnit
	prev, next *allocToken
	own        float64 // replicated ownership of this token's range span
}

type allocCandidate struct {
	t      int64
	split  *allocToken // the token after the candidate
	own    float64     // ownership assumed before it is placed (the ideal)
	weight float64
	index  int
}

type candidateHeap []*allocCandidate

func (h candidateHeap) Len() int           { return len(h) }
func (h candidateHeap) Less(i, j int) bool { return h[i].weight > h[j].weight }
func (h candidateHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *candidateHeap) Push(x any)        { c := x.(*allocCandidate); c.index = len(*h); *h = append(*h, c) }
func (h *candidateHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// ringSize is Murmur3's Token.size(next) as a fraction of the ring: the width of (a, b], the
// whole ring when a == b.
func ringSize(a, b int64) float64 {
	if a == b {
		return 1
	}
	return float64(uint64(b)-uint64(a)) / (1 << 64)
}

// ringSplit is the token ratio of the way from a to b (the whole ring when a == b).
func ringSplit(a, b int64, ratio float64) int64 {
	w := ringSize(a, b) * ratio * (1 << 64)
	var step uint64
	if w >= 1<<64 {
		step = math.MaxUint64
	} else {
		step = uint64(w)
	}
	return int64(uint64(a) + step)
}

// javaRandom is java.util.Random's generator (48-bit LCG), for the split ratios Cassandra draws.
type javaRandom struct{ seed uint64 }

func newJavaRandom(seed int64) *javaRandom {
	return &javaRandom{seed: (uint64(seed) ^ 0x5DEECE66D) & (1<<48 - 1)}
}

func (r *javaRandom) next(bits uint) uint64 {
	r.seed = (r.seed*0x5DEECE66D + 0xB) & (1<<48 - 1)
	return r.seed >> (48 - bits)
}

func (r *javaRandom) nextDouble() float64 {
	return float64(r.next(26)<<27+r.next(27)) * (1.0 / (1 << 53))
}

const (
	minInitialSplitsRatio = 1.0 - 0.4472135954999579 // 1 - 1/sqrt(5)
	maxInitialSplitsRatio = minInitialSplitsRatio + 0.075
)

// allocRingToken is one token of the allocation ring and the unit (node) owning it.
type allocRingToken struct {
	Token int64
	Unit  string
	Group string // replication group: the unit, or its rack
}

// allocateReplicationAware picks numTokens tokens for newUnit (in group newGroup) on the given
// allocation ring with the given number of replicas. seed picks the start token of an empty ring.
func allocateReplicationAware(ring []allocRingToken, newUnit, newGroup string, numTokens, replicas int, seed string) []int64 {
	if replicas < 1 {
		replicas = 1
	}
	units := map[string]bool{}
	groupKeys := map[string]bool{}
	for _, rt := range ring {
		units[rt.Unit] = true
		groupKeys[rt.Group] = true
	}
	if len(units) < replicas || numTokens > len(ring) || len(groupKeys) < replicas {
		return generateSplits(ring, numTokens, seed)
	}
	sorted := append([]allocRingToken(nil), ring...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Token < sorted[j].Token })

	groups := map[string]*allocGroup{}
	group := func(k string) *allocGroup {
		g := groups[k]
		if g == nil {
			g = &allocGroup{key: k}
			groups[k] = g
		}
		return g
	}
	unitInfo := map[string]*allocUnit{}
	var first, last *allocToken
	for _, rt := range sorted {
		u := unitInfo[rt.Unit]
		if u == nil {
			u = &allocUnit{group: group(rt.Group)}
			unitInfo[rt.Unit] = u
		}
		u.count++
		tk := &allocToken{t: rt.Token, u: u}
		if first == nil {
			first = tk
		} else {
			last.next, tk.prev = tk, last
		}
		last = tk
	}
	first.prev, last.next = last, first

	a := &allocator{replicas: replicas}
	opt := float64(replicas) / float64(len(sorted)+numTokens)
	tk := first
	for {
		a.repopulate(tk)
		if tk = tk.next; tk == first {
			break
		}
	}
	newU := &allocUnit{group: group(newGroup), own: float64(numTokens) * opt, count: numTokens}

	var cands []*allocCandidate
	tk = first
	for {
		c := &allocCandidate{t: ringSplit(tk.prev.t, tk.t, 0.5), split: tk, own: opt}
		if c.t != tk.prev.t && c.t != tk.t && c.t != math.MinInt64 {
			cands = append(cands, c)
		}
		if tk = tk.next; tk == first {
			break
		}
	}
	h := make(candidateHeap, 0, len(cands))
	for _, c := range cands {
		c.weight = a.improvement(c, newU, opt, 1.0/float64(numTokens))
		heap.Push(&h, c)
	}
	var out []int64
	for vn := 1; h.Len() > 0; vn++ {
		best := heap.Pop(&h).(*allocCandidate)
		if vn > 1 {
			for h.Len() > 0 {
				best.weight = a.improvement(best, newU, opt, float64(vn)/float64(numTokens))
				if best.weight >= h[0].weight {
					break
				}
				heap.Push(&h, best)
				best = heap.Pop(&h).(*allocCandidate)
			}
		}
		a.confirm(best, newU)
		out = append(out, best.t)
		if len(out) == numTokens {
			break
		}
	}
	if len(out) < numTokens {
		// Fewer usable candidates than tokens (ranges too narrow to split): splits instead.
		return generateSplits(ring, numTokens, seed)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

type allocator struct {
	replicas int
	seen     []*allocGroup
}

// replicationStart walks back from the token before a token of group own (step gives each
// predecessor) until it has seen replicas distinct groups or own's group: that token's end
// is where the token's replicated span begins.
func (a *allocator) replicationStart(from *allocToken, own *allocGroup, step func(*allocToken) *allocToken) int64 {
	seen := a.seen[:0]
	var start int64
	for x := from; ; x = step(x) {
		start = x.t
		g := x.u.group
		dup := false
		for _, s := range seen {
			if s == g {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		seen = append(seen, g)
		if len(seen) >= a.replicas || g == own {
			break
		}
	}
	a.seen = seen[:0]
	return start
}

func prevToken(x *allocToken) *allocToken { return x.prev }

// repopulate recomputes a placed token's replicated ownership and its unit's.
func (a *allocator) repopulate(tk *allocToken) {
	own := ringSize(a.replicationStart(tk.prev, tk.u.group, prevToken), tk.t)
	tk.u.own += own - tk.own
	tk.own = own
}

type unitDelta struct {
	u *allocUnit
	d float64
}

func sq(x float64) float64 { return x * x }

// improvement is how much placing candidate c lowers the variance of token and unit ownership
// (higher is better).
func (a *allocator) improvement(c *allocCandidate, newU *allocUnit, opt, newUnitMult float64) float64 {
	s := c.split
	virt := &allocToken{t: c.t, u: newU, prev: s.prev}
	step := func(x *allocToken) *allocToken {
		if x == s {
			return virt
		}
		return x.prev
	}
	var deltas []unitDelta
	add := func(u *allocUnit, d float64) {
		for i := range deltas {
			if deltas[i].u == u {
				deltas[i].d += d
				return
			}
		}
		deltas = append(deltas, unitDelta{u, d})
	}
	own := ringSize(a.replicationStart(s.prev, newU.group, step), c.t)
	tokenChange := (sq(own-opt) - sq(c.own-opt)) / sq(float64(newU.count))
	add(newU, own-c.own)
	var visited []*allocGroup
	for cur := s; len(visited) < a.replicas; cur = cur.next {
		dup := false
		for _, g := range visited {
			if g == cur.u.group {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		visited = append(visited, cur.u.group)
		o := ringSize(a.replicationStart(step(cur), cur.u.group, step), cur.t)
		tokenChange += (sq(o-opt) - sq(cur.own-opt)) / sq(float64(cur.u.count))
		add(cur.u, o-cur.own)
	}
	unitChange := 0.0
	for _, d := range deltas {
		n := float64(d.u.count)
		diff := sq((d.u.own+d.d)/n-opt) - sq(d.u.own/n-opt)
		if d.u == newU {
			diff *= newUnitMult
		}
		unitChange += diff
	}
	return -(tokenChange + unitChange)
}

// confirm places candidate c in the ring and updates the ownership it changes.
func (a *allocator) confirm(c *allocCandidate, newU *allocUnit) {
	s := c.split
	tk := &allocToken{t: c.t, u: newU, prev: s.prev, next: s, own: c.own}
	s.prev.next = tk
	s.prev = tk
	a.repopulate(tk)
	var visited []*allocGroup
	for cur := tk.next; len(visited) < a.replicas; cur = cur.next {
		dup := false
		for _, g := range visited {
			if g == cur.u.group {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		visited = append(visited, cur.u.group)
		a.repopulate(cur)
	}
}

// generateSplits is the allocation of the first nodes of a ring: split the largest range at a
// ratio between minInitialSplitsRatio and maxInitialSplitsRatio until numTokens are chosen.
func generateSplits(ring []allocRingToken, numTokens int, seed string) []int64 {
	rnd := newJavaRandom(int64(len(ring)))
	all := make([]int64, 0, len(ring)+numTokens)
	taken := map[int64]bool{}
	for _, rt := range ring {
		all = append(all, rt.Token)
		taken[rt.Token] = true
	}
	var out []int64
	if len(all) == 0 {
		h := fnv.New64a()
		_, _ = h.Write([]byte(seed))
		t := int64(h.Sum64())
		if t == math.MinInt64 {
			t++
		}
		all = append(all, t)
		taken[t] = true
		out = append(out, t)
	}
	for len(out) < numTokens {
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		prev := all[len(all)-1]
		var maxSize float64
		var t1, t2 int64
		for _, cur := range all {
			if sz := ringSize(prev, cur); sz > maxSize {
				maxSize, t1, t2 = sz, prev, cur
			}
			prev = cur
		}
		t := ringSplit(t1, t2, minInitialSplitsRatio+(maxInitialSplitsRatio-minInitialSplitsRatio)*rnd.nextDouble())
		for taken[t] || t == math.MinInt64 {
			t++
		}
		taken[t] = true
		all = append(all, t)
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// allocateForLocalRF chooses the node's tokens as Cassandra does with
// allocate_tokens_for_local_replication_factor set (TokenAllocation.createStrategy's cases). It
// returns false where Cassandra refuses to allocate (more than one rack but fewer than RF): the
// caller then falls back to AllocateTokens, where Cassandra would stop with "Algorithmic token
// allocation failed: the number of racks in datacenter ... is lower than its replication factor".
func (n *node) allocateForLocalRF(v *view) ([]int64, bool) {
	c := n.cfg
	rf := c.AllocateTokensRF
	racks := map[string]bool{}
	for _, m := range []map[string][]int64{v.owned, v.boot} {
		for addr, ts := range m {
			if addr == c.ListenAddress || len(ts) == 0 {
				continue
			}
			dc, rack := c.DC, c.Rack
			if s := v.states[addr]; s != nil {
				dc, rack = s.DC, s.Rack
			}
			if dc == c.DC {
				racks[rack] = true
			}
		}
	}
	nRacks := 1
	if racks[c.Rack] {
		nRacks = len(racks)
	}
	replicas, sameRack, byRack := rf, false, false
	switch {
	case rf <= 1:
		replicas = 1
	case nRacks == rf:
		replicas, sameRack = 1, true
	case nRacks > rf:
		byRack = true
	case nRacks == 1:
	default:
		n.log.warn("main", "TokenAllocation.java", 233, "Algorithmic token allocation failed: the number of racks in datacenter %s is lower than its replication factor %d. (the stand-in falls back to its own allocation)", c.DC, rf)
		return nil, false
	}
	var ring []allocRingToken
	for addr, ts := range v.owned {
		ring = appendRing(ring, addr, ts, v, c, sameRack, byRack)
	}
	for addr, ts := range v.boot {
		ring = appendRing(ring, addr, ts, v, c, sameRack, byRack)
	}
	group := c.ListenAddress
	if byRack {
		group = "rack:" + c.Rack
	}
	ts := allocateReplicationAware(ring, c.ListenAddress, group, c.NumTokens, replicas, n.local.HostID)
	n.log.info("main", "TokenAllocation.java", 112, "Selected tokens %v", ts)
	return ts, true
}

func appendRing(ring []allocRingToken, addr string, ts []int64, v *view, c *Config, sameRack, byRack bool) []allocRingToken {
	if addr == c.ListenAddress {
		return ring
	}
	dc, rack := c.DC, c.Rack
	if s := v.states[addr]; s != nil {
		dc, rack = s.DC, s.Rack
	}
	if dc != c.DC || (sameRack && rack != c.Rack) {
		return ring
	}
	group := addr
	if byRack {
		group = "rack:" + rack
	}
	for _, t := range ts {
		ring = append(ring, allocRingToken{Token: t, Unit: addr, Group: group})
	}
	return ring
}
