package cassandrasim

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is everything a stand-in node reads at start: cassandra.yaml, cassandra-rackdc.properties,
// the -D properties and JVM options from its command line, the environment and the fault knobs.
type Config struct {
	Home    string
	ConfDir string
	LogDir  string

	ClusterName   string
	NumTokens     int
	InitialTokens []int64
	// AllocateTokensRF is allocate_tokens_for_local_replication_factor (0: not set): tokens are
	// then chosen by the replication-aware allocator (tokenalloc.go).
	AllocateTokensRF     int
	Seeds                []string // seed addresses (IP only)
	YAMLPath             string   // the cassandra.yaml read (reloadseeds reads its seeds again)
	ListenAddress        string
	StoragePort          int
	NativePort           int
	RPCAddress           string
	StartNativeTransport bool
	Snitch               string // full class name
	DataDirs             []string
	CommitlogDir         string
	HintsDir             string
	SavedCachesDir       string
	AutoBootstrap        bool
	DC, Rack             string

	JMXPort                 int // 0: JMX disabled (neither cassandra.jmx.local.port nor cassandra.jmx.remote.port)
	ReplaceAddress          string
	JoinRing                bool
	ConsistentRangeMovement bool
	OverrideDecommission    bool
	MaxHeapMB               float64
	Props                   map[string]string // every -D property
	// JMXAuth is -Dcom.sun.management.jmxremote.authenticate=true (the last -D wins, as in the
	// JVM): every nodetool call must then give a user and password listed in JMXPasswordFile
	// (-Dcom.sun.management.jmxremote.password.file, "user password" lines, read at each call as
	// Cassandra's JMXPluggableAuthenticatorWrapper reads it).
	JMXAuth         bool
	JMXPasswordFile string
	// TLS is server_encryption_options and client_encryption_options, loaded (tls.go).
	TLS *TLSConfig
	// AutoRepair is Cassandra 5's Auto Repair as configured (autorepair.go).
	AutoRepair AutoRepair

	Knobs Knobs
}

// Knobs are the stand-in's fault and timing controls (conf/cassandra-sim.properties, overridden by
// CASSANDRA_SIM_<NAME> environment variables).
type Knobs struct {
	StartDelay              time.Duration
	HangOnStart             bool
	BootstrapDuration       time.Duration
	DecommissionDuration    time.Duration
	RemovenodeDuration      time.Duration
	RepairFullRingDuration  time.Duration // time to repair ranges covering the whole ring once
	RepairFailureRate       float64       // probability that a repair session fails
	CleanupDuration         time.Duration
	DrainDuration           time.Duration
	CrashAfter              time.Duration // 0: never
	GossipInterval          time.Duration
	GossipFanout            int // 0: every known endpoint each round, full states; > 0: that many random live peers, digests
	FailureDetectionTimeout time.Duration
	RingDelay               time.Duration
	JMXInitDelay            time.Duration // JMX answers "Server is not initialized yet" this long
	ActionLog               string
	LoadBytes               float64
}

// knobNames lists the knobs, their defaults and their meaning (also rendered into the docs and the
// properties file).
var knobNames = []struct{ Name, Default, Help string }{
	{"start_delay", "0s", "sleep this long before doing anything (binding ports, logging the start)"},
	{"hang_on_start", "false", "never get past start: log the configuration, bind nothing, wait for a signal"},
	{"bootstrap_duration", "5s", "how long a bootstrap or replacement streams (0 allowed)"},
	{"decommission_duration", "", "how long a decommission streams (default: bootstrap_duration)"},
	{"removenode_duration", "", "how long removenode streams (default: bootstrap_duration)"},
	{"repair_full_ring_duration", "10s", "repair speed: time a repair of ranges adding up to the whole ring takes"},
	{"repair_failure_rate", "0", "probability (0..1) that a repair session fails"},
	{"cleanup_duration", "1s", "how long cleanup of one keyspace takes"},
	{"drain_duration", "200ms", "how long drain takes"},
	{"crash_after", "0s", "kill the process with SIGKILL this long after start (0: never)"},
	{"gossip_interval", "1s", "gossip round interval"},
	{"gossip_fanout", "0", "0: each round exchanges full states with every known endpoint (small rings); n > 0: as Cassandra, each round gossips digests with n random live peers (plus, now and then, a down peer and a seed), sends full states only where they differ, and echoes a newly learnt peer once before marking it UP (large rings)"},
	{"failure_detection_timeout", "4s", "a peer whose heartbeat has not advanced for this long is DOWN"},
	{"ring_delay", "2s", "wait for ring information before bootstrapping (Cassandra's ring delay, 30s)"},
	{"jmx_init_delay", "500ms", "after binding JMX, answer every nodetool command with \"Server is not initialized yet, cannot run nodetool.\" (exit 1) this long before starting gossip (real 5.0: tens of seconds)"},
	{"action_log", "", "action log path (default: $CASSANDRA_LOG_DIR/cassandra-sim-actions.jsonl)"},
	{"load_bytes", "102400", "the data size the node reports as Load"},
}

