package backupstore_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/internal/backupstore"
	"github.com/cassmesos/cassmesos/internal/backupstore/s3test"
)

// The S3 store against a real S3 server (S3Proxy): the same behaviour as the file store.
func TestS3Store(t *testing.T) {
	srv := s3test.Start(t, "cassmesos-backups", "ring-backups")
	ctx := context.Background()
	if _, err := backupstore.Open(srv.URL, backupstore.Credentials{AccessKey: srv.AccessKey, SecretKey: "wrong"}); err != nil {
		t.Fatal(err) // opening does not talk to the server
	}
	bad, _ := backupstore.Open(srv.URL, backupstore.Credentials{AccessKey: srv.AccessKey, SecretKey: "wrong"})
	if err := bad.Put(ctx, "blobs/x", strings.NewReader("x")); err == nil {
		t.Fatal("put with a wrong secret key succeeded")
	}
	st, err := backupstore.Open(srv.URL, backupstore.Credentials{AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, "blobs/x"); !errors.Is(err, backupstore.ErrNotFound) {
		t.Fatalf("stat missing: %v", err)
	}
	if _, err := st.Get(ctx, "blobs/x"); !errors.Is(err, backupstore.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	if err := st.Put(ctx, "blobs/x", strings.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "backups/b1/demo-0/manifest.json", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Stat(ctx, "blobs/x"); err != nil || n != int64(len(big)) {
		t.Fatalf("stat: %d %v", n, err)
	}
	rc, err := st.Get(ctx, "blobs/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != big {
		t.Fatalf("get: %d bytes back, want %d", len(b), len(big))
	}
	keys, err := st.List(ctx, "backups/")
	if err != nil || len(keys) != 1 || keys[0] != "backups/b1/demo-0/manifest.json" {
		t.Fatalf("list: %v %v", keys, err)
	}
	// A failed upload leaves no object.
	if err := st.Put(ctx, "blobs/y", io.MultiReader(strings.NewReader("part"), failing{})); err == nil {
		t.Fatal("put with a failing reader succeeded")
	}
	if _, err := st.Stat(ctx, "blobs/y"); !errors.Is(err, backupstore.ErrNotFound) {
		t.Fatalf("half-written object visible: %v", err)
	}
	if err := st.Delete(ctx, "backups/b1/demo-0/manifest.json"); err != nil {
		t.Fatal(err)
	}
	if keys, _ := st.List(ctx, ""); len(keys) != 1 || keys[0] != "blobs/x" {
		t.Fatalf("after delete: %v", keys)
	}
	if err := st.Put(ctx, "../x", strings.NewReader("x")); err == nil {
		t.Fatal("bad key accepted")
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
