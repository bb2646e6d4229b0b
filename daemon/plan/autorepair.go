package plan

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/internal/specrules"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Cassandra's Auto Repair (CEP-37, Cassandra 5.0.7+) as a ring's repair engine.
//
// A ring repairs with EITHER cassmesos' segmented runs and schedules (repair.go, schedule.go) OR
// Cassandra's own scheduler (spec.repair_engine CASSANDRA), never both: on a ring whose engine
// is cassandra, `repair run` (manual or --if-idle) and new schedules are refused, and existing
// schedules skip their runs. The executor renders the JVM property and the auto_repair section.
//
// Auto Repair knows nothing of topology changes, so every topology operation of such a ring
// (scale, replace, decommission, remove: autoRepairPausers) pauses it first on every live node
// (nodetool setautorepairconfig -t <type> enabled false, relayed like any nodetool action and
// fenced by the leader epoch) and resumes it once the operation has ended, however it ended. The
// intent is persisted in the operation (OperationCursor.auto_repair) before the first call, so a
// daemon killed at any point resumes where it was: pausing again (calls are idempotent), or
// resuming after the operation. While paused, a node that comes up with a new task (the
// replacement, a node recovered in place) is paused too; Auto Repair's own initial delay
// (initial_scheduler_delay, 5 minutes by default) leaves time for that.

// autoRepairPausers are the operation kinds that change the ring's topology.
var autoRepairPausers = map[cassmesosv1.OperationKind]bool{
	cassmesosv1.OperationKind_OPERATION_KIND_SCALE_RING:        true,
	cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE:      true,
	cassmesosv1.OperationKind_OPERATION_KIND_DECOMMISSION_NODE: true,
	cassmesosv1.OperationKind_OPERATION_KIND_REMOVE_NODE:       true,
}

// autoRepairRetry is the wait after a failed pause or resume call.
const autoRepairRetry = 5 * time.Second

// UsesAutoRepair reports whether the ring's repair engine is Cassandra's Auto Repair.
func UsesAutoRepair(spec *cassmesosv1.RingSpec) bool {
	return spec.GetRepairEngine() == cassmesosv1.RepairEngine_REPAIR_ENGINE_CASSANDRA
}

// AutoRepairTypesOf are the repair types the ring enables (default full).
func AutoRepairTypesOf(spec *cassmesosv1.RingSpec) []string {
	if t := spec.GetAutoRepair().GetRepairTypes(); len(t) > 0 {
		return append([]string(nil), t...)
	}
	return []string{"full"}
}

// autoRepairConfig is NodeTaskConfig.auto_repair for a ring: its settings with defaults filled
// in, nil when the ring's engine is cassmesos.
func autoRepairConfig(spec *cassmesosv1.RingSpec) *cassmesosv1.AutoRepairSpec {
	if !UsesAutoRepair(spec) {
		return nil
	}
	out := &cassmesosv1.AutoRepairSpec{RepairTypes: AutoRepairTypesOf(spec), MinRepairInterval: spec.GetAutoRepair().GetMinRepairInterval()}
	if out.MinRepairInterval == nil {
		out.MinRepairInterval = durationpb.New(specrules.DefaultAutoRepairInterval)
	}
	return out
}

// AutoRepairResuming reports whether the operation's Auto Repair resume is still under way (its
// relay results must be kept although the operation has ended).
func AutoRepairResuming(rec *statev1.OperationRecord) bool {
	switch rec.GetState().GetAutoRepair().GetPhase() {
	case statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSING, statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSED,
		statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMING:
		return true
	}
	return false
}

