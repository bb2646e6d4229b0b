package mesossim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Config configures a simulated cluster. Zero durations take the real Mesos
// defaults noted on each field.
type Config struct {
	// Listen is the master's address, host:port (default 127.0.0.1:0).
	Listen string
	// Agents lists the agents; DefaultAgents(n) builds n default ones.
	Agents []AgentConfig
	// WorkDir holds sandboxes and persistent volumes (required).
	WorkDir string
	// FetcherCacheDir, when set, is one fetcher cache for every agent (as agents on one host given
	// the same --fetcher_cache_dir), and cached files reach the sandboxes as hard links, not
	// copies (fetch.go). Empty: each agent has its own cache under its work dir.
	FetcherCacheDir string

	// HeartbeatInterval between scheduler HEARTBEAT events (default 15s).
	HeartbeatInterval time.Duration
	// AllocationInterval between allocation rounds (default 1s).
	AllocationInterval time.Duration
	// AgentUnreachableTimeout is how long the master waits after losing an
	// agent before marking it unreachable (default 75s: 5 pings of 15s).
	AgentUnreachableTimeout time.Duration
	// AgentGoneTimeout, when positive, is how long an unreachable agent stays before it is
	// removed for good and its tasks go TASK_GONE/TASK_LOST. Zero (the default) never removes
	// it, as a real master: an agent that never returns stays in unreachable_slaves until an
	// operator marks it gone.
	AgentGoneTimeout time.Duration
	// AgentReregisterDelay is how long after a master failover (RestartMaster) each agent takes
	// to re-register, counted from the end of MasterRecoveryPeriod. Until then the master does not
	// know the agent or its tasks: reconciliation answers TASK_UNKNOWN (REASON_RECONCILIATION), no
	// offers come from it and its status updates wait. A real agent re-registers when its ping
	// timeout fires, 62-75s after the failover (default 0: at once).
	AgentReregisterDelay time.Duration
	// StatusUpdateRetryMin/Max bound the agent's retry backoff for
	// unacknowledged status updates (default 10s and 10m).
	StatusUpdateRetryMin, StatusUpdateRetryMax time.Duration
	// ExecutorRegistrationTimeout (default 1m).
	ExecutorRegistrationTimeout time.Duration
	// ExecutorReregistrationTimeout is how long a recovering agent (RestartAgent) waits for each
	// executor to SUBSCRIBE again before it shuts it down (default 2s, as the agent's
	// --executor_reregistration_timeout).
	ExecutorReregistrationTimeout time.Duration
	// ExecutorShutdownGracePeriod (default 5s).
	ExecutorShutdownGracePeriod time.Duration
	// MasterRecoveryPeriod is how long a restarted master answers 503 (default 1s).
	MasterRecoveryPeriod time.Duration
	// Credentials, when not empty, makes the master require HTTP basic
	// authentication on the scheduler API.
	Credentials []Credential
	// Version is master_info.version (default 1.11.0).
	Version string
	// Domain is the master's fault domain, "region/zone" (master_info.domain); "" none. Agents
	// with a domain need it (domain.go).
	Domain string
	// Leader, when set (host:port), makes this master a standby that answers
	// 307 to the leader.
	Leader string
	// KeepTasksOnClose leaves executors and their tasks running when the simulator is closed (as
	// tasks outlive a real agent process). By default Close destroys every executor's container:
	// its process group and every process left in its session.
	KeepTasksOnClose bool
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// AgentConfig configures one agent.
type AgentConfig struct {
	// Hostname is the agent's loopback address, used as its hostname and the
	// address its executors bind (default 127.0.0.<index+2>).
	Hostname string
	// Port of the agent's HTTP endpoint (default: any free port).
	Port int
	// Resources in the agent --resources form (default
	// "cpus:4;mem:8192;disk:65536;ports:[31000-32000]").
	Resources string
	// Attributes in the agent --attributes form (default "rack:r<1..3>;zone:z1").
	Attributes string
	// Domain is the agent's fault domain, "region/zone" (offers' domain); "" none.
	Domain string
}

// Credential is one principal and secret, as in Mesos' --credentials.
type Credential struct {
	Principal string `json:"principal"`
	Secret    string `json:"secret"`
}

// DefaultAgentResources are an agent's resources unless configured.
const DefaultAgentResources = "cpus:4;mem:8192;disk:65536;ports:[31000-32000]"

// DefaultAgents returns n agents with default settings.
func DefaultAgents(n int) []AgentConfig { return make([]AgentConfig, n) }

// Sim is a running simulated cluster.
type Sim struct {
	cfg Config
	// sharedCache is every agent's fetcher cache when cfg.FetcherCacheDir is set.
	sharedCache     *fetchCache
	sharedCacheOnce sync.Once
	domain          *mesos.DomainInfo // master_info.domain (nil: none)
	log             *slog.Logger
	ln              net.Listener
	srv             *http.Server
	addr            *net.TCPAddr

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu                sync.Mutex
	closed            bool
	masterID          string
	masterGen         int           // bumped by RestartMaster
	masterStop        chan struct{} // closed to drop every scheduler stream
	recoveringUntil   time.Time
	masterRecovering  bool // from RestartMaster until its recovery ends (agents re-registered if no delay)
	frameworks        map[string]*framework
	removedFrameworks map[string]bool
	fwCounter         int
	offerCounter      int
	agentCounter      int
	offers            map[string]*offer
	agents            []*agent
	faults            faults
	// acks counts the scheduler's ACKNOWLEDGE calls per status update UUID that reached an agent;
	// unknownAcks counts those the agent had no such update for.
	acks        map[string]int
	unknownAcks int
}

type faults struct {
	dropUpdates       bool
	duplicateUpdates  bool
	updateDelay       time.Duration
	heartbeatsStopped bool
}

// Start starts the master and its agents. Close stops them.
func Start(ctx context.Context, cfg Config) (*Sim, error) {
	if cfg.WorkDir == "" {
		return nil, errors.New("mesossim: Config.WorkDir is required")
	}
	applyDefaults(&cfg)
	domain, err := parseDomain(cfg.Domain)
	if err != nil {
		return nil, fmt.Errorf("mesossim: master: %w", err)
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return nil, fmt.Errorf("mesossim: work dir: %w", err)
	}
	s := &Sim{
		cfg:               cfg,
		log:               cfg.Logger,
		masterID:          uuid.NewString(),
		masterStop:        make(chan struct{}),
		frameworks:        map[string]*framework{},
		removedFrameworks: map[string]bool{},
		offers:            map[string]*offer{},
		acks:              map[string]int{},
		domain:            domain,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for i, ac := range cfg.Agents {
		a, err := s.newAgent(i, ac)
		if err != nil {
			s.closeAgents()
			return nil, err
		}
		s.agents = append(s.agents, a)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		s.closeAgents()
		return nil, fmt.Errorf("mesossim: master listen on %s: %w", cfg.Listen, err)
	}
	s.ln = ln
	s.addr = ln.Addr().(*net.TCPAddr)
	s.srv = &http.Server{Handler: s.masterMux(), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("master server stopped", "err", err)
		}
	}()
	s.wg.Add(1)
	go s.allocationLoop()
	s.log.Info("mesos simulator started", "master", s.URL(), "agents", len(s.agents), "work_dir", cfg.WorkDir, "version", cfg.Version)
	_ = ctx
	return s, nil
}

func applyDefaults(cfg *Config) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	def(&cfg.HeartbeatInterval, 15*time.Second)
	def(&cfg.AllocationInterval, time.Second)
	def(&cfg.AgentUnreachableTimeout, 75*time.Second)
	if cfg.AgentGoneTimeout < 0 {
		cfg.AgentGoneTimeout = 0
	}
	if cfg.AgentReregisterDelay < 0 {
		cfg.AgentReregisterDelay = 0
	}
	def(&cfg.StatusUpdateRetryMin, 10*time.Second)
	def(&cfg.StatusUpdateRetryMax, 10*time.Minute)
	def(&cfg.ExecutorRegistrationTimeout, time.Minute)
	def(&cfg.ExecutorReregistrationTimeout, 2*time.Second)
	def(&cfg.ExecutorShutdownGracePeriod, 5*time.Second)
	def(&cfg.MasterRecoveryPeriod, time.Second)
	if cfg.StatusUpdateRetryMax < cfg.StatusUpdateRetryMin {
		cfg.StatusUpdateRetryMax = cfg.StatusUpdateRetryMin
	}
	if cfg.Version == "" {
		cfg.Version = "1.11.0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
}

// URL is the master's base URL, e.g. http://127.0.0.1:5050.
func (s *Sim) URL() string { return "http://" + s.addr.String() }

// Addr is the master's host:port.
func (s *Sim) Addr() string { return s.addr.String() }

// Close kills every executor and stops the master and agents.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.masterStop)
	for _, fw := range s.frameworks {
		if fw.failoverTimer != nil {
			fw.failoverTimer.Stop()
		}
	}
	for _, a := range s.agents {
		a.stopTimers()
		if s.cfg.KeepTasksOnClose {
			continue
		}
		for _, ex := range a.allExecutors() {
			ex.killGroup()
		}
	}
	s.mu.Unlock()
	s.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	_ = s.srv.Close()
	s.closeAgents()
	s.wg.Wait()
	return nil
}

