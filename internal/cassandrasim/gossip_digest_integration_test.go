package cassandrasim

import (
	"strings"
	"testing"
	"time"
)

// TestDigestGossip: with gossip_fanout 1 (digests to one random live peer per round, echoes of
// newly learnt peers) six nodes, one seed, started one after another, all come UN in every node's
// view, and a killed node turns DN everywhere once its heartbeat stops spreading.
func TestDigestGossip(t *testing.T) {
	c := newCluster(t)
	over := map[string]string{"gossip_fanout": "1", "gossip_interval": "100ms", "failure_detection_timeout": "2s"}
	const n = 6
	all := map[int]string{}
	for i := 1; i <= n; i++ {
		// One bootstrap at a time, as Cassandra requires (consistent range movement).
		c.startWith(i, []int{1}, over)
		all[i] = "UN"
		c.waitCodes(i, all, 60*time.Second)
	}
	for i := 1; i <= n; i++ {
		c.waitCodes(i, all, 60*time.Second)
	}
	c.nodes[n].Kill()
	all[n] = "DN"
	for i := 1; i < n; i++ {
		c.waitCodes(i, all, 60*time.Second)
	}
	// The killed node's address stays known (DN), and a live node's log shows it learnt peers
	// through gossip and marked them UP after an echo.
	log := c.nodes[2].SystemLog()
	if !strings.Contains(log, "is now part of the cluster") || !strings.Contains(log, "is now UP") {
		t.Errorf("node 2's system.log lacks peers joining and coming UP:\n%s", log)
	}
}

// TestDigestCodec: digests round-trip, malformed entries are skipped.
func TestDigestCodec(t *testing.T) {
	b := appendDigest(nil, &EndpointState{Address: "127.0.0.1", Generation: 7, Version: 3, Heartbeat: 99})
	b = append(b, "garbage;1.2.3,x,1,1;"...)
	b = appendDigest(b, &EndpointState{Address: "::1", Generation: 1, Version: 2, Heartbeat: 3})
	got := parseDigests(string(b))
	if len(got) != 2 || got[0] != (digest{addr: "127.0.0.1", gen: 7, v: 3, beat: 99}) || got[1] != (digest{addr: "::1", gen: 1, v: 2, beat: 3}) {
		t.Fatalf("parseDigests(%q) = %+v", b, got)
	}
}
