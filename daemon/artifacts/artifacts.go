package artifacts

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Prefix is the URL path prefix of every artifact.
const Prefix = "/artifacts/"

// Artifact is one served file.
type Artifact struct {
	// SHA256 is the hex content hash.
	SHA256 string
	// Name is the file's base name.
	Name string
	// Path is the file on disk.
	Path string
	// Size in bytes.
	Size int64
	// ModTime of the file when it was hashed.
	ModTime time.Time
}

// URLPath is the artifact's path on the server: /artifacts/<sha256>/<name>.
func (a Artifact) URLPath() string { return Prefix + a.SHA256 + "/" + a.Name }

// Server registers files and serves them. The zero value is not usable; call New.
type Server struct {
	mu      sync.RWMutex
	byHash  map[string]Artifact // sha256 → artifact
	byPath  map[string]Artifact // absolute path → artifact (for re-hashing on change)
	baseURL string
	// opened, when set, is told every path the server opens or stats (tests count them).
	opened func(path string)
}

// New returns a server whose URLs start with baseURL (e.g. "http://10.0.0.5:9091").
func New(baseURL string) *Server {
	return &Server{byHash: map[string]Artifact{}, byPath: map[string]Artifact{}, baseURL: strings.TrimRight(baseURL, "/")}
}

// AddAllowed registers the local file a URL names (a path or file:// URL) only if allow lets it:
// the cleaned path must fall under an allowed local prefix, and so must the path with every
// symlink resolved; the resolved file is what is served. A refused URL touches nothing.
func (s *Server) AddAllowed(allow *AllowList, uri string) (string, Artifact, error) {
	if err := allow.Check(uri); err != nil {
		return "", Artifact{}, err
	}
	if s.opened != nil {
		s.opened(localPath(uri))
	}
	real, err := allow.LocalFile(uri)
	if err != nil {
		return "", Artifact{}, err
	}
	return s.Add(real)
}

// Add registers a local file (hashing it, or reusing the hash when size and modification time are
// unchanged since the last Add) and returns its full URL.
func (s *Server) Add(file string) (string, Artifact, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", Artifact{}, err
	}
	if s.opened != nil {
		s.opened(abs)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", Artifact{}, err
	}
	if !st.Mode().IsRegular() {
		return "", Artifact{}, fmt.Errorf("%s is not a regular file", abs)
	}
	s.mu.RLock()
	prev, ok := s.byPath[abs]
	s.mu.RUnlock()
	if ok && prev.Size == st.Size() && prev.ModTime.Equal(st.ModTime()) {
		return s.baseURL + prev.URLPath(), prev, nil
	}
	sum, size, err := hashFile(abs)
	if err != nil {
		return "", Artifact{}, err
	}
	a := Artifact{SHA256: sum, Name: filepath.Base(abs), Path: abs, Size: size, ModTime: st.ModTime()}
	s.mu.Lock()
	if ok && prev.SHA256 != sum {
		delete(s.byHash, prev.SHA256)
	}
	s.byHash[sum] = a
	s.byPath[abs] = a
	s.mu.Unlock()
	return s.baseURL + a.URLPath(), a, nil
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hashing %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ServeHTTP serves GET and HEAD of /artifacts/<sha256>/<name>. A file that changed on disk since
// it was registered is not served under its old hash (404): the URL promises exact bytes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	hash, name, ok := strings.Cut(rest, "/")
	if !ok || path.Clean("/"+name) != "/"+name || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	s.mu.RLock()
	a, ok := s.byHash[hash]
	s.mu.RUnlock()
	if !ok || a.Name != name {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(a.Path)
	if err != nil {
		http.Error(w, "artifact unavailable", http.StatusGone)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() != a.Size || !st.ModTime().Equal(a.ModTime) {
		http.Error(w, "artifact changed on disk since it was registered", http.StatusGone)
		return
	}
	w.Header().Set("ETag", `"`+a.SHA256+`"`)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, a.Name, a.ModTime, f)
}

// ErrNotRegistered is returned by Lookup for an unknown hash.
var ErrNotRegistered = errors.New("artifact not registered")

// Lookup returns a registered artifact by hash.
func (s *Server) Lookup(hash string) (Artifact, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.byHash[hash]
	if !ok {
		return Artifact{}, ErrNotRegistered
	}
	return a, nil
}
