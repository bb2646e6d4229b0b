package zkstate

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func ring(name string) *statev1.RingRecord {
	return &statev1.RingRecord{Spec: &cassmesosv1.RingSpec{Name: name, Nodes: 3}, Generation: 1}
}

func node(ringName string, i int) *statev1.NodeRecord {
	return &statev1.NodeRecord{
		Ring: ringName, Name: fmt.Sprintf("%s-%d", ringName, i), Ordinal: int32(i),
		Address: fmt.Sprintf("127.0.%d.%d", i/250, i%250+2), Incarnation: 1,
		PhaseTime: timestamppb.New(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)),
	}
}

func TestRingsAndNodes(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})
	if _, err := s.PutNode(ctx, node("demo", 0), Absent); !errors.Is(err, ErrNotFound) {
		t.Fatalf("PutNode before its ring = %v; want ErrNotFound", err)
	}
	if _, err := s.PutRing(ctx, ring("demo"), Absent); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutRing(ctx, ring("demo"), Absent); !errors.Is(err, ErrConflict) {
		t.Fatalf("PutRing twice = %v; want ErrConflict", err)
	}
	for i := range 3 {
		if _, err := s.PutNode(ctx, node("demo", i), Absent); err != nil {
			t.Fatal(err)
		}
	}
	r, v, err := s.RingByName(ctx, "demo")
	if err != nil || !proto.Equal(r, ring("demo")) || v != 0 {
		t.Fatalf("RingByName = %v v%d %v", r, v, err)
	}
	n := node("demo", 1)
	n.HostId = "host-1"
	if v, err := s.PutNode(ctx, n, 0); err != nil || v != 1 {
		t.Fatalf("PutNode update = v%d, %v", v, err)
	}
	got, v, err := s.NodeByName(ctx, "demo", "demo-1")
	if err != nil || !proto.Equal(got, n) || v != 1 {
		t.Fatalf("NodeByName = %v v%d %v", got, v, err)
	}
	nodes, err := s.ListNodes(ctx, "demo")
	if err != nil || len(nodes) != 3 || nodes[0].Name != "demo-0" || nodes[2].Name != "demo-2" || nodes[1].Version != 1 {
		t.Fatalf("ListNodes = %v, %v", nodes, err)
	}
	if _, err := s.ListNodes(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ListNodes of a missing ring = %v; want ErrNotFound", err)
	}
	rings, err := s.ListRings(ctx)
	if err != nil || len(rings) != 1 || rings[0].Name != "demo" {
		t.Fatalf("ListRings = %v, %v", rings, err)
	}
	if err := s.DeleteRing(ctx, "demo", 0); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("DeleteRing with nodes = %v; want ErrNotEmpty", err)
	}
	for i := range 3 {
		if err := s.DeleteNode(ctx, "demo", fmt.Sprintf("demo-%d", i), AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteRing(ctx, "demo", 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RingByName(ctx, "demo"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RingByName after delete = %v; want ErrNotFound", err)
	}
	if err := s.DeleteRing(ctx, "demo", AnyVersion); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DeleteRing twice = %v; want ErrNotFound", err)
	}
	// Names are checked before anything is sent.
	for _, bad := range []string{"", "a/b", "..", "a b"} {
		if _, err := s.PutRing(ctx, ring(bad), Absent); !errors.Is(err, ErrInvalid) {
			t.Errorf("PutRing(%q) = %v; want ErrInvalid", bad, err)
		}
		if _, _, err := s.NodeByName(ctx, "demo", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("NodeByName(%q) = %v; want ErrInvalid", bad, err)
		}
	}
}

func TestOperationsSegmentsSchedulesFrameworkID(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})

	if _, _, err := s.FrameworkID(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FrameworkID before any = %v; want ErrNotFound", err)
	}
	fid := &statev1.FrameworkRecord{FrameworkId: "fw-0001", CreateTime: timestamppb.New(time.Unix(1700000000, 0))}
	if _, err := s.SetFrameworkID(ctx, fid, Absent); err != nil {
		t.Fatal(err)
	}
	if got, v, err := s.FrameworkID(ctx); err != nil || !proto.Equal(got, fid) || v != 0 {
		t.Fatalf("FrameworkID = %v v%d %v", got, v, err)
	}
	if _, err := s.SetFrameworkID(ctx, &statev1.FrameworkRecord{}, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("SetFrameworkID(empty) = %v; want ErrInvalid", err)
	}

	op := &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op-1", Ring: "demo"}, Cursor: map[string]string{"step": "2"}}
	if _, err := s.PutSegment(ctx, "op-1", &statev1.SegmentRecord{Segment: &cassmesosv1.RepairSegment{Index: 0}}, Absent); !errors.Is(err, ErrNotFound) {
		t.Fatalf("PutSegment before its operation = %v; want ErrNotFound", err)
	}
	if _, err := s.PutOperation(ctx, op, Absent); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{10, 2, 1, 0} {
		seg := &statev1.SegmentRecord{Segment: &cassmesosv1.RepairSegment{Index: int32(i), StartToken: fmt.Sprint(i)}, Keyspace: "ks"}
		if _, err := s.PutSegment(ctx, "op-1", seg, Absent); err != nil {
			t.Fatal(err)
		}
	}
	segs, err := s.ListSegments(ctx, "op-1")
	if err != nil || len(segs) != 4 {
		t.Fatalf("ListSegments = %v, %v", segs, err)
	}
	for i, want := range []int32{0, 1, 2, 10} {
		if segs[i].Value.GetSegment().GetIndex() != want {
			t.Fatalf("segment %d has index %d; want %d (numeric order)", i, segs[i].Value.GetSegment().GetIndex(), want)
		}
	}
	if seg, _, err := s.SegmentByIndex(ctx, "op-1", 10); err != nil || seg.GetSegment().GetStartToken() != "10" {
		t.Fatalf("SegmentByIndex = %v, %v", seg, err)
	}
	if got, _, err := s.OperationByID(ctx, "op-1"); err != nil || !proto.Equal(got, op) {
		t.Fatalf("OperationByID = %v, %v", got, err)
	}
	if ops, err := s.ListOperations(ctx); err != nil || len(ops) != 1 || ops[0].Name != "op-1" {
		t.Fatalf("ListOperations = %v, %v", ops, err)
	}
	if err := s.DeleteOperation(ctx, "op-1", 5); !errors.Is(err, ErrConflict) {
		t.Fatalf("DeleteOperation at a stale version = %v; want ErrConflict", err)
	}
	if err := s.DeleteOperation(ctx, "op-1", 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.OperationByID(ctx, "op-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("OperationByID after delete = %v; want ErrNotFound", err)
	}

	sch := &statev1.ScheduleRecord{Schedule: &cassmesosv1.RepairSchedule{Id: "nightly", Ring: "demo", Cron: "0 2 * * *"}}
	if _, err := s.PutSchedule(ctx, sch, Absent); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.ScheduleByID(ctx, "nightly"); err != nil || !proto.Equal(got, sch) {
		t.Fatalf("ScheduleByID = %v, %v", got, err)
	}
	if all, err := s.ListSchedules(ctx); err != nil || len(all) != 1 {
		t.Fatalf("ListSchedules = %v, %v", all, err)
	}
	if err := s.DeleteSchedule(ctx, "nightly", 0); err != nil {
		t.Fatal(err)
	}
}

