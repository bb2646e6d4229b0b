package cassandrasim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// Operation modes, as StorageService reports them.
const (
	ModeStarting       = "STARTING"
	ModeJoining        = "JOINING"
	ModeNormal         = "NORMAL"
	ModeLeaving        = "LEAVING"
	ModeDecommissioned = "DECOMMISSIONED"
	ModeDraining       = "DRAINING"
	ModeDrained        = "DRAINED"
)

// Bootstrap states kept in the data directory (system.local's bootstrapped column).
const (
	bootNeeds          = "NEEDS_BOOTSTRAP"
	bootInProgress     = "IN_PROGRESS"
	bootCompleted      = "COMPLETED"
	bootDecommissioned = "DECOMMISSIONED"
)

// localState is the node's identity, kept in <first data directory>/system/local.json.
type localState struct {
	ClusterName  string              `json:"cluster_name"`
	HostID       string              `json:"host_id"`
	Tokens       []int64             `json:"tokens,omitempty"`
	Bootstrapped string              `json:"bootstrapped"`
	Generation   int64               `json:"generation"`
	Schema       map[string]Keyspace `json:"schema,omitempty"`
}

// startupError is an exception that stops Cassandra during start (exit code 3).
type startupError struct{ class, msg string }

func (e *startupError) Error() string { return e.class + ": " + e.msg }

type node struct {
	cfg     *Config
	log     *systemLog
	actions *actionLog
	g       *gossiper
	started time.Time
	stderr  io.Writer

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	mode   string
	local  localState
	schema map[string]Keyspace
	native net.Listener
	joined bool
	// distReady: the distributed system keyspaces (system_auth, system_distributed,
	// system_traces) exist on this node. Cassandra creates them when a node first joins or pulls
	// them with the schema from a peer; before that they are missing (nodetool status then says
	// "The node does not have system_traces yet" or "No nodes present in the cluster").
	distReady   bool
	initialized bool // StorageService is up: nodetool commands are answered
	// gossipActive is StorageService's flag: set when gossip starts, cleared only by nodetool
	// disablegossip. Drain and decommission stop the gossiper but leave it set, so a later
	// enablegossip does nothing (and exits 0) while gossip stays stopped, as in 5.0.
	gossipActive    bool
	decommissioning bool
	removal         *removal
	repairCmd       int
	// autoRepair is the Auto Repair state (from cfg.AutoRepair, changed by setautorepairconfig).
	autoRepair   AutoRepair
	repairStatus map[int][]string
	repairedAll  bool

	storageLn, jmxLn net.Listener
}

type removal struct {
	hostID   string
	address  string
	tokens   []int64
	waitFor  []string
	forceCh  chan struct{}
	finished bool
}

// RunCassandra runs a stand-in node in the foreground: what `bin/cassandra -f` ends up executing.
// args are the JVM options and -D properties; it returns the process exit code.
func RunCassandra(args []string, environ []string, stdout, stderr io.Writer) int {
	cfg, err := LoadConfig(args, envMap(environ))
	if err != nil {
		fmt.Fprintf(stderr, "Exception (org.apache.cassandra.exceptions.ConfigurationException) encountered during startup: %v\n", err)
		return 3
	}
	log, err := newSystemLog(cfg.LogDir, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "cannot write logs to %s: %v\n", cfg.LogDir, err)
		return 1
	}
	n := &node{cfg: cfg, log: log, actions: &actionLog{path: cfg.Knobs.ActionLog}, started: time.Now(),
		stderr: stderr, mode: ModeStarting, repairStatus: map[int][]string{}, autoRepair: cfg.AutoRepair}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	defer n.cancel()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	exit := make(chan int, 1)
	go func() {
		<-sigs
		exit <- n.shutdown()
	}()
	if cfg.Knobs.CrashAfter > 0 {
		time.AfterFunc(cfg.Knobs.CrashAfter, func() {
			n.log.warn("main", "CassandraDaemon.java", 0, "cassandra-sim: crash_after=%s elapsed; killing the process with SIGKILL", cfg.Knobs.CrashAfter)
			n.actions.record(Action{Node: cfg.ListenAddress, HostID: n.hostID(), Action: "crash", Status: "ok"})
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		})
	}
	if cfg.Knobs.StartDelay > 0 {
		select {
		case <-time.After(cfg.Knobs.StartDelay):
		case code := <-exit:
			return code
		}
	}
	n.logStartup()
	if cfg.Knobs.HangOnStart {
		n.log.warn("main", "CassandraDaemon.java", 0, "cassandra-sim: hang_on_start is set; not starting")
		return <-exit
	}
	done := make(chan error, 1)
	go func() { done <- n.start() }()
	select {
	case err := <-done:
		if err != nil {
			return n.failStartup(err)
		}
	case code := <-exit:
		return code
	}
	return <-exit
}

