package nodetool

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func mustStatus(t *testing.T, out string) *Status {
	t.Helper()
	st, err := ParseStatus(out)
	if err != nil {
		t.Fatalf("ParseStatus: %v\n%s", err, out)
	}
	return st
}

func wantNode(t *testing.T, st *Status, want NodeStatus) {
	t.Helper()
	got, ok := st.Node(want.Address)
	if !ok {
		t.Fatalf("no node %s in %+v", want.Address, st.All())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("node %s:\n got %+v\nwant %+v", want.Address, got, want)
	}
}

func known(b int64) Load       { return Load{Bytes: b, Known: true} }
func owns(p float64) Ownership { return Ownership{Percent: p, Known: true} }

func TestParseStatusSample311DN(t *testing.T) {
	st := mustStatus(t, cleanSample(t, "status_3.11_DN_casskop.txt"))
	if len(st.Datacenters) != 1 || st.Datacenters[0].Name != "dc1" || len(st.All()) != 6 {
		t.Fatalf("want one DC dc1 with 6 nodes, got %+v", st)
	}
	if !st.EffectiveOwnership || len(st.Notes) != 0 {
		t.Errorf("effective=%v notes=%q, want effective and no notes", st.EffectiveOwnership, st.Notes)
	}
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "172.31.180.138",
		Load: known(39728447488), Tokens: 256, Owns: owns(51.0),
		HostID: "1ad1b4b7-c719-4683-8109-31aa9722c1ee", Rack: "rack2", Datacenter: "dc1"})
	wantNode(t, st, NodeStatus{Liveness: LivenessDown, State: StateNormal, Address: "172.31.183.213",
		Load: known(33436320399), Tokens: 256, Owns: owns(51.9),
		HostID: "e45107ba-fe7b-4904-98cf-1373d1946bb5", Rack: "rack2", Datacenter: "dc1"})
	down := 0
	for _, n := range st.All() {
		if !n.Up() {
			down++
			if n.Code() != "DN" {
				t.Errorf("down node code %q", n.Code())
			}
		}
	}
	if down != 1 {
		t.Errorf("want 1 down node, got %d", down)
	}
	// Printed order is kept.
	if got := st.All()[0].Address; got != "172.31.184.189" {
		t.Errorf("first node %s", got)
	}
}

func TestParseStatusSample311MultiDC(t *testing.T) {
	st := mustStatus(t, cleanSample(t, "status_3.11_multidc_2dc_casskop.txt"))
	var names []string
	var counts []int
	for _, dc := range st.Datacenters {
		names = append(names, dc.Name)
		counts = append(counts, len(dc.Nodes))
	}
	if !reflect.DeepEqual(names, []string{"dc1", "dc2"}) || !reflect.DeepEqual(counts, []int{4, 2}) {
		t.Fatalf("DCs %v %v, want [dc1 dc2] [4 2]", names, counts)
	}
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "172.18.104.8",
		Load: known(156754), Tokens: 32, Owns: owns(38.8),
		HostID: "62adf02d-8c55-4d95-a459-45b1c9c3aa91", Rack: "rack1", Datacenter: "dc2"})
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "172.18.112.6",
		Load: known(129075), Tokens: 32, Owns: owns(38.5),
		HostID: "1512da3c-f6b2-469f-95d1-2d060043777a", Rack: "rack1", Datacenter: "dc1"})
	if dc, ok := st.Datacenter("dc2"); !ok || dc.Nodes[0].Address != "172.18.72.8" {
		t.Errorf("Datacenter(dc2) = %+v %v", dc, ok)
	}
	if n, ok := st.NodeByHostID("8688ABD3-08b6-44e0-8805-05bd3650eea6"); !ok || n.Address != "172.18.72.8" {
		t.Errorf("NodeByHostID = %+v %v", n, ok)
	}
}

