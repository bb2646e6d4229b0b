package plan

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Operations are ordered lists of guarded steps (cass-operator style). Each step has a typed kind
// (Step.kind, kinds.go); the handler for the kind is called on every pass while the step is
// current and returns one of:
//
//	done     the step is finished; the next step runs in the same pass
//	wait     progress is being made; the operation is RUNNING (message shown on the step)
//	blocked  a precondition does not hold; the operation is BLOCKED with the reason
//	fail     the operation FAILED with the reason
//
// Handlers keep their sub-state in the node records (phases) and in OperationRecord.cursor under
// keys prefixed "<step index>.", so a restarted daemon resumes exactly where it was.
//
// Exclusive operations (everything but RECOVER_NODE) run one at a time per ring, in creation
// order; RECOVER_NODE (restart in place, not a topology change) runs beside them, one per node.

type resultKind int

const (
	resDone resultKind = iota + 1
	resWait
	resBlocked
	resFail
)

type result struct {
	kind resultKind
	msg  string
	// safe: the operation may be cancelled here (nothing half-done).
	safe bool
}

func done(msg string) result { return result{kind: resDone, msg: msg} }
func wait(safe bool, f string, a ...any) result {
	return result{kind: resWait, msg: fmt.Sprintf(f, a...), safe: safe}
}
func blocked(safe bool, f string, a ...any) result {
	return result{kind: resBlocked, msg: fmt.Sprintf(f, a...), safe: safe}
}
func failed(f string, a ...any) result           { return result{kind: resFail, msg: fmt.Sprintf(f, a...)} }
func (r result) String() string                  { return fmt.Sprintf("%d:%s", r.kind, r.msg) }
func opActive(o *cassmesosv1.Operation) bool     { return !opFinished(o.GetPhase()) }
func exclusive(k cassmesosv1.OperationKind) bool { return ruleOf(k).exclusive }
func opRunning(o *cassmesosv1.Operation) bool {
	return opActive(o) && o.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_PENDING
}
func stepFinished(p cassmesosv1.StepPhase) bool {
	return p == cassmesosv1.StepPhase_STEP_PHASE_DONE || p == cassmesosv1.StepPhase_STEP_PHASE_SKIPPED
}

func opFinished(p cassmesosv1.OperationPhase) bool {
	switch p {
	case cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED, cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED,
		cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED:
		return true
	}
	return false
}

// opRun is the context a step handler gets.
type opRun struct {
	rec  *statev1.OperationRecord // working copy (mutable)
	idx  int
	step *cassmesosv1.Step
}

func (r *opRun) op() *cassmesosv1.Operation { return r.rec.GetOperation() }

// peek is the step's cursor for reading (a nil cursor reads as zero values).
func (r *opRun) peek() *statev1.StepCursor { return r.rec.GetState().GetSteps()[int32(r.idx)] }

// cur is the step's cursor for writing, created on first use.
func (r *opRun) cur() *statev1.StepCursor {
	st := opState(r.rec)
	if st.Steps == nil {
		st.Steps = map[int32]*statev1.StepCursor{}
	}
	c := st.Steps[int32(r.idx)]
	if c == nil {
		c = &statev1.StepCursor{}
		st.Steps[int32(r.idx)] = c
	}
	return c
}

type handler func(ps *pass, r *opRun) result

var handlers map[cassmesosv1.StepKind]handler

func init() {
	handlers = map[cassmesosv1.StepKind]handler{
		stepBootstrap:      (*pass).stepBootstrap,
		stepRecover:        (*pass).stepRecover,
		stepPrepareReplace: (*pass).stepPrepareReplace,
		stepReplace:        (*pass).stepBootstrap,
		stepStop:           (*pass).stepStopAll,
		stepRelease:        (*pass).stepReleaseAll,
		stepDelete:         (*pass).stepDeleteRing,
		stepDecommission:   (*pass).stepDecommission,
		stepRemove:         (*pass).stepRemove,
		stepRestart:        (*pass).stepRestart,
		stepUpdate:         (*pass).stepRestart,
		stepRepair:         (*pass).stepRepair,
		stepCleanup:        (*pass).stepCleanup,
		stepMoveSeed:       (*pass).stepMoveSeed,
		stepBackupNode:     (*pass).stepBackupNode,
		stepRestoreNode:    (*pass).stepRestoreNode,
		stepDeleteBackup:   (*pass).stepDeleteBackupRun,
	}
}

// currentStep returns the index of the first unfinished step, or len(steps).
func currentStep(o *cassmesosv1.Operation) int {
	for i, s := range o.GetSteps() {
		if !stepFinished(s.GetPhase()) {
			return i
		}
	}
	return len(o.GetSteps())
}