func (n *node) failStartup(err error) int {
	var se *startupError
	msg := err.Error()
	if errors.As(err, &se) {
		msg = se.Error()
	}
	n.log.error("main", "CassandraDaemon.java", 803, "Exception encountered during startup\n%s", msg)
	fmt.Fprintf(n.stderr, "Exception (%s) encountered during startup: %s\n", exceptionClass(err), msgOf(err))
	n.actions.record(Action{Node: n.cfg.ListenAddress, HostID: n.hostID(), Action: "start", Status: "failed", Error: msg})
	n.closeListeners()
	return 3
}

func exceptionClass(err error) string {
	var se *startupError
	if errors.As(err, &se) {
		return se.class
	}
	return "java.lang.RuntimeException"
}

func msgOf(err error) string {
	var se *startupError
	if errors.As(err, &se) {
		return se.msg
	}
	return err.Error()
}

func (n *node) logStartup() {
	c := n.cfg
	n.log.info("main", "YamlConfigurationLoader.java", 104, "Configuration location: file:%s", filepath.Join(c.ConfDir, "cassandra.yaml"))
	n.log.info("main", "CassandraDaemon.java", 625, "Hostname: %s:%d:%d", c.ListenAddress, c.StoragePort, c.StoragePort+1)
	n.log.info("main", "CassandraDaemon.java", 632, "JVM vendor/version: OpenJDK 64-Bit Server VM/11.0.20 (Apache Cassandra %s stand-in)", releaseVersion)
	n.log.info("main", "CassandraDaemon.java", 633, "Heap size: %s/%s", stringifyFileSize(c.MaxHeapMB*1024*1024/4), stringifyFileSize(c.MaxHeapMB*1024*1024))
	var props []string
	for _, k := range sortedKeys(c.Props) {
		props = append(props, "-D"+k+"="+c.Props[k])
	}
	n.log.info("main", "CassandraDaemon.java", 641, "JVM Arguments: [%s]", strings.Join(props, ", "))
}

func (n *node) hostID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.local.HostID
}

func (n *node) setMode(m string) {
	n.mu.Lock()
	n.mode = m
	n.mu.Unlock()
}

func (n *node) getMode() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mode
}

func (n *node) localPath() string {
	return filepath.Join(n.cfg.DataDirs[0], "system", "local.json")
}

