package zkstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	"github.com/cassmesos/cassmesos/internal/failpoint"
	"github.com/cassmesos/cassmesos/internal/zktest"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

func TestMain(m *testing.M) { zktest.Main(m) }

var frameworkSeq atomic.Int64

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// lead opens a store under a fresh framework root, wins its election and returns the unfenced
// store (standing for anyone else) and the leadership.
func lead(t testing.TB) (*zkstate.Store, *zkstate.Leadership) {
	t.Helper()
	ctx := testCtx(t)
	name := strings.NewReplacer("/", "-", "#", "-").Replace(t.Name())
	s, err := zkstate.Open(ctx, zkstate.Config{
		Servers:        zktest.Shared(t).Servers(),
		Framework:      fmt.Sprintf("%s-%d", name, frameworkSeq.Add(1)),
		SessionTimeout: zktest.DefaultSessionTimeout,
		Logger:         slog.New(slog.DiscardHandler),
		Dialer:         zktest.Dialer,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	l, err := s.Campaign(ctx, "test:1")
	if err != nil {
		t.Fatalf("Campaign: %v", err)
	}
	return s, l
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// createRing runs CreateRing through the real planner and returns its plan's writes.
func createRing(t testing.TB, name string, nodes int32) (*plan.State, plan.Accepted) {
	t.Helper()
	p := plan.New(plan.Config{}, &plantest.Counter{})
	s := plan.NewState()
	s.Now = epoch
	acc, err := p.Submit(s, plan.CreateRing{Spec: &cassmesosv1.RingSpec{Name: name, Nodes: nodes, Seeds: min(nodes, 3),
		Resources: &cassmesosv1.Resources{Cpus: 1, MemMb: 2048, DiskMb: 1024}}})
	if err != nil {
		t.Fatalf("CreateRing: %v", err)
	}
	if !acc.Created || len(acc.Plan.Writes) != int(nodes)+2 {
		t.Fatalf("CreateRing wrote %d records; want the ring, %d nodes and the operation", len(acc.Plan.Writes), nodes)
	}
	return s, acc
}

func assertNothingOf(t *testing.T, zs *zkstate.Store, ring string) {
	t.Helper()
	ctx := testCtx(t)
	if _, _, err := zs.RingByName(ctx, ring); !errors.Is(err, zkstate.ErrNotFound) {
		t.Fatalf("ring %s: %v; want it not written", ring, err)
	}
	if nodes, err := zs.ListNodes(ctx, ring); !errors.Is(err, zkstate.ErrNotFound) || len(nodes) > 0 {
		t.Fatalf("nodes of %s = %d, %v; want none written", ring, len(nodes), err)
	}
}

// TestPersistPassIsAllOrNothing is issue 12's defect 3: a pass whose last write conflicts, or
// whose leader was deposed, writes nothing (before, the ring and its nodes were written one by
// one and the pass stopped at the operation, leaving a ring nobody finishes).
func TestPersistPassIsAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	zs, l := lead(t)
	st := New(l.Store(), nil)
	if _, _, _, err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	s, acc := createRing(t, "demo", 3)
	opID := acc.Operation.GetOperation().GetId()

	// Someone else holds the operation's ID: the pass's last write conflicts.
	other := &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: opID, Ring: "other"}}
	if _, err := zs.PutOperation(ctx, other, zkstate.Absent); err != nil {
		t.Fatal(err)
	}
	err := st.Persist(ctx, acc.Plan.Writes)
	if !errors.Is(err, zkstate.ErrConflict) || !strings.Contains(err.Error(), opID) {
		t.Fatalf("Persist = %v; want ErrConflict naming operation %s", err, opID)
	}
	assertNothingOf(t, zs, "demo")
	if got, _, err := zs.OperationByID(ctx, opID); err != nil || !proto.Equal(got, other) {
		t.Fatalf("operation %s = %v, %v; want the other one untouched", opID, got, err)
	}

	// The conflict goes; the same pass is stored whole (by a store that loads afresh: this one
	// learnt the other operation's version).
	if err := zs.DeleteOperation(ctx, opID, zkstate.AnyVersion); err != nil {
		t.Fatal(err)
	}
	st = New(l.Store(), nil)
	if _, _, _, err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Persist(ctx, acc.Plan.Writes); err != nil {
		t.Fatalf("Persist after the conflict went: %v", err)
	}
	s.Apply(acc.Plan.Writes)
	assertLoads(t, New(l.Store(), nil), s)

	// A deposed leader writes nothing of its pass.
	_, acc2 := createRing(t, "second", 3)
	raw := zktest.Connect(t, zktest.Shared(t).Servers())
	if err := raw.Delete(l.Member(), -1); err != nil {
		t.Fatal(err)
	}
	if err := st.Persist(ctx, acc2.Plan.Writes); !errors.Is(err, engine.ErrNotLeader) {
		t.Fatalf("Persist of a deposed leader = %v; want engine.ErrNotLeader", err)
	}
	assertNothingOf(t, zs, "second")
}

