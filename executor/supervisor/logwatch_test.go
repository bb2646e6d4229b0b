package supervisor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestIsStateLine(t *testing.T) {
	for line, want := range map[string]bool{
		"INFO  [main] 2026-12-03 07:46:38,891 StorageService.java:3320 - Node /127.0.0.2:7000 state jump to NORMAL":    true,
		"INFO  [main] 2026-12-03 08:02:09,924 StorageService.java:2086 - JOINING: schema complete, ready to bootstrap": true,
		"INFO  [main] 2026-12-03 07:46:39,035 CassandraDaemon.java:744 - Startup complete":                             true,
		"INFO  [RMI TCP Connection(4)] StorageService.java:5213 - LEAVING: sleeping 30000 ms for batch processing":     true,
		"INFO  [main] 2026-12-03 07:52:59,273 ColumnFamilyStore.java:499 - Initializing system_schema.keyspaces":       false,
		"": false,
	} {
		if got := isStateLine([]byte(line)); got != want {
			t.Errorf("isStateLine(%q) = %v, want %v", line, got, want)
		}
	}
}

// watchLog wakes on new state lines only, ignores what the file held before, survives the file
// appearing late, a line written in two parts, and a rotation.
func TestWatchLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "system.log")
	if err := os.WriteFile(path, []byte("old: Node /a:7000 state jump to NORMAL\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	woke := make(chan struct{}, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lw := newLogWatch(path)
	go func() { lw.run(ctx, 5*time.Millisecond, func() { woke <- struct{}{} }); close(done) }()
	defer func() { cancel(); <-done }()

	appendTo := func(s string) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	expectWake := func(what string) {
		t.Helper()
		select {
		case <-woke:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake after %s", what)
		}
	}
	expectQuiet := func(what string) {
		t.Helper()
		// A marker line written after the quiet one proves the quiet one was read and ignored.
		appendTo("INFO Startup complete\n")
		expectWake(what + " (marker)")
		select {
		case <-woke:
			t.Fatalf("woken by %s", what)
		default:
		}
	}

	expectQuiet("the lines already in the file")
	appendTo("INFO Initializing system_schema.keyspaces\n")
	expectQuiet("a line that is no state change")
	appendTo("INFO JOINING: Starting to ")
	appendTo("bootstrap...\n")
	expectWake("a state line written in two parts")

	// Rotation: the file is moved away and a new one started.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo("INFO Node /a:7000 state jump to NORMAL\n")
	expectWake("a state line in the rotated file")
}