func (n *node) saveLocal() error {
	n.mu.Lock()
	n.local.Schema = userSchema(n.schema)
	b, err := json.MarshalIndent(n.local, "", "  ")
	n.mu.Unlock()
	if err != nil {
		return err
	}
	p := n.localPath()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func userSchema(s map[string]Keyspace) map[string]Keyspace {
	out := map[string]Keyspace{}
	for k, v := range s {
		if !IsSystem(k) {
			out[k] = v
		}
	}
	return out
}

func (n *node) start() error {
	c := n.cfg
	for _, d := range append(append([]string{}, c.DataDirs...), c.CommitlogDir, c.HintsDir, c.SavedCachesDir) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return &startupError{"org.apache.cassandra.exceptions.ConfigurationException", fmt.Sprintf("Has no permission to create directory %s", d)}
		}
	}
	fresh := true
	if b, err := os.ReadFile(n.localPath()); err == nil {
		if err := json.Unmarshal(b, &n.local); err != nil {
			return &startupError{"org.apache.cassandra.io.FSReadError", fmt.Sprintf("%s: %v", n.localPath(), err)}
		}
		fresh = n.local.HostID == ""
	}
	if !fresh && n.local.ClusterName != c.ClusterName {
		return &startupError{"org.apache.cassandra.exceptions.ConfigurationException", fmt.Sprintf("Saved cluster name %s != configured name %s", n.local.ClusterName, c.ClusterName)}
	}
	if n.local.Bootstrapped == bootDecommissioned && !c.OverrideDecommission {
		return &startupError{"org.apache.cassandra.exceptions.ConfigurationException", "This node was decommissioned and will not rejoin the ring unless cassandra.override_decommission=true has been set, or all existing data is removed and the node is bootstrapped again"}
	}
	n.distReady = !fresh && n.local.Bootstrapped != bootNeeds && n.local.Bootstrapped != ""
	if fresh {
		n.local = localState{ClusterName: c.ClusterName, HostID: uuid.NewString(), Bootstrapped: bootNeeds}
		n.log.info("main", "SystemKeyspace.java", 1535, "No host ID found, created %s (Note: This should happen exactly once per node).", n.local.HostID)
	}
	n.schema = systemKeyspaces()
	for k, v := range n.local.Schema {
		n.schema[k] = v
	}
	gen := time.Now().Unix()
	if gen <= n.local.Generation {
		gen = n.local.Generation + 1
	}
	n.local.Generation = gen
	n.local.ClusterName = c.ClusterName
	if err := n.saveLocal(); err != nil {
		return &startupError{"org.apache.cassandra.io.FSWriteError", err.Error()}
	}

	var err error
	if c.JMXPort > 0 {
		addr := net.JoinHostPort(c.ListenAddress, strconv.Itoa(c.JMXPort))
		if n.jmxLn, err = net.Listen("tcp", addr); err != nil {
			return &startupError{"java.lang.RuntimeException", fmt.Sprintf("Unable to create local JMX server: Port already in use: %d; nested exception is: java.net.BindException: Address already in use (%s)", c.JMXPort, addr)}
		}
		go n.serveJMX(n.jmxLn)
		n.log.info("main", "JMXServerUtils.java", 271, "Configured JMX server at: service:jmx:rmi://%s/jndi/rmi://%s:%d/jmxrmi", c.ListenAddress, c.ListenAddress, c.JMXPort)
	} else {
		n.log.warn("main", "StartupChecks.java", 143, "JMX is not enabled to receive remote connections. Please see cassandra-env.sh for more info.")
	}
	// Cassandra binds JMX early, then spends a while on its own setup before StorageService is
	// registered; nodetool meanwhile fails with "Server is not initialized yet".
	if err := n.sleep(c.Knobs.JMXInitDelay); err != nil {
		return err
	}
	storageAddr := net.JoinHostPort(c.ListenAddress, strconv.Itoa(c.StoragePort))
	if n.storageLn, err = net.Listen("tcp", storageAddr); err != nil {
		return &startupError{"org.apache.cassandra.exceptions.ConfigurationException", fmt.Sprintf("Unable to bind to address /%s. Set listen_address in cassandra.yaml to an interface you can bind to, e.g., your private IP address on EC2", storageAddr)}
	}
	n.log.info("main", "InboundConnectionInitiator.java", 127, "Listening on address: (/%s), nic: lo, encryption: %s", storageAddr, c.TLS.internodeMode())
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.local.HostID, Action: "start", Status: "ok"})

	self := &EndpointState{Address: c.ListenAddress, StoragePort: c.StoragePort, Generation: gen, HostID: n.local.HostID,
		DC: c.DC, Rack: c.Rack, Load: -1, ReleaseVersion: releaseVersion, NativeAddress: c.RPCAddress,
		NativePort: c.NativePort, Schema: n.schema}
	n.g = newGossiper(c, n.log, self)
	n.g.onChange = n.onGossipChange
	// StorageService answers nodetool from here on: the gossiper every command reads exists (set
	// before initialized, under n.mu, so a JMX handler that sees initialized sees it too).
	n.mu.Lock()
	n.initialized = true
	n.mu.Unlock()
	if c.ReplaceAddress == c.ListenAddress && n.local.Bootstrapped != bootCompleted {
		// Replacing our own address: learn the previous incarnation's state before our new one
		// overwrites it everywhere.
		ctx, cancel := context.WithTimeout(n.ctx, c.Knobs.RingDelay+10*c.Knobs.GossipInterval)
		n.g.shadowRound(ctx)
		cancel()
	}
	n.g.setRunning(true)
	n.mu.Lock()
	n.gossipActive = true
	n.mu.Unlock()
	go n.g.serve(n.storageLn)
	go n.g.run(n.ctx)
	go n.housekeeping()
	n.log.info("main", "StorageService.java", 1003, "Starting up server gossip")

	if !c.IsSeed() {
		if err := n.waitForSeeds(); err != nil {
			return err
		}
	}
	if err := n.sleep(c.Knobs.RingDelay); err != nil {
		return err
	}
	return n.joinRing(fresh)
}

