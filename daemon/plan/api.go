package plan

import (
	"errors"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Errors Submit returns (wrapped with detail; test with errors.Is). The gRPC edge maps them:
// ErrInvalid → InvalidArgument, ErrRingNotFound/ErrNodeNotFound/ErrOperationNotFound → NotFound,
// ErrRingExists and ErrRequestIDReused → AlreadyExists, ErrPrecondition → FailedPrecondition.
var (
	ErrInvalid           = errors.New("invalid request")
	ErrRingNotFound      = errors.New("ring not found")
	ErrNodeNotFound      = errors.New("node not found")
	ErrOperationNotFound = errors.New("operation not found")
	ErrRingExists        = errors.New("ring already exists")
	ErrPrecondition      = errors.New("refused")
)

// Request is an operator request for Submit. Concrete types: CreateRing, DeleteRing, ScaleRing,
// ReplaceNode, RestartNode, RestartRing, DecommissionNode, RemoveNode, UpdateRing,
// CancelOperation, and the maintenance requests RunRepair, PauseRepair, ResumeRepair, RunCleanup,
// CreateSchedule, DeleteSchedule.
type Request interface {
	isRequest()
}

// CreateRing creates a ring with Spec (defaults applied by Submit).
type CreateRing struct {
	Spec *cassmesosv1.RingSpec
	// ValidateOnly: check and return the would-be records without writes.
	ValidateOnly bool
	// RequestID is the client's request ID ("": none); see requestid.go.
	RequestID string
	// FromBackup, when set, is a backup whose ring's shape and per-node tokens the ring copies
	// (frombackup.go); Spec then leaves the shape fields zero or equal to the backup's.
	FromBackup string
}

// DeleteRing deletes a ring: every task is drained and killed, volumes destroyed, resources
// unreserved, records deleted.
type DeleteRing struct{ Ring, RequestID string }

// ScaleRing changes the node count: up one node at a time, down by decommissioning one at a time
// (Remove names the nodes to remove; default the highest ordinals).
type ScaleRing struct {
	Ring   string
	Nodes  int32
	Remove []string
	// RequestID is the client's request ID ("": none); see requestid.go.
	RequestID string
}

// ReplaceNode replaces a dead node (Ring may be empty; node names are unique).
type ReplaceNode struct{ Ring, Node, RequestID string }

// RestartNode drains, stops and restarts one node in place.
type RestartNode struct{ Ring, Node, RequestID string }

// RestartRing restarts every node in place, one at a time.
type RestartRing struct{ Ring, RequestID string }

// DecommissionNode decommissions one node and shrinks the ring by one.
type DecommissionNode struct{ Ring, Node, RequestID string }

// RemoveNode removes a dead node (nodetool removenode through a live node) and drops its slot.
type RemoveNode struct{ Ring, Node, RequestID string }

// UpdateRing applies Spec (fields named by Paths, RingSpec field names) by a rolling restart.
type UpdateRing struct {
	Ring  string
	Spec  *cassmesosv1.RingSpec
	Paths []string
	// RequestID is the client's request ID ("": none); see requestid.go.
	RequestID string
}

// CancelOperation asks an operation to stop at its next safe point.
type CancelOperation struct{ ID, RequestID string }

func (CreateRing) isRequest()       {}
func (DeleteRing) isRequest()       {}
func (ScaleRing) isRequest()        {}
func (ReplaceNode) isRequest()      {}
func (RestartNode) isRequest()      {}
func (RestartRing) isRequest()      {}
func (DecommissionNode) isRequest() {}
func (RemoveNode) isRequest()       {}
func (UpdateRing) isRequest()       {}
func (CancelOperation) isRequest()  {}

// Accepted is what Submit returns for an accepted request.
type Accepted struct {
	// Plan holds the writes that start the operation (persist, Apply, then call Reconcile).
	Plan Plan
	// Operation is the operation started (or the existing one, for an idempotent CreateRing).
	Operation *statev1.OperationRecord
	// Ring is the ring record as it will be stored (CreateRing) or as it is.
	Ring *statev1.RingRecord
	// Created is false when CreateRing found the same ring already there (nothing to write).
	Created bool
	// Schedule is the schedule created or deleted (CreateSchedule, DeleteSchedule).
	Schedule *cassmesosv1.RepairSchedule
}

// Planner plans. It holds only configuration and the ID source; all state comes in per call.
// It is not safe for concurrent use (the runtime's single event loop calls it).
type Planner struct {
	cfg Config
	ids IDSource
}

// New returns a planner; zero Config fields take their documented defaults.
func New(cfg Config, ids IDSource) *Planner {
	return &Planner{cfg: cfg.withDefaults(), ids: ids}
}

// Config returns the configuration with defaults applied.
func (p *Planner) Config() Config { return p.cfg }

// Submit validates req against s and returns the writes that start it, or an error wrapping one
// of the Err values with an explanation ("refused: demo-2 is UN on 3 of 3 live nodes; replace
// needs it down"). It never returns actions; the runtime calls Reconcile after persisting.
func (p *Planner) Submit(s *State, req Request) (Accepted, error) {
	return p.submit(s, req)
}

// Reconcile compares desired and observed state and returns what to persist and do: record
// updates from task statuses and Cassandra's view, operation steps advanced, kills, relays,
// reconciliation requests, and whether offers are wanted.
func (p *Planner) Reconcile(s *State) Plan {
	return p.reconcile(s, nil)
}

// MatchOffers is Reconcile plus offer handling: pending nodes are placed on the offers (writes
// record the node's agent, reservation and new task ID before the Accept), reservations and
// volumes a persisted intent names (a REMOVED node's, a node's release list) are destroyed and
// unreserved, reservations of this framework that nothing names are reported (Plan.Unclaimed)
// and left alone, and every offer not used is declined. Every offer ID given appears in exactly
// one Accept or Decline.
func (p *Planner) MatchOffers(s *State, offers []Offer) Plan {
	return p.reconcile(s, offers)
}
