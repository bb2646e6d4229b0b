package supervisor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Command says how to run Cassandra.
type Command struct {
	// Path is the program (the distribution's bin/cassandra).
	Path string
	// Args are its arguments ("-f").
	Args []string
	// Dir is the working directory.
	Dir string
	// Env is the full environment.
	Env []string
	// Stdout and Stderr are files the output is appended to.
	Stdout, Stderr string
}

// Process is one running Cassandra process, the leader of its own process group.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	exit ExitStatus
}

// StartProcess starts c in a new process group.
func StartProcess(c Command) (*Process, error) {
	if c.Path == "" {
		return nil, errors.New("start cassandra: no program")
	}
	stdout, err := openLog(c.Stdout)
	if err != nil {
		return nil, err
	}
	stderr, err := openLog(c.Stderr)
	if err != nil {
		stdout.Close()
		return nil, err
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		return nil, fmt.Errorf("start %s: %w", c.Path, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		stdout.Close()
		stderr.Close()
		p.mu.Lock()
		p.exit = exitStatus(cmd, err)
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

func openLog(path string) (*os.File, error) {
	if path == "" {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return f, nil
}

func exitStatus(cmd *exec.Cmd, err error) ExitStatus {
	if cmd.ProcessState == nil {
		return ExitStatus{Code: -1}
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		if ws.Signaled() {
			return ExitStatus{Code: -1, Signal: strings.ToUpper(unix(ws.Signal()))}
		}
		return ExitStatus{Code: ws.ExitStatus()}
	}
	if err != nil {
		return ExitStatus{Code: -1}
	}
	return ExitStatus{}
}

// unix names a signal the way kill -l does ("TERM" → "SIGTERM").
func unix(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// PID returns the process ID (also the process group ID).
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Alive reports whether the process has not exited yet.
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Exit returns the exit status; valid after Done is closed.
func (p *Process) Exit() ExitStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit
}

// SignalGroup sends sig to the whole process group.
func (p *Process) SignalGroup(sig syscall.Signal) error {
	if !p.Alive() {
		return nil
	}
	err := syscall.Kill(-p.PID(), sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// Terminate sends SIGTERM to the group and, if the process has not exited after grace, SIGKILL.
// It returns when the process has exited, reporting whether SIGKILL was needed.
func (p *Process) Terminate(grace time.Duration) (killed bool, err error) {
	if err := p.SignalGroup(syscall.SIGTERM); err != nil {
		return false, fmt.Errorf("SIGTERM: %w", err)
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		// The group leader is gone; make sure no child of the group lingers.
		_ = syscall.Kill(-p.PID(), syscall.SIGKILL)
		return false, nil
	case <-t.C:
	}
	if err := syscall.Kill(-p.PID(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return true, fmt.Errorf("SIGKILL: %w", err)
	}
	<-p.done
	return true, nil
}

// Tail returns the last max bytes of each file that exists, each under a "==> name <==" header
// as tail(1) prints them.
func Tail(paths []string, max int64) string {
	var b strings.Builder
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		st, err := f.Stat()
		if err != nil || st.Size() == 0 {
			f.Close()
			continue
		}
		off := max64(st.Size()-max, 0)
		buf := make([]byte, st.Size()-off)
		_, err = f.ReadAt(buf, off)
		f.Close()
		if err != nil && !errors.Is(err, io.EOF) {
			continue
		}
		text := string(buf)
		if off > 0 {
			if i := strings.IndexByte(text, '\n'); i >= 0 {
				text = text[i+1:]
			}
		}
		fmt.Fprintf(&b, "==> %s <==\n%s", shortName(path), text)
		if !strings.HasSuffix(text, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func shortName(path string) string {
	parts := strings.Split(path, "/")
	if len(parts) >= 2 {
		return parts[len(parts)-2] + "/" + parts[len(parts)-1]
	}
	return path
}
