package mesossim

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// Main runs the mesos-sim binary: it parses args, starts the simulator and
// runs until SIGINT or SIGTERM. It returns the process exit code.
func Main(args []string) int {
	return run(args, os.Stdout, os.Stderr, nil)
}

// run is Main with its outputs and an optional ready callback (tests).
func run(args []string, stdout, stderr io.Writer, ready func(*Sim) context.Context) int {
	fs := flag.NewFlagSet("mesos-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		listen       = fs.String("listen", "127.0.0.1:5050", "master address `host:port`")
		agents       = fs.Int("agents", 3, "number of agents")
		workDir      = fs.String("work-dir", "", "directory for sandboxes and persistent volumes (default: a new temporary directory)")
		firstIP      = fs.String("first-agent-ip", "127.0.0.2", "loopback address of the first agent; the next agents count up from it")
		agentPort    = fs.Int("agent-port", 5051, "port of every agent's HTTP endpoint on its own address (0: any free port)")
		heartbeat    = fs.Duration("heartbeat-interval", 15*time.Second, "interval between scheduler HEARTBEAT events")
		allocation   = fs.Duration("allocation-interval", time.Second, "interval between allocation rounds")
		unreachable  = fs.Duration("agent-unreachable-timeout", 75*time.Second, "time without hearing an agent before it is marked unreachable")
		gone         = fs.Duration("agent-gone-timeout", 0, "time an unreachable agent stays before it is removed and its tasks go TASK_GONE/TASK_LOST (0: never, as a real master, where an operator marks it gone)")
		reregDelay   = fs.Duration("agent-reregister-delay", 0, "time each agent takes to re-register after a master failover, from the end of --master-recovery-period (a real agent: its ping timeout, 62-75s); until then reconciliation answers TASK_UNKNOWN for its tasks")
		retry        = fs.Duration("status-update-retry", 10*time.Second, "first retry interval of an unacknowledged status update (doubles up to 10m)")
		registration = fs.Duration("executor-registration-timeout", time.Minute, "time an executor has to subscribe")
		reregister   = fs.Duration("executor-reregistration-timeout", 2*time.Second, "time a restarted (recovering) agent gives each executor to subscribe again before shutting it down")
		grace        = fs.Duration("executor-shutdown-grace-period", 5*time.Second, "default executor shutdown grace period")
		recovery     = fs.Duration("master-recovery-period", time.Second, "time a restarted master answers 503")
		credentials  = fs.String("credentials", "", "credentials `file` (Mesos --credentials format: JSON {\"credentials\":[{\"principal\",\"secret\"}]} or lines \"principal secret\"); when set the scheduler API requires HTTP basic authentication")
		version      = fs.String("version", "1.11.0", "Mesos version reported in master_info")
		leader       = fs.String("leader", "", "run as a standby master redirecting (307) to this leader `host:port`")
		logLevel     = fs.String("log-level", "info", "log level: debug, info, warn, error")
		logFormat    = fs.String("log-format", "text", "log format: text or json")
		fetchCache   = fs.String("fetcher-cache-dir", "", "one fetcher cache for every agent in this directory; cached URIs reach sandboxes as hard links (large executables inside cached archives too) instead of copies (default: a cache per agent, copied)")
		killOnExit   = fs.Bool("kill-tasks-on-exit", true, "on SIGINT/SIGTERM, destroy every executor and its tasks (the executor's process group and every process left in its session); false leaves them running")
		resources    multiFlag
		attributes   multiFlag
		domains      multiFlag
		masterDomain = fs.String("master-domain", "", "the master's fault domain, region/zone (master_info.domain); required when an agent has one")
	)
	fs.Var(&domains, "agent-domain", "agent fault domain, region/zone (offers' domain; a framework without REGION_AWARE gets offers only from the master's region); given once it applies to every agent, repeated it applies to the agents in order")
	fs.Var(&resources, "agent-resources", "agent resources, e.g. \"cpus:4;mem:8192;disk:65536;ports:[31000-32000]\"; given once it applies to every agent, repeated it applies to the agents in order")
	fs.Var(&attributes, "agent-attributes", "agent attributes, e.g. \"rack:r1;zone:z1\"; given once it applies to every agent, repeated it applies to the agents in order (default rack:r1..r3 rotating, zone:z1)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mesos-sim: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return bad("unexpected arguments: %v", fs.Args())
	}
	if *agents < 0 || *agents > 10000 {
		return bad("--agents: %d is out of range 0..10000", *agents)
	}
	if len(resources) > 1 && len(resources) != *agents {
		return bad("--agent-resources: given %d times for %d agents (give it once, or once per agent)", len(resources), *agents)
	}
	if len(attributes) > 1 && len(attributes) != *agents {
		return bad("--agent-attributes: given %d times for %d agents (give it once, or once per agent)", len(attributes), *agents)
	}
	if len(domains) > 1 && len(domains) != *agents {
		return bad("--agent-domain: given %d times for %d agents (give it once, or once per agent)", len(domains), *agents)
	}
	if _, err := parseDomain(*masterDomain); err != nil {
		return bad("--master-domain: %v", err)
	}
	for _, d := range domains {
		if _, err := parseDomain(d); err != nil {
			return bad("--agent-domain: %v", err)
		}
		if *masterDomain == "" {
			return bad("--agent-domain %s: the master has no domain (give --master-domain)", d)
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return bad("--log-level: %v", err)
	}
	var handler slog.Handler
	switch *logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	case "json":
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	default:
		return bad("--log-format: %q is not text or json", *logFormat)
	}
	ip := net.ParseIP(*firstIP).To4()
	if ip == nil || !ip.IsLoopback() {
		return bad("--first-agent-ip: %q is not an IPv4 loopback address", *firstIP)
	}
	agentIPs, err := agentAddresses(ip, *agents)
	if err != nil {
		return bad("--first-agent-ip: %v", err)
	}
	if *agentPort < 0 || *agentPort > 65535 {
		return bad("--agent-port: %d is not a port", *agentPort)
	}
	cfg := Config{
		Listen: *listen, WorkDir: *workDir,
		HeartbeatInterval: *heartbeat, AllocationInterval: *allocation,
		AgentUnreachableTimeout: *unreachable, AgentGoneTimeout: *gone, AgentReregisterDelay: *reregDelay,
		StatusUpdateRetryMin: *retry, ExecutorRegistrationTimeout: *registration,
		ExecutorReregistrationTimeout: *reregister,
		ExecutorShutdownGracePeriod:   *grace, MasterRecoveryPeriod: *recovery,
		Version: *version, Leader: *leader, Logger: slog.New(handler),
		KeepTasksOnClose: !*killOnExit, Domain: *masterDomain, FetcherCacheDir: *fetchCache,
	}
	for name, d := range map[string]time.Duration{
		"--heartbeat-interval": *heartbeat, "--allocation-interval": *allocation, "--agent-unreachable-timeout": *unreachable,
		"--status-update-retry": *retry, "--executor-registration-timeout": *registration,
		"--master-recovery-period": *recovery, "--executor-reregistration-timeout": *reregister,
	} {
		if d <= 0 {
			return bad("%s: must be positive, got %s", name, d)
		}
	}
	for name, d := range map[string]time.Duration{"--agent-gone-timeout": *gone, "--agent-reregister-delay": *reregDelay} {
		if d < 0 {
			return bad("%s: must not be negative, got %s", name, d)
		}
	}
	if *credentials != "" {
		creds, err := ReadCredentials(*credentials)
		if err != nil {
			return bad("--credentials: %v", err)
		}
		cfg.Credentials = creds
	}
	for i := 0; i < *agents; i++ {
		ac := AgentConfig{Port: *agentPort}
		ac.Hostname = agentIPs[i]
		switch len(resources) {
		case 1:
			ac.Resources = resources[0]
		case *agents:
			ac.Resources = resources[i]
		}
		switch len(attributes) {
		case 1:
			ac.Attributes = attributes[0]
		case *agents:
			ac.Attributes = attributes[i]
		}
		switch len(domains) {
		case 1:
			ac.Domain = domains[0]
		case *agents:
			ac.Domain = domains[i]
		}
		if ac.Resources != "" {
			if _, err := parseResources(ac.Resources); err != nil {
				return bad("--agent-resources: %v", err)
			}
		}
		if ac.Attributes != "" {
			if _, err := parseAttributes(ac.Attributes); err != nil {
				return bad("--agent-attributes: %v", err)
			}
		}
		cfg.Agents = append(cfg.Agents, ac)
	}
	if cfg.WorkDir == "" {
		dir, err := os.MkdirTemp("", "mesos-sim-")
		if err != nil {
			fmt.Fprintf(stderr, "mesos-sim: %v\n", err)
			return 1
		}
		cfg.WorkDir = dir
	}
	sim, err := Start(context.Background(), cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mesos-sim: %v\n", err)
		return 1
	}
	defer sim.Close()
	fmt.Fprintf(stdout, "mesos-sim: master %s (work dir %s)\n", sim.URL(), cfg.WorkDir)
	for _, a := range sim.Agents() {
		fmt.Fprintf(stdout, "mesos-sim: agent %s at %s\n", a.ID, a.Endpoint)
	}
	var done <-chan struct{}
	if ready != nil {
		done = ready(sim).Done()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case s := <-sig:
		cfg.Logger.Info("stopping", "signal", s.String())
	case <-done:
	}
	return 0
}

