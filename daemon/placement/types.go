package placement

// Resource names as Mesos uses them.
const (
	CPUs  = "cpus"
	Mem   = "mem"
	Disk  = "disk"
	Ports = "ports"
)

// Range is an inclusive range of ports, as in a Mesos RANGES resource.
type Range struct {
	Begin, End uint64
}

// Reservation says that a Resource is dynamically reserved.
type Reservation struct {
	// Role the resource is reserved for.
	Role string
	// Principal that made the reservation.
	Principal string
	// Labels of the reservation; cassmesos sets the Label* keys below.
	Labels map[string]string
}

// Labels cassmesos puts on its reservations, so a reservation can be traced to its framework,
// ring and node slot. Ownership is decided by IDs (LabelFrameworkID, LabelRingUID,
// LabelPersistenceID), never by the names: another framework may use the same name, role, ring
// and node names. Reservations made before the ID labels existed carry only the names.
const (
	// LabelFramework is the framework's name (--framework-name).
	LabelFramework = "cassmesos.framework"
	// LabelFrameworkID is the Mesos framework ID of the framework that reserved.
	LabelFrameworkID = "cassmesos.framework_id"
	// LabelRing is the ring's name.
	LabelRing = "cassmesos.ring"
	// LabelRingUID is the ring's UID (minted when the ring was created; a ring deleted and
	// created again under the same name gets another).
	LabelRingUID = "cassmesos.ring_uid"
	// LabelNode is the node's name.
	LabelNode = "cassmesos.node"
	// LabelPersistenceID is the persistence ID of the node's volume, on every resource of the
	// reservation (cpus and mem too), so a reservation is told from the node's next one.
	LabelPersistenceID = "cassmesos.persistence_id"
)

// Volume is a persistent volume on a disk resource.
type Volume struct {
	// PersistenceID is the volume's ID (unique per role and agent).
	PersistenceID string
	// ContainerPath is where the volume is mounted in the sandbox (relative path).
	ContainerPath string
}

// Resource is one Mesos resource of an offer, or one the planner asks to reserve, create or use.
type Resource struct {
	// Name: CPUs, Mem, Disk or Ports (others are carried but ignored).
	Name string
	// Scalar amount (cpus, MiB of mem or disk).
	Scalar float64
	// Ranges for Ports.
	Ranges []Range
	// Role the resource is allocated to in the offer ("*" or empty when unreserved).
	Role string
	// Reservation, when the resource is dynamically reserved; nil when unreserved.
	Reservation *Reservation
	// Volume, for a disk resource that holds a persistent volume.
	Volume *Volume
	// Raw is opaque to placement and the planner: the runtime may keep the original Mesos resource
	// here so that resources echoed back (DESTROY, UNRESERVE, LAUNCH of reserved resources) are
	// sent as offered. When a reserved resource is split between a task and its executor, both
	// parts keep Raw and carry their own Scalar: the runtime uses Raw as a template and takes the
	// amount from Scalar. Resources the planner builds itself have Raw == nil.
	Raw any
}

// Offer is one Mesos offer in plain form.
type Offer struct {
	// ID is the offer ID.
	ID string
	// AgentID of the offering agent.
	AgentID string
	// Hostname of the agent (also its Cassandra address unless Address is set).
	Hostname string
	// Role the offer is allocated to (its allocation_info; Mesos makes one offer per agent and
	// role, and an ACCEPT may combine only offers of one agent and one role).
	Role string
	// Address the agent's Cassandra node would bind (defaults to Hostname). The runtime fills it
	// from the agent's "address" attribute or the resolved hostname.
	Address string
	// Attributes of the agent, TEXT and SCALAR values as strings.
	Attributes map[string]string
	// Resources offered.
	Resources []Resource
}

// OperatorKind mirrors cassmesos.v1.ConstraintOperator without importing it.
type OperatorKind int

