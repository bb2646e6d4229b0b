package cassandrasim

import (
	"hash/fnv"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Murmur3 token space: tokens are int64; the minimum token (math.MinInt64)
// is never assigned to a node.

// TokenRange is the half-open range (Start, End] of the Murmur3 ring. Start == End is the whole ring.
type TokenRange struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// String prints the range as Cassandra does: (start,end].
func (r TokenRange) String() string {
	return "(" + strconv.FormatInt(r.Start, 10) + "," + strconv.FormatInt(r.End, 10) + "]"
}

// Fraction is the share of the whole ring the range covers (0 < f <= 1).
func (r TokenRange) Fraction() float64 {
	if r.Start == r.End {
		return 1
	}
	return float64(uint64(r.End)-uint64(r.Start)) / math.Exp2(64)
}

// interval is an inclusive interval of the ring mapped onto uint64 order.
type interval struct{ lo, hi uint64 }

func unsignedToken(t int64) uint64 { return uint64(t) ^ (1 << 63) }

// pieces splits the range into non-wrapping inclusive intervals.
func (r TokenRange) pieces() []interval {
	s, e := unsignedToken(r.Start), unsignedToken(r.End)
	if s == e {
		return []interval{{0, math.MaxUint64}}
	}
	if s < e {
		return []interval{{s + 1, e}}
	}
	var out []interval
	if s != math.MaxUint64 {
		out = append(out, interval{s + 1, math.MaxUint64})
	}
	return append(out, interval{0, e})
}

// Intersects reports whether the two ranges share any token.
func (r TokenRange) Intersects(o TokenRange) bool {
	for _, a := range r.pieces() {
		for _, b := range o.pieces() {
			if a.lo <= b.hi && b.lo <= a.hi {
				return true
			}
		}
	}
	return false
}

// Contains reports whether every token of o is in r.
func (r TokenRange) Contains(o TokenRange) bool {
	outer := r.pieces()
	for _, b := range o.pieces() {
		ok := false
		for _, a := range outer {
			if a.lo <= b.lo && b.hi <= a.hi {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Keyspace is a keyspace's replication as the stand-in's schema holds it.
type Keyspace struct {
	Name    string         `json:"name"`
	Class   string         `json:"class"` // SimpleStrategy, NetworkTopologyStrategy, LocalStrategy
	RF      int            `json:"rf,omitempty"`
	DCs     map[string]int `json:"dcs,omitempty"`
	Tables  []string       `json:"tables,omitempty"`
	Stamp   int64          `json:"stamp"` // write time in microseconds; the newest definition wins
	Dropped bool           `json:"dropped,omitempty"`
}

// ReplicationString is the replication as describecluster prints it.
func (k Keyspace) ReplicationString() string {
	switch k.Class {
	case "SimpleStrategy":
		return "SimpleStrategy {replication_factor=" + strconv.Itoa(k.RF) + "}"
	case "NetworkTopologyStrategy":
		var parts []string
		for _, dc := range sortedKeys(k.DCs) {
			parts = append(parts, dc+"="+strconv.Itoa(k.DCs[dc]))
		}
		return "NetworkTopologyStrategy {" + strings.Join(parts, ", ") + "}"
	default:
		return k.Class + " {}"
	}
}

func (k Keyspace) sameReplication(o Keyspace) bool {
	if k.Class != o.Class || k.RF != o.RF || len(k.DCs) != len(o.DCs) {
		return false
	}
	for dc, n := range k.DCs {
		if o.DCs[dc] != n {
			return false
		}
	}
	return true
}

// IsSystem reports whether the keyspace is one of Cassandra's own.
func IsSystem(name string) bool {
	return name == "system" || strings.HasPrefix(name, "system_")
}

func systemKeyspaces() map[string]Keyspace {
	return map[string]Keyspace{
		"system":             {Name: "system", Class: "LocalStrategy"},
		"system_schema":      {Name: "system_schema", Class: "LocalStrategy"},
		"system_auth":        {Name: "system_auth", Class: "SimpleStrategy", RF: 1, Tables: []string{"roles", "role_members", "role_permissions", "network_permissions"}},
		"system_distributed": {Name: "system_distributed", Class: "SimpleStrategy", RF: 3, Tables: []string{"parent_repair_history", "repair_history", "view_build_status"}},
		"system_traces":      {Name: "system_traces", Class: "SimpleStrategy", RF: 2, Tables: []string{"events", "sessions"}},
	}
}

// Ring is the token ring as one node sees it: the tokens of NORMAL and LEAVING nodes.
type Ring struct {
	Tokens []int64           // sorted
	Owner  map[int64]string  // token -> endpoint address
	DC     map[string]string // endpoint -> datacenter
	Rack   map[string]string // endpoint -> rack
}

// NewRing builds a ring from each endpoint's tokens.
func NewRing(tokens map[string][]int64, dc, rack map[string]string) *Ring {
	r := &Ring{Owner: map[int64]string{}, DC: dc, Rack: rack}
	for ep, ts := range tokens {
		for _, t := range ts {
			r.Owner[t] = ep
			r.Tokens = append(r.Tokens, t)
		}
	}
	sort.Slice(r.Tokens, func(i, j int) bool { return r.Tokens[i] < r.Tokens[j] })
	return r
}

// Endpoints lists the ring's endpoints.
func (r *Ring) Endpoints() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range r.Tokens {
		if ep := r.Owner[t]; !seen[ep] {
			seen[ep] = true
			out = append(out, ep)
		}
	}
	return out
}

// index returns the position of the first ring token >= t (wrapping).
func (r *Ring) index(t int64) int {
	i := sort.Search(len(r.Tokens), func(i int) bool { return r.Tokens[i] >= t })
	if i == len(r.Tokens) {
		return 0
	}
	return i
}

// Ranges are the ring's primary ranges in token order: (previous token, token].
func (r *Ring) Ranges() []TokenRange {
	out := make([]TokenRange, 0, len(r.Tokens))
	for i, t := range r.Tokens {
		prev := r.Tokens[(i+len(r.Tokens)-1)%len(r.Tokens)]
		out = append(out, TokenRange{Start: prev, End: t})
	}
	return out
}

// Replicas returns the endpoints that replicate token t for the keyspace, in placement order.
func (r *Ring) Replicas(ks Keyspace, t int64) []string {
	if len(r.Tokens) == 0 {
		return nil
	}
	start := r.index(t)
	n := len(r.Tokens)
	switch ks.Class {
	case "NetworkTopologyStrategy":
		return r.ntsReplicas(ks, start)
	case "LocalStrategy":
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for i := 0; i < n && len(out) < ks.RF; i++ {
		ep := r.Owner[r.Tokens[(start+i)%n]]
		if !seen[ep] {
			seen[ep] = true
			out = append(out, ep)
		}
	}
	return out
}

// ntsReplicas follows NetworkTopologyStrategy: per datacenter, walk the ring picking endpoints on
// racks not yet used; once every rack has one, take the skipped endpoints in ring order.
func (r *Ring) ntsReplicas(ks Keyspace, start int) []string {
	n := len(r.Tokens)
	racks := map[string]map[string]bool{}
	nodes := map[string]map[string]bool{}
	for _, ep := range r.Endpoints() {
		dc := r.DC[ep]
		if racks[dc] == nil {
			racks[dc], nodes[dc] = map[string]bool{}, map[string]bool{}
		}
		racks[dc][r.Rack[ep]] = true
		nodes[dc][ep] = true
	}
	want := map[string]int{}
	for dc, rf := range ks.DCs {
		if rf > len(nodes[dc]) {
			rf = len(nodes[dc])
		}
		if rf > 0 {
			want[dc] = rf
		}
	}
	chosen := map[string]bool{}
	got := map[string]int{}
	seenRacks := map[string]map[string]bool{}
	skipped := map[string][]string{}
	var out []string
	add := func(dc, ep string) {
		chosen[ep] = true
		got[dc]++
		out = append(out, ep)
	}
	for i := 0; i < n; i++ {
		ep := r.Owner[r.Tokens[(start+i)%n]]
		dc := r.DC[ep]
		if want[dc] == 0 || got[dc] >= want[dc] || chosen[ep] {
			continue
		}
		if seenRacks[dc] == nil {
			seenRacks[dc] = map[string]bool{}
		}
		rack := r.Rack[ep]
		switch {
		case len(seenRacks[dc]) == len(racks[dc]):
			add(dc, ep)
		case seenRacks[dc][rack]:
			dup := false
			for _, s := range skipped[dc] {
				dup = dup || s == ep
			}
			if !dup {
				skipped[dc] = append(skipped[dc], ep)
			}
		default:
			add(dc, ep)
			seenRacks[dc][rack] = true
			if len(seenRacks[dc]) == len(racks[dc]) {
				for len(skipped[dc]) > 0 && got[dc] < want[dc] {
					add(dc, skipped[dc][0])
					skipped[dc] = skipped[dc][1:]
				}
			}
		}
	}
	return out
}

// RangeReplicas pairs a primary range with its replicas.
type RangeReplicas struct {
	Range    TokenRange
	Replicas []string
}

// Placement lists every primary range of the ring with its replicas for the keyspace.
func (r *Ring) Placement(ks Keyspace) []RangeReplicas {
	var out []RangeReplicas
	for _, rg := range r.Ranges() {
		out = append(out, RangeReplicas{Range: rg, Replicas: r.Replicas(ks, rg.End)})
	}
	return out
}

// EffectiveOwnership is the share of the ring each endpoint replicates for the keyspace.
func (r *Ring) EffectiveOwnership(ks Keyspace) map[string]float64 {
	out := map[string]float64{}
	for _, p := range r.Placement(ks) {
		for _, ep := range p.Replicas {
			out[ep] += p.Range.Fraction()
		}
	}
	return out
}

// PrimaryRanges are the ranges whose end token the endpoint owns.
func (r *Ring) PrimaryRanges(ep string) []TokenRange {
	var out []TokenRange
	for _, rg := range r.Ranges() {
		if r.Owner[rg.End] == ep {
			out = append(out, rg)
		}
	}
	return out
}

// LocalRanges are the ranges the endpoint replicates for the keyspace.
func (r *Ring) LocalRanges(ks Keyspace, ep string) []RangeReplicas {
	var out []RangeReplicas
	for _, p := range r.Placement(ks) {
		for _, x := range p.Replicas {
			if x == ep {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// PendingRanges reports whether ep would replicate, once the ring changes to future, a token it does
// not replicate now for the keyspace.
func PendingRanges(current, future *Ring, ks Keyspace, ep string) bool {
	bounds := map[int64]bool{}
	for _, t := range current.Tokens {
		bounds[t] = true
	}
	for _, t := range future.Tokens {
		bounds[t] = true
	}
	for t := range bounds {
		now := contains(current.Replicas(ks, t), ep)
		later := contains(future.Replicas(ks, t), ep)
		if later && !now {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// AllocateTokens picks n tokens for a new node: on an empty ring, evenly spaced tokens offset by a
// hash of the seed; otherwise each new token splits the currently largest range, which balances
// ownership the way Cassandra's allocator aims to.
func AllocateTokens(existing []int64, n int, seed string) []int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(seed))
	off := h.Sum64()
	taken := map[int64]bool{}
	for _, t := range existing {
		taken[t] = true
	}
	var out []int64
	if len(existing) == 0 {
		step := new(big.Int).Lsh(big.NewInt(1), 64)
		step.Div(step, big.NewInt(int64(n)))
		for i := 0; i < n; i++ {
			u := new(big.Int).Mul(step, big.NewInt(int64(i)))
			u.Add(u, new(big.Int).SetUint64(off%step.Uint64()))
			t := int64(u.Uint64() ^ (1 << 63))
			if t == math.MinInt64 {
				t++
			}
			out = append(out, t)
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	ring := append([]int64(nil), existing...)
	for len(out) < n {
		sort.Slice(ring, func(i, j int) bool { return ring[i] < ring[j] })
		best, bestSize := 0, uint64(0)
		for i := range ring {
			prev := ring[(i+len(ring)-1)%len(ring)]
			size := uint64(ring[i]) - uint64(prev)
			if len(ring) == 1 {
				size = math.MaxUint64
			}
			if size > bestSize {
				best, bestSize = i, size
			}
		}
		prev := ring[(best+len(ring)-1)%len(ring)]
		t := int64(uint64(prev) + bestSize/2 + off%1024)
		for taken[t] || t == math.MinInt64 {
			t++
		}
		taken[t] = true
		ring = append(ring, t)
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
