package zkstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// StepsPerChunk is how many steps of an operation one step chunk znode holds
// (/operations/<id>/steps-<n>), so that no record grows with the ring.
const StepsPerChunk = 256

// Store is the engine's Store over a (fenced) zkstate.Store.
//
// Records handed to Persist and returned by Load are never changed afterwards (the planner
// copies before it changes one); the Store keeps references to them to tell which step chunks
// a write changes.
type Store struct {
	zk      *zkstate.Store
	observe func(op string, d time.Duration, err error)

	mu       sync.Mutex
	versions map[string]zkstate.Version // by record key
	// What is stored of each operation: its head record and its step chunks.
	heads  map[string]*statev1.OperationRecord
	chunks map[string][]*statev1.StepChunkRecord

	// The event log (events.go): the next event number (-1: not read yet) and its bound.
	events eventLog
}

// New wraps a zkstate store (the leadership's fenced store in production). observe, if not nil,
// is told the latency and outcome of every transaction ("txn").
func New(zk *zkstate.Store, observe func(op string, d time.Duration, err error)) *Store {
	return &Store{zk: zk, observe: observe, versions: map[string]zkstate.Version{},
		heads: map[string]*statev1.OperationRecord{}, chunks: map[string][]*statev1.StepChunkRecord{},
		events: eventLog{next: -1}}
}

func ringKey(name string) string       { return "ring/" + name }
func nodeKey(ring, node string) string { return "node/" + ring + "/" + node }
func opKey(id string) string           { return "op/" + id }
func chunkKey(id string, n int) string { return "chunk/" + id + "/" + strconv.Itoa(n) }

// Load completes or discards what interrupted transactions left in the journal
// (zkstate.RecoverJournals), then reads every ring, node and operation record (reassembling
// operations from their step chunks) and remembers their versions.
func (s *Store) Load(ctx context.Context) (map[string]*statev1.RingRecord, map[string]*statev1.NodeRecord, map[string]*statev1.OperationRecord, error) {
	if _, err := s.zk.RecoverJournals(ctx); err != nil {
		return nil, nil, nil, fmt.Errorf("completing interrupted transactions: %w", err)
	}
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
	heads := map[string]*statev1.OperationRecord{}
	var want []chunkRef
	for _, o := range os {
		heads[o.Name] = o.Value
		versions[opKey(o.Name)] = o.Version
		for n := range int(o.Value.GetStepChunks()) {
			want = append(want, chunkRef{o.Name, n})
		}
	}
	got, err := s.readChunks(ctx, want)
	if err != nil {
		return nil, nil, nil, err
	}
	chunks := map[string][]*statev1.StepChunkRecord{}
	for i, ref := range want {
		chunks[ref.op] = append(chunks[ref.op], got[i].rec)
		versions[chunkKey(ref.op, ref.n)] = got[i].version
	}
	for id, head := range heads {
		op, err := assemble(head, chunks[id])
		if err != nil {
			return nil, nil, nil, &zkstate.PathError{Op: "load", Path: s.zk.Root() + zkstate.OperationPath(id), Kind: zkstate.ErrCorrupt, Err: err}
		}
		ops[id] = op
	}
	s.mu.Lock()
	s.versions = versions
	s.heads = heads
	s.chunks = chunks
	s.mu.Unlock()
	return rings, nodes, ops, nil
}

type chunkRef struct {
	op string
	n  int
}

type chunkRead struct {
	rec     *statev1.StepChunkRecord
	version zkstate.Version
}