// assertLoads checks that a fresh Store loads exactly the records of s.
func assertLoads(t testing.TB, st *Store, s *plan.State) {
	t.Helper()
	rings, nodes, ops, err := st.Load(testCtx(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(rings) != len(s.Rings) || len(nodes) != len(s.Nodes) || len(ops) != len(s.Operations) {
		t.Fatalf("Load: %d rings, %d nodes, %d operations; want %d, %d, %d", len(rings), len(nodes), len(ops), len(s.Rings), len(s.Nodes), len(s.Operations))
	}
	for k, v := range s.Rings {
		if !proto.Equal(rings[k], v) {
			t.Fatalf("ring %s loaded differs", k)
		}
	}
	for k, v := range s.Nodes {
		if !proto.Equal(nodes[k], v) {
			t.Fatalf("node %s loaded differs", k)
		}
	}
	for k, v := range s.Operations {
		if !proto.Equal(ops[k], v) {
			t.Fatalf("operation %s loaded differs:\n got %v\nwant %v", k, ops[k], v)
		}
	}
}

// markDone returns a copy of op with steps [from, to) done and step to under way.
func markDone(op *statev1.OperationRecord, from, to int, now time.Time) *statev1.OperationRecord {
	op = proto.Clone(op).(*statev1.OperationRecord)
	o := op.GetOperation()
	o.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING
	for i := from; i < to; i++ {
		st := o.Steps[i]
		st.Phase = cassmesosv1.StepPhase_STEP_PHASE_DONE
		st.Message = "UN"
		st.StartTime, st.EndTime = timestamppb.New(now), timestamppb.New(now.Add(time.Minute))
	}
	if to < len(o.Steps) {
		o.Steps[to].Phase = cassmesosv1.StepPhase_STEP_PHASE_RUNNING
		op.State = &statev1.OperationCursor{Safe: true, Steps: map[int32]*statev1.StepCursor{
			int32(to): {Holds: true, OfferWaitSince: timestamppb.New(now)},
		}}
	}
	o.Progress = &cassmesosv1.Progress{Done: int64(to), Total: int64(len(o.Steps))}
	return op
}

func chunkVersions(t *testing.T, zs *zkstate.Store, id string, n int) []zkstate.Version {
	t.Helper()
	var vs []zkstate.Version
	for i := range n {
		v, err := zs.Get(testCtx(t), zkstate.StepChunkPath(id, i), &statev1.StepChunkRecord{})
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		vs = append(vs, v)
	}
	return vs
}

// TestOperationStepsChunked: an operation's steps live in chunk znodes of StepsPerChunk; a
// change rewrites only the chunks it touches; Load reassembles the operation.
func TestOperationStepsChunked(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	zs, l := lead(t)
	st := New(l.Store(), nil)
	if _, _, _, err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	s, acc := createRing(t, "demo", 600)
	id := acc.Operation.GetOperation().GetId()
	if err := st.Persist(ctx, acc.Plan.Writes); err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	head, _, err := zs.OperationByID(ctx, id)
	if err != nil || head.GetStepChunks() != 3 || head.GetStepCount() != 600 || len(head.GetOperation().GetSteps()) != 0 {
		t.Fatalf("operation head = %d chunks, %d steps, %d inline, %v; want 3, 600, 0", head.GetStepChunks(), head.GetStepCount(), len(head.GetOperation().GetSteps()), err)
	}
	before := chunkVersions(t, zs, id, 3)

	// Step 300 (chunk 1) is done: chunk 1 and the head are written, chunks 0 and 2 are not.
	op := markDone(s.Operations[id], 300, 301, epoch)
	w := []plan.Write{{Kind: plan.RecordOperation, RingName: "demo", Name: id, Operation: op}}
	if err := st.Persist(ctx, w); err != nil {
		t.Fatal(err)
	}
	s.Apply(w)
	after := chunkVersions(t, zs, id, 3)
	if after[0] != before[0] || after[1] != before[1]+1 || after[2] != before[2] {
		t.Fatalf("chunk versions %v → %v; want only chunk 1 rewritten", before, after)
	}
	c1 := &statev1.StepChunkRecord{}
	if _, err := zs.Get(ctx, zkstate.StepChunkPath(id, 1), c1); err != nil || c1.GetFirst() != 256 || len(c1.GetSteps()) != 256 {
		t.Fatalf("chunk 1 = first %d, %d steps, %v; want steps 256 to 511", c1.GetFirst(), len(c1.GetSteps()), err)
	}
	if head, _, _ := zs.OperationByID(ctx, id); !head.GetState().GetSafe() || head.GetState().GetSteps()[301] == nil {
		t.Fatalf("head cursor = %v; want the operation's typed cursor kept in the head", head.GetState())
	}
	assertLoads(t, New(l.Store(), nil), s)

	// The planner drops steps (a cancelled scale drops unstarted ones): the chunks it no longer
	// needs go.
	op = proto.Clone(s.Operations[id]).(*statev1.OperationRecord)
	op.Operation.Steps = op.Operation.Steps[:301]
	w = []plan.Write{{Kind: plan.RecordOperation, RingName: "demo", Name: id, Operation: op}}
	if err := st.Persist(ctx, w); err != nil {
		t.Fatal(err)
	}
	s.Apply(w)
	if _, err := zs.Get(ctx, zkstate.StepChunkPath(id, 2), &statev1.StepChunkRecord{}); !errors.Is(err, zkstate.ErrNotFound) {
		t.Fatalf("chunk 2 after the steps were dropped: %v; want it deleted", err)
	}
	assertLoads(t, New(l.Store(), nil), s)

	// An operation stored before chunking (steps inline) loads as it is and is chunked when
	// next written.
	legacy := markDone(s.Operations[id], 0, 1, epoch)
	legacy.Operation.Id = "legacy-op"
	legacy.State, legacy.Cursor = nil, map[string]string{"safe": "1", "1.holds": "1"}
	if _, err := zs.PutOperation(ctx, legacy, zkstate.Absent); err != nil {
		t.Fatal(err)
	}
	s.Operations["legacy-op"] = legacy
	st = New(l.Store(), nil)
	assertLoads(t, st, s)
	legacy = markDone(legacy, 1, 2, epoch)
	w = []plan.Write{{Kind: plan.RecordOperation, RingName: "demo", Name: "legacy-op", Operation: legacy}}
	if err := st.Persist(ctx, w); err != nil {
		t.Fatal(err)
	}
	s.Apply(w)
	if head, _, _ := zs.OperationByID(ctx, "legacy-op"); head.GetStepChunks() != 2 {
		t.Fatalf("legacy operation rewritten with %d chunks; want 2", head.GetStepChunks())
	}
	assertLoads(t, New(l.Store(), nil), s)

	// Deleting an operation deletes its chunks too.
	w = []plan.Write{{Kind: plan.RecordOperation, Delete: true, RingName: "demo", Name: "legacy-op"}}
	if err := st.Persist(ctx, w); err != nil {
		t.Fatal(err)
	}
	s.Apply(w)
	if _, _, err := zs.OperationByID(ctx, "legacy-op"); !errors.Is(err, zkstate.ErrNotFound) {
		t.Fatalf("deleted operation: %v", err)
	}
	assertLoads(t, New(l.Store(), nil), s)
}

// TestLoadRefusesBrokenChunks: a missing or misplaced chunk fails Load naming the operation.
func TestLoadRefusesBrokenChunks(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	zs, l := lead(t)
	st := New(l.Store(), nil)
	if _, _, _, err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	_, acc := createRing(t, "demo", 300)
	id := acc.Operation.GetOperation().GetId()
	if err := st.Persist(ctx, acc.Plan.Writes); err != nil {
		t.Fatal(err)
	}
	c := &statev1.StepChunkRecord{}
	v, err := zs.Get(ctx, zkstate.StepChunkPath(id, 1), c)
	if err != nil {
		t.Fatal(err)
	}
	c.First = 7
	if _, err := zs.Put(ctx, zkstate.StepChunkPath(id, 1), c, v); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := New(l.Store(), nil).Load(ctx); !errors.Is(err, zkstate.ErrCorrupt) || !strings.Contains(err.Error(), id) {
		t.Fatalf("Load with a misplaced chunk = %v; want ErrCorrupt naming %s", err, id)
	}
	if err := zs.Delete(ctx, zkstate.StepChunkPath(id, 1), zkstate.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := New(l.Store(), nil).Load(ctx); !errors.Is(err, zkstate.ErrCorrupt) || errors.Is(err, zkstate.ErrNotFound) ||
		!strings.Contains(err.Error(), zkstate.OperationPath(id)) || !strings.Contains(err.Error(), zkstate.StepChunkPath(id, 1)) {
		t.Fatalf("Load with a missing chunk = %v; want ErrCorrupt naming the operation and the chunk", err)
	}
}

// TestLoadCompletesInterruptedPass: a pass too large for one multi-op, interrupted after its
// journal's commit, is completed by the next Load (a new leader's); one interrupted before the
// commit is discarded. Not parallel: it arms process-wide failure points.
func TestLoadCompletesInterruptedPass(t *testing.T) {
	for _, tc := range []struct {
		point     string
		committed bool
	}{
		{"zkstate/journal-after-stage", false},
		{"zkstate/journal-after-commit", true},
		{"zkstate/journal-after-apply-batch", true},
	} {
		t.Run(strings.TrimPrefix(tc.point, "zkstate/"), func(t *testing.T) {
			ctx := testCtx(t)
			zs, l := lead(t)
			st := New(l.Store(), nil)
			if _, _, _, err := st.Load(ctx); err != nil {
				t.Fatal(err)
			}
			s, acc := createRing(t, "demo", 1500) // about 700 KB: more than one multi-op
			if err := failpoint.Enable(tc.point, failpoint.Action{Kind: failpoint.Error}); err != nil {
				t.Fatal(err)
			}
			err := st.Persist(ctx, acc.Plan.Writes)
			failpoint.Disable(tc.point)
			if !errors.Is(err, failpoint.ErrInjected) || errors.Is(err, engine.ErrNotLeader) != tc.committed {
				t.Fatalf("Persist interrupted at %s = %v; want the injected error, ending the term (engine.ErrNotLeader) iff committed", tc.point, err)
			}
			if _, _, err := zs.RingByName(ctx, "demo"); !errors.Is(err, zkstate.ErrNotFound) && tc.point != "zkstate/journal-after-apply-batch" {
				t.Fatalf("ring before the next load: %v; want it not written yet", err)
			}
			if j, err := zs.List(ctx, zkstate.JournalPath()); err != nil || len(j) != 1 {
				t.Fatalf("journals = %v, %v; want the interrupted one", j, err)
			}
			// The next leader's load.
			if tc.committed {
				s.Apply(acc.Plan.Writes)
			}
			assertLoads(t, New(l.Store(), nil), s)
			if !tc.committed {
				assertNothingOf(t, zs, "demo")
			}
			if j, err := zs.List(ctx, zkstate.JournalPath()); err != nil || len(j) != 0 {
				t.Fatalf("journals after the load = %v, %v; want none", j, err)
			}
		})
	}
}

// znodeSizes walks every znode under root and returns the largest data size, and the size of
// each znode whose path ends in one of the given suffixes.
func znodeSizes(t testing.TB, conn *zk.Conn, root string) (int, map[string]int) {
	t.Helper()
	var mu sync.Mutex
	largest, sizes := 0, map[string]int{}
	var errs []error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	var walk func(p string)
	walk = func(p string) {
		defer wg.Done()
		sem <- struct{}{}
		children, stat, err := conn.Children(p)
		<-sem
		mu.Lock()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		} else {
			largest = max(largest, int(stat.DataLength))
			sizes[p] = int(stat.DataLength)
		}
		mu.Unlock()
		for _, c := range children {
			wg.Add(1)
			go walk(path.Join(p, c))
		}
	}
	wg.Add(1)
	walk(root)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("walk: %v", errs[0])
	}
	return largest, sizes
}

// TestCreateRing10k is issue 12's defect 4: a 10,000-node ring's CreateRing (10,002 records,
// more than one multi-op holds) is stored all or nothing and loads back equal, and after ring,
// node and operation writes (5,000 steps done) no znode nears ZooKeeper's limit and the
// operation's head record does not grow with the ring.
func TestCreateRing10k(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	zs, l := lead(t)
	st := New(l.Store(), nil)
	if _, _, _, err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	s, acc := createRing(t, "big", plan.MaxNodes)
	id := acc.Operation.GetOperation().GetId()
	start := time.Now()
	if err := st.Persist(ctx, acc.Plan.Writes); err != nil {
		t.Fatalf("Persist of a 10,000-node CreateRing: %v", err)
	}
	t.Logf("persist CreateRing of 10,000 nodes: %v", time.Since(start))
	s.Apply(acc.Plan.Writes)

	// Ring, node and operation writes: half the steps done, their nodes running.
	ring := proto.Clone(s.Rings["big"]).(*statev1.RingRecord)
	ring.Status.ReadyNodes = 5000
	ring.Status.Phase = cassmesosv1.RingPhase_RING_PHASE_CREATING
	writes := []plan.Write{{Kind: plan.RecordRing, RingName: "big", Name: "big", Ring: ring}}
	for i := range 5000 {
		n := proto.Clone(s.Nodes[plan.NodeName("big", int32(i))]).(*statev1.NodeRecord)
		n.Phase = cassmesosv1.NodePhase_NODE_PHASE_RUNNING
		n.AgentId, n.Hostname, n.Address = fmt.Sprintf("agent-%05d", i), fmt.Sprintf("host-%05d.example.com", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256)
		n.TaskId = n.Name + ".1.abcdefghijklmnopqrst"
		n.Bootstrapped = true
		writes = append(writes, plan.Write{Kind: plan.RecordNode, RingName: "big", Name: n.Name, Node: n})
	}
	writes = append(writes, plan.Write{Kind: plan.RecordOperation, RingName: "big", Name: id, Operation: markDone(s.Operations[id], 0, 5000, epoch)})
	start = time.Now()
	if err := st.Persist(ctx, writes); err != nil {
		t.Fatalf("Persist of 5,000 node and step updates: %v", err)
	}
	t.Logf("persist 5,000 node and step updates: %v", time.Since(start))
	s.Apply(writes)
	start = time.Now()
	assertLoads(t, New(l.Store(), nil), s)
	t.Logf("load 10,000 nodes: %v", time.Since(start))

	largest, sizes := znodeSizes(t, zs.Conn(), zs.Root())
	if largest > zkstate.MaxRecordBytes/4 {
		t.Fatalf("largest znode holds %d bytes; want every znode far below ZooKeeper's limit", largest)
	}
	headSize := sizes[zs.Root()+zkstate.OperationPath(id)]
	if headSize == 0 || headSize > 2048 {
		t.Fatalf("the operation's head record holds %d bytes; want it small whatever the ring's size", headSize)
	}
	t.Logf("largest znode %d bytes; operation head %d bytes; ring %d bytes", largest, headSize, sizes[zs.Root()+zkstate.RingPath("big")])
	if j, err := zs.List(ctx, zkstate.JournalPath()); err != nil || len(j) != 0 {
		t.Fatalf("journals left: %v, %v", j, err)
	}
}

// BenchmarkPersist10kRing: storing a 10,000-node ring's CreateRing (through the journal), and
// loading it back.
func BenchmarkPersist10kRing(b *testing.B) {
	ctx := testCtx(b)
	b.Run("persist", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			_, l := lead(b)
			st := New(l.Store(), nil)
			if _, _, _, err := st.Load(ctx); err != nil {
				b.Fatal(err)
			}
			_, acc := createRing(b, "big", plan.MaxNodes)
			b.StartTimer()
			if err := st.Persist(ctx, acc.Plan.Writes); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		_, l := lead(b)
		st := New(l.Store(), nil)
		if _, _, _, err := st.Load(ctx); err != nil {
			b.Fatal(err)
		}
		_, acc := createRing(b, "big", plan.MaxNodes)
		if err := st.Persist(ctx, acc.Plan.Writes); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, nodes, _, err := New(l.Store(), nil).Load(ctx); err != nil || len(nodes) != plan.MaxNodes {
				b.Fatalf("Load: %d nodes, %v", len(nodes), err)
			}
		}
	})
}

