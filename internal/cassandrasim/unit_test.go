package cassandrasim

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

func TestTokenRange(t *testing.T) {
	tests := []struct {
		outer, inner        TokenRange
		contains, intersect bool
	}{
		{TokenRange{0, 100}, TokenRange{10, 20}, true, true},
		{TokenRange{0, 100}, TokenRange{90, 110}, false, true},
		{TokenRange{0, 100}, TokenRange{100, 200}, false, false},
		{TokenRange{100, -100}, TokenRange{200, 300}, true, true}, // wrapping outer
		{TokenRange{100, -100}, TokenRange{-200, -150}, true, true},
		{TokenRange{100, -100}, TokenRange{0, 50}, false, false},
		{TokenRange{5, 5}, TokenRange{-7, 9}, true, true}, // whole ring
		{TokenRange{math.MaxInt64 - 1, math.MinInt64 + 5}, TokenRange{math.MinInt64 + 1, math.MinInt64 + 3}, true, true},
	}
	for _, tt := range tests {
		if got := tt.outer.Contains(tt.inner); got != tt.contains {
			t.Errorf("%s.Contains(%s) = %v", tt.outer, tt.inner, got)
		}
		if got := tt.outer.Intersects(tt.inner); got != tt.intersect {
			t.Errorf("%s.Intersects(%s) = %v", tt.outer, tt.inner, got)
		}
	}
	if f := (TokenRange{0, 0}).Fraction(); f != 1 {
		t.Errorf("whole ring fraction = %v", f)
	}
}

func testRing() *Ring {
	return NewRing(map[string][]int64{
		"10.0.0.1": {-6000, 100},
		"10.0.0.2": {-3000, 3000},
		"10.0.0.3": {0, 6000},
		"10.0.0.4": {9000},
	}, map[string]string{"10.0.0.1": "dc1", "10.0.0.2": "dc1", "10.0.0.3": "dc2", "10.0.0.4": "dc2"},
		map[string]string{"10.0.0.1": "r1", "10.0.0.2": "r1", "10.0.0.3": "r1", "10.0.0.4": "r2"})
}

func TestReplicas(t *testing.T) {
	r := testRing()
	simple := Keyspace{Class: "SimpleStrategy", RF: 2}
	if got := strings.Join(r.Replicas(simple, 50), ","); got != "10.0.0.1,10.0.0.2" {
		t.Errorf("SimpleStrategy replicas of 50 = %s", got)
	}
	if got := strings.Join(r.Replicas(simple, 9500), ","); got != "10.0.0.1,10.0.0.2" { // wraps to -6000
		t.Errorf("SimpleStrategy replicas of 9500 = %s", got)
	}
	nts := Keyspace{Class: "NetworkTopologyStrategy", DCs: map[string]int{"dc1": 1, "dc2": 2}}
	got := r.Replicas(nts, 50) // ring from 100: .1(dc1) 3000:.2 6000:.3 9000:.4
	if strings.Join(got, ",") != "10.0.0.1,10.0.0.3,10.0.0.4" {
		t.Errorf("NTS replicas of 50 = %v", got)
	}
	own := r.EffectiveOwnership(simple)
	sum := 0.0
	for _, f := range own {
		sum += f
	}
	if math.Abs(sum-2) > 1e-9 {
		t.Errorf("effective ownership with RF 2 sums to %v, want 2", sum)
	}
	if n := len(r.PrimaryRanges("10.0.0.4")); n != 1 {
		t.Errorf("primary ranges of a one-token node = %d", n)
	}
	future := NewRing(map[string][]int64{"10.0.0.1": {-6000, 100}, "10.0.0.2": {-3000, 3000}, "10.0.0.3": {0, 6000}}, r.DC, r.Rack)
	if !PendingRanges(r, future, simple, "10.0.0.1") {
		t.Errorf("removing 10.0.0.4 should give 10.0.0.1 pending ranges")
	}
	if PendingRanges(r, r, simple, "10.0.0.1") {
		t.Errorf("an unchanged ring has no pending ranges")
	}
}

