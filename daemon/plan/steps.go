package plan

import (
	"strconv"
	"strings"
	"time"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// anySeedUN reports whether some seed of the ring other than except is UN (invariant 2).
func (ps *pass) anySeedUN(ring, except string) bool {
	for _, n := range ps.ringNodes(ring) {
		if n.GetSeed() && n.GetName() != except && ps.isUN(n) {
			return true
		}
	}
	return false
}

// topologyChange returns a description of a node of the ring other than except that is
// bootstrapping, joining, being replaced or leaving (invariant 1), or "".
func (ps *pass) topologyChange(ring, except string) string {
	for _, n := range ps.ringNodes(ring) {
		if n.GetName() == except {
			continue
		}
		if d := ps.changing(n); d != "" {
			return n.GetName() + " is " + d
		}
	}
	return ""
}

// changing says whether a node is in a topology change ("joining", "leaving", "being replaced").
func (ps *pass) changing(n *statev1.NodeRecord) string {
	switch n.GetPhase() {
	case cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING:
		return "leaving"
	case cassmesosv1.NodePhase_NODE_PHASE_REPLACING:
		if ps.live(n) {
			return "being replaced"
		}
	}
	if !n.GetBootstrapped() && ps.live(n) {
		return "joining"
	}
	_, m := ps.livenessMode(n)
	switch m {
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_JOINING:
		return "joining"
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_LEAVING:
		return "leaving"
	case cassmesosv1.CassandraMode_CASSANDRA_MODE_MOVING:
		return "moving"
	}
	return ""
}

// othersNotUN returns the first node of the ring other than except that is not UN, with its
// status letters, or "".
func (ps *pass) othersNotUN(ring, except string) string {
	for _, n := range ps.ringNodes(ring) {
		if n.GetName() == except || (!n.GetBootstrapped() && !ps.live(n)) {
			// Slots that never joined and have no task are not members yet.
			continue
		}
		if !ps.isUN(n) {
			return n.GetName() + " is " + ps.statusLetters(n)
		}
	}
	return ""
}

func (ps *pass) placementTimeout(ring string) time.Duration {
	d := ps.ring(ring).GetSpec().GetPlacementTimeout().AsDuration()
	if d <= 0 {
		d = DefaultPlacementTimeout
	}
	return d
}

func (ps *pass) wantLaunch(r *opRun, node string, inPlace bool) {
	ps.want[node] = &launchWant{node: node, opID: r.op().GetId(), step: r.idx, inPlace: inPlace}
}

// awaitOffer reports the wait for a launch: blocked once the placement timeout has passed since
// the wait began.
func (ps *pass) awaitOffer(r *opRun, n *statev1.NodeRecord, safe bool) result {
	t := ps.now
	if since := r.peek().GetOfferWaitSince(); since != nil {
		t = since.AsTime()
	} else {
		r.cur().OfferWaitSince = ps.ts()
	}
	why := n.GetMessage()
	if why == "" {
		why = "no offer seen yet"
	}
	where := ""
	if n.GetReservation().GetAgentId() != "" {
		where = " on agent " + n.GetReservation().GetAgentId()
	}
	to := ps.placementTimeout(n.GetRing())
	if ps.now.Sub(t) >= to {
		return blocked(safe, "no suitable offer for %s%s for %s: %s", n.GetName(), where, to, why)
	}
	ps.wakeAt(t.Add(to))
	return wait(safe, "waiting for an offer for %s%s", n.GetName(), where)
}

// stepBootstrap starts a node that has not bootstrapped (create, scale up) or a replacement
// ("replace" steps) and waits for it to be UN. Seeds first; one joining node at a time.
func (ps *pass) stepBootstrap(r *opRun) result {
	name := r.step.GetNode()
	n := ps.node(name)
	if n == nil {
		return failed("node %s no longer exists", name)
	}
	if ps.isUN(n) {
		if n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REPLACING || n.GetReplacesAddress() != "" {
			ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_RUNNING)
			w := ps.mutNode(name)
			w.ReplacesAddress, w.ReplacesHostId, w.Bootstrapped, w.LostTime, w.Message = "", "", true, nil, ""
		}
		r.clearOfferWait()
		return done("UN")
	}
	c, _ := ps.task(n)
	switch c {
	case condStarting, condRunning:
		if !n.GetBootstrapped() || n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REPLACING {
			ps.hold(r)
		}
		r.clearOfferWait()
		return wait(false, "%s is %s", name, ps.statusLetters(n))
	case condUnknown:
		return wait(false, "waiting for the status of task %s", n.GetTaskId())
	case condUnreachable:
		return blocked(false, "%s's agent %s is unreachable", name, n.GetAgentId())
	}
	if n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REPLACING {
		ps.hold(r)
	}
	// No live task: guards, then ask for a launch.
	ring := n.GetRing()
	if !n.GetSeed() && !ps.anySeedUN(ring, name) {
		return blocked(r.step.GetAttempts() == 0, "waiting for a seed of %s to be UN before starting %s", ring, name)
	}
	if n.GetSeed() && n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REPLACING && !ps.anySeedUN(ring, name) && !ps.anyOtherUN(ring, name) {
		return blocked(false, "waiting for a live node of %s to stream from", ring)
	}
	if d := ps.topologyChange(ring, name); d != "" {
		return blocked(r.step.GetAttempts() == 0, "waiting: %s (one topology change at a time)", d)
	}
	attempts := r.step.GetAttempts()
	if attempts >= int32(ps.p.cfg.MaxStartAttempts) {
		return failed("%s did not become UN after %d attempts: %s", name, attempts, n.GetMessage())
	}
	if attempts > 0 {
		next := tsOr(n.GetPhaseTime(), nil).AsTime().Add(ps.p.cfg.backoff(attempts))
		if ps.now.Before(next) {
			ps.wakeAt(next)
			return wait(false, "%s failed (%s); attempt %d at %s", name, n.GetMessage(), attempts+1, next.UTC().Format(time.RFC3339))
		}
	}
	if n.GetReservation() != nil && ps.agentGone(n) {
		// Never bootstrapped: its data is worth nothing; place it anew.
		w := ps.mutNode(name)
		w.Reservation = nil
		w.Message = "agent " + n.GetAgentId() + " is gone; placing " + name + " elsewhere"
		n = w
	}
	inPlace := n.GetReservation().GetPersistenceId() != "" && n.GetReservation().GetAgentId() != ""
	ps.hold(r)
	ps.wantLaunch(r, name, inPlace)
	return ps.awaitOffer(r, n, attempts == 0)
}