// readChunks reads step chunks concurrently.
func (s *Store) readChunks(ctx context.Context, refs []chunkRef) ([]chunkRead, error) {
	out := make([]chunkRead, len(refs))
	errs := make([]error, len(refs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(32, len(refs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rec := &statev1.StepChunkRecord{}
				p := zkstate.StepChunkPath(refs[i].op, refs[i].n)
				v, err := s.zk.Get(ctx, p, rec)
				if errors.Is(err, zkstate.ErrNotFound) {
					// The head names a chunk that is not there: the operation record is corrupt
					// (a pass writes head and chunks in one multi), not merely absent.
					err = &zkstate.PathError{Op: "load", Path: s.zk.Root() + zkstate.OperationPath(refs[i].op), Kind: zkstate.ErrCorrupt,
						Err: fmt.Errorf("its step chunk %s is missing", s.zk.Root()+p)}
				}
				out[i], errs[i] = chunkRead{rec, v}, err
			}
		}()
	}
feed:
	for i := range refs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// assemble rebuilds the whole operation from its stored head and step chunks.
func assemble(head *statev1.OperationRecord, chunks []*statev1.StepChunkRecord) (*statev1.OperationRecord, error) {
	if head.GetStepChunks() == 0 {
		if head.GetStepCount() != 0 {
			return nil, fmt.Errorf("%d steps but no step chunks", head.GetStepCount())
		}
		return head, nil // steps inline (none, or stored before chunking)
	}
	if len(head.GetOperation().GetSteps()) > 0 {
		return nil, errors.New("steps both inline and in chunks")
	}
	steps := make([]*cassmesosv1.Step, 0, head.GetStepCount())
	for n, c := range chunks {
		if int(c.GetFirst()) != len(steps) {
			return nil, fmt.Errorf("step chunk %d starts at step %d, want %d", n, c.GetFirst(), len(steps))
		}
		steps = append(steps, c.GetSteps()...)
	}
	if len(steps) != int(head.GetStepCount()) {
		return nil, fmt.Errorf("%d steps in %d chunks, want %d", len(steps), len(chunks), head.GetStepCount())
	}
	rec := &statev1.OperationRecord{}
	copyFields(rec, head, "operation", "step_chunks", "step_count")
	rec.Operation = &cassmesosv1.Operation{}
	copyFields(rec.Operation, head.GetOperation(), "steps")
	rec.Operation.Steps = steps
	return rec, nil
}

// copyFields sets every populated field of src but those named on dst, sharing values (records
// are not changed once stored), so fields added to the messages later are carried along.
func copyFields(dst, src proto.Message, except ...protoreflect.Name) {
	d := dst.ProtoReflect()
	src.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if !slices.Contains(except, fd.Name()) {
			d.Set(fd, v)
		}
		return true
	})
}

// split divides an operation into its head record (everything but the steps) and its step
// chunks of StepsPerChunk steps.
func split(rec *statev1.OperationRecord) (*statev1.OperationRecord, []*statev1.StepChunkRecord) {
	steps := rec.GetOperation().GetSteps()
	if len(steps) == 0 {
		return rec, nil
	}
	n := (len(steps) + StepsPerChunk - 1) / StepsPerChunk
	head := &statev1.OperationRecord{}
	copyFields(head, rec, "operation", "step_chunks", "step_count")
	head.Operation = &cassmesosv1.Operation{}
	copyFields(head.Operation, rec.GetOperation(), "steps")
	head.StepChunks, head.StepCount = int32(n), int32(len(steps))
	chunks := make([]*statev1.StepChunkRecord, n)
	for i := range chunks {
		chunks[i] = &statev1.StepChunkRecord{First: int32(i * StepsPerChunk), Steps: steps[i*StepsPerChunk : min(len(steps), (i+1)*StepsPerChunk)]}
	}
	return head, chunks
}

// txn is a pass's writes as one zkstate transaction, with what to remember once it is stored.
type txn struct {
	ops   []zkstate.TxnOp
	keys  []string // version key of each op
	after []func() // run once the transaction is stored
}

func (t *txn) add(op zkstate.TxnOp, key string) {
	t.ops = append(t.ops, op)
	t.keys = append(t.keys, key)
}

