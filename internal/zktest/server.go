package zktest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Where Debian's zookeeper package puts things. ZOOKEEPER_JAR and JAVA_HOME override them.
const (
	defaultJar  = "/usr/share/java/zookeeper.jar"
	slf4jSimple = "slf4j-simple.jar" // a logging backend for the server, next to the jar
	mainClass   = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
)

// ErrNotInstalled is returned when java or the ZooKeeper jar is missing.
var ErrNotInstalled = errors.New("ZooKeeper is not installed: run `make deps`")

// Defaults for Config.
const (
	DefaultTickTime     = 200 * time.Millisecond
	DefaultStartTimeout = 60 * time.Second
)

// Config describes one standalone server. The zero value is usable: a free loopback port and a
// new temporary directory.
type Config struct {
	// Dir holds zoo.cfg, the data directory and zookeeper.log. Empty: a new temporary directory,
	// removed by Close.
	Dir string
	// Port is the client port on 127.0.0.1. Zero: a free port.
	Port int
	// TickTime is ZooKeeper's basic time unit; sessions may last from 2 to 300 ticks.
	// Zero: DefaultTickTime (so sessions can be as short as 400 ms).
	TickTime time.Duration
	// Fsync makes the server fsync its transaction log (forceSync). Off by default: tests and the
	// demo do not need durability across machine crashes, and it keeps writes fast.
	Fsync bool
	// StartTimeout bounds the wait for the server to serve. Zero: DefaultStartTimeout.
	StartTimeout time.Duration
}

func (c *Config) tick() time.Duration {
	if c.TickTime <= 0 {
		return DefaultTickTime
	}
	return c.TickTime
}

// install locates java and the ZooKeeper classpath.
type install struct {
	java      string
	classpath string
}

func findInstall() (install, error) {
	jar := os.Getenv("ZOOKEEPER_JAR")
	if jar == "" {
		jar = defaultJar
	}
	if _, err := os.Stat(jar); err != nil {
		return install{}, fmt.Errorf("%w (no %s)", ErrNotInstalled, jar)
	}
	java := ""
	if home := os.Getenv("JAVA_HOME"); home != "" {
		if p := filepath.Join(home, "bin", "java"); isExecutable(p) {
			java = p
		}
	}
	if java == "" {
		if p, err := exec.LookPath("java"); err == nil {
			java = p
		} else if isExecutable("/usr/bin/java") {
			java = "/usr/bin/java"
		}
	}
	if java == "" {
		return install{}, fmt.Errorf("%w (no java on PATH)", ErrNotInstalled)
	}
	// The jar's manifest names its own dependencies; add a logging backend so the server's log
	// reaches zookeeper.log instead of slf4j's no-op logger.
	cp := jar
	if p := filepath.Join(filepath.Dir(jar), slf4jSimple); fileExists(p) {
		cp += string(os.PathListSeparator) + p
	}
	return install{java: java, classpath: cp}, nil
}

// CheckInstalled reports whether ZooKeeper and java are installed; the error names `make deps`.
func CheckInstalled() error {
	_, err := findInstall()
	return err
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// process is one ZooKeeper JVM: its configuration, data and log live in dir.
type process struct {
	inst     install
	dir      string
	cfgPath  string
	logPath  string
	addr     string // 127.0.0.1:clientPort
	timeout  time.Duration
	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	exitErr  error
	startDur time.Duration
}

func (p *process) start() error {
	begin := time.Now()
	if err := p.launch(); err != nil {
		return err
	}
	if err := p.waitServing(begin); err != nil {
		return err
	}
	p.mu.Lock()
	p.startDur = time.Since(begin)
	p.mu.Unlock()
	return nil
}

// launch starts the JVM without waiting for it to serve.
func (p *process) launch() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.exited:
		default:
			return fmt.Errorf("zktest: server %s is already running", p.addr)
		}
	}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("zktest: open server log: %w", err)
	}
	fmt.Fprintf(logf, "==== zktest: starting server at %s ====\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.inst.java,
		"-Xms16m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
		"-Djava.net.preferIPv4Stack=true",
		"-Dzookeeper.admin.enableServer=false",
		"-Dzookeeper.jmx.log4j.disable=true",
		"-Dorg.slf4j.simpleLogger.showDateTime=true",
		"-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
		"-cp", p.inst.classpath, mainClass, p.cfgPath)
	cmd.Dir = p.dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	// The JVM dies with the process that started it, even if that one is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("zktest: start %s: %w", p.inst.java, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.exitErr = cmd, exited, nil
	go func() {
		err := cmd.Wait()
		logf.Close()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(exited)
	}()
	return nil
}

