package plan

import (
	"time"

	"github.com/cassmesos/cassmesos/daemon/placement"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// awaitingAgent reports whether an agent that was unreachable came back (Agent.Returned) less than
// agentReturnWindow ago. Offers are wanted then, so that the agent's first offer reaches
// MatchOffers: a node replaced while it was away left its old reservation and volume there, and
// only an offer lets the planner destroy and unreserve them. An unreachable agent alone wants
// nothing: the framework stays suppressed (as it would after a restart, which forgets which agents
// were unreachable) until work needs offers or the agent returns.
func (ps *pass) awaitingAgent() bool {
	waiting := false
	for _, a := range ps.s.Agents {
		if a.Returned.IsZero() || !a.Reachable || a.Gone {
			continue
		}
		if end := a.Returned.Add(agentReturnWindow); ps.now.Before(end) {
			ps.wakeAt(end)
			waiting = true
		}
	}
	return waiting
}

// agentReturnWindow is how long offers are wanted after an agent returns.
const agentReturnWindow = 30 * time.Second

// noteUnreserved records each agent's unreserved cpus and mem in the offers of this pass.
func (ps *pass) noteUnreserved(offers []Offer) {
	ps.unreserved = make(map[string][2]float64, len(offers))
	for _, o := range offers {
		k := agentRoleKey(o.AgentID, o.Role)
		u := ps.unreserved[k]
		for _, r := range o.Resources {
			if r.Reservation != nil || r.Volume != nil {
				continue
			}
			switch r.Name {
			case placement.CPUs:
				u[0] += r.Scalar
			case placement.Mem:
				u[1] += r.Scalar
			}
		}
		ps.unreserved[k] = u
	}
}

// resizeInPlace lets a node whose ring's cpus or mem grew (ring update) restart in place: the
// placement request asks only for what the node holds reserved, when the agent's offers have
// the difference unreserved (resizeOps then reserves it in the same ACCEPT). When they do not,
// the request stays as it is and placement explains ("reserved cpus 1.1 < 2.1").
func (ps *pass) resizeInPlace(req *placement.Request, n *statev1.NodeRecord) {
	have := n.GetReservation().GetResources()
	if req.PersistenceID == "" || have == nil {
		return
	}
	growC := req.CPUs - have.GetCpus()
	growM := req.MemMB - float64(have.GetMemMb())
	if growC <= resizeEpsilon && growM <= resizeEpsilon {
		return
	}
	u := ps.unreserved[agentRoleKey(req.Agent, req.Role)]
	if u[0]+resizeEpsilon < max(growC, 0) || u[1]+resizeEpsilon < max(growM, 0) {
		return
	}
	req.CPUs = min(req.CPUs, have.GetCpus())
	req.MemMB = min(req.MemMB, float64(have.GetMemMb()))
}

const resizeEpsilon = 1e-6

// resizeOps returns the RESERVE of what a restarting node needs beyond the reservation its agent
// offered (after ring update raised cpus or mem), and records the new amounts on the node's
// reservation. A node whose cpus or mem went down uses less of its reservation and keeps the
// surplus reserved until it leaves the ring (the offered reservation may include resources the
// node does not own alone, so nothing is unreserved here).
func (ps *pass) resizeOps(n *statev1.NodeRecord, m placement.Match, rv *placement.Reservation, cpus, mem, disk float64) []OfferOp {
	var haveC, haveM float64
	for _, r := range m.Use.Reserved {
		switch r.Name {
		case placement.CPUs:
			haveC += r.Scalar
		case placement.Mem:
			haveM += r.Scalar
		}
	}
	var reserve []Resource
	if cpus > haveC+resizeEpsilon {
		reserve = append(reserve, scalar(placement.CPUs, cpus-haveC, m.Use.Role, rv))
	}
	if mem > haveM+resizeEpsilon {
		reserve = append(reserve, scalar(placement.Mem, mem-haveM, m.Use.Role, rv))
	}
	if len(reserve) == 0 {
		return nil
	}
	if n.Reservation != nil {
		n.Reservation.Resources = &cassmesosv1.Resources{Cpus: max(cpus, haveC), MemMb: int64(max(mem, haveM)), DiskMb: int64(disk)}
	}
	return []OfferOp{{Kind: OpReserve, Resources: reserve}}
}

// taskStateOr names the node's task state for messages.
func taskStateOr(st TaskStatus, n *statev1.NodeRecord) string {
	if st.TaskID != "" {
		return st.State.String()
	}
	if n.GetTaskState() != "" {
		return n.GetTaskState()
	}
	return "gone"
}

// staleView reports whether Cassandra's view of a node that is being (re)launched was taken
// before its current launch: such a view describes the previous process (a replacement would
// stay "DN" until the next status poll, a restarted node "UN" before its peers saw it come back),
// so until a newer view arrives the executor's health and mode are used instead.
func staleView(n *statev1.NodeRecord, v NodeView) bool {
	switch n.GetPhase() {
	case cassmesosv1.NodePhase_NODE_PHASE_LAUNCHING, cassmesosv1.NodePhase_NODE_PHASE_STARTING:
		return n.GetPhaseTime() != nil && v.At.Before(n.GetPhaseTime().AsTime())
	}
	return false
}
