package render

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cassmesos/cassmesos/internal/specrules"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Cassandra's defaults for the parts of NodeTaskConfig left zero (specrules', which the daemon
// fills in too).
const (
	DefaultStoragePort    = specrules.DefaultStoragePort
	DefaultSSLStoragePort = specrules.DefaultSSLStoragePort
	DefaultJMXPort        = specrules.DefaultJMXPort
	DefaultNativePort     = specrules.DefaultNativePort
	DefaultNumTokens      = specrules.DefaultNumTokens
	DefaultSnitch         = specrules.DefaultSnitch
	DefaultDatacenter     = specrules.DefaultDatacenter
	DefaultRack           = specrules.DefaultRack
)

// Ports are the node's ports with defaults filled in.
type Ports struct {
	Storage, SSLStorage, JMX, Native uint32
}

// PortsOf returns cfg's ports, Cassandra's defaults where zero.
func PortsOf(cfg *cassmesosv1.NodeTaskConfig) Ports {
	p := Ports{DefaultStoragePort, DefaultSSLStoragePort, DefaultJMXPort, DefaultNativePort}
	if cp := cfg.GetPorts(); cp != nil {
		if cp.GetStorage() != 0 {
			p.Storage = cp.GetStorage()
		}
		if cp.GetSslStorage() != 0 {
			p.SSLStorage = cp.GetSslStorage()
		}
		if cp.GetJmx() != 0 {
			p.JMX = cp.GetJmx()
		}
		if cp.GetNative() != 0 {
			p.Native = cp.GetNative()
		}
	}
	return p
}

// SettingsFor maps a NodeTaskConfig to the cassandra.yaml settings, with defaults filled in.
// dataDir is the absolute data directory; autoBootstrap is the value to render (the caller
// turns it off once the node has bootstrapped).
func SettingsFor(cfg *cassmesosv1.NodeTaskConfig, dataDir string, autoBootstrap bool) Settings {
	p := PortsOf(cfg)
	s := Settings{
		ClusterName:    cfg.GetClusterName(),
		NumTokens:      int(cfg.GetNumTokens()),
		Seeds:          cfg.GetSeeds(),
		Address:        cfg.GetAddress(),
		StoragePort:    p.Storage,
		SSLStoragePort: p.SSLStorage,
		NativePort:     p.Native,
		Snitch:         cfg.GetSnitch(),
		DataDir:        dataDir,
		AutoBootstrap:  autoBootstrap,
		Extras:         cfg.GetCassandraYaml(),
		AutoRepair:     AutoRepairFor(cfg),
	}
	if t := cfg.GetInitialTokens(); len(t) > 0 && cfg.GetReplaceAddress() == "" {
		s.InitialTokens = append([]string(nil), t...)
		s.NumTokens = len(t)
	}
	if s.ClusterName == "" {
		s.ClusterName = cfg.GetRing()
	}
	if s.NumTokens == 0 {
		s.NumTokens = DefaultNumTokens
	}
	if len(s.Seeds) == 0 && s.Address != "" {
		s.Seeds = []string{s.Address}
	}
	if s.Snitch == "" {
		s.Snitch = DefaultSnitch
	}
	return s
}

// AutoRepairJVMOption turns Cassandra 5's Auto Repair on (with auto_repair.enabled in
// cassandra.yaml); the executor adds it when the task config carries auto_repair.
const AutoRepairJVMOption = "-Dcassandra.autorepair.enable=true"

// AutoRepairFor returns the auto_repair section for cfg, defaults filled in (full repair, 24h),
// or nil when the ring's repair engine is cassmesos.
func AutoRepairFor(cfg *cassmesosv1.NodeTaskConfig) *AutoRepair {
	ar := cfg.GetAutoRepair()
	if ar == nil {
		return nil
	}
	a := &AutoRepair{Types: ar.GetRepairTypes(), MinInterval: ar.GetMinRepairInterval().AsDuration()}
	if len(a.Types) == 0 {
		a.Types = []string{"full"}
	}
	if a.MinInterval <= 0 {
		a.MinInterval = specrules.DefaultAutoRepairInterval
	}
	return a
}

// RackDC renders cassandra-rackdc.properties for GossipingPropertyFileSnitch.
func RackDC(dc, rack string) []byte {
	if dc == "" {
		dc = DefaultDatacenter
	}
	if rack == "" {
		rack = DefaultRack
	}
	return []byte("# Written by cassmesos-executor.\ndc=" + dc + "\nrack=" + rack + "\n")
}

var jmxPortLine = regexp.MustCompile(`(?m)^JMX_PORT=.*$`)

// EnvSh rewrites the JMX_PORT assignment that Apache's conf/cassandra-env.sh hard-codes
// (JMX_PORT="7199"), so the script does not override the configured port. A file without such a
// line is returned unchanged (the JMX_PORT environment variable then applies).
func EnvSh(src []byte, jmxPort uint32) []byte {
	return jmxPortLine.ReplaceAll(src, []byte(`JMX_PORT="`+strconv.FormatUint(uint64(jmxPort), 10)+`"`))
}

