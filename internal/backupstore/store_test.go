package backupstore

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileStore(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	st, err := Open("file://"+dir, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, "blobs/x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stat missing: %v", err)
	}
	if err := st.Put(ctx, "blobs/x", strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "backups/b1/demo-0/manifest.json", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Stat(ctx, "blobs/x"); err != nil || n != 5 {
		t.Fatalf("stat: %d %v", n, err)
	}
	rc, err := st.Get(ctx, "blobs/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "hello" {
		t.Fatalf("get: %q", b)
	}
	keys, err := st.List(ctx, "backups/")
	if err != nil || len(keys) != 1 || keys[0] != "backups/b1/demo-0/manifest.json" {
		t.Fatalf("list: %v %v", keys, err)
	}
	// A failed Put leaves nothing behind.
	if err := st.Put(ctx, "blobs/y", io.MultiReader(strings.NewReader("part"), errReader{})); err == nil {
		t.Fatal("put with a failing reader succeeded")
	}
	if _, err := st.Stat(ctx, "blobs/y"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("half-written object visible: %v", err)
	}
	if all, _ := st.List(ctx, ""); len(all) != 2 {
		t.Fatalf("list all: %v", all)
	}
	if err := st.Delete(ctx, "backups/b1/demo-0/manifest.json"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "backups")); !os.IsNotExist(err) {
		t.Fatalf("empty directories left: %v", err)
	}
	if err := st.Delete(ctx, "blobs/missing"); err != nil {
		t.Fatalf("delete missing: %v", err)
	}
	for _, k := range []string{"../etc/passwd", "/abs", "a//b", "a/../b", "", "a b"} {
		if err := st.Put(ctx, k, strings.NewReader("x")); err == nil {
			t.Errorf("Put(%q) accepted", k)
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestValidateURL(t *testing.T) {
	for _, ok := range []string{"file:///mnt/backups", "s3://bucket/pre/fix?endpoint=http://127.0.0.1:9000"} {
		if err := ValidateURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for u, want := range map[string]string{
		"file://host/x":                           "names no host",
		"file:///":                                "absolute directory",
		"file:relative":                           "absolute directory",
		"ftp://x/y":                               "scheme must be file or s3",
		"s3:///p?endpoint=http://h:1":             "no bucket",
		"s3://b/p":                                "endpoint",
		"s3://k:s@b/p?endpoint=http://h:1":        "credentials",
		"s3://b/p?endpoint=ftp://h":               "endpoint",
		"s3://b/../x?endpoint=http://127.0.0.1:1": "prefix",
	} {
		if err := ValidateURL(u); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", u, err, want)
		}
	}
}
