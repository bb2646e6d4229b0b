package zkstate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
)

// The typed records the daemon keeps. Put* creates the record when expected is Absent and
// otherwise replaces it if its version is still expected; it returns the new version.

func invalid(op, rel string, s *Store, format string, args ...any) error {
	return &PathError{Op: op, Path: s.sess.root + rel, Kind: ErrInvalid, Err: fmt.Errorf(format, args...)}
}

func (s *Store) checkNames(op, rel string, what []string, names ...string) error {
	for i, n := range names {
		if err := checkName(n); err != nil {
			return invalid(op, rel, s, "%s: %w", what[i], err)
		}
	}
	return nil
}

// FrameworkID reads the stored Mesos framework ID record; ErrNotFound before the first SUBSCRIBE.
func (s *Store) FrameworkID(ctx context.Context) (*statev1.FrameworkRecord, Version, error) {
	rec := &statev1.FrameworkRecord{}
	v, err := s.Get(ctx, FrameworkIDPath(), rec)
	if err != nil {
		return nil, v, err
	}
	return rec, v, nil
}

// SetFrameworkID stores the framework ID record (expected: Absent the first time).
func (s *Store) SetFrameworkID(ctx context.Context, rec *statev1.FrameworkRecord, expected Version) (Version, error) {
	if rec.GetFrameworkId() == "" {
		return 0, invalid("create", FrameworkIDPath(), s, "empty framework ID")
	}
	return s.Put(ctx, FrameworkIDPath(), rec, expected)
}

// PutRing writes ring r.Spec.Name (with its "nodes" znode when created).
func (s *Store) PutRing(ctx context.Context, r *statev1.RingRecord, expected Version) (Version, error) {
	name := r.GetSpec().GetName()
	if err := s.checkNames("put", RingPath(name), []string{"ring name"}, name); err != nil {
		return 0, err
	}
	return s.Put(ctx, RingPath(name), r, expected)
}

// RingByName reads a ring; ErrNotFound if there is none.
func (s *Store) RingByName(ctx context.Context, name string) (*statev1.RingRecord, Version, error) {
	if err := s.checkNames("get", RingPath(name), []string{"ring name"}, name); err != nil {
		return nil, 0, err
	}
	r := &statev1.RingRecord{}
	v, err := s.Get(ctx, RingPath(name), r)
	if err != nil {
		return nil, v, err
	}
	return r, v, nil
}

// ListRings reads every ring, sorted by name.
func (s *Store) ListRings(ctx context.Context) ([]Record[*statev1.RingRecord], error) {
	return ListRecords(ctx, s, RingsPath(), func() *statev1.RingRecord { return &statev1.RingRecord{} })
}

// DeleteRing deletes a ring that has no nodes left (ErrNotEmpty otherwise).
func (s *Store) DeleteRing(ctx context.Context, name string, expected Version) error {
	if err := s.checkNames("delete", RingPath(name), []string{"ring name"}, name); err != nil {
		return err
	}
	return s.Delete(ctx, RingPath(name), expected)
}

// PutNode writes node n.Name of ring n.Ring; ErrNotFound if the ring does not exist.
func (s *Store) PutNode(ctx context.Context, n *statev1.NodeRecord, expected Version) (Version, error) {
	rel := NodePath(n.GetRing(), n.GetName())
	if err := s.checkNames("put", rel, []string{"ring name", "node name"}, n.GetRing(), n.GetName()); err != nil {
		return 0, err
	}
	return s.Put(ctx, rel, n, expected)
}

// NodeByName reads a node of a ring.
func (s *Store) NodeByName(ctx context.Context, ring, node string) (*statev1.NodeRecord, Version, error) {
	rel := NodePath(ring, node)
	if err := s.checkNames("get", rel, []string{"ring name", "node name"}, ring, node); err != nil {
		return nil, 0, err
	}
	n := &statev1.NodeRecord{}
	v, err := s.Get(ctx, rel, n)
	if err != nil {
		return nil, v, err
	}
	return n, v, nil
}

// ListNodes reads every node of a ring, sorted by name; ErrNotFound if the ring does not exist.
func (s *Store) ListNodes(ctx context.Context, ring string) ([]Record[*statev1.NodeRecord], error) {
	if err := s.checkNames("list", NodesPath(ring), []string{"ring name"}, ring); err != nil {
		return nil, err
	}
	return ListRecords(ctx, s, NodesPath(ring), func() *statev1.NodeRecord { return &statev1.NodeRecord{} })
}

// DeleteNode deletes a node record.
func (s *Store) DeleteNode(ctx context.Context, ring, node string, expected Version) error {
	rel := NodePath(ring, node)
	if err := s.checkNames("delete", rel, []string{"ring name", "node name"}, ring, node); err != nil {
		return err
	}
	return s.Delete(ctx, rel, expected)
}

// PutOperation writes operation op.Operation.Id (with its "segments" znode when created).
func (s *Store) PutOperation(ctx context.Context, op *statev1.OperationRecord, expected Version) (Version, error) {
	id := op.GetOperation().GetId()
	if err := s.checkNames("put", OperationPath(id), []string{"operation ID"}, id); err != nil {
		return 0, err
	}
	return s.Put(ctx, OperationPath(id), op, expected)
}

