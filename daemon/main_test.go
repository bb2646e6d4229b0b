package daemon

import (
	"bytes"
	"context"
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
