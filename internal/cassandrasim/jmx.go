package cassandrasim

import (
	"bufio"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The stand-in's "JMX" port speaks a private protocol: the client sends one JSON request line
// {"args": [...], "print_port": bool}; the node answers with JSON lines {"out": text},
// {"err": text} and finally {"exit": code}. All formatting happens in the node, so the client only
// copies text to its stdout and stderr.

type jmxRequest struct {
	Args      []string `json:"args"`
	PrintPort bool     `json:"print_port"`
	// User and Password are the JMX credentials nodetool was given (-u with -pw or -pwf).
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
}

// jmxAuthFailure is the connection error of JMX authentication, as nodetool prints it
// ("" when the credentials pass or authentication is off).
func (n *node) jmxAuthFailure(req jmxRequest) string {
	if !n.cfg.JMXAuth {
		return ""
	}
	if req.User == "" && req.Password == "" {
		return "Authentication failed! Credentials required"
	}
	file := n.cfg.JMXPasswordFile
	if file == "" {
		return "Authentication failed! Invalid username or password"
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "Authentication failed! Invalid username or password"
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && !strings.HasPrefix(f[0], "#") && f[0] == req.User &&
			subtle.ConstantTimeCompare([]byte(f[1]), []byte(req.Password)) == 1 {
			return ""
		}
	}
	return "Authentication failed! Invalid username or password"
}

type jmxFrame struct {
	Out  string `json:"out,omitempty"`
	Err  string `json:"err,omitempty"`
	Exit *int   `json:"exit,omitempty"`
	// AuthError refuses the connection's credentials (JMX's SecurityException): nodetool prints
	// it as a connection failure and exits 1.
	AuthError string `json:"auth_error,omitempty"`
}

// reply streams output frames to one nodetool client; writes after the client went away are dropped.
type reply struct {
	mu     sync.Mutex
	enc    *json.Encoder
	broken bool
}

func (r *reply) frame(f jmxFrame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken {
		return
	}
	if err := r.enc.Encode(f); err != nil {
		r.broken = true
	}
}

func (r *reply) out(format string, args ...any) { r.frame(jmxFrame{Out: fmt.Sprintf(format, args...)}) }
func (r *reply) err(format string, args ...any) { r.frame(jmxFrame{Err: fmt.Sprintf(format, args...)}) }

// javaError prints an exception the way nodetool's err() does, and returns exit code 2.
func (r *reply) javaError(class, method, msg string) int {
	r.err("error: %s\n-- StackTrace --\n%s: %s\n\tat %s\n", msg, class, msg, method)
	return 2
}

// badUse prints a usage error the way nodetool's badUse() does (on stdout), and returns exit code 1.
func (r *reply) badUse(msg string) int {
	r.out("nodetool: %s\nSee 'nodetool help' or 'nodetool help <command>'.\n", msg)
	return 1
}

func (n *node) serveJMX(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go n.handleJMX(conn)
	}
}

func (n *node) handleJMX(conn net.Conn) {
	defer conn.Close()
	var req jmxRequest
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&req); err != nil {
		return
	}
	r := &reply{enc: json.NewEncoder(conn)}
	if msg := n.jmxAuthFailure(req); msg != "" {
		r.frame(jmxFrame{AuthError: msg})
		return
	}
	n.mu.Lock()
	initialized := n.initialized
	n.mu.Unlock()
	code := 1
	if initialized {
		code = n.command(req, r)
	} else {
		// NodeTool.err turns the missing MBean into an IllegalArgumentException it throws out of
		// main: the JVM's uncaught-exception report, exit code 1.
		r.err("Exception in thread \"main\" java.lang.IllegalArgumentException: %s\n\tat org.apache.cassandra.tools.NodeTool.err(NodeTool.java:328)\n\tat org.apache.cassandra.tools.NodeTool.execute(NodeTool.java:291)\n\tat org.apache.cassandra.tools.NodeTool.main(NodeTool.java:87)\n", notInitializedMsg)
	}
	r.frame(jmxFrame{Exit: &code})
}

