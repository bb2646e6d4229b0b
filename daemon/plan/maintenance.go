package plan

import (
	"errors"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Maintenance operations (REPAIR, CLEANUP) run beside the ring's topology operations instead of
// queueing with them: a topology operation (bootstrap, replace, decommission, remove, restart,
// update, scale, delete) may start while a repair runs, and the repair then pauses — it starts no
// segment while a topology operation runs or a node is joining, leaving or being replaced — and
// resumes on recomputed ranges afterwards (invariant 4). A maintenance operation itself starts only
// when no other exclusive operation of its ring runs and no older one waits, so one repair or
// cleanup runs per ring at a time.

// ErrScheduleNotFound is returned for an unknown repair schedule ID (the gRPC edge maps it to
// NotFound).
var ErrScheduleNotFound = errors.New("schedule not found")

// ErrKeyspaceNotFound is wrapped by relay and describe errors when the keyspace does not exist
// (the node agent client wraps the executor's NotFound in it; the gRPC edge maps it to NotFound).
var ErrKeyspaceNotFound = errors.New("keyspace not found")

func maintenance(k cassmesosv1.OperationKind) bool { return ruleOf(k).maintenance }

// maintenanceMayStart reports whether the pending maintenance operation id may start: no other
// exclusive operation of its ring runs and none older waits. order is every operation by age.
func (ps *pass) maintenanceMayStart(id string, order []string) bool {
	o := ps.ops[id].GetOperation()
	older := true
	for _, other := range order {
		if other == id {
			older = false
			continue
		}
		x := ps.ops[other].GetOperation()
		if x.GetRing() != o.GetRing() || !exclusive(x.GetKind()) {
			continue
		}
		if opRunning(x) {
			return false
		}
		if older && x.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_PENDING {
			return false
		}
	}
	return true
}

// topologyBusy describes why a ring's maintenance must pause ("operation X (replace node) is
// running", "demo-3 is joining"), or "".
func (ps *pass) topologyBusy(ring string) string {
	for _, id := range ps.opsByAge() {
		o := ps.ops[id].GetOperation()
		if o.GetRing() == ring && opRunning(o) && exclusive(o.GetKind()) && !maintenance(o.GetKind()) {
			return "operation " + id + " (" + kindWords(o.GetKind()) + ") is running"
		}
	}
	return ps.topologyChange(ring, "")
}

func kindWords(k cassmesosv1.OperationKind) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k.String(), "OPERATION_KIND_")), "_", " ")
}

// mntState is a pass's working copy of segments and schedules (copy on write).
type mntState struct {
	segs      map[string]map[int32]*statev1.SegmentRecord
	ownSegs   map[string]bool           // inner maps already copied
	mutSegs   map[string]map[int32]bool // changed segments
	scheds    map[string]*statev1.ScheduleRecord
	mutScheds map[string]bool
	delScheds []string
}

func (ps *pass) m() *mntState {
	if ps.mnt == nil {
		ps.mnt = &mntState{
			segs:      copyMap(ps.s.Segments),
			ownSegs:   map[string]bool{},
			mutSegs:   map[string]map[int32]bool{},
			scheds:    copyMap(ps.s.Schedules),
			mutScheds: map[string]bool{},
		}
	}
	return ps.mnt
}

// segments returns an operation's working segments (read only).
func (ps *pass) segments(opID string) map[int32]*statev1.SegmentRecord {
	if ps.mnt == nil {
		return ps.s.Segments[opID]
	}
	return ps.mnt.segs[opID]
}

// sortedSegments returns an operation's working segments by index.
func (ps *pass) sortedSegments(opID string) []*statev1.SegmentRecord {
	m := ps.segments(opID)
	out := make([]*statev1.SegmentRecord, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetSegment().GetIndex() < out[j].GetSegment().GetIndex() })
	return out
}

func (ps *pass) putSegment(opID string, rec *statev1.SegmentRecord) {
	m := ps.m()
	if !m.ownSegs[opID] {
		m.segs[opID] = copyMap(m.segs[opID])
		m.ownSegs[opID] = true
	}
	idx := rec.GetSegment().GetIndex()
	m.segs[opID][idx] = rec
	if m.mutSegs[opID] == nil {
		m.mutSegs[opID] = map[int32]bool{}
	}
	m.mutSegs[opID][idx] = true
}

// mutSegment returns a clone of segment idx of opID, stored in the working copy.
func (ps *pass) mutSegment(opID string, idx int32) *statev1.SegmentRecord {
	cur := ps.segments(opID)[idx]
	if cur == nil {
		return nil
	}
	if ps.mnt != nil && ps.mnt.mutSegs[opID][idx] {
		return cur
	}
	c := proto.Clone(cur).(*statev1.SegmentRecord)
	ps.putSegment(opID, c)
	return c
}

