package daemon

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunRejectsBadConfig(t *testing.T) {
	var stderr bytes.Buffer
	code := Run(context.Background(), []string{"--zk", "nohostport"}, func(string) string { return "" }, &stderr)
	if code != ExitUsage {
		t.Fatalf("exit %d, want %d", code, ExitUsage)
	}
	for _, want := range []string{"--master:", "--zk:"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q does not name %s", stderr.String(), want)
		}
	}
	if code := Run(context.Background(), []string{"--help"}, nil, &bytes.Buffer{}); code != ExitOK {
		t.Errorf("--help exit %d", code)
	}
}

func TestRandomIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := randomIDs{}.NewID()
		if len(id) != 20 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789") != "" || seen[id] {
			t.Fatalf("bad or repeated ID %q", id)
		}
		seen[id] = true
	}
}

func TestRunRefusesOpenTokensFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(path, []byte("0123456789abcdef0123,alice,admin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	exe := filepath.Join(t.TempDir(), "cassmesos-executor")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"--master", "http://127.0.0.1:1", "--zk", "127.0.0.1:1", "--insecure", "--zk-insecure", "--secrets-insecure", "--tokens-file", path, "--executor-path", exe}
	if code := Run(t.Context(), args, func(string) string { return "" }, &stderr); code != ExitFailure {
		t.Fatalf("exit %d, want %d: %s", code, ExitFailure, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--tokens-file") || !strings.Contains(stderr.String(), "chmod 600") {
		t.Fatalf("stderr does not name the tokens file's mode: %s", stderr.String())
	}
}