// waitServing polls the four-letter word "srvr" until the server says which mode it serves in.
func (p *process) waitServing(begin time.Time) error {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	deadline := begin.Add(p.timeout)
	for {
		if p.serving() {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("zktest: ZooKeeper at %s exited while starting (%v); log %s:\n%s",
				p.addr, p.exitError(), p.logPath, p.logTail(40))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("zktest: ZooKeeper at %s did not serve within %v; log %s:\n%s",
				p.addr, p.timeout, p.logPath, p.logTail(40))
		}
	}
}

// serving reports whether the server at p.addr serves requests and is this process (its data
// directory is ours: another server may hold the port).
func (p *process) serving() bool {
	resp, err := fourLetter(p.addr, "srvr", time.Second)
	if err != nil || !strings.Contains(resp, "Mode:") {
		return false
	}
	conf, err := fourLetter(p.addr, "conf", time.Second)
	return err == nil && strings.Contains(conf, "dataDir="+filepath.Join(p.dir, "data")+string(filepath.Separator))
}

func (p *process) exitError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

// stop ends the JVM with sig (SIGTERM: orderly; SIGKILL: a crash) and waits for it to exit.
func (p *process) stop(sig syscall.Signal) error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	return nil
}

func (p *process) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// logTail returns the last n lines of the server log.
func (p *process) logTail(n int) string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// fourLetter sends a ZooKeeper four-letter-word command and returns the reply.
func fourLetter(addr, cmd string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(cmd)); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(bufio.NewReader(c))
	return buf.String(), err
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("zktest: find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// zooCfg renders a zoo.cfg. peers is empty for a standalone server.
func zooCfg(dataDir string, port int, tick time.Duration, fsync bool, peers []string) string {
	tickMs := max(int(tick/time.Millisecond), 1)
	var b strings.Builder
	fmt.Fprintf(&b, "# written by cassmesos internal/zktest\n")
	fmt.Fprintf(&b, "tickTime=%d\n", tickMs)
	fmt.Fprintf(&b, "initLimit=%d\n", max(10_000/tickMs, 10))
	fmt.Fprintf(&b, "syncLimit=%d\n", max(5_000/tickMs, 5))
	fmt.Fprintf(&b, "minSessionTimeout=%d\n", 2*tickMs)
	fmt.Fprintf(&b, "maxSessionTimeout=%d\n", max(300*tickMs, 60_000))
	fmt.Fprintf(&b, "dataDir=%s\n", dataDir)
	fmt.Fprintf(&b, "clientPort=%d\n", port)
	fmt.Fprintf(&b, "clientPortAddress=127.0.0.1\n")
	fmt.Fprintf(&b, "maxClientCnxns=0\n")
	fmt.Fprintf(&b, "admin.enableServer=false\n")
	fmt.Fprintf(&b, "4lw.commands.whitelist=ruok,srvr,stat,mntr,cons,dump,conf\n")
	fmt.Fprintf(&b, "forceSync=%s\n", map[bool]string{true: "yes", false: "no"}[fsync])
	if len(peers) > 0 {
		fmt.Fprintf(&b, "reconfigEnabled=false\n")
		fmt.Fprintf(&b, "standaloneEnabled=false\n")
		fmt.Fprintf(&b, "cnxTimeout=1000\n")
		for _, p := range peers {
			b.WriteString(p + "\n")
		}
	}
	return b.String()
}

// Server is one running standalone ZooKeeper server.
type Server struct {
	proc    *process
	ownsDir bool
	port    int
}

// Run starts a standalone server and waits until it serves. Close stops it.
func Run(cfg Config) (*Server, error) {
	inst, err := findInstall()
	if err != nil {
		return nil, err
	}
	dir, ownsDir := cfg.Dir, false
	if dir == "" {
		if dir, err = os.MkdirTemp("", "zktest-"); err != nil {
			return nil, fmt.Errorf("zktest: %w", err)
		}
		ownsDir = true
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	dir, _ = filepath.Abs(dir)
	s, err := runIn(inst, dir, cfg)
	if err != nil {
		if ownsDir {
			os.RemoveAll(dir)
		}
		return nil, err
	}
	s.ownsDir = ownsDir
	return s, nil
}

func runIn(inst install, dir string, cfg Config) (*Server, error) {
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	timeout := cfg.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	// A free port can be taken between probing and the JVM binding it: try a few.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := cfg.Port
		if port == 0 {
			ports, err := freePorts(1)
			if err != nil {
				return nil, err
			}
			port = ports[0]
		}
		cfgPath := filepath.Join(dir, "zoo.cfg")
		if err := os.WriteFile(cfgPath, []byte(zooCfg(dataDir, port, cfg.tick(), cfg.Fsync, nil)), 0o644); err != nil {
			return nil, fmt.Errorf("zktest: %w", err)
		}
		p := &process{
			inst: inst, dir: dir, cfgPath: cfgPath, logPath: filepath.Join(dir, "zookeeper.log"),
			addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), timeout: timeout,
		}
		lastErr = p.start()
		if lastErr == nil {
			return &Server{proc: p, port: port}, nil
		}
		_ = p.stop(syscall.SIGKILL)
		if cfg.Port != 0 || !strings.Contains(p.logTail(200), "Address already in use") {
			break
		}
	}
	return nil, lastErr
}

