package backup

import (
	"context"
	"fmt"
	"testing"

	"github.com/cassmesos/cassmesos/internal/backupstore"
	"github.com/cassmesos/cassmesos/internal/backupstore/s3test"
)

// The same throughput figures as BenchmarkBackupFull and BenchmarkRestore, through a real S3
// server (S3Proxy from `make deps`, filesystem backend on the same disk, over loopback HTTP with
// AWS signatures): what a backup to an object store costs beside the file store and a plain copy.
func s3BenchStore(b *testing.B, srv *s3test.Server) backupstore.Store {
	st, err := backupstore.Open(srv.URL, backupstore.Credentials{AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

func BenchmarkBackupFullS3(b *testing.B) {
	srv := s3test.Start(b, "bench", "")
	st := s3BenchStore(b, srv)
	b.SetBytes(benchFiles * benchFileSize)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// Fresh random files every run, so none of them is in the store yet (checked below).
		m := benchNode(b)
		b.StartTimer()
		_, stats, err := Backup(context.Background(), m, st, spec(m, fmt.Sprintf("b%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		if stats.TransferredFiles != benchFiles {
			b.Fatalf("run %d sent %d files, want %d (fresh random files every run)", i, stats.TransferredFiles, benchFiles)
		}
	}
}

func BenchmarkRestoreS3(b *testing.B) {
	srv := s3test.Start(b, "bench", "")
	n := benchNode(b)
	st := s3BenchStore(b, srv)
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
