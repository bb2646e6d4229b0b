package cassandrasim

import (
	"errors"
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// notJoinedView is a node's view before it joined: peers (address -> tokens and status) it may
// have learnt through gossip, and whether the distributed system keyspaces exist yet.
func notJoinedView(peers map[string]*EndpointState, distReady bool) *view {
	v := &view{self: "10.0.0.1", port: 7000, alive: map[string]bool{"10.0.0.1": true},
		owned: map[string][]int64{}, boot: map[string][]int64{}, leaving: map[string]bool{},
		schema: systemKeyspaces(),
		states: map[string]*EndpointState{"10.0.0.1": {Address: "10.0.0.1", StoragePort: 7000, DC: "dc1", Rack: "r1", Load: -1, HostID: "4b95036b-1603-464f-bdee-b519fa28a079"}}}
	for a, s := range peers {
		v.states[a] = s
		v.alive[a] = true
	}
	if !distReady {
		for _, k := range distributedSystemKeyspaces {
			delete(v.schema, k)
		}
	}
	buildOwnership(v)
	return v
}

// TestStatusBeforeJoining: nodetool status and ring on a node that has not joined, as 5.0 answers
// them (checked on a real 5.0.8 seed while it started): without any NORMAL token Status prints
// "Error: No nodes present in the cluster..." (exit 1) while system_traces does not exist yet, and
// the RuntimeException reaches nodetool's error handler (exit 2) once it does; the executor reads
// both as ErrNotReady.
func TestStatusBeforeJoining(t *testing.T) {
	const noNodes = "\nError: No nodes present in the cluster. Has this node finished starting up?\n"
	peer := &EndpointState{Address: "10.0.0.2", StoragePort: 7000, Status: StatusNormal, Tokens: []int64{-100, 100}, DC: "dc1", Rack: "r1", Load: 102400, HostID: "ade61d9f-90f4-464c-8e18-dd3522c2bf3c"}
	booting := &EndpointState{Address: "10.0.0.3", StoragePort: 7000, Status: StatusBoot, Tokens: []int64{0}, DC: "dc1", Rack: "r1", Load: -1, HostID: "0f75a6fe-c91d-4c0e-9253-2235b6c9a206"}
	tests := []struct {
		name      string
		peers     map[string]*EndpointState
		distReady bool
		keyspace  string
		out       string // stdout; "" with err set
		code      int
		err       error
	}{
		{"fresh seed", nil, false, "", noNodes, 1, nil},
		{"fresh seed, system_traces", nil, false, "system_traces", "\nError: The keyspace system_traces, does not exist\n", 1, nil},
		{"restarted alone", nil, true, "", "", 0, errNoNodes},
		{"restarted alone, keyspace", nil, true, "system_traces", "", 0, errNoNodes},
		{"only a joining peer", map[string]*EndpointState{"10.0.0.3": booting}, false, "", noNodes, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code, err := notJoinedView(tt.peers, tt.distReady).status(tt.keyspace, false)
			if out != tt.out || code != tt.code || !errors.Is(err, tt.err) {
				t.Fatalf("status(%q) = %q, %d, %v; want %q, %d, %v", tt.keyspace, out, code, err, tt.out, tt.code, tt.err)
			}
			if err == nil && code == 1 && strings.Contains(out, "No nodes present") {
				if k := nodetool.Classify("status", code, out, ""); !errors.Is(k, nodetool.ErrNotReady) {
					t.Errorf("executor/nodetool classifies %q as %v, want ErrNotReady", out, k)
				}
			}
			if err != nil {
				stderr := "error: " + err.Error() + "\n-- StackTrace --\njava.lang.RuntimeException: " + err.Error() + "\n"
				if k := nodetool.Classify("status", 2, "", stderr); !errors.Is(k, nodetool.ErrNotReady) {
					t.Errorf("executor/nodetool classifies %q as %v, want ErrNotReady", stderr, k)
				}
			}
		})
	}

	// Peers known, system_traces not yet: plain ownership with the 5.0 note.
	out, code, err := notJoinedView(map[string]*EndpointState{"10.0.0.2": peer}, false).status("", false)
	note := "Note: The node does not have system_traces yet, probably still bootstrapping. Effective ownership information is meaningless.\n"
	if err != nil || code != 0 || !strings.Contains(out, "Owns  Host ID") || !strings.HasSuffix(out, "\n"+note) {
		t.Errorf("status with a known peer before system_traces: %d %v\n%s", code, err, out)
	}
	if st, perr := nodetool.ParseStatus(out); perr != nil || st.EffectiveOwnership || len(st.Notes) != 1 {
		t.Errorf("executor/nodetool reads %+v, %v", st, perr)
	}

	// ring: no token at all is Collections.max on nothing ("error: null", exit 2); with only a
	// joining peer Ring.java prints the effective-ownership failure's message, exit 1.
	if _, _, err := notJoinedView(nil, false).ringOutput("", false); !errors.Is(err, errRingEmpty) {
		t.Errorf("ring without tokens: %v", err)
	}
	out, code, err = notJoinedView(map[string]*EndpointState{"10.0.0.3": booting}, false).ringOutput("", false)
	if err != nil || code != 1 || out != "\nError: The node does not have system_traces yet, probably still bootstrapping. Effective ownership information is meaningless.\n" {
		t.Errorf("ring with only a joining peer: %q %d %v", out, code, err)
	}
	if _, _, err := notJoinedView(map[string]*EndpointState{"10.0.0.3": booting}, true).ringOutput("", false); !errors.Is(err, errNoNodes) {
		t.Errorf("ring with only a joining peer and system_traces: %v", err)
	}
}

// TestDescribeRingRefusals: nodetool prints the two header lines before it asks for the ring, then
// 5.0's IOException messages.
func TestDescribeRingRefusals(t *testing.T) {
	v := notJoinedView(map[string]*EndpointState{"10.0.0.2": {Address: "10.0.0.2", StoragePort: 7000, Status: StatusNormal, Tokens: []int64{1}, DC: "dc1", Rack: "r1"}}, true)
	v.states[v.self].Schema = v.schema
	header := "Schema Version:" + SchemaVersion(v.schema) + "\nTokenRange: \n"
	for ks, want := range map[string]string{"nope": "No such keyspace: nope", "system": "There is no ring for the keyspace: system", "system_schema": "There is no ring for the keyspace: system_schema"} {
		out, err := v.describeRing(ks)
		if out != header || err == nil || err.Error() != want {
			t.Errorf("describering %s: %q, %v; want %q, %q", ks, out, err, header, want)
		}
	}
	if out, err := v.describeRing("system_traces"); err != nil || !strings.HasPrefix(out, header+"\tTokenRange(start_token:1, end_token:1, endpoints:[10.0.0.2]") {
		t.Errorf("describering system_traces: %q %v", out, err)
	}
}