// LoadConfig reads a node's configuration. args are the node's command-line words after the mode
// (JVM options and -D properties); env is the process environment.
func LoadConfig(args []string, env map[string]string) (*Config, error) {
	c := &Config{Props: map[string]string{}, JoinRing: true, ConsistentRangeMovement: true}
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "-D"):
			k, v, _ := strings.Cut(a[2:], "=")
			c.Props[k] = v
		case strings.HasPrefix(a, "-Xmx"):
			mb, err := parseJVMSize(a[4:])
			if err != nil {
				return nil, fmt.Errorf("JVM option %s: %w", a, err)
			}
			c.MaxHeapMB = mb
		}
	}
	c.Home = firstNonEmpty(env["CASSANDRA_HOME"], c.Props["cassandra.home"])
	if c.Home == "" {
		exe, err := os.Executable()
		if err == nil {
			c.Home = filepath.Dir(filepath.Dir(exe))
		}
	}
	c.ConfDir = firstNonEmpty(env["CASSANDRA_CONF"], filepath.Join(c.Home, "conf"))
	c.LogDir = firstNonEmpty(c.Props["cassandra.logdir"], env["CASSANDRA_LOG_DIR"], filepath.Join(c.Home, "logs"))
	if c.MaxHeapMB == 0 {
		if v := env["MAX_HEAP_SIZE"]; v != "" {
			mb, err := parseJVMSize(v)
			if err != nil {
				return nil, fmt.Errorf("MAX_HEAP_SIZE=%q: %w", v, err)
			}
			c.MaxHeapMB = mb
		} else {
			c.MaxHeapMB = 1024
		}
	}
	yamlPath := filepath.Join(c.ConfDir, "cassandra.yaml")
	if v := c.Props["cassandra.config"]; v != "" {
		yamlPath = strings.TrimPrefix(v, "file://")
	}
	c.YAMLPath = yamlPath
	raw, err := os.ReadFile(yamlPath)
	if err != nil {
		return nil, fmt.Errorf("Cannot locate %s", yamlPath)
	}
	if err := c.parseYAML(raw); err != nil {
		return nil, fmt.Errorf("Invalid yaml: %s: %w", yamlPath, err)
	}
	if c.AutoRepair, err = parseAutoRepair(raw, c.Props); err != nil {
		return nil, fmt.Errorf("Invalid yaml: %s: %w", yamlPath, err)
	}
	if c.Snitch == "org.apache.cassandra.locator.GossipingPropertyFileSnitch" || c.Snitch == "org.apache.cassandra.locator.PropertyFileSnitch" {
		p := filepath.Join(c.ConfDir, "cassandra-rackdc.properties")
		props, err := readProperties(p)
		if err != nil {
			return nil, fmt.Errorf("Unable to read cassandra-rackdc.properties: %w", err)
		}
		c.DC = firstNonEmpty(strings.TrimSpace(props["dc"]), "UNKNOWN_DC")
		c.Rack = firstNonEmpty(strings.TrimSpace(props["rack"]), "UNKNOWN_RACK")
	} else {
		c.DC, c.Rack = "datacenter1", "rack1"
	}
	for _, k := range []string{"cassandra.jmx.local.port", "cassandra.jmx.remote.port"} {
		if v := c.Props[k]; v != "" {
			p, err := strconv.Atoi(v)
			if err != nil || p <= 0 || p > 65535 {
				return nil, fmt.Errorf("-D%s=%s is not a port", k, v)
			}
			c.JMXPort = p
			break
		}
	}
	c.JMXAuth = c.Props["com.sun.management.jmxremote.authenticate"] == "true"
	c.JMXPasswordFile = c.Props["com.sun.management.jmxremote.password.file"]
	c.ReplaceAddress = firstNonEmpty(c.Props["cassandra.replace_address_first_boot"], c.Props["cassandra.replace_address"])
	if c.ReplaceAddress != "" {
		ip, err := resolveAddress(c.ReplaceAddress)
		if err != nil {
			return nil, fmt.Errorf("-Dcassandra.replace_address_first_boot=%s: %w", c.ReplaceAddress, err)
		}
		c.ReplaceAddress = ip
	}
	if v, ok := c.Props["cassandra.join_ring"]; ok {
		c.JoinRing = v != "false"
	}
	if v, ok := c.Props["cassandra.consistent.rangemovement"]; ok {
		c.ConsistentRangeMovement = v != "false"
	}
	c.OverrideDecommission = c.Props["cassandra.override_decommission"] == "true"
	if v := c.Props["cassandra.initial_token"]; v != "" {
		if c.InitialTokens, err = parseTokens(v); err != nil {
			return nil, fmt.Errorf("-Dcassandra.initial_token: %w", err)
		}
	}
	if v := c.Props["cassandra.num_tokens"]; v != "" {
		if c.NumTokens, err = strconv.Atoi(v); err != nil || c.NumTokens < 1 {
			return nil, fmt.Errorf("-Dcassandra.num_tokens=%s is not a positive number", v)
		}
	}
	knobFile := filepath.Join(c.ConfDir, "cassandra-sim.properties")
	if _, err := os.Stat(knobFile); err != nil {
		knobFile = filepath.Join(c.Home, "conf", "cassandra-sim.properties")
	}
	kp, err := readProperties(knobFile)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("reading %s: %w", knobFile, err)
	}
	if c.Knobs, err = parseKnobs(kp, env); err != nil {
		return nil, err
	}
	if c.Knobs.ActionLog == "" {
		c.Knobs.ActionLog = filepath.Join(c.LogDir, "cassandra-sim-actions.jsonl")
	}
	return c, nil
}

