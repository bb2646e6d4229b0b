package plan

import (
	"sort"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// pass is one planning pass: a working copy of the records (cloned on first change), the
// actions decided so far and the launches wanted.
type pass struct {
	p   *Planner
	s   *State
	now time.Time

	rings map[string]*statev1.RingRecord
	nodes map[string]*statev1.NodeRecord
	ops   map[string]*statev1.OperationRecord

	mutRings, mutNodes, mutOps map[string]bool
	delRings, delNodes         []string

	actions []Action
	wake    time.Time

	// launches wanted this pass, by node name.
	want map[string]*launchWant
	// owner of each node claimed by a running step: operation ID.
	claimed map[string]string
	// releases pending (removed nodes whose reservation must be destroyed), by node name.
	releases map[string]bool
	// byRing indexes node names by ring (nil until first used; reset when nodes come or go).
	byRing map[string][]string
	// unreserved is, per agent, the unreserved cpus and mem of this pass's offers (MatchOffers
	// only), for growing a node's reservation in place (lifecycle.go).
	unreserved map[string][2]float64
	// mnt is the working copy of repair segments and schedules (maintenance.go; nil until used).
	mnt *mntState
	// problems are the records skipped because they are inconsistent (consistency.go); skip
	// holds their Problem.Record names.
	problems []Problem
	skip     map[string]bool
	// dropped names the skipped records finish left a write to out.
	dropped []string
	// unclaimed are the reservations of ours no record names, seen in this pass's offers
	// (reservations.go); unclaimedSeen dedupes them.
	unclaimed     []UnclaimedReservation
	unclaimedSeen map[string]bool
}

// launchWant is a node some step wants launched.
type launchWant struct {
	node    string
	opID    string
	step    int
	inPlace bool // restart on the node's reserved agent with its volume
}

func (p *Planner) newPass(s *State) *pass {
	s, problems, skip := skipInconsistent(s)
	ps := &pass{
		problems: problems,
		skip:     skip,
		p:        p,
		s:        s,
		now:      s.Now,
		rings:    copyMap(s.Rings),
		nodes:    copyMap(s.Nodes),
		ops:      copyMap(s.Operations),
		mutRings: map[string]bool{},
		mutNodes: map[string]bool{},
		mutOps:   map[string]bool{},
		want:     map[string]*launchWant{},
		claimed:  map[string]string{},
		releases: map[string]bool{},
	}
	// Records written before the typed cursor existed are read into it once (and so written
	// back with it by this pass).
	for id, o := range ps.ops {
		if len(o.GetCursor()) > 0 {
			ps.mutOp(id)
		}
	}
	return ps
}

func (ps *pass) ts() *timestamppb.Timestamp { return timestamppb.New(ps.now) }

func (ps *pass) wakeAt(t time.Time) {
	if !t.After(ps.now) {
		t = ps.now.Add(time.Second)
	}
	if ps.wake.IsZero() || t.Before(ps.wake) {
		ps.wake = t
	}
}

func (ps *pass) act(a Action) { ps.actions = append(ps.actions, a) }

// ring returns the working ring record (read only).
func (ps *pass) ring(name string) *statev1.RingRecord { return ps.rings[name] }

// node returns the working node record (read only).
func (ps *pass) node(name string) *statev1.NodeRecord { return ps.nodes[name] }

func (ps *pass) mutRing(name string) *statev1.RingRecord {
	r := ps.rings[name]
	if r == nil {
		return nil
	}
	if !ps.mutRings[name] {
		r = proto.Clone(r).(*statev1.RingRecord)
		ps.rings[name] = r
		ps.mutRings[name] = true
	}
	return r
}

func (ps *pass) mutNode(name string) *statev1.NodeRecord {
	n := ps.nodes[name]
	if n == nil {
		return nil
	}
	if !ps.mutNodes[name] {
		n = proto.Clone(n).(*statev1.NodeRecord)
		ps.nodes[name] = n
		ps.mutNodes[name] = true
	}
	return n
}

func (ps *pass) mutOp(id string) *statev1.OperationRecord {
	o := ps.ops[id]
	if o == nil {
		return nil
	}
	if !ps.mutOps[id] {
		o = proto.Clone(o).(*statev1.OperationRecord)
		opState(o)
		ps.ops[id] = o
		ps.mutOps[id] = true
	}
	return o
}

func (ps *pass) putRing(r *statev1.RingRecord) {
	ps.rings[r.GetSpec().GetName()] = r
	ps.mutRings[r.GetSpec().GetName()] = true
}

func (ps *pass) putNode(n *statev1.NodeRecord) {
	ps.byRing = nil
	ps.nodes[n.GetName()] = n
	ps.mutNodes[n.GetName()] = true
}

func (ps *pass) putOp(o *statev1.OperationRecord) {
	opState(o)
	ps.ops[o.GetOperation().GetId()] = o
	ps.mutOps[o.GetOperation().GetId()] = true
}

func (ps *pass) deleteNode(name string) {
	if _, ok := ps.nodes[name]; !ok {
		return
	}
	ps.byRing = nil
	delete(ps.nodes, name)
	delete(ps.mutNodes, name)
	ps.delNodes = append(ps.delNodes, name)
}

func (ps *pass) deleteRing(name string) {
	if _, ok := ps.rings[name]; !ok {
		return
	}
	delete(ps.rings, name)
	delete(ps.mutRings, name)
	ps.delRings = append(ps.delRings, name)
}

// setPhase changes a node's phase, stamping phase_time when it changes.
func (ps *pass) setPhase(name string, ph cassmesosv1.NodePhase) *statev1.NodeRecord {
	n := ps.node(name)
	if n == nil {
		return nil
	}
	if n.GetPhase() == ph {
		return n
	}
	m := ps.mutNode(name)
	m.Phase = ph
	m.PhaseTime = ps.ts()
	return m
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ringNodes returns the working node records of a ring by ordinal. The ring → names index is
// built once per pass and dropped when nodes are added or deleted.
func (ps *pass) ringNodes(ring string) []*statev1.NodeRecord {
	if ps.byRing == nil {
		ps.byRing = map[string][]string{}
		for _, n := range ps.nodes {
			ps.byRing[n.GetRing()] = append(ps.byRing[n.GetRing()], n.GetName())
		}
		for r, names := range ps.byRing {
			sort.Slice(names, func(i, j int) bool { return ps.nodes[names[i]].GetOrdinal() < ps.nodes[names[j]].GetOrdinal() })
			ps.byRing[r] = names
		}
	}
	names := ps.byRing[ring]
	out := make([]*statev1.NodeRecord, 0, len(names))
	for _, name := range names {
		out = append(out, ps.nodes[name])
	}
	return out
}

// finish turns the working copy into a Plan: puts of changed records (rings, nodes, operations,
// each by name), then deletes (nodes before rings), then the actions. Nothing is written to a
// record the pass skipped as inconsistent.
func (ps *pass) finish() Plan {
	ps.surfaceProblems()
	var pl Plan
	for _, name := range sortedKeys(ps.mutRings) {
		r := ps.rings[name]
		if old := ps.s.Rings[name]; old != nil && proto.Equal(old, r) {
			continue
		}
		pl.Writes = append(pl.Writes, Write{Kind: RecordRing, RingName: name, Name: name, Ring: r})
	}
	for _, name := range sortedKeys(ps.mutNodes) {
		n := ps.nodes[name]
		if old := ps.s.Nodes[name]; old != nil && proto.Equal(old, n) {
			continue
		}
		pl.Writes = append(pl.Writes, Write{Kind: RecordNode, RingName: n.GetRing(), Name: name, Node: n})
	}
	for _, id := range sortedKeys(ps.mutOps) {
		o := ps.ops[id]
		if old := ps.s.Operations[id]; old != nil && proto.Equal(old, o) {
			continue
		}
		pl.Writes = append(pl.Writes, Write{Kind: RecordOperation, RingName: o.GetOperation().GetRing(), Name: id, Operation: o})
	}
	pl.Writes = append(pl.Writes, ps.maintenanceWrites()...)
	for _, name := range ps.delNodes {
		if old, ok := ps.s.Nodes[name]; ok {
			pl.Writes = append(pl.Writes, Write{Kind: RecordNode, Delete: true, RingName: old.GetRing(), Name: name})
		}
	}
	for _, name := range ps.delRings {
		if _, ok := ps.s.Rings[name]; ok {
			pl.Writes = append(pl.Writes, Write{Kind: RecordRing, Delete: true, RingName: name, Name: name})
		}
	}
	if len(ps.skip) > 0 {
		kept := pl.Writes[:0]
		for _, w := range pl.Writes {
			if rec := ps.skipped(w); rec != "" {
				ps.dropped = append(ps.dropped, rec)
				continue
			}
			kept = append(kept, w)
		}
		pl.Writes = kept
	}
	pl.Problems = ps.problems
	pl.Unclaimed = ps.unclaimed
	pl.Actions = ps.actions
	pl.WantOffers = len(ps.want) > 0 || len(ps.releases) > 0
	pl.AwaitAgents = ps.awaitingAgent()
	pl.Wake = ps.wake
	return pl
}
