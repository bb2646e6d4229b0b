package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cassmesos/cassmesos/internal/mesossim"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Daemon is one cassmesosd of a world that runs several (a leader and standbys on the same
// ZooKeeper root and framework), started with SpawnDaemon. Slot k listens on the master's address
// at ports 9090+2k (gRPC) and 9091+2k (artifacts); slot 0 is the address StartDaemon uses. Each
// daemon reaches ZooKeeper through a proxy of its own, so that it alone can be cut off.
type Daemon struct {
	w    *World
	Slot int
	// Addr is its gRPC address, ArtifactAddr its artifact server's.
	Addr, ArtifactAddr string
	// SpecFile is the failpoint spec file it follows (CASSMESOS_FAILPOINTS_FILE).
	SpecFile string
	proc     *proc
	proxy    *zkProxy
}

// DaemonOptions configure SpawnDaemon.
type DaemonOptions struct {
	// Env is extra environment (e.g. CASSMESOS_FAILPOINT_LOG).
	Env map[string]string
	// Failpoints is the daemon's initial failpoint spec (written to its SpecFile).
	Failpoints string
}

// SpawnDaemon starts a cassmesosd in slot (it does not wait for it to lead: see WaitLeader). A
// slot's earlier daemon must have exited. The daemon follows its own failpoint spec file
// (SetFailpoints) and reaches ZooKeeper through its own proxy (CutZK, HealZK).
func (w *World) SpawnDaemon(slot int, o DaemonOptions) *Daemon {
	w.t.Helper()
	host, _, _ := net.SplitHostPort(w.masterAddr)
	d := &Daemon{
		w: w, Slot: slot,
		Addr:         net.JoinHostPort(host, fmt.Sprint(9090+2*slot)),
		ArtifactAddr: net.JoinHostPort(host, fmt.Sprint(9091+2*slot)),
		SpecFile:     filepath.Join(w.dir, fmt.Sprintf("failpoints-%d.spec", slot)),
	}
	if err := os.WriteFile(d.SpecFile, []byte(o.Failpoints), 0o644); err != nil {
		w.t.Fatal(err)
	}
	d.proxy = w.daemonProxy(slot)
	args := []string{
		"--master", w.MasterURL(), "--zk", d.proxy.addr() + w.chroot,
		"--listen", d.Addr, "--artifact-listen", d.ArtifactAddr,
		"--cassandra-url", w.Tarball(), "--executor-path", w.bins.Executor,
		"--zk-session-timeout", "4s",
	}
	args = append(args, w.opts.DaemonFlags...)
	env := append(w.baseEnv(), "CASSMESOS_FAILPOINTS_FILE="+d.SpecFile)
	for k, v := range o.Env {
		env = append(env, k+"="+v)
	}
	d.proc = w.spawn(fmt.Sprintf("cassmesosd-%d", slot), w.bins.Daemon, args, env)
	w.t.Cleanup(func() {
		if w.t.Failed() {
			w.t.Logf("e2e: tail of %s (pid %d):\n%s", d.proc.log, d.PID(), tail(d.proc.log, 60))
		}
		d.proc.signal(syscall.SIGKILL)
		d.proc.waitQuiet(10 * time.Second)
	})
	return d
}

// PID is the daemon's process ID.
func (d *Daemon) PID() int { return d.proc.cmd.Process.Pid }

// Exited reports whether the daemon's process has ended.
func (d *Daemon) Exited() bool { return d.proc.exited() }

// Log is the path of the daemon's log.
func (d *Daemon) Log() string { return d.proc.log }

// SetFailpoints replaces the daemon's armed failpoints (it re-reads its spec file within ~20 ms).
func (d *Daemon) SetFailpoints(spec string) {
	d.w.t.Helper()
	tmp := d.SpecFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(spec), 0o644); err != nil {
		d.w.t.Fatal(err)
	}
	if err := os.Rename(tmp, d.SpecFile); err != nil {
		d.w.t.Fatal(err)
	}
}

// Kill SIGKILLs the daemon (a stopped one too) and waits until it is gone.
func (d *Daemon) Kill() {
	d.w.t.Helper()
	d.proc.signal(syscall.SIGKILL)
	d.proc.wait(d.w.t, 10*time.Second)
}

