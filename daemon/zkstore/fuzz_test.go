package zkstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	"github.com/cassmesos/cassmesos/daemon/zkstore"
	"github.com/cassmesos/cassmesos/internal/zktest"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// TestMain is zkstore_test.go's (zktest.Main).

// FuzzZKRecords writes records of every kind the daemon keeps (ring, node, operation and its step
// chunks, repair segment, repair schedule, framework ID; not the transaction journal) straight into a real ZooKeeper (internal/zktest, one
// server per fuzzing process), over a root seeded with a running ring, a repair, a cleanup and a
// schedule from a simulated cluster, then loads them the way a new leader does (zkstore.Load and
// LoadMaintenance, and the framework ID) and runs one planner pass on what was loaded.
//
// The input is up to four records, each [kind, mode, target, length (2 bytes), body]. Each is one
// of: raw bytes as the znode's content; a valid envelope of the right
// kind around fuzzed JSON; a record of the right kind decoded from fuzzed protobuf bytes (any
// field values) and properly encoded; or such a record under another znode name. It replaces a
// seeded record or is added under a new name. Checked:
//   - nothing panics;
//   - a record that cannot be decoded fails the load with an error wrapping zkstate.ErrCorrupt or
//     zkstate.ErrUnknownSchema that names the znode (the leader then does not start, so nothing
//     is overwritten);
//   - after a successful load, no write of the planner pass lands on a fuzzed znode unless the
//     record there was loaded as it is and not reported by plan.CheckRecords (a record the pass
//     skipped, or never saw because another record shadowed it, is never overwritten), every
//     write stores at the znode its key names, and every written record encodes.
//
// The seeded root is restored after every input.
func FuzzZKRecords(f *testing.F) {
	h := newRecordsHarness(f)
	for kind := range byte(numKinds) {
		for mode := range byte(4) {
			f.Add([]byte{kind, mode, 0, 0, 0})
			f.Add([]byte{kind, mode, 1, 0, 3, 1, 2, 3})
		}
	}
	// Seeds: every seeded record, re-encoded as protobuf (mode 2), in place.
	for _, r := range h.seeded {
		b, err := proto.Marshal(r.msg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{byte(r.kind), 2, byte(2 * r.index), byte(len(b) >> 8), byte(len(b))}, b...))
	}
	f.Add([]byte("\x00\x01\x00\x00\x24{\"spec\":{\"name\":\"demo\",\"nodes\":-3}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// An input that keeps the load or the pass busy for long is a finding too: crash with
		// the stacks so the fuzzer keeps the input.
		watchdog := time.AfterFunc(inputDeadline, func() { panic(fmt.Sprintf("an input took longer than %v", inputDeadline)) })
		defer watchdog.Stop()
		h.run(t, data)
	})
}

// inputDeadline bounds the time one input may take.
const inputDeadline = 20 * time.Second

const (
	kRing = iota
	kNode
	kOperation
	kSegment
	kSchedule
	kFramework
	kStepChunk
	numKinds
)

// seededRecord is a record of the seed, with its znode path (relative to the root).
type seededRecord struct {
	kind  int
	index int // among the seeded records of its kind
	rel   string
	msg   proto.Message
}

type recordsHarness struct {
	tb     testing.TB
	store  *zkstate.Store
	conn   *zk.Conn
	root   string
	seeded []seededRecord
	byKind map[int][]seededRecord
	now    time.Time
	cfg    plan.Config
}

