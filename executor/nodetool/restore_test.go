package nodetool

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseTables(t *testing.T) {
	got, err := ParseTables(tableStatsSample)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "map[shop:[items orders] system_auth:[roles]]" {
		t.Errorf("tables %v, want shop's two (not its index) and system_auth's", got)
	}
	for _, bad := range []string{"", "null", `{"ks": {"tables": null}}`, `{"ks": {"tables": {"": {}}}}`} {
		if got, err := ParseTables(bad); err == nil || !strings.HasPrefix(err.Error(), "tablestats -F json") {
			t.Errorf("ParseTables(%q) = %v, %v", bad, got, err)
		}
	}
	b, err := os.ReadFile(filepath.Join("testdata", "real-5.0.8", "tablestats-json.txt"))
	if err != nil {
		t.Fatal(err)
	}
	real, err := ParseTables(string(b))
	if err != nil {
		t.Fatal(err)
	}
	counts, _ := ParseTableCounts(string(b))
	for ks, n := range counts {
		if len(real[ks]) != n {
			t.Errorf("real 5.0.8: %s has %v, want %d tables", ks, real[ks], n)
		}
	}
	if len(real["kt"]) != 2 {
		t.Errorf("real 5.0.8: kt has %v, want its two tables", real["kt"])
	}
}

func FuzzParseTables(f *testing.F) {
	f.Add(tableStatsSample)
	f.Add(`{"ks": {"tables": {"a": {}, "a.i": {}}}}`)
	f.Fuzz(func(t *testing.T, out string) {
		names, err := ParseTables(out)
		counts, cerr := ParseTableCounts(out)
		if (err == nil) != (cerr == nil) {
			t.Fatalf("ParseTables err %v, ParseTableCounts err %v", err, cerr)
		}
		for ks, n := range counts {
			if len(names[ks]) != n {
				t.Fatalf("%s: names %v, count %d", ks, names[ks], n)
			}
		}
	})
}
