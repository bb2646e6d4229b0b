package artifacts

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// AllowList is the set of URL prefixes the operator lets rings fetch from (--artifact-allow).
// A distribution or Java URL a caller names must fall under one of them; a local file (a plain
// path or a file:// URL) is allowed only under a local prefix the operator configured, and is
// matched on its cleaned path, then again on its symlink-resolved path before it is served.
//
// Matching is by path segment: the prefix https://h/dist allows https://h/dist and
// https://h/dist/..., not https://h/distx. Scheme and host must be equal (host case-insensitive);
// a URL with user information, a query or a fragment must equal a prefix exactly.
type AllowList struct {
	raw   []string
	http  []*url.URL
	local []string // cleaned absolute paths
}

// ErrNotAllowed wraps every refusal of Check.
var ErrNotAllowed = errors.New("not in the daemon's --artifact-allow list")

// NewAllowList parses the operator's prefixes: http(s) URLs, file:// URLs or absolute paths.
func NewAllowList(prefixes []string) (*AllowList, error) {
	a := &AllowList{}
	for _, p := range prefixes {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if isLocal(p) {
			lp := localPath(p)
			if !filepath.IsAbs(lp) {
				return nil, fmt.Errorf("%q: a local prefix must be an absolute path", p)
			}
			if hasDotDot(lp) {
				return nil, fmt.Errorf("%q: a prefix may not contain '..'", p)
			}
			a.local = append(a.local, filepath.Clean(lp))
			a.raw = append(a.raw, p)
			continue
		}
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%q: want an http(s) URL, a file:// URL or an absolute path", p)
		}
		if hasDotDot(u.Path) {
			return nil, fmt.Errorf("%q: a prefix may not contain '..'", p)
		}
		a.http = append(a.http, u)
		a.raw = append(a.raw, p)
	}
	return a, nil
}

// Prefixes are the configured prefixes as given.
func (a *AllowList) Prefixes() []string {
	if a == nil {
		return nil
	}
	return append([]string(nil), a.raw...)
}

// Check refuses a URL outside the list without touching the file system or the network.
func (a *AllowList) Check(raw string) error {
	if a == nil {
		return fmt.Errorf("%w: the daemon allows no artifact URLs", ErrNotAllowed)
	}
	if a.match(raw) {
		return nil
	}
	allowed := "none"
	if len(a.raw) > 0 {
		allowed = strings.Join(a.raw, ", ")
	}
	return fmt.Errorf("%q is %w (allowed prefixes: %s)", raw, ErrNotAllowed, allowed)
}

func (a *AllowList) match(raw string) bool {
	if isLocal(raw) {
		p := localPath(raw)
		if !filepath.IsAbs(p) || hasDotDot(p) || strings.ContainsRune(p, 0) {
			return false
		}
		return underAny(filepath.Clean(p), a.local)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || hasDotDot(u.Path) {
		return false
	}
	exact := u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery
	for _, pre := range a.http {
		if exact {
			if pre.String() == u.String() {
				return true
			}
			continue
		}
		if pre.User != nil || pre.RawQuery != "" || pre.Fragment != "" {
			continue
		}
		if !strings.EqualFold(pre.Scheme, u.Scheme) || !strings.EqualFold(pre.Host, u.Host) {
			continue
		}
		if segmentPrefix(path.Clean("/"+u.Path), path.Clean("/"+pre.Path), "/") {
			return true
		}
	}
	return false
}

// LocalFile returns the file a local URL names after resolving every symlink, refusing it when
// either the cleaned or the resolved path falls outside the local prefixes (each resolved too).
func (a *AllowList) LocalFile(raw string) (string, error) {
	if err := a.Check(raw); err != nil {
		return "", err
	}
	if !isLocal(raw) {
		return "", fmt.Errorf("%q is not a local file", raw)
	}
	real, err := filepath.EvalSymlinks(filepath.Clean(localPath(raw)))
	if err != nil {
		return "", err
	}
	var roots []string
	for _, l := range a.local {
		if r, err := filepath.EvalSymlinks(l); err == nil {
			roots = append(roots, r)
		}
	}
	if !underAny(real, roots) {
		return "", fmt.Errorf("%q resolves to %s, which is %w", raw, real, ErrNotAllowed)
	}
	return real, nil
}

func underAny(p string, roots []string) bool {
	for _, r := range roots {
		if segmentPrefix(p, r, string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// segmentPrefix reports whether p equals pre or lies below it.
func segmentPrefix(p, pre, sep string) bool {
	if p == pre {
		return true
	}
	if !strings.HasSuffix(pre, sep) {
		pre += sep
	}
	return strings.HasPrefix(p, pre)
}

// hasDotDot reports whether any segment of p is "..".
func hasDotDot(p string) bool {
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return true
		}
	}
	return false
}

func isLocal(s string) bool { return strings.HasPrefix(s, "file://") || !strings.Contains(s, "://") }

func localPath(s string) string {
	if rest, ok := strings.CutPrefix(s, "file://"); ok {
		return rest
	}
	return s
}
