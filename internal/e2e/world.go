package e2e

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/cassmesos/cassmesos/executor/render"
	"github.com/cassmesos/cassmesos/internal/cassandrasim"
	"github.com/cassmesos/cassmesos/internal/mesossim"
	"github.com/cassmesos/cassmesos/internal/secrets"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// DefaultAgentResources offer Cassandra's static ports, as the daemon needs.
const DefaultAgentResources = "cpus:4;mem:8192;disk:65536;ports:[7000-7001,7199-7199,9042-9042,31000-32000]"

// Options configure a World. Zero values take the defaults named on each field.
type Options struct {
	// Agents is the number of simulated agents (default 5). Agent i has the address AgentIP(i).
	Agents int
	// AgentResources, once for every agent or once per agent (default DefaultAgentResources).
	AgentResources []string
	// AgentAttributes, once for every agent or once per agent (default: the simulator's racks r1..r3).
	AgentAttributes []string
	// HeartbeatInterval of the master's scheduler heartbeats (default 1s).
	HeartbeatInterval time.Duration
	// AllocationInterval of the master's offer rounds (default: the simulator's, 1s).
	AllocationInterval time.Duration
	// AgentUnreachableTimeout and AgentGoneTimeout (defaults 3s and 30s).
	AgentUnreachableTimeout, AgentGoneTimeout time.Duration
	// StatusUpdateRetry is the first retry of an unacknowledged status update (default 1s).
	StatusUpdateRetry time.Duration
	// ExecutorShutdownGracePeriod (default: the simulator's, 5s).
	ExecutorShutdownGracePeriod time.Duration
	// MesosSimFlags are added to mesos-sim's command line (after the harness's own).
	MesosSimFlags []string
	// DaemonFlags are added to cassmesosd's command line (after the harness's own, so they win).
	DaemonFlags []string
	// CassandraKnobs are the stand-in's knobs (names as in conf/cassandra-sim.properties), given to
	// every node as CASSANDRA_SIM_* through the agents' environment; they override
	// cassandrasim.FastKnobs(), which every world starts from. action_log is set by the harness.
	CassandraKnobs map[string]string
	// ExecutorEnv is extra environment for every executor (through the agents' environment).
	// CASSMESOS_EXECUTOR_HEALTH_INTERVAL defaults to 500ms.
	ExecutorEnv map[string]string
	// Insecure runs the daemon with --insecure (plaintext everywhere); by default the world has
	// its own CA (`cassmesosd certs init`) and runs TLS with client certificates required.
	Insecure bool
	// NoDaemon leaves cassmesosd stopped; call StartDaemon.
	NoDaemon bool
	// TaskPollInterval is how often the task tracker reads the simulator's state (default 100ms).
	TaskPollInterval time.Duration
	// Tarball is the Cassandra distribution the daemon hands its nodes: "" for the stand-in, or
	// RealTarball(t) for real Apache Cassandra 5.0.
	Tarball string
}

// World is one local cluster: a mesos-sim process (master and agents), a cassmesosd process, a
// ZooKeeper chroot on the shared server, and the stand-in's tarball. All methods that take no
// testing.TB fail the world's test on an unexpected error; they may be called from the test's
// goroutine only (WaitFor, CLI and the fault methods), except where noted.
type World struct {
	t    testing.TB
	opts Options
	bins Binaries
	id   string
	dir  string
	ip   func(i int) string

	zkAddr string
	chroot string
	// zkDigest is the daemon's ZooKeeper credentials (also in zk-digest, 0600); secret.key holds
	// the key its task secrets are derived from.
	zkDigest string

	masterAddr, grpcAddr, artifactAddr string

	mu     sync.Mutex
	sim    *proc
	daemon *proc
	conn   *grpc.ClientConn
	store  *zkstate.Store

	distOnce sync.Once
	distHome string
	distErr  error

	tracker *taskTracker
	proxies map[int]*zkProxy // SpawnDaemon's ZooKeeper proxies, by slot
}

var blocks = struct {
	sync.Mutex
	used map[[2]int]bool
}{used: map[[2]int]bool{}}

