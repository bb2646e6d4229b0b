package nodetool

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeScript is a stand-in bin/nodetool: it logs its arguments, drops the global options, and
// answers the command from files in $FAKE_DIR: out.<cmd> (stdout), err.<cmd> (stderr) and
// rc.<cmd> (exit code), where <cmd> is the command with spaces as underscores. A script.<cmd>
// file is run instead when present.
const fakeScript = `#!/bin/bash
printf '%s\n' "$*" >> "$FAKE_DIR/calls"
while [ $# -gt 0 ]; do case "$1" in -h|-p|-u|-pw) shift 2;; *) break;; esac; done
cmd="$*"; key="${cmd// /_}"
if [ -f "$FAKE_DIR/script.$key" ]; then . "$FAKE_DIR/script.$key"; exit $?; fi
if [ -f "$FAKE_DIR/out.$key" ]; then cat "$FAKE_DIR/out.$key"; fi
if [ -f "$FAKE_DIR/err.$key" ]; then cat "$FAKE_DIR/err.$key" >&2; fi
if [ -f "$FAKE_DIR/rc.$key" ]; then exit "$(cat "$FAKE_DIR/rc.$key")"; fi
exit 0
`

type fakeNodetool struct {
	dir    string
	client *Client
}

func newFake(t *testing.T, cfg Config) *fakeNodetool {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "nodetool")
	if err := os.WriteFile(path, []byte(fakeScript), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Path = path
	cfg.Env = append(cfg.Env, "FAKE_DIR="+dir)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeNodetool{dir: dir, client: c}
}

func (f *fakeNodetool) set(t *testing.T, cmd, kind, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, kind+"."+strings.ReplaceAll(cmd, " ", "_")), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeNodetool) answer(t *testing.T, cmd, stdout, stderr string, rc int) {
	t.Helper()
	f.set(t, cmd, "out", stdout)
	f.set(t, cmd, "err", stderr)
	f.set(t, cmd, "rc", strconv.Itoa(rc))
}