func TestParseStatusSample311SingleTokenNote(t *testing.T) {
	st := mustStatus(t, cleanSample(t, "status_3.11_single-token_owns-note_k8ssandra.txt"))
	if st.EffectiveOwnership {
		t.Error("header says Owns, not Owns (effective)")
	}
	wantNotes := []string{"Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless"}
	if !reflect.DeepEqual(st.Notes, wantNotes) {
		t.Errorf("notes %q", st.Notes)
	}
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "10.244.1.12",
		Load: known(220467), Tokens: 1, Token: "-1080085985719557225", Owns: Ownership{},
		HostID: "75e52e51-edc9-49f8-84f6-f044999ac130", Rack: "default", Datacenter: "dc1"})
}

func TestParseStatusSample40Beta(t *testing.T) {
	blocks := strings.Split(cleanSample(t, "status_4.0-beta_dtest-pr58_tokens1.txt"), "----- second block -----\n")
	if len(blocks) != 2 {
		t.Fatalf("want 2 blocks, got %d", len(blocks))
	}
	// Block 1 is an excerpt without the Datacenter header: rows go to a DC with no name.
	st := mustStatus(t, blocks[0])
	if len(st.Datacenters) != 1 || st.Datacenters[0].Name != "" || len(st.All()) != 3 || !st.EffectiveOwnership {
		t.Fatalf("block 1: %+v", st)
	}
	for _, n := range st.All() {
		if n.Owns.Known || n.Tokens != 1 || n.Code() != "UN" {
			t.Errorf("block 1 node %+v: want UN, 1 token, owns ?", n)
		}
	}
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "127.0.0.3",
		Load: known(107807), Tokens: 1, Owns: Ownership{},
		HostID: "41df89ae-0631-447c-9def-ff1fbff3b8a7", Rack: "rack2"})
	// Block 2 went through dtest's logger; strip its prefix.
	b2 := strings.Replace(blocks[1], "16:05:35,630 replication_test DEBUG ", "", 1)
	st = mustStatus(t, b2)
	if st.Datacenters[0].Name != "dc1" || len(st.All()) != 3 {
		t.Fatalf("block 2: %+v", st)
	}
	for _, n := range st.All() {
		if n.Owns != owns(100) {
			t.Errorf("block 2 node %s owns %v", n.Address, n.Owns)
		}
	}
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "127.0.0.1",
		Load: known(135690), Tokens: 1, Owns: owns(100),
		HostID: "8b244cb0-135d-4745-b498-86f46187348f", Rack: "rack0", Datacenter: "dc1"})
}

func TestParseStatusSample40(t *testing.T) {
	st := mustStatus(t, cleanSample(t, "status_4.0_single-dc_16tokens_k8ssandra-operator.txt"))
	if len(st.All()) != 3 || !st.EffectiveOwnership {
		t.Fatalf("%+v", st)
	}
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "10.244.3.4",
		Load: known(99021), Tokens: 16, Owns: owns(100),
		HostID: "0f75a6fe-c91d-4c0e-9253-2235b6c9a206", Rack: "default", Datacenter: "dc1"})
}

func TestParseStatusSampleScyllaUJ(t *testing.T) {
	st := mustStatus(t, cleanSample(t, "status_scylla-tools-java_UJ-load-unknown_scylla-issue1144.txt"))
	if st.Datacenters[0].Name != "datacenter1" || len(st.All()) != 4 || st.EffectiveOwnership || len(st.Notes) != 1 {
		t.Fatalf("%+v", st)
	}
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateJoining, Address: "172.30.0.97",
		Load: Load{}, Tokens: 256, Owns: Ownership{},
		HostID: "c1a23b63-2f7d-4820-b708-3da314b11e24", Rack: "rack1", Datacenter: "datacenter1"})
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "172.30.0.86",
		Load: known(13099650253), Tokens: 256, Owns: Ownership{},
		HostID: "0ade59c0-6d0c-45b3-8a7d-5174f7ca238a", Rack: "rack1", Datacenter: "datacenter1"})
	n, _ := st.Node("172.30.0.97")
	if n.Code() != "UJ" || n.Load.String() != "?" || n.Owns.String() != "?" {
		t.Errorf("UJ node: code %s load %s owns %s", n.Code(), n.Load, n.Owns)
	}
}

