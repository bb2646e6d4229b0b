package zkstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
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

func (s *Store) persistMaintenance(ctx context.Context, w plan.Write) (string, error) {
	switch w.Kind {
	case plan.RecordSegment:
		key := segKey(w.Name, w.Segment.GetSegment().GetIndex())
		v, ok := s.version(key)
		if !ok {
			v = zkstate.Absent
		}
		nv, err := s.zk.PutSegment(ctx, w.Name, w.Segment, v)
		if err == nil {
			s.setVersion(key, nv, true)
		}
		return "put_segment", err
	default: // plan.RecordSchedule
		key := schedKey(w.Name)
		v, ok := s.version(key)
		if w.Delete {
			if !ok {
				return "delete_schedule", nil
			}
			err := s.zk.DeleteSchedule(ctx, w.Name, v)
			if err == nil || errors.Is(err, zkstate.ErrNotFound) {
				s.setVersion(key, 0, false)
				return "delete_schedule", nil
			}
			return "delete_schedule", err
		}
		if !ok {
			v = zkstate.Absent
		}
		nv, err := s.zk.PutSchedule(ctx, w.Schedule, v)
		if err == nil {
			s.setVersion(key, nv, true)
		}
		return "put_schedule", err
	}
}

// segmentRun returns the end of the run of consecutive segment writes starting at i (i itself
// when writes[i] is not one).
func segmentRun(writes []plan.Write, i int) int {
	j := i
	for j < len(writes) && writes[j].Kind == plan.RecordSegment && !writes[j].Delete && writes[j].Segment != nil {
		j++
	}
	return j
}

// maxSegmentWrites bounds the segment writes in flight at once.
const maxSegmentWrites = 64

// persistSegments stores a run of segment writes (distinct znodes, each its own fenced
// compare-and-set) concurrently — ZooKeeper pipelines them on the session — in two phases: first
// every segment that does not become RUNNING (ends, retries, new pending segments), then those
// that do, so a segment is recorded RUNNING only after the ends that freed its replicas are
// stored. It returns the first failure in write order; other writes of the failing phase may be
// stored (each is the same record the next pass writes again, with the version learnt here), but
// no write of a later phase is attempted.
func (s *Store) persistSegments(ctx context.Context, ws []plan.Write) error {
	var ends, starts []plan.Write
	for _, w := range ws {
		if w.Segment.GetSegment().GetPhase() == cassmesosv1.StepPhase_STEP_PHASE_RUNNING {
			starts = append(starts, w)
		} else {
			ends = append(ends, w)
		}
	}
	for _, phase := range [][]plan.Write{ends, starts} {
		errs := make([]error, len(phase))
		sem := make(chan struct{}, maxSegmentWrites)
		var wg sync.WaitGroup
		for i, w := range phase {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				start := time.Now()
				op, err := s.persistMaintenance(ctx, w)
				if s.observe != nil {
					s.observe(op, time.Since(start), err)
				}
				switch {
				case errors.Is(err, zkstate.ErrConflict):
					err = s.resolveConflict(ctx, w, err)
				case errors.Is(err, zkstate.ErrUnavailable):
					s.refresh(ctx, w)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err == nil {
				continue
			}
			if errors.Is(err, zkstate.ErrNotLeader) {
				return fmt.Errorf("%w: %w", engine.ErrNotLeader, err)
			}
			return err
		}
	}
	return nil
}