func (s *Sim) closeAgents() {
	for _, a := range s.agents {
		a.stopServer()
	}
}

// AgentInfo describes an agent for tests and scripts.
type AgentInfo struct {
	ID       string `json:"id"`
	Hostname string `json:"hostname"`
	Endpoint string `json:"endpoint"`
	State    string `json:"state"`
}

// Agents lists the agents in order.
func (s *Sim) Agents() []AgentInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AgentInfo
	for _, a := range s.agents {
		out = append(out, AgentInfo{ID: a.id, Hostname: a.hostname, Endpoint: a.endpoint(), State: a.stateString()})
	}
	return out
}

// ErrUnknownAgent is returned by fault methods given an unknown agent.
var ErrUnknownAgent = errors.New("unknown agent")

// ErrUnknownExecutor is returned by KillExecutor for an unknown executor.
var ErrUnknownExecutor = errors.New("unknown executor")

func (s *Sim) agentLocked(idOrHost string) (*agent, error) {
	for _, a := range s.agents {
		if a.id == idOrHost || a.hostname == idOrHost {
			return a, nil
		}
	}
	if i, err := strconv.Atoi(idOrHost); err == nil && i >= 0 && i < len(s.agents) {
		return s.agents[i], nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownAgent, idOrHost)
}

