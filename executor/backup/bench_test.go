package backup

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cassmesos/cassmesos/internal/backupstore"
)

// Throughput of a backup (hash + upload into a file store), a restore (download + verify +
// import) and a plain io.Copy of the same files on the same disk, for docs/operations.md:
//
//	go test -run XXX -bench . -benchtime 3x ./executor/backup/
const benchFiles, benchFileSize = 8, 8 << 20

func benchNode(b *testing.B) *fakeNode {
	n := &fakeNode{t: &testing.T{}, dataDir: filepath.Join(b.TempDir(), "data")}
	d := n.tableDir("shop", "orders")
	if err := os.MkdirAll(d, 0o755); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, benchFileSize)
	for i := range benchFiles {
		_, _ = rand.Read(buf)
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("nb-%d-big-Data.db", i+1)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	n.gen = benchFiles
	return n
}

func BenchmarkBackupFull(b *testing.B) {
	n := benchNode(b)
	b.SetBytes(benchFiles * benchFileSize)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := newBenchStore(b)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, _, err := Backup(context.Background(), n, st, spec(n, fmt.Sprintf("b%d", i))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBackupIncrementalNothingNew(b *testing.B) {
	n := benchNode(b)
	st, err := newBenchStore(b)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := Backup(context.Background(), n, st, spec(n, "base")); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchFiles * benchFileSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := Backup(context.Background(), n, st, spec(n, fmt.Sprintf("b%d", i))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRestore(b *testing.B) {
	n := benchNode(b)
	st, err := newBenchStore(b)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := Backup(context.Background(), n, st, spec(n, "base")); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchFiles * benchFileSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Restore(context.Background(), n, st, spec(n, "base")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlainCopy copies the same files with io.Copy (a cp -r of the table).
func BenchmarkPlainCopy(b *testing.B) {
	n := benchNode(b)
	src := n.tableDir("shop", "orders")
	b.SetBytes(benchFiles * benchFileSize)
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(b.TempDir(), "copy")
		if err := os.MkdirAll(dst, 0o755); err != nil {
			b.Fatal(err)
		}
		ents, _ := os.ReadDir(src)
		for _, e := range ents {
			if !e.Type().IsRegular() {
				continue
			}
			in, err := os.Open(filepath.Join(src, e.Name()))
			if err != nil {
				b.Fatal(err)
			}
			out, err := os.Create(filepath.Join(dst, e.Name()))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(out, in); err != nil {
				b.Fatal(err)
			}
			if err := out.Sync(); err != nil { // the store syncs every object too
				b.Fatal(err)
			}
			in.Close()
			out.Close()
		}
	}
}

func newBenchStore(b *testing.B) (*backupstore.FileStore, error) {
	return backupstore.NewFileStore(filepath.Join(b.TempDir(), "store"))
}