func (n *node) sleep(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-n.ctx.Done():
		return n.ctx.Err()
	}
}

// waitForSeeds blocks until a gossip exchange with a seed succeeded, logging as it waits.
func (n *node) waitForSeeds() error {
	// Checked often (a flag): the first exchange with a seed is made at once, and a long
	// gossip_interval must not delay the join by a quarter of it.
	t := time.NewTicker(min(n.cfg.Knobs.GossipInterval/4, 50*time.Millisecond))
	defer t.Stop()
	lastWarn := time.Now()
	for !n.g.seedContact() {
		select {
		case <-n.ctx.Done():
			return n.ctx.Err()
		case <-t.C:
		}
		if time.Since(lastWarn) > 10*n.cfg.Knobs.GossipInterval {
			lastWarn = time.Now()
			n.log.warn("main", "Gossiper.java", 1786, "Unable to gossip with any peers; waiting for a seed of %v", n.cfg.Seeds)
		}
	}
	return nil
}

// joinRing decides how the node joins: saved tokens, seed, no auto_bootstrap, bootstrap or replace.
func (n *node) joinRing(fresh bool) error {
	c := n.cfg
	bootstrapped := n.local.Bootstrapped == bootCompleted || (n.local.Bootstrapped == bootDecommissioned && c.OverrideDecommission && len(n.local.Tokens) > 0)
	if c.ReplaceAddress != "" {
		// StorageService.prepareForReplacement, before anything else of the join: the first-boot
		// property is ignored on a bootstrapped node, the plain one is an error there.
		firstBoot := c.Props["cassandra.replace_address_first_boot"] != ""
		switch {
		case bootstrapped && firstBoot:
			n.log.info("main", "StorageService.java", 810, "Replace address on the first boot requested; this node is already bootstrapped")
		case bootstrapped:
			return &startupError{"java.lang.RuntimeException", "Cannot replace address with a node that is already bootstrapped"}
		case !c.JoinRing:
			return &startupError{"org.apache.cassandra.exceptions.ConfigurationException", "Cannot set both join_ring=false and attempt to replace a node"}
		case (!c.AutoBootstrap || c.IsSeed()) && c.Props["cassandra.allow_unsafe_replace"] != "true":
			// shouldBootstrap() is false for a node in its own seed list or without auto_bootstrap.
			return &startupError{"java.lang.RuntimeException", "Replacing a node without bootstrapping risks invalidating consistency guarantees as the expected data may not be present until repair is run. To perform this operation, please restart with -Dcassandra.allow_unsafe_replace=true"}
		}
	}
	if bootstrapped {
		n.log.info("main", "StorageService.java", 1015, "Using saved tokens %v", n.local.Tokens)
		return n.becomeNormal(n.local.Tokens, "")
	}
	if !c.JoinRing {
		n.log.info("main", "StorageService.java", 1041, "Not joining ring as requested. Use JMX (StorageService->joinRing()) to initiate ring joining")
		return nil
	}
	return n.bootstrapOrJoin(fresh)
}