// --- outputs derived from Status.java's formatting rules ---

type row struct {
	code, addr, load, tokens, owns, hostID, token, rack string
}

// render4x lays out status as Cassandra 4.0/4.1/5.0 does (TableBuilder.SharedTable("  ")): every
// cell padded to the widest cell of its column over all DCs (the last column too), one blank line
// between DCs, one empty line at the end, then the notes.
func render4x(effective, tokenLayout bool, dcs map[string][]row, order []string, notes ...string) string {
	head := []string{"--", "Address", "Load"}
	if !tokenLayout {
		head = append(head, "Tokens")
	}
	if effective {
		head = append(head, "Owns (effective)")
	} else {
		head = append(head, "Owns")
	}
	head = append(head, "Host ID")
	if tokenLayout {
		head = append(head, "Token")
	}
	head = append(head, "Rack")
	cells := func(r row) []string {
		c := []string{r.code, r.addr, r.load}
		if !tokenLayout {
			c = append(c, r.tokens)
		}
		c = append(c, r.owns, r.hostID)
		if tokenLayout {
			c = append(c, r.token)
		}
		return append(c, r.rack)
	}
	w := make([]int, len(head))
	for i, h := range head {
		w[i] = len(h)
	}
	for _, rs := range dcs {
		for _, r := range rs {
			for i, c := range cells(r) {
				w[i] = max(w[i], len(c))
			}
		}
	}
	line := func(cs []string) string {
		var parts []string
		for i, c := range cs {
			parts = append(parts, fmt.Sprintf("%-*s", w[i], c))
		}
		return strings.Join(parts, "  ") + "\n"
	}
	var b strings.Builder
	for i, dc := range order {
		if i > 0 {
			b.WriteString("\n")
		}
		h := "Datacenter: " + dc
		b.WriteString(h + "\n" + strings.Repeat("=", len(h)) + "\n")
		b.WriteString("Status=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n")
		b.WriteString(line(head))
		for _, r := range dcs[dc] {
			b.WriteString(line(cells(r)))
		}
	}
	b.WriteString("\n")
	for _, n := range notes {
		b.WriteString("Note: " + n + "\n")
	}
	return b.String()
}

// render3x lays out status with 3.0/3.11's printf format: fixed widths that overflow, Rack not
// padded, no blank line between DCs.
func render3x(effective bool, dcs map[string][]row, order []string, notes ...string) string {
	a := len("Address")
	for _, rs := range dcs {
		for _, r := range rs {
			a = max(a, len(r.addr))
		}
	}
	ownsW := 6
	ownsH := "Owns"
	if effective {
		ownsW, ownsH = 16, "Owns (effective)"
	}
	format := fmt.Sprintf("%%s%%s  %%-%ds  %%-9s  %%-11s  %%-%ds  %%-36s  %%s\n", a, ownsW)
	var b strings.Builder
	for _, dc := range order {
		h := "Datacenter: " + dc
		b.WriteString(h + "\n" + strings.Repeat("=", len(h)) + "\n")
		b.WriteString("Status=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n")
		fmt.Fprintf(&b, format, "-", "-", "Address", "Load", "Tokens", ownsH, "Host ID", "Rack")
		for _, r := range dcs[dc] {
			fmt.Fprintf(&b, format, r.code[:1], r.code[1:], r.addr, r.load, r.tokens, r.owns, r.hostID, r.rack)
		}
	}
	b.WriteString("\n")
	for _, n := range notes {
		b.WriteString("Note: " + n + "\n")
	}
	return b.String()
}