func ringRec(nodes int32, msg string) *statev1.RingRecord {
	return &statev1.RingRecord{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: nodes}, Status: &cassmesosv1.RingStatus{ActiveOperationId: msg}}
}

func putRing(r *statev1.RingRecord) []plan.Write {
	return []plan.Write{{Kind: plan.RecordRing, RingName: "demo", Name: "demo", Ring: r}}
}

// Regression (issue 12, defect 7): a pass refused with a version conflict used to re-read only
// the versions, so the next pass's write of the same (stale) record went through and overwrote
// what the other writer had stored. Now the other writer's record stays, and the error ends the
// term so the state is reloaded.
func TestConflictNeverOverwritesTheOtherWriter(t *testing.T) {
	ctx := testCtx(t)
	base, l := lead(t)
	s := New(l.Store(), nil)
	if _, _, _, err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Persist(ctx, putRing(ringRec(3, "ours 1"))); err != nil {
		t.Fatal(err)
	}
	// Another writer changes the record behind the store's back.
	_, v, err := base.RingByName(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	theirs := ringRec(5, "theirs")
	if _, err := base.PutRing(ctx, theirs, v); err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, msg := range []string{"ours 2", "ours 3"} {
		errs = append(errs, s.Persist(ctx, putRing(ringRec(3, msg))))
	}
	got, _, err := base.RingByName(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, theirs) {
		t.Fatalf("stored %v; the other writer's record %v was overwritten", got, theirs)
	}
	for i, err := range errs {
		if !errors.Is(err, zkstate.ErrConflict) || !errors.Is(err, engine.ErrNotLeader) {
			t.Fatalf("write %d over the other writer's record: %v; want a conflict that ends the term", i+2, err)
		}
	}
}

// A conflict against the very record being written (an earlier attempt landed and its answer was
// lost) is no one else's change: the version is learnt and the next pass goes through.
func TestConflictWithOwnLandedWrite(t *testing.T) {
	ctx := testCtx(t)
	base, l := lead(t)
	s := New(l.Store(), nil)
	if _, _, _, err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Persist(ctx, putRing(ringRec(3, "v1"))); err != nil {
		t.Fatal(err)
	}
	_, v, err := base.RingByName(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base.PutRing(ctx, ringRec(3, "v2"), v); err != nil { // "our" write of v2 that landed unseen
		t.Fatal(err)
	}
	err = s.Persist(ctx, putRing(ringRec(3, "v2")))
	if errors.Is(err, engine.ErrNotLeader) {
		t.Fatalf("our own landed write was taken for another writer's: %v", err)
	}
	if err := s.Persist(ctx, putRing(ringRec(3, "v3"))); err != nil {
		t.Fatalf("next pass: %v", err)
	}
	got, _, _ := base.RingByName(ctx, "demo")
	if got.GetStatus().GetActiveOperationId() != "v3" {
		t.Fatalf("stored %v, want v3", got)
	}
}
