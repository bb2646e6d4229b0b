package nodetool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sample reads testdata/<name>, checks that its first line is the "# SOURCE:" line saying where
// it came from, and returns the rest: the output as captured (which may still carry prompts or
// doc indentation, handled per sample by the tests).
func sample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	first, rest, ok := strings.Cut(string(b), "\n")
	if !ok || !strings.HasPrefix(first, "# SOURCE: ") {
		t.Fatalf("sample %s: first line must be \"# SOURCE: ...\", got %q", name, first)
	}
	return rest
}

// dropLines removes the lines whose trimmed text starts with one of the prefixes (shell prompts,
// command lines and notes that are not nodetool output).
func dropLines(s string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		drop := false
		for _, p := range prefixes {
			if strings.HasPrefix(t, p) {
				drop = true
			}
		}
		if !drop {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// samples lists every sample in testdata/ with the cleanup its capture needs. TestEverySampleIsUsed
// fails when a file in testdata/ is missing here.
var samples = map[string]func(string) string{
	"describecluster_3.11_ds201.txt":       func(s string) string { return dropLines(s, "nodetool describecluster") },
	"describering_2.x_scylla-issue685.txt": func(s string) string { return dropLines(s, "nodetool describering", "...") },
	"info_3.11_k8ssandra.txt":              func(s string) string { return s },
	// The last two lines are a Scylla REST error, not Cassandra output.
	"netstats_scylla-tools-java_JOINING-no-streams_scylla-issue2034.txt": func(s string) string {
		return dropLines(s, "nodetool: Scylla API", "See 'nodetool help'")
	},
	"repair_4.0_full_apache-docs.txt":                               func(s string) string { return dropLines(s, "[ec2-user@") },
	"ring_2.1_3node_scylla-issue722.txt":                            func(s string) string { return dropLines(s, "nodetool ring") },
	"status_3.11_DN_casskop.txt":                                    func(s string) string { return dropLines(s, "$ nodetool status") },
	"status_3.11_multidc_2dc_casskop.txt":                           func(s string) string { return dropLines(s, "kubectl exec") },
	"status_3.11_single-token_owns-note_k8ssandra.txt":              func(s string) string { return s },
	"status_4.0-beta_dtest-pr58_tokens1.txt":                        func(s string) string { return s },
	"status_4.0_single-dc_16tokens_k8ssandra-operator.txt":          func(s string) string { return s },
	"status_scylla-tools-java_UJ-load-unknown_scylla-issue1144.txt": func(s string) string { return dropLines(s, "[centos@") },
	"statusbinary_statusgossip_all-versions_source.txt":             func(s string) string { return s },
}

func cleanSample(t testing.TB, name string) string {
	t.Helper()
	clean, ok := samples[name]
	if !ok {
		t.Fatalf("sample %s is not in the samples table", name)
	}
	return clean(sample(t, name))
}

func TestEverySampleIsUsed(t *testing.T) {
	ents, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		n++
		if _, ok := samples[e.Name()]; !ok {
			t.Errorf("testdata/%s has no entry in the samples table (and so no test)", e.Name())
		}
		sample(t, e.Name()) // checks the SOURCE line
	}
	if n != len(samples) {
		t.Errorf("samples table has %d entries, testdata has %d files", len(samples), n)
	}
}