// KillAgent kills an agent: its executors and tasks die with SIGKILL, its
// HTTP endpoint closes, and the master stops hearing it. HealAgent restarts it.
func (s *Sim) KillAgent(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.agentLocked(id)
	if err != nil {
		return err
	}
	s.log.Info("fault: kill agent", "agent", a.id, "hostname", a.hostname)
	a.down = true
	for _, ex := range a.allExecutors() {
		ex.killGroup()
	}
	a.stopServerAsync()
	s.linkDownLocked(a)
	return nil
}

// PartitionAgent cuts the agent off from the master: its processes keep
// running, messages both ways are lost.
func (s *Sim) PartitionAgent(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.agentLocked(id)
	if err != nil {
		return err
	}
	s.log.Info("fault: partition agent", "agent", a.id, "hostname", a.hostname)
	a.partitioned = true
	s.linkDownLocked(a)
	return nil
}

// HealAgent ends a partition, or restarts a killed agent, and lets it
// re-register with the master.
func (s *Sim) HealAgent(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.agentLocked(id)
	if err != nil {
		return err
	}
	s.log.Info("fault: heal agent", "agent", a.id, "hostname", a.hostname)
	if a.down {
		if err := a.startServer(); err != nil {
			return err
		}
		a.down = false
	}
	a.partitioned = false
	s.linkUpLocked(a)
	return nil
}

// RestartMaster fails the master over: every scheduler stream drops,
// offers vanish, the master answers 503 for MasterRecoveryPeriod, and the
// state it would recover from its registry survives. Frameworks must
// re-subscribe with their ID. Registered agents are forgotten with their tasks
// until they re-register, AgentReregisterDelay after the recovery period (a
// partitioned or killed agent re-registers when healed): meanwhile the master
// answers reconciliation for their tasks with TASK_UNKNOWN.
func (s *Sim) RestartMaster() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.log.Info("fault: restart master")
	close(s.masterStop)
	s.masterStop = make(chan struct{})
	s.masterGen++
	s.masterID = uuid.NewString()
	for _, fw := range s.frameworks {
		if fw.sub != nil {
			fw.sub.stream.close()
			fw.sub = nil
		}
		if fw.failoverTimer != nil {
			fw.failoverTimer.Stop()
			fw.failoverTimer = nil
		}
		fw.offers = map[string]*offer{}
		fw.filters = map[filterKey]*filter{}
	}
	s.offers = map[string]*offer{}
	s.recoveringUntil = time.Now().Add(s.cfg.MasterRecoveryPeriod)
	reregisterAt := s.recoveringUntil.Add(s.cfg.AgentReregisterDelay)
	for _, a := range s.agents {
		if a.mstate != agentRegistered && a.mstate != agentRecovering {
			continue // unreachable agents stay unreachable (the registry keeps them)
		}
		a.mstate = agentRecovering
		a.reregisterAt = reregisterAt
		for _, fw := range s.frameworks {
			for id, mt := range fw.tasks {
				if mt.agentID == a.id {
					delete(fw.tasks, id)
				}
			}
		}
	}
	gen := s.masterGen
	s.masterRecovering = true
	reregister := func() {
		for _, a := range s.agents {
			if a.mstate == agentRecovering && !a.down && !a.partitioned {
				s.reregisterLocked(a)
			}
		}
	}
	time.AfterFunc(s.cfg.MasterRecoveryPeriod, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || gen != s.masterGen {
			return
		}
		s.log.Info("master recovered", "agent_reregister_delay", s.cfg.AgentReregisterDelay)
		s.masterRecovering = false
		if s.cfg.AgentReregisterDelay <= 0 {
			reregister() // before any scheduler call is served
		} else {
			time.AfterFunc(s.cfg.AgentReregisterDelay, func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				if !s.closed && gen == s.masterGen {
					reregister()
				}
			})
		}
		for _, a := range s.agents {
			if s.linkOK(a) {
				a.resumeUpdates("")
			}
		}
	})
}

