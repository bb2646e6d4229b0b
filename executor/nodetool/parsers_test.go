package nodetool

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseInfoSample311(t *testing.T) {
	in, err := ParseInfo(cleanSample(t, "info_3.11_k8ssandra.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if in.ID != "dec6a537-f00c-458a-bbc0-26b173675cc7" || !in.GossipActive || in.ThriftActive == nil || !*in.ThriftActive ||
		!in.NativeTransportActive || in.Load != known(611758) || in.GenerationNo != 1614265335 || in.UptimeSeconds != 9232 ||
		in.HeapUsedMB != 567.72 || in.HeapMaxMB != 1024 || in.OffHeapMB != 0 || in.DataCenter != "dc1" || in.Rack != "default" ||
		in.Exceptions != 0 || in.PercentRepaired == nil || *in.PercentRepaired != 100 || in.TokenCount != 256 || len(in.Tokens) != 0 || !in.Joined {
		t.Errorf("%+v", in)
	}
	if len(in.Fields) != 18 {
		t.Errorf("%d fields, want 18", len(in.Fields))
	}
	if v, ok := in.Field("Chunk Cache"); !ok || !strings.HasPrefix(v, "entries 6, size 384 KiB") {
		t.Errorf("Chunk Cache = %q %v", v, ok)
	}
}

// info41 is `nodetool info` of 4.1 laid out with Info.java's "%-23s: %s" (no Thrift line,
// Network Cache added), for one token, and 5.0's extra lines.
const info41 = `ID                     : 8b244cb0-135d-4745-b498-86f46187348f
Gossip active          : true
Native Transport active: false
Load                   : 132.51 KiB
Generation No          : 1700000000
Uptime (seconds)       : 12
Heap Memory (MB)       : 120.50 / 512.00
Off Heap Memory (MB)   : 0.01
Data Center            : dc1
Rack                   : rack0
Exceptions             : 3
Key Cache              : entries 0, size 0 bytes, capacity 25 MiB, 0 hits, 0 requests, NaN recent hit rate, 14400 save period in seconds
Row Cache              : entries 0, size 0 bytes, capacity 0 bytes, 0 hits, 0 requests, NaN recent hit rate, 0 save period in seconds
Counter Cache          : entries 0, size 0 bytes, capacity 12 MiB, 0 hits, 0 requests, NaN recent hit rate, 7200 save period in seconds
Network Cache          : size 8 MiB, overflow size: 0 bytes, capacity 128 MiB
Percent Repaired       : 0.0%
Token                  : -9223372036854775808
Bootstrap state        : COMPLETED
Bootstrap failed       : false
Decommissioning        : false
Decommission failed    : false
`

func TestParseInfoDerived(t *testing.T) {
	in, err := ParseInfo(info41)
	if err != nil {
		t.Fatal(err)
	}
	if in.ThriftActive != nil || in.NativeTransportActive || !in.GossipActive || in.Exceptions != 3 ||
		!reflect.DeepEqual(in.Tokens, []string{"-9223372036854775808"}) || in.TokenCount != 1 || in.BootstrapState != "COMPLETED" ||
		in.HeapUsedMB != 120.5 || *in.PercentRepaired != 0 {
		t.Errorf("%+v", in)
	}
	if v, _ := in.Field("Decommissioning"); v != "false" {
		t.Errorf("Decommissioning = %q", v)
	}
	// -T prints one Token line per token; a node not joined says so.
	multi := strings.Replace(info41, "Token                  : -9223372036854775808\n",
		"Token                  : -3\nToken                  : 5\n", 1)
	if in, err = ParseInfo(multi); err != nil || !reflect.DeepEqual(in.Tokens, []string{"-3", "5"}) || in.TokenCount != 2 {
		t.Errorf("-T: %+v %v", in, err)
	}
	notJoined := strings.Replace(info41, "-9223372036854775808", "(node is not joined to the cluster)", 1)
	if in, err = ParseInfo(notJoined); err != nil || in.Joined || len(in.Tokens) != 0 {
		t.Errorf("not joined: %+v %v", in, err)
	}
}

func TestParseInfoErrors(t *testing.T) {
	for name, c := range map[string]struct{ out, want string }{
		"empty":      {"", "no ID line"},
		"garbage":    {"hello\n", "is not \"label : value\""},
		"no label":   {": x\n", "no label"},
		"bad bool":   {"ID : x\nGossip active : yes\n", "true or false"},
		"bad heap":   {"ID : x\nHeap Memory (MB) : 12\n", "used / max"},
		"bad load":   {"ID : x\nLoad : lots\n", "Load"},
		"bad tokens": {"ID : x\nToken : (invoke with -T/--tokens to see all many tokens)\n", "token count"},
		"two IDs":    {"ID : x\nID : y\n", "second ID"},
		"empty ID":   {"ID :\n", "empty ID"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseInfo(c.out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestParseDescribeRingSample(t *testing.T) {
	rd, err := ParseDescribeRing(cleanSample(t, "describering_2.x_scylla-issue685.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if rd.SchemaVersion != "a49b80fb-839c-3ea0-ad1a-8782f38b8e44" || len(rd.Ranges) != 3 {
		t.Fatalf("%+v", rd)
	}
	want := TokenRange{Start: "-2609958176230819975", End: "-2572502286874901652",
		Endpoints: []string{"127.0.0.1"}, RPCEndpoints: []string{"127.0.0.1"},
		EndpointDetails: []EndpointDetails{{Host: "127.0.0.1", Datacenter: "datacenter1", Rack: "rack1"}}}
	if !reflect.DeepEqual(rd.Ranges[0], want) {
		t.Errorf("got %+v\nwant %+v", rd.Ranges[0], want)
	}
	if rd.Ranges[2].Start != "5709922470988319821" || rd.Ranges[2].End != "5843231238195603455" {
		t.Errorf("%+v", rd.Ranges[2])
	}
}

func TestParseDescribeRingDerived(t *testing.T) {
	out := "Schema Version:2207c2a9-f598-3971-986b-2926e09e239d\nTokenRange: \n" +
		"\tTokenRange(start_token:-9223372036854775808, end_token:-3074457345618258603, endpoints:[127.0.0.2, 127.0.0.3], " +
		"rpc_endpoints:[127.0.0.2, 127.0.0.3], endpoint_details:[EndpointDetails(host:127.0.0.2, datacenter:dc1, rack:r2), " +
		"EndpointDetails(host:127.0.0.3, datacenter:dc2, rack:r3)])\n" +
		"\tTokenRange(start_token:0, end_token:1, endpoints:[127.0.0.1:7000], rpc_endpoints:[127.0.0.1:9042], " +
		"endpoint_details:[EndpointDetails(host:127.0.0.1, port:7000, datacenter:dc1, rack:r1)])\n"
	rd, err := ParseDescribeRing(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Ranges) != 2 {
		t.Fatalf("%+v", rd)
	}
	r := rd.Ranges[0]
	if !reflect.DeepEqual(r.Endpoints, []string{"127.0.0.2", "127.0.0.3"}) ||
		!reflect.DeepEqual(r.EndpointDetails, []EndpointDetails{{Host: "127.0.0.2", Datacenter: "dc1", Rack: "r2"}, {Host: "127.0.0.3", Datacenter: "dc2", Rack: "r3"}}) {
		t.Errorf("%+v", r)
	}
	if d := rd.Ranges[1].EndpointDetails[0]; d.Port != 7000 || rd.Ranges[1].RPCEndpoints[0] != "127.0.0.1:9042" {
		t.Errorf("%+v", rd.Ranges[1])
	}
	for name, c := range map[string]struct{ out, want string }{
		"empty":        {"", "no \"Schema Version:\""},
		"garbage":      {"Schema Version:x\nhello\n", "unexpected"},
		"unclosed":     {"Schema Version:x\nTokenRange(start_token:1, end_token:2, endpoints:[a\n", "want"},
		"no end":       {"Schema Version:x\nTokenRange(start_token:1)\n", "no start_token or end_token"},
		"trailing":     {"Schema Version:x\nTokenRange(start_token:1, end_token:2)x\n", "trailing"},
		"bad details":  {"Schema Version:x\nTokenRange(start_token:1, end_token:2, endpoint_details:[x])\n", "EndpointDetails"},
		"bad port":     {"Schema Version:x\nTokenRange(start_token:1, end_token:2, endpoint_details:[EndpointDetails(port:99999)])\n", "bad port"},
		"two versions": {"Schema Version:x\nSchema Version:y\n", "second"},
		"deep":         {"Schema Version:x\nTokenRange(a:" + strings.Repeat("A(b:", 20) + "1" + strings.Repeat(")", 21) + "\n", "too deep"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseDescribeRing(c.out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestParseNetstatsSample(t *testing.T) {
	ns, err := ParseNetstats(cleanSample(t, "netstats_scylla-tools-java_JOINING-no-streams_scylla-issue2034.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if ns.Mode != ModeJoining || !ns.Mode.Known() || len(ns.Streams) != 0 || ns.ReadRepair == nil ||
		*ns.ReadRepair != (ReadRepairStats{Attempted: 9}) || len(ns.Pools) != 0 || len(ns.Other) != 0 {
		t.Errorf("%+v", ns)
	}
}

// netstats4x is 4.x NetStats.java output while a node bootstraps from two peers.
const netstats4x = `Mode: JOINING
Bootstrap 6f3c1b10-4b2a-11ee-9c1b-5d2f9c0f7a11
    /127.0.0.2:7000
        Receiving 12 files, 1048576 bytes total. Already received 3 files (25.00%), 262144 bytes total (25.00%)
            /var/lib/cassandra/data/ks/t-1/nb-1-big-Data.db 262144/262144 bytes (100%) received from idx:0/127.0.0.2:7000
    /127.0.0.3:7000 (using /10.0.0.3:7000)
        Sending 1 files, 10 bytes total. Already sent 0 files (0.00%), 0 bytes total (0.00%)
Read Repair Statistics:
Attempted: 1
Mismatch (Blocking): 2
Mismatch (Background): 3
Pool Name                    Active   Pending      Completed   Dropped
Large messages                  n/a         0              0         0
Small messages                  n/a         0            123         0
Gossip messages                 n/a         0              2         0
`

func TestParseNetstatsDerived(t *testing.T) {
	ns, err := ParseNetstats(netstats4x)
	if err != nil {
		t.Fatal(err)
	}
	if ns.Mode != ModeJoining || len(ns.Streams) != 1 || *ns.ReadRepair != (ReadRepairStats{1, 2, 3}) || len(ns.Pools) != 3 || len(ns.Other) != 0 {
		t.Fatalf("%+v", ns)
	}
	s := ns.Streams[0]
	if s.Description != "Bootstrap" || s.PlanID != "6f3c1b10-4b2a-11ee-9c1b-5d2f9c0f7a11" || len(s.Peers) != 2 {
		t.Fatalf("%+v", s)
	}
	if p := s.Peers[0]; p.Address != "127.0.0.2:7000" || p.Receiving == nil || *p.Receiving != (StreamProgress{Files: 12, FilesDone: 3, Bytes: 1048576, BytesDone: 262144}) || p.Sending != nil {
		t.Errorf("%+v", p)
	}
	if p := s.Peers[1]; p.Address != "127.0.0.3:7000" || p.Sending == nil || p.Sending.Files != 1 || p.Sending.Bytes != 10 {
		t.Errorf("%+v", p)
	}
	if p := ns.Pools[1]; p.Name != "Small messages" || p.Values["Completed"] != "123" || p.Values["Active"] != "n/a" {
		t.Errorf("%+v", p)
	}
	// Every mode, and the STARTING layout (no read repair block), and 3.x progress lines.
	for _, m := range []Mode{ModeStarting, ModeNormal, ModeJoining, ModeLeaving, ModeDecommissioned, ModeMoving,
		ModeDraining, ModeDrained, ModeJoiningFailed, ModeDecommissionFailed} {
		ns, err := ParseNetstats("Mode: " + string(m) + "\nNot sending any streams.\n")
		if err != nil || ns.Mode != m || !m.Known() || ns.ReadRepair != nil {
			t.Errorf("mode %s: %+v %v", m, ns, err)
		}
	}
	ns, err = ParseNetstats("Mode: LEAVING\nUnbootstrap 6f3c1b10-4b2a-11ee-9c1b-5d2f9c0f7a11\n    /10.0.0.2\n" +
		"        Sending 2 files, 1.5 KiB total. Already sent 1 files, 512 bytes total\n")
	if err != nil || ns.Streams[0].Description != "Unbootstrap" || ns.Streams[0].Peers[0].Sending.Bytes != 1536 || ns.Streams[0].Peers[0].Sending.BytesDone != 512 {
		t.Errorf("3.x -H stream: %+v %v", ns, err)
	}
	if Mode("SOMETHING_NEW").Known() {
		t.Error("unknown mode is Known")
	}
	for name, c := range map[string]struct{ out, want string }{
		"empty":         {"", "no \"Mode:\""},
		"no mode":       {"Not sending any streams.\n", "want \"Mode:"},
		"bad mode":      {"Mode: normal\n", "bad mode"},
		"bad rr":        {"Mode: NORMAL\nRead Repair Statistics:\nAttempted: x\n", "not a number"},
		"bad progress":  {"Mode: NORMAL\nRepair 6f3c1b10-4b2a-11ee-9c1b-5d2f9c0f7a11\n  /a\n    Receiving lots\n", "unknown layout"},
		"bad pool head": {"Mode: NORMAL\nPool Name\n", "no columns"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseNetstats(c.out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestParseDescribeClusterSample(t *testing.T) {
	cd, err := ParseDescribeCluster(cleanSample(t, "describecluster_3.11_ds201.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if cd.Name != "Test Cluster" || cd.Snitch != "org.apache.cassandra.locator.SimpleSnitch" || cd.DynamicSnitch == nil || !*cd.DynamicSnitch ||
		cd.Partitioner != "org.apache.cassandra.dht.Murmur3Partitioner" || cd.Stats != nil ||
		!reflect.DeepEqual(cd.SchemaVersions, []EndpointGroup{{Key: "836f4520-071b-3909-91d9-876181702696", Endpoints: []string{"172.17.0.2"}}}) ||
		!cd.SchemaAgreement() {
		t.Errorf("%+v", cd)
	}
}

// describeCluster41 is DescribeCluster.java's 4.0+ layout (tabs, empty lines, "Data Centers: ").
const describeCluster41 = "Cluster Information:\n\tName: demo\n\tSnitch: org.apache.cassandra.locator.GossipingPropertyFileSnitch\n" +
	"\tDynamicEndPointSnitch: disabled\n\tPartitioner: org.apache.cassandra.dht.Murmur3Partitioner\n\tSchema versions:\n" +
	"\t\t59adb24e-f3cd-3e02-97f0-5b395827453f: [127.0.0.2:7000, 127.0.0.3:7000]\n\n" +
	"\t\tUNREACHABLE: [127.0.0.4:7000]\n\n" +
	"Stats for all nodes:\n\tLive: 2\n\tJoining: 0\n\tMoving: 0\n\tLeaving: 1\n\tUnreachable: 1\n\n" +
	"Data Centers: \n\tdc1 #Nodes: 2 #Down: 0\n\tdc 2 #Nodes: 1 #Down: 1\n\n" +
	"Database versions:\n\t4.1.3: [127.0.0.2:7000, 127.0.0.3:7000]\n\n" +
	"Keyspaces:\n\tsystem_auth -> Replication class: SimpleStrategy {replication_factor=1}\n" +
	"\tks -> Replication class: NetworkTopologyStrategy {dc1=3}\n"

func TestParseDescribeClusterDerived(t *testing.T) {
	cd, err := ParseDescribeCluster(describeCluster41)
	if err != nil {
		t.Fatal(err)
	}
	if cd.Name != "demo" || *cd.DynamicSnitch || len(cd.SchemaVersions) != 2 || cd.SchemaAgreement() ||
		*cd.Stats != (ClusterStats{Live: 2, Leaving: 1, Unreachable: 1}) ||
		!reflect.DeepEqual(cd.Datacenters, []DatacenterSummary{{"dc1", 2, 0}, {"dc 2", 1, 1}}) ||
		!reflect.DeepEqual(cd.DatabaseVersions, []EndpointGroup{{"4.1.3", []string{"127.0.0.2:7000", "127.0.0.3:7000"}}}) ||
		!reflect.DeepEqual(cd.Keyspaces[1], KeyspaceReplication{"ks", "NetworkTopologyStrategy {dc1=3}"}) {
		t.Errorf("%+v", cd)
	}
	for name, c := range map[string]struct{ out, want string }{
		"empty":     {"", "no \"Cluster Information:\""},
		"garbage":   {"hello\n", "want \"Cluster Information:\""},
		"no name":   {"Cluster Information:\n\tSnitch: x\n", "no Name"},
		"bad line":  {"Cluster Information:\n\tName x\n", "key: value"},
		"bad group": {"Cluster Information:\n\tName: x\n\tSchema versions:\n\t\tabc\n", "endpoints"},
		"bad stats": {"Cluster Information:\n\tName: x\nStats for all nodes:\n\tLive: many\n", "<count>"},
		"bad dc":    {"Cluster Information:\n\tName: x\nData Centers:\n\tdc1 #Nodes: x #Down: 0\n", "#Nodes"},
		"bad ks":    {"Cluster Information:\n\tName: x\nKeyspaces:\n\tks\n", "Replication class"},
		"bad dyn":   {"Cluster Information:\n\tName: x\n\tDynamicEndPointSnitch: maybe\n", "DynamicEndPointSnitch"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseDescribeCluster(c.out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestParseRingSample(t *testing.T) {
	r, err := ParseRing(cleanSample(t, "ring_2.1_3node_scylla-issue722.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Datacenters) != 1 || r.Datacenters[0].Name != "us-west-2" || r.Datacenters[0].LastToken != "9186310500266156723" || len(r.Datacenters[0].Entries) != 7 {
		t.Fatalf("%+v", r)
	}
	want := RingEntry{Address: "172.31.33.228", Rack: "2b", Liveness: LivenessUp, State: StateNormal, Load: known(88105), Token: "-9072507567201543075"}
	if got := r.Datacenters[0].Entries[3]; got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseRingDerived(t *testing.T) {
	out := "\nDatacenter: dc1\n==========\nAddress    Rack        Status State   Load            Owns                Token                                       \n" +
		"                                                          3074457345618258602                         \n" +
		"127.0.0.1  rack1       Up     Normal  96.7 KiB        33.33%              -9223372036854775808                        \n" +
		"127.0.0.2  rack1       Down   Leaving ?               ?                   -3074457345618258603                        \n" +
		"127.0.0.3  rack1       ?      Joining 1 MiB           33.33%              3074457345618258602                         \n\n" +
		"  Warning: \"nodetool ring\" is used to output all the tokens of a node.\n  To view status related info of a node use \"nodetool status\" instead.\n\n\n" +
		"  Note: Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless\n"
	r, err := ParseRing(out)
	if err != nil {
		t.Fatal(err)
	}
	es := r.Datacenters[0].Entries
	if len(es) != 3 || len(r.Notes) != 1 || es[0].Owns != owns(33.33) || es[1].Liveness != LivenessDown || es[1].State != StateLeaving ||
		es[1].Load.Known || es[2].Liveness != LivenessUnknown || es[2].State != StateJoining || es[2].Load.Bytes != 1<<20 {
		t.Errorf("%+v", r)
	}
	for name, c := range map[string]struct{ out, want string }{
		"empty":       {"", "no token rows"},
		"garbage":     {"hello\n", "before a column header"},
		"bad status":  {"Address Rack Status State Load Owns Token\na r Maybe Normal ? ? 1\n", "Up, Down"},
		"bad state":   {"Address Rack Status State Load Owns Token\na r Up Bored ? ? 1\n", "Normal, Leaving"},
		"short":       {"Address Rack Status State Load Owns Token\na r Up\n", "want 7 or 8"},
		"load unit":   {"Address Rack Status State Load Owns Token\na r Up Normal 5 ? 1\n", "no unit"},
		"lone token":  {"Address Rack Status State Load Owns Token\na r Up Normal ? ? 1\n7\n", "lone token"},
		"error line":  {"\nError: The keyspace x, does not exist\n", "does not exist"},
		"bad owns":    {"Address Rack Status State Load Owns Token\na r Up Normal ? 5 1\n", "ownership"},
		"unknown unt": {"Address Rack Status State Load Owns Token\na r Up Normal 5 XB ? 1\n", "unknown unit"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseRing(c.out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestParseRunningSample(t *testing.T) {
	ls := strings.Split(strings.TrimSpace(cleanSample(t, "statusbinary_statusgossip_all-versions_source.txt")), "\n")
	if len(ls) != 2 {
		t.Fatalf("want 2 lines, got %q", ls)
	}
	for i, want := range []bool{true, false} {
		got, err := ParseRunning(ls[i] + "\n")
		if err != nil || got != want {
			t.Errorf("ParseRunning(%q) = %v, %v", ls[i], got, err)
		}
	}
	for _, bad := range []string{"", "yes\n", "running\nrunning\n", "not  running\n"} {
		if _, err := ParseRunning(bad); err == nil {
			t.Errorf("ParseRunning(%q) accepted", bad)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for out, want := range map[string]string{"ReleaseVersion: 4.1.3\n": "4.1.3", "ReleaseVersion: 3.11.16\r\n": "3.11.16", "ReleaseVersion: 5.0-beta1\n": "5.0-beta1"} {
		if got, err := ParseVersion(out); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %q, %v", out, got, err)
		}
	}
	for _, bad := range []string{"", "4.1.3\n", "ReleaseVersion:\n", "ReleaseVersion: 4 1\n"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
}

func TestParseRepairSample(t *testing.T) {
	var evs []RepairEvent
	for _, l := range strings.Split(strings.TrimSpace(cleanSample(t, "repair_4.0_full_apache-docs.txt")), "\n") {
		ev, err := ParseRepairLine(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		evs = append(evs, ev)
	}
	if len(evs) != 4 {
		t.Fatalf("%d events", len(evs))
	}
	st := evs[0]
	if st.Kind != RepairStart || st.Command != 1 || st.ParentSession != "fd576da0-c09b-11e9-b00c-1520e8c38f00" || st.Keyspace != "cqlkeyspace" || st.Progress != -1 ||
		!st.Time.Equal(time.Date(2019, 8, 17, 3, 6, 21, 445e6, time.Local)) {
		t.Errorf("start %+v", st)
	}
	s := evs[1]
	wantRanges := []Range{{"-8792657144775336505", "-8786320730900698730"}, {"-5454146041421260303", "-5439402053041523135"},
		{"4288357893651763201", "4324309707046452322"}, {"4350676211955643098", "4351706629422088296"}}
	if s.Kind != RepairSessionFinished || s.Session != "fd8e5c20-c09b-11e9-b00c-1520e8c38f00" || s.Progress != 0 || !reflect.DeepEqual(s.Ranges, wantRanges) || s.Failure() {
		t.Errorf("session %+v", s)
	}
	if evs[2].Kind != RepairSucceeded || evs[3].Kind != RepairCommandFinished || evs[3].Command != 1 || evs[3].Duration != "1 second" {
		t.Errorf("end %+v %+v", evs[2], evs[3])
	}
}

func TestParseRepairLineDerived(t *testing.T) {
	const ts = "[2024-01-02 03:04:05,678] "
	cases := []struct {
		msg  string
		want RepairEvent
	}{
		{"Starting repair command #1, repairing 256 ranges for keyspace ks (parallelism=SEQUENTIAL, full=true)",
			RepairEvent{Kind: RepairStart, Command: 1, Keyspace: "ks", Progress: -1}},
		{"Starting repair command #12, repairing keyspace ks1 with repair options (parallelism: parallel, primary range: false, incremental: true, job threads: 1, ColumnFamilies: [], dataCenters: [], hosts: [], # of ranges: 256)",
			RepairEvent{Kind: RepairStart, Command: 12, Keyspace: "ks1", Progress: -1}},
		{"Starting repair command #3 (0d2c3a40-1c1f-11ee-8c2e-0f0c9b7a4a11), repairing keyspace ks with repair options (parallelism: parallel, primary range: true, incremental: false, job threads: 1, ColumnFamilies: [], dataCenters: [], hosts: [], previewKind: NONE, # of ranges: 1, pull repair: false, force repair: false, optimise streams: false, ignore unreplicated keyspaces: false, repairPaxos: true, paxosOnly: false)",
			RepairEvent{Kind: RepairStart, Command: 3, ParentSession: "0d2c3a40-1c1f-11ee-8c2e-0f0c9b7a4a11", Keyspace: "ks", Progress: -1}},
		{"Repair session 5f1e-1 for range (-10,20] finished (progress: 50%)",
			RepairEvent{Kind: RepairSessionFinished, Session: "5f1e-1", Ranges: []Range{{"-10", "20"}}, Progress: 50}},
		{"Repair session 5f1e-2 for range [(1,2], (3,4]] failed with error Endpoint /127.0.0.2:7000 died (progress: 100%)",
			RepairEvent{Kind: RepairSessionFailed, Session: "5f1e-2", Ranges: []Range{{"1", "2"}, {"3", "4"}}, Error: "Endpoint /127.0.0.2:7000 died", Progress: 100}},
		{"Repair completed successfully", RepairEvent{Kind: RepairSucceeded, Progress: -1}},
		{"Some repair failed", RepairEvent{Kind: RepairFailed, Error: "Some repair failed", Progress: -1}},
		{"Repair command #3 finished in 12 minutes 34 seconds", RepairEvent{Kind: RepairCommandFinished, Command: 3, Duration: "12 minutes 34 seconds", Progress: -1}},
		{"Repair command #4 failed with error Did not get replies from all endpoints.", RepairEvent{Kind: RepairFailed, Command: 4, Error: "Did not get replies from all endpoints.", Progress: -1}},
		{"Repair command #5 finished with error", RepairEvent{Kind: RepairFailed, Command: 5, Error: "Repair command #5 finished with error", Progress: -1}},
		{"Replication factor is 1. No repair is needed for keyspace 'ks'", RepairEvent{Kind: RepairNotNeeded, Keyspace: "ks", Progress: -1}},
		{"After waiting for poll interval of 300 seconds queried for parent session status and discovered repair completed.", RepairEvent{Kind: RepairStatusQueried, Progress: -1}},
		{"condition satisfied queried for parent session status and discovered repair failed.", RepairEvent{Kind: RepairFailed, Error: "condition satisfied queried for parent session status and discovered repair failed.", Progress: -1}},
		{"Validation of ks.t finished (progress: 7%)", RepairEvent{Kind: RepairProgress, Progress: 7}},
		{"Something new", RepairEvent{Kind: RepairOther, Progress: -1}},
	}
	for _, c := range cases {
		got, err := ParseRepairLine(ts + c.msg + "\n")
		if err != nil {
			t.Errorf("%q: %v", c.msg, err)
			continue
		}
		c.want.Time = time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.Local)
		c.want.Line = ts + c.msg
		c.want.Message = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(c.msg, " (progress: 50%)"), " (progress: 100%)"), " (progress: 7%)")
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.msg, got, c.want)
		}
		if got.Kind.String() == "" || strings.HasPrefix(got.Kind.String(), "RepairEventKind(") {
			t.Errorf("kind %d has no name", got.Kind)
		}
	}
	for _, bad := range []string{"", "Repair completed successfully", "[2024-13-02 03:04:05,678] x", "[2024-01-02 03:04:05] x", "[0001-01-01 00:00:00,000]", "[2024-01-02 03:04:05,678] x (progress: 101%)"} {
		if _, err := ParseRepairLine(bad); err == nil {
			t.Errorf("ParseRepairLine(%q) accepted", bad)
		}
	}
}
