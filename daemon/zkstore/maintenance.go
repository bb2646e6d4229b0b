package zkstore

import (
	"context"
	"errors"
	"strconv"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// Repair segments (/operations/<id>/segments/<n>, one znode each) and schedules (/schedules/<id>).

func segKey(op string, idx int32) string { return "seg/" + op + "/" + strconv.Itoa(int(idx)) }
func schedKey(id string) string          { return "sched/" + id }

// LoadMaintenance reads the segments of the given operations and every schedule, remembering
// their versions (engine.MaintenanceStore).
func (s *Store) LoadMaintenance(ctx context.Context, opIDs []string) (map[string]map[int32]*statev1.SegmentRecord, map[string]*statev1.ScheduleRecord, error) {
	segs := map[string]map[int32]*statev1.SegmentRecord{}
	scheds := map[string]*statev1.ScheduleRecord{}
	versions := map[string]zkstate.Version{}
	for _, id := range opIDs {
		recs, err := s.zk.ListSegments(ctx, id)
		if errors.Is(err, zkstate.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		m := map[int32]*statev1.SegmentRecord{}
		for _, r := range recs {
			idx := r.Value.GetSegment().GetIndex()
			m[idx] = r.Value
			versions[segKey(id, idx)] = r.Version
		}
		segs[id] = m
	}
	ss, err := s.zk.ListSchedules(ctx)
	if err != nil && !errors.Is(err, zkstate.ErrNotFound) {
		return nil, nil, err
	}
	for _, r := range ss {
		scheds[r.Name] = r.Value
		versions[schedKey(r.Name)] = r.Version
	}
	s.mu.Lock()
	for k, v := range versions {
		s.versions[k] = v
	}
	s.mu.Unlock()
	return segs, scheds, nil
}
