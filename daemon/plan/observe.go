package plan

import (
	"cmp"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// taskCond is what the planner knows about a node's current task.
type taskCond int

const (
	condNone        taskCond = iota // no task intended (task_id empty)
	condUnknown                     // a task ID is recorded but no status has been seen
	condStarting                    // staging or starting
	condRunning                     // running (or killing)
	condUnreachable                 // the task may still be alive: unreachable, or lost on an unreachable agent
	condDead                        // terminal: a new task may be launched for the slot
)

var taskStateNames = map[TaskState]string{
	TaskUnknown: "TASK_UNKNOWN", TaskStaging: "TASK_STAGING", TaskStarting: "TASK_STARTING",
	TaskRunning: "TASK_RUNNING", TaskKilling: "TASK_KILLING", TaskFinished: "TASK_FINISHED",
	TaskFailed: "TASK_FAILED", TaskKilled: "TASK_KILLED", TaskError: "TASK_ERROR", TaskLost: "TASK_LOST",
	TaskDropped: "TASK_DROPPED", TaskUnreachable: "TASK_UNREACHABLE", TaskGone: "TASK_GONE",
	TaskGoneByOperator: "TASK_GONE_BY_OPERATOR",
}

// String returns the Mesos name of the state ("TASK_RUNNING").
func (t TaskState) String() string {
	if s, ok := taskStateNames[t]; ok {
		return s
	}
	return fmt.Sprintf("TaskState(%d)", int(t))
}

// Terminal reports whether the state is terminal for the planner. TASK_LOST counts as terminal
// only when its agent is not known to be unreachable (see condOf).
func (t TaskState) Terminal() bool {
	switch t {
	case TaskFinished, TaskFailed, TaskKilled, TaskError, TaskDropped, TaskGone, TaskGoneByOperator:
		return true
	}
	return false
}

// condOf classifies a task status.
func (ps *pass) condOf(st TaskStatus) taskCond {
	switch st.State {
	case TaskStaging, TaskStarting:
		return condStarting
	case TaskRunning, TaskKilling:
		return condRunning
	case TaskUnknown:
		// The master does not know the task (yet): after a failover it answers so until the
		// task's agent re-registers (62-75s on a real master). The task may well be running:
		// the node keeps its last known state, marked stale, and is reconciled again
		// (reconcileStale). Only past staleGiveUp is it taken as unreachable.
		if ps.staleSince(st).Add(staleGiveUp).After(ps.now) {
			return condUnknown
		}
		return condUnreachable
	case TaskUnreachable:
		return condUnreachable
	case TaskLost:
		if a, ok := ps.s.Agents[st.AgentID]; ok && !a.Reachable && !a.Gone {
			return condUnreachable
		}
		return condDead
	}
	if st.State.Terminal() {
		return condDead
	}
	return condUnknown
}

// task returns the condition of the node's current task and its status.
func (ps *pass) task(n *statev1.NodeRecord) (taskCond, TaskStatus) {
	if n.GetTaskId() == "" {
		return condNone, TaskStatus{}
	}
	st, ok := ps.s.Tasks[n.GetTaskId()]
	if !ok {
		if ps.s.Reconciled && n.GetPhaseTime() != nil && ps.now.Sub(n.GetPhaseTime().AsTime()) > unknownGiveUp {
			return condDead, TaskStatus{TaskID: n.GetTaskId(), State: TaskGone, Message: "no status for the task after reconciliation"}
		}
		return condUnknown, TaskStatus{}
	}
	return ps.condOf(st), st
}

// Stale tasks (TASK_UNKNOWN from the master): reconciled again after staleRetryMin, the interval
// doubling up to staleRetryMax, and taken as unreachable after staleGiveUp (past the real master's
// 10-minute agent_reregister_timeout, after which it answers TASK_UNREACHABLE itself).
const (
	staleRetryMin = time.Second
	staleRetryMax = 30 * time.Second
	staleGiveUp   = 15 * time.Minute
)

// staleSince is when the task's run of TASK_UNKNOWN statuses began.
func (ps *pass) staleSince(st TaskStatus) time.Time {
	switch {
	case !st.Since.IsZero():
		return st.Since
	case !st.At.IsZero():
		return st.At
	}
	return ps.now
}

// stale reports whether st is the master's TASK_UNKNOWN for a task still taken as alive.
func stale(c taskCond, st TaskStatus) bool {
	return c == condUnknown && st.TaskID != "" && st.State == TaskUnknown
}

// recordedRunning reports whether the node's record last saw its current task running: a status
// without the executor's labels (the master's) then changes nothing the labels said.
func recordedRunning(n *statev1.NodeRecord) bool {
	switch n.GetTaskState() {
	case "TASK_RUNNING", "TASK_KILLING":
		return true
	}
	return false
}

// reconcileStale asks Mesos again about stale tasks, with a bounded backoff, until the master
// knows them again (their agent re-registered) or they are given up.
func (ps *pass) reconcileStale() {
	if !ps.s.Reconciled {
		return // the runtime's own explicit reconciliation is under way
	}
	var refs []TaskRef
	for _, name := range sortedKeys(ps.nodes) {
		n := ps.node(name)
		c, st := ps.task(n)
		if !stale(c, st) {
			continue
		}
		since := ps.staleSince(st)
		ps.wakeAt(since.Add(staleGiveUp))
		last := st.At
		if last.IsZero() {
			last = since
		}
		interval := min(max(last.Sub(since), staleRetryMin), staleRetryMax)
		if due := last.Add(interval); ps.now.Before(due) {
			ps.wakeAt(due)
			continue
		}
		agent := st.AgentID
		if agent == "" {
			agent = n.GetAgentId()
		}
		refs = append(refs, TaskRef{TaskID: st.TaskID, AgentID: agent})
	}
	if len(refs) > 0 {
		ps.act(ReconcileTasks{Tasks: refs})
	}
}

// unknownGiveUp is how long after its phase changed a recorded task with no status at all, once
// the runtime has reconciled, is taken as never launched (Mesos answers reconciliation for every
// task it knows except on agents still recovering, which re-register within ~10 minutes).
const unknownGiveUp = 15 * time.Minute

// live reports whether the node's task may be alive, in which case no new task may be launched
// for the slot (invariant 3).
func (ps *pass) live(n *statev1.NodeRecord) bool {
	c, _ := ps.task(n)
	return c != condNone && c != condDead
}

// liveness and mode of a node from its task status and Cassandra's view.
func (ps *pass) livenessMode(n *statev1.NodeRecord) (cassmesosv1.Liveness, cassmesosv1.CassandraMode) {
	c, st := ps.task(n)
	v, hasView := ps.s.Views[n.GetName()]
	hasView = hasView && v.Reporters > 0 && !staleView(n, v)
	var l cassmesosv1.Liveness
	var m cassmesosv1.CassandraMode
	switch c {
	case condRunning:
		m = st.Mode
		noLabels := st.Mode == cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED && st.HostID == ""
		if m == cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED && hasView {
			// A status without the executor's labels (the master's answer to reconciliation
			// after a daemon restart): Cassandra's own view says what mode the node is in.
			m = v.Mode
		}
		if m == cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED && noLabels && recordedRunning(n) {
			// No view either: a missing label is no change, keep the recorded mode.
			m = n.GetMode()
		}
		switch {
		case hasView:
			l = v.Liveness
		case st.Healthy:
			l = cassmesosv1.Liveness_LIVENESS_UP
		case noLabels && recordedRunning(n):
			l = n.GetLiveness()
		}
	case condUnknown:
		// No status yet (a restarted daemon before its reconciliation is answered), or the
		// master's TASK_UNKNOWN (stale): keep the last known liveness and mode, or take
		// Cassandra's own view (the executors still answer while the master fails over).
		l, m = n.GetLiveness(), n.GetMode()
		if hasView {
			l, m = v.Liveness, v.Mode
		}
	case condStarting:
		if hasView {
			l = v.Liveness
		}
		m = cassmesosv1.CassandraMode_CASSANDRA_MODE_STARTING
	default:
		l = cassmesosv1.Liveness_LIVENESS_DOWN
		if hasView {
			l, m = v.Liveness, v.Mode
			if l == cassmesosv1.Liveness_LIVENESS_UP {
				// Gossip still thinks it is up, but its task is gone or unreachable: not UN.
				l = cassmesosv1.Liveness_LIVENESS_UNSPECIFIED
			}
		}
	}
	return l, m
}

// isUN reports whether the node is up and normal with a running task.
func (ps *pass) isUN(n *statev1.NodeRecord) bool {
	if n == nil {
		return false
	}
	c, _ := ps.task(n)
	if c != condRunning {
		return false
	}
	l, m := ps.livenessMode(n)
	return l == cassmesosv1.Liveness_LIVENESS_UP && m == cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL
}

// statusLetters is "UN", "DN", "UJ", ... for messages.
func (ps *pass) statusLetters(n *statev1.NodeRecord) string {
	l, m := ps.livenessMode(n)
	a := "?"
	switch l {
	case cassmesosv1.Liveness_LIVENESS_UP:
		a = "U"
	case cassmesosv1.Liveness_LIVENESS_DOWN:
		a = "D"
	}
	b := "?"
	switch m {
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL:
		b = "N"
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_JOINING:
		b = "J"
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_LEAVING:
		b = "L"
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_MOVING:
		b = "M"
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_STARTING:
		b = "S"
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_DECOMMISSIONED, cassmesosv1.CassandraMode_CASSANDRA_MODE_DRAINED, cassmesosv1.CassandraMode_CASSANDRA_MODE_DRAINING:
		b = "X"
	}
	return a + b
}

// agentGone reports whether the node's agent is known to be removed for good.
func (ps *pass) agentGone(n *statev1.NodeRecord) bool {
	id := n.GetReservation().GetAgentId()
	if id == "" {
		id = n.GetAgentId()
	}
	a, ok := ps.s.Agents[id]
	return ok && a.Gone
}

// agentUnreachable reports whether the node's agent is known to be unreachable or gone.
func (ps *pass) agentUnreachable(n *statev1.NodeRecord) bool {
	id := n.GetReservation().GetAgentId()
	if id == "" {
		id = n.GetAgentId()
	}
	a, ok := ps.s.Agents[id]
	return ok && (!a.Reachable || a.Gone)
}

// observe folds task statuses and Cassandra's view into the node records.
func (ps *pass) observe() {
	for _, name := range sortedKeys(ps.nodes) {
		ps.observeNode(name)
	}
	ps.killStrays()
	ps.reconcileStale()
}

func (ps *pass) observeNode(name string) {
	n := ps.node(name)
	c, st := ps.task(n)
	l, m := ps.livenessMode(n)
	stateName := n.GetTaskState()
	if c != condNone && c != condUnknown {
		stateName = st.State.String()
	}
	hostID := n.GetHostId()
	if c == condRunning && st.HostID != "" {
		hostID = st.HostID
	}
	if n.GetLiveness() != l || n.GetMode() != m || n.GetTaskState() != stateName || n.GetHostId() != hostID {
		w := ps.mutNode(name)
		if n.GetLiveness() != l || n.GetMode() != m || n.GetTaskState() != stateName {
			w.StateTime = timestamppb.New(ps.now) // on change only: no write per status update
		}
		w.Liveness, w.Mode, w.TaskState, w.HostId = l, m, stateName, hostID
	}
	ph := n.GetPhase()
	switch c {
	case condUnknown:
		if stale(c, st) {
			// Keep the phase, state and lost time (a stale node is not lost: no replacement grace
			// runs for it); say why its state is stale.
			msg := fmt.Sprintf("stale: the Mesos master does not know task %s (TASK_UNKNOWN since %s: its agent has not re-registered, e.g. after a master failover); last known %s; reconciling",
				st.TaskID, ps.staleSince(st).UTC().Format(time.RFC3339), cmp.Or(n.GetTaskState(), "nothing"))
			if n.GetMessage() != msg {
				ps.mutNode(name).Message = msg
			}
		}
	case condRunning:
		un := ps.isUN(n)
		switch ph {
		case cassmesosv1.NodePhase_NODE_PHASE_LAUNCHING, cassmesosv1.NodePhase_NODE_PHASE_STARTING,
			cassmesosv1.NodePhase_NODE_PHASE_RESTARTING, cassmesosv1.NodePhase_NODE_PHASE_LOST,
			cassmesosv1.NodePhase_NODE_PHASE_PENDING:
			if un {
				ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_RUNNING)
			} else {
				ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_STARTING)
			}
		}
		n = ps.node(name)
		if un && n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_RUNNING &&
			(!n.GetBootstrapped() || n.GetLostTime() != nil || n.GetMessage() != "" || (n.GetReservation() != nil && !n.GetReservation().GetConfirmed())) {
			w := ps.mutNode(name)
			w.Bootstrapped = true
			w.LostTime = nil
			w.Message = ""
			if w.Reservation != nil {
				w.Reservation.Confirmed = true
			}
		}
	case condUnreachable:
		switch ph {
		case cassmesosv1.NodePhase_NODE_PHASE_LAUNCHING, cassmesosv1.NodePhase_NODE_PHASE_STARTING,
			cassmesosv1.NodePhase_NODE_PHASE_RUNNING, cassmesosv1.NodePhase_NODE_PHASE_RESTARTING:
			ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_LOST)
		}
		if ps.node(name).GetLostTime() == nil {
			w := ps.mutNode(name)
			w.LostTime = ps.ts()
			w.Message = "task " + st.State.String() + " " + st.Reason
		}
	case condDead:
		switch ph {
		case cassmesosv1.NodePhase_NODE_PHASE_LAUNCHING, cassmesosv1.NodePhase_NODE_PHASE_STARTING,
			cassmesosv1.NodePhase_NODE_PHASE_RUNNING, cassmesosv1.NodePhase_NODE_PHASE_LOST:
			w := ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_RESTARTING)
			msg := st.State.String()
			if st.Reason != "" {
				msg += " (" + st.Reason + ")"
			}
			if st.Message != "" {
				msg += ": " + st.Message
			}
			if w.GetMessage() != msg {
				ps.mutNode(name).Message = msg
			}
		}
		if ps.agentGone(ps.node(name)) && ps.node(name).GetLostTime() == nil {
			ps.mutNode(name).LostTime = ps.ts()
		}
	}
}