func (ps *pass) anyOtherUN(ring, except string) bool {
	for _, n := range ps.ringNodes(ring) {
		if n.GetName() != except && ps.isUN(n) {
			return true
		}
	}
	return false
}

// stepRecover restarts a crashed, bootstrapped node in place (same agent, same volume), with
// backoff between attempts.
func (ps *pass) stepRecover(r *opRun) result {
	name := r.step.GetNode()
	ps.hold(r)
	n := ps.node(name)
	if n == nil {
		return failed("node %s no longer exists", name)
	}
	if ps.isUN(n) {
		r.clearOfferWait()
		return done("UN")
	}
	switch n.GetPhase() {
	case cassmesosv1.NodePhase_NODE_PHASE_REPLACING, cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING,
		cassmesosv1.NodePhase_NODE_PHASE_REMOVED, cassmesosv1.NodePhase_NODE_PHASE_STOPPED:
		return failed("%s is %s: superseded", name, phaseName(n.GetPhase()))
	}
	c, _ := ps.task(n)
	switch c {
	case condStarting, condRunning:
		r.clearOfferWait()
		return wait(false, "%s is %s", name, ps.statusLetters(n))
	case condUnknown:
		return wait(false, "waiting for the status of task %s", n.GetTaskId())
	case condUnreachable:
		return blocked(true, "%s's agent %s is unreachable; %s", name, n.GetAgentId(), ps.replaceNote(n))
	}
	if ps.agentGone(n) {
		return blocked(true, "agent %s is gone with %s's data; %s", n.GetReservation().GetAgentId(), name, ps.replaceNote(n))
	}
	if !n.GetSeed() && !ps.anySeedUN(n.GetRing(), name) {
		return blocked(true, "waiting for a seed of %s to be UN before restarting %s", n.GetRing(), name)
	}
	attempts := r.step.GetAttempts()
	if attempts > 0 {
		next := tsOr(n.GetPhaseTime(), nil).AsTime().Add(ps.p.cfg.backoff(attempts))
		if ps.now.Before(next) {
			ps.wakeAt(next)
			return wait(true, "%s failed (%s); restart %d at %s", name, n.GetMessage(), attempts+1, next.UTC().Format(time.RFC3339))
		}
	}
	ps.wantLaunch(r, name, true)
	return ps.awaitOffer(r, n, true)
}

