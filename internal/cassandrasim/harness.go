package cassandrasim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// NodeSpec describes a stand-in node started by StartNode, the way an executor would set up a real
// Cassandra: a rendered conf directory, CASSANDRA_CONF, JVM_EXTRA_OPTS, MAX_HEAP_SIZE/HEAP_NEWSIZE,
// and `bin/cassandra -f` in its own process group.
type NodeSpec struct {
	Home          string // an unpacked distribution (BuildDist or the tarball)
	Dir           string // the node's own directory; conf/, data/ and logs/ are made in it
	Address       string // listen_address and rpc_address, e.g. 127.0.0.2
	Seeds         []string
	ClusterName   string // default "Test Cluster"
	StoragePort   int    // default 7000
	NativePort    int    // default 9042
	JMXPort       int    // default 7199
	NumTokens     int    // default 16
	DC, Rack      string // when set, GossipingPropertyFileSnitch with these; else SimpleSnitch
	AutoBootstrap *bool
	JVMExtraOpts  []string          // e.g. "-Dcassandra.replace_address_first_boot=127.0.0.4"
	Knobs         map[string]string // knob name -> value, passed as CASSANDRA_SIM_<NAME>
	Env           []string          // more environment
	ExtraYAML     string            // appended to cassandra.yaml (e.g. an auto_repair section)
}

func (s *NodeSpec) defaults() {
	if s.ClusterName == "" {
		s.ClusterName = "Test Cluster"
	}
	if s.StoragePort == 0 {
		s.StoragePort = 7000
	}
	if s.NativePort == 0 {
		s.NativePort = 9042
	}
	if s.JMXPort == 0 {
		s.JMXPort = 7199
	}
	if s.NumTokens == 0 {
		s.NumTokens = 16
	}
}

// RenderConf writes the node's conf directory from the distribution's own conf: cassandra.yaml with
// the keys a framework owns overlaid, cassandra-rackdc.properties, and cassandra-env.sh with its
// JMX_PORT line rewritten. It returns the conf directory.
func RenderConf(spec NodeSpec) (string, error) {
	spec.defaults()
	conf := filepath.Join(spec.Dir, "conf")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(filepath.Join(spec.Home, "conf"))
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(spec.Home, "conf", e.Name()))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(conf, e.Name()), b, 0o644); err != nil {
			return "", err
		}
	}
	snitch := "SimpleSnitch"
	if spec.DC != "" {
		snitch = "GossipingPropertyFileSnitch"
		rack := spec.Rack
		if rack == "" {
			rack = "rack1"
		}
		props := fmt.Sprintf("dc=%s\nrack=%s\n", spec.DC, rack)
		if err := os.WriteFile(filepath.Join(conf, "cassandra-rackdc.properties"), []byte(props), 0o644); err != nil {
			return "", err
		}
	}
	var seeds []string
	for _, s := range spec.Seeds {
		seeds = append(seeds, net.JoinHostPort(s, strconv.Itoa(spec.StoragePort)))
	}
	data := filepath.Join(spec.Dir, "data")
	auto := ""
	if spec.AutoBootstrap != nil {
		auto = fmt.Sprintf("auto_bootstrap: %t\n", *spec.AutoBootstrap)
	}
	overlay := map[string]string{
		"cluster_name":          quoteYAML(spec.ClusterName),
		"num_tokens":            strconv.Itoa(spec.NumTokens),
		"listen_address":        spec.Address,
		"rpc_address":           spec.Address,
		"storage_port":          strconv.Itoa(spec.StoragePort),
		"native_transport_port": strconv.Itoa(spec.NativePort),
		"endpoint_snitch":       snitch,
	}
	yamlBytes, err := os.ReadFile(filepath.Join(conf, "cassandra.yaml"))
	if err != nil {
		return "", err
	}
	y := string(yamlBytes)
	for k, v := range overlay {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(k) + `:.*$`)
		y = re.ReplaceAllLiteralString(y, k+": "+v)
	}
	y = regexp.MustCompile(`(?m)^      - seeds: .*$`).ReplaceAllLiteralString(y, `      - seeds: "`+strings.Join(seeds, ",")+`"`)
	y += fmt.Sprintf("\ndata_file_directories:\n    - %s\ncommitlog_directory: %s\nhints_directory: %s\nsaved_caches_directory: %s\n%s",
		filepath.Join(data, "data"), filepath.Join(data, "commitlog"), filepath.Join(data, "hints"), filepath.Join(data, "saved_caches"), auto)
	if spec.ExtraYAML != "" {
		y += "\n" + spec.ExtraYAML + "\n"
	}
	if err := os.WriteFile(filepath.Join(conf, "cassandra.yaml"), []byte(y), 0o644); err != nil {
		return "", err
	}
	envPath := filepath.Join(conf, "cassandra-env.sh")
	env, err := os.ReadFile(envPath)
	if err != nil {
		return "", err
	}
	env = regexp.MustCompile(`(?m)^JMX_PORT=.*$`).ReplaceAll(env, []byte(`JMX_PORT="`+strconv.Itoa(spec.JMXPort)+`"`))
	if err := os.WriteFile(envPath, env, 0o644); err != nil {
		return "", err
	}
	return conf, nil
}

