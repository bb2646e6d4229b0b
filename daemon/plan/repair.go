package plan

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/internal/specrules"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Repair defaults.
const (
	DefaultSegmentsPerNode = 16
	DefaultSegmentTimeout  = 30 * time.Minute
	DefaultRepairAttempts  = 3
	// MaxSegmentsPerNode bounds segments_per_node.
	MaxSegmentsPerNode = 1024
	// RepairRetryMin and RepairRetryMax bound the backoff before a failed segment is tried again
	// (doubling per failed attempt).
	RepairRetryMin = 5 * time.Second
	RepairRetryMax = 5 * time.Minute
	// DefaultGCGrace is Cassandra's default gc_grace_seconds: a ring whose last complete repair is
	// older gets a warning.
	DefaultGCGrace      = 10 * 24 * time.Hour
	maxDescribeAttempts = 3
)

// RunRepair starts a segmented REPAIR operation on a ring.
type RunRepair struct {
	Ring   string
	Params *cassmesosv1.RepairParams
	// IfIdle refuses (ErrPrecondition) when a repair of the ring is active.
	IfIdle bool
	// Origin is "cli" (default) or "schedule/<id>".
	Origin string
	// RequestID is the client's request ID ("": none); see requestid.go.
	RequestID string
}

// PauseRepair stops a repair from starting segments; running ones finish.
type PauseRepair struct{ ID, RequestID string }

// ResumeRepair lets a paused repair start segments again.
type ResumeRepair struct{ ID, RequestID string }

func (RunRepair) isRequest()        {}
func (PauseRepair) isRequest()      {}
func (ResumeRepair) isRequest()     {}
func (RunRepair) isMaintenance()    {}
func (PauseRepair) isMaintenance()  {}
func (ResumeRepair) isMaintenance() {}

var identRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,48}$`)

// ValidateRepairParams checks repair parameters; errors wrap ErrInvalid and name the field
// (prefixed with field, e.g. "params").
func ValidateRepairParams(field string, p *cassmesosv1.RepairParams) error {
	bad := func(f, format string, a ...any) error {
		return fmt.Errorf("%w: %s.%s: %s", ErrInvalid, field, f, fmt.Sprintf(format, a...))
	}
	if p == nil {
		return fmt.Errorf("%w: %s: required", ErrInvalid, field)
	}
	switch {
	case p.GetKeyspace() == "":
		// Every non-system keyspace, resolved through a node when the run starts.
		if len(p.GetTables()) > 0 {
			return bad("tables", "tables need a keyspace (a run without one repairs every non-system keyspace)")
		}
	case !identRE.MatchString(p.GetKeyspace()):
		return bad("keyspace", "%q is not a keyspace name", p.GetKeyspace())
	case strings.HasPrefix(p.GetKeyspace(), "system"):
		if p.GetKeyspace() == "system" || p.GetKeyspace() == "system_schema" {
			return bad("keyspace", "%s is local to each node; it is not repaired", p.GetKeyspace())
		}
	}
	for i, t := range p.GetTables() {
		if !identRE.MatchString(t) {
			return bad(fmt.Sprintf("tables[%d]", i), "%q is not a table name", t)
		}
	}
	if n := p.GetSegmentsPerNode(); n < 0 || n > MaxSegmentsPerNode {
		return bad("segments_per_node", "%d is outside 1..%d (0 means %d)", n, MaxSegmentsPerNode, DefaultSegmentsPerNode)
	}
	if p.GetParallel() < 0 {
		return bad("parallel", "%d is negative (0 means 1)", p.GetParallel())
	}
	if i := p.GetIntensity(); math.IsNaN(i) || i < 0 || i > 1 {
		return bad("intensity", "%g is outside (0, 1] (0 means 1)", i)
	}
	if d := p.GetSegmentTimeout(); d != nil && (d.CheckValid() != nil || d.AsDuration() < 0) {
		return bad("segment_timeout", "%v is not a positive duration", d)
	}
	if p.GetMaxAttempts() < 0 {
		return bad("max_attempts", "%d is negative (0 means %d)", p.GetMaxAttempts(), DefaultRepairAttempts)
	}
	if dc := p.GetDatacenter(); dc != "" {
		if err := specrules.RackDC(field+".datacenter", dc); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	return nil
}

// RepairDefaults returns a copy of p with defaults filled in (nil: the defaults alone).
func RepairDefaults(p *cassmesosv1.RepairParams) *cassmesosv1.RepairParams {
	c := &cassmesosv1.RepairParams{}
	if p != nil {
		c = proto.Clone(p).(*cassmesosv1.RepairParams)
	}
	if c.SegmentsPerNode == 0 {
		c.SegmentsPerNode = DefaultSegmentsPerNode
	}
	if c.Parallel == 0 {
		c.Parallel = 1
	}
	if c.Intensity == 0 {
		c.Intensity = 1
	}
	if c.SegmentTimeout == nil || c.SegmentTimeout.AsDuration() == 0 {
		c.SegmentTimeout = durationpb.New(DefaultSegmentTimeout)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultRepairAttempts
	}
	return c
}

func (ps *pass) runRepairReq(req RunRepair) (Accepted, error) {
	r, err := ps.liveRing(req.Ring)
	if err != nil {
		return Accepted{}, err
	}
	if err := ValidateRepairParams("params", req.Params); err != nil {
		return Accepted{}, err
	}
	if err := refuseCassmesosRepair(r); err != nil {
		return Accepted{}, err
	}
	if err := ps.checkRingDC(req.Ring, req.Params.GetDatacenter()); err != nil {
		return Accepted{}, err
	}
	if id := ps.activeRepair(req.Ring); id != "" && req.IfIdle {
		return Accepted{}, refused("a repair of ring %s is already running: %s", req.Ring, id)
	}
	origin := req.Origin
	if origin == "" {
		origin = "cli"
	}
	op := ps.newRepairOp(req.Ring, origin, RepairDefaults(req.Params))
	ps.putOp(op)
	return Accepted{Operation: op, Ring: r, Created: true}, nil
}

func (ps *pass) newRepairOp(ring, origin string, params *cassmesosv1.RepairParams) *statev1.OperationRecord {
	what := "repair " + params.GetKeyspace()
	if params.GetKeyspace() == "" {
		what = "repair every non-system keyspace"
	}
	step := namedStep(stepRepair, what, "")
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_REPAIR, ring, origin,
		&cassmesosv1.OperationParams{Repair: params}, []*cassmesosv1.Step{step})
	op.Operation.Progress = &cassmesosv1.Progress{}
	return op
}

func (ps *pass) pauseRepairReq(id string, pause bool) (Accepted, error) {
	rec := ps.ops[id]
	if rec == nil || rec.GetOperation().GetKind() != cassmesosv1.OperationKind_OPERATION_KIND_REPAIR {
		return Accepted{}, fmt.Errorf("%w: repair %s", ErrOperationNotFound, id)
	}
	o := rec.GetOperation()
	if !opActive(o) {
		return Accepted{}, refused("repair %s already %s", id, strings.ToLower(strings.TrimPrefix(o.GetPhase().String(), "OPERATION_PHASE_")))
	}
	if o.GetCancelRequested() {
		return Accepted{}, refused("repair %s is being cancelled", id)
	}
	w := ps.mutOp(id)
	if pause {
		opState(w).Paused = true
		if o.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_PENDING {
			w.Operation.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_PAUSED
		}
	} else {
		opState(w).Paused = false
		if o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_PAUSED {
			w.Operation.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING
		}
	}
	return Accepted{Operation: w, Ring: ps.ring(o.GetRing()), Created: true}, nil
}

// segRelayID is the relay ID of one attempt of a segment.
func segRelayID(opID string, idx, attempt int32) string {
	return opID + "/segment/" + strconv.Itoa(int(idx)) + "/" + strconv.Itoa(int(attempt))
}

func repairRetry(attempts int32) time.Duration {
	d := RepairRetryMin
	for i := int32(1); i < attempts && d < RepairRetryMax; i++ {
		d *= 2
	}
	return min(d, RepairRetryMax)
}

const (
	segPending = cassmesosv1.StepPhase_STEP_PHASE_PENDING
	segRunning = cassmesosv1.StepPhase_STEP_PHASE_RUNNING
	segDone    = cassmesosv1.StepPhase_STEP_PHASE_DONE
	segFailed  = cassmesosv1.StepPhase_STEP_PHASE_FAILED
	segSkipped = cassmesosv1.StepPhase_STEP_PHASE_SKIPPED
)

// nodesByAddress maps the ring's node addresses to their records.
func (ps *pass) nodesByAddress(ring string) map[string]*statev1.NodeRecord {
	out := map[string]*statev1.NodeRecord{}
	for _, n := range ps.ringNodes(ring) {
		if n.GetAddress() != "" && n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			out[n.GetAddress()] = n
		}
	}
	return out
}

// stepRepair runs a REPAIR operation: describe the keyspace's ranges through a UN node, split
// them into segments (persisted one znode each), then run segments — at most `parallel` at once,
// never two sharing a replica, each only while all its replicas are UN and no topology change is
// under way — retrying failures with backoff, resting replicas according to the intensity. A
// topology change pauses the run; afterwards the ranges not yet repaired are described and split
// again. Cancel and pause take effect between segments.
func (ps *pass) stepRepair(r *opRun) result {
	o := r.op()
	id, ring := o.GetId(), o.GetRing()
	p := RepairDefaults(o.GetParams().GetRepair())
	byAddr := ps.nodesByAddress(ring)

	// 0. A run that names no keyspace repairs every non-system keyspace, one after another: the
	// list is resolved through a node once, and persisted (before anything is described) so a
	// restarted daemon repairs the same list.
	all := p.GetKeyspace() == ""
	var keyspaces []string
	if all {
		st := opState(r.rec)
		if !st.GetKeyspacesResolved() {
			if o.GetCancelRequested() {
				return wait(true, "cancelling")
			}
			if res, ok := ps.resolveKeyspaces(r); !ok {
				return res
			}
		}
		keyspaces = st.GetKeyspaces()
		if len(keyspaces) == 0 {
			return done("nothing to repair: ring " + ring + " has no keyspace but the system ones")
		}
		idx := min(max(int(st.GetKeyspaceIndex()), 0), len(keyspaces)-1)
		p.Keyspace = keyspaces[idx]
	}

	// 1. Collect results of running segments.
	running := 0
	for _, seg := range ps.sortedSegments(id) {
		sg := seg.GetSegment()
		if sg.GetPhase() != segRunning {
			continue
		}
		rid := segRelayID(id, sg.GetIndex(), sg.GetAttempts())
		res, ok := ps.s.Relays[rid]
		started := sg.GetStartTime().AsTime()
		deadline := started.Add(p.GetSegmentTimeout().AsDuration() + time.Minute)
		if !ok || !res.Done {
			if !ps.now.Before(deadline) {
				res, ok = RelayResult{Done: true, Err: "no result within " + p.GetSegmentTimeout().AsDuration().String()}, true
			}
		}
		if !ok || !res.Done {
			running++
			ps.wakeAt(deadline)
			ps.act(ps.segmentRelay(id, ring, p, seg, byAddr))
			continue
		}
		w := ps.mutSegment(id, sg.GetIndex()).Segment
		w.EndTime = ps.ts()
		w.Attempts++
		if res.Err == "" {
			w.Phase = segDone
			w.LastError = ""
			continue
		}
		w.LastError = res.Err
		if w.Attempts >= p.GetMaxAttempts() {
			w.Phase = segFailed
		} else {
			w.Phase = segPending
		}
	}

	if o.GetCancelRequested() {
		return wait(running == 0, "cancelling: waiting for %d running segments", running)
	}
	// 2. A topology change pauses the run; its ranges are described again afterwards.
	if busy := ps.topologyBusy(ring); busy != "" {
		r.cur().Recompute = true
		return blocked(running == 0, "paused: %s; the ranges left are recomputed after it", busy)
	}
	// 3. Describe the ring (first time, or after a topology change) once nothing runs.
	// Segments planned from a describe that has ended start in the same pass (no wait for the
	// next event).
	segs := ps.keyspaceSegments(id, p.GetKeyspace())
	if len(segs) == 0 || r.peek().GetRecompute() {
		if running > 0 {
			return wait(false, "waiting for %d running segments before recomputing ranges", running)
		}
		if res, planned := ps.describeRing(r, p, byAddr); !planned {
			return res
		}
	}
	// 4. Pause and window.
	if ps.rec(r).GetState().GetPaused() {
		return wait(running == 0, "paused by the operator; %s", ps.segmentSummary(id))
	}
	if w := ps.rec(r).GetState().GetWindow(); w != "" {
		if win, err := ParseWindow(w); err == nil && !win.Contains(ps.now.In(ps.loc())) {
			open := win.NextOpen(ps.now.In(ps.loc()))
			ps.wakeAt(open)
			return blocked(running == 0, "outside the schedule's window %s; resumes at %s", w, open.Format(time.RFC3339))
		}
	}
	// 5. Start segments.
	started, waitDown := ps.startSegments(id, ring, p, byAddr)
	running += started
	pending, failedSegs := 0, []string{}
	for _, seg := range ps.sortedSegments(id) {
		switch seg.GetSegment().GetPhase() {
		case segPending:
			pending++
		case segFailed:
			failedSegs = append(failedSegs, fmt.Sprintf("segment %d (%s,%s] failed %d times: %s", seg.GetSegment().GetIndex(),
				seg.GetSegment().GetStartToken(), seg.GetSegment().GetEndToken(), seg.GetSegment().GetAttempts(), seg.GetSegment().GetLastError()))
		}
	}
	if running == 0 && pending == 0 {
		if all {
			if st := opState(r.rec); int(st.GetKeyspaceIndex()) < len(keyspaces)-1 {
				// On to the next keyspace (failed segments fail the run at the end).
				st.KeyspaceIndex++
				return ps.stepRepair(r)
			}
		}
		if len(failedSegs) > 0 {
			return failed("%d segments failed: %s", len(failedSegs), strings.Join(first(failedSegs, 3), "; "))
		}
		rg := ps.mutRing(ring)
		if rg.Status == nil {
			rg.Status = &cassmesosv1.RingStatus{}
		}
		rg.Status.LastRepairTime = ps.ts()
		return done(ps.segmentSummary(id))
	}
	if running == 0 && waitDown != "" {
		return blocked(true, "%s; %s", waitDown, ps.segmentSummary(id))
	}
	msg := ps.segmentSummary(id)
	if waitDown != "" {
		msg += "; " + waitDown
	}
	return wait(running == 0, "%s", msg)
}

func (ps *pass) rec(r *opRun) *statev1.OperationRecord { return r.rec }

// describeRing asks a UN node for the keyspace's ranges and turns them into segments (all of
// them the first time; after a topology change, pending segments are superseded by new ones
// covering what is left). The bool is true when it has just planned segments (the result is then
// only a note); otherwise the step returns the result.
func (ps *pass) describeRing(r *opRun, p *cassmesosv1.RepairParams, byAddr map[string]*statev1.NodeRecord) (result, bool) {
	id, ring := r.op().GetId(), r.op().GetRing()
	attempt := int(r.peek().GetDescribeAttempts())
	n := ps.coordinator(ring, "")
	if n == nil {
		return blocked(true, "no UN node of %s to describe keyspace %s", ring, p.GetKeyspace()), false
	}
	round := int(r.peek().GetDescribes())
	rl := ps.relayTo(n, RelayDescribeRing)
	rl.Keyspace = p.GetKeyspace()
	rl.ID = id + "/describe/" + strconv.Itoa(round) + "/" + strconv.Itoa(attempt)
	rl.Timeout = 2 * time.Minute
	res, ok := ps.s.Relays[rl.ID]
	if !ok || !res.Done {
		ps.act(rl)
		return wait(true, "describing keyspace %s through %s", p.GetKeyspace(), n.GetName()), false
	}
	if res.NotFound {
		return failed("keyspace %s does not exist in ring %s", p.GetKeyspace(), ring), false
	}
	if res.Err != "" {
		attempt++
		if attempt >= maxDescribeAttempts {
			return failed("describering %s failed %d times: %s", p.GetKeyspace(), attempt, res.Err), false
		}
		r.cur().DescribeAttempts = int32(attempt)
		return wait(true, "describering %s failed (%s); retrying", p.GetKeyspace(), res.Err), false
	}
	var done []span
	next := int32(0)
	for _, seg := range ps.sortedSegments(id) {
		sg := seg.GetSegment()
		next = max(next, sg.GetIndex()+1)
		if sg.GetPhase() == segDone && segKeyspace(seg, p) == p.GetKeyspace() {
			done = append(done, segmentSpans(sg.GetStartToken(), sg.GetEndToken())...)
		}
	}
	if len(res.Ranges) == 0 {
		return failed("describering %s returned no ranges", p.GetKeyspace()), false
	}
	ranges := inDataCenter(res.Ranges, p.GetDatacenter(), byAddr)
	if len(ranges) == 0 {
		return failed("keyspace %s has no replica in data centre %s", p.GetKeyspace(), p.GetDatacenter()), false
	}
	endpoints := map[string]bool{}
	for _, tr := range ranges {
		for _, e := range tr.Endpoints {
			endpoints[e] = true
		}
	}
	specs, err := planSegments(ranges, done, int(p.GetSegmentsPerNode())*max(len(endpoints), 1))
	if err != nil {
		return failed("describering %s: %v", p.GetKeyspace(), err), false
	}
	for _, seg := range ps.keyspaceSegments(id, p.GetKeyspace()) {
		if ph := seg.GetSegment().GetPhase(); ph == segPending || ph == segFailed {
			w := ps.mutSegment(id, seg.GetSegment().GetIndex()).Segment
			w.Phase = segSkipped
			w.LastError = "superseded: ranges recomputed after a ring change"
		}
	}
	load := map[string]int{}
	for i, sp := range specs {
		co := ""
		best := -1
		for _, addr := range sp.replicas {
			if n := byAddr[addr]; n != nil && (best < 0 || load[addr] < best) {
				co, best = n.GetName(), load[addr]
			}
		}
		for _, addr := range sp.replicas {
			if n := byAddr[addr]; n != nil && n.GetName() == co {
				load[addr]++
			}
		}
		ps.putSegment(id, &statev1.SegmentRecord{Keyspace: p.GetKeyspace(), Segment: &cassmesosv1.RepairSegment{
			Index: next + int32(i), StartToken: sp.start, EndToken: sp.end, Replicas: sp.replicas, Coordinator: co, Phase: segPending,
		}})
	}
	c := r.cur()
	c.Recompute, c.DescribeAttempts, c.Describes = false, 0, int32(round+1)
	return wait(true, "%d segments planned from %d ranges of %s", len(specs), len(ranges), p.GetKeyspace()), true
}

// segKeyspace is the keyspace of a segment (records written before SegmentRecord.keyspace
// existed belong to the run's one keyspace).
func segKeyspace(seg *statev1.SegmentRecord, p *cassmesosv1.RepairParams) string {
	if k := seg.GetKeyspace(); k != "" {
		return k
	}
	return p.GetKeyspace()
}

// keyspaceSegments are the segments of run id that belong to keyspace, by index.
func (ps *pass) keyspaceSegments(id, keyspace string) []*statev1.SegmentRecord {
	var out []*statev1.SegmentRecord
	for _, seg := range ps.sortedSegments(id) {
		if k := seg.GetKeyspace(); k == "" || k == keyspace {
			out = append(out, seg)
		}
	}
	return out
}

// resolveKeyspaces lists the ring's keyspaces through a UN node and records the non-system
// ones, sorted, in the operation's cursor. The bool is true once they are recorded (the caller
// goes on in the same pass: the list is persisted before any action of that pass); otherwise the
// step returns the result.
func (ps *pass) resolveKeyspaces(r *opRun) (result, bool) {
	id, ring := r.op().GetId(), r.op().GetRing()
	st := opState(r.rec)
	attempt := int(st.GetResolveAttempts())
	n := ps.coordinator(ring, "")
	if n == nil {
		return blocked(true, "no UN node of %s to list its keyspaces", ring), false
	}
	rl := ps.relayTo(n, RelayListKeyspaces)
	rl.ID = id + "/keyspaces/" + strconv.Itoa(attempt)
	rl.Timeout = time.Minute
	res, ok := ps.s.Relays[rl.ID]
	if !ok || !res.Done {
		ps.act(rl)
		return wait(true, "listing the keyspaces of %s through %s", ring, n.GetName()), false
	}
	if res.Err != "" {
		attempt++
		if attempt >= maxDescribeAttempts {
			return failed("listing the keyspaces of %s failed %d times: %s", ring, attempt, res.Err), false
		}
		st.ResolveAttempts = int32(attempt)
		return wait(true, "listing the keyspaces of %s failed (%s); retrying", ring, res.Err), false
	}
	var names []string
	for _, k := range res.Keyspaces {
		if !k.System && identRE.MatchString(k.Name) {
			names = append(names, k.Name)
		}
	}
	sort.Strings(names)
	st.Keyspaces, st.KeyspacesResolved, st.KeyspaceIndex = names, true, 0
	return result{}, true
}

// segmentRelay is the relayed nodetool repair of one segment attempt.
func (ps *pass) segmentRelay(opID, ring string, p *cassmesosv1.RepairParams, seg *statev1.SegmentRecord, byAddr map[string]*statev1.NodeRecord) Relay {
	sg := seg.GetSegment()
	co := ps.node(sg.GetCoordinator())
	if co == nil || co.GetRing() != ring || !containsStr(sg.GetReplicas(), co.GetAddress()) {
		co = nil
		for _, a := range sg.GetReplicas() {
			if n := byAddr[a]; n != nil {
				co = n
				break
			}
		}
	}
	rl := Relay{ID: segRelayID(opID, sg.GetIndex(), sg.GetAttempts()), Kind: RelayRepair, Keyspace: seg.GetKeyspace(),
		Tables: p.GetTables(), StartToken: sg.GetStartToken(), EndToken: sg.GetEndToken(), Full: p.GetFull(),
		Timeout: p.GetSegmentTimeout().AsDuration(), Datacenter: p.GetDatacenter()}
	if co != nil {
		rl.Ring, rl.Node, rl.Address, rl.AgentPort, rl.Secret = co.GetRing(), co.GetName(), co.GetAddress(), co.GetAgentPort(), ps.p.cfg.TaskSecret(ps.ring(co.GetRing()), co)
	}
	return rl
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// segView is what segment scheduling needs of a segment.
type segView struct {
	idx      int32
	replicas []string
	// notBefore: retry backoff.
	notBefore time.Time
	// size is the segment's share of the token ring (its repair time is about proportional).
	size float64
}

// byDemand orders pending segments most constrained first: by the work still pending on their
// busiest replica (the sum of the sizes of the pending segments it holds), then by their own
// size, larger first, then by index. Filling slots in this order keeps the replicas with the most
// work left — the ones that bound the run's length — busy, instead of whatever comes first in
// token order.
func byDemand(pending []segView) []segView {
	load := map[string]float64{}
	for _, s := range pending {
		for _, a := range s.replicas {
			load[a] += s.size
		}
	}
	demand := make(map[int32]float64, len(pending))
	for _, s := range pending {
		d := 0.0
		for _, a := range s.replicas {
			d = max(d, load[a])
		}
		demand[s.idx] = d
	}
	out := append([]segView(nil), pending...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if demand[a.idx] != demand[b.idx] {
			return demand[a.idx] > demand[b.idx]
		}
		if a.size != b.size {
			return a.size > b.size
		}
		return a.idx < b.idx
	})
	return out
}

// ringShare is the share of the token ring that (start, end] covers (0 for garbage).
func ringShare(start, end string) float64 {
	f := 0.0
	for _, sp := range segmentSpans(start, end) {
		hi, lo := sp.size128()
		f += float64(hi) + float64(lo)/math.Exp2(64)
	}
	return f
}

// pickSegments chooses pending segments to start now, in order: at most slots, never two
// sharing a replica and none sharing a replica with a busy one (running or resting), only those
// whose replicas are all UN (up) and whose retry time has come. It returns the chosen indexes,
// the replicas that hold segments back by being down (sorted), and the earliest time a
// rest or backoff ends (zero if none matters).
func pickSegments(pending []segView, busy map[string]time.Time, up func(addr string) bool, now time.Time, slots int) (picked []int32, down []string, wake time.Time) {
	taken := map[string]bool{}
	downSet := map[string]bool{}
	later := func(t time.Time) {
		if wake.IsZero() || t.Before(wake) {
			wake = t
		}
	}
	for _, s := range pending {
		if len(picked) >= slots {
			break
		}
		ok := true
		for _, a := range s.replicas {
			if !up(a) {
				downSet[a] = true
				ok = false
			}
		}
		if !ok {
			continue
		}
		if now.Before(s.notBefore) {
			later(s.notBefore)
			continue
		}
		for _, a := range s.replicas {
			if taken[a] {
				ok = false
				break
			}
			if t, b := busy[a]; b {
				if t.After(now) {
					later(t)
				}
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		for _, a := range s.replicas {
			taken[a] = true
		}
		picked = append(picked, s.idx)
	}
	for a := range downSet {
		down = append(down, a)
	}
	sort.Strings(down)
	return picked, down, wake
}

// startSegments starts what pickSegments allows and returns how many started and a note on
// segments waiting for down replicas ("" when none).
func (ps *pass) startSegments(id, ring string, p *cassmesosv1.RepairParams, byAddr map[string]*statev1.NodeRecord) (int, string) {
	segs := ps.sortedSegments(id)
	busy := map[string]time.Time{}
	far := ps.now.Add(1000 * time.Hour)
	running := 0
	intensity := p.GetIntensity()
	var pending []segView
	for _, seg := range segs {
		sg := seg.GetSegment()
		switch sg.GetPhase() {
		case segRunning:
			running++
			for _, a := range sg.GetReplicas() {
				busy[a] = far
			}
		case segPending:
			v := segView{idx: sg.GetIndex(), replicas: sg.GetReplicas(), size: ringShare(sg.GetStartToken(), sg.GetEndToken())}
			if sg.GetAttempts() > 0 && sg.GetEndTime() != nil {
				v.notBefore = sg.GetEndTime().AsTime().Add(repairRetry(sg.GetAttempts()))
			}
			pending = append(pending, v)
		}
		// Intensity: after a segment that took t, its replicas rest t*(1-i)/i.
		if intensity < 1 && sg.GetPhase() != segRunning && sg.GetStartTime() != nil && sg.GetEndTime() != nil {
			t := sg.GetEndTime().AsTime().Sub(sg.GetStartTime().AsTime())
			until := sg.GetEndTime().AsTime().Add(time.Duration(float64(t) * (1 - intensity) / intensity))
			if until.After(ps.now) {
				for _, a := range sg.GetReplicas() {
					if until.After(busy[a]) {
						busy[a] = until
					}
				}
			}
		}
	}
	slots := int(p.GetParallel()) - running
	if slots <= 0 {
		return 0, ""
	}
	up := func(a string) bool {
		n := byAddr[a]
		return n != nil && ps.isUN(n)
	}
	picked, down, wake := pickSegments(byDemand(pending), busy, up, ps.now, slots)
	if !wake.IsZero() {
		ps.wakeAt(wake)
	}
	for _, idx := range picked {
		w := ps.mutSegment(id, idx)
		w.Segment.Phase = segRunning
		w.Segment.StartTime = ps.ts()
		w.Segment.EndTime = nil
		ps.act(ps.segmentRelay(id, ring, p, w, byAddr))
		ps.wakeAt(ps.now.Add(p.GetSegmentTimeout().AsDuration() + time.Minute))
	}
	note := ""
	if len(down) > 0 {
		var names []string
		for _, a := range down {
			if n := byAddr[a]; n != nil {
				names = append(names, n.GetName()+" is "+ps.statusLetters(n))
			} else {
				names = append(names, a+" is not a node of "+ring)
			}
		}
		note = "segments wait for their replicas: " + strings.Join(first(names, 3), ", ")
	}
	return len(picked), note
}

// segmentSummary is "12/96 segments done; running: 13 on demo-1, 40 on demo-4".
func (ps *pass) segmentSummary(id string) string {
	done, total := 0, 0
	var run []string
	for _, seg := range ps.sortedSegments(id) {
		sg := seg.GetSegment()
		switch sg.GetPhase() {
		case segSkipped:
			continue
		case segDone:
			done++
		case segRunning:
			run = append(run, fmt.Sprintf("%d on %s", sg.GetIndex(), sg.GetCoordinator()))
		}
		total++
	}
	s := fmt.Sprintf("%d/%d segments done", done, total)
	if len(run) > 0 {
		s += "; running: " + strings.Join(first(run, 8), ", ")
	}
	return s
}

// repairProgress sets a repair's progress from its segments: done, total (superseded segments
// not counted), and an ETA from the mean segment time and the parallelism.
func (ps *pass) repairProgress(o *cassmesosv1.Operation) {
	if o.Progress == nil {
		o.Progress = &cassmesosv1.Progress{}
	}
	var done, total int64
	var spent time.Duration
	for _, seg := range ps.sortedSegments(o.GetId()) {
		sg := seg.GetSegment()
		if sg.GetPhase() == segSkipped {
			continue
		}
		total++
		if sg.GetPhase() == segDone {
			done++
			if sg.GetStartTime() != nil && sg.GetEndTime() != nil {
				spent += sg.GetEndTime().AsTime().Sub(sg.GetStartTime().AsTime())
			}
		}
	}
	o.Progress.Done, o.Progress.Total, o.Progress.Eta = done, total, nil
	if done > 0 && total > done && !opFinished(o.GetPhase()) {
		p := RepairDefaults(o.GetParams().GetRepair())
		per := spent / time.Duration(done)
		eta := per * time.Duration(total-done) / time.Duration(p.GetParallel())
		eta = time.Duration(float64(eta) / p.GetIntensity())
		o.Progress.Eta = durationpb.New(eta.Round(time.Second))
	}
}

// repairWarnings sets each ring's warning when its last complete repair (or, never repaired, its
// creation) is older than gc_grace_seconds.
func (ps *pass) repairWarnings() {
	for _, name := range sortedKeys(ps.rings) {
		r := ps.ring(name)
		var want []string
		if w := GCGraceWarning(r, ps.now); w != "" {
			want = append(want, w)
		}
		var keep []string
		for _, w := range r.GetStatus().GetWarnings() {
			if !strings.HasPrefix(w, gcGraceWarningPrefix) {
				keep = append(keep, w)
			}
		}
		want = append(keep, want...)
		if strings.Join(want, "\n") != strings.Join(r.GetStatus().GetWarnings(), "\n") {
			w := ps.mutRing(name)
			if w.Status == nil {
				w.Status = &cassmesosv1.RingStatus{}
			}
			w.Status.Warnings = want
		}
		if t := gcGraceBase(r); t != nil && !r.GetDeleting() {
			if due := t.AsTime().Add(DefaultGCGrace); due.After(ps.now) {
				ps.wakeAt(due)
			}
		}
	}
}

const gcGraceWarningPrefix = "last complete repair"

func gcGraceBase(r *statev1.RingRecord) *timestamppb.Timestamp {
	if t := r.GetStatus().GetLastRepairTime(); t != nil {
		return t
	}
	return r.GetCreateTime()
}

// GCGraceWarning returns the ring's repair-age warning at now, or "".
func GCGraceWarning(r *statev1.RingRecord, now time.Time) string {
	base := gcGraceBase(r)
	if base == nil || r.GetDeleting() || now.Sub(base.AsTime()) <= DefaultGCGrace {
		return ""
	}
	if r.GetStatus().GetLastRepairTime() == nil {
		return gcGraceWarningPrefix + ": never, and the ring is older than gc_grace_seconds (10 days); deleted data may come back (cassmesos repair run " + r.GetSpec().GetName() + ")"
	}
	return gcGraceWarningPrefix + " ended " + base.AsTime().UTC().Format(time.RFC3339) + ", longer ago than gc_grace_seconds (10 days); deleted data may come back"
}