// notInitializedMsg is what nodetool says while Cassandra's StorageService MBean is not
// registered yet (JMX is up, the node is still setting up).
const notInitializedMsg = "Server is not initialized yet, cannot run nodetool."

// nodetoolCommands are the commands the stand-in implements.
var nodetoolCommands = map[string]string{
	"autorepairstatus":    "Print autorepair status",
	"getautorepairconfig": "Print autorepair configurations",
	"setautorepairconfig": "sets the autorepair configuration",
	"assassinate":         "Forcefully remove a dead node without re-replicating any data.  Use as a last resort if you cannot removenode",
	"cleanup":             "Triggers the immediate cleanup of keys no longer belonging to a node. By default, clean all keyspaces",
	"clearsnapshot":       "Remove the snapshot with the given name from the given keyspaces",
	"import":              "Import new SSTables to the system",
	"snapshot":            "Take a snapshot of specified keyspaces or a snapshot of the specified table",
	"compactionstats":     "Print statistics on compactions",
	"decommission":        "Decommission the *node I am connecting to*",
	"describecluster":     "Print the name, snitch, partitioner and schema version of a cluster",
	"describering":        "Shows the token ranges info of a given keyspace",
	"disablebinary":       "Disable native transport (binary protocol)",
	"disablegossip":       "Disable gossip (effectively marking the node down)",
	"drain":               "Drain the node (stop accepting writes and flush all tables)",
	"enablebinary":        "Reenable native transport (binary protocol)",
	"enablegossip":        "Reenable gossip",
	"help":                "Display help information",
	"info":                "Print node information (uptime, load, ...)",
	"join":                "Join the ring",
	"netstats":            "Print network information on provided host (connecting node by default)",
	"removenode":          "Show status of current node removal, force completion of pending removal or remove provided ID",
	"repair":              "Repair one or more tables",
	"ring":                "Print information about the token ring",
	"status":              "Print cluster information (state, load, IDs, ...)",
	"statusbinary":        "Status of native transport (binary protocol)",
	"statusgossip":        "Status of gossip",
	"tablestats":          "Print statistics on tables",
	"stopdaemon":          "Stop cassandra daemon",
	"version":             "Print cassandra version",
	"getseeds":            "Get the currently in use seed node IP list excluding the node IP",
	"reloadseeds":         "Reload the seed node list from the seed node provider",
	"reloadssl":           "Signals Cassandra to reload SSL certificates",
	"rebuild":             "Rebuild data by streaming from other nodes (similarly to bootstrap)",
}

