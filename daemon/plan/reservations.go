package plan

import (
	"math"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/placement"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Ownership of reserved resources. A reserved resource is this framework's only when its
// reservation carries our Mesos framework ID (placement.LabelFrameworkID equal to
// State.FrameworkID); the framework name and the role never suffice, as a second framework may
// use the same ones (a second install, or a daemon pointed at another ZooKeeper chroot). A
// reservation made before the ID labels existed is ours only when one of our node records names
// it (its agent, and its volume's persistence ID for a disk).
//
// Even then a reservation is destroyed and unreserved only under a persisted intent that names
// it: the reservation of a REMOVED node record, or an entry of a node record's release list (the
// old reservation of a node that moved elsewhere, written before the new launch). A reservation
// of ours that nothing names is left alone and reported (Plan.Unclaimed).

// claimKind is what the planner makes of one offered reserved resource.
type claimKind int

const (
	// claimNone: not ours, or not ours to judge: left alone and not given to placement.
	claimNone claimKind = iota
	// claimKeep: held by a node's current reservation; given to placement (restart in place).
	claimKeep
	// claimRelease: named by a persisted intent; destroyed (a volume) and unreserved.
	claimRelease
	// claimUnclaimed: carries our framework ID but no record names it; left alone, reported.
	claimUnclaimed
)

// claim is the verdict on one offered reserved resource.
type claim struct {
	kind claimKind
	// node is the node record that names the resource (claimKeep, claimRelease), or the node
	// its labels name (claimUnclaimed).
	node string
	// entry is the index of the node's release entry that names the resource, or -1 for the
	// node's own reservation (a REMOVED node's).
	entry int
}

// claim decides whose an offered reserved resource is and what becomes of it.
func (ps *pass) claim(agentID string, r Resource) claim {
	rv := r.Reservation
	if rv == nil || rv.Role != ps.p.cfg.Role {
		return claim{}
	}
	lb := rv.Labels
	ours := ps.s.FrameworkID
	fid := lb[placement.LabelFrameworkID]
	switch {
	case fid != "" && ours != "" && fid != ours:
		return claim{kind: claimNone} // another framework's
	case fid == "" && lb[placement.LabelFramework] != ps.p.cfg.FrameworkName:
		return claim{kind: claimNone} // made before the ID labels, by a framework of another name
	}
	// Until our framework ID is known nothing is released: a labelled reservation could be
	// anybody's.
	canRelease := ours != ""
	name := lb[placement.LabelNode]
	n := ps.node(name)
	if n != nil && !ps.sameRing(n, lb[placement.LabelRingUID]) {
		n = nil // an earlier ring of the same name
	}
	if n != nil {
		if holds(n.GetReservation(), agentID, r) {
			if canRelease && n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REMOVED && !ps.live(n) {
				return claim{kind: claimRelease, node: name, entry: -1}
			}
			return claim{kind: claimKeep, node: name}
		}
		for i, e := range n.GetRelease() {
			if holds(e, agentID, r) {
				if canRelease {
					return claim{kind: claimRelease, node: name, entry: i}
				}
				return claim{}
			}
		}
	}
	if fid == "" || !canRelease {
		return claim{} // a reservation without our ID that no record names is not known to be ours
	}
	return claim{kind: claimUnclaimed, node: name}
}

// sameRing reports whether a reservation labelled with ring UID uid can belong to node n: the
// label is absent (made before ring UIDs), or equals the UID of n's ring.
func (ps *pass) sameRing(n *statev1.NodeRecord, uid string) bool {
	have := ps.ring(n.GetRing()).GetUid()
	return uid == "" || have == "" || have == uid
}

// holds reports whether the recorded reservation res names the offered resource r on agentID:
// same agent, and for a volume the same persistence ID. Cpus and mem are told apart by their
// persistence ID label; those made before it existed go by agent alone.
func holds(res *statev1.Reservation, agentID string, r Resource) bool {
	if res.GetAgentId() == "" || res.GetAgentId() != agentID {
		return false
	}
	if r.Volume != nil {
		return res.GetPersistenceId() != "" && r.Volume.PersistenceID == res.GetPersistenceId()
	}
	if pid := r.Reservation.Labels[placement.LabelPersistenceID]; pid != "" {
		return pid == res.GetPersistenceId()
	}
	return true
}

// noteReleased deducts a released resource from the recorded reservation that named it (a
// REMOVED node's own, or a release entry), so the intent is dropped only once its whole
// reservation is gone. The executor's share (cpus and mem) is offered only after the executor
// exits, which is often after the task's share and the volume were released: dropping the intent
// then would leave that share reserved for good.
func (ps *pass) noteReleased(r Resource, c claim) {
	m := ps.mutNode(c.node)
	res := m.GetReservation()
	if c.entry >= 0 {
		res = m.Release[c.entry]
	}
	left := res.GetResources()
	if left == nil {
		return
	}
	switch r.Name {
	case placement.CPUs:
		left.Cpus = max(0, left.Cpus-r.Scalar)
		if left.Cpus < 1e-6 {
			left.Cpus = 0
		}
	case placement.Mem:
		left.MemMb = max(0, left.MemMb-int64(math.Round(r.Scalar)))
	case placement.Disk:
		left.DiskMb = max(0, left.DiskMb-int64(math.Round(r.Scalar)))
	}
}

// releasedAll reports whether nothing of a recorded reservation is left to release, once this
// pass released (part of) it: a reservation without amounts (written by an older version) goes
// at its first release.
func releasedAll(res *statev1.Reservation) bool {
	left := res.GetResources()
	return left == nil || left.GetCpus() == 0 && left.GetMemMb() == 0 && left.GetDiskMb() == 0
}

// settleReleases drops the intents that are fulfilled: a release entry, or a REMOVED node's own
// reservation (and then its record), once all of it was sent for release (its amounts are zero)
// and a later offer from its agent holds none of it. Never in the pass that sends the DESTROY and
// UNRESERVE: if that ACCEPT is lost (a daemon killed after persisting, a call that failed), the
// intent is still stored, the next offer still holds the resources, and they are released again
// rather than left unclaimed. released holds, per node, the entries this pass released from (-1
// for the node's own reservation), i.e. found in this pass' offers; offered, the agents that
// offered in this pass.
func (ps *pass) settleReleases(released map[string]map[int]bool, offered map[string]bool) {
	fulfilled := func(name string, i int, e *statev1.Reservation) bool {
		return !released[name][i] && offered[e.GetAgentId()] && releasedAll(e)
	}
	for _, name := range sortedKeys(ps.nodes) {
		n := ps.node(name)
		if n == nil {
			continue
		}
		if len(n.GetRelease()) > 0 {
			var kept []*statev1.Reservation
			for i, e := range n.GetRelease() {
				if fulfilled(name, i, e) {
					continue
				}
				kept = append(kept, e)
			}
			if len(kept) != len(n.GetRelease()) {
				ps.mutNode(name).Release = kept
				n = ps.node(name)
			}
		}
		if n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_REMOVED || len(n.GetRelease()) > 0 {
			continue
		}
		own := n.GetReservation()
		if own.GetAgentId() == "" || ps.agentIDGone(own.GetAgentId()) || fulfilled(name, -1, own) {
			ps.deleteNode(name)
			delete(ps.releases, name)
		}
	}
}

// markPendingReleases keeps the planner wanting offers while a persisted intent names a
// reservation an agent may still offer: every REMOVED node that still holds (part of) a
// reservation on an agent not gone, whether or not an operation still waits for it, and every
// release entry on an agent known to be reachable (an unreachable agent's first offer after it
// returns is awaited anyway, see awaitingAgent; one not known yet becomes known by its offers or
// its tasks' statuses). Release entries on agents that are gone are dropped: their reservations
// went with the agent.
func (ps *pass) markPendingReleases() {
	for _, name := range sortedKeys(ps.nodes) {
		n := ps.nodes[name]
		if n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REMOVED && n.GetReservation().GetAgentId() != "" && !ps.agentGone(n) {
			ps.releases[name] = true
		}
		if len(n.GetRelease()) == 0 {
			continue
		}
		var kept []*statev1.Reservation
		for _, e := range n.GetRelease() {
			if ps.agentIDGone(e.GetAgentId()) {
				continue
			}
			kept = append(kept, e)
			if e.GetAgentId() == "" {
				continue // names nothing an agent could offer
			}
			if a, ok := ps.s.Agents[e.GetAgentId()]; ok && a.Reachable {
				ps.releases[name] = true
			}
		}
		if len(kept) != len(n.GetRelease()) {
			ps.mutNode(name).Release = kept
		}
	}
}

// releaseEntriesLeft reports whether a release entry of the node is on an agent not gone.
func (ps *pass) releaseEntriesLeft(n *statev1.NodeRecord) bool {
	for _, e := range n.GetRelease() {
		if e.GetAgentId() != "" && !ps.agentIDGone(e.GetAgentId()) {
			return true
		}
	}
	return false
}

// agentIDGone reports whether the agent is known to be removed for good.
func (ps *pass) agentIDGone(id string) bool {
	a, ok := ps.s.Agents[id]
	return ok && a.Gone
}

// giveUpReservation records the node's current reservation as one to release (its release
// list), before the node moves elsewhere. Nothing is recorded for an agent that is gone (its
// reservations went with it) or twice for the same reservation.
func (ps *pass) giveUpReservation(m *statev1.NodeRecord) {
	res := m.GetReservation()
	if res.GetAgentId() == "" || ps.agentIDGone(res.GetAgentId()) {
		return
	}
	for _, e := range m.GetRelease() {
		if e.GetAgentId() == res.GetAgentId() && e.GetPersistenceId() == res.GetPersistenceId() {
			return
		}
	}
	m.Release = append(m.Release, proto.Clone(res).(*statev1.Reservation))
}

// noteUnclaimed reports a reservation of ours that no record names (once per agent and
// persistence ID, or agent and node without a volume, per pass).
func (ps *pass) noteUnclaimed(agentID string, r Resource, c claim) {
	lb := r.Reservation.Labels
	u := UnclaimedReservation{AgentID: agentID, PersistenceID: lb[placement.LabelPersistenceID],
		Ring: lb[placement.LabelRing], RingUID: lb[placement.LabelRingUID], Node: c.node}
	if r.Volume != nil {
		u.PersistenceID = r.Volume.PersistenceID
	}
	key := strings.Join([]string{u.AgentID, u.PersistenceID, u.RingUID, u.Node}, "\x00")
	if u.PersistenceID != "" {
		key = u.AgentID + "\x00" + u.PersistenceID
	}
	if ps.unclaimedSeen == nil {
		ps.unclaimedSeen = map[string]bool{}
	}
	if ps.unclaimedSeen[key] {
		return
	}
	ps.unclaimedSeen[key] = true
	ps.unclaimed = append(ps.unclaimed, u)
}

// mintRingUIDs gives every ring stored without a UID (by a version before ring UIDs) one, so
// its nodes' new reservations carry it.
func (ps *pass) mintRingUIDs() {
	for _, name := range sortedKeys(ps.rings) {
		if ps.rings[name].GetUid() == "" {
			ps.mutRing(name).Uid = newRingUID(ps.p.ids)
		}
	}
}

// newRingUID mints a ring UID.
func newRingUID(ids IDSource) string { return strings.ToLower(ids.NewID()) }

// reservationLabels are the labels of a node's reservation (see placement.Label*); those
// without a value are left out.
func (ps *pass) reservationLabels(n *statev1.NodeRecord, persistenceID string) map[string]string {
	lb := map[string]string{
		placement.LabelFramework:     ps.p.cfg.FrameworkName,
		placement.LabelFrameworkID:   ps.s.FrameworkID,
		placement.LabelRing:          n.GetRing(),
		placement.LabelRingUID:       ps.ring(n.GetRing()).GetUid(),
		placement.LabelNode:          n.GetName(),
		placement.LabelPersistenceID: persistenceID,
	}
	for k, v := range lb {
		if v == "" {
			delete(lb, k)
		}
	}
	return lb
}