// validateRepairEngine checks repair_engine and auto_repair.
func validateRepairEngine(s *cassmesosv1.RingSpec) error {
	switch s.GetRepairEngine() {
	case cassmesosv1.RepairEngine_REPAIR_ENGINE_UNSPECIFIED, cassmesosv1.RepairEngine_REPAIR_ENGINE_CASSMESOS:
		if s.GetAutoRepair() != nil {
			return invalid("auto_repair", "set, but the repair engine is cassmesos (Auto Repair needs repair_engine cassandra)")
		}
		return nil
	case cassmesosv1.RepairEngine_REPAIR_ENGINE_CASSANDRA:
	default:
		return invalid("repair_engine", "unknown engine %v (cassmesos or cassandra)", s.GetRepairEngine())
	}
	if d := s.GetAutoRepair().GetMinRepairInterval(); d != nil && d.CheckValid() != nil {
		return invalid("auto_repair.min_repair_interval", "%v is not a duration", d)
	}
	if err := specrules.AutoRepair("spec.auto_repair.", s.GetAutoRepair().GetRepairTypes(), s.GetAutoRepair().GetMinRepairInterval().AsDuration()); err != nil {
		return broken(err)
	}
	if v := s.GetDistribution().GetVersion(); v != "" && versionBefore(v, 5, 0, 7) {
		return invalid("repair_engine", "Cassandra's Auto Repair needs Cassandra 5.0.7 or later (distribution.version is %s)", v)
	}
	return nil
}

// versionBefore reports whether the dotted version v is before major.minor.patch (a part that is
// not a number counts as 0).
func versionBefore(v string, want ...int) bool {
	core, _, _ := strings.Cut(v, "-")
	parts := strings.Split(core, ".")
	for i, w := range want {
		n := 0
		if i < len(parts) {
			fmt.Sscanf(parts[i], "%d", &n)
		}
		if n != w {
			return n < w
		}
	}
	return false
}

// refuseCassmesosRepair is the error for a cassmesos repair run or schedule on a ring whose
// engine is Cassandra's Auto Repair, or nil.
func refuseCassmesosRepair(r *statev1.RingRecord) error {
	if !UsesAutoRepair(r.GetSpec()) {
		return nil
	}
	return refused("ring %s is repaired by Cassandra's Auto Repair (repair engine cassandra); cassmesos repair runs and schedules are off for it (switch with: cassmesos ring update %s --repair-engine cassmesos)",
		r.GetSpec().GetName(), r.GetSpec().GetName())
}

// autoRepairGate runs before an operation's steps: for a topology operation of a ring on Auto
// Repair it persists the pause intent and pauses every live node; the steps wait (ok false, msg
// says why) until every live node answered. Once paused it keeps nodes that come up with a new
// task paused.
func (ps *pass) autoRepairGate(rec *statev1.OperationRecord) (msg string, failed bool, ok bool) {
	o := rec.GetOperation()
	if !autoRepairPausers[o.GetKind()] {
		return "", false, true
	}
	st := opState(rec)
	r := ps.ring(o.GetRing())
	if st.AutoRepair == nil {
		if !UsesAutoRepair(r.GetSpec()) {
			return "", false, true
		}
		st.AutoRepair = &statev1.AutoRepairPause{Phase: statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSING, PhaseTime: ps.ts()}
	}
	ar := st.AutoRepair
	switch ar.GetPhase() {
	case statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSING:
		if prev := ps.autoRepairResumer(o.GetRing(), o.GetId()); prev != "" {
			// A pause sent while an earlier operation's resume is still under way could reach a
			// node before that resume does, leaving Auto Repair running during this change.
			m := "pausing Cassandra Auto Repair before the topology change: waiting for operation " + prev + " to finish resuming it"
			if e := ps.ops[prev].GetState().GetAutoRepair().GetLastError(); e != "" {
				return m + " (last error: " + e + ")", true, false
			}
			return m, false, false
		}
		pending := ps.autoRepairCalls(o.GetId(), r, ar, false)
		if len(pending) > 0 {
			m := "pausing Cassandra Auto Repair before the topology change: waiting for " + strings.Join(pending, ", ")
			if ar.GetLastError() != "" {
				return m + " (last error: " + ar.GetLastError() + ")", true, false
			}
			return m, false, false
		}
		ar.Phase, ar.PausedTime, ar.PhaseTime, ar.Attempt, ar.RetryTime = statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSED, ps.ts(), ps.ts(), 0, nil
		ar.LastError = ""
	case statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSED:
		ps.autoRepairCalls(o.GetId(), r, ar, false)
	}
	return "", false, true
}