// Freeze stops the daemon with SIGSTOP: it keeps its sockets but does nothing, so its
// ZooKeeper session expires. Thaw resumes it.
func (d *Daemon) Freeze() { d.proc.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen daemon with SIGCONT.
func (d *Daemon) Thaw() { d.proc.signal(syscall.SIGCONT) }

// CutZK cuts the daemon off from ZooKeeper (its proxy drops every connection and refuses new
// ones); the daemon keeps running and keeps its Mesos connection. HealZK ends the cut.
func (d *Daemon) CutZK() { d.proxy.setCut(true) }

// HealZK lets the daemon reach ZooKeeper again.
func (d *Daemon) HealZK() { d.proxy.setCut(false) }

// Version asks this daemon for its version and leadership (nil on error).
func (d *Daemon) Version() *cassmesosv1.GetVersionResponse {
	c, err := grpc.NewClient(d.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := cassmesosv1.NewSystemServiceClient(c).GetVersion(ctx, &cassmesosv1.GetVersionRequest{})
	if err != nil {
		return nil
	}
	return v
}

// Leads reports whether the daemon answers that it leads.
func (d *Daemon) Leads() bool { return !d.Exited() && d.Version().GetIsLeader() }

// WaitLeader waits until one of the daemons leads, points the world's CLI and Conn at it, and
// returns it.
func (w *World) WaitLeader(timeout time.Duration, among ...*Daemon) *Daemon {
	w.t.Helper()
	var leader *Daemon
	w.WaitFor(timeout, func() bool {
		for _, d := range among {
			if d.Leads() {
				leader = d
				return true
			}
		}
		return false
	}, "one of %d daemons to lead", len(among))
	w.UseDaemon(leader)
	return leader
}

// UseDaemon points the world's CLI and Conn at d.
func (w *World) UseDaemon(d *Daemon) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.grpcAddr == d.Addr {
		return
	}
	w.grpcAddr = d.Addr
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// daemonProxy returns slot's ZooKeeper proxy, started on first use and closed with the world.
func (w *World) daemonProxy(slot int) *zkProxy {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.proxies == nil {
		w.proxies = map[int]*zkProxy{}
	}
	if p := w.proxies[slot]; p != nil {
		p.setCut(false)
		return p
	}
	host, _, _ := net.SplitHostPort(w.masterAddr)
	target, _, _ := cutChroot(w.zkAddr)
	p, err := startZKProxy(host+":0", target)
	if err != nil {
		w.t.Fatalf("e2e: ZooKeeper proxy: %v", err)
	}
	w.proxies[slot] = p
	w.t.Cleanup(p.close)
	return p
}

// cutChroot returns the first server of a connect string.
func cutChroot(connect string) (string, string, error) {
	for i := 0; i < len(connect); i++ {
		if connect[i] == ',' || connect[i] == '/' {
			return connect[:i], connect[i:], nil
		}
	}
	return connect, "", nil
}

// zkProxy forwards TCP connections to a ZooKeeper server; while cut it drops them all.
type zkProxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
	closed bool
}

func startZKProxy(listen, target string) (*zkProxy, error) {
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	p := &zkProxy{l: l, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	return p, nil
}

func (p *zkProxy) addr() string { return p.l.Addr().String() }

func (p *zkProxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut || p.closed
		p.mu.Unlock()
		if cut {
			_ = c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *zkProxy) pipe(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.cut || p.closed {
		p.mu.Unlock()
		_ = c.Close()
		_ = up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	_ = c.Close()
	_ = up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *zkProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			_ = c.Close()
		}
	}
}

func (p *zkProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	_ = p.l.Close()
}

// Cqlsh runs one statement through the distribution's bin/cqlsh against the node at addr.
func (w *World) Cqlsh(addr, stmt string) error {
	w.distOnce.Do(w.unpackDist)
	if w.distErr != nil {
		return fmt.Errorf("unpacking the tarball: %w", w.distErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(w.distHome, "bin", "cqlsh"), addr, "-e", stmt)
	cmd.Env = w.baseEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cqlsh %s -e %q: %v: %s", addr, stmt, err, out)
	}
	return nil
}

// ZKMembers lists the election members' addresses (the leader first) as ZooKeeper holds them.
func (w *World) ZKMembers() ([]string, error) {
	s := w.ZK()
	conn := s.Conn()
	dir := s.Root() + "/leader"
	names, _, err := conn.Children(dir)
	if err != nil {
		return nil, err
	}
	sort.Strings(names) // member-<10-digit seq>: lexical order is sequence order
	var out []string
	for _, n := range names {
		b, _, err := conn.Get(dir + "/" + n)
		if err != nil {
			continue // gone meanwhile
		}
		out = append(out, string(b))
	}
	return out, nil
}

// MesosStateErr is MesosState returning its error instead of failing the test.
func (w *World) MesosStateErr() (mesossim.Snapshot, error) { return w.mesosState() }