func (n *node) command(req jmxRequest, r *reply) int {
	if len(req.Args) == 0 {
		return r.badUse("No command given")
	}
	cmd, args := req.Args[0], req.Args[1:]
	v := n.view()
	switch cmd {
	case "status":
		ks := ""
		for _, a := range args {
			switch {
			case a == "-r" || a == "--resolve-ip":
			case strings.HasPrefix(a, "-"):
				return r.badUse("Found unexpected parameters: [" + a + "]")
			case ks != "":
				return r.badUse("Found unexpected parameters: [" + a + "]")
			default:
				ks = a
			}
		}
		out, code, err := v.status(ks, req.PrintPort)
		if err != nil {
			return r.javaError("java.lang.RuntimeException", "org.apache.cassandra.dht.Murmur3Partitioner.describeOwnership(Murmur3Partitioner.java:259)", err.Error())
		}
		r.out("%s", out)
		return code
	case "info":
		all := false
		for _, a := range args {
			if a == "-T" || a == "--tokens" {
				all = true
			} else {
				return r.badUse("Found unexpected parameters: [" + a + "]")
			}
		}
		r.out("%s", n.info(all))
		return 0
	case "describecluster":
		r.out("%s", n.describeCluster(req.PrintPort))
		return 0
	case "tablestats":
		if len(args) != 2 || (args[0] != "-F" && args[0] != "--format") || args[1] != "json" {
			return r.badUse("the stand-in implements only tablestats -F json")
		}
		r.out("%s", v.tableStatsJSON())
		return 0
	case "describering":
		if len(args) != 1 {
			return r.badUse("Missing required keyspace argument")
		}
		out, err := v.describeRing(args[0])
		r.out("%s", out)
		if err != nil {
			return r.javaError("java.io.IOException", "org.apache.cassandra.service.StorageService.describeRingJMX(StorageService.java:2119)", err.Error())
		}
		return 0
	case "ring":
		ks := ""
		if len(args) > 0 {
			ks = args[0]
		}
		out, code, err := v.ringOutput(ks, req.PrintPort)
		switch {
		case err == errRingEmpty:
			return r.javaError("java.util.NoSuchElementException", "java.base/java.util.Collections.max(Collections.java:713)", err.Error())
		case err != nil:
			return r.javaError("java.lang.RuntimeException", "org.apache.cassandra.dht.Murmur3Partitioner.describeOwnership(Murmur3Partitioner.java:259)", err.Error())
		}
		r.out("%s", out)
		return code
	case "netstats":
		r.out("%s", n.netstats())
		return 0
	case "compactionstats":
		r.out("pending tasks: 0\n\n")
		return 0
	case "statusbinary":
		r.out("%s\n", runningString(n.nativeRunning()))
		return 0
	case "statusgossip":
		r.out("%s\n", runningString(n.g.isRunning()))
		return 0
	case "enablebinary":
		// IllegalStateExceptions reach nodetool's badUse: stdout, exit code 1.
		if msg := n.serviceNotAllowed("native transport"); msg != "" {
			return r.badUse(msg)
		}
		if err := n.startNative(); err != nil {
			return r.javaError("java.lang.RuntimeException", "org.apache.cassandra.service.StorageService.startNativeTransport(StorageService.java:451)", "Error starting native transport: "+msgOf(err))
		}
		return 0
	case "disablebinary":
		n.stopNative()
		return 0
	case "enablegossip":
		n.mu.Lock()
		active := n.gossipActive
		n.mu.Unlock()
		if active {
			return 0
		}
		if msg := n.serviceNotAllowed("gossip"); msg != "" {
			return r.badUse(msg)
		}
		n.g.update(func(s *EndpointState) { s.Shutdown = false })
		n.g.setRunning(true)
		n.mu.Lock()
		n.gossipActive = true
		n.mu.Unlock()
		return 0
	case "disablegossip":
		n.mu.Lock()
		active := n.gossipActive
		n.mu.Unlock()
		if !active {
			return 0
		}
		if n.getMode() != ModeNormal && n.cfg.JoinRing {
			return r.badUse("Unable to stop gossip because the node is not in the normal state. Try to stop the node instead.")
		}
		n.stopGossip()
		n.mu.Lock()
		n.gossipActive = false
		n.mu.Unlock()
		return 0
	case "version":
		r.out("ReleaseVersion: %s\n", releaseVersion)
		return 0
	case "getseeds":
		r.out("%s\n", n.seedLine("Current list of seed node IPs, excluding the current node's IP: ", n.g.seedList()))
		return 0
	case "reloadssl":
		if err := n.cfg.TLS.Reload(); err != nil {
			r.err("error: Failed to hot reload the SSL Certificates! Please check the certificate files.\n-- StackTrace --\njava.io.IOException: %v\n", err)
			return 2
		}
		n.log.info("RMI TCP Connection", "SSLFactory.java", 238, "SSL certificates have been updated for server_encryption_options and client_encryption_options. Resetting the ssl contexts for new connections.")
		return 0
	case "reloadseeds":
		seeds, err := ReadSeeds(n.cfg.YAMLPath)
		if err != nil || len(seeds) == 0 {
			r.out("Failed to reload the seed node list.\n")
			return 0
		}
		n.g.setSeeds(seeds)
		r.out("%s\n", n.seedLine("Updated seed node IP list, excluding the current node's IP: ", seeds))
		return 0
	case "flush":
		if len(args) > 0 {
			if _, ok := v.keyspace(args[0]); !ok {
				return r.badUse("Keyspace [" + args[0] + "] does not exist.")
			}
		}
		return 0
	case "join":
		return n.cmdJoin(r)
	case "drain":
		return n.cmdDrain(r)
	case "decommission":
		return n.cmdDecommission(args, r)
	case "removenode":
		return n.cmdRemoveNode(args, r)
	case "assassinate":
		return n.cmdAssassinate(args, r)
	case "repair":
		return n.cmdRepair(args, r)
	case "cleanup":
		return n.cmdCleanup(args, r)
	case "snapshot":
		return n.cmdSnapshot(args, r)
	case "clearsnapshot":
		return n.cmdClearSnapshot(args, r)
	case "import":
		return n.cmdImport(args, r)
	case "rebuild":
		return n.cmdRebuild(args, r)
	case "getautorepairconfig", "setautorepairconfig", "autorepairstatus":
		return n.autoRepairCommand(cmd, args, r)
	case "stopdaemon":
		go func() {
			time.Sleep(100 * time.Millisecond)
			n.shutdown()
			os.Exit(0)
		}()
		return 0
	}
	return r.badUse("Found unexpected parameters: [" + cmd + "]")
}