func (f *fakeNodetool) calls(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "calls"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestNewValidates(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no path":           {},
		"bad port":          {Path: "x", Port: 70000},
		"password, no user": {Path: "x", Password: "p"},
		"file, no user":     {Path: "x", PasswordFile: "/f"},
		"password and file": {Path: "x", Username: "u", Password: "p", PasswordFile: "/f"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := New(Config{Path: "/opt/cassandra/bin/nodetool"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Args("status"); !reflect.DeepEqual(got, []string{"-h", "127.0.0.1", "-p", "7199", "status"}) {
		t.Errorf("default args %q", got)
	}
	c, err = New(Config{Path: "/opt/cassandra/bin/nodetool", Username: "cassmesos", PasswordFile: "/s/conf/nodetool.credentials"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Args("status"); !reflect.DeepEqual(got, []string{"-h", "127.0.0.1", "-p", "7199", "-u", "cassmesos", "-pwf", "/s/conf/nodetool.credentials", "status"}) {
		t.Errorf("args with a password file %q", got)
	}
}

func TestClientCommandsAndArgs(t *testing.T) {
	f := newFake(t, Config{Host: "10.0.0.5", Port: 7299, Username: "cassandra", Password: "secret"})
	ctx := testCtx(t)
	f.answer(t, "status", cleanSample(t, "status_3.11_multidc_2dc_casskop.txt"), "", 0)
	f.answer(t, "status ks1", cleanSample(t, "status_4.0_single-dc_16tokens_k8ssandra-operator.txt"), "", 0)
	f.answer(t, "info", info41, "", 0)
	f.answer(t, "describering ks1", cleanSample(t, "describering_2.x_scylla-issue685.txt"), "", 0)
	f.answer(t, "ring", cleanSample(t, "ring_2.1_3node_scylla-issue722.txt"), "", 0)
	f.answer(t, "netstats", netstats4x, "", 0)
	f.answer(t, "describecluster", describeCluster41, "", 0)
	f.answer(t, "statusbinary", "running\n", "", 0)
	f.answer(t, "statusgossip", "not running\n", "", 0)
	f.answer(t, "version", "ReleaseVersion: 4.1.3\n", "", 0)
	f.answer(t, "removenode status", "RemovalStatus: No removals in process.\n", "", 0)

	st, err := f.client.Status(ctx)
	if err != nil || len(st.All()) != 6 {
		t.Fatalf("Status: %+v %v", st, err)
	}
	if st, err = f.client.StatusKeyspace(ctx, "ks1"); err != nil || len(st.All()) != 3 {
		t.Fatalf("StatusKeyspace: %+v %v", st, err)
	}
	if in, err := f.client.Info(ctx); err != nil || in.ID != "8b244cb0-135d-4745-b498-86f46187348f" {
		t.Errorf("Info: %+v %v", in, err)
	}
	if rd, err := f.client.DescribeRing(ctx, "ks1"); err != nil || len(rd.Ranges) != 3 {
		t.Errorf("DescribeRing: %+v %v", rd, err)
	}
	if r, err := f.client.Ring(ctx); err != nil || len(r.Datacenters[0].Entries) != 7 {
		t.Errorf("Ring: %+v %v", r, err)
	}
	if ns, err := f.client.Netstats(ctx); err != nil || ns.Mode != ModeJoining {
		t.Errorf("Netstats: %+v %v", ns, err)
	}
	if cd, err := f.client.DescribeCluster(ctx); err != nil || cd.Name != "demo" {
		t.Errorf("DescribeCluster: %+v %v", cd, err)
	}
	if b, err := f.client.StatusBinary(ctx); err != nil || !b {
		t.Errorf("StatusBinary: %v %v", b, err)
	}
	if b, err := f.client.StatusGossip(ctx); err != nil || b {
		t.Errorf("StatusGossip: %v %v", b, err)
	}
	if v, err := f.client.Version(ctx); err != nil || v != "4.1.3" {
		t.Errorf("Version: %q %v", v, err)
	}
	if s, err := f.client.RemoveNodeStatus(ctx); err != nil || s != "RemovalStatus: No removals in process." {
		t.Errorf("RemoveNodeStatus: %q %v", s, err)
	}
	for name, call := range map[string]func() error{
		"drain":              func() error { return f.client.Drain(ctx) },
		"decommission":       func() error { return f.client.Decommission(ctx, false) },
		"decommission force": func() error { return f.client.Decommission(ctx, true) },
		"removenode":         func() error { return f.client.RemoveNode(ctx, "41df89ae-0631-447c-9def-ff1fbff3b8a7") },
		"removenode force":   func() error { return f.client.RemoveNodeForce(ctx) },
		"cleanup all":        func() error { return f.client.Cleanup(ctx, "") },
		"cleanup":            func() error { return f.client.Cleanup(ctx, "ks1", "t1", "t2") },
		"flush":              func() error { return f.client.Flush(ctx, "ks1") },
		"enablebinary":       func() error { return f.client.EnableBinary(ctx) },
		"disablebinary":      func() error { return f.client.DisableBinary(ctx) },
		"enablegossip":       func() error { return f.client.EnableGossip(ctx) },
		"disablegossip":      func() error { return f.client.DisableGossip(ctx) },
	} {
		if err := call(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	calls := f.calls(t)
	const g = "-h 10.0.0.5 -p 7299 -u cassandra -pw secret "
	for _, want := range []string{"status", "status ks1", "info", "describering ks1", "ring", "netstats", "describecluster",
		"statusbinary", "statusgossip", "version", "removenode status", "drain", "decommission", "decommission --force",
		"removenode 41df89ae-0631-447c-9def-ff1fbff3b8a7", "removenode force", "cleanup", "cleanup ks1 t1 t2", "flush ks1",
		"enablebinary", "disablebinary", "enablegossip", "disablegossip"} {
		found := false
		for _, c := range calls {
			if c == g+want {
				found = true
			}
		}
		if !found {
			t.Errorf("no call %q in %q", g+want, calls)
		}
	}
	if len(calls) != 23 {
		t.Errorf("%d calls, want 23", len(calls))
	}
}

func TestClientRejectsBadArguments(t *testing.T) {
	f := newFake(t, Config{})
	ctx := testCtx(t)
	for name, call := range map[string]func() error{
		"empty keyspace":  func() error { _, err := f.client.StatusKeyspace(ctx, ""); return err },
		"option keyspace": func() error { _, err := f.client.DescribeRing(ctx, "-pr"); return err },
		"space keyspace":  func() error { return f.client.Cleanup(ctx, "a b") },
		"tables, no ks":   func() error { return f.client.Flush(ctx, "", "t") },
		"bad table":       func() error { return f.client.Cleanup(ctx, "ks", "--all") },
		"bad host id":     func() error { return f.client.RemoveNode(ctx, "127.0.0.1") },
		"repair, no ks":   func() error { return f.client.Repair(ctx, RepairOptions{}, nil) },
		"repair half tok": func() error { return f.client.Repair(ctx, RepairOptions{Keyspace: "ks", StartToken: "1"}, nil) },
		"repair seq+dcpar": func() error {
			return f.client.Repair(ctx, RepairOptions{Keyspace: "ks", Sequential: true, DCParallel: true}, nil)
		},
		"repair jobs": func() error { return f.client.Repair(ctx, RepairOptions{Keyspace: "ks", JobThreads: 5}, nil) },
		"repair local+dc": func() error {
			return f.client.Repair(ctx, RepairOptions{Keyspace: "ks", LocalDC: true, Datacenters: []string{"a"}}, nil)
		},
		"repair bad token": func() error {
			return f.client.Repair(ctx, RepairOptions{Keyspace: "ks", StartToken: "1 2", EndToken: "3"}, nil)
		},
		"repair bad dc": func() error {
			return f.client.Repair(ctx, RepairOptions{Keyspace: "ks", Datacenters: []string{""}}, nil)
		},
	} {
		if err := call(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := os.Stat(filepath.Join(f.dir, "calls")); err == nil {
		t.Errorf("nodetool was run for a rejected call: %q", f.calls(t))
	}
}

func TestRepairOptionsArgs(t *testing.T) {
	got, err := RepairOptions{Keyspace: "ks", Tables: []string{"t1", "t2"}, Full: true, PrimaryRange: true,
		StartToken: "-9223372036854775808", EndToken: "-3074457345618258603", DCParallel: true,
		Datacenters: []string{"dc1", "dc2"}, JobThreads: 2}.Args()
	want := []string{"repair", "--full", "-pr", "-st", "-9223372036854775808", "-et", "-3074457345618258603", "-dcpar",
		"-dc", "dc1", "-dc", "dc2", "-j", "2", "ks", "t1", "t2"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Args = %q, %v\nwant %q", got, err, want)
	}
	got, _ = RepairOptions{Keyspace: "ks", Sequential: true, LocalDC: true}.Args()
	if !reflect.DeepEqual(got, []string{"repair", "-seq", "-local", "ks"}) {
		t.Errorf("Args = %q", got)
	}
}

// Texts real nodetool prints (see the package doc and the Cassandra reference).
const (
	refusedJava8  = "nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: 'Connection refused (Connection refused)'.\n"
	refusedJava11 = "nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: 'Connection refused'.\n"
	authFailed    = "nodetool: Failed to connect to '127.0.0.1:7199' - SecurityException: 'Authentication failed! Credentials required'.\n"
	badUseHelp    = "See 'nodetool help' or 'nodetool help <command>'.\n"
	repairJobFail = "error: Repair job has failed with the error message: Repair command #1 failed with error Did not get replies from all endpoints.. Check the logs on the repair participants for further details\n-- StackTrace --\njava.lang.RuntimeException: Repair job has failed\n\tat org.apache.cassandra.tools.RepairRunner.run(RepairRunner.java:88)\n"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		name           string
		cmd            string
		rc             int
		stdout, stderr string
		want           error
	}{
		{"ok", "status", 0, "x", "", nil},
		{"refused java 8", "status", 1, "", refusedJava8, ErrConnectionRefused},
		{"refused java 11", "info", 1, "", refusedJava11, ErrConnectionRefused},
		{"refused during repair", "repair", 1, "", refusedJava11, ErrConnectionRefused},
		{"rmi refused", "status", 1, "", "error: Connection refused to host: 10.0.0.1; nested exception is: \n\tjava.net.ConnectException: Connection refused\n", ErrConnectionRefused},
		{"non-JRMP", "status", 1, "", "nodetool: Failed to connect to '127.0.0.1:7199' - ConnectIOException: 'non-JRMP server at remote endpoint'.\n", ErrConnectionRefused},
		{"auth", "status", 1, "", authFailed, ErrAuthentication},
		{"not ready", "status", 1, "", "Exception in thread \"main\" java.lang.IllegalArgumentException: Server is not initialized yet, cannot run nodetool.\n", ErrNotReady},
		{"describering unknown keyspace (5.0)", "describering", 2, "Schema Version:2fe7e2a2-d7b7-3235-9128-9aa74e6cd8dd\nTokenRange: \n", "error: No such keyspace: nope\n-- StackTrace --\njava.lang.IllegalArgumentException: No such keyspace: nope\n", ErrUnknownKeyspace},
		{"no nodes yet (5.0)", "status", 1, "Error: No nodes present in the cluster. Has this node finished starting up?\n", "", ErrNotReady},
		{"keyspace badUse", "cleanup", 1, "nodetool: Keyspace [nope] does not exist.\n" + badUseHelp, "", ErrUnknownKeyspace},
		{"keyspace status", "status", 1, "\nError: The keyspace nope, does not exist\n", "", ErrUnknownKeyspace},
		{"keyspace repair", "repair", 1, "nodetool: Keyspace [nope] does not exist.\n" + badUseHelp, "", ErrUnknownKeyspace},
		{"keyspace describering", "describering", 2, "", "error: There is no ring for the keyspace: system\n-- StackTrace --\n", ErrUnknownKeyspace},
		{"keyspace 5.0", "describering", 2, "", "error: Keyspace nope does not exist\n-- StackTrace --\n", ErrUnknownKeyspace},
		{"unknown command", "decommission", 1, "nodetool: Found unexpected parameters: [--force]\n" + badUseHelp, "", ErrUnknownCommand},
		{"unrecognized", "frobnicate", 1, "nodetool: Command 'frobnicate' not recognized\n" + badUseHelp, "", ErrUnknownCommand},
		{"repair failed", "repair", 2, "[2024-01-02 03:04:05,678] Repair command #1 failed with error x\n", repairJobFail, ErrRepairFailed},
		{"repair other", "repair", 2, "", "error: nodetool failed, check server logs\n", ErrRepairFailed},
		{"generic", "decommission", 2, "", "error: Unsupported operation: Not enough live nodes to maintain replication factor in keyspace ks\n-- StackTrace --\n", nil},
	}
	for _, c := range cases {
		got := Classify(c.cmd, c.rc, c.stdout, c.stderr)
		if got != c.want {
			t.Errorf("%s: Classify = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestClientFailures(t *testing.T) {
	f := newFake(t, Config{})
	ctx := testCtx(t)
	f.answer(t, "status", "", refusedJava8, 1)
	f.answer(t, "status nope", "\nError: The keyspace nope, does not exist\n", "", 1)
	f.answer(t, "decommission --force", "nodetool: Found unexpected parameters: [--force]\n"+badUseHelp, "", 1)
	f.answer(t, "info", "", "error: something broke\n-- StackTrace --\njava.lang.RuntimeException: something broke\n", 2)
	f.answer(t, "netstats", "this is not netstats\n", "", 0)
	f.answer(t, "drain", "", authFailed, 1)

	_, err := f.client.Status(ctx)
	var ne *Error
	if !errors.Is(err, ErrConnectionRefused) || !errors.As(err, &ne) || ne.ExitCode != 1 || ne.Cmd != "status" || ne.Stderr != refusedJava8 {
		t.Errorf("Status: %#v", err)
	}
	if want := "nodetool status: cannot connect to Cassandra's JMX port: nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: 'Connection refused (Connection refused)'. (exit 1)"; err.Error() != want {
		t.Errorf("message\n got %s\nwant %s", err, want)
	}
	if _, err := f.client.StatusKeyspace(ctx, "nope"); !errors.Is(err, ErrUnknownKeyspace) || !strings.Contains(err.Error(), "Error: The keyspace nope, does not exist") {
		t.Errorf("StatusKeyspace: %v", err)
	}
	if err := f.client.Decommission(ctx, true); !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("Decommission: %v", err)
	}
	_, err = f.client.Info(ctx)
	if !errors.As(err, &ne) || ne.Kind != nil || ne.ExitCode != 2 || !strings.Contains(err.Error(), "error: something broke (exit 2)") {
		t.Errorf("Info: %v", err)
	}
	for _, s := range []error{ErrConnectionRefused, ErrUnknownKeyspace, ErrRepairFailed, ErrTimeout, ErrUnknownCommand, ErrBadOutput} {
		if errors.Is(err, s) {
			t.Errorf("generic failure matches %v", s)
		}
	}
	_, err = f.client.Netstats(ctx)
	if !errors.Is(err, ErrBadOutput) || !errors.As(err, &ne) || ne.Stdout != "this is not netstats\n" {
		t.Errorf("Netstats: %v", err)
	}
	if err := f.client.Drain(ctx); !errors.Is(err, ErrAuthentication) {
		t.Errorf("Drain: %v", err)
	}
	c, _ := New(Config{Path: filepath.Join(f.dir, "no-such-nodetool")})
	if _, err := c.Status(ctx); !errors.Is(err, ErrNotStarted) {
		t.Errorf("missing binary: %v", err)
	}
}

// processGone reports whether pid has exited (absent, or a zombie nobody reaped yet).
func processGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the ")" that closes the command name.
	s := string(b)
	i := strings.LastIndex(s, ")")
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not synchronising on time
	}
}

func TestClientTimeoutKillsProcessGroup(t *testing.T) {
	f := newFake(t, Config{KillGrace: 500 * time.Millisecond})
	// nodetool's JVM stands for a child that would outlive a kill of the script alone.
	f.set(t, "drain", "script", "sleep 60 & echo $! > \"$FAKE_DIR/child\"; wait\n")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := f.client.Drain(ctx)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Drain returned after %v", d)
	}
	b, rerr := os.ReadFile(filepath.Join(f.dir, "child"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	waitFor(t, "the child of the killed nodetool to exit", func() bool { return processGone(pid) })

	// Cancelling is not a timeout.
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := f.client.Drain(ctx2); !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Errorf("cancelled Drain: %v", err)
	}
}

const repairStart = "[2024-01-02 03:04:05,678] Starting repair command #1 (0d2c3a40-1c1f-11ee-8c2e-0f0c9b7a4a11), repairing keyspace ks with repair options (parallelism: parallel, primary range: true, incremental: false, job threads: 1, ColumnFamilies: [], dataCenters: [], hosts: [], previewKind: NONE, # of ranges: 1, pull repair: false, force repair: false, optimise streams: false)"

func TestClientRepairStreams(t *testing.T) {
	f := newFake(t, Config{})
	// The script prints the start line, then waits until the test has seen it: the rest can only
	// come if events are delivered while nodetool still runs.
	f.set(t, "repair --full -pr -st -9223372036854775808 -et 0 ks t1", "script", `echo '`+repairStart+`'
while [ ! -f "$FAKE_DIR/go" ]; do sleep 0.01; done
echo '[2024-01-02 03:04:06,000] Repair session 1f-1 for range [(-9223372036854775808,0]] finished (progress: 100%)'
echo '[2024-01-02 03:04:06,001] Repair completed successfully'
echo '[2024-01-02 03:04:06,002] Repair command #1 finished in 1 second'
`)
	var kinds []RepairEventKind
	err := f.client.Repair(testCtx(t), RepairOptions{Keyspace: "ks", Tables: []string{"t1"}, Full: true, PrimaryRange: true,
		StartToken: "-9223372036854775808", EndToken: "0"}, func(ev RepairEvent) {
		kinds = append(kinds, ev.Kind)
		if ev.Kind == RepairStart {
			if err := os.WriteFile(filepath.Join(f.dir, "go"), nil, 0o644); err != nil {
				t.Error(err)
			}
		}
	})
	if err != nil {
		t.Fatalf("Repair: %v", err)
	}
	want := []RepairEventKind{RepairStart, RepairSessionFinished, RepairSucceeded, RepairCommandFinished}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("events %v, want %v", kinds, want)
	}
}

func TestClientRepairFailures(t *testing.T) {
	f := newFake(t, Config{})
	ctx := testCtx(t)
	f.answer(t, "repair ks", repairStart+"\n"+
		"[2024-01-02 03:04:06,000] Repair session 1f-1 for range [(1,2]] failed with error Endpoint /127.0.0.2:7000 died (progress: 100%)\n"+
		"[2024-01-02 03:04:06,001] Repair command #1 failed with error Endpoint /127.0.0.2:7000 died\n"+
		"[2024-01-02 03:04:06,002] Repair command #1 finished with error\n", repairJobFail, 2)
	var evs []RepairEvent
	err := f.client.Repair(ctx, RepairOptions{Keyspace: "ks"}, func(ev RepairEvent) { evs = append(evs, ev) })
	var ne *Error
	if !errors.Is(err, ErrRepairFailed) || !errors.As(err, &ne) || ne.ExitCode != 2 {
		t.Fatalf("Repair: %v", err)
	}
	if len(evs) != 4 || evs[1].Kind != RepairSessionFailed || evs[1].Error != "Endpoint /127.0.0.2:7000 died" || evs[2].Kind != RepairFailed {
		t.Errorf("events %+v", evs)
	}
	if !strings.Contains(err.Error(), "Repair job has failed") {
		t.Errorf("message %q", err)
	}

	// A failure line with exit 0 still fails; unparsable lines arrive as RepairOther.
	f.answer(t, "repair ks2", "Picked up JAVA_TOOL_OPTIONS: -Xss1m\n[2024-01-02 03:04:06,001] Some repair failed\n", "", 0)
	evs = nil
	err = f.client.Repair(ctx, RepairOptions{Keyspace: "ks2"}, func(ev RepairEvent) { evs = append(evs, ev) })
	if !errors.Is(err, ErrRepairFailed) || !strings.Contains(err.Error(), "Some repair failed") {
		t.Errorf("Repair ks2: %v", err)
	}
	if len(evs) != 2 || evs[0].Kind != RepairOther || evs[0].Message != "Picked up JAVA_TOOL_OPTIONS: -Xss1m" {
		t.Errorf("events %+v", evs)
	}

	f.answer(t, "repair nope", "nodetool: Keyspace [nope] does not exist.\n"+badUseHelp, "", 1)
	if err := f.client.Repair(ctx, RepairOptions{Keyspace: "nope"}, nil); !errors.Is(err, ErrUnknownKeyspace) || errors.Is(err, ErrRepairFailed) {
		t.Errorf("Repair nope: %v", err)
	}
	f.answer(t, "repair ks3", "[2024-01-02 03:04:06,001] Replication factor is 1. No repair is needed for keyspace 'ks3'\n", "", 0)
	if err := f.client.Repair(ctx, RepairOptions{Keyspace: "ks3"}, nil); err != nil {
		t.Errorf("Repair ks3: %v", err)
	}
}

func TestClientRepairTimeout(t *testing.T) {
	f := newFake(t, Config{KillGrace: 500 * time.Millisecond})
	f.set(t, "repair ks", "script", "echo '"+repairStart+"'\nsleep 60 & wait\n")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n := 0
	err := f.client.Repair(ctx, RepairOptions{Keyspace: "ks"}, func(RepairEvent) { n++ })
	if !errors.Is(err, ErrTimeout) || n != 1 {
		t.Errorf("Repair: %v after %d events, want ErrTimeout after 1", err, n)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 4}
	b.Write([]byte("abc"))
	b.Write([]byte("defg"))
	if got := b.String(); got != "[3 bytes dropped]\ndefg" {
		t.Errorf("%q", got)
	}
}

func TestClientRepairLeftoverChildHoldingStdout(t *testing.T) {
	f := newFake(t, Config{KillGrace: 200 * time.Millisecond})
	// nodetool exits but leaves a process in its own session holding stdout open.
	f.set(t, "repair ks", "script", "echo '"+repairStart+"'\necho '[2024-01-02 03:04:06,001] Repair completed successfully'\n"+
		"setsid sleep 30 &\necho $! > \"$FAKE_DIR/child\"\nexit 0\n")
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(f.dir, "child")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	var kinds []RepairEventKind
	start := time.Now()
	err := f.client.Repair(testCtx(t), RepairOptions{Keyspace: "ks"}, func(ev RepairEvent) { kinds = append(kinds, ev.Kind) })
	if err != nil || !reflect.DeepEqual(kinds, []RepairEventKind{RepairStart, RepairSucceeded}) {
		t.Errorf("Repair: %v, events %v", err, kinds)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Repair took %v: blocked on the leftover child", d)
	}
}

func TestClientRepairSlowConsumerLosesNothing(t *testing.T) {
	f := newFake(t, Config{KillGrace: 100 * time.Millisecond})
	var script strings.Builder
	script.WriteString("echo '" + repairStart + "'\n")
	for i := 0; i < 50; i++ {
		script.WriteString("echo '[2024-01-02 03:04:06,000] Repair session s" + strconv.Itoa(i) + " for range [(1,2]] finished (progress: " + strconv.Itoa(i*2) + "%)'\n")
	}
	script.WriteString("echo '[2024-01-02 03:04:06,001] Repair completed successfully'\n")
	f.set(t, "repair ks", "script", script.String())
	n := 0
	last := RepairOther
	err := f.client.Repair(testCtx(t), RepairOptions{Keyspace: "ks"}, func(ev RepairEvent) {
		if n == 0 {
			// A slow consumer: nodetool has long exited while its output still sits in the pipe.
			time.Sleep(500 * time.Millisecond)
		}
		n++
		last = ev.Kind
	})
	if err != nil || n != 52 || last != RepairSucceeded {
		t.Errorf("Repair: %v after %d events (last %v), want 52 ending in succeeded", err, n, last)
	}
}