func (n *node) bootstrapOrJoin(fresh bool) error {
	c := n.cfg
	v := n.view()
	if c.ReplaceAddress != "" && n.local.Bootstrapped != bootInProgress {
		return n.replace(v)
	}
	if fresh {
		if s, ok := v.states[c.ListenAddress]; ok && s.HostID != n.local.HostID && s.Status != StatusLeft && s.Status != StatusRemoved && s.Status != "" {
			return &startupError{"java.lang.RuntimeException", fmt.Sprintf("A node with address /%s:%d already exists, cancelling join. Use cassandra.replace_address if you want to replace this node.", c.ListenAddress, c.StoragePort)}
		}
	}
	tokens := n.local.Tokens
	if n.local.Bootstrapped == bootInProgress {
		n.log.warn("main", "StorageService.java", 1100, "Detected previous bootstrap failure; retrying")
	}
	switch {
	case c.IsSeed() && n.local.Bootstrapped != bootInProgress:
		n.log.info("main", "StorageService.java", 1050, "This node will not auto bootstrap because it is configured to be a seed node.")
	case !c.AutoBootstrap && n.local.Bootstrapped != bootInProgress:
		n.log.info("main", "StorageService.java", 1052, "auto_bootstrap is false; joining the ring without streaming")
	default:
		return n.bootstrap(tokens)
	}
	if len(tokens) == 0 {
		tokens = n.chooseTokens(v)
	}
	n.mu.Lock()
	n.local.Tokens = tokens
	n.local.Bootstrapped = bootCompleted
	n.mu.Unlock()
	if err := n.saveLocal(); err != nil {
		return err
	}
	return n.becomeNormal(tokens, "")
}

func (n *node) chooseTokens(v *view) []int64 {
	if len(n.cfg.InitialTokens) > 0 {
		return n.cfg.InitialTokens
	}
	if n.cfg.AllocateTokensRF > 0 {
		if ts, ok := n.allocateForLocalRF(v); ok {
			return ts
		}
	}
	var existing []int64
	for _, ts := range v.owned {
		existing = append(existing, ts...)
	}
	for _, ts := range v.boot {
		existing = append(existing, ts...)
	}
	return AllocateTokens(existing, n.cfg.NumTokens, n.local.HostID)
}

