package zkstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// Store is the engine's Store over a (fenced) zkstate.Store.
type Store struct {
	zk      *zkstate.Store
	observe func(op string, d time.Duration, err error)

	mu       sync.Mutex
	versions map[string]zkstate.Version // by record key
}

// New wraps a zkstate store (the leadership's fenced store in production). observe, if not nil,
// is told the latency and outcome of every write.
func New(zk *zkstate.Store, observe func(op string, d time.Duration, err error)) *Store {
	return &Store{zk: zk, observe: observe, versions: map[string]zkstate.Version{}}
}

func ringKey(name string) string       { return "ring/" + name }
func nodeKey(ring, node string) string { return "node/" + ring + "/" + node }
func opKey(id string) string           { return "op/" + id }

// Load reads every ring, node and operation record and remembers their versions.
func (s *Store) Load(ctx context.Context) (map[string]*statev1.RingRecord, map[string]*statev1.NodeRecord, map[string]*statev1.OperationRecord, error) {
	rings, nodes, ops := map[string]*statev1.RingRecord{}, map[string]*statev1.NodeRecord{}, map[string]*statev1.OperationRecord{}
	versions := map[string]zkstate.Version{}
	rs, err := s.zk.ListRings(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, r := range rs {
		rings[r.Name] = r.Value
		versions[ringKey(r.Name)] = r.Version
		ns, err := s.zk.ListNodes(ctx, r.Name)
		if err != nil && !errors.Is(err, zkstate.ErrNotFound) {
			return nil, nil, nil, err
		}
		for _, n := range ns {
			nodes[n.Name] = n.Value
			versions[nodeKey(r.Name, n.Name)] = n.Version
		}
	}
	os, err := s.zk.ListOperations(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, o := range os {
		ops[o.Name] = o.Value
		versions[opKey(o.Name)] = o.Version
	}
	s.mu.Lock()
	s.versions = versions
	s.mu.Unlock()
	return rings, nodes, ops, nil
}

// Persist stores writes in order, each a fenced compare-and-set. It stops at the first failure;
// a failure because leadership is gone wraps engine.ErrNotLeader. A run of consecutive segment
// writes is stored concurrently (persistSegments).
func (s *Store) Persist(ctx context.Context, writes []plan.Write) error {
	for i := 0; i < len(writes); i++ {
		w := writes[i]
		if j := segmentRun(writes, i); j-i > 1 {
			if err := s.persistSegments(ctx, writes[i:j]); err != nil {
				return err
			}
			i = j - 1
			continue
		}
		start := time.Now()
		op, err := s.persist(ctx, w)
		if s.observe != nil {
			s.observe(op, time.Since(start), err)
		}
		if err != nil {
			if errors.Is(err, zkstate.ErrNotLeader) {
				return fmt.Errorf("%w: %w", engine.ErrNotLeader, err)
			}
			if errors.Is(err, zkstate.ErrConflict) {
				if err = s.resolveConflict(ctx, w, err); err == nil {
					continue // an earlier attempt of this very write had landed
				}
				return err
			}
			if errors.Is(err, zkstate.ErrUnavailable) {
				s.refresh(ctx, w) // the write may have landed; learn the current version
			}
			return err
		}
	}
	return nil
}

// resolveConflict handles a write refused because the record's version moved. It never writes
// over the record: when the stored record is exactly what w writes (an earlier attempt of w
// landed, its answer lost) or w deletes a record already gone, it learns the version and the
// write counts as done (nil). When another writer changed the record, the version is left stale
// (every later write of the record is refused the same way) and the error wraps
// engine.ErrNotLeader: the engine stops, and the next term reloads the state — the other
// writer's record included — instead of overwriting it with a stale copy. When the record cannot
// be read, cause is returned as it is.
func (s *Store) resolveConflict(ctx context.Context, w plan.Write, cause error) error {
	key, stored, v, err := s.current(ctx, w)
	switch {
	case key == "":
		return cause
	case err == nil && !w.Delete && proto.Equal(stored, written(w)):
		s.setVersion(key, v, true)
		return nil
	case errors.Is(err, zkstate.ErrNotFound) && w.Delete:
		s.setVersion(key, 0, false)
		return nil
	case err != nil && !errors.Is(err, zkstate.ErrNotFound):
		return cause
	}
	return fmt.Errorf("%w: %s was changed by another writer; ending this term to reload the state instead of overwriting it: %w",
		engine.ErrNotLeader, key, cause)
}

// written is the record w stores (nil for a delete).
func written(w plan.Write) proto.Message {
	switch {
	case w.Delete:
		return nil
	case w.Kind == plan.RecordRing:
		return w.Ring
	case w.Kind == plan.RecordNode:
		return w.Node
	case w.Kind == plan.RecordOperation:
		return w.Operation
	case w.Kind == plan.RecordSegment:
		return w.Segment
	case w.Kind == plan.RecordSchedule:
		return w.Schedule
	}
	return nil
}

func (s *Store) version(key string) (zkstate.Version, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.versions[key]
	return v, ok
}

func (s *Store) setVersion(key string, v zkstate.Version, present bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if present {
		s.versions[key] = v
	} else {
		delete(s.versions, key)
	}
}

func (s *Store) persist(ctx context.Context, w plan.Write) (string, error) {
	switch w.Kind {
	case plan.RecordRing:
		key := ringKey(w.Name)
		v, ok := s.version(key)
		if w.Delete {
			if !ok {
				return "delete_ring", nil
			}
			err := s.zk.DeleteRing(ctx, w.Name, v)
			if err == nil || errors.Is(err, zkstate.ErrNotFound) {
				s.setVersion(key, 0, false)
				return "delete_ring", nil
			}
			return "delete_ring", err
		}
		if !ok {
			v = zkstate.Absent
		}
		nv, err := s.zk.PutRing(ctx, w.Ring, v)
		if err == nil {
			s.setVersion(key, nv, true)
		}
		return "put_ring", err
	case plan.RecordNode:
		ring := w.RingName
		if ring == "" && w.Node != nil {
			ring = w.Node.GetRing()
		}
		key := nodeKey(ring, w.Name)
		v, ok := s.version(key)
		if w.Delete {
			if !ok {
				return "delete_node", nil
			}
			err := s.zk.DeleteNode(ctx, ring, w.Name, v)
			if err == nil || errors.Is(err, zkstate.ErrNotFound) {
				s.setVersion(key, 0, false)
				return "delete_node", nil
			}
			return "delete_node", err
		}
		if !ok {
			v = zkstate.Absent
		}
		nv, err := s.zk.PutNode(ctx, w.Node, v)
		if err == nil {
			s.setVersion(key, nv, true)
		}
		return "put_node", err
	case plan.RecordOperation:
		key := opKey(w.Name)
		v, ok := s.version(key)
		if w.Delete {
			if !ok {
				return "delete_operation", nil
			}
			err := s.zk.DeleteOperation(ctx, w.Name, v)
			if err == nil || errors.Is(err, zkstate.ErrNotFound) {
				s.setVersion(key, 0, false)
				return "delete_operation", nil
			}
			return "delete_operation", err
		}
		if !ok {
			v = zkstate.Absent
		}
		nv, err := s.zk.PutOperation(ctx, w.Operation, v)
		if err == nil {
			s.setVersion(key, nv, true)
		}
		return "put_operation", err
	case plan.RecordSegment, plan.RecordSchedule:
		return s.persistMaintenance(ctx, w)
	}
	return "unknown", fmt.Errorf("zkstore: unknown record kind %d", w.Kind)
}

// refresh re-reads a record's version after a write whose outcome is unknown.
func (s *Store) refresh(ctx context.Context, w plan.Write) {
	key, _, v, err := s.current(ctx, w)
	switch {
	case key == "":
	case err == nil:
		s.setVersion(key, v, true)
	case errors.Is(err, zkstate.ErrNotFound):
		s.setVersion(key, 0, false)
	}
}

// current reads the stored record w writes and its version; key is "" for a write it cannot
// read back.
func (s *Store) current(ctx context.Context, w plan.Write) (key string, stored proto.Message, v zkstate.Version, err error) {
	switch w.Kind {
	case plan.RecordRing:
		key = ringKey(w.Name)
		stored, v, err = unpack(s.zk.RingByName(ctx, w.Name))
	case plan.RecordNode:
		ring := w.RingName
		if ring == "" && w.Node != nil {
			ring = w.Node.GetRing()
		}
		key = nodeKey(ring, w.Name)
		stored, v, err = unpack(s.zk.NodeByName(ctx, ring, w.Name))
	case plan.RecordOperation:
		key = opKey(w.Name)
		stored, v, err = unpack(s.zk.OperationByID(ctx, w.Name))
	case plan.RecordSegment:
		if w.Segment == nil {
			return "", nil, 0, nil
		}
		key = segKey(w.Name, w.Segment.GetSegment().GetIndex())
		stored, v, err = unpack(s.zk.SegmentByIndex(ctx, w.Name, int(w.Segment.GetSegment().GetIndex())))
	case plan.RecordSchedule:
		key = schedKey(w.Name)
		stored, v, err = unpack(s.zk.ScheduleByID(ctx, w.Name))
	}
	return key, stored, v, err
}

func unpack[M proto.Message](m M, v zkstate.Version, err error) (proto.Message, zkstate.Version, error) {
	if err != nil {
		return nil, v, err
	}
	return m, v, nil
}

// FrameworkIDs keeps the framework ID in /framework_id (daemon/mesos.FrameworkIDStore).
type FrameworkIDs struct {
	ZK *zkstate.Store
	// Now stamps the record (default time.Now).
	Now func() time.Time
}

// FrameworkID returns the stored ID or "".
func (f FrameworkIDs) FrameworkID(ctx context.Context) (string, error) {
	rec, _, err := f.ZK.FrameworkID(ctx)
	if errors.Is(err, zkstate.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return rec.GetFrameworkId(), nil
}

// StoreFrameworkID creates /framework_id; it never overwrites a different stored ID.
func (f FrameworkIDs) StoreFrameworkID(ctx context.Context, id string) error {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	_, err := f.ZK.SetFrameworkID(ctx, &statev1.FrameworkRecord{FrameworkId: id, CreateTime: timestamppb.New(now())}, zkstate.Absent)
	if errors.Is(err, zkstate.ErrConflict) {
		stored, serr := f.FrameworkID(ctx)
		if serr == nil && stored == id {
			return nil
		}
		return fmt.Errorf("another framework ID (%s) is already stored: %w", stored, err)
	}
	return err
}
