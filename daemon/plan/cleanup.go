package plan

import (
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/internal/specrules"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// RunCleanup starts a CLEANUP operation: nodetool cleanup on each node of the ring in turn.
type RunCleanup struct {
	Ring   string
	Params *cassmesosv1.CleanupParams
	// Origin is "cli" (default) or "daemon" (automatic cleanup after the ring grew).
	Origin string
	// RequestID is the client's request ID ("": none); see requestid.go.
	RequestID string
}

func (RunCleanup) isRequest()     {}
func (RunCleanup) isMaintenance() {}

// autoCleanupWithin is how recent a finished scale-up must be for the automatic cleanup.
const autoCleanupWithin = time.Hour

// ValidateCleanupParams checks cleanup parameters; errors wrap ErrInvalid and name the field.
func ValidateCleanupParams(field string, p *cassmesosv1.CleanupParams) error {
	if p.GetKeyspace() != "" && !identRE.MatchString(p.GetKeyspace()) {
		return fmt.Errorf("%w: %s.keyspace: %q is not a keyspace name", ErrInvalid, field, p.GetKeyspace())
	}
	if len(p.GetTables()) > 0 && p.GetKeyspace() == "" {
		return fmt.Errorf("%w: %s.tables: tables need a keyspace", ErrInvalid, field)
	}
	for i, t := range p.GetTables() {
		if !identRE.MatchString(t) {
			return fmt.Errorf("%w: %s.tables[%d]: %q is not a table name", ErrInvalid, field, i, t)
		}
	}
	if dc := p.GetDatacenter(); dc != "" {
		if err := specrules.RackDC(field+".datacenter", dc); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	return nil
}

func (ps *pass) runCleanupReq(req RunCleanup) (Accepted, error) {
	r, err := ps.liveRing(req.Ring)
	if err != nil {
		return Accepted{}, err
	}
	if err := ValidateCleanupParams("params", req.Params); err != nil {
		return Accepted{}, err
	}
	if err := ps.checkRingDC(req.Ring, req.Params.GetDatacenter()); err != nil {
		return Accepted{}, err
	}
	origin := req.Origin
	if origin == "" {
		origin = "cli"
	}
	op := ps.newCleanupOp(req.Ring, origin, req.Params, nil)
	if len(op.GetOperation().GetSteps()) == 0 {
		return Accepted{}, refused("ring %s has no node that has joined; nothing to clean up", req.Ring)
	}
	ps.putOp(op)
	return Accepted{Operation: op, Ring: r, Created: true}, nil
}

func (ps *pass) newCleanupOp(ring, origin string, params *cassmesosv1.CleanupParams, skip map[string]bool) *statev1.OperationRecord {
	var steps []*cassmesosv1.Step
	for _, n := range ps.ringNodes(ring) {
		if dc := params.GetDatacenter(); dc != "" && n.GetDatacenter() != dc {
			continue
		}
		if n.GetBootstrapped() && n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_REMOVED && !skip[n.GetName()] {
			steps = append(steps, newStep(stepCleanup, n.GetName()))
		}
	}
	if params == nil {
		params = &cassmesosv1.CleanupParams{}
	}
	return ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_CLEANUP, ring, origin,
		&cassmesosv1.OperationParams{Cleanup: proto.Clone(params).(*cassmesosv1.CleanupParams), Nodes: nil}, steps)
}

// stepCleanup runs nodetool cleanup on one node once it is UN and no topology change is under
// way, retrying a failure up to maxRelayAttempts times.
func (ps *pass) stepCleanup(r *opRun) result {
	name := r.step.GetNode()
	n := ps.node(name)
	if n == nil || n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
		return done("node gone")
	}
	rid := r.op().GetId() + "/" + strconv.Itoa(r.idx) + "/" + strconv.Itoa(int(r.step.GetAttempts()))
	if r.peek().GetRelayId() != rid {
		// Not issued yet for this attempt: check the guards.
		if busy := ps.topologyBusy(n.GetRing()); busy != "" {
			return blocked(true, "paused: %s", busy)
		}
		if !ps.isUN(n) {
			return blocked(true, "%s is %s; cleanup waits for it to be UN", name, ps.statusLetters(n))
		}
	}
	p := r.op().GetParams().GetCleanup()
	rl := ps.relayTo(n, RelayCleanup)
	rl.Keyspace, rl.Tables = p.GetKeyspace(), p.GetTables()
	res, ok := ps.relay(r, rl)
	if !ok {
		return wait(false, "nodetool cleanup on %s", name)
	}
	if res.Err == "" {
		return done("cleaned up")
	}
	if r.peek().GetRelayTime() != nil {
		r.step.Attempts++
	}
	r.step.LastError = res.Err
	if r.step.GetAttempts() >= maxRelayAttempts {
		return failed("cleanup of %s failed %d times: %s", name, r.step.GetAttempts(), res.Err)
	}
	return wait(true, "cleanup of %s failed (%s); retrying", name, res.Err)
}

// autoCleanup starts a CLEANUP (origin "daemon") after a scale-up of a ring that opted in
// (spec.cleanup_after_grow) has succeeded: the nodes that were there before the new ones joined
// lost ranges to them (invariant 8: never without the opt-in).
func (ps *pass) autoCleanup() {
	for _, id := range ps.opsByAge() {
		o := ps.ops[id].GetOperation()
		if o.GetKind() != cassmesosv1.OperationKind_OPERATION_KIND_SCALE_RING || o.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED ||
			ps.ops[id].GetState().GetCleanupOp() != "" || o.GetEndTime() == nil || ps.now.Sub(o.GetEndTime().AsTime()) > autoCleanupWithin {
			continue
		}
		r := ps.ring(o.GetRing())
		if r == nil || r.GetDeleting() || !r.GetSpec().GetCleanupAfterGrow() {
			continue
		}
		grown := map[string]bool{}
		for _, s := range o.GetSteps() {
			if stepKind(s) == stepBootstrap && s.GetPhase() == cassmesosv1.StepPhase_STEP_PHASE_DONE {
				grown[s.GetNode()] = true
			}
		}
		if len(grown) == 0 {
			continue
		}
		op := ps.newCleanupOp(o.GetRing(), "daemon", nil, grown)
		w := ps.mutOp(id)
		opState(w).CleanupOp = op.GetOperation().GetId()
		if len(op.GetOperation().GetSteps()) > 0 {
			ps.putOp(op)
		}
	}
}