func (ps *pass) replaceNote(n *statev1.NodeRecord) string {
	d := ps.ring(n.GetRing()).GetSpec().GetReplaceAfter()
	if d != nil && d.AsDuration() <= 0 {
		return "automatic replacement is off (cassmesos node replace " + n.GetName() + ")"
	}
	grace := DefaultReplaceAfter
	if d != nil {
		grace = d.AsDuration()
	}
	return "replaced automatically after " + grace.String() + " lost"
}

func phaseName(p cassmesosv1.NodePhase) string {
	return strings.ToLower(strings.TrimPrefix(p.String(), "NODE_PHASE_"))
}

// stepPrepareReplace records the replacement intent: the dead node's address and host ID, the
// old task given up (killed if it still runs), the old reservation dropped. The slot then
// bootstraps anew with replace_address_first_boot (the "replace" step).
func (ps *pass) stepPrepareReplace(r *opRun) result {
	name := r.step.GetNode()
	n := ps.node(name)
	if n == nil {
		return failed("node %s no longer exists", name)
	}
	if n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REPLACING {
		return done("replacing " + n.GetReplacesAddress())
	}
	if ps.isUN(n) {
		return failed("%s is UN again; nothing to replace", name)
	}
	if n.GetHostId() == "" || n.GetAddress() == "" {
		return failed("%s has no recorded host ID and address (it never joined); remove it instead", name)
	}
	if d := ps.topologyChange(n.GetRing(), name); d != "" {
		return blocked(true, "waiting: %s (one topology change at a time)", d)
	}
	if !ps.anyOtherUN(n.GetRing(), name) {
		return blocked(true, "no other node of %s is UN to stream from", n.GetRing())
	}
	ps.hold(r)
	c, st := ps.task(n)
	switch c {
	case condStarting, condRunning, condUnknown:
		ps.act(Kill{TaskID: n.GetTaskId(), AgentID: n.GetAgentId(), Node: name, Grace: ps.p.cfg.KillGrace})
		ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_STOPPING)
		return wait(false, "stopping %s's task %s before replacing it", name, n.GetTaskId())
	}
	// Supersede a recovery in progress.
	if id := ps.activeOpFor(cassmesosv1.OperationKind_OPERATION_KIND_RECOVER_NODE, name); id != "" {
		rec := ps.mutOp(id)
		ps.unwant(id)
		ps.finishOp(rec, cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED, "superseded by "+r.op().GetId())
	}
	ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_REPLACING)
	w := ps.mutNode(name)
	w.ReplacesAddress = n.GetAddress()
	w.ReplacesHostId = n.GetHostId()
	if c == condUnreachable {
		r.cur().AbandonedTask = n.GetTaskId()
		w.Message = "task " + n.GetTaskId() + " given up (" + st.State.String() + ")"
	}
	w.TaskId = ""
	// The old reservation and volume are released when their agent offers them, because this
	// record names them (release list), written before the replacement launches.
	ps.giveUpReservation(w)
	w.Reservation = nil
	w.AgentId = ""
	w.Bootstrapped = false
	r.step.Attempts = 0
	return done("replacing " + w.ReplacesAddress + " (host ID " + w.ReplacesHostId + ")")
}