func newRecordsHarness(f *testing.F) *recordsHarness {
	f.Helper()
	srv := zktest.Shared(f)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := zkstate.Open(ctx, zkstate.Config{Servers: srv.Servers(), Framework: fmt.Sprintf("fuzz-records-%d", os.Getpid()),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatalf("zkstate.Open: %v (is ZooKeeper installed? run `make deps`)", err)
	}
	f.Cleanup(st.Close)
	h := &recordsHarness{tb: f, store: st, conn: st.Conn(), root: st.Root(), byKind: map[int][]seededRecord{},
		cfg: plan.Config{FrameworkName: "fuzz", Role: "cassmesos"}}
	seed, now := seedState(f)
	h.now = now
	add := func(kind int, rel string, m proto.Message) {
		r := seededRecord{kind: kind, index: len(h.byKind[kind]), rel: rel, msg: m}
		h.seeded = append(h.seeded, r)
		h.byKind[kind] = append(h.byKind[kind], r)
	}
	// The seed is stored the way the daemon stores it (zkstore: operations with their step
	// chunks), then read back znode by znode.
	var writes []plan.Write
	for _, name := range sortedKeys(seed.Rings) {
		writes = append(writes, plan.Write{Kind: plan.RecordRing, Name: name, Ring: seed.Rings[name]})
	}
	for _, name := range sortedKeys(seed.Nodes) {
		writes = append(writes, plan.Write{Kind: plan.RecordNode, RingName: seed.Nodes[name].GetRing(), Name: name, Node: seed.Nodes[name]})
	}
	for _, id := range sortedKeys(seed.Operations) {
		writes = append(writes, plan.Write{Kind: plan.RecordOperation, Name: id, Operation: seed.Operations[id]})
		idx := make([]int, 0, len(seed.Segments[id]))
		for i := range seed.Segments[id] {
			idx = append(idx, int(i))
		}
		sort.Ints(idx)
		for _, i := range idx {
			writes = append(writes, plan.Write{Kind: plan.RecordSegment, Name: id, Segment: seed.Segments[id][int32(i)]})
		}
	}
	for _, id := range sortedKeys(seed.Schedules) {
		writes = append(writes, plan.Write{Kind: plan.RecordSchedule, Name: id, Schedule: seed.Schedules[id]})
	}
	if err := zkstore.New(st, nil).Persist(ctx, writes); err != nil {
		f.Fatalf("storing the seed: %v", err)
	}
	walk := func(kind int, rel string) {
		m := newMessage(kind)
		if _, err := st.Get(ctx, rel, m); err != nil {
			f.Fatalf("reading the seed's %s: %v", rel, err)
		}
		add(kind, rel, m)
	}
	children := func(rel string) []string {
		names, err := st.List(ctx, rel)
		if err != nil {
			f.Fatalf("listing %s: %v", rel, err)
		}
		return names
	}
	for _, ring := range children(zkstate.RingsPath()) {
		walk(kRing, zkstate.RingPath(ring))
		for _, node := range children(zkstate.NodesPath(ring)) {
			walk(kNode, zkstate.NodePath(ring, node))
		}
	}
	for _, id := range children(zkstate.OperationsPath()) {
		walk(kOperation, zkstate.OperationPath(id))
		for _, c := range children(zkstate.OperationPath(id)) {
			if strings.HasPrefix(c, zkstate.StepChunkPrefix) {
				walk(kStepChunk, zkstate.OperationPath(id)+"/"+c)
			}
		}
		if segs, err := st.List(ctx, zkstate.SegmentsPath(id)); err == nil {
			for _, n := range segs {
				walk(kSegment, zkstate.SegmentsPath(id)+"/"+n)
			}
		}
	}
	for _, id := range children(zkstate.SchedulesPath()) {
		walk(kSchedule, zkstate.SchedulePath(id))
	}
	fw := &statev1.FrameworkRecord{FrameworkId: "fw-1"}
	if _, err := st.SetFrameworkID(ctx, fw, zkstate.Absent); err != nil {
		f.Fatal(err)
	}
	add(kFramework, zkstate.FrameworkIDPath(), fw)
	for _, k := range []int{kRing, kNode, kOperation, kStepChunk, kSegment, kSchedule} {
		if len(h.byKind[k]) == 0 {
			f.Fatalf("the seed has no record of kind %d", k)
		}
	}
	return h
}

// seedState runs a simulated cluster until ring demo (3 nodes) runs, then starts a repair and a
// cleanup and creates a schedule; it returns what "ZooKeeper" then holds.
func seedState(tb testing.TB) (*plan.State, time.Time) {
	w := plantest.NewWorld(tb, 6, plan.Config{RestartBackoffMin: 5 * time.Second, RestartBackoffMax: 20 * time.Second})
	if _, err := w.Submit(plan.CreateRing{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 3, Seeds: 2,
		Resources: &cassmesosv1.Resources{Cpus: 1, MemMb: 2048, DiskMb: 1024}}}); err != nil {
		tb.Fatal(err)
	}
	for range 40 {
		w.OfferRound()
		w.Tick(10 * time.Second)
		w.Reconcile()
	}
	if _, err := w.Submit(plan.RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks", SegmentsPerNode: 2}}); err != nil {
		tb.Fatal(err)
	}
	for range 4 {
		w.Tick(10 * time.Second)
		describeRing(w, w.Reconcile())
	}
	if _, err := w.Submit(plan.CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "@daily",
		Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}}); err != nil {
		tb.Fatal(err)
	}
	w.Reconcile()
	return w.Store, w.Now
}

