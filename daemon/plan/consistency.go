package plan

import (
	"fmt"
	"sort"
	"strings"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Problem is a record that decodes but that the planner cannot act on safely. One that does not
// agree with its own key or with the records it depends on (CheckRecords) is skipped by every
// pass: neither acted on nor written (never silently rewritten). An operation that is whole but
// cannot run as it stands (opInconsistency) is blocked with the reason instead. Both are reported
// in Plan.Problems and in their ring's status warnings until an operator repairs or deletes the
// znode.
type Problem struct {
	// Record names the record as the store keys it: "ring demo", "node demo-3",
	// "operation <id>", "segment <op>/<n>", "schedule <id>".
	Record string
	// Ring is the ring the record belongs to, when known ("" otherwise).
	Ring string
	// Reason says what is wrong.
	Reason string
}

func (p Problem) String() string { return p.Record + ": " + p.Reason }

// problemWarningPrefix starts the ring status warnings that report skipped records.
const problemWarningPrefix = "inconsistent record skipped: "

// CheckRecords returns the records of s the planner skips, ordered by Record.
func CheckRecords(s *State) []Problem {
	var out []Problem
	badRing := map[string]bool{}
	for k, r := range s.Rings {
		switch {
		case r.GetSpec() == nil:
			out = append(out, Problem{Record: "ring " + k, Ring: k, Reason: "no spec"})
		case r.GetSpec().GetName() != k:
			out = append(out, Problem{Record: "ring " + k, Ring: k, Reason: fmt.Sprintf("its spec names ring %q", r.GetSpec().GetName())})
		default:
			continue
		}
		badRing[k] = true
	}
	for k, n := range s.Nodes {
		p := Problem{Record: "node " + k, Ring: n.GetRing()}
		switch {
		case n.GetName() != k:
			p.Reason = fmt.Sprintf("it names node %q", n.GetName())
		case n.GetRing() == "":
			p.Reason = "it names no ring"
		case badRing[n.GetRing()]:
			p.Reason = "the record of its ring " + n.GetRing() + " is skipped"
		case s.Rings[n.GetRing()] == nil:
			p.Reason = "its ring " + n.GetRing() + " does not exist"
		default:
			continue
		}
		out = append(out, p)
	}
	for k, rec := range s.Operations {
		o := rec.GetOperation()
		p := Problem{Record: "operation " + k, Ring: o.GetRing()}
		switch {
		case o == nil:
			p.Reason = "no operation"
		case o.GetId() != k:
			p.Reason = fmt.Sprintf("it names operation %q", o.GetId())
		case badRing[o.GetRing()]:
			p.Reason = "the record of its ring " + o.GetRing() + " is skipped"
		default:
			continue
		}
		out = append(out, p)
	}
	for k, segs := range s.Segments {
		for i, sg := range segs {
			p := Problem{Record: fmt.Sprintf("segment %s/%d", k, i), Ring: s.Operations[k].GetOperation().GetRing()}
			switch {
			case sg.GetSegment() == nil:
				p.Reason = "no segment"
			case sg.GetSegment().GetIndex() != i:
				p.Reason = fmt.Sprintf("it holds segment %d", sg.GetSegment().GetIndex())
			default:
				continue
			}
			out = append(out, p)
		}
	}
	for k, rec := range s.Schedules {
		sc := rec.GetSchedule()
		p := Problem{Record: "schedule " + k, Ring: sc.GetRing()}
		switch {
		case sc == nil:
			p.Reason = "no schedule"
		case sc.GetId() != k:
			p.Reason = fmt.Sprintf("it names schedule %q", sc.GetId())
		default:
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Record < out[j].Record })
	return out
}

// skipInconsistent returns s without the records CheckRecords reports (s itself when there are
// none), the problems, and the keys skipped ("<kind> <key>", as Problem.Record).
func skipInconsistent(s *State) (*State, []Problem, map[string]bool) {
	problems := CheckRecords(s)
	if len(problems) == 0 {
		return s, nil, nil
	}
	skip := make(map[string]bool, len(problems))
	for _, p := range problems {
		skip[p.Record] = true
	}
	c := *s
	c.Rings = filterMap(s.Rings, "ring ", skip)
	c.Nodes = filterMap(s.Nodes, "node ", skip)
	c.Operations = filterMap(s.Operations, "operation ", skip)
	c.Schedules = filterMap(s.Schedules, "schedule ", skip)
	c.Segments = make(map[string]map[int32]*statev1.SegmentRecord, len(s.Segments))
	for op, m := range s.Segments {
		segs := make(map[int32]*statev1.SegmentRecord, len(m))
		for i, sg := range m {
			if !skip[fmt.Sprintf("segment %s/%d", op, i)] {
				segs[i] = sg
			}
		}
		c.Segments[op] = segs
	}
	return &c, problems, skip
}

func filterMap[V any](m map[string]V, prefix string, skip map[string]bool) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		if !skip[prefix+k] {
			out[k] = v
		}
	}
	return out
}