// KillExecutor kills an executor's process with SIGKILL (the agent then
// cleans up its process group and reports its tasks TASK_FAILED).
func (s *Sim) KillExecutor(frameworkID, executorID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.agents {
		if af := a.frameworks[frameworkID]; af != nil {
			if ex := af.executors[executorID]; ex != nil {
				s.log.Info("fault: kill executor", "agent", a.id, "framework_id", frameworkID, "executor_id", executorID)
				ex.killProcess()
				return nil
			}
		}
	}
	return fmt.Errorf("%w %s/%s", ErrUnknownExecutor, frameworkID, executorID)
}

// DelayStatusUpdates delays every status update an agent forwards to the
// master by d (0 turns the delay off).
func (s *Sim) DelayStatusUpdates(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log.Info("fault: delay status updates", "delay", d)
	s.faults.updateDelay = d
}

// DropStatusUpdates makes agents lose every status update they forward to the
// master while on; the agents' retries deliver them once it is off.
func (s *Sim) DropStatusUpdates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log.Info("fault: drop status updates", "on", on)
	s.faults.dropUpdates = on
}

// DuplicateStatusUpdates (while on) delivers every status update an agent forwards to the master
// twice, and makes an agent that re-registers after being marked unreachable first have the master
// send its own UUID-less TASK_FAILED (REASON_AGENT_REREGISTERED) for each task the master had
// marked lost and the agent holds as terminal, before the agent's own update (with its UUID,
// twice) — what a real Mesos 1.11 master was seen doing.
func (s *Sim) DuplicateStatusUpdates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log.Info("fault: duplicate status updates", "on", on)
	s.faults.duplicateUpdates = on
}

// Acknowledgements returns how many ACKNOWLEDGE calls for the status update with this UUID reached
// its agent, matched or not.
func (s *Sim) Acknowledgements(uuid []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acks[string(uuid)]
}

// UnknownAcknowledgements returns how many ACKNOWLEDGE calls reached an agent that had no such
// pending update (the real agent logs "Cannot find the status update stream" or an unexpected
// acknowledgement, and drops them).
func (s *Sim) UnknownAcknowledgements() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unknownAcks
}

// StopHeartbeats stops (or restarts) scheduler HEARTBEAT events without
// closing any stream.
func (s *Sim) StopHeartbeats(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log.Info("fault: stop heartbeats", "on", on)
	s.faults.heartbeatsStopped = on
}

// Snapshot is the simulator's state for tests.
type Snapshot struct {
	MasterID   string              `json:"master_id"`
	Frameworks []FrameworkSnapshot `json:"frameworks"`
	Agents     []AgentSnapshot     `json:"agents"`
	// Acks counts the ACKNOWLEDGE calls that reached an agent, AckedTwice the status update UUIDs
	// acknowledged more than once, UnknownAcks the calls an agent had no such pending update for.
	Acks        int `json:"acks"`
	AckedTwice  int `json:"acked_twice"`
	UnknownAcks int `json:"unknown_acks"`
}

// FrameworkSnapshot is one framework as the master sees it.
type FrameworkSnapshot struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Connected bool   `json:"connected"`
	Removed   bool   `json:"removed"`
	Offers    int    `json:"offers"`
	// Suppressed lists the roles the framework suppressed (SUPPRESS, or SUBSCRIBE's
	// suppressed_roles), sorted.
	Suppressed []string `json:"suppressed,omitempty"`
}

