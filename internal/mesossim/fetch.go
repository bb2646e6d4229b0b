package mesossim

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// fetchTimeout bounds one URI download.
const fetchTimeout = 2 * time.Minute

// fetchURIs does what the Mesos fetcher does for CommandInfo.uris: download
// (file:// and http(s):// or a local path) into the sandbox, extract archives
// unless extract is false or the file is executable, and set the executable
// bit when asked. A URI with cache set is downloaded once per agent and user
// into the agent's fetcher cache (when cache is not nil) and copied from there
// into each sandbox, where it is extracted as usual.
func fetchURIs(ctx context.Context, uris []mesos.CommandInfo_URI, sandbox string, cache *fetchCache, user string) error {
	for _, u := range uris {
		if err := fetchOne(ctx, u, sandbox, cache, user); err != nil {
			return fmt.Errorf("%s: %w", u.Value, err)
		}
	}
	return nil
}

// fetchCache is an agent's fetcher cache (Mesos' --fetcher_cache_dir): one
// downloaded file per (user, URI). Concurrent fetches of one key wait for the
// first download; a failed download is forgotten so the next fetch retries.
// Unlike Mesos it has no size limit and evicts nothing.
type fetchCache struct {
	dir string
	// link: cached files reach sandboxes as hard links, and so do the large executables of cached
	// archives (shared cache, Config.FetcherCacheDir).
	link bool

	mu        sync.Mutex
	entries   map[fetchKey]*fetchEntry
	n         int
	downloads int // downloads into the cache (for tests)
}

type fetchKey struct{ user, uri string }

type fetchEntry struct {
	done chan struct{}
	path string
	err  error
}

func newFetchCache(dir string) *fetchCache {
	return &fetchCache{dir: dir, entries: map[fetchKey]*fetchEntry{}}
}

// get returns the cached file for (user, uri), downloading it with open on a miss.
func (c *fetchCache) get(ctx context.Context, user, uri string, open func() (io.ReadCloser, error)) (string, error) {
	k := fetchKey{user, uri}
	for {
		c.mu.Lock()
		e := c.entries[k]
		if e == nil {
			c.n++
			e = &fetchEntry{done: make(chan struct{}), path: filepath.Join(c.dir, fmt.Sprintf("c%d", c.n))}
			c.entries[k] = e
			c.downloads++
			c.mu.Unlock()
			e.err = c.download(e.path, open)
			if e.err != nil {
				c.mu.Lock()
				delete(c.entries, k)
				c.mu.Unlock()
			}
			close(e.done)
			return e.path, e.err
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-e.done:
		}
		if e.err == nil {
			return e.path, nil
		}
		// The download this fetch waited for failed: try again.
	}
}

func (c *fetchCache) download(dst string, open func() (io.ReadCloser, error)) error {
	src, err := open()
	if err != nil {
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	tmp := dst + ".part"
	if err := writeFile(tmp, src, 0o644); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dst)
}

// openURI opens a URI's content and returns the file name it gets in the sandbox.
func openURI(ctx context.Context, u mesos.CommandInfo_URI) (string, func() (io.ReadCloser, error), error) {
	name := u.GetOutputFile()
	switch {
	case strings.HasPrefix(u.Value, "http://") || strings.HasPrefix(u.Value, "https://"):
		pu, err := url.Parse(u.Value)
		if err != nil {
			return "", nil, err
		}
		if name == "" {
			name = path.Base(pu.Path)
		}
		return name, func() (io.ReadCloser, error) {
			ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.Value, nil)
			if err != nil {
				cancel()
				return nil, err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				cancel()
				return nil, err
			}
			if resp.StatusCode != http.StatusOK {
				_ = resp.Body.Close()
				cancel()
				return nil, fmt.Errorf("HTTP %s", resp.Status)
			}
			return cancelOnClose{resp.Body, cancel}, nil
		}, nil
	case strings.HasPrefix(u.Value, "file://") || strings.HasPrefix(u.Value, "/"):
		p := u.Value
		if strings.HasPrefix(p, "file://") {
			pu, err := url.Parse(p)
			if err != nil {
				return "", nil, err
			}
			p = pu.Path
		}
		if name == "" {
			name = filepath.Base(p)
		}
		return name, func() (io.ReadCloser, error) { return os.Open(p) }, nil
	default:
		return "", nil, errors.New("unsupported URI scheme (want file://, http:// or https://)")
	}
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error { err := c.ReadCloser.Close(); c.cancel(); return err }

func fetchOne(ctx context.Context, u mesos.CommandInfo_URI, sandbox string, cache *fetchCache, user string) error {
	name, open, err := openURI(ctx, u)
	if err != nil {
		return err
	}
	if name == "" || name == "/" || name == "." || !filepath.IsLocal(name) {
		return fmt.Errorf("cannot derive a file name in the sandbox (got %q)", name)
	}
	if cache != nil && u.GetCache() {
		cached, err := cache.get(ctx, user, u.Value, open)
		if err != nil {
			return err
		}
		open = func() (io.ReadCloser, error) { return os.Open(cached) }
		if cache.link {
			return cache.linkInto(cached, u, sandbox, name)
		}
	}
	src, err := open()
	if err != nil {
		return err
	}
	defer src.Close()
	dst := filepath.Join(sandbox, name)
	if err := writeFile(dst, src, 0o644); err != nil {
		return err
	}
	if u.GetExecutable() {
		return os.Chmod(dst, 0o755)
	}
	if u.Extract != nil && !*u.Extract {
		return nil
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".tar.gz") || strings.HasSuffix(lower, ".tgz"):
		return extractTar(dst, sandbox, true)
	case strings.HasSuffix(lower, ".tar"):
		return extractTar(dst, sandbox, false)
	case strings.HasSuffix(lower, ".zip"):
		return extractZip(dst, sandbox)
	}
	return nil
}

