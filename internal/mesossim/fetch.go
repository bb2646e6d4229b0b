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
	"path"
	"path/filepath"
	"strings"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// fetchTimeout bounds one URI download.
const fetchTimeout = 2 * time.Minute

// fetchURIs does what the Mesos fetcher does for CommandInfo.uris: download
// (file:// and http(s):// or a local path) into the sandbox, extract archives
// unless extract is false or the file is executable, and set the executable
// bit when asked.
func fetchURIs(ctx context.Context, uris []mesos.CommandInfo_URI, sandbox string) error {
	for _, u := range uris {
		if err := fetchOne(ctx, u, sandbox); err != nil {
			return fmt.Errorf("%s: %w", u.Value, err)
		}
	}
	return nil
}

func fetchOne(ctx context.Context, u mesos.CommandInfo_URI, sandbox string) error {
	name := u.GetOutputFile()
	var src io.ReadCloser
	switch {
	case strings.HasPrefix(u.Value, "http://") || strings.HasPrefix(u.Value, "https://"):
		pu, err := url.Parse(u.Value)
		if err != nil {
			return err
		}
		if name == "" {
			name = path.Base(pu.Path)
		}
		ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.Value, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			_ = resp.Body.Close()
			return fmt.Errorf("HTTP %s", resp.Status)
		}
		src = resp.Body
	case strings.HasPrefix(u.Value, "file://") || strings.HasPrefix(u.Value, "/"):
		p := u.Value
		if strings.HasPrefix(p, "file://") {
			pu, err := url.Parse(p)
			if err != nil {
				return err
			}
			p = pu.Path
		}
		if name == "" {
			name = filepath.Base(p)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		src = f
	default:
		return errors.New("unsupported URI scheme (want file://, http:// or https://)")
	}
	defer src.Close()
	if name == "" || name == "/" || name == "." || !filepath.IsLocal(name) {
		return fmt.Errorf("cannot derive a file name in the sandbox (got %q)", name)
	}
	dst := filepath.Join(sandbox, name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, src); err != nil {
		_ = out.Close()
		return err
	}
	if err := out.Close(); err != nil {
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

func extractTar(file, dir string, gz bool) error {
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