// killNode asks for the node's task to be killed (drain first) and reports whether it is still
// alive. Unreachable tasks count as stopped (they cannot be reached; if they return they are
// strays and killed then).
func (ps *pass) killNode(n *statev1.NodeRecord) bool {
	c, _ := ps.task(n)
	switch c {
	case condStarting, condRunning, condUnknown:
		ps.act(Kill{TaskID: n.GetTaskId(), AgentID: n.GetAgentId(), Node: n.GetName(), Grace: ps.p.cfg.KillGrace})
		return true
	}
	return false
}

// stepStopAll (DELETE_RING) drains and kills every task of the ring, all at once.
func (ps *pass) stepStopAll(r *opRun) result {
	var alive []string
	for _, n := range ps.ringNodes(r.op().GetRing()) {
		if n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			ps.setPhase(n.GetName(), cassmesosv1.NodePhase_NODE_PHASE_STOPPING)
		}
		if ps.killNode(n) {
			alive = append(alive, n.GetName())
		}
	}
	if len(alive) > 0 {
		return wait(false, "stopping %d nodes (%s)", len(alive), strings.Join(first(alive, 5), ", "))
	}
	return done("all tasks stopped")
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(append([]string(nil), s[:n]...), "…")
	}
	return s
}

// release marks a node REMOVED and, when it holds a reservation on an agent that may still offer
// it, leaves it for MatchOffers to destroy the volume and unreserve; otherwise the record is
// deleted now. It reports whether the record still exists.
func (ps *pass) release(r *opRun, name string) bool {
	n := ps.node(name)
	if n == nil {
		return false
	}
	ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_REMOVED)
	n = ps.node(name)
	res := n.GetReservation()
	if (res.GetAgentId() == "" || ps.agentGone(n)) && !ps.releaseEntriesLeft(n) {
		ps.deleteNode(name)
		return false
	}
	t := ps.now
	if since := r.peek().GetReleaseWaitSince(); since != nil {
		t = since.AsTime()
	} else {
		r.cur().ReleaseWaitSince = ps.ts()
	}
	if ps.now.Sub(t) >= ps.placementTimeout(n.GetRing()) {
		// Give up waiting. With the record gone nothing names the reservation any more: it is
		// left alone and reported as unclaimed when offered (docs/operations.md).
		ps.deleteNode(name)
		return false
	}
	ps.wakeAt(t.Add(ps.placementTimeout(n.GetRing())))
	ps.releases[name] = true
	return true
}

// stepReleaseAll (DELETE_RING) releases every node's volume and reservation.
func (ps *pass) stepReleaseAll(r *opRun) result {
	var agents []string
	for _, n := range ps.ringNodes(r.op().GetRing()) {
		if ps.release(r, n.GetName()) {
			agents = append(agents, n.GetReservation().GetAgentId())
		}
	}
	if len(agents) > 0 {
		return wait(false, "waiting for offers from agents %s to destroy volumes", strings.Join(first(agents, 5), ", "))
	}
	return done("volumes released")
}

// stepDeleteRing (DELETE_RING) deletes the ring record once no node record is left. The step
// (and so the operation) ends only in a later pass, once the deletion is stored: a plan writes
// its puts before its deletes, so ending it in the same pass could store SUCCEEDED and then crash
// before the ring record is gone.
func (ps *pass) stepDeleteRing(r *opRun) result {
	ring := r.op().GetRing()
	if left := ps.ringNodes(ring); len(left) > 0 {
		return wait(false, "%d node records left", len(left))
	}
	if ps.s.Rings[ring] != nil {
		ps.deleteRing(ring)
		ps.wakeAt(ps.now)
		return wait(false, "deleting the ring record")
	}
	return done("ring deleted")
}