// ConnectString is the client address, "127.0.0.1:<port>".
func (s *Server) ConnectString() string { return s.proc.addr }

// Servers is the address list for zk.Connect.
func (s *Server) Servers() []string { return []string{s.proc.addr} }

// Port is the client port.
func (s *Server) Port() int { return s.port }

// Dir is the directory holding zoo.cfg, data/ and zookeeper.log.
func (s *Server) Dir() string { return s.proc.dir }

// LogPath is the server's log file.
func (s *Server) LogPath() string { return s.proc.logPath }

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string { return s.proc.logTail(n) }

// StartupTime is how long the last start took, from launching java to the server serving.
func (s *Server) StartupTime() time.Duration {
	s.proc.mu.Lock()
	defer s.proc.mu.Unlock()
	return s.proc.startDur
}

// Running reports whether the server process is alive.
func (s *Server) Running() bool { return s.proc.running() }

// Stop shuts the server down in an orderly way (SIGTERM) and waits for it to exit. Its port and
// data stay, so Start brings the same server back; clients' sessions survive if it comes back
// within their timeout.
func (s *Server) Stop() error { return s.proc.stop(syscall.SIGTERM) }

// Kill ends the server abruptly (SIGKILL), as a crash would.
func (s *Server) Kill() error { return s.proc.stop(syscall.SIGKILL) }

// Start starts a stopped server again on the same port with the same data.
func (s *Server) Start() error { return s.proc.start() }

// Restart is Stop then Start.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start()
}

// Close stops the server and removes its directory if Run created it.
func (s *Server) Close() error {
	err := s.Kill()
	if s.ownsDir {
		if rerr := os.RemoveAll(s.proc.dir); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}
