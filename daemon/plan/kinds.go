package plan

import (
	"strings"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Step kinds. The planner dispatches on Step.kind; the step's name ("bootstrap demo-3") is only
// for people. Records written before step kinds existed carry no kind: stepKind reads it from the
// name's first word, in this one place.
const (
	stepBootstrap      = cassmesosv1.StepKind_STEP_KIND_BOOTSTRAP
	stepRecover        = cassmesosv1.StepKind_STEP_KIND_RECOVER
	stepPrepareReplace = cassmesosv1.StepKind_STEP_KIND_PREPARE_REPLACE
	stepReplace        = cassmesosv1.StepKind_STEP_KIND_REPLACE
	stepStop           = cassmesosv1.StepKind_STEP_KIND_STOP
	stepRelease        = cassmesosv1.StepKind_STEP_KIND_RELEASE
	stepDelete         = cassmesosv1.StepKind_STEP_KIND_DELETE
	stepDecommission   = cassmesosv1.StepKind_STEP_KIND_DECOMMISSION
	stepRemove         = cassmesosv1.StepKind_STEP_KIND_REMOVE
	stepRestart        = cassmesosv1.StepKind_STEP_KIND_RESTART
	stepUpdate         = cassmesosv1.StepKind_STEP_KIND_UPDATE
	stepRepair         = cassmesosv1.StepKind_STEP_KIND_REPAIR
	stepCleanup        = cassmesosv1.StepKind_STEP_KIND_CLEANUP
	stepMoveSeed       = cassmesosv1.StepKind_STEP_KIND_MOVE_SEED
)

// stepWords is the display word of each kind (the first word of the step's name).
var stepWords = map[cassmesosv1.StepKind]string{
	stepBootstrap:      "bootstrap",
	stepRecover:        "recover",
	stepPrepareReplace: "prepare",
	stepReplace:        "replace",
	stepStop:           "stop",
	stepRelease:        "release",
	stepDelete:         "delete",
	stepDecommission:   "decommission",
	stepRemove:         "remove",
	stepRestart:        "restart",
	stepUpdate:         "update",
	stepRepair:         "repair",
	stepCleanup:        "cleanup",
	stepMoveSeed:       "reseed",
}

// legacyStepKinds maps the first word of a kind-less step's name to its kind.
var legacyStepKinds = func() map[string]cassmesosv1.StepKind {
	m := make(map[string]cassmesosv1.StepKind, len(stepWords))
	for k, w := range stepWords {
		m[w] = k
	}
	return m
}()

// stepKind is the step's kind: its kind field, or for a record written before step kinds
// existed, the kind its name's first word names (UNSPECIFIED when it names none).
func stepKind(s *cassmesosv1.Step) cassmesosv1.StepKind {
	if k := s.GetKind(); k != cassmesosv1.StepKind_STEP_KIND_UNSPECIFIED {
		return k
	}
	w, _, _ := strings.Cut(s.GetName(), " ")
	return legacyStepKinds[w]
}

// newStep is a pending step of the given kind on a node, named "<word> <node>".
func newStep(kind cassmesosv1.StepKind, node string) *cassmesosv1.Step {
	return namedStep(kind, stepWords[kind]+" "+node, node)
}

// namedStep is a pending step of the given kind with a name of its own.
func namedStep(kind cassmesosv1.StepKind, name, node string) *cassmesosv1.Step {
	return &cassmesosv1.Step{Name: name, Node: node, Kind: kind, Phase: cassmesosv1.StepPhase_STEP_PHASE_PENDING}
}

// opRule is what the planner needs to know about an operation kind. Every rule about which
// operations may run together lives in this table, so adding an operation kind means adding a
// row here (docs/planner.md, "Adding an operation").
type opRule struct {
	// exclusive: runs alone on its ring (one exclusive operation at a time, in creation order).
	// Non-exclusive operations (RECOVER_NODE) run beside exclusive ones, one per node.
	exclusive bool
	// maintenance: repair or cleanup — starts only when no other exclusive operation of its ring
	// runs or waits ahead of it, never changes topology and never restarts nodes.
	maintenance bool
	// jumpsQueue: may start while an older exclusive operation of the ring waits without having
	// started (a replacement or removal of a dead node must not queue behind work that needs it).
	jumpsQueue bool
	// preemptsRecover: may act on a node a RECOVER_NODE operation holds (the node is replaced
	// instead of being restarted in place).
	preemptsRecover bool
}

// disruptive: changes the ring's topology or restarts its nodes (exclusive and not maintenance).
// Repair and cleanup wait for the ring's disruptive operations.
func (r opRule) disruptive() bool { return r.exclusive && !r.maintenance }

var opRules = map[cassmesosv1.OperationKind]opRule{
	cassmesosv1.OperationKind_OPERATION_KIND_CREATE_RING:       {exclusive: true},
	cassmesosv1.OperationKind_OPERATION_KIND_SCALE_RING:        {exclusive: true},
	cassmesosv1.OperationKind_OPERATION_KIND_UPDATE_RING:       {exclusive: true},
	cassmesosv1.OperationKind_OPERATION_KIND_RESTART_RING:      {exclusive: true},
	cassmesosv1.OperationKind_OPERATION_KIND_DELETE_RING:       {exclusive: true},
	cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE:      {exclusive: true, jumpsQueue: true, preemptsRecover: true},
	cassmesosv1.OperationKind_OPERATION_KIND_RESTART_NODE:      {exclusive: true},
	cassmesosv1.OperationKind_OPERATION_KIND_DECOMMISSION_NODE: {exclusive: true},
	cassmesosv1.OperationKind_OPERATION_KIND_REMOVE_NODE:       {exclusive: true, jumpsQueue: true},
	cassmesosv1.OperationKind_OPERATION_KIND_RECOVER_NODE:      {},
	cassmesosv1.OperationKind_OPERATION_KIND_REPAIR:            {exclusive: true, maintenance: true},
	cassmesosv1.OperationKind_OPERATION_KIND_CLEANUP:           {exclusive: true, maintenance: true},
}

// ruleOf is the kind's row of opRules; an unknown kind is exclusive (the safe default).
func ruleOf(k cassmesosv1.OperationKind) opRule {
	if r, ok := opRules[k]; ok {
		return r
	}
	return opRule{exclusive: true}
}