func TestParseStatusDerived4xMultiDC(t *testing.T) {
	dcs := map[string][]row{
		"eu-west": {
			{"UN", "10.0.1.1:7000", "1.04 TiB", "16", "33.3%", "11111111-1111-1111-1111-111111111111", "", "rack-a"},
			{"UL", "10.0.1.2:7000", "0 bytes", "16", "33.3%", "22222222-2222-2222-2222-222222222222", "", "b"},
			{"UM", "10.0.1.3:7000", "512 MiB", "16", "33.4%", "33333333-3333-3333-3333-333333333333", "", "c"},
		},
		"us-east": {
			{"DN", "[0:0:0:0:0:0:0:1]:7000", "?", "256", "?", "44444444-4444-4444-4444-444444444444", "", "r1"},
			{"?N", "10.0.2.2:7001", "12.5 GiB", "256", "100.0%", "", "", "r1"},
			{"UJ", "10.0.2.3:7000", "96.7 KiB", "256", "0.0%", "55555555-5555-5555-5555-555555555555", "", "r2"},
		},
	}
	note := "Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless"
	out := render4x(true, false, dcs, []string{"eu-west", "us-east"}, note)
	if !strings.Contains(out, "rack-a\n") || !strings.Contains(out, "b     \n") {
		t.Fatalf("renderer does not pad the last column:\n%s", out)
	}
	st := mustStatus(t, out)
	if len(st.Datacenters) != 2 || len(st.All()) != 6 || !st.EffectiveOwnership || len(st.Notes) != 1 {
		t.Fatalf("%+v", st)
	}
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "10.0.1.1:7000",
		Load: known(1143492092887), Tokens: 16, Owns: owns(33.3),
		HostID: "11111111-1111-1111-1111-111111111111", Rack: "rack-a", Datacenter: "eu-west"})
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateLeaving, Address: "10.0.1.2:7000",
		Load: known(0), Tokens: 16, Owns: owns(33.3),
		HostID: "22222222-2222-2222-2222-222222222222", Rack: "b", Datacenter: "eu-west"})
	wantNode(t, st, NodeStatus{Liveness: LivenessDown, State: StateNormal, Address: "[0:0:0:0:0:0:0:1]:7000",
		Tokens: 256, HostID: "44444444-4444-4444-4444-444444444444", Rack: "r1", Datacenter: "us-east"})
	// 4.x prints an empty Host ID cell when the host ID is unknown.
	wantNode(t, st, NodeStatus{Liveness: LivenessUnknown, State: StateNormal, Address: "10.0.2.2:7001",
		Load: known(13421772800), Tokens: 256, Owns: owns(100), Rack: "r1", Datacenter: "us-east"})
	n, _ := st.Node("10.0.1.3:7000")
	if n.Code() != "UM" || n.State != StateMoving || n.Load.Bytes != 512<<20 {
		t.Errorf("UM node %+v", n)
	}
	// Lookups with and without the port, and IPv6 hosts.
	if n, ok := st.Node("10.0.2.3"); !ok || n.Code() != "UJ" {
		t.Errorf("Node without port: %+v %v", n, ok)
	}
	if n, ok := st.Node("0:0:0:0:0:0:0:1"); !ok || n.Host() != "0:0:0:0:0:0:0:1" || n.Up() {
		t.Errorf("Node IPv6: %+v %v", n, ok)
	}
	if _, ok := st.Node("10.9.9.9"); ok {
		t.Error("found a node that is not there")
	}
}

func TestParseStatusDerived4xTokenLayoutIPv6(t *testing.T) {
	dcs := map[string][]row{"datacenter1": {
		{"UN", "0:0:0:0:0:0:0:1", "75.21 KiB", "", "100.0%", "6d194555-f6eb-41d0-c000-000000000001", "-9223372036854775808", "rack1"},
	}}
	st := mustStatus(t, render4x(true, true, dcs, []string{"datacenter1"}))
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "0:0:0:0:0:0:0:1",
		Load: known(77015), Tokens: 1, Token: "-9223372036854775808", Owns: owns(100),
		HostID: "6d194555-f6eb-41d0-c000-000000000001", Rack: "rack1", Datacenter: "datacenter1"})
	// Empty host ID in the token layout: the token must not be taken for the host ID.
	dcs["datacenter1"][0].hostID = ""
	st = mustStatus(t, render4x(true, true, dcs, []string{"datacenter1"}))
	n := st.All()[0]
	if n.HostID != "" || n.Token != "-9223372036854775808" || n.Rack != "rack1" {
		t.Errorf("empty host ID: %+v", n)
	}
}