// newOperation builds an operation record (ID from the clock and the ID source).
func (ps *pass) newOperation(kind cassmesosv1.OperationKind, ring, origin string, params *cassmesosv1.OperationParams, steps []*cassmesosv1.Step) *statev1.OperationRecord {
	id := ps.now.UTC().Format("20060102-150405") + "-" + strings.ToLower(ps.p.ids.NewID())
	return &statev1.OperationRecord{
		Operation: &cassmesosv1.Operation{
			Id:         id,
			Kind:       kind,
			Ring:       ring,
			Phase:      cassmesosv1.OperationPhase_OPERATION_PHASE_PENDING,
			Steps:      steps,
			Params:     params,
			CreateTime: ps.ts(),
			Origin:     origin,
			Progress:   &cassmesosv1.Progress{Total: int64(len(steps))},
		},
		State: &statev1.OperationCursor{},
	}
}

// opsByAge returns operation IDs ordered by creation time, then ID.
func (ps *pass) opsByAge() []string {
	ids := sortedKeys(ps.ops)
	sort.SliceStable(ids, func(i, j int) bool {
		a, b := ps.ops[ids[i]].GetOperation().GetCreateTime().AsTime(), ps.ops[ids[j]].GetOperation().GetCreateTime().AsTime()
		return a.Before(b)
	})
	return ids
}

// runOps runs every running operation, then creates the automatic ones for nodes no step
// claimed, then runs what that started. Queued exclusive operations start when their ring has
// no running exclusive operation; a REPLACE_NODE or REMOVE_NODE may also start while every
// running exclusive operation of its ring is blocked at a safe point (a repair must not wait
// behind an operation that waits for the very node it repairs). Step guards keep the
// invariants whatever runs at the same time.
func (ps *pass) runOps() {
	ran := map[string]bool{}
	ps.holdsAtStart()
	for round := 0; round < 2; round++ {
		ps.startPending()
		for _, id := range ps.opsByAge() {
			if !ran[id] && opRunning(ps.ops[id].GetOperation()) {
				ran[id] = true
				ps.runOp(id)
			}
		}
		if round == 0 {
			ps.autoOps()
		}
	}
	ps.resumeAutoRepair()
}

func (ps *pass) startPending() {
	order := ps.opsByAge()
	busy := map[string]bool{}     // a running exclusive op
	hardBusy := map[string]bool{} // a running exclusive op not blocked at a safe point
	for _, id := range order {
		o := ps.ops[id].GetOperation()
		if opRunning(o) && exclusive(o.GetKind()) && !maintenance(o.GetKind()) {
			busy[o.GetRing()] = true
			if !(o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED && ps.ops[id].GetState().GetSafe()) {
				hardBusy[o.GetRing()] = true
			}
		}
	}
	for _, id := range order {
		o := ps.ops[id].GetOperation()
		if o.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_PENDING {
			continue
		}
		if maintenance(o.GetKind()) {
			if !ps.maintenanceMayStart(id, order) {
				continue
			}
		} else if exclusive(o.GetKind()) {
			jump := ruleOf(o.GetKind()).jumpsQueue
			if hardBusy[o.GetRing()] || (busy[o.GetRing()] && !jump) {
				continue
			}
			busy[o.GetRing()] = true
			hardBusy[o.GetRing()] = true
		}
		w := ps.mutOp(id).Operation
		w.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING
		w.StartTime = ps.ts()
	}
}

// hold marks the step's node as managed by this operation until the step ends (persisted in
// the cursor, so it survives restarts): no other operation's step acts on it meanwhile, and no
// automatic recovery is started for it. REPLACE_NODE supersedes a RECOVER_NODE's hold.
func (ps *pass) hold(r *opRun) {
	r.cur().Holds = true
	ps.claimed[r.step.GetNode()] = r.op().GetId()
}

// unhold gives the node up (the step waits for something else to fix it first).
func (ps *pass) unhold(r *opRun) {
	if c := r.peek(); c != nil {
		c.Holds = false
	}
	if ps.claimed[r.step.GetNode()] == r.op().GetId() {
		delete(ps.claimed, r.step.GetNode())
	}
}

