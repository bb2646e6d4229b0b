package chaos

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/cassmesos/cassmesos/internal/cassandrasim"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// check runs the invariant checker against the Mesos simulator's state, ZooKeeper's records and
// the stand-ins' action log:
//
//   - every record decodes (rings, nodes, operations, repair segments, schedules, framework ID);
//   - at most one live task per node slot, ever (the task tracker's maximum);
//   - never more live tasks than the largest node count a spec asked for, and, while no operation
//     runs on a ring, never more node records not leaving than its spec;
//   - no persistent volume destroyed while a node record needs it;
//   - one topology change (bootstrap, replace, decommission, removenode) at a time.
//
// The Mesos state is read before the records: a record that stops needing a volume is written
// before the volume is destroyed, so the order cannot make a false violation.
func (r *runner) check(stage string) {
	snap, snapErr := r.w.MesosStateErr()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store := r.w.ZK()

	// Every record decodes.
	if _, _, err := store.FrameworkID(ctx); err != nil && !isNotFound(err) {
		r.violation("%s: the framework ID record does not decode: %v", stage, err)
	}
	rings, err := store.ListRings(ctx)
	if err != nil {
		r.violation("%s: the ring records do not decode: %v", stage, err)
	}
	nodes := map[string][]zkstate.Record[*statev1.NodeRecord]{}
	for _, rg := range rings {
		ns, err := store.ListNodes(ctx, rg.Name)
		if err != nil && !isNotFound(err) {
			r.violation("%s: the node records of ring %s do not decode: %v", stage, rg.Name, err)
		}
		nodes[rg.Name] = ns
		if n := int(rg.Value.GetSpec().GetNodes()); n > r.maxSpec {
			r.maxSpec = n
		}
	}
	ops, err := store.ListOperations(ctx)
	if err != nil {
		r.violation("%s: the operation records do not decode: %v", stage, err)
	}
	for _, o := range ops {
		if o.Value.GetOperation().GetKind() != cassmesosv1.OperationKind_OPERATION_KIND_REPAIR {
			continue
		}
		if _, err := store.ListSegments(ctx, o.Name); err != nil && !isNotFound(err) {
			r.violation("%s: the segment records of repair %s do not decode: %v", stage, o.Name, err)
		}
	}
	if _, err := store.ListSchedules(ctx); err != nil && !isNotFound(err) {
		r.violation("%s: the schedule records do not decode: %v", stage, err)
	}

	// One live task per node slot; never more live tasks than a spec asked for.
	h := r.w.TaskHistory()
	for node, c := range h.MaxLivePerNode {
		if c > 1 {
			r.violation("node slot %s had %d live tasks at once", node, c)
		}
	}
	if r.maxSpec > 0 && h.MaxLive > r.maxSpec {
		r.violation("%d tasks were live at once; no spec ever asked for more than %d nodes", h.MaxLive, r.maxSpec)
	}
	// While an operation runs, a shrinking ring's spec is lowered before the leaving node's record
	// says so (the operation's next step does): count node records only when none runs.
	busy := map[string]bool{}
	for _, o := range ops {
		if !terminal(o.Value.GetOperation().GetPhase()) {
			busy[o.Value.GetOperation().GetRing()] = true
		}
	}
	for _, rg := range rings {
		if rg.Value.GetDeleting() || busy[rg.Name] {
			continue
		}
		spec := int(rg.Value.GetSpec().GetNodes())
		active := 0
		for _, n := range nodes[rg.Name] {
			switch n.Value.GetPhase() {
			case cassmesosv1.NodePhase_NODE_PHASE_REMOVED, cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING:
			default:
				active++
			}
		}
		if active > spec {
			r.violation("%s: ring %s has %d node records not leaving, its spec %d", stage, rg.Name, active, spec)
		}
	}

	// No volume destroyed while a record needs it.
	if snapErr == nil {
		vols := map[string]map[string]bool{} // agent ID → persistence IDs
		registered := map[string]bool{}
		for _, a := range snap.Agents {
			registered[a.ID] = a.State == "registered" && !a.Partitioned
			vols[a.ID] = map[string]bool{}
			for _, v := range a.Volumes {
				vols[a.ID][v.PersistenceID] = true
			}
		}
		for _, rg := range rings {
			if rg.Value.GetDeleting() {
				continue
			}
			for _, n := range nodes[rg.Name] {
				res := n.Value.GetReservation()
				if !res.GetConfirmed() || res.GetPersistenceId() == "" || n.Value.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
					continue
				}
				if registered[res.GetAgentId()] && !vols[res.GetAgentId()][res.GetPersistenceId()] {
					r.violation("%s: node %s (%s) needs volume %s on agent %s, which no longer holds it", stage,
						n.Name, n.Value.GetPhase(), res.GetPersistenceId(), res.GetAgentId())
				}
			}
		}
	}

	// One topology change at a time.
	acts, err := cassandrasim.ReadActions(r.w.ActionLogPath())
	if err == nil {
		r.checkTopology(acts)
	}
}

func isNotFound(err error) bool { return errors.Is(err, zkstate.ErrNotFound) }

type span struct {
	node, action string
	start, end   time.Time
}

// checkTopology finds topology changes of different nodes whose spans overlap.
func (r *runner) checkTopology(acts []cassandrasim.Action) {
	open := map[string]cassandrasim.Action{}
	var spans []span
	for _, a := range acts {
		switch a.Action {
		case "bootstrap", "replace", "decommission", "removenode":
		default:
			continue
		}
		key := a.Node + "/" + a.Action
		if a.Status == "started" {
			open[key] = a
			continue
		}
		s, e := a.Time, a.Time
		if o, ok := open[key]; ok {
			s = o.Time
			delete(open, key)
		}
		if !a.Start.IsZero() {
			s = a.Start
		}
		if !a.End.IsZero() {
			e = a.End
		}
		spans = append(spans, span{a.Node, a.Action, s, e})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	for i := 1; i < len(spans); i++ {
		for j := i - 1; j >= 0 && j >= i-8; j-- {
			p, q := spans[j], spans[i]
			if p.node != q.node && q.start.Before(p.end) {
				r.violation("two topology changes at once: %s of %s [%s, %s] and %s of %s [%s, %s]",
					p.action, p.node, p.start.Format(time.StampMilli), p.end.Format(time.StampMilli),
					q.action, q.node, q.start.Format(time.StampMilli), q.end.Format(time.StampMilli))
			}
		}
	}
}

// checkSeedsFirst checks a ring creation: every seed started before any other node did.
func (r *runner) checkSeedsFirst(since time.Time) {
	rg := r.w.Ring(ring)
	if rg == nil {
		return
	}
	seed := map[string]bool{}
	for _, n := range rg.GetNodes() {
		if n.GetSeed() {
			seed[n.GetAddress()] = true
		}
	}
	acts, err := cassandrasim.ReadActions(r.w.ActionLogPath())
	if err != nil {
		return
	}
	first := map[string]time.Time{}
	for _, a := range acts {
		if a.Action == "start" && a.Time.After(since) {
			if _, ok := first[a.Node]; !ok {
				first[a.Node] = a.Time
			}
		}
	}
	var lastSeed time.Time
	for s := range seed {
		if t, ok := first[s]; ok && t.After(lastSeed) {
			lastSeed = t
		}
	}
	for addr, t := range first {
		if !seed[addr] && !t.After(lastSeed) {
			r.violation("seeds first: non-seed %s started at %s, before the last seed at %s", addr,
				t.Format(time.StampMilli), lastSeed.Format(time.StampMilli))
		}
	}
}