// parseKnobs reads the knobs from the properties file, then the environment (which wins).
func parseKnobs(file, env map[string]string) (Knobs, error) {
	val := map[string]string{}
	for _, k := range knobNames {
		val[k.Name] = k.Default
		if v, ok := file[k.Name]; ok {
			val[k.Name] = strings.TrimSpace(v)
		}
		if v, ok := env["CASSANDRA_SIM_"+strings.ToUpper(k.Name)]; ok {
			val[k.Name] = strings.TrimSpace(v)
		}
	}
	var k Knobs
	var firstErr error
	dur := func(name string) time.Duration {
		s := val[name]
		if s == "" {
			return -1
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return time.Duration(f * float64(time.Second))
		}
		d, err := time.ParseDuration(s)
		if (err != nil || d < 0) && firstErr == nil {
			firstErr = fmt.Errorf("knob %s=%q: want a duration such as 5s or 250ms", name, s)
		}
		return d
	}
	k.StartDelay = dur("start_delay")
	k.HangOnStart = val["hang_on_start"] == "true" || val["hang_on_start"] == "1"
	k.BootstrapDuration = dur("bootstrap_duration")
	k.DecommissionDuration = dur("decommission_duration")
	k.RemovenodeDuration = dur("removenode_duration")
	k.RepairFullRingDuration = dur("repair_full_ring_duration")
	k.CleanupDuration = dur("cleanup_duration")
	k.DrainDuration = dur("drain_duration")
	k.CrashAfter = dur("crash_after")
	k.GossipInterval = dur("gossip_interval")
	k.FailureDetectionTimeout = dur("failure_detection_timeout")
	fo, err := strconv.Atoi(val["gossip_fanout"])
	if (err != nil || fo < 0) && firstErr == nil {
		firstErr = fmt.Errorf("knob gossip_fanout=%q: want a whole number of peers, 0 or more", val["gossip_fanout"])
	}
	k.GossipFanout = fo
	k.RingDelay = dur("ring_delay")
	k.JMXInitDelay = dur("jmx_init_delay")
	k.ActionLog = val["action_log"]
	if k.DecommissionDuration < 0 {
		k.DecommissionDuration = k.BootstrapDuration
	}
	if k.RemovenodeDuration < 0 {
		k.RemovenodeDuration = k.BootstrapDuration
	}
	f, err := strconv.ParseFloat(val["repair_failure_rate"], 64)
	if (err != nil || f < 0 || f > 1) && firstErr == nil {
		firstErr = fmt.Errorf("knob repair_failure_rate=%q: want a number between 0 and 1", val["repair_failure_rate"])
	}
	k.RepairFailureRate = f
	lb, err := strconv.ParseFloat(val["load_bytes"], 64)
	if (err != nil || lb < 0) && firstErr == nil {
		firstErr = fmt.Errorf("knob load_bytes=%q: want a number of bytes", val["load_bytes"])
	}
	k.LoadBytes = lb
	if k.GossipInterval <= 0 && firstErr == nil {
		firstErr = fmt.Errorf("knob gossip_interval must be positive")
	}
	if k.FailureDetectionTimeout <= 0 && firstErr == nil {
		firstErr = fmt.Errorf("knob failure_detection_timeout must be positive")
	}
	return k, firstErr
}

