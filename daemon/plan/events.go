package plan

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Events: what a pass's writes change, told as kubectl-style events. EventWrites compares each
// written record with the one in the state before the pass (State.Apply not yet run) and returns
// event writes (RecordEvent) to persist in the same transaction as the writes themselves, so an
// event is stored exactly when its change is. It only reads; it adds no record write of its own.

// Event reasons.
const (
	ReasonRingCreated        = "RingCreated"
	ReasonRingDeleted        = "RingDeleted"
	ReasonNodeCreated        = "NodeCreated"
	ReasonNodeRemoved        = "NodeRemoved"
	ReasonNodeUp             = "NodeUp"
	ReasonNodeDown           = "NodeDown"
	ReasonNodeState          = "NodeStateChanged"
	ReasonNodeLost           = "NodeLost"
	ReasonNodeReplacing      = "NodeReplacing"
	ReasonNodeReplaced       = "NodeReplaced"
	ReasonTaskState          = "TaskStateChanged"
	ReasonTaskFailed         = "TaskFailed"
	ReasonOperationCreated   = "OperationCreated"
	ReasonOperationStarted   = "OperationStarted"
	ReasonOperationBlocked   = "OperationBlocked"
	ReasonOperationSucceeded = "OperationSucceeded"
	ReasonOperationFailed    = "OperationFailed"
	ReasonOperationCancelled = "OperationCancelled"
	ReasonStepFailed         = "StepFailed"
	ReasonRepairStarted      = "RepairStarted"
	ReasonRepairFinished     = "RepairFinished"
	ReasonRepairFailed       = "RepairFailed"
	ReasonSegmentFailed      = "RepairSegmentFailed"
	// ReasonRackSpread: a data centre's nodes are spread over racks less evenly than the known
	// agents would allow (the ring status warning "rack spread: ...").
	ReasonRackSpread = "RackSpreadUneven"
)

var (
	normal  = cassmesosv1.EventType_EVENT_TYPE_NORMAL
	warning = cassmesosv1.EventType_EVENT_TYPE_WARNING
)

// EventWrites returns the events of writes against st (the state before they are applied).
func EventWrites(st *State, writes []Write) []Write {
	var out []Write
	add := func(t cassmesosv1.EventType, reason, ring, node, op, format string, args ...any) {
		out = append(out, Write{Kind: RecordEvent, RingName: ring, Event: &cassmesosv1.Event{
			Time: timestamppb.New(st.Now), Type: t, Reason: reason, Ring: ring, Node: node, Operation: op,
			Message: fmt.Sprintf(format, args...),
		}})
	}
	for _, w := range writes {
		switch w.Kind {
		case RecordRing:
			old := st.Rings[w.Name]
			switch {
			case w.Delete && old != nil:
				add(normal, ReasonRingDeleted, w.Name, "", "", "ring %s deleted", w.Name)
			case !w.Delete && old == nil:
				add(normal, ReasonRingCreated, w.Name, "", "", "ring %s created (%d nodes, %d seeds)", w.Name,
					w.Ring.GetSpec().GetNodes(), w.Ring.GetSpec().GetSeeds())
			}
			if !w.Delete {
				for _, m := range w.Ring.GetStatus().GetWarnings() {
					if strings.HasPrefix(m, rackWarningPrefix) && !slices.Contains(old.GetStatus().GetWarnings(), m) {
						add(warning, ReasonRackSpread, w.Name, "", "", "%s", m)
					}
				}
			}
		case RecordNode:
			nodeEvents(st.Nodes[w.Name], w, add)
		case RecordOperation:
			if !w.Delete {
				opEvents(st.Operations[w.Name], w.Operation, add)
			}
		case RecordSegment:
			if w.Delete || w.Segment == nil {
				continue
			}
			seg := w.Segment.GetSegment()
			var old *statev1.SegmentRecord
			if m := st.Segments[w.Name]; m != nil {
				old = m[seg.GetIndex()]
			}
			if seg.GetPhase() == cassmesosv1.StepPhase_STEP_PHASE_FAILED && old.GetSegment().GetPhase() != seg.GetPhase() {
				ring := st.Operations[w.Name].GetOperation().GetRing()
				add(warning, ReasonSegmentFailed, ring, seg.GetCoordinator(), w.Name, "repair segment %d (%s, %s] failed: %s",
					seg.GetIndex(), seg.GetStartToken(), seg.GetEndToken(), seg.GetLastError())
			}
		}
	}
	return out
}

// NodeStateCode is a node record's two-letter nodetool state (UN, UJ, UL, UM, DN, ...), "-" when
// nothing is known.
func NodeStateCode(n *statev1.NodeRecord) string {
	l := "?"
	switch n.GetLiveness() {
	case cassmesosv1.Liveness_LIVENESS_UP:
		l = "U"
	case cassmesosv1.Liveness_LIVENESS_DOWN:
		l = "D"
	}
	m := "?"
	switch n.GetMode() {
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL:
		m = "N"
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_JOINING, cassmesosv1.CassandraMode_CASSANDRA_MODE_STARTING:
		m = "J"
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_LEAVING, cassmesosv1.CassandraMode_CASSANDRA_MODE_DECOMMISSIONED:
		m = "L"
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_MOVING:
		m = "M"
	}
	if l == "?" && m == "?" {
		return "-"
	}
	return l + m
}

// badTaskStates are the task states that end a task against our will.
var badTaskStates = map[string]bool{
	"TASK_FAILED": true, "TASK_LOST": true, "TASK_ERROR": true, "TASK_DROPPED": true, "TASK_GONE": true,
	"TASK_GONE_BY_OPERATOR": true, "TASK_UNREACHABLE": true,
}

