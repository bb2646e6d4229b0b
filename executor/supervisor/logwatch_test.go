package supervisor

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
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
// appearing late, a line written in two parts, and a rotation: through the kernel's notification
// (inotify; the poll an hour apart) and, where no watch can be made, through the poll alone.
func TestWatchLog(t *testing.T) {
	t.Run("inotify", func(t *testing.T) { testWatchLog(t, true) })
	t.Run("poll", func(t *testing.T) { testWatchLog(t, false) })
}

func testWatchLog(t *testing.T, notify bool) {
	dir := t.TempDir()
	path := filepath.Join(dir, "system.log")
	if err := os.WriteFile(path, []byte("old: Node /a:7000 state jump to NORMAL\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	woke := make(chan struct{}, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lw := newLogWatch(path)
	interval := 5 * time.Millisecond
	if notify {
		lw.safety = time.Hour
	} else {
		lw.notify = false
	}
	onLine := func(line []byte) {
		if isStateLine(line) {
			woke <- struct{}{}
		}
	}
	go func() { lw.run(ctx, interval, onLine); close(done) }()
	if notify {
		// Every user has a bounded number of inotify instances (fs.inotify.max_user_instances).
		zwait(t, "the inotify watch", lw.watching.Load)
	}
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

// readLines returns the lines of a testdata file.
func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// What Cassandra 5.0.8's own log lines say, read as a bootstrapping node and a seed see them:
// gossip's "state jump to NORMAL" about peers changes nothing.
func TestParseLogStateReal508(t *testing.T) {
	type seen struct {
		mode   nodetool.Mode
		native int
	}
	read := func(name, addr string) []seen {
		var out []seen
		for _, l := range readLines(t, name) {
			if ls, ok := parseLogState([]byte(l), addr); ok {
				out = append(out, seen{ls.Mode, ls.Native})
			}
		}
		return out
	}
	join := read("real-5.0.8-join-system.log", "127.59.43.4")
	want := []seen{{nodetool.ModeJoining, 0}, {nodetool.ModeJoining, 0}, {nodetool.ModeJoining, 0}, {nodetool.ModeJoining, 0},
		{nodetool.ModeJoining, 0}, {nodetool.ModeJoining, 0}, {nodetool.ModeJoining, 0}, {nodetool.ModeJoining, 0},
		{nodetool.ModeNormal, 0}, {"", +1}}
	if !slices.Equal(join, want) {
		t.Fatalf("joining node: %v, want %v", join, want)
	}
	seed := read("real-5.0.8-seed-state-lines.log", "127.59.43.2")
	want = []seen{{nodetool.ModeJoining, 0}, {nodetool.ModeNormal, 0}, {nodetool.ModeNormal, 0}, {"", +1}}
	if !slices.Equal(seed, want) {
		t.Fatalf("seed: %v, want %v", seed, want)
	}
	// The same lines read for another address: only JOINING (which names no node) and the CQL
	// lines of the log's own node count.
	if other := read("real-5.0.8-seed-state-lines.log", "127.59.43.9"); slices.Contains(other, seen{nodetool.ModeNormal, 0}) {
		t.Fatalf("a peer's state jump was taken as the node's own: %v", other)
	}
	if _, ok := parseLogState([]byte("INFO  [RMI TCP Connection(114)-127.0.0.1] 2026-12-03 08:07:22,031 Server.java:203 - Stop listening for CQL clients"), "x"); !ok {
		t.Fatal("Stop listening for CQL clients not read")
	}
}

func zwait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
