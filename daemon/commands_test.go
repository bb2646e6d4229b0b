package daemon

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/cassmesos/cassmesos/internal/zktest"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// syncBuffer is a bytes.Buffer safe for the daemon's logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// daemonArgs are flags for a daemon that reaches ZooKeeper and nothing else that matters (its
// Mesos master does not answer).
func daemonArgs(t *testing.T, zkConnect, digestFile, keyFile string) []string {
	t.Helper()
	dir := t.TempDir()
	exe := filepath.Join(dir, "cassmesos-executor")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tar := filepath.Join(dir, "cassandra.tar.gz")
	if err := os.WriteFile(tar, []byte("tarball"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"--master", "http://127.0.0.1:1", "--zk", zkConnect, "--zk-digest-file", digestFile,
		"--secret-key-file", keyFile, "--executor-path", exe, "--cassandra-url", tar,
		"--listen", "127.0.0.1:0", "--artifact-listen", "127.0.0.1:0", "--zk-session-timeout", "4s",
		"--insecure"} // TLS is not what these tests are about (daemon/tls_test.go is)
}

// runUntil runs the daemon until its log contains until (then stops it) or it exits by itself.
func runUntil(t *testing.T, args []string, until string) (exit int, log string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out syncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, args, nil, &out) }()
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case code := <-done:
			return code, out.String()
		case <-tick.C:
			if strings.Contains(out.String(), until) {
				cancel()
				return <-done, out.String()
			}
		case <-deadline:
			cancel()
			<-done
			t.Fatalf("the daemon neither logged %q nor exited within 60s:\n%s", until, out.String())
		}
	}
}

func TestDaemonRefusesUnprotectedTreeUntilZKProtect(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	servers := zktest.Shared(t).Servers()
	chroot := "/daemon-protect"
	zkConnect := strings.Join(servers, ",") + chroot
	digest, key := filepath.Join(dir, "zk-digest"), filepath.Join(dir, "secret.key")
	if err := os.WriteFile(digest, []byte("cassmesos:s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := Run(ctx, []string{"secret-key", "init", "--secret-key-file", key}, nil, &bytes.Buffer{}); code != ExitOK {
		t.Fatalf("secret-key init exit %d", code)
	}

	// An older install left a tree open to everyone.
	open, err := zkstate.Open(ctx, zkstate.Config{Servers: servers, Chroot: chroot, Framework: "cassmesos",
		SessionTimeout: zktest.DefaultSessionTimeout, Logger: slog.New(slog.DiscardHandler), Dialer: zktest.Dialer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open.PutSchedule(ctx, &statev1.ScheduleRecord{Schedule: &cassmesosv1.RepairSchedule{Id: "s"}}, zkstate.Absent); err != nil {
		t.Fatal(err)
	}
	open.Close()
	root := chroot + "/cassmesos/cassmesos"

	args := daemonArgs(t, zkConnect, digest, key)
	code, log := runUntil(t, args, "serving gRPC")
	if code != ExitFailure || !strings.Contains(log, "refusing to run on a ZooKeeper tree") || !strings.Contains(log, root+":") ||
		!strings.Contains(log, "cassmesosd zk protect") || strings.Contains(log, "serving gRPC") {
		t.Fatalf("daemon on an open tree: exit %d, log:\n%s\nwant a refusal naming %s and the fix", code, log, root)
	}

	// --zk-insecure runs anyway, loudly.
	code, log = runUntil(t, append(args, "--zk-insecure"), "serving gRPC")
	if code != ExitOK || !strings.Contains(log, "level=WARN msg=\"INSECURE: the ZooKeeper tree is not protected") {
		t.Fatalf("daemon with --zk-insecure: exit %d, log:\n%s", code, log)
	}

	// zk protect re-ACLs the tree; the daemon then runs, and anonymous reads are refused. (The
	// ZooKeeper client may log its disconnection after Run returns: a shared buffer.)
	out := &syncBuffer{}
	if code := Run(ctx, []string{"zk", "protect", "--zk", zkConnect, "--zk-digest-file", digest}, nil, out); code != ExitOK ||
		!strings.Contains(out.String(), "readable and writable only by digest user \"cassmesos\"") {
		t.Fatalf("zk protect: exit %d, output:\n%s", code, out.String())
	}
	anon := zktest.Connect(t, servers)
	if _, _, err := anon.Get(root + zkstate.SchedulePath("s")); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("anonymous read after zk protect = %v; want ErrNoAuth", err)
	}
	code, log = runUntil(t, args, "serving gRPC")
	if code != ExitOK || strings.Contains(log, "INSECURE: the ZooKeeper tree") || strings.Contains(log, "refusing") {
		t.Fatalf("daemon on the protected tree: exit %d, log:\n%s", code, log)
	}

	// zk protect needs the credentials; an unknown command is a usage error.
	out = &syncBuffer{}
	if code := Run(ctx, []string{"zk", "protect", "--zk", zkConnect}, nil, out); code != ExitUsage || !strings.Contains(out.String(), "--zk-digest-file:") {
		t.Fatalf("zk protect without credentials: exit %d, output %s", code, out.String())
	}
	out = &syncBuffer{}
	if code := Run(ctx, []string{"zk", "unprotect"}, nil, out); code != ExitUsage || !strings.Contains(out.String(), "cassmesosd zk protect") {
		t.Fatalf("unknown command: exit %d, output %s", code, out.String())
	}
}

func TestSecretKeyInit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret.key")
	var out bytes.Buffer
	if code := Run(t.Context(), []string{"secret-key", "init", "--secret-key-file", p}, nil, &out); code != ExitOK {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", st, err)
	}
	before, _ := os.ReadFile(p)
	out.Reset()
	env := map[string]string{"CASSMESOSD_SECRET_KEY_FILE": p}
	if code := Run(t.Context(), []string{"secret-key", "init"}, func(k string) string { return env[k] }, &out); code != ExitFailure || !strings.Contains(out.String(), "exists") {
		t.Fatalf("second init: exit %d: %s", code, out.String())
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Fatal("the key was overwritten")
	}
	if code := Run(t.Context(), []string{"secret-key", "init"}, nil, &bytes.Buffer{}); code != ExitUsage {
		t.Fatalf("init without a path: exit %d", code)
	}
}