// OperationByID reads an operation.
func (s *Store) OperationByID(ctx context.Context, id string) (*statev1.OperationRecord, Version, error) {
	if err := s.checkNames("get", OperationPath(id), []string{"operation ID"}, id); err != nil {
		return nil, 0, err
	}
	op := &statev1.OperationRecord{}
	v, err := s.Get(ctx, OperationPath(id), op)
	if err != nil {
		return nil, v, err
	}
	return op, v, nil
}

// ListOperations reads every operation, sorted by ID (IDs sort by creation time).
func (s *Store) ListOperations(ctx context.Context) ([]Record[*statev1.OperationRecord], error) {
	return ListRecords(ctx, s, OperationsPath(), func() *statev1.OperationRecord { return &statev1.OperationRecord{} })
}

// deleteBatch bounds the deletes of one multi-op (well under ZooKeeper's 1 MiB request limit).
const deleteBatch = 500

// DeleteOperation deletes an operation, its step chunks and its segments. Those go first, in
// fenced batches; the operation record goes last with a compare-and-set on expected, so an
// interrupted delete leaves the record in place and can be run again.
func (s *Store) DeleteOperation(ctx context.Context, id string, expected Version) error {
	if err := s.checkNames("delete", OperationPath(id), []string{"operation ID"}, id); err != nil {
		return err
	}
	segs, err := s.List(ctx, SegmentsPath(id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	var children []string
	for _, n := range segs {
		children = append(children, SegmentsPath(id)+"/"+n)
	}
	kids, err := s.List(ctx, OperationPath(id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	for _, n := range kids {
		if strings.HasPrefix(n, StepChunkPrefix) {
			children = append(children, OperationPath(id)+"/"+n)
		}
	}
	for batch := range slices.Chunk(children, deleteBatch) {
		ops := make([]any, 0, len(batch))
		for _, rel := range batch {
			ops = append(ops, &zk.DeleteRequest{Path: s.sess.root + rel, Version: -1})
		}
		if _, err := s.multi(ctx, "delete", ops); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return s.Delete(ctx, OperationPath(id), expected)
}

// PutSegment writes repair segment seg.Segment.Index of operation opID; ErrNotFound if the
// operation does not exist.
func (s *Store) PutSegment(ctx context.Context, opID string, seg *statev1.SegmentRecord, expected Version) (Version, error) {
	n := int(seg.GetSegment().GetIndex())
	rel := SegmentPath(opID, n)
	if err := s.checkNames("put", rel, []string{"operation ID"}, opID); err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, invalid("put", rel, s, "negative segment index %d", n)
	}
	return s.Put(ctx, rel, seg, expected)
}

// SegmentByIndex reads repair segment n of operation opID.
func (s *Store) SegmentByIndex(ctx context.Context, opID string, n int) (*statev1.SegmentRecord, Version, error) {
	rel := SegmentPath(opID, n)
	if err := s.checkNames("get", rel, []string{"operation ID"}, opID); err != nil {
		return nil, 0, err
	}
	seg := &statev1.SegmentRecord{}
	v, err := s.Get(ctx, rel, seg)
	if err != nil {
		return nil, v, err
	}
	return seg, v, nil
}

// ListSegments reads every segment of operation opID, in index order.
func (s *Store) ListSegments(ctx context.Context, opID string) ([]Record[*statev1.SegmentRecord], error) {
	if err := s.checkNames("list", SegmentsPath(opID), []string{"operation ID"}, opID); err != nil {
		return nil, err
	}
	recs, err := ListRecords(ctx, s, SegmentsPath(opID), func() *statev1.SegmentRecord { return &statev1.SegmentRecord{} })
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(recs, func(a, b Record[*statev1.SegmentRecord]) int {
		x, errA := strconv.Atoi(a.Name)
		y, errB := strconv.Atoi(b.Name)
		if errA != nil || errB != nil {
			return 0
		}
		return x - y
	})
	return recs, nil
}

// PutSchedule writes repair schedule sch.Schedule.Id.
func (s *Store) PutSchedule(ctx context.Context, sch *statev1.ScheduleRecord, expected Version) (Version, error) {
	id := sch.GetSchedule().GetId()
	if err := s.checkNames("put", SchedulePath(id), []string{"schedule ID"}, id); err != nil {
		return 0, err
	}
	return s.Put(ctx, SchedulePath(id), sch, expected)
}

// ScheduleByID reads a repair schedule.
func (s *Store) ScheduleByID(ctx context.Context, id string) (*statev1.ScheduleRecord, Version, error) {
	if err := s.checkNames("get", SchedulePath(id), []string{"schedule ID"}, id); err != nil {
		return nil, 0, err
	}
	sch := &statev1.ScheduleRecord{}
	v, err := s.Get(ctx, SchedulePath(id), sch)
	if err != nil {
		return nil, v, err
	}
	return sch, v, nil
}

// ListSchedules reads every repair schedule, sorted by ID.
func (s *Store) ListSchedules(ctx context.Context) ([]Record[*statev1.ScheduleRecord], error) {
	return ListRecords(ctx, s, SchedulesPath(), func() *statev1.ScheduleRecord { return &statev1.ScheduleRecord{} })
}

// DeleteSchedule deletes a repair schedule.
func (s *Store) DeleteSchedule(ctx context.Context, id string, expected Version) error {
	if err := s.checkNames("delete", SchedulePath(id), []string{"schedule ID"}, id); err != nil {
		return err
	}
	return s.Delete(ctx, SchedulePath(id), expected)
}