func (c *Config) parseYAML(raw []byte) error {
	var y struct {
		ClusterName          string          `yaml:"cluster_name"`
		NumTokens            int             `yaml:"num_tokens"`
		InitialToken         string          `yaml:"initial_token"`
		AllocateTokensRF     int             `yaml:"allocate_tokens_for_local_replication_factor"`
		ListenAddress        string          `yaml:"listen_address"`
		BroadcastAddress     string          `yaml:"broadcast_address"`
		RPCAddress           string          `yaml:"rpc_address"`
		StoragePort          int             `yaml:"storage_port"`
		NativePort           int             `yaml:"native_transport_port"`
		StartNativeTransport *bool           `yaml:"start_native_transport"`
		EndpointSnitch       string          `yaml:"endpoint_snitch"`
		Partitioner          string          `yaml:"partitioner"`
		DataFileDirectories  []string        `yaml:"data_file_directories"`
		CommitlogDirectory   string          `yaml:"commitlog_directory"`
		HintsDirectory       string          `yaml:"hints_directory"`
		SavedCachesDirectory string          `yaml:"saved_caches_directory"`
		AutoBootstrap        *bool           `yaml:"auto_bootstrap"`
		ServerEncryption     *encryptionYAML `yaml:"server_encryption_options"`
		ClientEncryption     *encryptionYAML `yaml:"client_encryption_options"`
		SeedProvider         []struct {
			ClassName  string              `yaml:"class_name"`
			Parameters []map[string]string `yaml:"parameters"`
		} `yaml:"seed_provider"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&y); err != nil {
		return err
	}
	tlsCfg, err := loadTLS(y.ServerEncryption, y.ClientEncryption)
	if err != nil {
		return err
	}
	c.TLS = tlsCfg
	c.ClusterName = firstNonEmpty(y.ClusterName, "Test Cluster")
	if c.NumTokens == 0 {
		c.NumTokens = y.NumTokens
	}
	if c.NumTokens == 0 {
		c.NumTokens = 1
	}
	if y.AllocateTokensRF < 0 {
		return fmt.Errorf("allocate_tokens_for_local_replication_factor: %d is not a replication factor", y.AllocateTokensRF)
	}
	c.AllocateTokensRF = y.AllocateTokensRF
	if y.InitialToken != "" && c.InitialTokens == nil {
		ts, err := parseTokens(y.InitialToken)
		if err != nil {
			return fmt.Errorf("initial_token: %w", err)
		}
		c.InitialTokens = ts
	}
	if y.Partitioner != "" && y.Partitioner != "org.apache.cassandra.dht.Murmur3Partitioner" {
		return fmt.Errorf("partitioner %s: the stand-in only implements org.apache.cassandra.dht.Murmur3Partitioner", y.Partitioner)
	}
	listen := firstNonEmpty(y.BroadcastAddress, y.ListenAddress, "localhost")
	ip, err := resolveAddress(listen)
	if err != nil {
		return fmt.Errorf("listen_address %s: %w", listen, err)
	}
	if ip == "0.0.0.0" {
		return fmt.Errorf("listen_address cannot be a wildcard address (0.0.0.0)!")
	}
	c.ListenAddress = ip
	rpc := firstNonEmpty(y.RPCAddress, "localhost")
	if c.RPCAddress, err = resolveAddress(rpc); err != nil {
		return fmt.Errorf("rpc_address %s: %w", rpc, err)
	}
	c.StoragePort = y.StoragePort
	if c.StoragePort == 0 {
		c.StoragePort = 7000
	}
	if v := c.Props["cassandra.storage_port"]; v != "" {
		if c.StoragePort, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("-Dcassandra.storage_port=%s is not a port", v)
		}
	}
	c.NativePort = y.NativePort
	if c.NativePort == 0 {
		c.NativePort = 9042
	}
	if v := c.Props["cassandra.native_transport_port"]; v != "" {
		if c.NativePort, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("-Dcassandra.native_transport_port=%s is not a port", v)
		}
	}
	c.StartNativeTransport = y.StartNativeTransport == nil || *y.StartNativeTransport
	c.AutoBootstrap = y.AutoBootstrap == nil || *y.AutoBootstrap
	snitch := firstNonEmpty(y.EndpointSnitch, "SimpleSnitch")
	if !strings.Contains(snitch, ".") {
		snitch = "org.apache.cassandra.locator." + snitch
	}
	switch snitch {
	case "org.apache.cassandra.locator.SimpleSnitch", "org.apache.cassandra.locator.GossipingPropertyFileSnitch", "org.apache.cassandra.locator.PropertyFileSnitch":
	default:
		return fmt.Errorf("endpoint_snitch %s: the stand-in implements SimpleSnitch and GossipingPropertyFileSnitch", y.EndpointSnitch)
	}
	c.Snitch = snitch
	data := filepath.Join(firstNonEmpty(c.Props["cassandra.storagedir"], filepath.Join(c.Home, "data")))
	c.DataDirs = y.DataFileDirectories
	if len(c.DataDirs) == 0 {
		c.DataDirs = []string{filepath.Join(data, "data")}
	}
	c.CommitlogDir = firstNonEmpty(y.CommitlogDirectory, filepath.Join(data, "commitlog"))
	c.HintsDir = firstNonEmpty(y.HintsDirectory, filepath.Join(data, "hints"))
	c.SavedCachesDir = firstNonEmpty(y.SavedCachesDirectory, filepath.Join(data, "saved_caches"))
	for _, sp := range y.SeedProvider {
		for _, p := range sp.Parameters {
			for _, s := range strings.Split(p["seeds"], ",") {
				s = strings.TrimSpace(s)
				if s == "" {
					continue
				}
				host := s
				if h, _, err := net.SplitHostPort(s); err == nil {
					host = h
				}
				ip, err := resolveAddress(host)
				if err != nil {
					return fmt.Errorf("seeds: %s: %w", s, err)
				}
				c.Seeds = append(c.Seeds, ip)
			}
		}
	}
	if len(c.Seeds) == 0 {
		return fmt.Errorf("seed_provider: no seeds given; the seeds parameter of org.apache.cassandra.locator.SimpleSeedProvider is required")
	}
	return nil
}

// IsSeed reports whether this node's address is in its seed list.
func (c *Config) IsSeed() bool { return contains(c.Seeds, c.ListenAddress) }

func resolveAddress(s string) (string, error) {
	if ip := net.ParseIP(s); ip != nil {
		return ip.String(), nil
	}
	if s == "localhost" {
		return "127.0.0.1", nil
	}
	addrs, err := net.LookupHost(s)
	if err != nil || len(addrs) == 0 {
		return "", fmt.Errorf("unknown host %s", s)
	}
	return addrs[0], nil
}

func parseTokens(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		t, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("token %q is not a Murmur3 token", f)
		}
		out = append(out, t)
	}
	return out, nil
}

func parseJVMSize(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty size")
	}
	mult := 1.0 / (1024 * 1024)
	switch s[len(s)-1] {
	case 'k', 'K':
		mult, s = 1.0/1024, s[:len(s)-1]
	case 'm', 'M':
		mult, s = 1, s[:len(s)-1]
	case 'g', 'G':
		mult, s = 1024, s[:len(s)-1]
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a JVM memory size such as 512M or 2G", s)
	}
	return n * mult, nil
}

// readProperties reads a Java-style properties file (key=value, # comments).
func readProperties(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return map[string]string{}, err
	}
	defer f.Close()
	return parseProperties(f)
}

func parseProperties(r interface{ Read([]byte) (int, error) }) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, ":")
		}
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not key=value", n, line)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, sc.Err()
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// envMap turns os.Environ-style pairs into a map.
func envMap(environ []string) map[string]string {
	m := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// ReadSeeds reads the seed list of the cassandra.yaml at path again, as SimpleSeedProvider does
// on nodetool reloadseeds.
func ReadSeeds(path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &Config{Props: map[string]string{}}
	var y struct {
		SeedProvider []struct {
			Parameters []map[string]string `yaml:"parameters"`
		} `yaml:"seed_provider"`
	}
	if err := yaml.Unmarshal(raw, &y); err != nil {
		return nil, err
	}
	for _, sp := range y.SeedProvider {
		for _, p := range sp.Parameters {
			for _, s := range strings.Split(p["seeds"], ",") {
				s = strings.TrimSpace(s)
				if s == "" {
					continue
				}
				host := s
				if h, _, err := net.SplitHostPort(s); err == nil {
					host = h
				}
				ip, err := resolveAddress(host)
				if err != nil {
					return nil, fmt.Errorf("seeds: %s: %w", s, err)
				}
				c.Seeds = append(c.Seeds, ip)
			}
		}
	}
	return c.Seeds, nil
}
