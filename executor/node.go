package executor

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/executor/agent"
	"github.com/cassmesos/cassmesos/executor/backup"
	"github.com/cassmesos/cassmesos/executor/mesosexec"
	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/executor/render"
	"github.com/cassmesos/cassmesos/executor/supervisor"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Options tune the executor (environment variables in Main).
type Options struct {
	// Sandbox is the task sandbox (MESOS_SANDBOX).
	Sandbox string
	// HealthInterval is the time between health probes once Cassandra is NORMAL (default 5s).
	HealthInterval time.Duration
	// HealthTransitionInterval is the time between health probes while Cassandra is starting,
	// joining, leaving or draining (default 200ms, backing off to HealthInterval while nothing
	// changes).
	HealthTransitionInterval time.Duration
	// DrainTimeout bounds nodetool drain before a stop (default 2m).
	DrainTimeout time.Duration
	// DefaultKillGrace is the SIGTERM→SIGKILL grace when neither the task nor Mesos gives one
	// (default 2m).
	DefaultKillGrace time.Duration
	Logger           *slog.Logger
}

// Defaults.
const (
	DefaultHealthInterval = 5 * time.Second
	DefaultDrainTimeout   = 2 * time.Minute
	DefaultKillGrace      = 2 * time.Minute
	// StateFile is the executor's note, in data_dir, that the node has bootstrapped.
	StateFile = "cassmesos-executor.json"
)

// Names of the files and directories the executor makes in the sandbox.
const (
	ConfDirName = "cassandra-conf"
	LogDirName  = "cassandra-logs"
)

type node struct {
	opts      Options
	log       *slog.Logger
	cfg       *cassmesosv1.NodeTaskConfig
	info      mesos.TaskInfo
	paths     render.Paths
	sup       *supervisor.Supervisor
	grpc      *grpc.Server
	report    func(mesosexec.Status)
	stateMu   sync.Mutex
	bootstrap bool   // state file says the node has bootstrapped
	hostID    string // the host ID the state file holds
	// confMu serialises writes of the conf directory (prepare, reloadSeeds); cfg.seeds is
	// replaced under stateMu.
	confMu sync.Mutex
}