func safeJoin(root, name string) (string, error) {
	clean := filepath.Clean(strings.TrimPrefix(name, "/"))
	if !filepath.IsLocal(clean) {
		return "", fmt.Errorf("archive entry %q escapes the sandbox", name)
	}
	return filepath.Join(root, clean), nil
}

// extractTar unpacks a tar archive into dir. Like the Mesos fetcher, which runs
// `tar -C <dir> -xf <file>`, it uses the system's tar when there is one (GNU tar refuses members
// that climb out of dir and detects the compression itself); it falls back to Go's archive/tar.
func extractTar(file, dir string, gz bool) error {
	if tarBin, err := exec.LookPath("tar"); err == nil {
		out, err := exec.Command(tarBin, "-C", dir, "-xf", file).CombinedOutput()
		if err != nil {
			return fmt.Errorf("tar -C %s -xf %s: %v: %s", dir, file, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	return extractTarGo(file, dir, gz)
}

func extractTarGo(file, dir string, gz bool) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p, err := safeJoin(dir, h.Name)
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeFile(p, tr, os.FileMode(h.Mode)&0o777); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if filepath.IsAbs(h.Linkname) || !filepath.IsLocal(filepath.Join(filepath.Dir(strings.TrimPrefix(h.Name, "/")), h.Linkname)) {
				return fmt.Errorf("archive symlink %q -> %q escapes the sandbox", h.Name, h.Linkname)
			}
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			_ = os.Remove(p)
			if err := os.Symlink(h.Linkname, p); err != nil {
				return err
			}
		}
	}
}

func extractZip(file, dir string) error {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		p, err := safeJoin(dir, f.Name)
		if err != nil {
			return err
		}
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		err = writeFile(p, rc, f.Mode()&0o777)
		_ = rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func writeFile(p string, r io.Reader, mode os.FileMode) error {
	if mode == 0 {
		mode = 0o644
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// sharedFetchCache is the one cache of every agent when Config.FetcherCacheDir is set.
func (s *Sim) sharedFetchCache() *fetchCache {
	s.sharedCacheOnce.Do(func() {
		s.sharedCache = newFetchCache(s.cfg.FetcherCacheDir)
		s.sharedCache.link = true
	})
	return s.sharedCache
}

// linkMin is the size from which an executable member of a cached archive is hard-linked into
// sandboxes.
const linkMin = 1 << 20

// linkInto puts a cached file into the sandbox as a hard link (a copy when linking fails) and
// extracts it as fetchOne would. The large executables of an extracted archive are then replaced
// by hard links to one extraction kept beside the cached file, so every task maps the same pages;
// what a task sees (names, contents, modes) is what a copy gives it.
func (c *fetchCache) linkInto(cached string, u mesos.CommandInfo_URI, sandbox, name string) error {
	dst := filepath.Join(sandbox, name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	_ = os.Remove(dst)
	if err := os.Link(cached, dst); err != nil {
		src, err := os.Open(cached)
		if err != nil {
			return err
		}
		defer src.Close()
		if err := writeFile(dst, src, 0o644); err != nil {
			return err
		}
	}
	if u.GetExecutable() {
		return os.Chmod(dst, 0o755)
	}
	if u.Extract != nil && !*u.Extract {
		return nil
	}
	lower := strings.ToLower(name)
	var extract func(dir string) error
	switch {
	case strings.HasSuffix(lower, ".tar.gz") || strings.HasSuffix(lower, ".tgz"):
		extract = func(dir string) error { return extractTar(dst, dir, true) }
	case strings.HasSuffix(lower, ".tar"):
		extract = func(dir string) error { return extractTar(dst, dir, false) }
	case strings.HasSuffix(lower, ".zip"):
		extract = func(dir string) error { return extractZip(dst, dir) }
	default:
		return nil
	}
	if err := extract(sandbox); err != nil {
		return err
	}
	shared, err := c.extraction(cached, extract)
	if err != nil {
		return nil // the sandbox has its own copy: fine
	}
	return filepath.WalkDir(shared, func(p string, de os.DirEntry, err error) error {
		if err != nil || !de.Type().IsRegular() {
			return nil
		}
		fi, err := de.Info()
		if err != nil || fi.Size() < linkMin || fi.Mode().Perm()&0o111 == 0 {
			return nil
		}
		rel, _ := filepath.Rel(shared, p)
		own := filepath.Join(sandbox, rel)
		if st, err := os.Stat(own); err != nil || st.Size() != fi.Size() || st.Mode() != fi.Mode() {
			return nil
		}
		tmp := own + ".link"
		if os.Link(p, tmp) == nil && os.Rename(tmp, own) != nil {
			_ = os.Remove(tmp)
		}
		return nil
	})
}

// extraction returns a directory holding the cached archive extracted once (made on first use).
func (c *fetchCache) extraction(cached string, extract func(dir string) error) (string, error) {
	dir := cached + ".d"
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir, nil
	}
	tmp := dir + ".part"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	if err := extract(tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	return dir, os.Rename(tmp, dir)
}