func (n *node) bootstrap(tokens []int64) error {
	c := n.cfg
	n.setMode(ModeJoining)
	n.log.info("main", "StorageService.java", 2086, "JOINING: waiting for ring information")
	n.log.info("main", "StorageService.java", 2086, "JOINING: schema complete, ready to bootstrap")
	n.log.info("main", "StorageService.java", 2086, "JOINING: waiting for pending range calculation")
	n.log.info("main", "StorageService.java", 2086, "JOINING: calculation complete, ready to bootstrap")
	v := n.view()
	if c.ConsistentRangeMovement {
		var others []string
		for ep := range v.boot {
			if ep != c.ListenAddress {
				others = append(others, ep)
			}
		}
		for ep := range v.leaving {
			others = append(others, ep)
		}
		if len(others) > 0 {
			sort.Strings(others)
			var booting, leaving []string
			for _, ep := range others {
				if v.leaving[ep] {
					leaving = append(leaving, "/"+ep+":"+strconv.Itoa(c.StoragePort))
				} else {
					booting = append(booting, "/"+ep+":"+strconv.Itoa(c.StoragePort))
				}
			}
			msg := fmt.Sprintf("Other bootstrapping/leaving/moving nodes detected, cannot bootstrap while cassandra.consistent.rangemovement is true. Nodes detected, bootstrapping: %s; leaving: %s; moving: ;",
				strings.Join(booting, ","), strings.Join(leaving, ","))
			n.actions.record(Action{Node: c.ListenAddress, HostID: n.local.HostID, Action: "bootstrap", Status: "refused", Replicas: others, Error: msg})
			return &startupError{"java.lang.UnsupportedOperationException", msg}
		}
	}
	n.log.info("main", "StorageService.java", 2086, "JOINING: getting bootstrap token")
	if len(tokens) == 0 {
		tokens = n.chooseTokens(v)
	}
	n.mu.Lock()
	n.local.Tokens = tokens
	n.local.Bootstrapped = bootInProgress
	n.mu.Unlock()
	if err := n.saveLocal(); err != nil {
		return err
	}
	n.g.update(func(s *EndpointState) { s.Status = StatusBoot; s.Tokens = tokens })
	start := time.Now()
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.local.HostID, Action: "bootstrap", Status: "started", Start: start, Tokens: tokens})
	n.log.info("main", "StorageService.java", 2086, "JOINING: Starting to bootstrap...")
	n.log.info("main", "BootStrapper.java", 92, "Bootstrap streaming for %d tokens (simulated, %s)", len(tokens), c.Knobs.BootstrapDuration)
	if err := n.sleep(c.Knobs.BootstrapDuration); err != nil {
		return err
	}
	n.mu.Lock()
	n.local.Bootstrapped = bootCompleted
	n.mu.Unlock()
	if err := n.saveLocal(); err != nil {
		return err
	}
	n.log.info("main", "StorageService.java", 2255, "Bootstrap completed for tokens %v", tokens)
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.local.HostID, Action: "bootstrap", Status: "ok", Start: start, End: time.Now(), Tokens: tokens})
	return n.becomeNormal(tokens, "")
}

