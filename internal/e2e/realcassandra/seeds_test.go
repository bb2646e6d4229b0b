package realcassandra

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cassmesos/cassmesos/executor"
	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/internal/e2e"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// renderedSeeds reads the seed list of the newest cassandra.yaml an executor rendered for the
// node at addr (its sandbox's configuration directory, executor.ConfDirName; the unpacked
// distribution's own conf/cassandra.yaml is not one).
func renderedSeeds(t *testing.T, w *e2e.World, addr string) []string {
	t.Helper()
	best, bestTime := "", time.Time{}
	_ = filepath.WalkDir(filepath.Join(w.Dir(), "mesos"), func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || de.Name() != "cassandra.yaml" || filepath.Base(filepath.Dir(p)) != executor.ConfDirName {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), "listen_address: "+addr+"\n") {
			return nil
		}
		if st, err := os.Stat(p); err == nil && st.ModTime().After(bestTime) {
			best, bestTime = p, st.ModTime()
		}
		return nil
	})
	if best == "" {
		t.Fatalf("no rendered cassandra.yaml for %s", addr)
	}
	b, err := os.ReadFile(best)
	if err != nil {
		t.Fatal(err)
	}
	var y struct {
		SeedProvider []struct {
			Parameters []map[string]string `yaml:"parameters"`
		} `yaml:"seed_provider"`
	}
	if err := yaml.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", best, err)
	}
	if len(y.SeedProvider) != 1 || len(y.SeedProvider[0].Parameters) != 1 {
		t.Fatalf("%s: seed_provider %+v", best, y.SeedProvider)
	}
	var out []string
	for _, s := range strings.Split(y.SeedProvider[0].Parameters[0]["seeds"], ",") {
		out = append(out, strings.TrimSpace(s))
	}
	slices.Sort(out)
	return out
}

// checkSeeds checks that the ring has two seeds, none of them in notSeeds, and that every
// node's rendered cassandra.yaml and real `nodetool getseeds` name exactly the seeds other than
// itself.
func checkSeeds(t *testing.T, w *e2e.World, nodes map[string]*cassmesosv1.Node, notSeeds ...string) {
	t.Helper()
	var seeds []string
	for name, n := range nodes {
		if n.GetSeed() {
			if slices.Contains(notSeeds, name) {
				t.Errorf("%s is still a seed", name)
			}
			seeds = append(seeds, n.GetAddress())
		}
	}
	if len(seeds) != 2 {
		t.Fatalf("%d seeds %v, want 2", len(seeds), seeds)
	}
	for name, n := range nodes {
		var want []string
		for _, s := range seeds {
			if s != n.GetAddress() {
				want = append(want, s)
			}
		}
		slices.Sort(want)
		if got := renderedSeeds(t, w, n.GetAddress()); !slices.Equal(got, want) {
			t.Errorf("%s's cassandra.yaml names seeds %v, want %v", name, got, want)
		}
		out, errOut, code := w.NodetoolJMX("127.0.0.1", int(n.GetJmxPort()), "getseeds")
		if code != 0 {
			t.Fatalf("nodetool getseeds on %s: exit %d: %s%s", name, code, out, errOut)
		}
		got, err := nodetool.ParseSeeds(out)
		if err != nil {
			t.Fatalf("nodetool getseeds on %s: %v\n%s", name, err, out)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("nodetool getseeds on %s: %v, want %v (%q)", name, got, want, strings.TrimSpace(out))
		}
	}
	t.Logf("seeds %v: every node's cassandra.yaml and nodetool getseeds agree", seeds)
}
