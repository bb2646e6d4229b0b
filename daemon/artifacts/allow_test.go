package artifacts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAllowListCheck(t *testing.T) {
	dir := t.TempDir()
	a, err := NewAllowList([]string{"https://archive.apache.org/dist/cassandra", "http://mirror.local:8080/tarballs/", "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://archive.apache.org/dist/cassandra/4.1.5/apache-cassandra-4.1.5-bin.tar.gz", true},
		{"https://ARCHIVE.apache.org/dist/cassandra/x.tgz", true},
		{"http://archive.apache.org/dist/cassandra/x.tgz", false},               // scheme differs
		{"https://archive.apache.org/dist/cassandrax/x.tgz", false},             // not a segment prefix
		{"https://archive.apache.org.evil.example/dist/cassandra/x.tgz", false}, // host differs
		{"https://archive.apache.org/dist/cassandra/../../etc/x.tgz", false},    // .. escape
		{"https://archive.apache.org/dist/cassandra/%2e%2e/secret.tgz", false},  // encoded .. escape
		{"https://user:pw@archive.apache.org/dist/cassandra/x.tgz", false},      // user info
		{"https://archive.apache.org/dist/cassandra/x.tgz?redirect=http://evil", false},
		{"http://mirror.local:8080/tarballs/c.tgz", true},
		{"http://mirror.local:9999/tarballs/c.tgz", false},
		{"file:///etc/shadow", false},
		{"/etc/shadow", false},
		{"file://" + dir + "/c.tgz", true},
		{dir + "/sub/c.tgz", true},
		{"file://" + dir + "/../etc/shadow", false},
		{dir + "/../" + filepath.Base(dir) + "/c.tgz", false}, // any .. is refused, even one that stays inside
		{"relative/c.tgz", false},
		{"ftp://archive.apache.org/dist/cassandra/x.tgz", false},
	} {
		err := a.Check(tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("Check(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "https://archive.apache.org/dist/cassandra")) {
			t.Errorf("Check(%q): %v does not wrap ErrNotAllowed or list the prefixes", tc.url, err)
		}
	}
	for _, bad := range []string{"relative/dir", "ftp://x/y", "https://h/a/../b", "/a/../b"} {
		if _, err := NewAllowList([]string{bad}); err == nil {
			t.Errorf("NewAllowList(%q) accepted", bad)
		}
	}
	var none *AllowList
	if err := none.Check("https://archive.apache.org/dist/cassandra/x.tgz"); err == nil {
		t.Error("a nil list allowed a URL")
	}
}

// A file:// URL outside the list is refused before the server opens or stats anything, and
// nothing is registered; a symlink inside an allowed directory that points outside it is refused.
func TestAddAllowedRefusesOutsideAndFetchesNothing(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "cassandra.tar.gz")
	if err := os.WriteFile(ok, []byte("tarball"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.tar.gz")); err != nil {
		t.Fatal(err)
	}
	allow, err := NewAllowList([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	s := New("http://127.0.0.1:9091")
	var opened []string
	s.opened = func(p string) { opened = append(opened, p) }

	for _, u := range []string{"file:///etc/shadow", "file://" + outside, "file://" + dir + "/../" + filepath.Base(filepath.Dir(outside)) + "/secret"} {
		if _, _, err := s.AddAllowed(allow, u); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("AddAllowed(%q) = %v, want ErrNotAllowed", u, err)
		}
	}
	if len(opened) != 0 {
		t.Errorf("refused URLs still opened %v", opened)
	}
	if _, _, err := s.AddAllowed(allow, "file://"+filepath.Join(dir, "link.tar.gz")); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("symlink out of the allowed directory: %v, want ErrNotAllowed", err)
	}
	s.mu.RLock()
	n := len(s.byHash)
	s.mu.RUnlock()
	if n != 0 {
		t.Errorf("%d artifacts registered by refused URLs", n)
	}
	u, art, err := s.AddAllowed(allow, "file://"+ok)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(u, "/cassandra.tar.gz") || art.Size != int64(len("tarball")) {
		t.Errorf("allowed file registered as %s %+v", u, art)
	}
}
