package plan

import (
	"time"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/internal/secrets"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Offer is a Mesos offer in plain form (see daemon/placement).
type Offer = placement.Offer

// Resource is a Mesos resource in plain form (see daemon/placement).
type Resource = placement.Resource

// IDSource hands out fresh identifiers. Production: at least 16 characters of [a-z0-9] from
// crypto/rand. Tests: a deterministic counter.
type IDSource interface {
	NewID() string
}

// Config is the framework-wide configuration the planner needs (from cassmesosd's flags).
type Config struct {
	// BackupStore is the default backup store URL (file:///path or s3://bucket/prefix?endpoint=...)
	// of backups that name none ("": every backup must name its store).
	BackupStore string
	// FrameworkName labels reservations (placement.LabelFramework). It never decides ownership
	// (State.FrameworkID does); only reservations made before the ID labels existed are matched
	// against it, and then only together with a node record that names them.
	FrameworkName string
	// Role is the default Mesos role: a ring created without one gets it.
	Role string
	// Roles are the roles the framework subscribed with (Role first); a ring's role must be one
	// of them, or its nodes are left alone (no placement, no operations) and the ring is warned.
	Roles []string
	// Principal used for reservations.
	Principal string
	// ExecutorURI is where agents fetch cassmesos-executor (content-hash URL served by the daemon).
	ExecutorURI string
	// ExecutorCommand runs the executor in the sandbox (default "./cassmesos-executor").
	ExecutorCommand string
	// ExecutorCPUs and ExecutorMemMB are the executor's own resources, reserved with the node's
	// (defaults 0.1 and 64).
	ExecutorCPUs  float64
	ExecutorMemMB int64
	// CassandraURL is the tarball used when a ring's distribution names neither URL nor version.
	CassandraURL string
	// CassandraMirror is the base URL for distribution versions (default
	// https://archive.apache.org/dist/cassandra): <mirror>/<v>/apache-cassandra-<v>-bin.tar.gz.
	CassandraMirror string
	// ExtraURIs are fetched into every sandbox (extracted when they look like archives).
	ExtraURIs []string
	// KillGrace is the grace between SIGTERM and SIGKILL when stopping a node (default 2m); the
	// executor drains before SIGTERM.
	KillGrace time.Duration
	// RestartBackoffMin/Max bound the backoff between restarts in place (defaults 10s and 5m;
	// doubling per consecutive failure).
	RestartBackoffMin, RestartBackoffMax time.Duration
	// MaxStartAttempts is how many times a node that never became UN is launched before its step
	// fails (default 5).
	MaxStartAttempts int
	// RefuseUnneeded is the refuse filter for declined offers while work is pending (default 5s);
	// RefuseIdle when nothing is pending (default 5m).
	RefuseUnneeded, RefuseIdle time.Duration
	// RelayTimeout is how long a relayed nodetool call may go without a result before it is
	// re-issued (default 30m; drain 5m).
	RelayTimeout time.Duration
	// VolumePath is the persistent volume's container path (default "data").
	VolumePath string
	// Location is the time zone of repair schedules' cron expressions and windows (nil: time.Local).
	Location *time.Location
	// SecretKey is the key executors' API secrets are derived from (Config.TaskSecret); it lives
	// only in a file on the daemon's host, never in ZooKeeper. Empty (--secrets-insecure): the
	// secrets are derived from public IDs only.
	SecretKey []byte
	// CassandraTLS is true when the daemon has a CA to issue Cassandra's node certificates from
	// (not --insecure): only then may a ring ask for spec.encryption.
	CassandraTLS bool
	// CassandraCertValidity is how long the node certificates the daemon issues to encrypted
	// rings are valid; each is renewed, without a restart, two thirds into its life (certs.go).
	// Zero: no renewal (the daemon's relay client issues none).
	CassandraCertValidity time.Duration
}

// TaskSecret is the bearer secret of node n's current task's NodeAgentService: derived from
// SecretKey and the IDs of the framework, the ring (its UID), the node and the task, so that it
// is never stored and differs for every task. A record written by a daemon before secrets were
// derived still holds the secret its task was launched with (task_secret); that one is used
// until the node's next launch clears it.
func (c Config) TaskSecret(ring *statev1.RingRecord, n *statev1.NodeRecord) string {
	if s := n.GetTaskSecret(); s != "" {
		return s
	}
	if n.GetTaskId() == "" {
		return ""
	}
	return secrets.Derive(c.SecretKey, secrets.PurposeTaskAPI, c.FrameworkName, ring.GetUid(), n.GetRing(), n.GetName(), n.GetTaskId())
}

// JMXPassword is the ring's JMX password for NodeTaskConfig.jmx_password: derived from SecretKey,
// the framework and the ring's UID and name, so it is the same for every node of the ring and
// never stored. Without a key (--secrets-insecure) it is "": a password derived from public IDs
// would be no secret, so each executor makes one up for its task instead.
func (c Config) JMXPassword(ring *statev1.RingRecord) string {
	if len(c.SecretKey) == 0 || ring == nil {
		return ""
	}
	return secrets.Derive(c.SecretKey, secrets.PurposeJMX, c.FrameworkName, ring.GetUid(), ring.GetSpec().GetName())
}

// TaskState is a Mesos task state without the Mesos import ("TASK_RUNNING" etc. map 1:1).
type TaskState int

// Task states.
const (
	TaskUnknown TaskState = iota
	TaskStaging
	TaskStarting
	TaskRunning
	TaskKilling
	TaskFinished
	TaskFailed
	TaskKilled
	TaskError
	TaskLost
	TaskDropped
	TaskUnreachable
	TaskGone
	TaskGoneByOperator
)

// TaskStatus is the latest status the runtime has seen for a task (status updates and
// reconciliation answers).
type TaskStatus struct {
	TaskID  string
	AgentID string
	State   TaskState
	// Reason is the Mesos reason name ("REASON_AGENT_REMOVED"), Message its message.
	Reason  string
	Message string
	// Healthy as reported by the executor (Cassandra process up and native transport accepting).
	Healthy bool
	// Mode and HostID from the status labels ("mode", "host_id").
	Mode   cassmesosv1.CassandraMode
	HostID string
	// At is when the runtime received it.
	At time.Time
	// Since is when the task entered State: the At of the first of a run of statuses in the same
	// state (the runtime keeps it across repeats, e.g. TASK_UNKNOWN answers to reconciliation
	// retried during a master failover). Zero: unknown, taken as At.
	Since time.Time
}

// NodeView is Cassandra's view of one node, as the ring's live nodes report it (GetNodeStatus
// peers). Zero when nobody has reported.
type NodeView struct {
	Liveness cassmesosv1.Liveness
	Mode     cassmesosv1.CassandraMode
	HostID   string
	// Reporters is how many live nodes contributed; Up how many saw it U.
	Reporters, Up int
	At            time.Time
}

// Agent is a Mesos agent the runtime knows.
type Agent struct {
	ID       string
	Hostname string
	// Attributes as strings.
	Attributes map[string]string
	// Reachable is false after an agent FAILURE event or an UNREACHABLE task on it, until it
	// offers or reports again.
	Reachable bool
	// Gone is true when Mesos says the agent was removed for good (TASK_GONE_BY_OPERATOR, agent
	// removed): its reservations and volumes are lost.
	Gone bool
	// Since is when Reachable/Gone last changed.
	Since time.Time
	// Returned is when the agent last became reachable again after being known unreachable (a
	// task of ours on it reported running): the planner then wants offers for a while so the
	// agent's first offer shows what a node replaced meanwhile left there.
	Returned time.Time
}

// RelayResult is the outcome of a relayed nodetool call, recorded by the runtime under the
// Relay's ID.
type RelayResult struct {
	// Done is true when the call returned; Err is its error ("" on success).
	Done bool
	Err  string
	At   time.Time
	// Ranges is the result of a RelayDescribeRing.
	Ranges []TokenRange
	// NotFound is true when the call failed because the keyspace does not exist.
	NotFound bool
	// Keyspaces is the result of a RelayListKeyspaces.
	Keyspaces []KeyspaceInfo
	// Backup is the result of a RelayBackup or RelayRestore.
	Backup *cassmesosv1.BackupNodeResult
}

// KeyspaceInfo is one keyspace a node lists.
type KeyspaceInfo struct {
	Name string
	// System: one of Cassandra's own keyspaces (or a LocalStrategy one).
	System bool
	// Replication options as describecluster prints them (each data centre's factor for
	// NetworkTopologyStrategy).
	Replication map[string]string
}

// TokenRange is one range of describering: (Start, End] and its replicas' addresses.
type TokenRange struct {
	Start, End string
	Endpoints  []string
}

// State is the snapshot the planner reads. The planner never mutates it or the records it
// points to.
type State struct {
	// Now is the current time.
	Now time.Time
	// Rings by name, Nodes by node name (unique per framework), Operations by ID: the persisted
	// records, as loaded from ZooKeeper and updated by Apply.
	Rings      map[string]*statev1.RingRecord
	Nodes      map[string]*statev1.NodeRecord
	Operations map[string]*statev1.OperationRecord
	// Tasks by task ID: latest observed statuses (memory only).
	Tasks map[string]TaskStatus
	// Views by node name: Cassandra's view of each node (memory only).
	Views map[string]NodeView
	// Agents by agent ID (memory only).
	Agents map[string]Agent
	// Relays by relay ID (memory only).
	Relays map[string]RelayResult
	// Segments of repair operations by operation ID, then segment index (persisted under
	// /operations/<id>/segments/<n>; the runtime loads those of active repairs).
	Segments map[string]map[int32]*statev1.SegmentRecord
	// Schedules by ID (persisted under /schedules/<id>).
	Schedules map[string]*statev1.ScheduleRecord
	// FrameworkID is the Mesos framework ID the runtime subscribed with (set on SUBSCRIBED).
	// Reservations are labelled with it, and a reserved resource is this framework's only when
	// its label equals it. Until it is known ("") the planner releases nothing.
	FrameworkID string
	// Reconciled is true once the runtime has finished explicit task reconciliation after
	// (re)subscribing; until then the planner launches nothing for a slot whose task it has no
	// status for.
	Reconciled bool
}

// RecordKind says which record a Write is about.
type RecordKind int

// Record kinds.
const (
	RecordRing RecordKind = iota + 1
	RecordNode
	RecordOperation
	// RecordSegment is a repair segment: Name is the operation ID, Segment the record (its
	// index names the znode). Segments are written after their operation's record.
	RecordSegment
	// RecordSchedule is a repair schedule: Name is its ID.
	RecordSchedule
	// RecordEvent is an event of the event log (Event; events.go): the runtime adds them to a
	// pass's writes (EventWrites) and gives each its number; State.Apply ignores them.
	RecordEvent
)

// Write is one record to create/replace (Delete false) or delete (Delete true). Exactly one of
// Ring, Node, Operation is set for a put; for a delete the kind and names say what goes.
type Write struct {
	Kind   RecordKind
	Delete bool
	// RingName is the ring (ring and node records); Name the node name or operation ID, or the
	// ring name for a ring record.
	RingName string
	Name     string
	// The record to put (nil for a delete).
	Ring      *statev1.RingRecord
	Node      *statev1.NodeRecord
	Operation *statev1.OperationRecord
	Segment   *statev1.SegmentRecord
	Schedule  *statev1.ScheduleRecord
	Event     *cassmesosv1.Event
}

// Action is a side effect the runtime carries out after persisting the Plan's writes. The
// concrete types are Accept, Decline, Kill, Relay and ReconcileTasks.
type Action interface {
	isAction()
}

// OfferOpKind is the kind of one offer operation.
type OfferOpKind int

// Offer operations, in the order the planner emits them within one Accept.
const (
	OpReserve OfferOpKind = iota + 1
	OpCreateVolume
	OpLaunch
	OpDestroyVolume
	OpUnreserve
)

// OfferOp is one operation of an ACCEPT call.
type OfferOp struct {
	Kind OfferOpKind
	// Resources to reserve, create (disk with Volume set), destroy or unreserve. For reserve and
	// create the planner builds them (Reservation set with Role, Principal and labels); for destroy
	// and unreserve they are copied from the offer (Raw kept). An OpUnreserve of a disk whose
	// volume an OpDestroyVolume of the same Accept destroys has Volume == nil: the runtime must
	// drop the disk's persistence and volume fields from Raw.
	Resources []Resource
	// Task, for OpLaunch.
	Task *TaskLaunch
}

// URI is something the Mesos fetcher downloads into the sandbox.
type URI struct {
	Value      string
	Executable bool
	Extract    bool
	Cache      bool
}

// TaskLaunch describes one task and its executor (TaskInfo plus ExecutorInfo).
type TaskLaunch struct {
	TaskID     string
	Name       string
	AgentID    string
	ExecutorID string
	// Resources for the task (reserved cpus/mem, the volume, ports); ExecutorResources for the
	// executor (reserved from the same reservation, or unreserved for ephemeral rings).
	Resources         []Resource
	ExecutorResources []Resource
	// Command the executor runs, URIs it needs, Env extra environment.
	Command string
	URIs    []URI
	Env     map[string]string
	// Config becomes TaskInfo.data (protobuf binary).
	Config *cassmesosv1.NodeTaskConfig
	// Labels on the TaskInfo (ring, node, incarnation).
	Labels map[string]string
	// KillGrace is the KillPolicy grace period.
	KillGrace time.Duration
}

// Accept accepts offers of one agent with operations (RESERVE + CREATE + LAUNCH for a new node,
// LAUNCH for a restart in place, DESTROY + UNRESERVE to release a removed node's volume).
type Accept struct {
	AgentID string
	// Role is the offers' allocation role (all offers of an ACCEPT share one agent and one role);
	// every resource of the operations is allocated to it.
	Role       string
	OfferIDs   []string
	Operations []OfferOp
	// Refuse is the refuse filter for what is left of the offers.
	Refuse time.Duration
}

// Decline declines offers the planner does not need.
type Decline struct {
	OfferIDs []string
	Refuse   time.Duration
}

// Kill kills a task. The executor drains Cassandra first, then SIGTERM, then SIGKILL after
// Grace (the KillPolicy grace period).
type Kill struct {
	TaskID  string
	AgentID string
	Node    string
	Grace   time.Duration
}

// RelayKind is the nodetool action relayed through an executor's NodeAgentService.
type RelayKind int

// Relayed calls.
const (
	RelayDrain RelayKind = iota + 1
	RelayDecommission
	RelayRemovePeer
	RelayCleanup
	RelayRestartCassandra
	RelayRepair
	// RelayDescribeRing reads a keyspace's token ranges (nodetool describering); the result's
	// Ranges carry them.
	RelayDescribeRing
	// RelayAutoRepair enables (Enable) or pauses Cassandra's Auto Repair for RepairTypes
	// (nodetool setautorepairconfig -t <type> enabled true|false); see autorepair.go.
	RelayAutoRepair
	// RelayListKeyspaces reads the ring's keyspaces (nodetool describecluster); the result's
	// Keyspaces carry them.
	RelayListKeyspaces
	// RelayReloadSeeds writes Relay.Seeds into the node's cassandra.yaml and runs nodetool
	// reloadseeds; it fails unless Cassandra then uses exactly those seeds (its own address aside).
	RelayReloadSeeds
	// RelayRenewCert sends the node a new Cassandra certificate (issued by the relay client from
	// the daemon's CA: no key passes through the planner) and has it reloaded (nodetool
	// reloadssl); see certs.go.
	RelayRenewCert
	// RelayBackup snapshots the node and uploads it to Relay.Backup's store (backup.go); the
	// result's Backup carries what it moved.
	RelayBackup RelayKind = 80
	// RelayRestore downloads a node's files of a backup and imports them (backup.go).
	RelayRestore RelayKind = 81
	// RelayDeleteBackup removes a backup from its store through the node's executor; the result's
	// Backup carries files and bytes removed (transferred_files: manifests removed).
	RelayDeleteBackup RelayKind = 82
)

// Relay calls a node's executor over gRPC; the runtime records the outcome in State.Relays[ID].
type Relay struct {
	// ID is unique per attempt; the planner waits for State.Relays[ID].
	ID   string
	Kind RelayKind
	// Node (of Ring) whose executor is called, at Address:AgentPort with Secret; the executor
	// refuses a call naming another ring or node.
	Ring      string
	Node      string
	Address   string
	AgentPort uint32
	Secret    string
	// HostID for RelayRemovePeer.
	HostID string
	// Keyspace/Tables for cleanup and repair; StartToken/EndToken, Full, PrimaryRange for repair.
	Keyspace             string
	Tables               []string
	StartToken, EndToken string
	Full, PrimaryRange   bool
	// Seeds for RelayReloadSeeds: the node's new seed list.
	Seeds []string
	// Hostname for RelayRenewCert: the node's agent's host name (a SAN of its certificate).
	Hostname string
	// Timeout, when set, bounds the call (shorter than the runtime's own relay timeout).
	Timeout time.Duration
	// SourceDatacenter for RelayRebuild; Datacenter restricts a RelayRepair to one data
	// centre's replicas (nodetool repair -dc).
	SourceDatacenter, Datacenter string
	// Enable and RepairTypes for RelayAutoRepair.
	Enable      bool
	RepairTypes []string
	// BackupNode / RestoreNode for RelayBackup and RelayRestore (the store's credentials are
	// added by the runtime, never by the planner).
	BackupNode   *cassmesosv1.BackupNodeRequest
	RestoreNode  *cassmesosv1.RestoreNodeRequest
	DeleteBackup *cassmesosv1.DeleteStoredBackupRequest
}

// ReconcileTasks asks Mesos for the latest state of these tasks (explicit reconciliation).
type ReconcileTasks struct {
	Tasks []TaskRef
}

// TaskRef names a task and its agent.
type TaskRef struct {
	TaskID  string
	AgentID string
}

func (Accept) isAction()         {}
func (Decline) isAction()        {}
func (Kill) isAction()           {}
func (Relay) isAction()          {}
func (ReconcileTasks) isAction() {}

// Plan is what one planning pass decided.
type Plan struct {
	// Writes to persist first, in order (children before parents for deletes).
	Writes []Write
	// Actions to carry out after the writes are persisted, in order.
	Actions []Action
	// WantOffers is true while some work needs offers (a node to place, a volume to release).
	// The runtime REVIVEs when it turns true and SUPPRESSes when it turns false.
	WantOffers bool
	// AwaitAgents is true for a short while after an agent that was unreachable returns: the
	// runtime REVIVEs so the agent's first offer is seen (what a node replaced meanwhile left
	// there), even with no work pending; unneeded offers are declined with the idle refuse filter
	// meanwhile, so when work appears (WantOffers turns true) the runtime must REVIVE again to
	// clear those filters. An agent that stays unreachable does not keep offers wanted.
	AwaitAgents bool
	// Wake, when not zero, is the earliest time a timed condition (backoff, grace, timeout) must be
	// re-evaluated: the runtime calls Reconcile again no later than then.
	Wake time.Time
	// Problems are the records the pass skipped because they are inconsistent (see Problem); the
	// runtime logs them. They are also on their rings' status warnings.
	Problems []Problem
	// Unclaimed are the reservations seen in this pass's offers that carry this framework's ID
	// but that no record names (unknown node or ring UID, or a record that gave them up): they
	// are left alone, never destroyed. The runtime logs each once and counts it; an operator
	// cleans them up by hand (docs/operations.md).
	Unclaimed []UnclaimedReservation
	// RoleProblems are the rings whose Mesos role the daemon does not hold (see roles.go): left
	// alone and warned on their status; the runtime logs them when they change.
	RoleProblems []RoleProblem
}

// UnclaimedReservation is one reservation of this framework that no record names, as its
// labels describe it (one entry per agent and persistence ID, or per agent and node when the
// reservation has no volume).
type UnclaimedReservation struct {
	AgentID       string
	PersistenceID string
	Ring, RingUID string
	Node          string
}

// Empty reports whether the plan neither writes nor acts.
func (p Plan) Empty() bool { return len(p.Writes) == 0 && len(p.Actions) == 0 }