// Launch is the mesosexec.LaunchFunc: it decodes the NodeTaskConfig, finds the distribution,
// starts the node's gRPC API and Cassandra.
func Launch(opts Options) mesosexec.LaunchFunc {
	if opts.HealthInterval <= 0 {
		opts.HealthInterval = DefaultHealthInterval
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	if opts.DefaultKillGrace <= 0 {
		opts.DefaultKillGrace = DefaultKillGrace
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, info mesos.TaskInfo, report func(mesosexec.Status)) (mesosexec.Task, error) {
		return launch(ctx, opts, info, report)
	}
}

// DecodeTaskConfig parses and checks TaskInfo.data: the fields only the executor uses here, the
// rest with render.CheckConfig (the rules the daemon validated the ring's spec with).
func DecodeTaskConfig(data []byte) (*cassmesosv1.NodeTaskConfig, error) {
	cfg := &cassmesosv1.NodeTaskConfig{}
	if err := proto.Unmarshal(data, cfg); err != nil {
		return nil, fmt.Errorf("%w: TaskInfo.data is not a NodeTaskConfig: %v", mesosexec.ErrInvalidTask, err)
	}
	switch {
	case net.ParseIP(cfg.GetAddress()) == nil:
		return nil, fmt.Errorf("%w: NodeTaskConfig.address %q is not an IP address", mesosexec.ErrInvalidTask, cfg.GetAddress())
	case cfg.GetAgentPort() == 0 || cfg.GetAgentPort() > 65535:
		return nil, fmt.Errorf("%w: NodeTaskConfig.agent_port %d out of range", mesosexec.ErrInvalidTask, cfg.GetAgentPort())
	case cfg.GetAgentSecret() == "":
		return nil, fmt.Errorf("%w: NodeTaskConfig.agent_secret is empty", mesosexec.ErrInvalidTask)
	case (len(cfg.GetAgentTlsCert()) == 0) != (len(cfg.GetAgentTlsKey()) == 0) || (len(cfg.GetAgentTlsCert()) == 0) != (len(cfg.GetAgentTlsCa()) == 0):
		return nil, fmt.Errorf("%w: NodeTaskConfig.agent_tls_cert, agent_tls_key and agent_tls_ca go together (all or none)", mesosexec.ErrInvalidTask)
	case cfg.GetDataDir() == "" || strings.Contains(cfg.GetDataDir(), ".."):
		return nil, fmt.Errorf("%w: NodeTaskConfig.data_dir %q must be a path inside the sandbox", mesosexec.ErrInvalidTask, cfg.GetDataDir())
	}
	if pw := cfg.GetJmxPassword(); pw != "" {
		if err := render.CheckJMXPassword(pw); err != nil {
			return nil, fmt.Errorf("%w: %w", mesosexec.ErrInvalidTask, err)
		}
	}
	// The daemon's own rules (internal/specrules): what it accepted passes here.
	if err := render.CheckConfig(cfg); err != nil {
		return nil, fmt.Errorf("%w: %w", mesosexec.ErrInvalidTask, err)
	}
	if _, err := render.JVMExtraOpts(cfg, 0); err != nil {
		return nil, fmt.Errorf("%w: %w", mesosexec.ErrInvalidTask, err)
	}
	return cfg, nil
}

// FindDistribution returns the single directory directly under sandbox holding bin/cassandra,
// and the one holding bin/java ("" when no runtime was shipped).
func FindDistribution(sandbox string) (home, javaHome string, err error) {
	entries, err := os.ReadDir(sandbox)
	if err != nil {
		return "", "", fmt.Errorf("sandbox: %w", err)
	}
	var homes, javas []string
	for _, e := range entries {
		dir := filepath.Join(sandbox, e.Name())
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		if isFile(filepath.Join(dir, "bin", "cassandra")) {
			homes = append(homes, dir)
		}
		if isFile(filepath.Join(dir, "bin", "java")) {
			javas = append(javas, dir)
		}
	}
	switch len(homes) {
	case 0:
		return "", "", fmt.Errorf("no Cassandra distribution (a directory with bin/cassandra) in the sandbox %s", sandbox)
	case 1:
	default:
		return "", "", fmt.Errorf("several Cassandra distributions in the sandbox: %s", strings.Join(homes, ", "))
	}
	if len(javas) > 1 {
		return "", "", fmt.Errorf("several Java runtimes in the sandbox: %s", strings.Join(javas, ", "))
	}
	if len(javas) == 1 {
		javaHome = javas[0]
	}
	return homes[0], javaHome, nil
}

// cassandraArgs are bin/cassandra's arguments: the foreground, and -R when the executor runs as
// root user or group, which Apache's script otherwise refuses ("Running Cassandra as root user or
// group is not recommended"). Mesos runs tasks as root unless the framework or agent names a user.
func cassandraArgs(euid, egid int) []string {
	if euid == 0 || egid == 0 {
		return []string{"-f", "-R"}
	}
	return []string{"-f"}
}

// taskMemMB is the task's own "mem" resource (the executor's share is not in it).
func taskMemMB(info mesos.TaskInfo) int64 {
	var mb float64
	for _, r := range info.GetResources() {
		if r.GetName() == "mem" && r.GetScalar() != nil {
			mb += r.GetScalar().GetValue()
		}
	}
	return int64(mb)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

type nodeState struct {
	Bootstrapped bool   `json:"bootstrapped"`
	HostID       string `json:"host_id,omitempty"`
}

func readState(dataDir string) (nodeState, error) {
	var s nodeState
	b, err := os.ReadFile(filepath.Join(dataDir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", StateFile, err)
	}
	return s, nil
}

func writeState(dataDir string, s nodeState) error {
	b, _ := json.Marshal(s)
	tmp := filepath.Join(dataDir, StateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dataDir, StateFile))
}

// randomPassword is 32 random bytes, base64url without padding.
func randomPassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("JMX password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func launch(ctx context.Context, opts Options, info mesos.TaskInfo, report func(mesosexec.Status)) (mesosexec.Task, error) {
	cfg, err := DecodeTaskConfig(info.GetData())
	if err != nil {
		return nil, err
	}
	if cfg.GetJmxPassword() == "" {
		// A daemon that sends none (an older one): JMX is authenticated all the same, with a
		// password only this task knows.
		if cfg.JmxPassword, err = randomPassword(); err != nil {
			return nil, err
		}
	}
	log := opts.Logger.With("ring", cfg.GetRing(), "node", cfg.GetNode(), "task_id", info.TaskID.Value)
	sandbox := opts.Sandbox
	if sandbox == "" {
		if sandbox, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	home, javaHome, err := FindDistribution(sandbox)
	if err != nil {
		return nil, err
	}
	dataDir := cfg.GetDataDir()
	if !filepath.IsAbs(dataDir) {
		dataDir = filepath.Join(sandbox, dataDir)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	n := &node{opts: opts, log: log, cfg: cfg, info: info, report: report,
		paths: render.Paths{Home: home, Conf: filepath.Join(sandbox, ConfDirName), Data: dataDir,
			Logs: filepath.Join(sandbox, LogDirName), JavaHome: javaHome, TaskMemMB: taskMemMB(info)}}
	st, err := readState(dataDir)
	if err != nil {
		return nil, err
	}
	n.bootstrap, n.hostID = st.Bootstrapped, st.HostID
	cassEnv, err := render.Env(cfg, n.paths)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", mesosexec.ErrInvalidTask, err)
	}
	ntEnv := []string{"CASSANDRA_HOME=" + home, "CASSANDRA_CONF=" + n.paths.Conf}
	if javaHome != "" {
		ntEnv = append(ntEnv, "JAVA_HOME="+javaHome)
	}
	ports := render.PortsOf(cfg)
	// JMX requires a user and password (render.WriteJMXFiles); nodetool reads the password from
	// its own 0600 file, never from its command line.
	ntCfg := nodetool.Config{Path: filepath.Join(home, "bin", "nodetool"), Port: int(ports.JMX), Env: ntEnv, Logger: log,
		Username: render.JMXUser, PasswordFile: filepath.Join(n.paths.Conf, render.NodetoolCredentialsFile)}
	byAddr, loop := ntCfg, ntCfg
	byAddr.Host, loop.Host = cfg.GetAddress(), "127.0.0.1"
	ctl, err := newFallbackController(byAddr, loop)
	if err != nil {
		return nil, err
	}

	n.sup = supervisor.New(supervisor.Config{
		Command: supervisor.Command{Path: filepath.Join(home, "bin", "cassandra"), Args: cassandraArgs(os.Geteuid(), os.Getegid()), Dir: sandbox,
			Env:    append(os.Environ(), cassEnv...),
			Stdout: filepath.Join(n.paths.Logs, "stdout.log"), Stderr: filepath.Join(n.paths.Logs, "stderr.log")},
		Prepare:            n.prepare,
		Address:            cfg.GetAddress(),
		NativePort:         ports.Native,
		Cassandra:          ctl,
		HealthInterval:     opts.HealthInterval,
		TransitionInterval: opts.HealthTransitionInterval,
		DrainTimeout:       opts.DrainTimeout,
		LogFiles: []string{filepath.Join(n.paths.Logs, "system.log"), filepath.Join(n.paths.Logs, "stdout.log"),
			filepath.Join(n.paths.Logs, "stderr.log")},
		StateLog: filepath.Join(n.paths.Logs, "system.log"),
		OnChange: n.onChange,
		Logger:   log,
	})

	lis, err := net.Listen("tcp", net.JoinHostPort(cfg.GetAddress(), strconv.FormatUint(uint64(cfg.GetAgentPort()), 10)))
	if err != nil {
		return nil, fmt.Errorf("node agent API: %w", err)
	}
	acfg := agent.Config{Controller: ctl, Secret: cfg.GetAgentSecret(), Ring: cfg.GetRing(), Node: cfg.GetNode(), Logger: log,
		Restart: n.restart, RewriteSeeds: n.rewriteSeeds, RenewCertificate: n.renewCertificate, CheckServed: n.checkServed, EpochFile: filepath.Join(dataDir, agent.EpochFileName),
		Backups: &backup.Runner{Nodetool: ctl, Ring: cfg.GetRing(), Node: cfg.GetNode(), Logger: log,
			DataDir: filepath.Join(dataDir, render.DataSubdir), StagingDir: filepath.Join(dataDir, backup.StagingSubdir),
			Cluster: &nodeCluster{ctl: ctl, addr: cfg.GetAddress(), port: int(ports.Native), tls: render.TLSSettingsFor(cfg, n.paths.Conf)}}}
	if len(cfg.GetAgentTlsCert()) > 0 {
		acfg.TLS = &agent.TLS{CertPEM: cfg.GetAgentTlsCert(), KeyPEM: cfg.GetAgentTlsKey(), CAPEM: cfg.GetAgentTlsCa()}
	} else {
		log.Warn("INSECURE: the task carries no TLS certificate (the daemon runs with --insecure): the node agent API serves plaintext, guarded by its bearer secret only")
	}
	n.grpc, err = agent.NewGRPCServer(acfg)
	if err != nil {
		lis.Close()
		return nil, err
	}
	go func() {
		if err := n.grpc.Serve(lis); err != nil {
			log.Error("node agent API stopped", "err", err)
		}
	}()
	log.Info("node agent API listening", "addr", lis.Addr().String())

	if err := n.sup.Start(ctx); err != nil {
		n.grpc.Stop()
		return nil, err
	}
	report(n.status(n.sup.Snapshot()))
	return n, nil
}

func (n *node) prepare(context.Context) error {
	n.confMu.Lock()
	defer n.confMu.Unlock()
	n.stateMu.Lock()
	auto := n.cfg.GetAutoBootstrap() && !n.bootstrap
	cfg := proto.Clone(n.cfg).(*cassmesosv1.NodeTaskConfig)
	n.stateMu.Unlock()
	if err := render.Materialize(cfg, n.paths, auto); err != nil {
		return err
	}
	n.log.Info("configuration rendered", "conf", n.paths.Conf, "auto_bootstrap", auto)
	return nil
}

// rewriteSeeds rewrites the seed list of the rendered cassandra.yaml and of the task's config
// (for the next start in place); the NodeAgentService then has Cassandra read it (ReloadSeeds).
func (n *node) rewriteSeeds(seeds []string) error {
	n.confMu.Lock()
	defer n.confMu.Unlock()
	if err := render.RewriteSeeds(n.paths.Conf, seeds); err != nil {
		return err
	}
	n.stateMu.Lock()
	n.cfg.Seeds = append([]string(nil), seeds...)
	n.stateMu.Unlock()
	n.log.Info("seed list rewritten", "seeds", strings.Join(seeds, ","))
	return nil
}

// renewCertificate checks a new Cassandra certificate, key and CA for this node and writes them
// over the PEM keystore and truststore (each atomically) and into the task's config (for the
// next start in place); the NodeAgentService then has Cassandra reload them (RenewCertificate).
func (n *node) renewCertificate(cert, key, ca []byte) (string, time.Time, error) {
	n.confMu.Lock()
	defer n.confMu.Unlock()
	n.stateMu.Lock()
	cfg := proto.Clone(n.cfg).(*cassmesosv1.NodeTaskConfig)
	n.stateMu.Unlock()
	cfg.CassandraTlsCert, cfg.CassandraTlsKey, cfg.CassandraTlsCa = cert, key, ca
	leaf, err := render.RenewTLSFiles(cfg, n.paths.Conf)
	if errors.Is(err, render.ErrBadTLSMaterial) {
		return "", time.Time{}, fmt.Errorf("%w: %w", agent.ErrBadCertificate, err)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("writing the node's TLS files: %w", err)
	}
	n.stateMu.Lock()
	n.cfg.CassandraTlsCert, n.cfg.CassandraTlsKey, n.cfg.CassandraTlsCa = cert, key, ca
	n.stateMu.Unlock()
	serial := leaf.SerialNumber.Text(16)
	n.log.Info("Cassandra certificate files rewritten", "serial", serial, "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	return serial, leaf.NotAfter, nil
}

// checkServed says whether the node's TLS ports (storage with internode encryption all, native
// with client encryption) present the certificate with this serial (hex).
func (n *node) checkServed(ctx context.Context, serial string) error {
	n.stateMu.Lock()
	cfg := proto.Clone(n.cfg).(*cassmesosv1.NodeTaskConfig)
	n.stateMu.Unlock()
	t := render.TLSSettingsFor(cfg, n.paths.Conf)
	if t == nil {
		return nil
	}
	pair, err := tls.X509KeyPair(cfg.GetCassandraTlsCert(), cfg.GetCassandraTlsKey())
	if err != nil {
		return err
	}
	ports := render.PortsOf(cfg)
	var check []uint32
	if t.Internode == "all" {
		check = append(check, ports.Storage)
	}
	if t.Client != "none" {
		check = append(check, ports.Native)
	}
	for _, port := range check {
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{
			// Only the served certificate's serial matters here (the node's own, just written).
			InsecureSkipVerify: true, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, err := d.DialContext(cctx, "tcp", net.JoinHostPort(cfg.GetAddress(), strconv.Itoa(int(port))))
		cancel()
		if err != nil {
			return fmt.Errorf("port %d: %w", port, err)
		}
		certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
		conn.Close()
		if len(certs) == 0 {
			return fmt.Errorf("port %d serves no certificate", port)
		}
		if got := certs[0].SerialNumber.Text(16); got != serial {
			return fmt.Errorf("port %d still serves certificate %s", port, got)
		}
	}
	return nil
}

func (n *node) restart(ctx context.Context) error {
	err := n.sup.Restart(ctx, n.killGrace(0))
	if errors.Is(err, supervisor.ErrNotRunning) {
		return fmt.Errorf("%w: %v", agent.ErrNotRunning, err)
	}
	return err
}

// onChange runs under the supervisor's lock: it must not call back into it.
func (n *node) onChange(s supervisor.Snapshot) {
	if s.State == supervisor.StateNormal {
		n.markBootstrapped(s.HostID)
	}
	switch s.State {
	case supervisor.StateStopped:
		return // Kill reports TASK_KILLED
	case supervisor.StateFailed:
		n.report(mesosexec.Status{State: mesos.TASK_FAILED, Message: s.Message, Healthy: ptr(false),
			Labels: n.labels(s), Reason: mesos.REASON_COMMAND_EXECUTOR_FAILED.Enum()})
		return
	}
	n.report(n.status(s))
}

func (n *node) markBootstrapped(hostID string) {
	n.stateMu.Lock()
	defer n.stateMu.Unlock()
	// NORMAL may come from the log before nodetool gave the host ID: record it when it comes.
	if n.bootstrap && (hostID == "" || hostID == n.hostID) {
		return
	}
	if err := writeState(n.paths.Data, nodeState{Bootstrapped: true, HostID: hostID}); err != nil {
		n.log.Error("cannot record that the node bootstrapped", "err", err)
		return
	}
	n.bootstrap, n.hostID = true, hostID
}

func (n *node) status(s supervisor.Snapshot) mesosexec.Status {
	return mesosexec.Status{State: mesos.TASK_RUNNING, Healthy: ptr(s.Healthy), Labels: n.labels(s)}
}

func (n *node) labels(s supervisor.Snapshot) []mesos.Label {
	ls := []mesos.Label{{Key: "mode", Value: ptr(string(s.Mode))}, {Key: "state", Value: ptr(s.State.String())},
		{Key: "address", Value: ptr(n.cfg.GetAddress())}}
	if s.HostID != "" {
		ls = append(ls, mesos.Label{Key: "host_id", Value: ptr(s.HostID)})
	}
	return ls
}

func (n *node) killGrace(fromEvent time.Duration) time.Duration {
	switch {
	case fromEvent > 0:
		return fromEvent
	case n.cfg.GetKillGrace().AsDuration() > 0:
		return n.cfg.GetKillGrace().AsDuration()
	case n.info.GetKillPolicy().GetGracePeriod() != nil:
		return time.Duration(n.info.GetKillPolicy().GetGracePeriod().GetNanoseconds())
	}
	return n.opts.DefaultKillGrace
}

// Kill implements mesosexec.Task: drain, SIGTERM, SIGKILL after the grace, then TASK_KILLED.
func (n *node) Kill(ctx context.Context, grace time.Duration) mesosexec.Status {
	g := n.killGrace(grace)
	n.log.Info("stopping cassandra", "grace", g.String())
	s := n.sup.Stop(ctx, g)
	n.stopGRPC()
	if s.State == supervisor.StateFailed {
		return mesosexec.Status{State: mesos.TASK_FAILED, Message: s.Message, Healthy: ptr(false), Labels: n.labels(s)}
	}
	msg := "cassandra drained and stopped"
	if s.Exit != nil {
		msg += " (" + s.Exit.String() + ")"
	}
	return mesosexec.Status{State: mesos.TASK_KILLED, Message: msg, Healthy: ptr(false), Labels: n.labels(s)}
}

func (n *node) stopGRPC() {
	done := make(chan struct{})
	go func() { n.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		n.grpc.Stop()
	}
}

func ptr[T any](v T) *T { return &v }