// pickBlock returns a loopback block no other world of this binary uses, whose master, daemon and
// first agent ports are free. It stays clear of 127.0.*, and of 127.100-254.* which
// cassandrasim.LoopbackBlock hands out to other packages' tests.
// A world of more than 253 agents takes the next blocks too (mesos-sim counts its agents' addresses
// on into them, see World.AgentIP).
func pickBlock(agents int) (func(int) string, error) {
	blocks.Lock()
	defer blocks.Unlock()
	span := 1 + agents/254 // blocks: 253 agents in the first (.2-.254), 254 in each next
	for range 50 {
		k := [2]int{10 + rand.IntN(90), rand.IntN(257 - span)}
		taken := false
		for j := range span {
			taken = taken || blocks.used[[2]int{k[0], k[1] + j}]
		}
		if taken {
			continue
		}
		ip := func(i int) string { return fmt.Sprintf("127.%d.%d.%d", k[0], k[1], i) }
		free := true
		for _, addr := range []string{ip(1) + ":5050", ip(1) + ":9090", ip(1) + ":9091", ip(2) + ":5051", ip(2) + ":7000", ip(2) + ":9042"} {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				free = false
				break
			}
			_ = l.Close()
		}
		if free {
			for j := range span {
				blocks.used[[2]int{k[0], k[1] + j}] = true
			}
			return ip, nil
		}
	}
	return nil, fmt.Errorf("e2e: no free loopback block found")
}