// relay emits a relayed call with a stable ID for this step attempt and returns its result, if any.
func (ps *pass) relay(r *opRun, rl Relay) (RelayResult, bool) {
	attempt := r.step.GetAttempts()
	return ps.relayAs(r, rl, r.op().GetId()+"/"+strconv.Itoa(r.idx)+"/"+strconv.Itoa(int(attempt)))
}

// relayAs is relay with the given ID, which must start with the operation's ID and be unique per
// attempt.
func (ps *pass) relayAs(r *opRun, rl Relay, id string) (RelayResult, bool) {
	rl.ID = id
	if res, ok := ps.s.Relays[rl.ID]; ok && res.Done {
		return res, true
	}
	t := ps.now
	if c := r.peek(); c.GetRelayTime() != nil && c.GetRelayId() == rl.ID {
		t = c.GetRelayTime().AsTime()
	} else {
		c := r.cur()
		c.RelayId, c.RelayTime = rl.ID, ps.ts()
	}
	if ps.now.Sub(t) > ps.p.cfg.RelayTimeout {
		// No answer in time: next attempt under a new ID.
		r.step.Attempts++
		r.cur().RelayTime = nil
		return RelayResult{Done: true, Err: "no result within " + ps.p.cfg.RelayTimeout.String()}, true
	}
	ps.wakeAt(t.Add(ps.p.cfg.RelayTimeout))
	ps.act(rl)
	return RelayResult{}, false
}

func (ps *pass) relayTo(n *statev1.NodeRecord, kind RelayKind) Relay {
	return Relay{Kind: kind, Ring: n.GetRing(), Node: n.GetName(), Address: n.GetAddress(), AgentPort: n.GetAgentPort(), Secret: ps.p.cfg.TaskSecret(ps.ring(n.GetRing()), n)}
}

const maxRelayAttempts = 3

// stepDecommission: nodetool decommission on the node (intent persisted first as phase
// DECOMMISSIONING), then drain+kill, then release its volume and delete the record.
func (ps *pass) stepDecommission(r *opRun) result {
	name := r.step.GetNode()
	n := ps.node(name)
	if n == nil {
		return done("removed")
	}
	switch n.GetPhase() {
	case cassmesosv1.NodePhase_NODE_PHASE_REMOVED, cassmesosv1.NodePhase_NODE_PHASE_STOPPING, cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING:
		ps.hold(r)
	}
	switch n.GetPhase() {
	case cassmesosv1.NodePhase_NODE_PHASE_REMOVED:
		if ps.release(r, name) {
			return wait(false, "waiting for an offer from agent %s to destroy %s's volume", n.GetReservation().GetAgentId(), name)
		}
		return done("decommissioned and released")
	case cassmesosv1.NodePhase_NODE_PHASE_STOPPING:
		if ps.killNode(n) {
			return wait(false, "stopping %s after decommission", name)
		}
		ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_REMOVED)
		return ps.stepDecommission(r)
	case cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING:
		_, st := ps.task(n)
		if st.Mode == cassmesosv1.CassandraMode_CASSANDRA_MODE_DECOMMISSIONED {
			ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_STOPPING)
			return ps.stepDecommission(r)
		}
		switch c, _ := ps.task(n); c {
		case condDead, condNone:
			// Died mid-way: Cassandra aborts an unfinished leave on restart. Let recovery restart
			// it in place, then decommission again under a new relay attempt.
			ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_RESTARTING)
			r.step.Attempts++
			ps.unhold(r)
			return blocked(true, "%s's task died while decommissioning (%s); restarting it before trying again", name, n.GetTaskState())
		case condRunning:
		default:
			return blocked(false, "%s's task is %s while decommissioning", name, n.GetTaskState())
		}
		res, ok := ps.relay(r, ps.relayTo(n, RelayDecommission))
		if !ok {
			return wait(false, "decommissioning %s (%s)", name, ps.statusLetters(n))
		}
		if res.Err == "" {
			ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_STOPPING)
			return ps.stepDecommission(r)
		}
		if r.peek().GetRelayTime() != nil {
			r.step.Attempts++
		}
		r.step.LastError = res.Err
		if r.step.GetAttempts() >= maxRelayAttempts {
			ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_RUNNING)
			return failed("decommission of %s failed %d times: %s", name, r.step.GetAttempts(), res.Err)
		}
		return wait(false, "decommission of %s failed (%s); retrying", name, res.Err)
	}
	if !ps.isUN(n) {
		return blocked(true, "%s is %s; decommission needs it UN (remove a dead node instead)", name, ps.statusLetters(n))
	}
	if d := ps.othersNotUN(n.GetRing(), name); d != "" {
		return blocked(true, "waiting: %s; decommission needs every other node UN", d)
	}
	if d := ps.topologyChange(n.GetRing(), name); d != "" {
		return blocked(true, "waiting: %s (one topology change at a time)", d)
	}
	ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING)
	ps.hold(r)
	// The relay is emitted on the next pass, after DECOMMISSIONING is persisted (invariant 7):
	// actions of this plan run after its writes anyway, so emitting now is equally safe.
	if _, ok := ps.relay(r, ps.relayTo(ps.node(name), RelayDecommission)); !ok {
		return wait(false, "decommissioning %s", name)
	}
	return wait(false, "decommissioning %s", name)
}

