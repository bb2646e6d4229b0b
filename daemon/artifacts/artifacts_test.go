package artifacts

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServe(t *testing.T) {
	dir := t.TempDir()
	content := []byte("0123456789abcdefghij")
	file := filepath.Join(dir, "cassmesos-executor")
	if err := os.WriteFile(file, content, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := New("http://example:1")
	u, a, err := srv.Add(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if a.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("hash %s", a.SHA256)
	}
	if want := "http://example:1/artifacts/" + a.SHA256 + "/cassmesos-executor"; u != want {
		t.Fatalf("URL %q, want %q", u, want)
	}
	// Same file, same URL (and a second server computes the same path).
	if u2, _, _ := New("http://example:1").Add(file); u2 != u {
		t.Errorf("second server URL %q != %q", u2, u)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	get := func(method, p string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+p, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	tests := []struct {
		name, method, path string
		hdr                map[string]string
		code               int
		body               string
	}{
		{"get", "GET", a.URLPath(), nil, 200, string(content)},
		{"head", "HEAD", a.URLPath(), nil, 200, ""},
		{"range", "GET", a.URLPath(), map[string]string{"Range": "bytes=2-5"}, 206, "2345"},
		{"unknown hash", "GET", Prefix + strings.Repeat("0", 64) + "/cassmesos-executor", nil, 404, ""},
		{"wrong name", "GET", Prefix + a.SHA256 + "/other", nil, 404, ""},
		{"no name", "GET", Prefix + a.SHA256, nil, 404, ""},
		{"traversal", "GET", Prefix + a.SHA256 + "/../../etc/passwd", nil, 404, ""},
		{"outside prefix", "GET", "/cassmesos-executor", nil, 404, ""},
		{"post", "POST", a.URLPath(), nil, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(tt.method, tt.path, tt.hdr)
			if res.StatusCode != tt.code {
				t.Fatalf("%s %s: %d, want %d", tt.method, tt.path, res.StatusCode, tt.code)
			}
			if tt.code < 300 && body != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
			if tt.method == "HEAD" && res.ContentLength != int64(len(content)) {
				t.Errorf("HEAD Content-Length %d", res.ContentLength)
			}
		})
	}
	// A changed file is no longer served under its old hash; re-adding gives a new URL.
	if err := os.WriteFile(file, []byte("new bytes"), 0o755); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(file, future, future); err != nil {
		t.Fatal(err)
	}
	if res, _ := get("GET", a.URLPath(), nil); res.StatusCode != http.StatusGone {
		t.Errorf("changed file: %d, want 410", res.StatusCode)
	}
	u3, a3, err := srv.Add(file)
	if err != nil || u3 == u {
		t.Fatalf("re-add: %q %v", u3, err)
	}
	if res, body := get("GET", a3.URLPath(), nil); res.StatusCode != 200 || body != "new bytes" {
		t.Errorf("new URL: %d %q", res.StatusCode, body)
	}
	if _, err := srv.Lookup(a.SHA256); err != ErrNotRegistered {
		t.Errorf("old hash still registered: %v", err)
	}
}

func TestAddErrors(t *testing.T) {
	srv := New("http://x")
	if _, _, err := srv.Add(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file accepted")
	}
	if _, _, err := srv.Add(t.TempDir()); err == nil {
		t.Error("directory accepted")
	}
}