// serviceNotAllowed is StorageService.checkServiceAllowedToStart: why gossip or the native
// transport may not be started now ("" when it may).
func (n *node) serviceNotAllowed(service string) string {
	switch mode := n.getMode(); {
	case mode == ModeDraining:
		return fmt.Sprintf("Unable to start %s because the node is draining.", service)
	case mode == ModeDrained:
		return fmt.Sprintf("Unable to start %s because the node was drained.", service)
	case mode != ModeNormal && n.cfg.JoinRing:
		return fmt.Sprintf("Unable to start %s because the node is not in the normal state.", service)
	}
	return ""
}

func runningString(b bool) string {
	if b {
		return "running"
	}
	return "not running"
}

func (n *node) netstats() string {
	var b strings.Builder
	mode := n.getMode()
	fmt.Fprintf(&b, "Mode: %s\n", mode)
	b.WriteString("Not sending any streams.\n")
	if mode != ModeStarting {
		b.WriteString("Read Repair Statistics:\nAttempted: 0\nMismatch (Blocking): 0\nMismatch (Background): 0\n")
	}
	row := func(a, b2, c, d, e string) string { return fmt.Sprintf("%-25s%10s%10s%15s%10s\n", a, b2, c, d, e) }
	b.WriteString(row("Pool Name", "Active", "Pending", "Completed", "Dropped"))
	b.WriteString(row("Large messages", "n/a", "0", "0", "0"))
	b.WriteString(row("Small messages", "n/a", "0", "0", "0"))
	b.WriteString(row("Gossip messages", "n/a", "0", "0", "0"))
	return b.String()
}

func (n *node) stopGossip() {
	if !n.g.isRunning() {
		return
	}
	c := n.cfg
	n.log.info("RMI TCP Connection", "Gossiper.java", 2044, "Announcing shutdown")
	n.g.update(func(s *EndpointState) { s.Shutdown = true })
	n.g.announce(n.ctx)
	n.g.setRunning(false)
	n.log.info("RMI TCP Connection", "StorageService.java", 3320, "Node /%s:%d state jump to shutdown", c.ListenAddress, c.StoragePort)
}

func (n *node) cmdJoin(r *reply) int {
	n.mu.Lock()
	joined := n.joined
	mode := n.mode
	n.mu.Unlock()
	if joined || mode != ModeStarting {
		return r.badUse("This node has already joined the ring.")
	}
	if err := n.bootstrapOrJoin(n.local.HostID == "" || n.local.Bootstrapped == bootNeeds); err != nil {
		return r.javaError(exceptionClass(err), "org.apache.cassandra.service.StorageService.joinRing(StorageService.java:1205)", msgOf(err))
	}
	n.actions.record(Action{Node: n.cfg.ListenAddress, HostID: n.hostID(), Action: "join", Status: "ok"})
	return 0
}

