package plan

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Operations are ordered lists of guarded steps (cass-operator style). Each step names its kind
// in its first word ("bootstrap demo-3", "decommission demo-5"); the handler for the kind is
// called on every pass while the step is current and returns one of:
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
func failed(f string, a ...any) result       { return result{kind: resFail, msg: fmt.Sprintf(f, a...)} }
func (r result) String() string              { return fmt.Sprintf("%d:%s", r.kind, r.msg) }
func stepKind(s *cassmesosv1.Step) string    { k, _, _ := strings.Cut(s.GetName(), " "); return k }
func opActive(o *cassmesosv1.Operation) bool { return !opFinished(o.GetPhase()) }
func exclusive(k cassmesosv1.OperationKind) bool {
	return k != cassmesosv1.OperationKind_OPERATION_KIND_RECOVER_NODE
}
func newStep(kind, node string) *cassmesosv1.Step {
	return &cassmesosv1.Step{Name: kind + " " + node, Node: node, Phase: cassmesosv1.StepPhase_STEP_PHASE_PENDING}
}
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
func (r *opRun) key(k string) string        { return strconv.Itoa(r.idx) + "." + k }
func (r *opRun) get(k string) string        { return r.rec.Cursor[r.key(k)] }
func (r *opRun) set(k, v string) {
	if v == "" {
		delete(r.rec.Cursor, r.key(k))
		return
	}
	r.rec.Cursor[r.key(k)] = v
}

type handler func(ps *pass, r *opRun) result

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"bootstrap":    (*pass).stepBootstrap,
		"recover":      (*pass).stepRecover,
		"prepare":      (*pass).stepPrepareReplace,
		"replace":      (*pass).stepBootstrap,
		"stop":         (*pass).stepStopAll,
		"release":      (*pass).stepReleaseAll,
		"delete":       (*pass).stepDeleteRing,
		"decommission": (*pass).stepDecommission,
		"remove":       (*pass).stepRemove,
		"restart":      (*pass).stepRestart,
		"update":       (*pass).stepRestart,
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
		Cursor: map[string]string{},
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

// runOps: claims, automatic operations, starting queued ones, then every running operation.
func (ps *pass) runOps() {
	order := ps.opsByAge()
	for _, id := range order {
		o := ps.ops[id].GetOperation()
		if !opRunning(o) {
			continue
		}
		if i := currentStep(o); i < len(o.GetSteps()) {
			for _, n := range stepNodes(o, i) {
				ps.claimed[n] = id
			}
		}
	}
	ps.autoOps()
	order = ps.opsByAge()
	busy := map[string]bool{}
	for _, id := range order {
		o := ps.ops[id].GetOperation()
		if opRunning(o) && exclusive(o.GetKind()) {
			busy[o.GetRing()] = true
		}
	}
	for _, id := range order {
		o := ps.ops[id].GetOperation()
		if o.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_PENDING {
			continue
		}
		if exclusive(o.GetKind()) {
			if busy[o.GetRing()] {
				continue
			}
			busy[o.GetRing()] = true
		}
		w := ps.mutOp(id).Operation
		w.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING
		w.StartTime = ps.ts()
	}
	for _, id := range order {
		if opRunning(ps.ops[id].GetOperation()) {
			ps.runOp(id)
		}
	}
}

// stepNodes are the nodes a step acts on (all of the ring for DELETE_RING's steps).
func stepNodes(o *cassmesosv1.Operation, i int) []string {
	s := o.GetSteps()[i]
	if s.GetNode() != "" {
		return []string{s.GetNode()}
	}
	return nil
}

func (ps *pass) runOp(id string) {
	rec := ps.mutOp(id)
	o := rec.Operation
	if ps.rings[o.GetRing()] == nil && o.GetKind() != cassmesosv1.OperationKind_OPERATION_KIND_DELETE_RING {
		ps.finishOp(rec, cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED, "ring "+o.GetRing()+" no longer exists")
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
		if st.GetNode() != "" {
			ps.claimed[st.GetNode()] = id
		}
		r := &opRun{rec: rec, idx: i, step: st}
		res := h(ps, r)
		switch res.kind {
		case resDone:
			st.Phase = cassmesosv1.StepPhase_STEP_PHASE_DONE
			st.EndTime = ps.ts()
			st.Message = res.msg
			o.BlockedReason = ""
			ps.progress(o)
			continue
		case resWait, resBlocked:
			st.Message = res.msg
			if res.kind == resBlocked {
				o.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED
				o.BlockedReason = res.msg
			} else {
				o.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING
				o.BlockedReason = ""
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
	for _, id := range sortedKeys(ps.ops) {
		o := ps.ops[id].GetOperation()
		if o.GetKind() != kind || !opActive(o) {
			continue
		}
		for _, n := range o.GetParams().GetNodes() {
			if n == node {
				return id
			}
		}
	}
	return ""
}

// autoOps starts the operations the daemon decides on its own: RECOVER_NODE for a bootstrapped
// node whose task died, REPLACE_NODE for a node lost longer than the ring's replace-after grace
// with its agent unreachable or gone (invariant 5).
func (ps *pass) autoOps() {
	for _, name := range sortedKeys(ps.nodes) {
		n := ps.node(name)
		r := ps.ring(n.GetRing())
		if r == nil || r.GetDeleting() || ps.claimed[name] != "" {
			continue
		}
		if ps.activeOpFor(cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE, name) != "" {
			continue
		}
		gone := ps.agentGone(n)
		if n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_RESTARTING && n.GetBootstrapped() && !gone &&
			ps.activeOpFor(cassmesosv1.OperationKind_OPERATION_KIND_RECOVER_NODE, name) == "" {
			op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_RECOVER_NODE, n.GetRing(), "daemon",
				&cassmesosv1.OperationParams{Nodes: []string{name}}, []*cassmesosv1.Step{newStep("recover", name)})
			ps.putOp(op)
			continue
		}
		lost := n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_LOST ||
			(n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_RESTARTING && gone)
		grace := r.GetSpec().GetReplaceAfter().AsDuration()
		if r.GetSpec().GetReplaceAfter() == nil {
			grace = DefaultReplaceAfter
		}
		if !lost || grace <= 0 || n.GetLostTime() == nil || !n.GetBootstrapped() || n.GetHostId() == "" || n.GetAddress() == "" {
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
			[]*cassmesosv1.Step{newStep("prepare", name), newStep("replace", name)})
		ps.putOp(op)
	}
}

func tsOr(t *timestamppb.Timestamp, def *timestamppb.Timestamp) *timestamppb.Timestamp {
	if t == nil {
		return def
	}
	return t
}