// holdsAtStart records the holds of every running operation's current step.
func (ps *pass) holdsAtStart() {
	for _, id := range ps.opsByAge() {
		rec := ps.ops[id]
		o := rec.GetOperation()
		if !opRunning(o) {
			continue
		}
		if i := currentStep(o); i < len(o.GetSteps()) && o.GetSteps()[i].GetNode() != "" && rec.GetState().GetSteps()[int32(i)].GetHolds() {
			if _, taken := ps.claimed[o.GetSteps()[i].GetNode()]; !taken {
				ps.claimed[o.GetSteps()[i].GetNode()] = id
			}
		}
	}
}

func (ps *pass) runOp(id string) {
	if why := opInconsistency(ps.ops[id].GetOperation()); why != "" {
		ps.blockInconsistent(id, why)
		return
	}
	if o := ps.ops[id].GetOperation(); !maintenance(o.GetKind()) && !ps.roleHeld(o.GetRing()) {
		ps.blockForRole(id)
		return
	}
	rec := ps.mutOp(id)
	o := rec.Operation
	if ps.rings[o.GetRing()] == nil && o.GetKind() != cassmesosv1.OperationKind_OPERATION_KIND_DELETE_RING {
		ps.finishOp(rec, cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED, "ring "+o.GetRing()+" no longer exists")
		return
	}
	if msg, stuck, ok := ps.autoRepairGate(rec); !ok {
		ps.holdForAutoRepair(id, rec, msg, stuck)
		return
	}
	for {
		i := currentStep(o)
		if i >= len(o.Steps) {
			ps.finishOp(rec, cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED, "")
			return
		}
		st := o.Steps[i]
		if o.GetCancelRequested() && st.GetPhase() == cassmesosv1.StepPhase_STEP_PHASE_PENDING {
			ps.finishOp(rec, cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED, "")
			return
		}
		h := handlers[stepKind(st)]
		if h == nil {
			ps.finishOp(rec, cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED, "unknown step "+st.GetName())
			return
		}
		if st.Phase == cassmesosv1.StepPhase_STEP_PHASE_PENDING {
			st.Phase = cassmesosv1.StepPhase_STEP_PHASE_RUNNING
			st.StartTime = ps.ts()
		}
		r := &opRun{rec: rec, idx: i, step: st}
		var res result
		if holder := ps.claimed[st.GetNode()]; st.GetNode() != "" && holder != "" && holder != id &&
			!(ruleOf(o.GetKind()).preemptsRecover && !exclusive(ps.ops[holder].GetOperation().GetKind())) {
			res = blocked(true, "waiting: %s is in the hands of operation %s", st.GetNode(), holder)
		} else {
			res = h(ps, r)
		}
		switch res.kind {
		case resDone:
			ps.unhold(r)
			delete(opState(rec).Steps, int32(i)) // a finished step keeps no state
			st.Phase = cassmesosv1.StepPhase_STEP_PHASE_DONE
			st.EndTime = ps.ts()
			st.Message = res.msg
			o.BlockedReason = ""
			ps.progress(o)
			continue
		case resWait, resBlocked:
			st.Message = res.msg
			opState(rec).Safe = false
			if res.kind == resBlocked {
				o.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED
				o.BlockedReason = res.msg
				if res.safe {
					// Blocked at a safe point: the step is not acting on its node, so it lets go
					// of it (another operation, e.g. a replacement, may be what unblocks it).
					opState(rec).Safe = true
					ps.unhold(r)
				}
			} else {
				o.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING
				o.BlockedReason = ""
			}
			if rec.GetState().GetPaused() {
				o.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_PAUSED
			}
			ps.progress(o)
			if o.GetCancelRequested() && res.safe {
				ps.unwant(id)
				ps.finishOp(rec, cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED, "")
			}
			return
		case resFail:
			st.Phase = cassmesosv1.StepPhase_STEP_PHASE_FAILED
			st.LastError = res.msg
			st.EndTime = ps.ts()
			ps.unwant(id)
			ps.finishOp(rec, cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED, res.msg)
			return
		}
	}
}

func (ps *pass) progress(o *cassmesosv1.Operation) {
	if o.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPAIR {
		ps.repairProgress(o)
		return
	}
	var d int64
	for _, s := range o.GetSteps() {
		if stepFinished(s.GetPhase()) {
			d++
		}
	}
	if o.Progress == nil {
		o.Progress = &cassmesosv1.Progress{}
	}
	o.Progress.Done, o.Progress.Total = d, int64(len(o.GetSteps()))
}

