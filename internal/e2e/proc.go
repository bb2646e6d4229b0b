package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// proc is a program the harness started, in a process group of its own, output appended to log.
type proc struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (w *World) spawn(name, path string, args, env []string) *proc {
	w.t.Helper()
	logPath := filepath.Join(w.dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	fmt.Fprintf(f, "==== e2e: %s %s %s\n", time.Now().Format(time.RFC3339Nano), path, strings.Join(args, " "))
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Dir = w.dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		w.t.Fatalf("e2e: starting %s: %v", name, err)
	}
	p := &proc{name: name, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process's group.
func (p *proc) signal(sig syscall.Signal) {
	if !p.exited() {
		_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	}
}

func (p *proc) waitQuiet(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

func (p *proc) wait(t testing.TB, d time.Duration) {
	t.Helper()
	if !p.waitQuiet(d) {
		t.Fatalf("e2e: %s did not exit within %v", p.name, d)
	}
}
