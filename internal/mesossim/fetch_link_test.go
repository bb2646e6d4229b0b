package mesossim

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"google.golang.org/protobuf/proto"
)

// With a shared fetcher cache (--fetcher-cache-dir), two sandboxes get the cached executable and
// the archive's large executable as hard links to one file each, with the modes and contents a
// copy would have; the archive's small and non-executable files stay the sandbox's own.
func TestFetcherCacheLinks(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("x"), linkMin+1)
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		mode int64
		body []byte
	}{{"dist/bin/big", 0o755, big}, {"dist/bin/small.sh", 0o755, []byte("#!/bin/sh\n")}, {"dist/conf/big.yaml", 0o644, big}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(dir, "dist.tar.gz")
	exe := filepath.Join(dir, "executor")
	if err := os.WriteFile(tgz, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := newFetchCache(filepath.Join(dir, "cache"))
	cache.link = true
	uris := []mesos.CommandInfo_URI{
		{Value: exe, Executable: proto.Bool(true), Cache: proto.Bool(true)},
		{Value: tgz, Extract: proto.Bool(true), Cache: proto.Bool(true)},
	}
	var sandboxes []string
	for i := range 2 {
		sb := filepath.Join(dir, "sb", string(rune('a'+i)))
		if err := fetchURIs(context.Background(), uris, sb, cache, "u"); err != nil {
			t.Fatal(err)
		}
		sandboxes = append(sandboxes, sb)
	}
	ino := func(p string) (uint64, os.FileMode) {
		t.Helper()
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Sys().(*syscall.Stat_t).Ino, st.Mode()
	}
	for _, c := range []struct {
		rel    string
		shared bool
		mode   os.FileMode
	}{{"executor", true, 0o755}, {"dist/bin/big", true, 0o755}, {"dist/bin/small.sh", false, 0o755}, {"dist/conf/big.yaml", false, 0o644}} {
		a, ma := ino(filepath.Join(sandboxes[0], c.rel))
		b, mb := ino(filepath.Join(sandboxes[1], c.rel))
		if (a == b) != c.shared || ma.Perm() != c.mode || mb.Perm() != c.mode {
			t.Errorf("%s: same inode %v (want %v), modes %v %v (want %v)", c.rel, a == b, c.shared, ma, mb, c.mode)
		}
	}
	got, err := os.ReadFile(filepath.Join(sandboxes[1], "dist/bin/big"))
	if err != nil || !bytes.Equal(got, big) {
		t.Errorf("dist/bin/big differs from the archive's (%v)", err)
	}
	if cache.downloads != 2 {
		t.Errorf("downloads = %d, want 2 (once per URI)", cache.downloads)
	}
}