// fuzzReader hands out the input's bytes (zeros once they run out).
type fuzzReader struct {
	b []byte
	i int
}

func (r *fuzzReader) byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *fuzzReader) bytes(n int) []byte {
	n = min(n, len(r.b)-r.i)
	out := r.b[r.i : r.i+n]
	r.i += n
	return out
}

func newMessage(kind int) proto.Message {
	switch kind {
	case kRing:
		return &statev1.RingRecord{}
	case kNode:
		return &statev1.NodeRecord{}
	case kOperation:
		return &statev1.OperationRecord{}
	case kSegment:
		return &statev1.SegmentRecord{}
	case kSchedule:
		return &statev1.ScheduleRecord{}
	case kStepChunk:
		return &statev1.StepChunkRecord{}
	default:
		return &statev1.FrameworkRecord{}
	}
}

// newNames are znode names a fuzzed record may be added under.
var newNames = []string{"demo", "demo-0", "demo-7", "ghost", "other", "x", "0", "1", "7", "-1", "99", "abc", "2147483648"}

// fuzzedZnode is one znode the input wrote, with what to restore.
type fuzzedZnode struct {
	abs     string
	old     []byte
	existed bool
}

func (h *recordsHarness) run(t *testing.T, data []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := &fuzzReader{b: data}
	var fuzzed []fuzzedZnode
	defer func() {
		// Undo in reverse order.
		for i := len(fuzzed) - 1; i >= 0; i-- {
			z := fuzzed[i]
			var err error
			if z.existed {
				_, err = h.conn.Set(z.abs, z.old, -1)
			} else {
				err = h.conn.Delete(z.abs, -1)
			}
			if err != nil && !errors.Is(err, zk.ErrNoNode) {
				t.Fatalf("restoring %s: %v", z.abs, err)
			}
		}
	}()
	for n := 0; n < 4 && r.i < len(r.b); n++ {
		kind := int(r.byte()) % numKinds
		mode := r.byte() % 4
		target := int(r.byte())
		body := r.bytes(int(r.byte())<<8 | int(r.byte()))
		var content []byte
		switch mode {
		case 0: // raw bytes
			content = body
		case 1: // a valid envelope around fuzzed JSON
			content = []byte(fmt.Sprintf(`{"schemaVersion":1,"kind":%q,"record":%s}`, zkstate.Kind(newMessage(kind)), body))
		default: // a record decoded from protobuf bytes, properly encoded
			m := newMessage(kind)
			if err := proto.Unmarshal(body, m); err != nil {
				continue
			}
			b, err := zkstate.Encode(m)
			if err != nil {
				continue
			}
			content = b
		}
		rel := h.targetPath(kind, target, mode == 3)
		if rel == "" {
			continue
		}
		abs := h.root + rel
		old, _, err := h.conn.Get(abs)
		existed := err == nil
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			t.Fatalf("get %s: %v", abs, err)
		}
		if existed {
			if _, err := h.conn.Set(abs, content, -1); err != nil {
				t.Fatalf("set %s: %v", abs, err)
			}
		} else {
			if _, err := h.conn.Create(abs, content, 0, zk.WorldACL(zk.PermAll)); err != nil {
				if errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrBadArguments) {
					continue // its parent is not there
				}
				t.Fatalf("create %s: %v", abs, err)
			}
		}
		fuzzed = append(fuzzed, fuzzedZnode{abs: abs, old: old, existed: existed})
	}
	fuzzedPath := map[string]bool{}
	for _, z := range fuzzed {
		fuzzedPath[z.abs] = true
	}

	// The framework ID, as the Mesos adapter reads it.
	if _, err := (zkstore.FrameworkIDs{ZK: h.store}).FrameworkID(ctx); err != nil {
		checkLoadError(t, "framework ID", err, fuzzedPath)
	}
	// The records, as a new leader loads them.
	st := zkstore.New(h.store, nil)
	rings, nodes, ops, err := st.Load(ctx)
	if err != nil {
		checkLoadError(t, "Load", err, fuzzedPath)
		return
	}
	s := plan.NewState()
	s.Now = h.now
	s.Rings, s.Nodes, s.Operations = rings, nodes, ops
	var ids []string
	for id, rec := range ops {
		if o := rec.GetOperation(); o.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPAIR && !engine.Terminal(o.GetPhase()) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	segs, scheds, err := st.LoadMaintenance(ctx, ids)
	if err != nil {
		checkLoadError(t, "LoadMaintenance", err, fuzzedPath)
		return
	}
	s.Segments, s.Schedules = segs, scheds
	s.Reconciled = len(data)%2 == 1

	// What each fuzzed znode holds now, and whether the state holds it as it is under its key.
	loadedAsIs := map[string]bool{}
	for abs := range fuzzedPath {
		loadedAsIs[abs] = h.loadedAsIs(s, strings.TrimPrefix(abs, h.root))
	}
	skipped := map[string]bool{}
	for _, p := range plan.CheckRecords(s) {
		skipped[p.Record] = true
	}
	p := plan.New(h.cfg, &plantest.Counter{}).Reconcile(s)
	for _, w := range p.Writes {
		key, rel, stored := writeTarget(w)
		if rel != stored {
			t.Fatalf("a write keyed %s stores at %s", rel, stored)
		}
		if abs := h.root + stored; fuzzedPath[abs] && (!loadedAsIs[abs] || skipped[key]) {
			t.Fatalf("the pass writes %s (delete %v) over the fuzzed record at %s, which it skipped or never loaded as it is (problems %v)",
				key, w.Delete, stored, plan.CheckRecords(s))
		}
		if m := writeRecord(w); m != nil && !w.Delete {
			if _, err := zkstate.Encode(m); err != nil {
				t.Fatalf("the pass writes %s, which cannot be stored: %v", key, err)
			}
		}
	}
}

