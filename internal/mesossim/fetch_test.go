package mesossim

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"google.golang.org/protobuf/proto"
)

func testTarball(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	body := []byte("#!/bin/sh\necho hi\n")
	if err := tw.WriteHeader(&tar.Header{Name: "dist/bin/run.sh", Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The fetcher cache downloads a cacheable URI once per (user, URI) and agent, copies it into
// every sandbox and extracts it there; an uncached URI is downloaded by every fetch; a failed
// download is not cached.
func TestFetcherCache(t *testing.T) {
	tgz := testTarball(t)
	var hits sync.Map // path → *atomic.Int32
	var failNext atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := hits.LoadOrStore(r.URL.Path, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		if failNext.Swap(false) {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(tgz)
	}))
	defer srv.Close()
	count := func(p string) int32 {
		if n, ok := hits.Load(p); ok {
			return n.(*atomic.Int32).Load()
		}
		return 0
	}
	cache := newFetchCache(filepath.Join(t.TempDir(), "fetch"))
	uri := func(p string, cached bool) []mesos.CommandInfo_URI {
		return []mesos.CommandInfo_URI{{Value: srv.URL + p, Cache: proto.Bool(cached), Extract: proto.Bool(true)}}
	}
	fetch := func(uris []mesos.CommandInfo_URI, user string) string {
		t.Helper()
		sb := t.TempDir()
		if err := fetchURIs(context.Background(), uris, sb, cache, user); err != nil {
			t.Fatalf("fetch: %v", err)
		}
		fi, err := os.Stat(filepath.Join(sb, "dist", "bin", "run.sh"))
		if err != nil || fi.Mode().Perm()&0o100 == 0 {
			t.Fatalf("archive not extracted into the sandbox: %v %v", fi, err)
		}
		if _, err := os.Stat(filepath.Join(sb, "a.tar.gz")); err != nil {
			t.Fatalf("archive not copied into the sandbox: %v", err)
		}
		return sb
	}

	for i := 0; i < 3; i++ {
		fetch(uri("/a.tar.gz", true), "alice")
	}
	if n := count("/a.tar.gz"); n != 1 {
		t.Fatalf("cached URI downloaded %d times by 3 fetches of one user, want 1", n)
	}
	fetch(uri("/a.tar.gz", true), "bob")
	if n := count("/a.tar.gz"); n != 2 {
		t.Fatalf("another user's fetch: %d downloads, want 2 (the cache is keyed by user and URI)", n)
	}

	// Concurrent fetches of a new URI share one download.
	u2 := []mesos.CommandInfo_URI{{Value: srv.URL + "/b/a.tar.gz", Cache: proto.Bool(true)}}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- fetchURIs(context.Background(), u2, t.TempDir(), cache, "alice")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := count("/b/a.tar.gz"); n != 1 {
		t.Fatalf("4 concurrent fetches downloaded %d times, want 1", n)
	}

	// Not cacheable: every fetch downloads.
	fetch(uri("/c/a.tar.gz", false), "alice")
	fetch(uri("/c/a.tar.gz", false), "alice")
	if n := count("/c/a.tar.gz"); n != 2 {
		t.Fatalf("uncached URI: %d downloads for 2 fetches, want 2", n)
	}

	// A failed download is reported and not cached: the next fetch downloads again.
	failNext.Store(true)
	if err := fetchURIs(context.Background(), uri("/d/a.tar.gz", true), t.TempDir(), cache, "alice"); err == nil {
		t.Fatal("fetch of a failing URI succeeded")
	}
	fetch(uri("/d/a.tar.gz", true), "alice")
	fetch(uri("/d/a.tar.gz", true), "alice")
	if n := count("/d/a.tar.gz"); n != 2 {
		t.Fatalf("after a failed download: %d requests, want 2 (the failure and one cached download)", n)
	}

	// Without a cache (nil) a cacheable URI is downloaded every time.
	sb := t.TempDir()
	if err := fetchURIs(context.Background(), uri("/e/a.tar.gz", true), sb, nil, ""); err != nil {
		t.Fatal(err)
	}
	if n := count("/e/a.tar.gz"); n != 1 {
		t.Fatalf("nil cache: %d downloads", n)
	}
}

// Both extractors (the system's tar, as the Mesos fetcher runs it, and the Go fallback) unpack
// files with their modes and symlinks; the Go one refuses members that climb out of the sandbox.
func TestExtractTar(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "dist", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "dist", "bin", "run"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("bin/run", filepath.Join(src, "dist", "link")); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "dist.tar.gz")
	if out, err := exec.Command("tar", "-C", src, "-czf", archive, "dist").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	for name, extract := range map[string]func(string, string, bool) error{"tar": extractTar, "go": extractTarGo} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := extract(archive, dir, true); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(filepath.Join(dir, "dist", "bin", "run"))
			if err != nil || st.Mode().Perm() != 0o755 {
				t.Fatalf("dist/bin/run: %v %v", st, err)
			}
			if l, err := os.Readlink(filepath.Join(dir, "dist", "link")); err != nil || l != "bin/run" {
				t.Fatalf("dist/link -> %q %v", l, err)
			}
		})
	}

	evil := filepath.Join(t.TempDir(), "evil.tar")
	f, err := os.Create(evil)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	if err := tw.WriteHeader(&tar.Header{Name: "../escaped", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write([]byte("x"))
	_ = tw.Close()
	_ = f.Close()
	dir := filepath.Join(t.TempDir(), "sandbox")
	_ = os.MkdirAll(dir, 0o755)
	if err := extractTarGo(evil, dir, false); err == nil || !strings.Contains(err.Error(), "escapes") {
		t.Errorf("extractTarGo of ../escaped: %v, want an error naming the escape", err)
	}
	_ = extractTar(evil, dir, false)
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escaped")); err == nil {
		t.Errorf("tar wrote ../escaped outside the sandbox")
	}
}
