package nodetool

import (
	"strings"
	"testing"
)

// Every fuzzer checks that garbage gives an error and never a panic, and that what parses obeys
// the parser's invariants.

func seedSamples(f *testing.F, prefix string, extra ...string) {
	for name := range samples {
		if strings.HasPrefix(name, prefix) {
			f.Add(cleanSample(f, name))
		}
	}
	for _, e := range extra {
		f.Add(e)
	}
}

func FuzzParseStatus(f *testing.F) {
	seedSamples(f, "status_")
	rows := map[string][]row{"dc1": {{"UN", "[::1]:7000", "1.5 GiB", "16", "33.3%", "", "", "r1"}, {"DL", "10.0.0.1", "?", "16", "?", "null", "", "r 2"}}}
	f.Add(render4x(true, false, rows, []string{"dc1"}, "x"))
	f.Add(render3x(false, rows, []string{"dc1"}))
	f.Add(render4x(false, true, map[string][]row{"d": {{"UN", "a", "0 bytes", "", "?", "41df89ae-0631-447c-9def-ff1fbff3b8a7", "-1", "r"}}}, []string{"d"}))
	f.Fuzz(func(t *testing.T, out string) {
		st, err := ParseStatus(out)
		if err != nil {
			return
		}
		if len(st.All()) == 0 {
			t.Fatal("parsed status without nodes")
		}
		for _, n := range st.All() {
			if len(n.Code()) != 2 || n.Address == "" || n.Load.Bytes < 0 || n.Tokens < 0 || (n.Owns.Known && (n.Owns.Percent < 0 || n.Owns.Percent > 100.05)) {
				t.Fatalf("bad node %+v", n)
			}
			if _, ok := st.Node(n.Address); !ok {
				t.Fatalf("Node(%q) not found", n.Address)
			}
			_ = n.Load.String()
			_ = n.Owns.String()
			_ = n.Host()
		}
	})
}

func FuzzParseInfo(f *testing.F) {
	seedSamples(f, "info_", info41)
	f.Fuzz(func(t *testing.T, out string) {
		in, err := ParseInfo(out)
		if err != nil {
			return
		}
		if len(in.Fields) == 0 || in.TokenCount < 0 || in.Load.Bytes < 0 {
			t.Fatalf("bad info %+v", in)
		}
	})
}

func FuzzParseDescribeRing(f *testing.F) {
	seedSamples(f, "describering_")
	f.Add("Schema Version:x\nTokenRange: \n\tTokenRange(start_token:0, end_token:1, endpoints:[127.0.0.1:7000], rpc_endpoints:[127.0.0.1:9042], endpoint_details:[EndpointDetails(host:127.0.0.1, port:7000, datacenter:dc1, rack:r1)])\n")
	f.Fuzz(func(t *testing.T, out string) {
		rd, err := ParseDescribeRing(out)
		if err != nil {
			return
		}
		for _, r := range rd.Ranges {
			for _, d := range r.EndpointDetails {
				if d.Port < 0 || d.Port > 65535 {
					t.Fatalf("bad port %d", d.Port)
				}
			}
		}
	})
}

func FuzzParseNetstats(f *testing.F) {
	seedSamples(f, "netstats_", netstats4x, "Mode: STARTING\nNot sending any streams.\n")
	f.Fuzz(func(t *testing.T, out string) {
		ns, err := ParseNetstats(out)
		if err != nil {
			return
		}
		if ns.Mode == "" {
			t.Fatal("parsed netstats without a mode")
		}
		for _, s := range ns.Streams {
			for _, p := range s.Peers {
				for _, sp := range []*StreamProgress{p.Receiving, p.Sending} {
					if sp != nil && (sp.Bytes < 0 || sp.BytesDone < 0) {
						t.Fatalf("bad progress %+v", sp)
					}
				}
			}
		}
	})
}

func FuzzParseDescribeCluster(f *testing.F) {
	seedSamples(f, "describecluster_", describeCluster41)
	f.Fuzz(func(t *testing.T, out string) {
		cd, err := ParseDescribeCluster(out)
		if err != nil {
			return
		}
		if cd.Name == "" {
			t.Fatal("parsed without a name")
		}
		_ = cd.SchemaAgreement()
	})
}

func FuzzParseRing(f *testing.F) {
	seedSamples(f, "ring_")
	f.Fuzz(func(t *testing.T, out string) {
		r, err := ParseRing(out)
		if err != nil {
			return
		}
		for _, d := range r.Datacenters {
			for _, e := range d.Entries {
				if e.Token == "" || e.Load.Bytes < 0 {
					t.Fatalf("bad entry %+v", e)
				}
			}
		}
	})
}

func FuzzParseRepairLine(f *testing.F) {
	for _, l := range strings.Split(cleanSample(f, "repair_4.0_full_apache-docs.txt"), "\n") {
		f.Add(l)
	}
	f.Add("[2024-01-02 03:04:05,678] Repair session 5f1e-2 for range [(1,2], (3,4]] failed with error x (progress: 100%)")
	f.Add("[2024-01-02 03:04:05,678] Replication factor is 1. No repair is needed for keyspace 'ks'")
	f.Add("[2024-01-02 03:04:05,678] Repair command #4 failed with error y")
	f.Fuzz(func(t *testing.T, line string) {
		ev, err := ParseRepairLine(line)
		if err != nil {
			return
		}
		if ev.Progress < -1 || ev.Progress > 100 || ev.Command < 0 || ev.Time.IsZero() {
			t.Fatalf("bad event %+v", ev)
		}
		_ = ev.Kind.String()
	})
}

func FuzzParseSmall(f *testing.F) {
	seedSamples(f, "statusbinary_", "ReleaseVersion: 4.1.3\n", "running\n", "12.2 GB", "51.2%", "?")
	f.Fuzz(func(t *testing.T, out string) {
		_, _ = ParseRunning(out)
		if v, err := ParseVersion(out); err == nil && v == "" {
			t.Fatal("empty version")
		}
		if l, err := ParseLoad(out); err == nil && l.Bytes < 0 {
			t.Fatalf("negative load %+v", l)
		}
		if o, err := ParseOwnership(out); err == nil && o.Known && (o.Percent < 0 || o.Percent > 100.05) {
			t.Fatalf("bad ownership %+v", o)
		}
	})
}

func FuzzClassify(f *testing.F) {
	f.Add("status", 1, "", refusedJava8)
	f.Add("repair", 2, "", repairJobFail)
	f.Add("cleanup", 1, "nodetool: Keyspace [nope] does not exist.\n"+badUseHelp, "")
	f.Fuzz(func(t *testing.T, cmd string, rc int, stdout, stderr string) {
		err := Classify(cmd, rc, stdout, stderr)
		if rc == 0 && err != nil {
			t.Fatal("exit 0 classified as a failure")
		}
		e := &Error{Cmd: cmd, ExitCode: rc, Stdout: stdout, Stderr: stderr, Kind: err}
		_ = e.Error()
	})
}
