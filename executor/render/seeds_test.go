package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func seedsOf(t *testing.T, b []byte) string {
	t.Helper()
	var y struct {
		SeedProvider []struct {
			ClassName  string              `yaml:"class_name"`
			Parameters []map[string]string `yaml:"parameters"`
		} `yaml:"seed_provider"`
	}
	if err := yaml.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	if len(y.SeedProvider) != 1 || len(y.SeedProvider[0].Parameters) != 1 {
		t.Fatalf("seed_provider: %+v", y.SeedProvider)
	}
	return y.SeedProvider[0].Parameters[0]["seeds"]
}

func TestRewriteSeedsChangesOnlySeeds(t *testing.T) {
	src := []byte("# a comment\ncluster_name: 'c'\nseed_provider:\n  # the provider\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n    parameters:\n      - seeds: \"10.0.0.1\"\nlisten_address: 10.0.0.5\n")
	dir := t.TempDir()
	p := filepath.Join(dir, "cassandra.yaml")
	if err := os.WriteFile(p, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RewriteSeeds(dir, []string{"10.0.0.2", "10.0.0.3"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := seedsOf(t, b); got != "10.0.0.2,10.0.0.3" {
		t.Fatalf("seeds %q", got)
	}
	for _, keep := range []string{"# a comment", "# the provider", "cluster_name: 'c'", "listen_address: 10.0.0.5"} {
		if !strings.Contains(string(b), keep) {
			t.Errorf("%q lost:\n%s", keep, b)
		}
	}
	if _, err := os.Stat(p + ".seeds.tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left: %v", err)
	}
	// Bad input writes nothing.
	for _, bad := range [][]string{nil, {"10.0.0.2", ""}, {"10.0.0.2,10.0.0.3"}, {"host"}} {
		if err := RewriteSeeds(dir, bad); err == nil {
			t.Errorf("RewriteSeeds(%q) accepted", bad)
		}
	}
	b2, _ := os.ReadFile(p)
	if string(b2) != string(b) {
		t.Errorf("a refused rewrite changed the file")
	}
	if err := RewriteSeeds(t.TempDir(), []string{"10.0.0.2"}); err == nil {
		t.Errorf("rewrite without a cassandra.yaml accepted")
	}
}