// ReadCredentials reads a Mesos credentials file: JSON
// {"credentials":[{"principal":"p","secret":"s"}]} or one "principal secret"
// pair per line.
func ReadCredentials(path string) ([]Credential, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseCredentials(b)
}

func parseCredentials(b []byte) ([]Credential, error) {
	trimmed := strings.TrimSpace(string(b))
	var creds []Credential
	if strings.HasPrefix(trimmed, "{") {
		var doc struct {
			Credentials []Credential `json:"credentials"`
		}
		if err := json.Unmarshal([]byte(trimmed), &doc); err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		creds = doc.Credentials
	} else {
		for n, line := range strings.Split(trimmed, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Fields(line)
			if len(f) != 2 {
				return nil, fmt.Errorf("line %d: want \"principal secret\"", n+1)
			}
			creds = append(creds, Credential{Principal: f[0], Secret: f[1]})
		}
	}
	if len(creds) == 0 {
		return nil, errors.New("no credentials")
	}
	for i, c := range creds {
		if c.Principal == "" {
			return nil, fmt.Errorf("credential %d: empty principal", i+1)
		}
	}
	return creds, nil
}

// agentAddresses counts n loopback addresses up from first, carrying into the higher octets and
// skipping host octets 0 and 255 (so 1,000 agents fit: 127.1.0.2 … 127.1.3.239).
func agentAddresses(first net.IP, n int) ([]string, error) {
	v := uint32(first[1])<<16 | uint32(first[2])<<8 | uint32(first[3])
	out := make([]string, 0, n)
	for len(out) < n {
		if v > 0xffffff {
			return nil, fmt.Errorf("%s leaves no room for %d agents in 127.0.0.0/8", first, n)
		}
		if h := v & 0xff; h != 0 && h != 255 {
			out = append(out, fmt.Sprintf("127.%d.%d.%d", v>>16, v>>8&0xff, h))
		}
		v++
	}
	return out, nil
}
