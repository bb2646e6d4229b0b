package mangen

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestManPagesCurrent fails when docs/man differs from what the command trees generate (run
// `make man`).
func TestManPagesCurrent(t *testing.T) {
	pages, err := Pages()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "man")
	old, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	var extra []string
	for _, p := range old {
		if _, ok := pages[filepath.Base(p)]; !ok {
			extra = append(extra, filepath.Base(p))
		}
	}
	if len(extra) > 0 {
		t.Errorf("docs/man has pages of commands that are gone: %v (run make man)", extra)
	}
	var stale []string
	for name, want := range pages {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(want) {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("docs/man is stale or missing %d pages (run make man): %v", len(stale), stale)
	}
}

func TestPagesCoverBothPrograms(t *testing.T) {
	pages, err := Pages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cassmesos.1", "cassmesos-repair-run.1", "cassmesosd.1", "cassmesosd-certs-init.1", "cassmesosd-zk-protect.1"} {
		if _, ok := pages[name]; !ok {
			t.Errorf("no page %s", name)
		}
	}
	// cassmesosd's page lists every daemon flag with its environment variable.
	d := string(pages["cassmesosd.1"])
	for _, want := range []string{`\fB--zk-digest-file\fP`, "(env CASSMESOSD_SECRET_KEY_FILE)", `\fB--metrics-listen\fP`, "/healthz"} {
		if !strings.Contains(d, want) {
			t.Errorf("cassmesosd.1 lacks %q", want)
		}
	}
	if !strings.Contains(d, `.TH "CASSMESOSD" "1" "Jan 2026" "cassmesos" "cassmesos manual"`) {
		t.Errorf("cassmesosd.1 header: %q", strings.SplitN(d, "\n", 3)[:2])
	}
}