func (n *node) cmdDrain(r *reply) int {
	c := n.cfg
	mode := n.getMode()
	if mode == ModeDrained || mode == ModeDraining {
		return 0
	}
	start := time.Now()
	n.setMode(ModeDraining)
	n.log.info("RMI TCP Connection", "StorageService.java", 1658, "DRAINING: starting drain process")
	n.stopNative()
	n.stopGossip()
	_ = n.sleep(c.Knobs.DrainDuration)
	n.setMode(ModeDrained)
	n.log.info("RMI TCP Connection", "StorageService.java", 1658, "DRAINED")
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.hostID(), Action: "drain", Status: "ok", Start: start, End: time.Now()})
	return 0
}

func (v *view) future() *Ring {
	future := map[string][]int64{}
	for a, ts := range v.owned {
		if !v.leaving[a] {
			future[a] = ts
		}
	}
	for a, ts := range v.boot {
		future[a] = ts
	}
	dc, rack := map[string]string{}, map[string]string{}
	for a, s := range v.states {
		dc[a], rack[a] = s.DC, s.Rack
	}
	return NewRing(future, dc, rack)
}

func (n *node) cmdDecommission(args []string, r *reply) int {
	c := n.cfg
	force := false
	for _, a := range args {
		if a == "-f" || a == "--force" {
			force = true
		} else {
			return r.badUse("Found unexpected parameters: [" + a + "]")
		}
	}
	n.mu.Lock()
	mode, busy, boot := n.mode, n.decommissioning, n.local.Bootstrapped
	n.mu.Unlock()
	// 5.0's Decommission command asks first, prints and exits 0: a second decommission while one
	// runs, or one on a node already decommissioned, is not an error.
	if busy {
		r.out("This node is still decommissioning.\n")
		return 0
	}
	if boot == bootDecommissioned {
		r.out("Node was already decommissioned.\n")
		return 0
	}
	// StorageService.decommission's refusals are UnsupportedOperationExceptions, which the command
	// rethrows as IllegalStateException("Unsupported operation: ..."): nodetool's badUse, on
	// stdout, exit code 1.
	unsupported := func(msg string) int { return r.badUse("Unsupported operation: " + msg) }
	v := n.view()
	// TokenMetadata.cloneAfterAllLeft: the ring's NORMAL members without the leaving ones; dead
	// members count.
	afterLeft := map[string]bool{}
	for a := range v.owned {
		if !v.leaving[a] {
			afterLeft[a] = true
		}
	}
	if mode != ModeLeaving {
		if _, member := v.owned[c.ListenAddress]; !member {
			return unsupported("local node is not a member of the token ring yet")
		}
		if len(afterLeft) < 2 && afterLeft[c.ListenAddress] {
			return unsupported("no other normal nodes in the ring; decommission would be pointless")
		}
		if mode != ModeNormal {
			return unsupported("Node in " + mode + " state; wait for status to become normal or restart")
		}
	}
	if mode != ModeLeaving {
		future := v.future()
		for _, name := range sortedKeys(v.schema) {
			ks := v.schema[name]
			if ks.Dropped || ks.Class == "LocalStrategy" {
				continue
			}
			if !force {
				// NetworkTopologyStrategy: the local datacenter's members and RF; otherwise the
				// whole ring and the RF.
				rf, nodes, self := ks.RF, 0, afterLeft[c.ListenAddress]
				if ks.Class == "NetworkTopologyStrategy" {
					rf = ks.DCs[c.DC]
					for a := range afterLeft {
						if v.states[a].DC == c.DC {
							nodes++
						}
					}
				} else {
					nodes = len(afterLeft)
				}
				if nodes <= rf && self {
					return unsupported(fmt.Sprintf("Not enough live nodes to maintain replication factor in keyspace %s (RF = %d, N = %d). Perform a forceful decommission to ignore.", name, rf, nodes))
				}
			}
			if PendingRanges(v.ring, future, ks, c.ListenAddress) {
				return unsupported("data is currently moving to this node; unable to leave the ring")
			}
		}
	}
	n.mu.Lock()
	if n.decommissioning { // another decommission got in since the first look
		n.mu.Unlock()
		return r.badUse("Node is still decommissioning. Check nodetool netstats or nodetool info.")
	}
	n.decommissioning = true
	n.mode = ModeLeaving
	n.mu.Unlock()
	start := time.Now()
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.hostID(), Action: "decommission", Status: "started", Start: start})
	n.log.info("RMI TCP Connection", "StorageService.java", 1658, "LEAVING: sleeping %d ms for batch processing and pending range setup", c.Knobs.RingDelay.Milliseconds())
	n.g.update(func(s *EndpointState) { s.Status = StatusLeaving })
	_ = n.sleep(c.Knobs.RingDelay / 2)
	n.log.info("RMI TCP Connection", "StorageService.java", 1658, "LEAVING: streaming data to other nodes")
	_ = n.sleep(c.Knobs.DecommissionDuration)
	n.g.update(func(s *EndpointState) { s.Status = StatusLeft })
	n.g.announce(n.ctx)
	n.log.info("RMI TCP Connection", "StorageService.java", 1658, "LEAVING: sleeping %d ms for pending range setup", c.Knobs.RingDelay.Milliseconds())
	_ = n.sleep(c.Knobs.RingDelay / 2)
	n.stopNative()
	n.g.setRunning(false)
	n.mu.Lock()
	n.mode = ModeDecommissioned
	n.decommissioning = false
	n.joined = false
	n.local.Bootstrapped = bootDecommissioned
	n.mu.Unlock()
	_ = n.saveLocal()
	n.log.info("RMI TCP Connection", "StorageService.java", 1658, "DECOMMISSIONED")
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.hostID(), Action: "decommission", Status: "ok", Start: start, End: time.Now()})
	return 0
}