// Persist stores a pass's writes as one fenced transaction (zkstate.Store.Txn): all of them or
// none. A failure because leadership is gone, or of a large transaction committed but not
// applied (the next leader's Load completes it), wraps engine.ErrNotLeader.
func (s *Store) Persist(ctx context.Context, writes []plan.Write) error {
	t := &txn{}
	for _, w := range writes {
		if err := s.build(ctx, t, w); err != nil {
			return err
		}
	}
	if len(t.ops) == 0 {
		return nil
	}
	start := time.Now()
	vs, err := s.zk.Txn(ctx, t.ops)
	if s.observe != nil {
		s.observe("txn", time.Since(start), err)
	}
	if err != nil {
		if errors.Is(err, zkstate.ErrNotLeader) || errors.Is(err, zkstate.ErrInDoubt) {
			return fmt.Errorf("%w: %w", engine.ErrNotLeader, err)
		}
		if errors.Is(err, zkstate.ErrConflict) {
			// Never resolve a conflict by writing over the other writer's record with a fresh
			// version: when a record changed under someone else's hand, keep the stale version
			// (the same write is refused again) and end the term, so the next one reloads the
			// state with that record. Only our own landed writes have their versions learnt.
			if key := s.changedByOther(ctx, writes); key != "" {
				return fmt.Errorf("%w: %s was changed by another writer; ending this term to reload the state instead of overwriting it: %w",
					engine.ErrNotLeader, key, err)
			}
		}
		if errors.Is(err, zkstate.ErrConflict) || errors.Is(err, zkstate.ErrUnavailable) || errors.Is(err, zkstate.ErrNotFound) {
			s.refresh(ctx, writes) // the writes may have landed; learn the current versions
		}
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, op := range t.ops {
		if t.keys[i] == "" { // an event: not versioned
			continue
		}
		if op.Delete {
			delete(s.versions, t.keys[i])
		} else {
			s.versions[t.keys[i]] = vs[i]
		}
	}
	for _, f := range t.after {
		f()
	}
	s.eventsStored(ctx)
	return nil
}

func (s *Store) version(key string) (zkstate.Version, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.versions[key]
	return v, ok
}

// expected is the version a put of key must find: the known one, or Absent (create).
func (s *Store) expected(key string) zkstate.Version {
	if v, ok := s.version(key); ok {
		return v
	}
	return zkstate.Absent
}

func checkNames(what string, names ...string) error {
	for _, n := range names {
		if err := zkstate.CheckName(n); err != nil {
			return fmt.Errorf("zkstore: %s %q: %w", what, n, err)
		}
	}
	return nil
}

func nodeRing(w plan.Write) string {
	if w.RingName == "" && w.Node != nil {
		return w.Node.GetRing()
	}
	return w.RingName
}

// build adds the transaction ops of one write. A delete of a record not known to exist is
// nothing to do.
func (s *Store) build(ctx context.Context, t *txn, w plan.Write) error {
	switch w.Kind {
	case plan.RecordRing:
		if err := checkNames("ring name", w.Name); err != nil {
			return err
		}
		key := ringKey(w.Name)
		if w.Delete {
			if v, ok := s.version(key); ok {
				t.add(zkstate.DeleteOp(zkstate.RingPath(w.Name), v), key)
			}
			return nil
		}
		if w.Ring.GetSpec().GetName() != w.Name {
			return fmt.Errorf("zkstore: ring record %q written as %q", w.Ring.GetSpec().GetName(), w.Name)
		}
		t.add(zkstate.PutOp(zkstate.RingPath(w.Name), w.Ring, s.expected(key)), key)
	case plan.RecordNode:
		ring := nodeRing(w)
		if err := checkNames("ring or node name", ring, w.Name); err != nil {
			return err
		}
		key := nodeKey(ring, w.Name)
		if w.Delete {
			if v, ok := s.version(key); ok {
				t.add(zkstate.DeleteOp(zkstate.NodePath(ring, w.Name), v), key)
			}
			return nil
		}
		if w.Node.GetName() != w.Name || w.Node.GetRing() != ring {
			return fmt.Errorf("zkstore: node record %s/%s written as %s/%s", w.Node.GetRing(), w.Node.GetName(), ring, w.Name)
		}
		t.add(zkstate.PutOp(zkstate.NodePath(ring, w.Name), w.Node, s.expected(key)), key)
	case plan.RecordOperation:
		if err := checkNames("operation ID", w.Name); err != nil {
			return err
		}
		if w.Delete {
			return s.buildOpDelete(ctx, t, w.Name)
		}
		if w.Operation.GetOperation().GetId() != w.Name {
			return fmt.Errorf("zkstore: operation record %q written as %q", w.Operation.GetOperation().GetId(), w.Name)
		}
		s.buildOpPut(t, w.Name, w.Operation)
	case plan.RecordSegment:
		if err := checkNames("operation ID", w.Name); err != nil {
			return err
		}
		idx := w.Segment.GetSegment().GetIndex()
		if w.Segment == nil || idx < 0 {
			return fmt.Errorf("zkstore: segment write of operation %s: want a segment with an index >= 0", w.Name)
		}
		key := segKey(w.Name, idx)
		if w.Delete {
			if v, ok := s.version(key); ok {
				t.add(zkstate.DeleteOp(zkstate.SegmentPath(w.Name, int(idx)), v), key)
			}
			return nil
		}
		t.add(zkstate.PutOp(zkstate.SegmentPath(w.Name, int(idx)), w.Segment, s.expected(key)), key)
	case plan.RecordEvent:
		return s.buildEvent(ctx, t, w)
	case plan.RecordSchedule:
		if err := checkNames("schedule ID", w.Name); err != nil {
			return err
		}
		key := schedKey(w.Name)
		if w.Delete {
			if v, ok := s.version(key); ok {
				t.add(zkstate.DeleteOp(zkstate.SchedulePath(w.Name), v), key)
			}
			return nil
		}
		if w.Schedule.GetSchedule().GetId() != w.Name {
			return fmt.Errorf("zkstore: schedule record %q written as %q", w.Schedule.GetSchedule().GetId(), w.Name)
		}
		t.add(zkstate.PutOp(zkstate.SchedulePath(w.Name), w.Schedule, s.expected(key)), key)
	default:
		return fmt.Errorf("zkstore: unknown record kind %d", w.Kind)
	}
	return nil
}

// buildOpPut writes an operation's head record if it changed and each step chunk that changed
// (compared with what was last loaded or stored), and deletes chunks it no longer has.
func (s *Store) buildOpPut(t *txn, id string, rec *statev1.OperationRecord) {
	head, chunks := split(rec)
	s.mu.Lock()
	oldHead, oldChunks := s.heads[id], s.chunks[id]
	s.mu.Unlock()
	hkey := opKey(id)
	v, known := s.version(hkey)
	if !known || oldHead == nil || !proto.Equal(oldHead, head) {
		if !known {
			v = zkstate.Absent
		}
		t.add(zkstate.PutOp(zkstate.OperationPath(id), head, v), hkey)
	}
	for n, c := range chunks {
		key := chunkKey(id, n)
		cv, ok := s.version(key)
		if ok && n < len(oldChunks) && proto.Equal(oldChunks[n], c) {
			continue
		}
		if !ok {
			cv = zkstate.Absent
		}
		t.add(zkstate.PutOp(zkstate.StepChunkPath(id, n), c, cv), key)
	}
	for n := len(chunks); ; n++ {
		cv, ok := s.version(chunkKey(id, n))
		if !ok {
			break
		}
		t.add(zkstate.DeleteOp(zkstate.StepChunkPath(id, n), cv), chunkKey(id, n))
	}
	t.after = append(t.after, func() {
		s.heads[id], s.chunks[id] = head, chunks
	})
}

// buildOpDelete deletes an operation: its step chunks, its repair segments, then its record.
func (s *Store) buildOpDelete(ctx context.Context, t *txn, id string) error {
	v, ok := s.version(opKey(id))
	if !ok {
		return nil
	}
	for n := 0; ; n++ {
		cv, ok := s.version(chunkKey(id, n))
		if !ok {
			break
		}
		t.add(zkstate.DeleteOp(zkstate.StepChunkPath(id, n), cv), chunkKey(id, n))
	}
	segs, err := s.zk.List(ctx, zkstate.SegmentsPath(id))
	if err != nil && !errors.Is(err, zkstate.ErrNotFound) {
		return err
	}
	for _, name := range segs {
		n, err := strconv.Atoi(name)
		if err != nil {
			return fmt.Errorf("zkstore: operation %s has a segment znode %q that is not a segment index", id, name)
		}
		t.add(zkstate.DeleteOp(zkstate.SegmentPath(id, n), zkstate.AnyVersion), segKey(id, int32(n)))
	}
	t.add(zkstate.DeleteOp(zkstate.OperationPath(id), v), opKey(id))
	t.after = append(t.after, func() {
		delete(s.heads, id)
		delete(s.chunks, id)
	})
	return nil
}

// changedByOther returns the key of a record of writes that someone else changed since this
// store last wrote or read it: stored at another version than expected and not the record the
// write stores (an earlier attempt of ours that landed unseen), or gone while we expected it.
// A record it cannot read counts as unchanged (its version is not learnt either). "" when none.
func (s *Store) changedByOther(ctx context.Context, writes []plan.Write) string {
	for _, w := range writes {
		type rec struct {
			key    string
			stored proto.Message
			v      zkstate.Version
			err    error
			want   proto.Message // nil: a delete
		}
		var recs []rec
		switch w.Kind {
		case plan.RecordRing:
			r, v, err := s.zk.RingByName(ctx, w.Name)
			recs = append(recs, rec{ringKey(w.Name), r, v, err, w.Ring})
		case plan.RecordNode:
			n, v, err := s.zk.NodeByName(ctx, nodeRing(w), w.Name)
			recs = append(recs, rec{nodeKey(nodeRing(w), w.Name), n, v, err, w.Node})
		case plan.RecordOperation:
			h, v, err := s.zk.OperationByID(ctx, w.Name)
			var want proto.Message
			if !w.Delete {
				head, _ := split(w.Operation)
				want = head
			}
			recs = append(recs, rec{opKey(w.Name), h, v, err, want})
		case plan.RecordSegment:
			if w.Segment == nil {
				continue
			}
			idx := w.Segment.GetSegment().GetIndex()
			g, v, err := s.zk.SegmentByIndex(ctx, w.Name, int(idx))
			recs = append(recs, rec{segKey(w.Name, idx), g, v, err, w.Segment})
		case plan.RecordSchedule:
			c, v, err := s.zk.ScheduleByID(ctx, w.Name)
			recs = append(recs, rec{schedKey(w.Name), c, v, err, w.Schedule})
		}
		for _, r := range recs {
			if w.Delete {
				r.want = nil
			}
			known, ok := s.version(r.key)
			switch {
			case errors.Is(r.err, zkstate.ErrNotFound):
				if ok && r.want != nil {
					return r.key // deleted by someone else
				}
			case r.err != nil:
				// Cannot tell; the version stays as it is.
			case ok && r.v == known:
				// Unchanged.
			case r.want != nil && proto.Equal(r.stored, r.want):
				// Our own write landed.
			default:
				return r.key
			}
		}
	}
	return ""
}

// refresh re-reads the versions of the records of writes after a transaction whose outcome is
// unknown or that found a record changed, so the next pass compares against what is stored.
func (s *Store) refresh(ctx context.Context, writes []plan.Write) {
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for _, w := range writes {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.refreshOne(ctx, w)
		}()
	}
	wg.Wait()
}