// replace takes over a dead node's tokens (-Dcassandra.replace_address_first_boot).
func (n *node) replace(v *view) error {
	c := n.cfg
	target := c.ReplaceAddress
	same := target == c.ListenAddress
	ts, ok := v.states[target]
	owns := false
	if same {
		// Our own address: the peers' copy of the previous incarnation (the shadow round's answer).
		ts = n.g.previousSelf()
		ok = ts != nil
		if ok {
			switch ts.Status {
			case StatusNormal, StatusLeaving, StatusRemoving, StatusHibernate:
				owns = true
			}
		}
	} else if ok {
		_, owns = v.owned[target]
	}
	if !ok {
		return &startupError{"java.lang.RuntimeException", fmt.Sprintf("Cannot replace_address /%s:%d because it doesn't exist in gossip", target, c.StoragePort)}
	}
	if len(ts.Tokens) == 0 {
		return &startupError{"java.lang.RuntimeException", fmt.Sprintf("Could not find tokens for /%s:%d to replace", target, c.StoragePort)}
	}
	if !owns {
		// Gossip still has the endpoint (joining, left, removed) but the ring does not own its
		// tokens: 5.0 fails when it looks the first one up.
		return &startupError{"java.lang.UnsupportedOperationException", fmt.Sprintf("Cannot replace token %d which does not exist!", ts.Tokens[0])}
	}
	// Like Cassandra, watch the target's heartbeat for a while: a live node cannot be replaced.
	// Copies of the target's last heartbeat may still arrive from other peers early on; only a
	// heartbeat that advanced during the last failure-detection window means the target lives.
	n.setMode(ModeJoining)
	wait := 2 * c.Knobs.FailureDetectionTimeout
	if c.Knobs.RingDelay > wait {
		wait = c.Knobs.RingDelay
	}
	if err := n.sleep(wait); err != nil {
		return err
	}
	if !same && (n.g.heartbeatSince(target, time.Now().Add(-c.Knobs.FailureDetectionTimeout)) || n.g.alive(target, time.Now())) {
		n.log.error("main", "StorageService.java", 1627, "Unable to replace node for token=%d. The node is reporting as alive with updateTimestamp=%d, allowedDelay=%d", ts.Tokens[0], time.Now().UnixNano(), wait.Nanoseconds())
		return &startupError{"java.lang.UnsupportedOperationException", "Cannot replace a live node..."}
	}
	if same {
		ts = n.g.previousSelf()
	} else {
		ts = n.view().states[target]
	}
	tokens := append([]int64(nil), ts.Tokens...)
	oldHost := ts.HostID
	n.mu.Lock()
	n.local.Tokens = tokens
	n.local.Bootstrapped = bootInProgress
	if same {
		// Replacing the same address keeps the replaced node's host ID (prepareForReplacement's
		// setLocalHostId); another address gets the new node's own.
		n.local.HostID = oldHost
	}
	n.mu.Unlock()
	if err := n.saveLocal(); err != nil {
		return err
	}
	n.g.update(func(s *EndpointState) {
		s.Tokens = tokens
		s.Replacing = target
		if same {
			s.Status = StatusHibernate
			s.HostID = oldHost
		} else {
			s.Status = StatusBootReplace
		}
	})
	start := time.Now()
	n.log.info("main", "StorageService.java", 2086, "JOINING: Replacing a node with token(s): %v", tokens)
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.local.HostID, Action: "replace", Status: "started", Start: start, Target: target, Tokens: tokens})
	if err := n.sleep(c.Knobs.BootstrapDuration); err != nil {
		return err
	}
	n.mu.Lock()
	n.local.Bootstrapped = bootCompleted
	n.mu.Unlock()
	if err := n.saveLocal(); err != nil {
		return err
	}
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.local.HostID, Action: "replace", Status: "ok", Start: start, End: time.Now(), Target: target, Tokens: tokens})
	return n.becomeNormal(tokens, target)
}

func (n *node) becomeNormal(tokens []int64, replaced string) error {
	c := n.cfg
	n.g.update(func(s *EndpointState) {
		s.Status = StatusNormal
		s.Tokens = tokens
		s.HostID = n.local.HostID
		s.Replacing = replaced
		s.Load = c.Knobs.LoadBytes
	})
	n.mu.Lock()
	n.mode = ModeNormal
	n.joined = true
	n.distReady = true
	n.mu.Unlock()
	if replaced != "" && replaced != c.ListenAddress {
		n.log.info("GossipStage:1", "StorageService.java", 2845, "Nodes /%s:%d and /%s:%d have the same token %d. Ignoring /%s:%d", replaced, c.StoragePort, c.ListenAddress, c.StoragePort, tokens[0], replaced, c.StoragePort)
	}
	// Cassandra 5.0.8 logs this on every node, seeds too, just before its own NORMAL.
	n.log.info("main", "StorageService.java", 2086, "JOINING: Finish joining ring")
	n.log.info("main", "StorageService.java", 3320, "Node /%s:%d state jump to NORMAL", c.ListenAddress, c.StoragePort)
	if c.StartNativeTransport {
		if err := n.startNative(); err != nil {
			return err
		}
	} else {
		n.log.info("main", "CassandraDaemon.java", 776, "Not starting native transport as requested. Use JMX (StorageService->startNativeTransport()) or nodetool (enablebinary) to start it")
	}
	n.log.info("main", "CassandraDaemon.java", 744, "Startup complete")
	return nil
}