// NewWorld starts a world for the test and stops every part of it when the test ends.
func NewWorld(t testing.TB, opts Options) *World {
	t.Helper()
	zkSrv := sharedZK(t)
	bins, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Agents == 0 {
		opts.Agents = 5
	}
	if len(opts.AgentResources) == 0 {
		opts.AgentResources = []string{DefaultAgentResources}
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = time.Second
	}
	if opts.AgentUnreachableTimeout == 0 {
		opts.AgentUnreachableTimeout = 3 * time.Second
	}
	if opts.AgentGoneTimeout == 0 {
		opts.AgentGoneTimeout = 30 * time.Second
	}
	if opts.StatusUpdateRetry == 0 {
		opts.StatusUpdateRetry = time.Second
	}
	if opts.TaskPollInterval == 0 {
		opts.TaskPollInterval = 100 * time.Millisecond
	}
	ip, err := pickBlock(opts.Agents)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	id := strings.ReplaceAll(ip(0), ".", "-")
	w := &World{
		t: t, opts: opts, bins: bins, id: id, dir: dir, ip: ip,
		zkAddr: zkSrv.ConnectString(), chroot: "/e2e/" + id,
		masterAddr: ip(1) + ":5050", grpcAddr: ip(1) + ":9090", artifactAddr: ip(1) + ":9091",
	}
	t.Cleanup(w.close)
	w.zkDigest = "cassmesos:" + strings.ToLower(crand.Text())
	if err := os.WriteFile(filepath.Join(dir, "zk-digest"), []byte(w.zkDigest+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := secrets.GenerateKeyFile(w.SecretKeyPath()); err != nil {
		t.Fatal(err)
	}
	// Framework authentication: the master takes this principal and secret only (mesos-sim
	// --credentials), and the daemon authenticates with them (--principal, --secret-file).
	mesosSecret := strings.ToLower(crand.Text())
	if err := os.WriteFile(filepath.Join(dir, "mesos-credentials"), []byte(MesosPrincipal+" "+mesosSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mesos-secret"), []byte(mesosSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("e2e: world %s in %s (master %s, daemon %s, ZooKeeper %s%s)", id, dir, w.masterAddr, w.grpcAddr, w.zkAddr, w.chroot)
	w.initPKI()
	w.startSim()
	w.tracker = startTracker(w, opts.TaskPollInterval)
	if !opts.NoDaemon {
		w.StartDaemon()
	}
	return w
}

// Dir is the world's directory: logs (mesos-sim.log, cassmesosd.log), the simulator's work dir
// (mesos/), the action log.
func (w *World) Dir() string { return w.dir }

// AgentIP is agent i's address (its hostname, and the address of the Cassandra node on it).
// Past 127.a.b.254 the addresses go on in the next blocks, skipping host octets 0 and 255, as
// mesos-sim counts them (--first-agent-ip).
func (w *World) AgentIP(i int) string {
	if i < 253 {
		return w.ip(2 + i)
	}
	var a, b int
	_, _ = fmt.Sscanf(w.ip(0), "127.%d.%d.0", &a, &b)
	j := i - 253
	return fmt.Sprintf("127.%d.%d.%d", a, b+1+j/254, 1+j%254)
}

// MasterURL is the simulated master, "http://host:port".
func (w *World) MasterURL() string { return "http://" + w.masterAddr }

// DaemonAddr is cassmesosd's gRPC address (the CLI's --server).
func (w *World) DaemonAddr() string { return w.grpcAddr }

// ActionLogPath is the file every stand-in node of the world appends its actions to.
func (w *World) ActionLogPath() string { return filepath.Join(w.dir, "actions.jsonl") }

// Binaries are the programs the world runs.
func (w *World) Binaries() Binaries { return w.bins }

// marker is the value of markerEnv for this world's processes.
func (w *World) marker() string { return run.id + "/" + w.id }

func (w *World) baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, markerEnv+"=") || strings.HasPrefix(kv, "CASSANDRA_SIM_") ||
			strings.HasPrefix(kv, "CASSMESOS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, markerEnv+"="+w.marker())
}

func (w *World) startSim() {
	o := w.opts
	args := []string{
		"--listen", w.masterAddr, "--agents", fmt.Sprint(o.Agents), "--work-dir", filepath.Join(w.dir, "mesos"),
		"--first-agent-ip", w.AgentIP(0), "--agent-port", "5051",
		"--heartbeat-interval", o.HeartbeatInterval.String(),
		"--agent-unreachable-timeout", o.AgentUnreachableTimeout.String(),
		"--agent-gone-timeout", o.AgentGoneTimeout.String(),
		"--status-update-retry", o.StatusUpdateRetry.String(),
	}
	if o.AllocationInterval > 0 {
		args = append(args, "--allocation-interval", o.AllocationInterval.String())
	}
	if o.ExecutorShutdownGracePeriod > 0 {
		args = append(args, "--executor-shutdown-grace-period", o.ExecutorShutdownGracePeriod.String())
	}
	for _, r := range o.AgentResources {
		args = append(args, "--agent-resources", r)
	}
	for _, a := range o.AgentAttributes {
		args = append(args, "--agent-attributes", a)
	}
	args = append(args, "--credentials", filepath.Join(w.dir, "mesos-credentials"))
	args = append(args, o.MesosSimFlags...)

	env := w.baseEnv()
	knobs := cassandrasim.FastKnobs()
	for k, v := range o.CassandraKnobs {
		knobs[k] = v
	}
	knobs["action_log"] = w.ActionLogPath()
	for k, v := range knobs {
		env = append(env, "CASSANDRA_SIM_"+strings.ToUpper(k)+"="+v)
	}
	execEnv := map[string]string{"CASSMESOS_EXECUTOR_HEALTH_INTERVAL": "500ms"}
	for k, v := range o.ExecutorEnv {
		execEnv[k] = v
	}
	for k, v := range execEnv {
		env = append(env, k+"="+v)
	}
	w.sim = w.spawn("mesos-sim", w.bins.MesosSim, args, env)
	w.WaitFor(30*time.Second, func() bool {
		if w.sim.exited() {
			w.t.Fatalf("e2e: mesos-sim exited at start:\n%s", tail(w.sim.log, 30))
		}
		resp, err := http.Get(w.MasterURL() + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "mesos-sim to answer /health")
}

// StartDaemon starts cassmesosd (if it is not running) and waits until it leads: it has won the
// election (after a KillDaemon, once ZooKeeper has expired the old session) and answers RPCs.
func (w *World) StartDaemon() {
	w.t.Helper()
	w.mu.Lock()
	if w.daemon != nil && !w.daemon.exited() {
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	args := []string{
		"--master", w.MasterURL(), "--zk", w.zkAddr + w.chroot,
		"--listen", w.grpcAddr, "--artifact-listen", w.artifactAddr,
		"--cassandra-url", w.Tarball(), "--executor-path", w.bins.Executor,
		"--zk-session-timeout", "4s",
		"--zk-digest-file", filepath.Join(w.dir, "zk-digest"), "--secret-key-file", w.SecretKeyPath(),
	}
	args = append(args, w.mesosAuthFlags()...)
	args = append(args, w.daemonTLSFlags()...)
	args = append(args, w.opts.DaemonFlags...)
	d := w.spawn("cassmesosd", w.bins.Daemon, args, w.baseEnv())
	w.mu.Lock()
	w.daemon = d
	w.mu.Unlock()
	sys := cassmesosv1.NewSystemServiceClient(w.Conn())
	w.WaitFor(60*time.Second, func() bool {
		if d.exited() {
			w.t.Fatalf("e2e: cassmesosd exited at start:\n%s", tail(d.log, 40))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		v, err := sys.GetVersion(ctx, &cassmesosv1.GetVersionRequest{})
		return err == nil && v.GetIsLeader()
	}, "cassmesosd to lead")
}

// KillDaemon kills cassmesosd with SIGKILL (its whole process group) and waits until it is gone.
func (w *World) KillDaemon() {
	w.t.Helper()
	w.signalDaemon(syscall.SIGKILL, 10*time.Second)
}

// StopDaemon stops cassmesosd with SIGTERM and waits for it to exit.
func (w *World) StopDaemon() {
	w.t.Helper()
	w.signalDaemon(syscall.SIGTERM, 30*time.Second)
}

// signalDaemon sends sig to the running cassmesosd, if any, and waits up to timeout for it to exit.
func (w *World) signalDaemon(sig syscall.Signal, timeout time.Duration) {
	w.t.Helper()
	w.mu.Lock()
	d := w.daemon
	w.mu.Unlock()
	if d == nil {
		return
	}
	d.signal(sig)
	d.wait(w.t, timeout)
}

// admin POSTs to the simulator's admin endpoint and fails the test unless it answers 200.
func (w *World) admin(path string) {
	w.t.Helper()
	resp, err := http.Post(w.MasterURL()+path, "text/plain", nil)
	if err != nil {
		w.t.Fatalf("e2e: POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("e2e: POST %s: %s: %s", path, resp.Status, b)
	}
	w.t.Logf("e2e: fault %s", path)
}

// RestartMaster fails the master over (POST /admin/master/restart): streams drop, offers vanish,
// frameworks must re-subscribe.
func (w *World) RestartMaster() { w.t.Helper(); w.admin("/admin/master/restart") }

// KillAgent kills agent i: its executors and tasks get SIGKILL and its endpoint closes.
func (w *World) KillAgent(i int) { w.t.Helper(); w.admin(fmt.Sprintf("/admin/agents/%d/kill", i)) }

// PartitionAgent cuts agent i off from the master; its processes keep running.
func (w *World) PartitionAgent(i int) {
	w.t.Helper()
	w.admin(fmt.Sprintf("/admin/agents/%d/partition", i))
}

// HealAgent ends a partition of agent i or restarts it after KillAgent.
func (w *World) HealAgent(i int) { w.t.Helper(); w.admin(fmt.Sprintf("/admin/agents/%d/heal", i)) }

// KillExecutor SIGKILLs one executor process (the agent then destroys its container).
func (w *World) KillExecutor(frameworkID, executorID string) {
	w.t.Helper()
	w.admin(fmt.Sprintf("/admin/frameworks/%s/executors/%s/kill", frameworkID, executorID))
}

// Admin POSTs any other admin request (e.g. "/admin/status-updates/delay?duration=2s").
func (w *World) Admin(pathAndQuery string) { w.t.Helper(); w.admin(pathAndQuery) }

// MesosState is the simulator's view (GET /admin/state): frameworks, and per agent its tasks,
// executors, reservations and volumes.
func (w *World) MesosState() mesossim.Snapshot {
	w.t.Helper()
	s, err := w.mesosState()
	if err != nil {
		w.t.Fatalf("e2e: %v", err)
	}
	return s
}

func (w *World) mesosState() (mesossim.Snapshot, error) {
	var s mesossim.Snapshot
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(w.MasterURL() + "/admin/state")
	if err != nil {
		return s, fmt.Errorf("GET /admin/state: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET /admin/state: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return s, fmt.Errorf("GET /admin/state: %w", err)
	}
	return s, nil
}

// MasterState is GET /master/state decoded as generic JSON.
func (w *World) MasterState() map[string]any {
	w.t.Helper()
	resp, err := http.Get(w.MasterURL() + "/master/state")
	if err != nil {
		w.t.Fatalf("e2e: GET /master/state: %v", err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		w.t.Fatalf("e2e: GET /master/state: %v", err)
	}
	return m
}

// Conn is a gRPC connection to the daemon (it reconnects across daemon restarts). Closed with
// the world.
func (w *World) Conn() *grpc.ClientConn {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		c, err := grpc.NewClient(w.grpcAddr, w.transportCreds())
		if err != nil {
			w.t.Fatalf("e2e: gRPC client: %v", err)
		}
		w.conn = c
	}
	return w.conn
}

// GetRing asks the daemon for a ring and its nodes.
func (w *World) GetRing(name string) (*cassmesosv1.GetRingResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return cassmesosv1.NewRingServiceClient(w.Conn()).GetRing(ctx, &cassmesosv1.GetRingRequest{Name: name})
}

// Ring is GetRing, nil when the call fails (not found, daemon down): handy inside WaitFor.
func (w *World) Ring(name string) *cassmesosv1.GetRingResponse {
	r, err := w.GetRing(name)
	if err != nil {
		return nil
	}
	return r
}

// Operations lists the ring's operations, finished ones included, newest first.
func (w *World) Operations(ring string) ([]*cassmesosv1.Operation, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := cassmesosv1.NewOperationServiceClient(w.Conn()).ListOperations(ctx,
		&cassmesosv1.ListOperationsRequest{Ring: ring, All: true, Limit: 1000})
	if err != nil {
		return nil, err
	}
	return r.GetOperations(), nil
}

// UpNormal counts the ring's nodes the daemon reports UN (liveness UP, mode NORMAL).
func UpNormal(r *cassmesosv1.GetRingResponse) int {
	n := 0
	for _, nd := range r.GetNodes() {
		if nd.GetLiveness() == cassmesosv1.Liveness_LIVENESS_UP && nd.GetMode() == cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
			n++
		}
	}
	return n
}

// SecretKeyPath is the daemon's --secret-key-file.
func (w *World) SecretKeyPath() string { return filepath.Join(w.dir, "secret.key") }

// MesosPrincipal is the principal the daemon authenticates to the (simulated) master with.
const MesosPrincipal = "cassmesos"

// mesosAuthFlags are cassmesosd's framework authentication flags for the world's master.
func (w *World) mesosAuthFlags() []string {
	return []string{"--principal", MesosPrincipal, "--secret-file", filepath.Join(w.dir, "mesos-secret")}
}

// ZKCredentials are the daemon's ZooKeeper digest credentials, "user:password".
func (w *World) ZKCredentials() string { return w.zkDigest }

// ZK is an unfenced store on the world's ZooKeeper root, for checking records. Closed with the
// world.
func (w *World) ZK() *zkstate.Store {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.store == nil {
		servers, _, err := zkstate.ParseConnectString(w.zkAddr)
		if err != nil {
			w.t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s, err := zkstate.Open(ctx, zkstate.Config{Servers: servers, Chroot: w.chroot, Framework: "cassmesos", Credentials: w.zkDigest})
		if err != nil {
			w.t.Fatalf("e2e: zkstate.Open: %v", err)
		}
		w.store = s
	}
	return w.store
}

// CLI runs the real cassmesos binary with --server pointing at the world's daemon and returns its
// stdout, stderr and exit code (a run that cannot start fails the test). It has 5 minutes.
func (w *World) CLI(args ...string) (stdout, stderr string, exit int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.bins.CLI, append([]string{"--server", w.grpcAddr}, args...)...)
	cmd.Env = append(append(w.baseEnv(), w.cliEnv()...), "CASSMESOS_CONFIG="+filepath.Join(w.dir, "cli-config.yaml"))
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	begin := time.Now()
	err := cmd.Run()
	exit = cmd.ProcessState.ExitCode()
	if err != nil && exit < 0 {
		w.t.Fatalf("e2e: cassmesos %s: %v", strings.Join(args, " "), err)
	}
	w.t.Logf("e2e: cassmesos %s: exit %d after %v", strings.Join(args, " "), exit, time.Since(begin).Round(time.Millisecond))
	return out.String(), errOut.String(), exit
}

// Tarball is the Cassandra tarball the world's daemon serves to its nodes.
func (w *World) Tarball() string {
	if w.opts.Tarball != "" {
		return w.opts.Tarball
	}
	return w.bins.Tarball
}

// Nodetool runs the distribution's bin/nodetool (from the world's unpacked tarball) against the
// node at addr, as an operator would on that host.
func (w *World) Nodetool(addr string, args ...string) (stdout, stderr string, exit int) {
	w.t.Helper()
	return w.nodetool(append(w.jmxCredentials(addr, 0), append([]string{"-h", addr}, args...)...))
}

// jmxCredentials are the -u/-pwf options an operator on the node's host uses: the nodetool
// credentials file the executor wrote (0600) into the sandbox of the node at host (port, when
// not 0, its JMX port), the newest when several sandboxes match. None found: no options.
func (w *World) jmxCredentials(host string, port int) []string {
	best, bestTime := "", time.Time{}
	_ = filepath.WalkDir(filepath.Join(w.dir, "mesos"), func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || de.Name() != render.NodetoolCredentialsFile {
			return nil
		}
		conf := filepath.Dir(p)
		if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
			y, _ := os.ReadFile(filepath.Join(conf, "cassandra.yaml"))
			if !strings.Contains(string(y), "listen_address: "+host+"\n") {
				return nil
			}
		}
		if port != 0 {
			env, _ := os.ReadFile(filepath.Join(conf, "cassandra-env.sh"))
			if !strings.Contains(string(env), fmt.Sprintf("JMX_PORT=\"%d\"", port)) {
				return nil
			}
		}
		if st, err := os.Stat(p); err == nil && st.ModTime().After(bestTime) {
			best, bestTime = p, st.ModTime()
		}
		return nil
	})
	if best == "" {
		return nil
	}
	return []string{"-u", render.JMXUser, "-pwf", best}
}

// NodetoolJMX runs bin/nodetool against the JMX server at host:port (real Cassandra binds local
// JMX to 127.0.0.1, each node on its own port).
func (w *World) NodetoolJMX(host string, port int, args ...string) (stdout, stderr string, exit int) {
	w.t.Helper()
	return w.nodetool(append(w.jmxCredentials(host, port), append([]string{"-h", host, "-p", fmt.Sprint(port)}, args...)...))
}

func (w *World) nodetool(args []string) (stdout, stderr string, exit int) {
	w.t.Helper()
	w.distOnce.Do(w.unpackDist)
	if w.distErr != nil {
		w.t.Fatalf("e2e: unpacking the tarball: %v", w.distErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(w.distHome, "bin", "nodetool"), args...)
	cmd.Env = w.baseEnv()
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	exit = cmd.ProcessState.ExitCode()
	if err != nil && exit < 0 {
		w.t.Fatalf("e2e: nodetool %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), exit
}

func (w *World) unpackDist() {
	dest := filepath.Join(w.dir, "dist")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		w.distErr = err
		return
	}
	if out, err := exec.Command("tar", "xzf", w.Tarball(), "-C", dest).CombinedOutput(); err != nil {
		w.distErr = fmt.Errorf("tar: %v: %s", err, out)
		return
	}
	homes, _ := filepath.Glob(filepath.Join(dest, "*", "bin", "nodetool"))
	if len(homes) != 1 {
		w.distErr = fmt.Errorf("%s holds %d distributions (bin/nodetool), want 1", w.Tarball(), len(homes))
		return
	}
	w.distHome = filepath.Dir(filepath.Dir(homes[0]))
}

// StatusCodes runs `nodetool status` against addr and returns each listed address's two-letter
// code (UN, UJ, DN, ...).
func (w *World) StatusCodes(addr string) (map[string]string, error) {
	out, errOut, code := w.Nodetool(addr, "status")
	if code != 0 {
		return nil, fmt.Errorf("nodetool -h %s status: exit %d: %s%s", addr, code, out, errOut)
	}
	res := map[string]string{}
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && len(f[0]) == 2 && strings.ContainsAny(f[0][:1], "UD?") && net.ParseIP(f[1]) != nil {
			res[f[1]] = f[0]
		}
	}
	return res, nil
}

// ActionLog is every action the world's stand-in nodes have logged so far (nil before any).
func (w *World) ActionLog() []cassandrasim.Action {
	w.t.Helper()
	acts, err := cassandrasim.ReadActions(w.ActionLogPath())
	if err != nil {
		if os.IsNotExist(err) || strings.Contains(err.Error(), "no such file") {
			return nil
		}
		w.t.Fatalf("e2e: reading the action log: %v", err)
	}
	return acts
}

// WaitFor polls cond every 50 ms until it holds and fails the test after timeout, naming what it
// waited for.
func (w *World) WaitFor(timeout time.Duration, cond func() bool, what string, args ...any) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("e2e: timed out after %v waiting for %s", timeout, fmt.Sprintf(what, args...))
		}
		<-tick.C
	}
}

// Eventually polls check every 50 ms until it returns nil and fails the test after timeout with
// the last error it returned, naming what it waited for.
func (w *World) Eventually(timeout time.Duration, check func() error, what string, args ...any) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("e2e: timed out after %v waiting for %s: %v", timeout, fmt.Sprintf(what, args...), err)
		}
		<-tick.C
	}
}

// close stops everything: the tracker, the daemon (SIGKILL), the simulator (SIGTERM: it destroys
// its executors), then anything left that carries the world's marker.
func (w *World) close() {
	if w.tracker != nil {
		w.tracker.stop()
	}
	if w.t.Failed() {
		w.dumpLogs()
		if keep := os.Getenv("CASSMESOS_E2E_KEEP"); keep != "" {
			dest := filepath.Join(keep, w.id)
			if out, err := exec.Command("cp", "-a", w.dir, dest).CombinedOutput(); err != nil {
				w.t.Logf("e2e: keeping the world's directory: %v: %s", err, out)
			} else {
				w.t.Logf("e2e: the world's directory is kept in %s", dest)
			}
		}
	}
	w.mu.Lock()
	d, sim, conn, store := w.daemon, w.sim, w.conn, w.store
	w.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
	if store != nil {
		store.Close()
	}
	if d != nil {
		d.signal(syscall.SIGKILL)
		d.waitQuiet(10 * time.Second)
	}
	if sim != nil {
		sim.signal(syscall.SIGTERM)
		if !sim.waitQuiet(15 * time.Second) {
			sim.signal(syscall.SIGKILL)
			sim.waitQuiet(5 * time.Second)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		left := markedProcesses(w.marker())
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			w.t.Errorf("e2e: world %s: processes survive SIGKILL: %v", w.id, left)
			return
		}
		killAll(left)
		time.Sleep(50 * time.Millisecond) // polling the process table until the kills land
	}
}

func (w *World) dumpLogs() {
	w.mu.Lock()
	d, sim := w.daemon, w.sim
	w.mu.Unlock()
	if d != nil {
		w.t.Logf("e2e: tail of %s:\n%s", d.log, tail(d.log, 80))
	}
	if sim != nil {
		w.t.Logf("e2e: tail of %s:\n%s", sim.log, tail(sim.log, 40))
	}
	var files []string
	_ = filepath.WalkDir(filepath.Join(w.dir, "mesos"), func(p string, de os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !de.IsDir() && (de.Name() == "stderr" || de.Name() == "system.log") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	for _, f := range files {
		w.t.Logf("e2e: tail of %s:\n%s", f, tail(f, 15))
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
