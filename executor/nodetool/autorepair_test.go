package nodetool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseAutoRepairConfigReal50(t *testing.T) {
	c, err := ParseAutoRepairConfig(realOut(t, "getautorepairconfig.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Enabled {
		t.Fatal("Enabled false")
	}
	if c.Global["repair_check_interval"] != "30s" || c.Global["mixed_major_version_repair_enabled"] != "false" || len(c.Global) != 4 {
		t.Errorf("global: %v", c.Global)
	}
	var types []string
	for _, tc := range c.Types {
		types = append(types, tc.Type)
	}
	if strings.Join(types, ",") != "full,incremental,preview_repaired" {
		t.Fatalf("types %v", types)
	}
	full, _ := c.Type("full")
	if !full.Enabled || full.Settings["min_repair_interval"] != "2h" || full.Settings["repair_by_keyspace"] != "true" ||
		full.Settings["token_range_splitter.bytes_per_assignment"] != "50GiB" || len(full.Settings) != 23 {
		t.Errorf("full: %+v (%d settings)", full, len(full.Settings))
	}
	inc, _ := c.Type("incremental")
	if inc.Enabled || len(inc.Settings) != 1 {
		t.Errorf("incremental: %+v", inc)
	}

	p, err := ParseAutoRepairConfig(realOut(t, "getautorepairconfig-paused.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range p.Types {
		if tc.Enabled {
			t.Errorf("paused: %s enabled", tc.Type)
		}
	}
	if _, ok := p.Type("full"); !ok || !p.Enabled {
		t.Errorf("paused: %+v", p)
	}
}

func TestParseAutoRepairStatusReal50(t *testing.T) {
	st, err := ParseAutoRepairStatus(realOut(t, "autorepairstatus-full.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Enabled || len(st.Active) != 0 {
		t.Errorf("%+v", st)
	}
	if _, err := parseSetAutoRepair(realOut(t, "setautorepairconfig-full-enabled-false.txt")); err != nil {
		t.Errorf("setautorepairconfig output: %v", err)
	}
}

func TestParseAutoRepairTable(t *testing.T) {
	st, err := ParseAutoRepairStatus("Active Repairs\n6f5a3efa-46b6-45d1-a546-8c78e3c878f5,0b1c\n")
	if err != nil || len(st.Active) != 2 || st.Active[1] != "0b1c" {
		t.Errorf("%+v %v", st, err)
	}
	for _, bad := range []string{"", "Active Repairs\n", "Active Repairs\na,,b\n", "Active Repairs\na,a\n", "x\nNONE\n", "Active Repairs\nNONE\nmore\n"} {
		if _, err := ParseAutoRepairStatus(bad); err == nil {
			t.Errorf("autorepairstatus %q parsed", bad)
		}
	}
	off, err := ParseAutoRepairStatus("Auto-repair is not enabled\n")
	if err != nil || off.Enabled {
		t.Errorf("not enabled: %+v %v", off, err)
	}
	offc, err := ParseAutoRepairConfig("Auto-repair is not enabled\n")
	if err != nil || offc.Enabled || len(offc.Types) != 0 {
		t.Errorf("not enabled: %+v %v", offc, err)
	}
	for _, bad := range []string{
		"",
		"configuration for repair_type: full\n\tenabled: true\n",
		"repair scheduler configuration:\nconfiguration for repair_type: bogus\n\tenabled: true\n",
		"repair scheduler configuration:\nconfiguration for repair_type: full\n\tmin_repair_interval: 1h\n",
		"repair scheduler configuration:\nconfiguration for repair_type: full\n\tenabled: maybe\n",
		"repair scheduler configuration:\nconfiguration for repair_type: full\n\tenabled: true\nconfiguration for repair_type: full\n\tenabled: true\n",
		"repair scheduler configuration:\n\tno colon here\n",
		"repair scheduler configuration:\n\ta: 1\n\ta: 2\n",
		"repair scheduler configuration:\nrepair scheduler configuration:\n",
	} {
		if _, err := ParseAutoRepairConfig(bad); err == nil {
			t.Errorf("getautorepairconfig %q parsed", bad)
		}
	}
	if _, err := parseSetAutoRepair("Auto-repair is not supported or not enabled via -Dcassandra.autorepair.enable=true on the server.\n"); err == nil || !strings.Contains(err.Error(), ErrAutoRepairDisabled.Error()) {
		t.Errorf("set on a node without auto repair: %v", err)
	}
}

func FuzzParseAutoRepair(f *testing.F) {
	for _, name := range []string{"getautorepairconfig.txt", "getautorepairconfig-paused.txt", "autorepairstatus-full.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", "real-5.0.8", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("Active Repairs\na,b\n")
	f.Add("Auto-repair is not enabled\n")
	f.Fuzz(func(t *testing.T, out string) {
		if c, err := ParseAutoRepairConfig(out); err == nil && c.Enabled {
			seen := map[string]bool{}
			for _, tc := range c.Types {
				if !ValidAutoRepairType(tc.Type) || seen[tc.Type] || tc.Enabled != (tc.Settings["enabled"] == "true") {
					t.Fatalf("bad type %+v", tc)
				}
				seen[tc.Type] = true
			}
		}
		if st, err := ParseAutoRepairStatus(out); err == nil {
			if !st.Enabled && len(st.Active) > 0 {
				t.Fatalf("active repairs while not enabled: %+v", st)
			}
			for _, id := range st.Active {
				if id == "" || strings.ContainsAny(id, " \t,") {
					t.Fatalf("bad host ID %q", id)
				}
			}
		}
		_, _ = parseSetAutoRepair(out)
	})
}
