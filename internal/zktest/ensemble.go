package zktest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Ensemble is a replicated ZooKeeper service of several servers on loopback, each its own JVM.
type Ensemble struct {
	Members []*Member
	dir     string
	ownsDir bool
}

// Member is one server of an Ensemble.
type Member struct {
	ID   int // the server's myid, from 1
	proc *process
}

// RunEnsemble starts n servers (n odd, at least 3) as one ensemble and waits until every member
// serves. cfg.Port is ignored; cfg.Dir, if set, gets one sub-directory per member.
func RunEnsemble(n int, cfg Config) (*Ensemble, error) {
	if n < 3 || n%2 == 0 {
		return nil, fmt.Errorf("zktest: an ensemble needs an odd number of servers, at least 3 (got %d)", n)
	}
	inst, err := findInstall()
	if err != nil {
		return nil, err
	}
	dir, ownsDir := cfg.Dir, false
	if dir == "" {
		if dir, err = os.MkdirTemp("", "zktest-ensemble-"); err != nil {
			return nil, fmt.Errorf("zktest: %w", err)
		}
		ownsDir = true
	}
	dir, _ = filepath.Abs(dir)
	e := &Ensemble{dir: dir, ownsDir: ownsDir}
	if err := e.launch(inst, n, cfg); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Ensemble) launch(inst install, n int, cfg Config) error {
	ports, err := freePorts(3 * n)
	if err != nil {
		return err
	}
	timeout := cfg.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	var peers []string
	for i := range n {
		peers = append(peers, fmt.Sprintf("server.%d=127.0.0.1:%d:%d", i+1, ports[3*i+1], ports[3*i+2]))
	}
	for i := range n {
		mdir := filepath.Join(e.dir, fmt.Sprintf("member-%d", i+1))
		dataDir := filepath.Join(mdir, "data")
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return fmt.Errorf("zktest: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dataDir, "myid"), []byte(strconv.Itoa(i+1)+"\n"), 0o644); err != nil {
			return fmt.Errorf("zktest: %w", err)
		}
		cfgPath := filepath.Join(mdir, "zoo.cfg")
		if err := os.WriteFile(cfgPath, []byte(zooCfg(dataDir, ports[3*i], cfg.tick(), cfg.Fsync, peers)), 0o644); err != nil {
			return fmt.Errorf("zktest: %w", err)
		}
		e.Members = append(e.Members, &Member{ID: i + 1, proc: &process{
			inst: inst, dir: mdir, cfgPath: cfgPath, logPath: filepath.Join(mdir, "zookeeper.log"),
			addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[3*i])), timeout: timeout,
		}})
	}
	// Launch every JVM first: none serves until a quorum has formed.
	begin := time.Now()
	for _, m := range e.Members {
		if err := m.proc.launch(); err != nil {
			return err
		}
	}
	var errs []error
	for _, m := range e.Members {
		if err := m.proc.waitServing(begin); err != nil {
			errs = append(errs, fmt.Errorf("member %d: %w", m.ID, err))
			continue
		}
		m.proc.mu.Lock()
		m.proc.startDur = time.Since(begin)
		m.proc.mu.Unlock()
	}
	return errors.Join(errs...)
}

// ConnectString is every member's client address, comma-separated.
func (e *Ensemble) ConnectString() string { return strings.Join(e.Servers(), ",") }

// Servers is the address list for zk.Connect.
func (e *Ensemble) Servers() []string {
	var s []string
	for _, m := range e.Members {
		s = append(s, m.proc.addr)
	}
	return s
}

// Close kills every member and removes the directory if RunEnsemble created it.
func (e *Ensemble) Close() error {
	for _, m := range e.Members {
		_ = m.Kill()
	}
	if e.ownsDir {
		return os.RemoveAll(e.dir)
	}
	return nil
}

// Address is the member's client address.
func (m *Member) Address() string { return m.proc.addr }

// Mode asks the member whether it is "leader", "follower", or not serving ("" and an error).
func (m *Member) Mode() (string, error) {
	resp, err := fourLetter(m.proc.addr, "srvr", time.Second)
	if err != nil {
		return "", err
	}
	for line := range strings.SplitSeq(resp, "\n") {
		if v, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("zktest: member %d is not serving: %s", m.ID, strings.TrimSpace(resp))
}

// Stop shuts the member down (SIGTERM) and waits for it to exit.
func (m *Member) Stop() error { return m.proc.stop(syscall.SIGTERM) }

// Kill ends the member abruptly (SIGKILL).
func (m *Member) Kill() error { return m.proc.stop(syscall.SIGKILL) }

// Start starts a stopped member again and waits until it serves, which needs a quorum.
func (m *Member) Start() error { return m.proc.start() }

// Running reports whether the member's process is alive.
func (m *Member) Running() bool { return m.proc.running() }

// LogTail returns the last n lines of the member's log.
func (m *Member) LogTail(n int) string { return m.proc.logTail(n) }

// Dir is the member's directory (zoo.cfg, data/, zookeeper.log).
func (m *Member) Dir() string { return m.proc.dir }
