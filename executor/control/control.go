package control

import (
	"context"
	"errors"
)

// Mode is Cassandra's operation mode as nodetool netstats prints it.
type Mode string

// Operation modes of Cassandra 3.x–5.0.
const (
	ModeUnknown            Mode = ""
	ModeStarting           Mode = "STARTING"
	ModeNormal             Mode = "NORMAL"
	ModeJoining            Mode = "JOINING"
	ModeLeaving            Mode = "LEAVING"
	ModeDecommissioned     Mode = "DECOMMISSIONED"
	ModeMoving             Mode = "MOVING"
	ModeDraining           Mode = "DRAINING"
	ModeDrained            Mode = "DRAINED"
	ModeJoiningFailed      Mode = "JOINING_FAILED"
	ModeDecommissionFailed Mode = "DECOMMISSION_FAILED"
)

// Info is what the node says about itself (nodetool info, version).
type Info struct {
	HostID          string
	NativeTransport bool
	ReleaseVersion  string
}

// Peer is one row of nodetool status.
type Peer struct {
	Address string
	// Liveness is "U", "D" or "?".
	Liveness string
	// State is "N", "J", "L" or "M".
	State      string
	HostID     string
	Datacenter string
	Rack       string
	Tokens     int
	// LoadBytes is -1 when unknown.
	LoadBytes int64
	// OwnsPercent is -1 when unknown.
	OwnsPercent float64
}

// Range is one token range (Start, End] and its replicas.
type Range struct {
	Start, End string
	Endpoints  []string
}

// RepairRequest says what to repair.
type RepairRequest struct {
	Keyspace     string
	Tables       []string
	Full         bool
	PrimaryRange bool
	StartToken   string
	EndToken     string
}

// RepairProgress is one progress line of a repair.
type RepairProgress struct {
	Message string
	// Percent is -1 when the line carries none.
	Percent float64
}

// Controller controls one Cassandra node. Every method honours ctx's deadline (ErrTimeout) and
// returns ErrUnavailable when the node cannot be reached at all.
type Controller interface {
	// Mode returns the node's operation mode (nodetool netstats).
	Mode(ctx context.Context) (Mode, error)
	// Info returns the node's host ID, native transport state and release version.
	Info(ctx context.Context) (Info, error)
	// Status returns the ring as this node sees it; keyspace may be "" (nodetool status).
	Status(ctx context.Context, keyspace string) ([]Peer, error)
	// DescribeRing returns a keyspace's token ranges (nodetool describering).
	DescribeRing(ctx context.Context, keyspace string) ([]Range, error)
	// Repair runs a repair with this node as coordinator, calling progress for every line it
	// reports, and returns when it ends: nil on success, ErrRepairFailed (wrapped, with nodetool's
	// message) when Cassandra reports a failure.
	Repair(ctx context.Context, req RepairRequest, progress func(RepairProgress)) error
	// Cleanup removes data the node no longer owns (nodetool cleanup); keyspace "" means all.
	Cleanup(ctx context.Context, keyspace string, tables []string) error
	// Drain flushes memtables and stops accepting writes (nodetool drain).
	Drain(ctx context.Context) error
	// Decommission streams the node's data away and leaves the ring (nodetool decommission).
	Decommission(ctx context.Context) error
	// RemoveNode removes a dead peer by host ID (nodetool removenode).
	RemoveNode(ctx context.Context, hostID string) error
}

// Domain errors, mapped to gRPC codes at the edge (executor/agent).
var (
	// ErrUnavailable: the node's management interface cannot be reached (connection refused,
	// process not running).
	ErrUnavailable = errors.New("cassandra is not reachable")
	// ErrKeyspaceNotFound: the named keyspace does not exist.
	ErrKeyspaceNotFound = errors.New("keyspace not found")
	// ErrInvalidArgument: Cassandra refused the arguments (bad token, bad host ID, ...).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrRepairFailed: the repair ran and failed.
	ErrRepairFailed = errors.New("repair failed")
	// ErrTimeout: the command did not finish before its deadline.
	ErrTimeout = errors.New("timed out")
	// ErrFailedPrecondition: the node is not in a state that allows the operation (e.g. removenode
	// of a live node, decommission of a node that is not NORMAL).
	ErrFailedPrecondition = errors.New("operation not allowed in the node's current state")
)