func (n *node) cmdRemoveNode(args []string, r *reply) int {
	c := n.cfg
	const where = "org.apache.cassandra.service.StorageService.removeNode(StorageService.java:5158)"
	if len(args) != 1 {
		return r.badUse("Missing required argument: <status>|<force>|<ID>")
	}
	n.mu.Lock()
	rem := n.removal
	n.mu.Unlock()
	switch args[0] {
	case "status":
		if rem == nil || rem.finished {
			r.out("RemovalStatus: No token removals in process.\n")
		} else {
			r.out("RemovalStatus: Removing token (%d). Waiting for replication confirmation from [%s].\n", rem.tokens[0], strings.Join(withPort(rem.waitFor, c.StoragePort), ","))
		}
		return 0
	case "force":
		// RemoveNode prints the status, then forceRemoveCompletion only logs when there is
		// nothing to force: exit code 0 either way.
		if rem == nil || rem.finished {
			r.out("RemovalStatus: No token removals in process.\n")
			n.log.warn("RMI TCP Connection", "StorageService.java", 5130, "No nodes to force removal on, call 'removenode' first")
			return 0
		}
		r.out("RemovalStatus: Removing token (%d). Waiting for replication confirmation from [%s].\n", rem.tokens[0], strings.Join(withPort(rem.waitFor, c.StoragePort), ","))
		select {
		case rem.forceCh <- struct{}{}:
		default:
		}
		return 0
	}
	id := args[0]
	v := n.view()
	// StorageService.removeNode's order: unknown ID, not a ring member, self, alive, busy.
	addr, known := "", false
	for a, s := range v.states {
		if s.HostID == id && s.Status != StatusLeft && s.Status != StatusRemoved {
			known = true
			if _, ok := v.owned[a]; ok {
				addr = a
			}
		}
	}
	if id == n.hostID() {
		known = true
		if _, ok := v.owned[c.ListenAddress]; ok {
			addr = c.ListenAddress
		}
	}
	if !known {
		return r.javaError("java.lang.UnsupportedOperationException", where, "Host ID not found.")
	}
	if addr == "" {
		return r.javaError("java.lang.UnsupportedOperationException", where, "Node to be removed is not a member of the token ring")
	}
	if addr == c.ListenAddress {
		return r.javaError("java.lang.UnsupportedOperationException", where, "Cannot remove self")
	}
	if v.alive[addr] {
		return r.javaError("java.lang.UnsupportedOperationException", where, fmt.Sprintf("Node /%s:%d is alive and owns this ID. Use decommission command to remove it from the ring", addr, c.StoragePort))
	}
	if rem != nil && !rem.finished {
		return r.javaError("java.lang.UnsupportedOperationException", where, "This node is already processing a removal. Wait for it to complete, or use 'removenode force' if this has failed.")
	}
	var waitFor []string
	for a := range v.owned {
		if a != addr && a != c.ListenAddress && v.alive[a] {
			waitFor = append(waitFor, a)
		}
	}
	sort.Strings(waitFor)
	rem = &removal{hostID: id, address: addr, tokens: v.owned[addr], waitFor: waitFor, forceCh: make(chan struct{}, 1)}
	sort.Slice(rem.tokens, func(i, j int) bool { return rem.tokens[i] < rem.tokens[j] })
	n.mu.Lock()
	n.removal = rem
	n.mu.Unlock()
	start := time.Now()
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.hostID(), Action: "removenode", Status: "started", Start: start, Target: id, Replicas: []string{addr}})
	n.log.info("RMI TCP Connection", "StorageService.java", 5190, "Removing host %s (/%s:%d)", id, addr, c.StoragePort)
	n.g.updateOther(addr, func(s *EndpointState) { s.Status = StatusRemoving; s.RemovedBy = n.hostID() })
	select {
	case <-time.After(c.Knobs.RemovenodeDuration):
	case <-rem.forceCh:
		n.log.warn("RMI TCP Connection", "StorageService.java", 5130, "Removal not confirmed for %s", strings.Join(withPort(waitFor, c.StoragePort), ","))
	case <-n.ctx.Done():
	}
	n.g.updateOther(addr, func(s *EndpointState) { s.Status = StatusRemoved })
	n.mu.Lock()
	rem.finished = true
	n.mu.Unlock()
	n.log.info("RMI TCP Connection", "StorageService.java", 5215, "Removed host %s (/%s:%d)", id, addr, c.StoragePort)
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.hostID(), Action: "removenode", Status: "ok", Start: start, End: time.Now(), Target: id, Replicas: []string{addr}})
	return 0
}