// stepRemove: nodetool removenode <host ID> through a live node, for a dead node; then its
// volume is released and its record deleted.
func (ps *pass) stepRemove(r *opRun) result {
	name := r.step.GetNode()
	n := ps.node(name)
	if n == nil {
		return done("removed")
	}
	switch n.GetPhase() {
	case cassmesosv1.NodePhase_NODE_PHASE_REMOVED, cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING:
		ps.hold(r)
	}
	if n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
		ps.killNode(n)
		if ps.release(r, name) {
			return wait(false, "waiting for an offer from agent %s to destroy %s's volume", n.GetReservation().GetAgentId(), name)
		}
		return done("removed and released")
	}
	if n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING {
		if ps.isUN(n) {
			return failed("%s is UN; remove is for dead nodes (decommission a live one)", name)
		}
		if n.GetHostId() == "" {
			// Never joined: nothing to remove from Cassandra.
			ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_REMOVED)
			return ps.stepRemove(r)
		}
		if d := ps.topologyChange(n.GetRing(), name); d != "" {
			return blocked(true, "waiting: %s (one topology change at a time)", d)
		}
		if ps.coordinator(n.GetRing(), name) == nil {
			return blocked(true, "no UN node in %s to run removenode through", n.GetRing())
		}
		ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING)
		ps.hold(r)
		ps.killNode(n)
	}
	co := ps.coordinator(n.GetRing(), name)
	if co == nil {
		return blocked(false, "no UN node in %s to run removenode through", n.GetRing())
	}
	rl := ps.relayTo(co, RelayRemovePeer)
	rl.HostID = n.GetHostId()
	res, ok := ps.relay(r, rl)
	if !ok {
		return wait(false, "removenode %s (host ID %s) through %s", name, n.GetHostId(), co.GetName())
	}
	if res.Err == "" {
		ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_REMOVED)
		return ps.stepRemove(r)
	}
	if r.peek().GetRelayTime() != nil {
		r.step.Attempts++
	}
	r.step.LastError = res.Err
	if r.step.GetAttempts() >= maxRelayAttempts {
		ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_LOST)
		return failed("removenode of %s failed %d times: %s", name, r.step.GetAttempts(), res.Err)
	}
	return wait(false, "removenode of %s failed (%s); retrying", name, res.Err)
}