// Constraint operators.
const (
	OpSpread OperatorKind = iota + 1
	OpLike
	OpUnlike
)

// Constraint is one attribute constraint of a ring. Attribute "hostname" means the agent's hostname.
type Constraint struct {
	Attribute string
	Operator  OperatorKind
	// Pattern is the compiled form of the LIKE/UNLIKE value, anchored (^(?:value)$).
	// Nil for SPREAD.
	Pattern Matcher
}

// Matcher is a compiled attribute pattern (regexp.Regexp satisfies it).
type Matcher interface {
	MatchString(s string) bool
}

// Request is one node waiting for an offer.
type Request struct {
	// Key identifies the request (the node name); matches refer to it.
	Key string
	// Group is the ring name: one node per agent per group, and spread is counted per group.
	Group string
	// Role resources are reserved for and launched with.
	Role string
	// CPUs, MemMB, DiskMB the node needs (task plus executor overhead).
	CPUs, MemMB, DiskMB float64
	// StaticPorts the node binds (storage, ssl storage, jmx, native; jmx left out when it comes
	// from the offer); all must be free in the offer.
	StaticPorts []uint64
	// DynamicPorts is how many further offered ports the node needs (the executor's gRPC port,
	// then the JMX port when the ring takes it from offers), chosen lowest first in that order.
	DynamicPorts int
	// Constraints on agent attributes.
	Constraints []Constraint
	// RackAttribute is the agent attribute that names the rack (spread ranker); default "rack".
	RackAttribute string
	// Agent, when set, pins the request to one agent (restart in place).
	Agent string
	// PersistenceID, when set, means the node owns a persistent volume and reserved resources on
	// Agent: only an offer from Agent that contains this volume and enough resources reserved for
	// Role matches, and only reserved resources are used.
	PersistenceID string
	// Ephemeral: no reservation or volume; the node uses unreserved (or role-allocated) resources.
	Ephemeral bool
}

// Placed is an existing node placement (running, launching or holding a reservation), used by
// the one-node-per-agent filter and the spread rankers.
type Placed struct {
	// Key of the node (a request with the same key ignores its own placement).
	Key         string
	Group       string
	AgentID     string
	Attributes  map[string]string
	StaticPorts []uint64
}

// Use is the part of an offer a match takes.
type Use struct {
	// Reserved are the offered resources already reserved for the node (including its volume),
	// copied from the offer (Raw kept). Empty for a first placement.
	Reserved []Resource
	// Unreserved are amounts to take from unreserved offered resources: for a first placement the
	// planner RESERVEs them (cpus, mem, disk) and creates the volume on the disk; for an ephemeral
	// node they are used directly.
	UnreservedCPUs, UnreservedMemMB, UnreservedDiskMB float64
	// StaticPorts are the node's static ports, all present in the offer.
	StaticPorts []uint64
	// DynamicPorts are the ports chosen for the node's dynamic needs (lowest free first).
	DynamicPorts []uint64
	// Role is the allocation role of the unreserved resources and ports used (the offer's role).
	Role string
}

// Match is one request served by one agent's offers.
type Match struct {
	// Key of the request served.
	Key string
	// AgentID, Hostname, Address and Attributes of the agent.
	AgentID, Hostname, Address string
	Attributes                 map[string]string
	// OfferIDs are every offer of that agent the match uses (all of the agent's offers are
	// accepted together; Mesos requires them to come from one agent).
	OfferIDs []string
	// Use is what the match takes.
	Use Use
}

// Result is the outcome of matching.
type Result struct {
	// Matches in the order requests were served.
	Matches []Match
	// Unused are the IDs of offers no match used, by agent (the caller declines them or uses them
	// for other operations such as destroying volumes).
	Unused []string
	// Unplaced maps the key of each request that found no offer to a short reason
	// ("no offer from agent a1", "needs 4 cpus, best offer has 2").
	Unplaced map[string]string
}
