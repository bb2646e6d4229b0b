package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/cassandrasim"
)

// The topology check flags two nodes' changes that overlap, and nothing else.
func TestCheckTopology(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	serial := []cassandrasim.Action{
		{Time: at(0), Node: "a", Action: "bootstrap", Status: "started"},
		{Time: at(2), Node: "a", Action: "bootstrap", Status: "ok"},
		{Time: at(3), Node: "b", Action: "start", Status: "ok"},
		{Time: at(3), Node: "b", Action: "bootstrap", Status: "started"},
		{Time: at(5), Node: "b", Action: "bootstrap", Status: "ok"},
		{Time: at(6), Node: "c", Action: "decommission", Status: "started"},
		{Time: at(8), Node: "c", Action: "decommission", Status: "ok"},
	}
	r := &runner{t: t, rep: &Report{}, seen: map[string]bool{}}
	r.checkTopology(serial)
	if len(r.rep.Violations) != 0 {
		t.Fatalf("serial changes flagged: %v", r.rep.Violations)
	}
	overlapping := append(serial,
		cassandrasim.Action{Time: at(7), Node: "d", Action: "bootstrap", Status: "started"},
		cassandrasim.Action{Time: at(9), Node: "d", Action: "bootstrap", Status: "ok"})
	r.checkTopology(overlapping)
	if len(r.rep.Violations) != 1 || !strings.Contains(r.rep.Violations[0], "decommission of c") ||
		!strings.Contains(r.rep.Violations[0], "bootstrap of d") {
		t.Fatalf("violations = %v; want one naming the decommission of c and the bootstrap of d", r.rep.Violations)
	}
}