// skipped returns the skipped record a write would touch ("" when none).
func (ps *pass) skipped(w Write) string {
	var rec string
	switch w.Kind {
	case RecordRing:
		rec = "ring " + w.Name
	case RecordNode:
		rec = "node " + w.Name
	case RecordOperation:
		rec = "operation " + w.Name
	case RecordSegment:
		rec = fmt.Sprintf("segment %s/%d", w.Name, w.Segment.GetSegment().GetIndex())
	case RecordSchedule:
		rec = "schedule " + w.Name
	}
	if !ps.skip[rec] {
		return ""
	}
	return rec
}

// refuseDropped is the error of a request whose writes would touch skipped records.
func (ps *pass) refuseDropped() error {
	var why []string
	for _, p := range ps.problems {
		for _, d := range ps.dropped {
			if p.Record == d {
				why = append(why, p.String())
				break
			}
		}
	}
	return refused("the request would write inconsistent records the daemon skips (%s); repair or delete them in ZooKeeper first", strings.Join(why, "; "))
}

// surfaceProblems puts a warning naming every skipped record of a ring on the ring's status
// (and takes it away once the record is repaired).
func (ps *pass) surfaceProblems() {
	byRing := map[string][]string{}
	for _, p := range ps.problems {
		byRing[p.Ring] = append(byRing[p.Ring], problemWarningPrefix+p.String())
	}
	for _, name := range sortedKeys(ps.rings) {
		r := ps.ring(name)
		var want []string
		for _, w := range r.GetStatus().GetWarnings() {
			if !strings.HasPrefix(w, problemWarningPrefix) {
				want = append(want, w)
			}
		}
		want = append(want, byRing[name]...)
		if strings.Join(want, "\n") != strings.Join(r.GetStatus().GetWarnings(), "\n") {
			w := ps.mutRing(name)
			if w.Status == nil {
				w.Status = &cassmesosv1.RingStatus{}
			}
			w.Status.Warnings = want
		}
	}
}

// opInconsistency says why an operation record cannot be run as it stands ("" when it can): it
// lacks what its kind needs, or holds what was refused when it was created.
func opInconsistency(o *cassmesosv1.Operation) string {
	switch o.GetKind() {
	case cassmesosv1.OperationKind_OPERATION_KIND_REPAIR:
		if err := ValidateRepairParams("params.repair", o.GetParams().GetRepair()); err != nil {
			return strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
		}
	}
	return ""
}

// blockInconsistent blocks an operation the pass will not run because its record is
// inconsistent: its phase and reason say so (nothing else of the record changes), and it is
// reported with the problems. It runs again once the record is repaired.
func (ps *pass) blockInconsistent(id, why string) {
	o := ps.ops[id].GetOperation()
	ps.problems = append(ps.problems, Problem{Record: "operation " + id, Ring: o.GetRing(), Reason: why})
	reason := problemWarningPrefix + why
	if o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED && o.GetBlockedReason() == reason {
		return
	}
	w := ps.mutOp(id).Operation
	w.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED
	w.BlockedReason = reason
}