// checkLoadError fails unless err says a stored record is corrupt or newer, naming a fuzzed znode
// (or, for a step chunk, its operation).
func checkLoadError(t *testing.T, what string, err error, fuzzed map[string]bool) {
	t.Helper()
	if !errors.Is(err, zkstate.ErrCorrupt) && !errors.Is(err, zkstate.ErrUnknownSchema) {
		t.Fatalf("%s: %v, want an error wrapping ErrCorrupt or ErrUnknownSchema", what, err)
	}
	for abs := range fuzzed {
		if strings.Contains(err.Error(), abs) {
			return
		}
		// A step chunk is reported as part of its operation.
		if dir, base := path.Split(abs); strings.HasPrefix(base, zkstate.StepChunkPrefix) && strings.Contains(err.Error(), strings.TrimSuffix(dir, "/")) {
			return
		}
	}
	t.Fatalf("%s: %v does not name a fuzzed znode (%v)", what, err, fuzzed)
}

// targetPath picks the znode a fuzzed record of kind goes to: a seeded one (replaced) or a new
// name; renamed asks for a seeded record's parent with a new name.
func (h *recordsHarness) targetPath(kind, target int, renamed bool) string {
	seeded := h.byKind[kind]
	if kind == kFramework {
		return zkstate.FrameworkIDPath()
	}
	if !renamed && len(seeded) > 0 && target%2 == 0 {
		return seeded[(target/2)%len(seeded)].rel
	}
	name := newNames[(target/2)%len(newNames)]
	switch kind {
	case kRing:
		return zkstate.RingPath(name)
	case kNode:
		ring := "demo"
		if target%4 == 3 {
			ring = name
		}
		return zkstate.NodePath(ring, name)
	case kOperation:
		return zkstate.OperationPath(name)
	case kSegment:
		op := h.byKind[kSegment][0].rel // /operations/<id>/segments/<n>
		return op[:strings.LastIndex(op, "/")+1] + name
	case kSchedule:
		return zkstate.SchedulePath(name)
	case kStepChunk:
		op := h.byKind[kOperation][target%len(h.byKind[kOperation])].rel
		return op + "/" + zkstate.StepChunkPrefix + name
	}
	return ""
}