func (ps *pass) coordinator(ring, except string) *statev1.NodeRecord {
	for _, n := range ps.ringNodes(ring) {
		if n.GetName() != except && ps.isUN(n) {
			return n
		}
	}
	return nil
}

// stepRestart (RESTART_NODE, RESTART_RING, UPDATE_RING): with every other node UN, drain and
// stop the node, start it in place (same agent, same volume) with the ring's current spec, wait
// for UN. "update" steps skip nodes already at the ring's generation.
func (ps *pass) stepRestart(r *opRun) result {
	name := r.step.GetNode()
	n := ps.node(name)
	if n == nil {
		return done("node gone")
	}
	stage := r.peek().GetStage()
	if stage != statev1.RestartStage_RESTART_STAGE_UNSPECIFIED {
		ps.hold(r)
	}
	switch stage {
	case statev1.RestartStage_RESTART_STAGE_UNSPECIFIED:
		if stepKind(r.step) == stepUpdate && ps.isUN(n) && n.GetGeneration() >= ps.ring(n.GetRing()).GetGeneration() {
			return done("already at generation " + strconv.FormatInt(n.GetGeneration(), 10))
		}
		if d := ps.othersNotUN(n.GetRing(), name); d != "" {
			return blocked(true, "waiting: %s; a restart needs every other node UN", d)
		}
		if d := ps.topologyChange(n.GetRing(), name); d != "" {
			return blocked(true, "waiting: %s (one topology change at a time)", d)
		}
		if !n.GetBootstrapped() {
			return failed("%s has never been UN; nothing to restart", name)
		}
		c := r.cur()
		c.Stage, c.StoppedTask = statev1.RestartStage_RESTART_STAGE_STOPPING, n.GetTaskId()
		ps.hold(r)
		ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_STOPPING)
		fallthrough
	case statev1.RestartStage_RESTART_STAGE_STOPPING:
		c, _ := ps.task(n)
		if c == condUnreachable {
			return blocked(false, "%s's agent is unreachable", name)
		}
		if ps.killNode(n) {
			return wait(false, "draining and stopping %s", name)
		}
		r.cur().Stage = statev1.RestartStage_RESTART_STAGE_STARTING
		ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_RESTARTING)
		r.step.Attempts = 0
		fallthrough
	default:
		n = ps.node(name)
		if ps.isUN(n) && n.GetTaskId() != r.peek().GetStoppedTask() {
			return done("UN")
		}
		if n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REPLACING {
			return blocked(true, "%s is being replaced", name)
		}
		c, _ := ps.task(n)
		switch c {
		case condStarting, condRunning:
			return wait(false, "%s is %s", name, ps.statusLetters(n))
		case condUnknown:
			return wait(false, "waiting for the status of task %s", n.GetTaskId())
		case condUnreachable:
			return blocked(false, "%s's agent is unreachable", name)
		}
		attempts := r.step.GetAttempts()
		if attempts >= int32(ps.p.cfg.MaxStartAttempts) {
			return failed("%s did not become UN after %d restarts: %s", name, attempts, n.GetMessage())
		}
		if attempts > 0 {
			next := tsOr(n.GetPhaseTime(), nil).AsTime().Add(ps.p.cfg.backoff(attempts))
			if ps.now.Before(next) {
				ps.wakeAt(next)
				return wait(false, "%s failed (%s); attempt %d at %s", name, n.GetMessage(), attempts+1, next.UTC().Format(time.RFC3339))
			}
		}
		if ps.agentGone(n) {
			return blocked(true, "agent %s of %s is gone; %s", n.GetReservation().GetAgentId(), name, ps.replaceNote(n))
		}
		ps.wantLaunch(r, name, n.GetReservation().GetPersistenceId() != "")
		return ps.awaitOffer(r, n, false)
	}
}