func (ps *pass) schedule(id string) *statev1.ScheduleRecord {
	if ps.mnt == nil {
		return ps.s.Schedules[id]
	}
	return ps.mnt.scheds[id]
}

func (ps *pass) mutSchedule(id string) *statev1.ScheduleRecord {
	m := ps.m()
	cur := m.scheds[id]
	if cur == nil {
		return nil
	}
	if !m.mutScheds[id] {
		cur = proto.Clone(cur).(*statev1.ScheduleRecord)
		m.scheds[id] = cur
		m.mutScheds[id] = true
	}
	return cur
}

func (ps *pass) putSchedule(rec *statev1.ScheduleRecord) {
	m := ps.m()
	m.scheds[rec.GetSchedule().GetId()] = rec
	m.mutScheds[rec.GetSchedule().GetId()] = true
}

func (ps *pass) deleteSchedule(id string) {
	m := ps.m()
	delete(m.scheds, id)
	delete(m.mutScheds, id)
	m.delScheds = append(m.delScheds, id)
}

// maintenanceWrites returns the changed segments (after the operation records, which the caller
// writes first) and schedules.
func (ps *pass) maintenanceWrites() []Write {
	if ps.mnt == nil {
		return nil
	}
	var out []Write
	for _, id := range sortedKeys(ps.mnt.mutSegs) {
		idxs := make([]int32, 0, len(ps.mnt.mutSegs[id]))
		for i := range ps.mnt.mutSegs[id] {
			idxs = append(idxs, i)
		}
		sort.Slice(idxs, func(a, b int) bool { return idxs[a] < idxs[b] })
		ring := ps.ops[id].GetOperation().GetRing()
		for _, i := range idxs {
			rec := ps.mnt.segs[id][i]
			if old := ps.s.Segments[id][i]; old != nil && proto.Equal(old, rec) {
				continue
			}
			out = append(out, Write{Kind: RecordSegment, RingName: ring, Name: id, Segment: rec})
		}
	}
	for _, id := range sortedKeys(ps.mnt.mutScheds) {
		rec := ps.mnt.scheds[id]
		if old := ps.s.Schedules[id]; old != nil && proto.Equal(old, rec) {
			continue
		}
		out = append(out, Write{Kind: RecordSchedule, RingName: rec.GetSchedule().GetRing(), Name: id, Schedule: rec})
	}
	for _, id := range ps.mnt.delScheds {
		if old, ok := ps.s.Schedules[id]; ok {
			out = append(out, Write{Kind: RecordSchedule, Delete: true, RingName: old.GetSchedule().GetRing(), Name: id})
		}
	}
	return out
}

// applyMaintenance folds a segment or schedule write into the state.
func (s *State) applyMaintenance(w Write) {
	switch w.Kind {
	case RecordSegment:
		if s.Segments == nil {
			s.Segments = map[string]map[int32]*statev1.SegmentRecord{}
		}
		if w.Delete {
			delete(s.Segments, w.Name)
			return
		}
		m := s.Segments[w.Name]
		if m == nil {
			m = map[int32]*statev1.SegmentRecord{}
			s.Segments[w.Name] = m
		}
		m[w.Segment.GetSegment().GetIndex()] = w.Segment
	case RecordSchedule:
		if s.Schedules == nil {
			s.Schedules = map[string]*statev1.ScheduleRecord{}
		}
		if w.Delete {
			delete(s.Schedules, w.Name)
		} else {
			s.Schedules[w.Name] = w.Schedule
		}
	}
}

// maintenanceRequest is a Submit request handled by the maintenance code.
type maintenanceRequest interface {
	Request
	isMaintenance()
}

func (ps *pass) submitMaintenance(req maintenanceRequest) (Accepted, error) {
	switch r := req.(type) {
	case RunRepair:
		return ps.runRepairReq(r)
	case PauseRepair:
		return ps.pauseRepairReq(r.ID, true)
	case ResumeRepair:
		return ps.pauseRepairReq(r.ID, false)
	case RunCleanup:
		return ps.runCleanupReq(r)
	case RunBackup:
		return ps.runBackupReq(r)
	case RunRestore:
		return ps.runRestoreReq(r)
	case RunDeleteBackup:
		return ps.runDeleteBackupReq(r)
	case CreateSchedule:
		return ps.createScheduleReq(r)
	case DeleteSchedule:
		return ps.deleteScheduleReq(r)
	}
	return Accepted{}, errors.New("unknown maintenance request")
}

// activeRepair returns the ID of an active REPAIR operation of the ring, oldest first, or "".
func (ps *pass) activeRepair(ring string) string {
	for _, id := range ps.opsByAge() {
		o := ps.ops[id].GetOperation()
		if o.GetRing() == ring && o.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPAIR && opActive(o) {
			return id
		}
	}
	return ""
}