func (s *Store) refreshOne(ctx context.Context, w plan.Write) {
	var v zkstate.Version
	var err error
	var key string
	switch w.Kind {
	case plan.RecordRing:
		key = ringKey(w.Name)
		_, v, err = s.zk.RingByName(ctx, w.Name)
	case plan.RecordNode:
		key = nodeKey(nodeRing(w), w.Name)
		_, v, err = s.zk.NodeByName(ctx, nodeRing(w), w.Name)
	case plan.RecordOperation:
		s.refreshOp(ctx, w.Name)
		return
	case plan.RecordSegment:
		if w.Segment == nil {
			return
		}
		key = segKey(w.Name, w.Segment.GetSegment().GetIndex())
		_, v, err = s.zk.SegmentByIndex(ctx, w.Name, int(w.Segment.GetSegment().GetIndex()))
	case plan.RecordSchedule:
		key = schedKey(w.Name)
		_, v, err = s.zk.ScheduleByID(ctx, w.Name)
	default:
		return
	}
	s.learn(key, v, err)
}

func (s *Store) learn(key string, v zkstate.Version, err error) {
	switch {
	case err == nil:
		s.setVersion(key, v, true)
	case errors.Is(err, zkstate.ErrNotFound):
		s.setVersion(key, 0, false)
	}
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

// refreshOp re-reads an operation's head and step chunks (versions and contents).
func (s *Store) refreshOp(ctx context.Context, id string) {
	head, v, err := s.zk.OperationByID(ctx, id)
	if errors.Is(err, zkstate.ErrNotFound) {
		s.mu.Lock()
		delete(s.versions, opKey(id))
		delete(s.heads, id)
		for n := range len(s.chunks[id]) + 1 {
			delete(s.versions, chunkKey(id, n))
		}
		delete(s.chunks, id)
		s.mu.Unlock()
		return
	}
	if err != nil {
		return
	}
	var refs []chunkRef
	for n := range int(head.GetStepChunks()) {
		refs = append(refs, chunkRef{id, n})
	}
	got, err := s.readChunks(ctx, refs)
	if err != nil {
		// Unknown chunk state: forget the cached contents so every chunk is written again.
		s.mu.Lock()
		s.versions[opKey(id)] = v
		delete(s.heads, id)
		delete(s.chunks, id)
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions[opKey(id)] = v
	s.heads[id] = head
	old := len(s.chunks[id])
	chunks := make([]*statev1.StepChunkRecord, len(got))
	for n, c := range got {
		chunks[n] = c.rec
		s.versions[chunkKey(id, n)] = c.version
	}
	for n := len(got); n < old+1; n++ {
		delete(s.versions, chunkKey(id, n))
	}
	s.chunks[id] = chunks
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