func (ps *pass) finishOp(rec *statev1.OperationRecord, phase cassmesosv1.OperationPhase, errMsg string) {
	o := rec.Operation
	if rec.State != nil {
		rec.State.Steps = nil // nothing runs any more
	}
	o.Phase = phase
	o.EndTime = ps.ts()
	o.BlockedReason = ""
	o.Error = errMsg
	for _, s := range o.Steps {
		if s.GetPhase() == cassmesosv1.StepPhase_STEP_PHASE_PENDING ||
			(s.GetPhase() == cassmesosv1.StepPhase_STEP_PHASE_RUNNING && phase != cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED) {
			s.Phase = cassmesosv1.StepPhase_STEP_PHASE_SKIPPED
			s.EndTime = ps.ts()
		}
	}
	ps.progress(o)
	if phase == cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED {
		ps.dropUnstarted(o)
	}
	for n, id := range ps.claimed {
		if id == o.GetId() {
			delete(ps.claimed, n)
		}
	}
}

// unwant drops launches wanted by an operation.
func (ps *pass) unwant(opID string) {
	for n, w := range ps.want {
		if w.opID == opID {
			delete(ps.want, n)
		}
	}
}

// activeOpFor returns the ID of an active operation of kind acting on node, or "".
func (ps *pass) activeOpFor(kind cassmesosv1.OperationKind, node string) string {
	best := ""
	for id, rec := range ps.ops {
		o := rec.GetOperation()
		if o.GetKind() != kind || !opActive(o) || (best != "" && id > best) {
			continue
		}
		for _, n := range o.GetParams().GetNodes() {
			if n == node {
				best = id
			}
		}
	}
	return best
}

// autoOps starts the operations the daemon decides on its own: RECOVER_NODE for a bootstrapped
// node whose task died and that no running step manages, REPLACE_NODE for a node lost longer
// than the ring's replace-after grace with its agent unreachable or gone (invariant 5).
func (ps *pass) autoOps() {
	for _, name := range sortedKeys(ps.nodes) {
		n := ps.node(name)
		r := ps.ring(n.GetRing())
		if r == nil || r.GetDeleting() || !ps.roleHeld(n.GetRing()) {
			continue
		}
		replaceOp := ps.activeOpFor(cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE, name)
		gone := ps.agentGone(n)
		if n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_RESTARTING && n.GetBootstrapped() && !gone &&
			ps.claimed[name] == "" &&
			(replaceOp == "" || !opRunning(ps.ops[replaceOp].GetOperation())) &&
			ps.activeOpFor(cassmesosv1.OperationKind_OPERATION_KIND_RECOVER_NODE, name) == "" {
			op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_RECOVER_NODE, n.GetRing(), "daemon",
				&cassmesosv1.OperationParams{Nodes: []string{name}}, []*cassmesosv1.Step{newStep(stepRecover, name)})
			ps.putOp(op)
			continue
		}
		lost := n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_LOST ||
			(n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_RESTARTING && gone) ||
			(n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_STOPPING && gone)
		grace := r.GetSpec().GetReplaceAfter().AsDuration()
		if r.GetSpec().GetReplaceAfter() == nil {
			grace = DefaultReplaceAfter
		}
		if replaceOp != "" || !lost || grace <= 0 || n.GetLostTime() == nil || !n.GetBootstrapped() || n.GetHostId() == "" || n.GetAddress() == "" {
			continue
		}
		due := n.GetLostTime().AsTime().Add(grace)
		if ps.now.Before(due) {
			ps.wakeAt(due)
			continue
		}
		if !ps.agentUnreachable(n) {
			continue
		}
		op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE, n.GetRing(), "daemon",
			&cassmesosv1.OperationParams{Nodes: []string{name}},
			append(seedSteps(n), newStep(stepPrepareReplace, name), newStep(stepReplace, name)))
		ps.putOp(op)
	}
}

func tsOr(t *timestamppb.Timestamp, def *timestamppb.Timestamp) *timestamppb.Timestamp {
	if t == nil {
		return def
	}
	return t
}

// dropUnstarted undoes the part of a cancelled operation that never started: node slots a
// SCALE_RING created and never launched are deleted and the ring's size follows.
func (ps *pass) dropUnstarted(o *cassmesosv1.Operation) {
	if o.GetKind() != cassmesosv1.OperationKind_OPERATION_KIND_SCALE_RING {
		return
	}
	for _, s := range o.GetSteps() {
		n := ps.node(s.GetNode())
		if stepKind(s) != stepBootstrap || s.GetPhase() != cassmesosv1.StepPhase_STEP_PHASE_SKIPPED || n == nil ||
			n.GetIncarnation() != 0 || n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_PENDING {
			continue
		}
		ps.deleteNode(n.GetName())
		if r := ps.mutRing(o.GetRing()); r != nil && r.GetSpec().GetNodes() > 1 {
			r.Spec.Nodes--
		}
	}
}
