package failpoint

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestInjectNotArmedIsNil(t *testing.T) {
	DisableAll()
	if err := Inject("x/y"); err != nil {
		t.Fatalf("Inject unarmed = %v", err)
	}
	if armed.Load() {
		t.Fatal("armed with nothing enabled")
	}
	if got := testing.AllocsPerRun(100, func() { _ = Inject("x/y") }); got != 0 {
		t.Fatalf("unarmed Inject allocates %v", got)
	}
}

func TestErrorActionAndCounts(t *testing.T) {
	t.Cleanup(DisableAll)
	if err := Enable("a", Action{Kind: Error}); err != nil {
		t.Fatal(err)
	}
	if err := Inject("a"); !errors.Is(err, ErrInjected) || !strings.Contains(err.Error(), "a") {
		t.Fatalf("Inject(a) = %v, want ErrInjected naming a", err)
	}
	if err := Inject("other"); err != nil {
		t.Fatalf("other point fired: %v", err)
	}
	// @3: only the third hit fires.
	if err := Enable("b", Action{Kind: Error, At: 3}); err != nil {
		t.Fatal(err)
	}
	var got []bool
	for i := 0; i < 5; i++ {
		got = append(got, Inject("b") != nil)
	}
	if want := []bool{false, false, true, false, false}; !equal(got, want) {
		t.Fatalf("@3 fired %v, want %v", got, want)
	}
	if Hits("b") != 5 {
		t.Fatalf("Hits(b) = %d, want 5", Hits("b"))
	}
	// *2: the first two hits fire.
	if err := Enable("c", Action{Kind: Error, Times: 2}); err != nil {
		t.Fatal(err)
	}
	got = nil
	for i := 0; i < 4; i++ {
		got = append(got, Inject("c") != nil)
	}
	if want := []bool{true, true, false, false}; !equal(got, want) {
		t.Fatalf("*2 fired %v, want %v", got, want)
	}
	Disable("a")
	if err := Inject("a"); err != nil {
		t.Fatalf("disabled point fired: %v", err)
	}
	DisableAll()
	if armed.Load() || len(Armed()) != 0 {
		t.Fatal("still armed after DisableAll")
	}
}

func TestPanicAndPause(t *testing.T) {
	t.Cleanup(DisableAll)
	if err := Enable("p", Action{Kind: Panic}); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "p") {
				t.Fatalf("recover = %v, want a panic naming p", r)
			}
		}()
		_ = Inject("p")
		t.Fatal("no panic")
	}()
	if err := Enable("z", Action{Kind: Pause, Pause: 30 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := Inject("z"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("pause lasted %v", d)
	}
}

func TestKillActionCallsKill(t *testing.T) {
	t.Cleanup(DisableAll)
	old := killSelf
	t.Cleanup(func() { killSelf = old })
	killed := 0
	killSelf = func() { killed++ }
	if err := EnableSpec("k=kill@2"); err != nil {
		t.Fatal(err)
	}
	_ = Inject("k")
	if killed != 0 {
		t.Fatal("killed on first hit")
	}
	_ = Inject("k")
	if killed != 1 {
		t.Fatal("not killed on second hit")
	}
}

func TestParseSpec(t *testing.T) {
	t.Cleanup(DisableAll)
	good := map[string]string{
		"kill":         "kill",
		"error@3":      "error@3",
		"panic*2":      "panic*2",
		"pause(250ms)": "pause(250ms)",
		"pause(1s)@4":  "pause(1s)@4",
		" off ":        "off",
	}
	for in, want := range good {
		a, err := ParseAction(in)
		if err != nil {
			t.Fatalf("ParseAction(%q): %v", in, err)
		}
		if a.String() != want {
			t.Fatalf("ParseAction(%q) = %s, want %s", in, a, want)
		}
	}
	for _, bad := range []string{"", "kil", "error@0", "error@x", "pause()", "pause(-1s)", "pause(1s", "kill*-1"} {
		if _, err := ParseAction(bad); err == nil {
			t.Fatalf("ParseAction(%q) accepted", bad)
		}
	}
	// A bad spec arms nothing.
	DisableAll()
	if err := EnableSpec("a=kill;b=nonsense"); err == nil || !strings.Contains(err.Error(), "b") {
		t.Fatalf("EnableSpec bad = %v, want an error naming b", err)
	}
	if len(Armed()) != 0 {
		t.Fatalf("bad spec armed %v", Armed())
	}
	if err := EnableSpec("engine/after-persist=kill@3; executor/mid-relay=error;"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(Armed(), ","); got != "engine/after-persist=kill@3,executor/mid-relay=error" {
		t.Fatalf("Armed = %s", got)
	}
	if err := EnableSpec("noequals"); err == nil {
		t.Fatal("entry without '=' accepted")
	}
	if err := Enable("bad name", Action{Kind: Error}); err == nil {
		t.Fatal("name with a space accepted")
	}
}

func TestLog(t *testing.T) {
	t.Cleanup(DisableAll)
	path := filepath.Join(t.TempDir(), "fp.log")
	if err := SetLog(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SetLog("") })
	if err := EnableSpec("l=error@2"); err != nil {
		t.Fatal(err)
	}
	_ = Inject("l")
	_ = Inject("l")
	_ = Inject("unarmed")
	hits, err := ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0].Name != "l" || hits[0].Fired || !hits[1].Fired || hits[1].PID != os.Getpid() {
		t.Fatalf("log = %+v", hits)
	}
	if h, err := ReadLog(filepath.Join(t.TempDir(), "missing")); err != nil || h != nil {
		t.Fatalf("missing log = %v, %v", h, err)
	}
}