// putNodes creates n node records of ring concurrently.
func putNodes(tb testing.TB, s *Store, ringName string, n int) {
	tb.Helper()
	ctx := testCtx(tb)
	if _, err := s.PutRing(ctx, ring(ringName), Absent); err != nil {
		tb.Fatal(err)
	}
	next := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if _, err := s.PutNode(ctx, node(ringName, i), Absent); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

func TestList1000Nodes(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})
	begin := time.Now()
	putNodes(t, s, "big", 1000)
	created := time.Since(begin)
	begin = time.Now()
	nodes, err := s.ListNodes(ctx, "big")
	listed := time.Since(begin)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1000 {
		t.Fatalf("ListNodes returned %d records; want 1000", len(nodes))
	}
	seen := map[string]bool{}
	for i, r := range nodes {
		if i > 0 && nodes[i-1].Name >= r.Name {
			t.Fatalf("not sorted: %q before %q", nodes[i-1].Name, r.Name)
		}
		if r.Name != r.Value.GetName() || r.Value.GetRing() != "big" {
			t.Fatalf("record %q holds %v", r.Name, r.Value)
		}
		want := node("big", int(r.Value.GetOrdinal()))
		if !proto.Equal(r.Value, want) {
			t.Fatalf("record %q = %v; want %v", r.Name, r.Value, want)
		}
		seen[r.Name] = true
	}
	if len(seen) != 1000 {
		t.Fatalf("%d distinct names; want 1000", len(seen))
	}
	t.Logf("created 1000 node records in %v (16 writers); listed them in %v", created, listed)
}