func TestParseStatusDerived3xOverflowAndUnits(t *testing.T) {
	dcs := map[string][]row{
		"DC1": {
			// 10-character loads overflow %-9s and push the row right.
			{"UN", "192.168.100.101", "103.83 KiB", "256", "66.7%", "a0000000-0000-0000-0000-00000000000a", "", "RAC1"},
			{"UL", "192.168.100.102", "1.5 TB", "256", "66.6%", "null", "", "RAC1"},
		},
		"DC2": {
			{"UN", "192.168.100.103", "74.32 KB", "256", "66.7%", "b0000000-0000-0000-0000-00000000000b", "", "rack with space"},
		},
	}
	st := mustStatus(t, render3x(true, dcs, []string{"DC1", "DC2"}))
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "192.168.100.101",
		Load: known(106322), Tokens: 256, Owns: owns(66.7),
		HostID: "a0000000-0000-0000-0000-00000000000a", Rack: "RAC1", Datacenter: "DC1"})
	// 3.x prints "null" for a missing host ID.
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateLeaving, Address: "192.168.100.102",
		Load: known(1649267441664), Tokens: 256, Owns: owns(66.6), Rack: "RAC1", Datacenter: "DC1"})
	wantNode(t, st, NodeStatus{Liveness: LivenessUp, State: StateNormal, Address: "192.168.100.103",
		Load: known(76104), Tokens: 256, Owns: owns(66.7),
		HostID: "b0000000-0000-0000-0000-00000000000b", Rack: "rack with space", Datacenter: "DC2"})

	st = mustStatus(t, render3x(false, dcs, []string{"DC1", "DC2"}, "Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless"))
	if st.EffectiveOwnership || len(st.Notes) != 1 || len(st.All()) != 3 {
		t.Errorf("%+v", st)
	}
}

func TestParseStatusCRLFAndLocaleComma(t *testing.T) {
	out := "Datacenter: dc1\r\n===============\r\nStatus=Up/Down\r\n|/ State=Normal/Leaving/Joining/Moving\r\n" +
		"--  Address    Load       Tokens  Owns (effective)  Host ID                               Rack\r\n" +
		"UN  127.0.0.1  1,5 MiB    16      33,3%             41df89ae-0631-447c-9def-ff1fbff3b8a7  rack1\r\n\r\n"
	st := mustStatus(t, out)
	n := st.All()[0]
	if n.Load.Bytes != 1572864 || n.Owns.Percent != 33.3 || n.Rack != "rack1" {
		t.Errorf("%+v", n)
	}
}

func TestParseStatusNaNLoad(t *testing.T) {
	out := "Datacenter: dc1\n--  Address    Load       Tokens  Owns  Host ID                               Rack\n" +
		"UN  127.0.0.1  NaN bytes  16      ?     41df89ae-0631-447c-9def-ff1fbff3b8a7  rack1\n"
	n := mustStatus(t, out).All()[0]
	if n.Load.Known || n.Rack != "rack1" {
		t.Errorf("%+v", n)
	}
}