// holdForAutoRepair keeps an operation's steps waiting while Auto Repair is being paused: the
// operation is RUNNING (BLOCKED when a call failed) and may be cancelled, nothing having started.
func (ps *pass) holdForAutoRepair(id string, rec *statev1.OperationRecord, msg string, stuck bool) {
	o := rec.Operation
	if o.GetCancelRequested() {
		ps.unwant(id)
		ps.finishOp(rec, cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED, "")
		return
	}
	o.Phase, o.BlockedReason = cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING, ""
	opState(rec).Safe = stuck
	if stuck {
		o.Phase, o.BlockedReason = cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED, msg
	}
	if i := currentStep(o); i < len(o.Steps) {
		o.Steps[i].Message = msg
	}
	ps.progress(o)
}

// resumeAutoRepair resumes Auto Repair after every ended topology operation that paused it. When
// another topology operation of the ring runs, that one takes the pause over instead.
func (ps *pass) resumeAutoRepair() {
	for _, id := range ps.opsByAge() {
		rec := ps.ops[id]
		o := rec.GetOperation()
		ar := rec.GetState().GetAutoRepair()
		if ar == nil || !AutoRepairResuming(rec) || opActive(o) {
			continue
		}
		w := opState(ps.mutOp(id)).AutoRepair
		r := ps.ring(o.GetRing())
		if r == nil || r.GetDeleting() || !UsesAutoRepair(r.GetSpec()) {
			// Nothing to resume: the ring is gone or no longer on Auto Repair.
			w.Phase, w.PhaseTime, w.ResumedTime = statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMED, ps.ts(), ps.ts()
			continue
		}
		if w.GetPhase() != statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMING {
			if next := ps.autoRepairSuccessor(o.GetRing(), id); next != "" {
				w.Phase, w.PhaseTime, w.HandedTo = statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMED, ps.ts(), next
				continue
			}
			// Pause calls still under way (to a node that came up with a new task as the
			// operation ended) are answered first: a resume sent beside them could reach
			// Cassandra before the pause does and leave the node paused for good.
			if len(ps.autoRepairSettle(id, r, w)) > 0 {
				continue
			}
			w.Phase, w.PhaseTime, w.Attempt, w.Nodes, w.RetryTime, w.LastError = statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMING, ps.ts(), 0, nil, nil, ""
		}
		if len(ps.autoRepairCalls(id, r, w, true)) == 0 {
			w.Phase, w.PhaseTime, w.ResumedTime, w.RetryTime = statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMED, ps.ts(), ps.ts(), nil
		}
	}
}

// autoRepairResumer is an ended operation of the ring other than except whose Auto Repair
// resume is under way, or "".
func (ps *pass) autoRepairResumer(ring, except string) string {
	for _, id := range ps.opsByAge() {
		rec := ps.ops[id]
		if id != except && rec.GetOperation().GetRing() == ring && !opActive(rec.GetOperation()) &&
			rec.GetState().GetAutoRepair().GetPhase() == statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMING {
			return id
		}
	}
	return ""
}

// autoRepairSettle waits, before the resume, for the answer to every pause call of the
// operation's current attempt that may still be on its way: each UN node whose current task has
// not answered the pause gets that call again under the same relay ID (the runtime runs an ID
// once, so a call in flight is not repeated) and is returned as pending until it answered. A
// failed answer settles the node too (the call is over; the resume follows and is retried).
func (ps *pass) autoRepairSettle(opID string, r *statev1.RingRecord, ar *statev1.AutoRepairPause) []string {
	var pending []string
	for _, n := range ps.ringNodes(r.GetSpec().GetName()) {
		name := n.GetName()
		if !ps.isUN(n) || n.GetTaskId() == "" || ar.GetNodes()[name] == n.GetTaskId() {
			continue
		}
		rid := fmt.Sprintf("%s/autorepair/pause/%s/%d", opID, name, ar.GetAttempt())
		if res, done := ps.s.Relays[rid]; done && res.Done {
			continue
		}
		pending = append(pending, name)
		rl := ps.relayTo(n, RelayAutoRepair)
		rl.ID = rid
		rl.Enable, rl.RepairTypes, rl.Timeout = false, AutoRepairTypesOf(r.GetSpec()), 2*time.Minute
		ps.act(rl)
	}
	sort.Strings(pending)
	return pending
}