func TestAllocateTokens(t *testing.T) {
	first := AllocateTokens(nil, 16, "a")
	second := AllocateTokens(first, 16, "b")
	seen := map[int64]bool{}
	for _, tk := range append(first, second...) {
		if seen[tk] || tk == math.MinInt64 {
			t.Fatalf("token %d duplicated or minimum", tk)
		}
		seen[tk] = true
	}
	all := map[string][]int64{"a": first, "b": second}
	own := NewRing(all, nil, nil).EffectiveOwnership(Keyspace{Class: "SimpleStrategy", RF: 1})
	if math.Abs(own["a"]-0.5) > 0.05 {
		t.Errorf("ownership after two nodes: %v", own)
	}
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0 seconds", 1500 * time.Millisecond: "1 second", 61 * time.Second: "1 minute 1 second",
		3600 * time.Second: "1 hour", 3605 * time.Second: "1 hour 0 minutes 5 seconds", 754 * time.Second: "12 minutes 34 seconds"} {
		if got := formatDurationWords(d); got != want {
			t.Errorf("formatDurationWords(%s) = %q, want %q", d, got, want)
		}
	}
	for v, want := range map[float64]string{0: "0 bytes", 102400: "100 KiB", 99021: "96.7 KiB", 37 * 1024 * 1024 * 1024: "37 GiB", 314136: "306.77 KiB"} {
		if got := stringifyFileSize(v); got != want {
			t.Errorf("stringifyFileSize(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestStatusLayout checks nodetool status byte for byte against 4.1's TableBuilder layout: shared
// column widths, two-space delimiter, every cell padded (so the Rack column has trailing spaces),
// one blank line between datacenters and a final empty line.
func TestStatusLayout(t *testing.T) {
	v := &view{self: "10.0.0.1", port: 7000, alive: map[string]bool{"10.0.0.1": true, "10.0.0.2": true, "10.0.0.3": false},
		owned: map[string][]int64{}, boot: map[string][]int64{}, leaving: map[string]bool{},
		schema: systemKeyspaces(),
		states: map[string]*EndpointState{
			"10.0.0.1": {Address: "10.0.0.1", StoragePort: 7000, Status: StatusNormal, Tokens: []int64{-100, 100}, DC: "dc1", Rack: "rack1", Load: 99021, HostID: "4b95036b-1603-464f-bdee-b519fa28a079"},
			"10.0.0.2": {Address: "10.0.0.2", StoragePort: 7000, Status: StatusBoot, Tokens: []int64{50, 150}, DC: "dc1", Rack: "default", Load: -1, HostID: "ade61d9f-90f4-464c-8e18-dd3522c2bf3c"},
			"10.0.0.3": {Address: "10.0.0.3", StoragePort: 7000, Status: StatusNormal, Tokens: []int64{0, 200}, DC: "dc2", Rack: "r2", Load: 102400, HostID: "0f75a6fe-c91d-4c0e-9253-2235b6c9a206"},
		}}
	v.schema["ks"] = Keyspace{Name: "ks", Class: "NetworkTopologyStrategy", DCs: map[string]int{"dc1": 1, "dc2": 1}}
	buildOwnership(v)
	got, code, _ := v.status("", false)
	want := "Datacenter: dc1\n" +
		"===============\n" +
		"Status=Up/Down\n" +
		"|/ State=Normal/Leaving/Joining/Moving\n" +
		"--  Address   Load      Tokens  Owns (effective)  Host ID                               Rack   \n" +
		"UN  10.0.0.1  96.7 KiB  2       100.0%            4b95036b-1603-464f-bdee-b519fa28a079  rack1  \n" +
		"UJ  10.0.0.2  ?         2       ?                 ade61d9f-90f4-464c-8e18-dd3522c2bf3c  default\n" +
		"\n" +
		"Datacenter: dc2\n" +
		"===============\n" +
		"Status=Up/Down\n" +
		"|/ State=Normal/Leaving/Joining/Moving\n" +
		"--  Address   Load      Tokens  Owns (effective)  Host ID                               Rack   \n" +
		"DN  10.0.0.3  100 KiB   2       100.0%            0f75a6fe-c91d-4c0e-9253-2235b6c9a206  r2     \n" +
		"\n"
	if code != 0 || got != want {
		t.Errorf("status (exit %d):\n%s\nwant:\n%s", code, strings.ReplaceAll(got, " \n", "·\n"), strings.ReplaceAll(want, " \n", "·\n"))
	}
	st, err := nodetool.ParseStatus(got)
	if err != nil || len(st.Datacenters) != 2 || st.Datacenters[0].Nodes[1].Code() != "UJ" {
		t.Errorf("executor/nodetool reads %+v, %v", st, err)
	}
	// Keyspaces that disagree: "Owns", "?" and the Note trailer.
	v.schema["other"] = Keyspace{Name: "other", Class: "SimpleStrategy", RF: 1}
	got, _, _ = v.status("", false)
	if !strings.Contains(got, "Owns  Host ID") || !strings.HasSuffix(got, "\nNote: Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless\n") {
		t.Errorf("status with disagreeing keyspaces:\n%s", got)
	}
	if st, err := nodetool.ParseStatus(got); err != nil || st.EffectiveOwnership || len(st.Notes) != 1 {
		t.Errorf("executor/nodetool reads %+v, %v", st, err)
	}
	if got, code, _ := v.status("nope", false); code != 1 || got != "\nError: The keyspace nope, does not exist\n" {
		t.Errorf("status of an unknown keyspace: %d %q", code, got)
	}
}

func TestParseKnobs(t *testing.T) {
	k, err := parseKnobs(map[string]string{"bootstrap_duration": "2s", "repair_failure_rate": "0.5"},
		map[string]string{"CASSANDRA_SIM_BOOTSTRAP_DURATION": "250ms", "CASSANDRA_SIM_CRASH_AFTER": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if k.BootstrapDuration != 250*time.Millisecond || k.DecommissionDuration != 250*time.Millisecond || k.CrashAfter != 3*time.Second || k.RepairFailureRate != 0.5 {
		t.Errorf("knobs = %+v", k)
	}
	for _, bad := range []map[string]string{{"CASSANDRA_SIM_BOOTSTRAP_DURATION": "soon"}, {"CASSANDRA_SIM_REPAIR_FAILURE_RATE": "2"}, {"CASSANDRA_SIM_GOSSIP_INTERVAL": "0"}} {
		if _, err := parseKnobs(nil, bad); err == nil {
			t.Errorf("knobs %v accepted", bad)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	home := t.TempDir()
	conf := filepath.Join(home, "conf")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := distFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasPrefix(f.path, "conf/") {
			if err := os.WriteFile(filepath.Join(home, f.path), f.data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := map[string]string{"CASSANDRA_HOME": home, "MAX_HEAP_SIZE": "512M"}
	c, err := LoadConfig([]string{"-Dcassandra.jmx.local.port=7299", "-Dcassandra.replace_address_first_boot=127.0.0.9", "-Dcassandra.join_ring=false"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.ClusterName != "Test Cluster" || c.NumTokens != 16 || c.ListenAddress != "127.0.0.1" || c.JMXPort != 7299 ||
		c.ReplaceAddress != "127.0.0.9" || c.JoinRing || c.MaxHeapMB != 512 || !c.IsSeed() || c.DC != "datacenter1" ||
		c.DataDirs[0] != filepath.Join(home, "data", "data") || !c.AutoBootstrap {
		t.Errorf("config = %+v", c)
	}
	if err := os.WriteFile(filepath.Join(conf, "cassandra.yaml"), []byte("listen_address: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(nil, env); err == nil || !strings.Contains(err.Error(), "cassandra.yaml") {
		t.Errorf("bad yaml: %v", err)
	}
}

func TestTarball(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "fake")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTarball(&buf, bin); err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	modes := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[h.Name] = h.Mode
	}
	for _, p := range []string{"bin/cassandra", "bin/nodetool", "bin/cqlsh", "lib/cassandra-sim"} {
		if modes[DistDirName+"/"+p] != 0o755 {
			t.Errorf("%s mode %o", p, modes[DistDirName+"/"+p])
		}
	}
	for _, p := range []string{"conf/cassandra.yaml", "conf/cassandra-env.sh", "conf/jvm-server.options", "conf/jvm11-server.options", "conf/cassandra-rackdc.properties", "conf/logback.xml", "conf/cassandra-sim.properties", "bin/cassandra.in.sh"} {
		if _, ok := modes[DistDirName+"/"+p]; !ok {
			t.Errorf("tarball lacks %s", p)
		}
	}
}

func TestParseCQL(t *testing.T) {
	st, err := ParseCQL("CREATE KEYSPACE IF NOT EXISTS Ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3} AND durable_writes = true; create table ks.t (k int primary key); DROP KEYSPACE IF EXISTS \"Other\"")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 3 || st[0].Keyspace != "ks" || !st[0].IfNotExists || st[0].Replication["dc1"] != "3" || st[1].Kind != "CREATE TABLE" || st[1].Table != "t" || st[2].Keyspace != "Other" {
		t.Errorf("parsed %+v", st)
	}
	if _, err := ParseCQL("SELECT * FROM x"); err == nil {
		t.Error("SELECT accepted")
	}
	if _, err := keyspaceFromReplication("ks", map[string]string{"class": "SimpleStrategy"}); err == nil {
		t.Error("SimpleStrategy without replication_factor accepted")
	}
}

func TestNodetoolArgs(t *testing.T) {
	h, p, pp, rest, err := ParseNodetoolArgs([]string{"-p", "7199", "-h", "127.0.0.5", "repair", "-st", "-9223372036854775807", "-et", "5", "-pp", "-p", "7300", "ks"})
	if err != nil || h != "127.0.0.5" || p != "7300" || !pp || strings.Join(rest, " ") != "repair -st -9223372036854775807 -et 5 ks" {
		t.Errorf("got %s %s %v %v %v", h, p, pp, rest, err)
	}
	if _, _, _, _, err := ParseNodetoolArgs([]string{"-h"}); err == nil {
		t.Error("-h without value accepted")
	}
}

func FuzzParseCQL(f *testing.F) {
	f.Add("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	f.Add("DROP TABLE IF EXISTS a.b;;")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseCQL(s)
		if err == nil {
			for _, x := range st {
				if x.Replication != nil {
					_, _ = keyspaceFromReplication(x.Keyspace, x.Replication)
				}
			}
		}
	})
}

func FuzzParseActions(f *testing.F) {
	f.Add(`{"node":"127.0.0.2","action":"repair","status":"ok","ranges":[{"start":1,"end":2}]}` + "\n")
	f.Add("{\n")
	f.Fuzz(func(t *testing.T, s string) {
		acts, err := ParseActions(strings.NewReader(s))
		if err == nil {
			_ = OverlappingRepairs(acts)
		}
	})
}

func FuzzNodetoolArgs(f *testing.F) {
	f.Add("-h\x00127.0.0.1\x00status")
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _, _, _ = ParseNodetoolArgs(strings.Split(s, "\x00"))
	})
}

func FuzzConfigYAML(f *testing.F) {
	f.Add("cluster_name: x\nseed_provider:\n  - class_name: a\n    parameters:\n      - seeds: \"127.0.0.1:7000\"\n")
	f.Add("num_tokens: [")
	f.Fuzz(func(t *testing.T, s string) {
		c := &Config{Props: map[string]string{}}
		_ = c.parseYAML([]byte(s))
		_, _ = parseProperties(strings.NewReader(s))
	})
}

// A node replaced by another address is out of the ring for good: when its replacement later
// leaves (decommission), the dead replaced endpoint must not own the tokens again, as Cassandra
// evicts it from gossip and token metadata. A later incarnation at the replaced address (a new
// node, a newer generation) is a member like any other. Found by the chaos suite: a repair after
// replace + decommission waited for a replica "127.x.x.5 is not a node of demo".
func TestReplacedEndpointNeverOwnsAgain(t *testing.T) {
	st := func(addr, status string, gen int64, replacing string, tokens ...int64) *EndpointState {
		return &EndpointState{Address: addr, Status: status, Generation: gen, Replacing: replacing, Tokens: tokens, DC: "dc1", Rack: "r1"}
	}
	v := &view{states: map[string]*EndpointState{
		"10.0.0.2": st("10.0.0.2", StatusNormal, 100, "", 1),
		"10.0.0.5": st("10.0.0.5", StatusNormal, 100, "", 2),       // dead, replaced
		"10.0.0.6": st("10.0.0.6", StatusLeft, 105, "10.0.0.5", 2), // its replacement, decommissioned
	}, owned: map[string][]int64{}, boot: map[string][]int64{}, leaving: map[string]bool{}}
	buildOwnership(v)
	if ts, ok := v.owned["10.0.0.5"]; ok {
		t.Fatalf("the replaced endpoint owns %v again after its replacement left", ts)
	}
	if len(v.owned) != 1 || len(v.owned["10.0.0.2"]) != 1 {
		t.Fatalf("owned = %v, want only 10.0.0.2", v.owned)
	}
	// A new node at the replaced address, started later, owns its own tokens.
	v.states["10.0.0.5"] = st("10.0.0.5", StatusNormal, 110, "", 3)
	v.owned, v.boot, v.leaving = map[string][]int64{}, map[string][]int64{}, map[string]bool{}
	buildOwnership(v)
	if ts := v.owned["10.0.0.5"]; len(ts) != 1 || ts[0] != 3 {
		t.Fatalf("a new incarnation at the replaced address owns %v, want [3]", ts)
	}
	// While the replacement is NORMAL it owns the tokens, not the replaced endpoint.
	v.states["10.0.0.5"] = st("10.0.0.5", StatusNormal, 100, "", 2)
	v.states["10.0.0.6"] = st("10.0.0.6", StatusNormal, 105, "10.0.0.5", 2)
	v.owned, v.boot, v.leaving = map[string][]int64{}, map[string][]int64{}, map[string]bool{}
	buildOwnership(v)
	if ts := v.owned["10.0.0.6"]; len(ts) != 1 {
		t.Fatalf("the replacement owns %v, want the replaced token", ts)
	}
	if _, ok := v.owned["10.0.0.5"]; ok {
		t.Fatal("the replaced endpoint still owns a token")
	}
}