// Paths are the directories one node runs with.
type Paths struct {
	// Home is the Cassandra distribution (the directory holding bin/cassandra).
	Home string
	// Conf is the per-task configuration directory (CASSANDRA_CONF).
	Conf string
	// Data is the absolute data directory on the persistent volume.
	Data string
	// Logs is CASSANDRA_LOG_DIR.
	Logs string
	// JavaHome is the shipped Java runtime, "" to use the host's.
	JavaHome string
	// TaskMemMB is the memory the task was given (its "mem" resource), 0 when unknown. The JVM's
	// direct memory is sized from what the heap leaves of it.
	TaskMemMB int64
}

// DirectMemoryMB returns the -XX:MaxDirectMemorySize for a node whose task has taskMemMB of memory
// and whose heap is heapMB: half of what the heap leaves (the other half is metaspace, code cache,
// thread stacks and the allocator's own overhead), at least 64 MB. 0 when either is unknown, which
// leaves the JVM's default (the heap size) in place.
func DirectMemoryMB(taskMemMB, heapMB int64) int64 {
	if taskMemMB <= 0 || heapMB <= 0 {
		return 0
	}
	return max((taskMemMB-heapMB)/2, 64)
}

// HeapSizes returns MAX_HEAP_SIZE and HEAP_NEWSIZE ("2048M", "400M"), or "" when cassandra-env.sh
// should compute them. cassandra-env.sh wants both or neither, so a missing new size is derived
// from the heap (a quarter, at most 800M, at least 16M).
func HeapSizes(heapMB, newMB int64) (maxHeap, newSize string) {
	if heapMB <= 0 {
		return "", ""
	}
	if newMB <= 0 {
		newMB = min(max(heapMB/4, 16), 800)
	}
	return strconv.FormatInt(heapMB, 10) + "M", strconv.FormatInt(newMB, 10) + "M"
}

// JVMExtraOpts joins the direct memory limit (unless the task's JVM options set one), the task's
// JVM options and, when the node replaces a dead one, the replace_address_first_boot property.
// The options are checked with specrules.JVMOption, the daemon's rule (cassandra-env.sh splits
// JVM_EXTRA_OPTS on white space, so an option containing white space is refused).
func JVMExtraOpts(cfg *cassmesosv1.NodeTaskConfig, taskMemMB int64) (string, error) {
	var opts []string
	direct := DirectMemoryMB(taskMemMB, cfg.GetHeapMb())
	if err := specrules.JVMOptions(configField, cfg.GetJvmOptions()); err != nil {
		return "", err
	}
	for _, o := range cfg.GetJvmOptions() {
		if strings.HasPrefix(o, "-XX:MaxDirectMemorySize=") {
			direct = 0
		}
	}
	if direct > 0 {
		opts = append(opts, "-XX:MaxDirectMemorySize="+strconv.FormatInt(direct, 10)+"M")
	}
	opts = append(opts, cfg.GetJvmOptions()...)
	if cfg.GetAutoRepair() != nil {
		opts = append(opts, AutoRepairJVMOption)
	}
	if a := cfg.GetReplaceAddress(); a != "" {
		if strings.ContainsAny(a, " \t\r\n") {
			return "", fmt.Errorf("%sreplace_address %q: contains white space", configField, a)
		}
		opts = append(opts, "-Dcassandra.replace_address_first_boot="+a)
	}
	return strings.Join(opts, " "), nil
}

// Env returns the environment variables (sorted "KEY=value") that bin/cassandra and bin/nodetool
// run with, on top of the executor's own environment. JMX stays local (LOCAL_JMX=yes: bound to
// 127.0.0.1) and authenticated (JMXOpts, last in JVM_EXTRA_OPTS).
func Env(cfg *cassmesosv1.NodeTaskConfig, p Paths) ([]string, error) {
	extra, err := JVMExtraOpts(cfg, p.TaskMemMB)
	if err != nil {
		return nil, err
	}
	jmx, err := JMXOpts(p.Conf)
	if err != nil {
		return nil, err
	}
	extra = strings.TrimSpace(extra + " " + strings.Join(jmx, " "))
	env := map[string]string{
		"CASSANDRA_HOME":    p.Home,
		"CASSANDRA_CONF":    p.Conf,
		"CASSANDRA_LOG_DIR": p.Logs,
		"JMX_PORT":          strconv.FormatUint(uint64(PortsOf(cfg).JMX), 10),
		"LOCAL_JMX":         "yes",
	}
	if extra != "" {
		env["JVM_EXTRA_OPTS"] = extra
	}
	if h, n := HeapSizes(cfg.GetHeapMb(), cfg.GetHeapNewMb()); h != "" {
		env["MAX_HEAP_SIZE"], env["HEAP_NEWSIZE"] = h, n
	}
	if p.JavaHome != "" {
		env["JAVA_HOME"] = p.JavaHome
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out, nil
}