func quoteYAML(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// CassandraArgs are the bin/cassandra arguments StartNode uses: -f, and -R when this process runs
// as root or with group root, which bin/cassandra (the stand-in's as Apache's) otherwise refuses.
func CassandraArgs() []string {
	if os.Geteuid() == 0 || os.Getegid() == 0 {
		return []string{"-f", "-R"}
	}
	return []string{"-f"}
}

// Node is a running stand-in node process.
type Node struct {
	Spec NodeSpec
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	code int
}

// StartNode renders the node's configuration and runs `bin/cassandra -f` (with -R as root) in its
// own process group.
// stdout and stderr go to <Dir>/logs/stdout.log and <Dir>/logs/stderr.log.
func StartNode(spec NodeSpec) (*Node, error) {
	spec.defaults()
	if spec.Home == "" || spec.Dir == "" || spec.Address == "" || len(spec.Seeds) == 0 {
		return nil, fmt.Errorf("NodeSpec needs Home, Dir, Address and Seeds")
	}
	conf, err := RenderConf(spec)
	if err != nil {
		return nil, fmt.Errorf("rendering the configuration: %w", err)
	}
	logs := filepath.Join(spec.Dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	stdout, err := os.OpenFile(filepath.Join(logs, "stdout.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	stderr, err := os.OpenFile(filepath.Join(logs, "stderr.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		stdout.Close()
		return nil, err
	}
	cmd := exec.Command(filepath.Join(spec.Home, "bin", "cassandra"), CassandraArgs()...)
	cmd.Env = append(os.Environ(),
		"CASSANDRA_HOME="+spec.Home, "CASSANDRA_CONF="+conf, "CASSANDRA_LOG_DIR="+logs,
		"MAX_HEAP_SIZE=256M", "HEAP_NEWSIZE=64M", "JVM_EXTRA_OPTS="+strings.Join(spec.JVMExtraOpts, " "))
	for _, k := range sortedKeys(spec.Knobs) {
		cmd.Env = append(cmd.Env, "CASSANDRA_SIM_"+strings.ToUpper(k)+"="+spec.Knobs[k])
	}
	cmd.Env = append(cmd.Env, spec.Env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		return nil, err
	}
	n := &Node{Spec: spec, cmd: cmd, done: make(chan struct{}), code: -1}
	go func() {
		err := cmd.Wait()
		stdout.Close()
		stderr.Close()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
		n.mu.Lock()
		n.code = code
		n.mu.Unlock()
		close(n.done)
	}()
	return n, nil
}

// Done is closed when the process has exited.
func (n *Node) Done() <-chan struct{} { return n.done }

// ExitCode is the process's exit code (128+signal when killed), -1 while it runs.
func (n *Node) ExitCode() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.code
}

// Pid is the process ID.
func (n *Node) Pid() int { return n.cmd.Process.Pid }

// Signal sends sig to the node's process group.
func (n *Node) Signal(sig syscall.Signal) error { return syscall.Kill(-n.cmd.Process.Pid, sig) }

// Kill sends SIGKILL and waits for the process to end.
func (n *Node) Kill() {
	_ = n.Signal(syscall.SIGKILL)
	<-n.done
}

// Stop sends SIGTERM and waits up to timeout, then SIGKILLs. It returns the exit code.
func (n *Node) Stop(timeout time.Duration) int {
	_ = n.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(timeout):
		n.Kill()
	}
	return n.ExitCode()
}

// Nodetool runs the distribution's bin/nodetool against this node.
func (n *Node) Nodetool(ctx context.Context, args ...string) (stdout, stderr string, code int, err error) {
	full := append([]string{"-h", n.Spec.Address, "-p", strconv.Itoa(n.Spec.JMXPort)}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(n.Spec.Home, "bin", "nodetool"), full...)
	cmd.Env = append(os.Environ(), "CASSANDRA_HOME="+n.Spec.Home, "CASSANDRA_CONF="+filepath.Join(n.Spec.Dir, "conf"))
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return o.String(), e.String(), ee.ExitCode(), nil
	}
	return o.String(), e.String(), 0, err
}

