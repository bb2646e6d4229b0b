package plan

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
)

// Token arithmetic for repair segments (Murmur3Partitioner: tokens are signed 64-bit integers).
// A range (start, end] wraps when start >= end. Internally tokens are mapped onto uint64 order
// (token XOR 1<<63) and ranges become inclusive, non-wrapping spans [lo, hi], so the wrapping
// range of describering becomes two spans. A span [0, hi] is written back as (MaxInt64, hi]: a
// range starting at the largest token wraps to the smallest, which Cassandra accepts.

// span is an inclusive interval of the ring in uint64 order.
type span struct{ lo, hi uint64 }

func unsignedTok(t int64) uint64 { return uint64(t) ^ (1 << 63) }
func signedTok(u uint64) int64   { return int64(u ^ (1 << 63)) }

// parseRange turns (start, end] into spans.
func parseRange(start, end string) ([]span, error) {
	s, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("token %q is not a Murmur3 token", start)
	}
	e, err := strconv.ParseInt(end, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("token %q is not a Murmur3 token", end)
	}
	return rangeSpans(s, e), nil
}

func rangeSpans(start, end int64) []span {
	s, e := unsignedTok(start), unsignedTok(end)
	switch {
	case s == e:
		return []span{{0, math.MaxUint64}}
	case s < e:
		return []span{{s + 1, e}}
	}
	var out []span
	if s != math.MaxUint64 {
		out = append(out, span{s + 1, math.MaxUint64})
	}
	return append(out, span{0, e})
}

// tokens returns the span as a (start, end] range of tokens.
func (s span) tokens() (start, end string) {
	return strconv.FormatInt(signedTok(s.lo-1), 10), strconv.FormatInt(signedTok(s.hi), 10)
}

// size128 is the number of tokens in the span as a 128-bit number (hi, lo).
func (s span) size128() (uint64, uint64) {
	d := s.hi - s.lo
	if d == math.MaxUint64 {
		return 1, 0
	}
	return 0, d + 1
}

// split cuts the span into about its share of target segments over the whole ring (at least
// one), in equal parts.
func (s span) split(target int) []span {
	hi, lo := s.size128()
	// pieces = round(size * target / 2^64)
	var k uint64
	if hi == 1 {
		k = uint64(target)
	} else {
		ph, pl := bits.Mul64(lo, uint64(target))
		k = ph
		if pl >= 1<<63 {
			k++
		}
	}
	if k < 1 {
		k = 1
	}
	if hi == 0 && k > lo {
		k = lo
	}
	out := make([]span, 0, k)
	prev := s.lo
	for i := uint64(1); i <= k; i++ {
		var end uint64
		if i == k {
			end = s.hi
		} else {
			// lo + floor(size * i / k) - 1
			var mh, ml uint64
			if hi == 1 {
				mh, ml = i, 0
			} else {
				mh, ml = bits.Mul64(lo, i)
			}
			q, _ := bits.Div64(mh, ml, k)
			end = s.lo + q - 1
		}
		out = append(out, span{prev, end})
		prev = end + 1
	}
	return out
}

// subtract returns a minus every span of cut (cut sorted by lo and non-overlapping or not: it
// is normalised first).
func subtract(a span, cut []span) []span {
	out := []span{a}
	for _, c := range cut {
		var next []span
		for _, x := range out {
			if c.hi < x.lo || c.lo > x.hi {
				next = append(next, x)
				continue
			}
			if c.lo > x.lo {
				next = append(next, span{x.lo, c.lo - 1})
			}
			if c.hi < x.hi {
				next = append(next, span{c.hi + 1, x.hi})
			}
		}
		out = next
	}
	return out
}

// segmentSpec is one planned segment.
type segmentSpec struct {
	start, end string
	replicas   []string
}

// planSegments splits the keyspace's ranges (from describering) into about target segments,
// leaving out the token spans in done (already repaired). Every segment lies inside one range
// and carries that range's replicas; together they cover exactly the ranges minus done.
func planSegments(ranges []TokenRange, done []span, target int) ([]segmentSpec, error) {
	if target < 1 {
		target = 1
	}
	var out []segmentSpec
	for _, r := range ranges {
		sp, err := parseRange(r.Start, r.End)
		if err != nil {
			return nil, err
		}
		if len(r.Endpoints) == 0 {
			return nil, fmt.Errorf("range (%s,%s] has no replicas", r.Start, r.End)
		}
		reps := append([]string(nil), r.Endpoints...)
		for _, s := range sp {
			for _, left := range subtract(s, done) {
				for _, piece := range left.split(target) {
					st, et := piece.tokens()
					out = append(out, segmentSpec{start: st, end: et, replicas: reps})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := parseRange(out[i].start, out[i].end)
		b, _ := parseRange(out[j].start, out[j].end)
		return a[0].lo < b[0].lo
	})
	return out, nil
}

// segmentSpans returns the spans of (start, end] ignoring garbage (nil).
func segmentSpans(start, end string) []span {
	s, err := parseRange(start, end)
	if err != nil {
		return nil
	}
	return s
}
