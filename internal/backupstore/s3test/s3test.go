// Package s3test starts a real S3-compatible server for tests: S3Proxy (Apache-2.0, from Maven
// Central as org.gaul:s3proxy:<Version>:jar-with-dependencies, installed by `make deps`) with its
// filesystem backend, on a loopback port, with a fresh bucket.
package s3test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Version is the S3Proxy release scripts/deps.sh installs.
const Version = "2.6.0"

// Jar is where Maven keeps S3Proxy's jar-with-dependencies.
func Jar() string {
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".m2", "repository", "org", "gaul", "s3proxy", Version, "s3proxy-"+Version+"-jar-with-dependencies.jar")
}

// Server is a running S3Proxy.
type Server struct {
	// URL is the store URL of the bucket (s3://<bucket>/<prefix>?endpoint=http://127.0.0.1:<port>).
	URL string
	// AccessKey and SecretKey are its credentials.
	AccessKey, SecretKey string
	// Dir is the filesystem backend's directory (objects are files under Dir/<bucket>/).
	Dir string
}

// Start starts S3Proxy (stopped when the test ends) with a bucket named bucket.
func Start(t testing.TB, bucket, prefix string) *Server {
	t.Helper()
	jar := Jar()
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("S3Proxy is not installed (%v): run `make deps`", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	s := &Server{AccessKey: "cassmesos-test", SecretKey: "cassmesos-test-secret", Dir: filepath.Join(dir, "data")}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "s3proxy.conf")
	props := fmt.Sprintf("s3proxy.endpoint=http://%s\ns3proxy.authorization=aws-v2-or-v4\ns3proxy.identity=%s\ns3proxy.credential=%s\njclouds.provider=filesystem\njclouds.filesystem.basedir=%s\n",
		addr, s.AccessKey, s.SecretKey, s.Dir)
	if err := os.WriteFile(conf, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "s3proxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("java", "-Xmx256m", "-jar", jar, "--properties", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting S3Proxy: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("S3Proxy exited: %v\n%s", err, b)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("S3Proxy did not answer on %s within 90s:\n%s", addr, b)
		}
	}
	c, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}
	s.URL = "s3://" + bucket + "/" + prefix + "?endpoint=http://" + addr
	return s
}