// TestChildProcessKilledFromEnv runs this test binary as a child armed through the env var and
// checks it dies of SIGKILL at the armed point, logging the hit first.
func TestChildProcessKilledFromEnv(t *testing.T) {
	if os.Getenv("FAILPOINT_CHILD") == "1" {
		for i := 0; i < 5; i++ {
			_ = Inject("child/point")
		}
		os.Exit(0) // not reached when armed with kill@3
	}
	logPath := filepath.Join(t.TempDir(), "fp.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcessKilledFromEnv$")
	cmd.Env = append(os.Environ(), "FAILPOINT_CHILD=1", EnvPoints+"=child/point=kill@3", EnvLog+"="+logPath)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child exited %v, want killed", err)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child status %v, want SIGKILL", ws)
	}
	hits, err := ReadLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 || !hits[2].Fired || hits[0].Fired || hits[2].PID != cmd.Process.Pid {
		t.Fatalf("child log = %+v", hits)
	}
}

func TestChildProcessBadSpecExits(t *testing.T) {
	if os.Getenv("FAILPOINT_CHILD") == "1" {
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcessBadSpecExits$")
	cmd.Env = append(os.Environ(), "FAILPOINT_CHILD=1", EnvPoints+"=x=bogus")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "bogus") {
		t.Fatalf("child = %v %s, want exit 2 naming the bad action", err, out)
	}
}

func BenchmarkInjectUnarmed(b *testing.B) {
	DisableAll()
	for i := 0; i < b.N; i++ {
		_ = Inject("engine/after-persist")
	}
}

func equal(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFollowFile(t *testing.T) {
	t.Cleanup(DisableAll)
	DisableAll()
	path := filepath.Join(t.TempDir(), "spec")
	logPath := filepath.Join(t.TempDir(), "fp.log")
	if err := SetLog(logPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SetLog("") })
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { follow(path, 5*time.Millisecond, stop); close(done) }()
	t.Cleanup(func() { close(stop); <-done })
	waitFor(t, func() bool { return len(Armed()) == 0 }, "nothing armed without a file")
	if err := os.WriteFile(path, []byte("f/a=error"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return Inject("f/a") != nil }, "f/a armed from the file")
	hits, err := ReadLog(logPath)
	if err != nil || len(hits) < 2 || !hits[0].Armed || hits[0].Name != "f/a" || hits[0].Fired || !hits[1].Fired {
		t.Fatalf("log after arming from the file = %+v, %v; want an armed line for f/a, then its hit", hits, err)
	}
	if err := os.WriteFile(path, []byte("f/b=error@1"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Join(Armed(), ",") == "f/b=error@1" }, "f/a replaced by f/b")
	// A bad spec keeps what was armed.
	if err := replaceSpec("f/c=bogus"); err == nil || strings.Join(Armed(), ",") != "f/b=error@1" {
		t.Fatalf("replaceSpec(bogus) = %v, armed %v; want an error and f/b kept", err, Armed())
	}
	if err := os.WriteFile(path, []byte(""), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(Armed()) == 0 }, "an empty file disarms everything")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}