type addFunc func(t cassmesosv1.EventType, reason, ring, node, op, format string, args ...any)

func nodeEvents(old *statev1.NodeRecord, w Write, add addFunc) {
	ring := nodeRing(w, old)
	if w.Delete {
		if old != nil {
			add(normal, ReasonNodeRemoved, ring, w.Name, "", "node %s removed", w.Name)
		}
		return
	}
	n := w.Node
	if old == nil {
		seed := ""
		if n.GetSeed() {
			seed = " (seed)"
		}
		add(normal, ReasonNodeCreated, ring, w.Name, "", "slot %s created%s", w.Name, seed)
		return
	}
	if ts := n.GetTaskState(); ts != "" && (ts != old.GetTaskState() || n.GetTaskId() != old.GetTaskId()) {
		msg := ""
		if n.GetMessage() != "" {
			msg = ": " + n.GetMessage()
		}
		if badTaskStates[ts] {
			add(warning, ReasonTaskFailed, ring, w.Name, "", "task %s is %s%s", n.GetTaskId(), ts, msg)
		} else {
			add(normal, ReasonTaskState, ring, w.Name, "", "task %s is %s", n.GetTaskId(), ts)
		}
	}
	if n.GetPhase() != old.GetPhase() {
		switch n.GetPhase() {
		case cassmesosv1.NodePhase_NODE_PHASE_LOST:
			why := n.GetMessage()
			if why == "" {
				why = "its task is unreachable or gone"
			}
			add(warning, ReasonNodeLost, ring, w.Name, "", "node %s lost: %s", w.Name, why)
		case cassmesosv1.NodePhase_NODE_PHASE_REPLACING:
			add(normal, ReasonNodeReplacing, ring, w.Name, "", "node %s is being replaced", w.Name)
		}
	}
	// A state change is news when the new state is known: not "-", and neither liveness nor mode
	// unknown ("?N" after a loss, "D?" before a first start); down only counts after up.
	if was, is := NodeStateCode(old), NodeStateCode(n); was != is && is != "-" && !strings.Contains(is, "?") &&
		(!strings.HasPrefix(is, "D") || strings.HasPrefix(was, "U")) {
		switch {
		case is == "UN":
			add(normal, ReasonNodeUp, ring, w.Name, "", "node %s is UN (was %s)", w.Name, was)
		case strings.HasPrefix(is, "D"):
			add(warning, ReasonNodeDown, ring, w.Name, "", "node %s is %s (was %s)", w.Name, is, was)
		default:
			add(normal, ReasonNodeState, ring, w.Name, "", "node %s is %s (was %s)", w.Name, is, was)
		}
	}
}

func nodeRing(w Write, old *statev1.NodeRecord) string {
	switch {
	case w.RingName != "":
		return w.RingName
	case w.Node != nil:
		return w.Node.GetRing()
	}
	return old.GetRing()
}

func opEvents(oldRec, rec *statev1.OperationRecord, add addFunc) {
	op, old := rec.GetOperation(), oldRec.GetOperation()
	id, ring := op.GetId(), op.GetRing()
	kind := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(op.GetKind().String(), "OPERATION_KIND_")), "_", "-")
	what := kind + " " + id
	if nodes := op.GetParams().GetNodes(); len(nodes) > 0 {
		what = kind + " " + strings.Join(nodes, ",") + " (" + id + ")"
	}
	opNode := ""
	if nodes := op.GetParams().GetNodes(); len(nodes) == 1 {
		opNode = nodes[0]
	}
	repair := op.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPAIR
	if oldRec == nil {
		origin := ""
		if op.GetOrigin() != "" {
			origin = " by " + op.GetOrigin()
		}
		add(normal, ReasonOperationCreated, ring, opNode, id, "%s created%s (%d steps)", what, origin, len(op.GetSteps()))
	}
	if op.GetPhase() != old.GetPhase() {
		switch op.GetPhase() {
		case cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING:
			if old.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_UNSPECIFIED || old.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_PENDING {
				if repair {
					add(normal, ReasonRepairStarted, ring, opNode, id, "repair %s started", id)
				} else {
					add(normal, ReasonOperationStarted, ring, opNode, id, "%s started", what)
				}
			}
		case cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED:
			add(warning, ReasonOperationBlocked, ring, opNode, id, "%s blocked: %s", what, op.GetBlockedReason())
		case cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED:
			switch {
			case repair:
				add(normal, ReasonRepairFinished, ring, opNode, id, "repair %s finished (%d/%d)", id, op.GetProgress().GetDone(), op.GetProgress().GetTotal())
			case op.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE:
				add(normal, ReasonNodeReplaced, ring, opNode, id, "%s succeeded: node replaced", what)
			default:
				add(normal, ReasonOperationSucceeded, ring, opNode, id, "%s succeeded", what)
			}
		case cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED:
			if repair {
				add(warning, ReasonRepairFailed, ring, opNode, id, "repair %s failed: %s", id, op.GetError())
			} else {
				add(warning, ReasonOperationFailed, ring, opNode, id, "%s failed: %s", what, op.GetError())
			}
		case cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED:
			add(normal, ReasonOperationCancelled, ring, opNode, id, "%s cancelled", what)
		}
	}
	oldSteps := old.GetSteps()
	for i, s := range op.GetSteps() {
		if s.GetPhase() != cassmesosv1.StepPhase_STEP_PHASE_FAILED {
			continue
		}
		if i < len(oldSteps) && oldSteps[i].GetPhase() == s.GetPhase() {
			continue
		}
		add(warning, ReasonStepFailed, ring, s.GetNode(), id, "step %s failed: %s", s.GetName(), s.GetLastError())
	}
}