func TestParseStatusErrors(t *testing.T) {
	head := "Datacenter: dc1\n===============\n--  Address    Load       Tokens  Owns (effective)  Host ID                               Rack\n"
	cases := map[string]struct{ out, want string }{
		"empty":            {"", "no column header"},
		"garbage":          {"hello world\n", "before a column header"},
		"unknown keyspace": {"\nError: The keyspace nope, does not exist\n", "The keyspace nope, does not exist"},
		"header only":      {head, "no node rows"},
		"bad code":         {head + "XN  127.0.0.1  1 KiB  16  1.0%  41df89ae-0631-447c-9def-ff1fbff3b8a7  r\n", "unknown status letter"},
		"bad state":        {head + "UX  127.0.0.1  1 KiB  16  1.0%  41df89ae-0631-447c-9def-ff1fbff3b8a7  r\n", "unknown state letter"},
		"long code":        {head + "UNN  127.0.0.1  1 KiB  16  1.0%  41df89ae-0631-447c-9def-ff1fbff3b8a7  r\n", "not two letters"},
		"bad unit":         {head + "UN  127.0.0.1  1 KiBs  16  1.0%  41df89ae-0631-447c-9def-ff1fbff3b8a7  r\n", "unknown unit"},
		"bad tokens":       {head + "UN  127.0.0.1  1 KiB  x  1.0%  41df89ae-0631-447c-9def-ff1fbff3b8a7  r\n", "token count"},
		"bad owns":         {head + "UN  127.0.0.1  1 KiB  16  1.0  41df89ae-0631-447c-9def-ff1fbff3b8a7  r\n", "ownership"},
		"owns over 100":    {head + "UN  127.0.0.1  1 KiB  16  101.0%  41df89ae-0631-447c-9def-ff1fbff3b8a7  r\n", "out of range"},
		"truncated row":    {head + "UN  127.0.0.1  1 KiB\n", "no token count"},
		"unknown column":   {"--  Address  Load  Colour  Owns  Rack\n", "unknown column"},
		"no owns column":   {"--  Address  Load  Tokens  Host ID  Rack\n", "no \"Owns\" column"},
		"empty dc":         {"Datacenter: a\n" + head + "UN  127.0.0.1  1 KiB  16  1.0%  41df89ae-0631-447c-9def-ff1fbff3b8a7  r\n", "has no node rows"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseStatus(c.out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestLoadAndOwnership(t *testing.T) {
	loads := map[string]Load{
		"0 bytes": known(0), "1023 bytes": known(1023), "96.7 KiB": known(99021), "37 GiB": known(39728447488),
		"1.04 TiB": known(1143492092887), "74.32 KB": known(76104), "12.2 GB": known(13099650253),
		"1 MB": known(1 << 20), "?": {}, "NaN bytes": {},
	}
	for s, want := range loads {
		got, err := ParseLoad(s)
		if err != nil || got != want {
			t.Errorf("ParseLoad(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, bad := range []string{"", "1", "KiB", "1 XB", "-1 KiB", "1e3 KiB", "Inf bytes", "0x10 bytes", "99999999999 TiB"} {
		if _, err := ParseLoad(bad); err == nil {
			t.Errorf("ParseLoad(%q) accepted", bad)
		}
	}
	formats := map[int64]string{0: "0 bytes", 1023: "1023 bytes", 1024: "1 KiB", 99021: "96.7 KiB", 39728447488: "37 GiB", 1143492092887: "1.04 TiB"}
	for n, want := range formats {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := (Load{}).String(); got != "?" {
		t.Errorf("unknown load prints %q", got)
	}
	if o, err := ParseOwnership("4.8%"); err != nil || o != owns(4.8) || o.String() != "4.8%" {
		t.Errorf("ParseOwnership(4.8%%) = %+v %v", o, err)
	}
	if o, err := ParseOwnership("?"); err != nil || o.Known {
		t.Errorf("ParseOwnership(?) = %+v %v", o, err)
	}
	for _, bad := range []string{"", "%", "4.8", "x%", "-1%", "200%"} {
		if _, err := ParseOwnership(bad); err == nil {
			t.Errorf("ParseOwnership(%q) accepted", bad)
		}
	}
}

func TestLivenessStateStrings(t *testing.T) {
	n := NodeStatus{Liveness: LivenessDown, State: StateLeaving}
	if n.Code() != "DL" || n.Liveness.String() != "Down" || n.State.String() != "Leaving" {
		t.Errorf("%s %s %s", n.Code(), n.Liveness, n.State)
	}
	if LivenessUp.String() != "Up" || LivenessUnknown.String() != "?" || StateJoining.String() != "Joining" ||
		StateMoving.String() != "Moving" || StateNormal.String() != "Normal" {
		t.Error("strings")
	}
}
