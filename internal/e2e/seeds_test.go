package e2e

import (
	"slices"
	"testing"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// checkSeedLists checks that the ring has want seeds and that every node's nodetool getseeds
// names exactly the seeds other than itself.
func checkSeedLists(t *testing.T, w *World, ring string, want int) {
	t.Helper()
	var seeds []string
	r := w.Ring(ring)
	for _, n := range r.GetNodes() {
		if n.GetSeed() {
			seeds = append(seeds, n.GetAddress())
		}
	}
	if len(seeds) != want {
		t.Fatalf("%d seeds %v, want %d", len(seeds), seeds, want)
	}
	for _, n := range r.GetNodes() {
		var exp []string
		for _, s := range seeds {
			if s != n.GetAddress() {
				exp = append(exp, s)
			}
		}
		out, errOut, code := w.Nodetool(n.GetAddress(), "getseeds")
		if code != 0 {
			t.Fatalf("nodetool getseeds on %s: exit %d %s%s", n.GetName(), code, out, errOut)
		}
		got, err := nodetool.ParseSeeds(out)
		if err != nil {
			t.Fatalf("nodetool getseeds on %s: %v", n.GetName(), err)
		}
		slices.Sort(got)
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			t.Errorf("nodetool getseeds on %s: %v, want %v", n.GetName(), got, exp)
		}
	}
}