func withPort(addrs []string, port int) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = fmt.Sprintf("/%s:%d", a, port)
	}
	return out
}

func (n *node) cmdAssassinate(args []string, r *reply) int {
	if len(args) != 1 {
		return r.badUse("Missing required argument: <ip_address>")
	}
	ip := args[0]
	if net.ParseIP(ip) == nil {
		return r.javaError("java.net.UnknownHostException", "java.base/java.net.InetAddress.getAllByName0(InetAddress.java:1302)", ip+": Name or service not known")
	}
	// Gossiper.assassinateEndpoint makes up a state for an endpoint it does not know: no error.
	n.log.warn("RMI TCP Connection", "Gossiper.java", 717, "Assassinating /%s:%d via gossip", ip, n.cfg.StoragePort)
	n.g.updateOther(ip, func(s *EndpointState) { s.Status = StatusLeft })
	n.actions.record(Action{Node: n.cfg.ListenAddress, HostID: n.hostID(), Action: "assassinate", Status: "ok", Target: ip})
	return 0
}

func (n *node) cmdCleanup(args []string, r *reply) int {
	c := n.cfg
	var pos []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-j" || a == "--jobs":
			i++
		case strings.HasPrefix(a, "-"):
			return r.badUse("Found unexpected parameters: [" + a + "]")
		default:
			pos = append(pos, a)
		}
	}
	v := n.view()
	var keyspaces []string
	var tables []string
	if len(pos) > 0 {
		keyspaces = pos[:1]
		tables = pos[1:]
		if _, ok := v.keyspace(pos[0]); !ok {
			return r.badUse("Keyspace [" + pos[0] + "] does not exist.")
		}
		if pos[0] == "system" || pos[0] == "system_schema" {
			return 0 // nodetool's Cleanup skips the local system keyspaces without a word
		}
	} else {
		keyspaces = v.userKeyspaces()
	}
	future := v.future()
	for _, name := range keyspaces {
		ks := v.schema[name]
		if PendingRanges(v.ring, future, ks, c.ListenAddress) {
			return r.javaError("java.lang.RuntimeException", "org.apache.cassandra.service.StorageService.forceKeyspaceCleanup(StorageService.java:3786)", "Node is involved in cluster membership changes. Not safe to run cleanup.")
		}
		start := time.Now()
		n.actions.record(Action{Node: c.ListenAddress, HostID: n.hostID(), Action: "cleanup", Status: "started", Start: start, Keyspace: name, Tables: tables})
		_ = n.sleep(c.Knobs.CleanupDuration)
		n.actions.record(Action{Node: c.ListenAddress, HostID: n.hostID(), Action: "cleanup", Status: "ok", Start: start, End: time.Now(), Keyspace: name, Tables: tables})
	}
	return 0
}

