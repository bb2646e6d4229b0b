// Package backupstore is where cassmesos keeps backups: a file system path (file:///mnt/backups,
// e.g. a shared NFS mount) or an S3-compatible object store (s3://bucket/prefix). Both hold the
// same layout of keys (slash-separated, relative to the store's root):
//
//	blobs/<sha256>                       an sstable component, stored once by content
//	backups/<backup-id>/<node>/manifest.json  the node's manifest (files, sizes, SHA-256, schema)
//
// Uploads are incremental because blobs are content-addressed: a file whose SHA-256 is already
// stored is not sent again.
package backupstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
)

// ErrNotFound is returned (wrapped) by Get and Stat for a key the store does not hold.
var ErrNotFound = errors.New("not found in the backup store")

// Store is a flat key space of immutable objects.
type Store interface {
	// Put stores r under key, replacing what is there. The object appears whole or not at all.
	Put(ctx context.Context, key string, r io.Reader) error
	// Get opens key; ErrNotFound when it does not exist.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat gives the size of key; ErrNotFound when it does not exist.
	Stat(ctx context.Context, key string) (int64, error)
	// List gives every key under prefix (ending in "/"), sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Delete removes key; deleting a missing key is no error.
	Delete(ctx context.Context, key string) error
	// String names the store for messages (no credentials).
	String() string
}

// Credentials are an S3 access key pair (unused by file stores).
type Credentials struct {
	AccessKey string
	SecretKey string
}

var keyRE = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

// CheckKey refuses a key that is not a relative slash-separated path of plain names.
func CheckKey(key string) error {
	if !keyRE.MatchString(key) {
		return fmt.Errorf("backup store key %q: want slash-separated names of letters, digits, '.', '_' and '-'", key)
	}
	for _, p := range strings.Split(key, "/") {
		if p == "." || p == ".." {
			return fmt.Errorf("backup store key %q: contains %q", key, p)
		}
	}
	return nil
}

// Open opens the store a URL names: file:///abs/path or
// s3://bucket[/prefix]?endpoint=http://host:port[&region=r][&path_style=true].
func Open(raw string, creds Credentials) (Store, error) {
	if err := ValidateURL(raw); err != nil {
		return nil, err
	}
	u, _ := url.Parse(raw)
	switch u.Scheme {
	case "file":
		return NewFileStore(u.Path)
	case "s3":
		return newS3Store(u, creds)
	}
	return nil, fmt.Errorf("backup store %q: unknown scheme", raw)
}

// ValidateURL checks a store URL without opening it; errors name what is wrong.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("backup store URL %q: %v", raw, err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return fmt.Errorf("backup store URL %q: a file URL names no host (file:///abs/path)", raw)
		}
		if !strings.HasPrefix(u.Path, "/") || u.Path == "/" {
			return fmt.Errorf("backup store URL %q: want an absolute directory other than / (file:///abs/path)", raw)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("backup store URL %q: a file URL takes no query or fragment", raw)
		}
		return nil
	case "s3":
		if u.Host == "" {
			return fmt.Errorf("backup store URL %q: names no bucket (s3://bucket/prefix?endpoint=...)", raw)
		}
		if u.User != nil {
			return fmt.Errorf("backup store URL %q: credentials do not belong in the URL (use the credentials file)", raw)
		}
		q := u.Query()
		if q.Get("endpoint") == "" {
			return fmt.Errorf("backup store URL %q: needs ?endpoint=http(s)://host:port", raw)
		}
		e, err := url.Parse(q.Get("endpoint"))
		if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
			return fmt.Errorf("backup store URL %q: endpoint %q: want http(s)://host:port", raw, q.Get("endpoint"))
		}
		if p := strings.Trim(u.Path, "/"); p != "" {
			if err := CheckKey(p); err != nil {
				return fmt.Errorf("backup store URL %q: prefix: %v", raw, err)
			}
		}
		return nil
	}
	return fmt.Errorf("backup store URL %q: scheme must be file or s3", raw)
}