func (n *node) startNative() error {
	c := n.cfg
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.native != nil {
		return nil
	}
	addr := net.JoinHostPort(c.RPCAddress, strconv.Itoa(c.NativePort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &startupError{"java.lang.IllegalStateException", fmt.Sprintf("Failed to bind port %d on %s.", c.NativePort, c.RPCAddress)}
	}
	n.native = ln
	go n.serveNative(ln)
	n.log.info("main", "PipelineConfigurator.java", 148, "Starting listening for CQL clients on /%s (%s)...", addr, c.TLS.nativeMode())
	return nil
}

func (n *node) stopNative() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.native != nil {
		_ = n.native.Close()
		n.native = nil
		n.log.info("RMI TCP Connection", "Server.java", 203, "Stop listening for CQL clients")
	}
}

func (n *node) nativeRunning() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.native != nil
}

// onGossipChange merges the schemas peers carry into ours.
func (n *node) onGossipChange() {
	snap := n.g.snapshot()
	n.mu.Lock()
	changed := false
	for addr, s := range snap {
		if addr != n.cfg.ListenAddress && len(s.Schema) > 0 {
			n.distReady = true // the schema pulled from a peer brings the distributed keyspaces
		}
		for name, ks := range s.Schema {
			mine, ok := n.schema[name]
			if !ok || ks.Stamp > mine.Stamp {
				n.schema[name] = ks
				changed = true
			}
		}
	}
	schema := cloneSchema(n.schema)
	n.mu.Unlock()
	if changed {
		n.g.update(func(s *EndpointState) { s.Schema = schema })
		_ = n.saveLocal()
	}
}

func cloneSchema(s map[string]Keyspace) map[string]Keyspace {
	out := make(map[string]Keyspace, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out
}

// housekeeping evicts joining nodes that died (Cassandra's fat-client timeout) so that they do not
// block bootstraps for ever.
func (n *node) housekeeping() {
	t := time.NewTicker(n.cfg.Knobs.GossipInterval)
	defer t.Stop()
	timeout := n.cfg.Knobs.RingDelay / 2
	if timeout < 2*n.cfg.Knobs.FailureDetectionTimeout {
		timeout = 2 * n.cfg.Knobs.FailureDetectionTimeout
	}
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		n.g.mu.Lock()
		for addr, s := range n.g.states {
			if addr == n.g.self || (s.Status != StatusBoot && s.Status != StatusBootReplace && s.Status != "") {
				continue
			}
			if now.Sub(n.g.lastBeat[addr]) > timeout && !n.g.aliveLocked(addr, now) && !n.g.lastBeat[addr].IsZero() {
				n.log.info("GossipTasks:1", "Gossiper.java", 894, "FatClient /%s:%d has been silent for %dms, removing from gossip", addr, s.StoragePort, timeout.Milliseconds())
				delete(n.g.states, addr)
				n.g.quarantine[addr] = s.Generation
			}
		}
		n.g.mu.Unlock()
	}
}

// shutdown is the SIGTERM path: announce shutdown through gossip, stop listening, exit 143.
func (n *node) shutdown() int {
	c := n.cfg
	n.log.info("StorageServiceShutdownHook", "HintsService.java", 220, "Paused hints dispatch")
	if n.g != nil && n.g.isRunning() {
		n.log.info("StorageServiceShutdownHook", "Gossiper.java", 2044, "Announcing shutdown")
		n.g.update(func(s *EndpointState) { s.Shutdown = true })
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n.g.announce(ctx)
		cancel()
		n.g.setRunning(false)
		n.log.info("StorageServiceShutdownHook", "StorageService.java", 3320, "Node /%s:%d state jump to shutdown", c.ListenAddress, c.StoragePort)
	}
	n.stopNative()
	n.closeListeners()
	n.cancel()
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.hostID(), Action: "stop", Status: "ok"})
	return 143
}

func (n *node) closeListeners() {
	if n.storageLn != nil {
		_ = n.storageLn.Close()
	}
	if n.jmxLn != nil {
		_ = n.jmxLn.Close()
	}
}