// seedLine is getseeds' and reloadseeds' answer: the seeds other than the node itself as
// "/<ip>:<storage port>", or Cassandra's sentence for none.
func (n *node) seedLine(prefix string, seeds []string) string {
	var out []string
	for _, s := range seeds {
		if s != n.cfg.ListenAddress {
			out = append(out, "/"+net.JoinHostPort(s, strconv.Itoa(n.cfg.StoragePort)))
		}
	}
	if len(out) == 0 {
		return "Seed node list does not contain any remote node IPs"
	}
	return prefix + strings.Join(out, " ")
}

// cmdRebuild is `nodetool rebuild [--] [<source dc>]`: StorageService.rebuild streams the ranges
// this node owns from the source data centre (any other when none is named). An unknown data
// centre is refused as Cassandra 4.0+ refuses it; the streaming takes the cleanup duration knob.
func (n *node) cmdRebuild(args []string, r *reply) int {
	c := n.cfg
	var pos []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case a == "-ks" || a == "--keyspace" || a == "-ts" || a == "--tokens" || a == "-s" || a == "--sources":
			i++
		case strings.HasPrefix(a, "-"):
			return r.badUse("Found unexpected parameters: [" + a + "]")
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) > 1 {
		return r.badUse("Found unexpected parameters: [" + strings.Join(pos[1:], ", ") + "]")
	}
	v := n.view()
	dcs := map[string]bool{}
	for _, s := range v.states {
		if s.DC != "" {
			dcs[s.DC] = true
		}
	}
	src := ""
	if len(pos) == 1 {
		src = pos[0]
		if !dcs[src] {
			names := sortedKeys(dcs)
			return r.javaError("java.lang.IllegalArgumentException", "org.apache.cassandra.service.StorageService.rebuild(StorageService.java:1312)",
				fmt.Sprintf("Provided datacenter '%s' is not a valid datacenter, available datacenters are: %s", src, strings.Join(names, ",")))
		}
	}
	start := time.Now()
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.hostID(), Action: "rebuild", Status: "started", Start: start, Target: src})
	_ = n.sleep(c.Knobs.CleanupDuration)
	n.actions.record(Action{Node: c.ListenAddress, HostID: n.hostID(), Action: "rebuild", Status: "ok", Start: start, End: time.Now(), Target: src})
	return 0
}