// autoRepairSuccessor is a running topology operation of the ring other than except whose pause
// is under way or done, or "".
func (ps *pass) autoRepairSuccessor(ring, except string) string {
	for _, id := range ps.opsByAge() {
		rec := ps.ops[id]
		o := rec.GetOperation()
		if id == except || o.GetRing() != ring || !opRunning(o) || !autoRepairPausers[o.GetKind()] {
			continue
		}
		switch rec.GetState().GetAutoRepair().GetPhase() {
		case statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSING, statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSED:
			return id
		}
	}
	return ""
}

// autoRepairCalls relays the pause (enable false) or resume call to every UN node of the ring
// that has not answered it with its current task, folds in the answers, and returns the nodes
// still waited for. Nodes that are not UN are skipped: a stopped Cassandra does not repair, and a
// restarted one is called again when it is UN with its new task. A failed call is retried after
// autoRepairRetry under a new attempt number.
func (ps *pass) autoRepairCalls(opID string, r *statev1.RingRecord, ar *statev1.AutoRepairPause, enable bool) []string {
	verb := "pause"
	if enable {
		verb = "resume"
	}
	if ar.Nodes == nil {
		ar.Nodes = map[string]string{}
	}
	var pending []string
	retryAt := ar.GetRetryTime().AsTime()
	for _, n := range ps.ringNodes(r.GetSpec().GetName()) {
		name := n.GetName()
		if !ps.isUN(n) || n.GetTaskId() == "" || ar.Nodes[name] == n.GetTaskId() {
			continue
		}
		rid := fmt.Sprintf("%s/autorepair/%s/%s/%d", opID, verb, name, ar.GetAttempt())
		if res, done := ps.s.Relays[rid]; done && res.Done {
			if res.Err == "" {
				ar.Nodes[name] = n.GetTaskId()
				continue
			}
			ar.LastError = name + ": " + res.Err
			ar.Attempt++
			ar.RetryTime = timestamppb.New(ps.now.Add(autoRepairRetry))
			retryAt = ar.GetRetryTime().AsTime()
		}
		pending = append(pending, name)
		if ar.GetRetryTime() != nil && ps.now.Before(retryAt) {
			ps.wakeAt(retryAt)
			continue
		}
		rl := ps.relayTo(n, RelayAutoRepair)
		rl.ID = fmt.Sprintf("%s/autorepair/%s/%s/%d", opID, verb, name, ar.GetAttempt())
		rl.Enable, rl.RepairTypes, rl.Timeout = enable, AutoRepairTypesOf(r.GetSpec()), 2*time.Minute
		ps.act(rl)
	}
	// Forget nodes that left the ring.
	for name := range ar.Nodes {
		if n := ps.node(name); n == nil || n.GetRing() != r.GetSpec().GetName() {
			delete(ar.Nodes, name)
		}
	}
	sort.Strings(pending)
	return pending
}

// AutoRepairPauses returns the ring's operations that paused Auto Repair, oldest first.
func AutoRepairPauses(s *State, ring string) []*cassmesosv1.AutoRepairPauseInfo {
	var ids []string
	for id, rec := range s.Operations {
		if rec.GetOperation().GetRing() == ring && rec.GetState().GetAutoRepair() != nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := s.Operations[ids[i]].GetOperation().GetCreateTime().AsTime(), s.Operations[ids[j]].GetOperation().GetCreateTime().AsTime()
		return a.Before(b) || (a.Equal(b) && ids[i] < ids[j])
	})
	out := make([]*cassmesosv1.AutoRepairPauseInfo, 0, len(ids))
	for _, id := range ids {
		ar := s.Operations[id].GetState().GetAutoRepair()
		info := &cassmesosv1.AutoRepairPauseInfo{OperationId: id,
			Phase:      strings.TrimPrefix(ar.GetPhase().String(), "AUTO_REPAIR_PAUSE_PHASE_"),
			PausedTime: ar.GetPausedTime(), ResumedTime: ar.GetResumedTime(), LastError: ar.GetLastError()}
		if ar.GetHandedTo() != "" {
			info.Phase += " (handed to " + ar.GetHandedTo() + ")"
		}
		out = append(out, info)
	}
	return out
}