// AgentSnapshot is one agent.
type AgentSnapshot struct {
	ID           string         `json:"id"`
	Hostname     string         `json:"hostname"`
	Endpoint     string         `json:"endpoint"`
	State        string         `json:"state"` // registered, recovering, unreachable, gone, down
	Partitioned  bool           `json:"partitioned"`
	Tasks        []TaskSnapshot `json:"tasks"`
	Executors    []string       `json:"executors"` // framework_id/executor_id
	Reservations []string       `json:"reservations"`
	Volumes      []VolumeInfo   `json:"volumes"`
	Resources    string         `json:"resources"`
	// Recoveries counts the agent's restarts with recovery (RestartAgent) it came back from;
	// ExecutorsReregisteredMs gives, per executor (framework_id/executor_id) that subscribed again
	// after the last one, how many milliseconds after the recovery it did.
	Recoveries              int              `json:"recoveries,omitempty"`
	ExecutorsReregisteredMs map[string]int64 `json:"executors_reregistered_ms,omitempty"`
}

// TaskSnapshot is one task on an agent.
type TaskSnapshot struct {
	ID          string `json:"id"`
	FrameworkID string `json:"framework_id"`
	ExecutorID  string `json:"executor_id"`
	State       string `json:"state"`
}

// VolumeInfo is one persistent volume on an agent.
type VolumeInfo struct {
	Role          string `json:"role"`
	PersistenceID string `json:"persistence_id"`
	ContainerPath string `json:"container_path"`
	HostPath      string `json:"host_path"`
}

// State returns a snapshot of the master and agents.
func (s *Sim) State() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{MasterID: s.masterID, UnknownAcks: s.unknownAcks}
	for _, n := range s.acks {
		snap.Acks += n
		if n > 1 {
			snap.AckedTwice++
		}
	}
	for id, fw := range s.frameworks {
		fs := FrameworkSnapshot{ID: id, Name: fw.info.Name, Connected: fw.sub != nil, Offers: len(fw.offers)}
		for r, on := range fw.suppressed {
			if on {
				fs.Suppressed = append(fs.Suppressed, r)
			}
		}
		sort.Strings(fs.Suppressed)
		snap.Frameworks = append(snap.Frameworks, fs)
	}
	for id := range s.removedFrameworks {
		snap.Frameworks = append(snap.Frameworks, FrameworkSnapshot{ID: id, Removed: true})
	}
	sort.Slice(snap.Frameworks, func(i, j int) bool { return snap.Frameworks[i].ID < snap.Frameworks[j].ID })
	for _, a := range s.agents {
		as := AgentSnapshot{ID: a.id, Hostname: a.hostname, Endpoint: a.endpoint(), State: a.stateString(), Partitioned: a.partitioned, Resources: a.total.String()}
		for _, t := range a.sortedTasks() {
			as.Tasks = append(as.Tasks, TaskSnapshot{ID: t.info.TaskID.Value, FrameworkID: t.fwID, ExecutorID: t.execID, State: t.state.String()})
		}
		as.Recoveries = a.recoveries
		for _, ex := range a.allExecutors() {
			as.Executors = append(as.Executors, ex.fwID+"/"+ex.info.ExecutorID.Value)
			if !a.restarting && !a.recoveredAt.IsZero() && ex.reregTimer == nil && ex.reregisteredIn > 0 {
				if as.ExecutorsReregisteredMs == nil {
					as.ExecutorsReregisteredMs = map[string]int64{}
				}
				as.ExecutorsReregisteredMs[ex.fwID+"/"+ex.info.ExecutorID.Value] = ex.reregisteredIn.Milliseconds()
			}
		}
		sort.Strings(as.Executors)
		for _, r := range a.total {
			if r.IsReserved("") && !r.IsPersistentVolume() {
				as.Reservations = append(as.Reservations, r.ReservationRole()+":"+mesos.Resources{r}.String())
			}
			if r.IsPersistentVolume() {
				as.Volumes = append(as.Volumes, VolumeInfo{
					Role: r.ReservationRole(), PersistenceID: r.Disk.Persistence.ID,
					ContainerPath: r.Disk.GetVolume().GetContainerPath(), HostPath: a.volumePath(r),
				})
			}
		}
		snap.Agents = append(snap.Agents, as)
	}
	return snap
}

func (a *agent) volumePath(r mesos.Resource) string {
	return filepath.Join(a.dir, "volumes", "roles", r.ReservationRole(), r.GetDisk().GetPersistence().GetID())
}
