package mesossim

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStatSession(t *testing.T) {
	for _, tc := range []struct {
		stat string
		sid  int
		ok   bool
	}{
		{"123 (sleep) S 1 123 77 0 -1", 77, true},
		{"123 (a b) c)) R 1 5 6 0", 6, true},
		{"123 (x) S 1", 0, false},
		{"garbage", 0, false},
		{"1 (x) S 1 2 notanumber", 0, false},
	} {
		sid, ok := statSession(tc.stat)
		if sid != tc.sid || ok != tc.ok {
			t.Errorf("statSession(%q) = %d, %v; want %d, %v", tc.stat, sid, ok, tc.sid, tc.ok)
		}
	}
}

// A child that moved to a process group of its own (as Cassandra under cassmesos-executor) dies
// with the session.
func TestKillSessionReachesOtherProcessGroups(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNewProcessGroup$")
	cmd.Env = append(os.Environ(), "MESOSSIM_HELPER_PIDFILE="+pidFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var child int
	deadline := time.Now().Add(10 * time.Second)
	for child == 0 {
		if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
			child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the shell did not start its background job")
		}
		time.Sleep(10 * time.Millisecond) // polling for the pid file
	}
	if pgid, _ := syscall.Getpgid(child); pgid == cmd.Process.Pid {
		t.Fatalf("the background job stayed in the shell's process group %d", pgid)
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	killSession(cmd.Process.Pid)
	_ = cmd.Wait()
	for syscall.Kill(child, 0) == nil {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(child) + "/stat"); strings.Contains(string(b), ") Z ") {
			break // a zombie waiting for init to reap it
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d of the session survived", child)
		}
		time.Sleep(10 * time.Millisecond) // polling for the process to go
	}
}

// TestHelperNewProcessGroup is not a test: TestKillSessionReachesOtherProcessGroups runs the test
// binary with it as a session leader that starts a child in a process group of its own.
func TestHelperNewProcessGroup(t *testing.T) {
	pidFile := os.Getenv("MESOSSIM_HELPER_PIDFILE")
	if pidFile == "" {
		return
	}
	c := exec.Command("sleep", "300")
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(c.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = c.Wait()
}