// loadedAsIs reports whether the record stored at rel is in s under the key its znode gives it,
// unchanged.
func (h *recordsHarness) loadedAsIs(s *plan.State, rel string) bool {
	parts := strings.Split(strings.TrimPrefix(rel, "/"), "/")
	var in, stored proto.Message
	switch {
	case len(parts) == 2 && parts[0] == "rings":
		if r := s.Rings[parts[1]]; r != nil {
			in, stored = r, &statev1.RingRecord{}
		}
	case len(parts) == 4 && parts[0] == "rings" && parts[2] == "nodes":
		if n := s.Nodes[parts[3]]; n != nil && n.GetRing() == parts[1] {
			in, stored = n, &statev1.NodeRecord{}
		}
	case len(parts) == 2 && parts[0] == "operations":
		if o := s.Operations[parts[1]]; o != nil {
			in, stored = o, &statev1.OperationRecord{}
		}
	case len(parts) == 4 && parts[0] == "operations" && parts[2] == "segments":
		var idx int32
		if _, err := fmt.Sscan(parts[3], &idx); err == nil && fmt.Sprint(idx) == parts[3] {
			if g := s.Segments[parts[1]][idx]; g != nil {
				in, stored = g, &statev1.SegmentRecord{}
			}
		}
	case len(parts) == 2 && parts[0] == "schedules":
		if sc := s.Schedules[parts[1]]; sc != nil {
			in, stored = sc, &statev1.ScheduleRecord{}
		}
	}
	if in == nil {
		return false
	}
	if _, err := h.store.Get(context.Background(), rel, stored); err != nil {
		return false
	}
	return proto.Equal(in, stored)
}

// writeTarget returns a write's record key (as plan.Problem names records), the znode its key
// names and the znode zkstore stores it at.
func writeTarget(w plan.Write) (key, rel, stored string) {
	switch w.Kind {
	case plan.RecordRing:
		rel, stored = zkstate.RingPath(w.Name), zkstate.RingPath(w.Name)
		if !w.Delete {
			stored = zkstate.RingPath(w.Ring.GetSpec().GetName())
		}
		return "ring " + w.Name, rel, stored
	case plan.RecordNode:
		ring := w.RingName
		if ring == "" && w.Node != nil {
			ring = w.Node.GetRing()
		}
		rel, stored = zkstate.NodePath(ring, w.Name), zkstate.NodePath(ring, w.Name)
		if !w.Delete {
			stored = zkstate.NodePath(w.Node.GetRing(), w.Node.GetName())
		}
		return "node " + w.Name, rel, stored
	case plan.RecordOperation:
		rel, stored = zkstate.OperationPath(w.Name), zkstate.OperationPath(w.Name)
		if !w.Delete {
			stored = zkstate.OperationPath(w.Operation.GetOperation().GetId())
		}
		return "operation " + w.Name, rel, stored
	case plan.RecordSegment:
		i := int(w.Segment.GetSegment().GetIndex())
		rel = zkstate.SegmentPath(w.Name, i)
		return fmt.Sprintf("segment %s/%d", w.Name, i), rel, rel
	default:
		rel, stored = zkstate.SchedulePath(w.Name), zkstate.SchedulePath(w.Name)
		if !w.Delete {
			stored = zkstate.SchedulePath(w.Schedule.GetSchedule().GetId())
		}
		return "schedule " + w.Name, rel, stored
	}
}

func writeRecord(w plan.Write) proto.Message {
	switch w.Kind {
	case plan.RecordRing:
		return w.Ring
	case plan.RecordNode:
		return w.Node
	case plan.RecordOperation:
		return w.Operation
	case plan.RecordSegment:
		return w.Segment
	default:
		return w.Schedule
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// describeRing answers the plan's describering relays with token ranges over the nodes' addresses.
func describeRing(w *plantest.World, pl plan.Plan) {
	var addrs []string
	for _, n := range w.State.Nodes {
		if n.GetAddress() != "" {
			addrs = append(addrs, n.GetAddress())
		}
	}
	sort.Strings(addrs)
	for _, a := range pl.Actions {
		r, ok := a.(plan.Relay)
		if !ok || r.Kind != plan.RelayDescribeRing {
			continue
		}
		res := plan.RelayResult{Done: true, At: w.Now}
		for i := range addrs {
			start := int64(math.MinInt64/2) + int64(i)*(1<<40)
			res.Ranges = append(res.Ranges, plan.TokenRange{Start: strconv.FormatInt(start, 10), End: strconv.FormatInt(start+(1<<40), 10),
				Endpoints: []string{addrs[i], addrs[(i+1)%len(addrs)]}})
		}
		w.State.Relays[r.ID] = res
	}
}