// CQL runs schema statements through the distribution's bin/cqlsh against this node.
func (n *Node) CQL(ctx context.Context, statements string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(n.Spec.Home, "bin", "cqlsh"), n.Spec.Address, strconv.Itoa(n.Spec.NativePort), "-e", statements)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cqlsh: %v: %s", err, out)
	}
	return nil
}

// SystemLog returns the node's logs/system.log.
func (n *Node) SystemLog() string {
	b, _ := os.ReadFile(filepath.Join(n.Spec.Dir, "logs", "system.log"))
	return string(b)
}

// Stderr returns what the process wrote to stderr.
func (n *Node) Stderr() string {
	b, _ := os.ReadFile(filepath.Join(n.Spec.Dir, "logs", "stderr.log"))
	return string(b)
}

// LoopbackBlock picks a random /24 of 127/8 (127.X.Y.0, X in 100..254) for one test, so tests
// running in parallel do not collide on the default ports; it returns a function giving host i.
func LoopbackBlock() func(i int) string {
	x, y := 100+rand.IntN(155), rand.IntN(256)
	return func(i int) string { return fmt.Sprintf("127.%d.%d.%d", x, y, i) }
}

// FastKnobs are knob values that keep a test ring quick: 100ms gossip, 1s failure detection.
func FastKnobs() map[string]string {
	return map[string]string{
		"gossip_interval": "100ms", "failure_detection_timeout": "1s", "ring_delay": "300ms",
		"bootstrap_duration": "1s", "repair_full_ring_duration": "3s", "cleanup_duration": "100ms",
		"drain_duration": "100ms",
	}
}

// StatusCodes runs `nodetool status` and returns each listed address's two-letter code (UN, DN,
// UJ, ...), read with whitespace splitting; for precise parsing use executor/nodetool.
func (n *Node) StatusCodes(ctx context.Context) (map[string]string, error) {
	out, errOut, code, err := n.Nodetool(ctx, "status")
	if err != nil || code != 0 {
		return nil, fmt.Errorf("nodetool status: exit %d: %v %s%s", code, err, out, errOut)
	}
	res := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && len(f[0]) == 2 && strings.ContainsAny(f[0][:1], "UD?") && net.ParseIP(f[1]) != nil {
			res[f[1]] = f[0]
		}
	}
	return res, nil
}

// FormatCodes prints a code map deterministically, for messages.
func FormatCodes(m map[string]string) string {
	keys := sortedKeys(m)
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, " ")
}