// killStrays kills every live task that is not some node's current task: an old incarnation that
// came back after being given up, or a task of a deleted node.
func (ps *pass) killStrays() {
	current := make(map[string]bool, len(ps.nodes))
	for _, n := range ps.nodes {
		if n.GetTaskId() != "" {
			current[n.GetTaskId()] = true
		}
	}
	for _, id := range sortedKeys(ps.s.Tasks) {
		st := ps.s.Tasks[id]
		if current[id] {
			continue
		}
		switch ps.condOf(st) {
		case condStarting, condRunning:
			ps.act(Kill{TaskID: id, AgentID: st.AgentID, Node: nodeOfTask(id), Grace: ps.p.cfg.KillGrace})
		}
	}
}

// nodeOfTask extracts the node name from "<node>.<incarnation>.<suffix>".
func nodeOfTask(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == '.' {
			return id[:i]
		}
	}
	return id
}

// refreshRings recomputes every ring's status.
func (ps *pass) refreshRings() {
	for _, name := range sortedKeys(ps.rings) {
		r := ps.ring(name)
		nodes := ps.ringNodes(name)
		ready := int32(0)
		for _, n := range nodes {
			if ps.isUN(n) {
				ready++
			}
		}
		active := ""
		creating := false
		for _, id := range sortedKeys(ps.ops) {
			o := ps.ops[id].GetOperation()
			if o.GetRing() != name || !opActive(o) || !exclusive(o.GetKind()) || o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_PENDING {
				continue
			}
			active = id
			creating = o.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_CREATE_RING
		}
		phase := cassmesosv1.RingPhase_RING_PHASE_DEGRADED
		switch {
		case r.GetDeleting():
			phase = cassmesosv1.RingPhase_RING_PHASE_DELETING
		case creating:
			phase = cassmesosv1.RingPhase_RING_PHASE_CREATING
		case ready == int32(len(nodes)) && int32(len(nodes)) == r.GetSpec().GetNodes():
			phase = cassmesosv1.RingPhase_RING_PHASE_HEALTHY
		}
		st := r.GetStatus()
		if st.GetPhase() != phase || st.GetReadyNodes() != ready || st.GetTotalNodes() != int32(len(nodes)) || st.GetActiveOperationId() != active {
			w := ps.mutRing(name)
			if w.Status == nil {
				w.Status = &cassmesosv1.RingStatus{}
			}
			w.Status.Phase, w.Status.ReadyNodes, w.Status.TotalNodes, w.Status.ActiveOperationId = phase, ready, int32(len(nodes)), active
		}
	}
}

// Observed says where the liveness and mode the node's record shows come from. live: this daemon
// has seen, at at, its task's status from the executor (with its labels or health) or Cassandra's
// view of it. Otherwise the record's state is what an earlier leader (or this one, before a
// restart of its runtime) observed, last changed at at (zero when unknown).
func (s *State) Observed(n *statev1.NodeRecord) (live bool, at time.Time) {
	if v, ok := s.Views[n.GetName()]; ok && v.Reporters > 0 && !staleView(n, v) {
		live, at = true, v.At
	}
	if n.GetTaskId() != "" {
		if st, ok := s.Tasks[n.GetTaskId()]; ok && !st.At.IsZero() &&
			(st.Healthy || st.Mode != cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED || st.HostID != "" || st.State.Terminal()) {
			live = true
			if st.At.After(at) {
				at = st.At
			}
		}
	}
	if live {
		return true, at
	}
	if t := n.GetStateTime(); t != nil && t.IsValid() {
		return false, t.AsTime()
	}
	return false, time.Time{}
}
