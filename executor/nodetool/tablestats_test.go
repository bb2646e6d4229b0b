package nodetool

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tableStatsSample = `{
  "total_number_of_tables" : 4,
  "shop" : {
    "read_latency" : "NaN", "read_count" : 0, "write_latency" : 0.5, "write_count" : 3, "pending_flushes" : 0,
    "tables" : {
      "items" : { "sstable_count" : 1, "space_used_live" : "5 KiB", "sstables_in_each_level" : [ ] },
      "items.items_v" : { "sstable_count" : 0 },
      "orders" : { "sstable_count" : 0 }
    }
  },
  "system_auth" : { "tables" : { "roles" : { } } }
}
`

func TestParseTableCounts(t *testing.T) {
	got, err := ParseTableCounts(tableStatsSample)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["shop"] != 2 || got["system_auth"] != 1 {
		t.Errorf("counts %v, want shop 2 (its index not counted), system_auth 1", got)
	}
	if got, err := ParseTableCounts(`{"total_number_of_tables": 0}`); err != nil || len(got) != 0 {
		t.Errorf("no keyspaces: %v %v", got, err)
	}
	for name, bad := range map[string]string{
		"empty":             "",
		"not json":          "Total number of tables: 4\n----------------\nKeyspace : shop\n",
		"null":              "null",
		"array":             "[]",
		"two values":        `{"ks": {"tables": {}}} {"ks": {"tables": {}}}`,
		"keyspace a number": `{"ks": 3}`,
		"keyspace a string": `{"ks": "x"}`,
		"no tables":         `{"ks": {"read_count": 0}}`,
		"tables null":       `{"ks": {"tables": null}}`,
		"tables an array":   `{"ks": {"tables": ["a"]}}`,
		"bad keyspace name": `{"a b": {"tables": {}}}`,
		"empty table name":  `{"ks": {"tables": {"": {}}}}`,
		"truncated":         tableStatsSample[:len(tableStatsSample)/2],
	} {
		if got, err := ParseTableCounts(bad); err == nil {
			t.Errorf("%s: parsed as %v", name, got)
		} else if !strings.HasPrefix(err.Error(), "tablestats -F json") {
			t.Errorf("%s: error %q does not name the command", name, err)
		}
	}
}

// The real 5.0.8 output (captured by TestRealAutoRepair): keyspace kt has two tables and a
// secondary index on one of them.
func TestParseTableCountsReal(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "real-5.0.8", "tablestats-json.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseTableCounts(string(b))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	all := 0
	for ks, n := range got {
		all += n
		tables := raw[ks].(map[string]any)["tables"].(map[string]any)
		idx := 0
		for name := range tables {
			if strings.Contains(name, ".") {
				idx++
			}
		}
		if n != len(tables)-idx {
			t.Errorf("%s: %d tables, the output has %d entries of which %d indexes", ks, n, len(tables), idx)
		}
	}
	if got["kt"] != 2 {
		t.Errorf("kt: %d tables, want 2 (items, orders; the index items_v not counted)", got["kt"])
	}
	for _, ks := range []string{"system", "system_schema", "system_auth", "system_distributed", "system_traces"} {
		if got[ks] == 0 {
			t.Errorf("%s: no tables counted (%v)", ks, got)
		}
	}
	if total, ok := raw["total_number_of_tables"].(float64); !ok || int(total) < all {
		t.Errorf("total_number_of_tables %v, counted %d tables", raw["total_number_of_tables"], all)
	}
}

func FuzzParseTableCounts(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "real-5.0.8", "tablestats-json.txt")); err == nil {
		f.Add(string(b))
	}
	f.Add(tableStatsSample)
	f.Add(`{"total_number_of_tables": 1, "ks": {"tables": {"t": {}, "t.i": {}}}}`)
	f.Add(`{"ks": {"tables": {"t": "NaN"}}}`)
	f.Fuzz(func(t *testing.T, out string) {
		got, err := ParseTableCounts(out)
		if err != nil {
			if got != nil {
				t.Fatalf("error %v with counts %v", err, got)
			}
			return
		}
		for ks, n := range got {
			if ks == "" || ks == "total_number_of_tables" || strings.ContainsAny(ks, " \t\r\n.") || n < 0 {
				t.Fatalf("bad entry %q: %d", ks, n)
			}
		}
	})
}
