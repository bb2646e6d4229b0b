package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/cassmesos/cassmesos/daemon/engine"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	"github.com/cassmesos/cassmesos/daemon/zkstore"
	"github.com/cassmesos/cassmesos/internal/zktest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

func TestMain(m *testing.M) { zktest.Main(m) }

// FuzzServerRequests sends every RPC of RingService, NodeService, OperationService,
// RepairService, CleanupService and SystemService, its request decoded from the fuzzer's bytes
// (the first byte picks the method, the rest is proto.Unmarshal'ed into its request type; bytes
// that do not decode are skipped), through the real gRPC server (bufconn, with its recovering and
// leader-gate interceptors) to a real engine running the real planner over a real ZooKeeper
// (internal/zktest, one server per fuzzing process), seeded with a running ring "demo" of 3 nodes,
// a repair, a cleanup and a repair schedule taken from a simulated cluster (plantest.World). There
// is no Mesos (its calls are dropped) and no executor (relays fail at once); the clock is fixed.
//
// Checked for every request:
//   - nothing panics (a handler panic would come back as Internal; an engine panic kills the
//     process);
//   - the answer is OK or a refusal that names the input's fault: InvalidArgument, NotFound,
//     FailedPrecondition, AlreadyExists or OutOfRange — never Internal, Unknown, Unavailable
//     (e.g. a record the planner accepted but ZooKeeper refused) or a timeout;
//   - a refused request writes nothing: every write reaching ZooKeeper goes through the store
//     wrapper, which knows which planner call produced it, so a refused call must not be followed
//     by any write produced by a request (the engine's own passes, woken by relay results, may
//     write meanwhile and are told apart).
//
// Requests for rings of more than 64 nodes are skipped (see maxFuzzNodes). The state grows with
// accepted requests; after 50 of them, or once it holds more than 2000
// nodes (a ring may have 10000), the harness starts over on a fresh root with the seed records.
func FuzzServerRequests(f *testing.F) {
	h := newFuzzServer(f)
	for i, m := range h.methods {
		for _, req := range fuzzSeedRequests(m.in, h.seed) {
			b, err := proto.Marshal(req)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(append([]byte{byte(i)}, b...))
		}
		f.Add([]byte{byte(i)})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		m := h.methods[int(data[0])%len(h.methods)]
		req := m.in.New().Interface()
		if err := proto.Unmarshal(data[1:], req); err != nil {
			return // not a request gRPC would deliver
		}
		if tooBig(req) {
			return
		}
		h.call(t, m, req)
	})
}

// maxFuzzNodes bounds the rings the fuzzer asks for: a valid ring of thousands of nodes (up to
// plan.MaxNodes) takes seconds to create, and a few of them slow the shared ZooKeeper down until
// calls time out, which says nothing about bad input. Larger counts are skipped.
const maxFuzzNodes = 64

// tooBig reports whether req asks for a ring larger than maxFuzzNodes.
func tooBig(req proto.Message) bool {
	switch r := req.(type) {
	case *cassmesosv1.CreateRingRequest:
		return r.GetSpec().GetNodes() > maxFuzzNodes
	case *cassmesosv1.ScaleRingRequest:
		return r.GetNodes() > maxFuzzNodes
	}
	return false
}

// fuzzMethod is one RPC of the daemon's API.
type fuzzMethod struct {
	full      string // /cassmesos.v1.RingService/CreateRing
	in, out   protoreflect.MessageType
	streaming bool
	mutating  bool
}

// fuzzSeedRequests are well-formed requests of type in naming what the seed state holds.
func fuzzSeedRequests(in protoreflect.MessageType, seed *plan.State) []proto.Message {
	op, sched := "", ""
	for _, id := range sortedKeys(seed.Operations) {
		if seed.Operations[id].GetOperation().GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPAIR {
			op = id
		}
	}
	for _, id := range sortedKeys(seed.Schedules) {
		sched = id
	}
	ref := &cassmesosv1.NodeRef{Ring: "demo", Node: "demo-0"}
	spec := &cassmesosv1.RingSpec{Name: "fz", Nodes: 3, Seeds: 2, Resources: &cassmesosv1.Resources{Cpus: 1, MemMb: 2048, DiskMb: 1024}}
	switch in.Descriptor().FullName() {
	case "cassmesos.v1.CreateRingRequest":
		return []proto.Message{&cassmesosv1.CreateRingRequest{Spec: spec}, &cassmesosv1.CreateRingRequest{Spec: spec, ValidateOnly: true},
			&cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 3}}}
	case "cassmesos.v1.GetRingRequest":
		return []proto.Message{&cassmesosv1.GetRingRequest{Name: "demo"}}
	case "cassmesos.v1.UpdateRingRequest":
		return []proto.Message{&cassmesosv1.UpdateRingRequest{Name: "demo", Spec: &cassmesosv1.RingSpec{Resources: &cassmesosv1.Resources{Cpus: 2}},
			UpdateMask: mask("resources.cpus")}}
	case "cassmesos.v1.ScaleRingRequest":
		return []proto.Message{&cassmesosv1.ScaleRingRequest{Name: "demo", Nodes: 4}, &cassmesosv1.ScaleRingRequest{Name: "demo", Nodes: 2, Remove: []string{"demo-2"}}}
	case "cassmesos.v1.RestartRingRequest":
		return []proto.Message{&cassmesosv1.RestartRingRequest{Name: "demo"}}
	case "cassmesos.v1.DeleteRingRequest":
		return []proto.Message{&cassmesosv1.DeleteRingRequest{Name: "demo"}}
	case "cassmesos.v1.ListNodesRequest":
		return []proto.Message{&cassmesosv1.ListNodesRequest{Ring: "demo"}}
	case "cassmesos.v1.GetNodeRequest":
		return []proto.Message{&cassmesosv1.GetNodeRequest{Ref: ref}}
	case "cassmesos.v1.ReplaceNodeRequest":
		return []proto.Message{&cassmesosv1.ReplaceNodeRequest{Ref: ref}}
	case "cassmesos.v1.RestartNodeRequest":
		return []proto.Message{&cassmesosv1.RestartNodeRequest{Ref: ref}}
	case "cassmesos.v1.DecommissionNodeRequest":
		return []proto.Message{&cassmesosv1.DecommissionNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-2"}}}
	case "cassmesos.v1.RemoveNodeRequest":
		return []proto.Message{&cassmesosv1.RemoveNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-2"}}}
	case "cassmesos.v1.ListOperationsRequest":
		return []proto.Message{&cassmesosv1.ListOperationsRequest{Ring: "demo", All: true, Limit: 3}}
	case "cassmesos.v1.GetOperationRequest":
		return []proto.Message{&cassmesosv1.GetOperationRequest{Id: op}}
	case "cassmesos.v1.CancelOperationRequest":
		return []proto.Message{&cassmesosv1.CancelOperationRequest{Id: op}}
	case "cassmesos.v1.WatchOperationRequest":
		return []proto.Message{&cassmesosv1.WatchOperationRequest{Id: op}}
	case "cassmesos.v1.RunRepairRequest":
		return []proto.Message{&cassmesosv1.RunRepairRequest{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks", Parallel: 2}}}
	case "cassmesos.v1.ListRepairsRequest":
		return []proto.Message{&cassmesosv1.ListRepairsRequest{Ring: "demo", All: true}}
	case "cassmesos.v1.GetRepairRequest":
		return []proto.Message{&cassmesosv1.GetRepairRequest{Id: op}}
	case "cassmesos.v1.CancelRepairRequest":
		return []proto.Message{&cassmesosv1.CancelRepairRequest{Id: op}}
	case "cassmesos.v1.PauseRepairRequest":
		return []proto.Message{&cassmesosv1.PauseRepairRequest{Id: op}}
	case "cassmesos.v1.ResumeRepairRequest":
		return []proto.Message{&cassmesosv1.ResumeRepairRequest{Id: op}}
	case "cassmesos.v1.CreateRepairScheduleRequest":
		return []proto.Message{&cassmesosv1.CreateRepairScheduleRequest{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "@daily",
			Window: "01:00-05:00", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}}}
	case "cassmesos.v1.ListRepairSchedulesRequest":
		return []proto.Message{&cassmesosv1.ListRepairSchedulesRequest{Ring: "demo"}}
	case "cassmesos.v1.DeleteRepairScheduleRequest":
		return []proto.Message{&cassmesosv1.DeleteRepairScheduleRequest{Id: sched}}
	case "cassmesos.v1.RunCleanupRequest":
		return []proto.Message{&cassmesosv1.RunCleanupRequest{Ring: "demo", Params: &cassmesosv1.CleanupParams{Keyspace: "ks"}}}
	}
	return nil
}

// fuzzServer is the harness: one gRPC server and client for the process, and an engine over a
// ZooKeeper root that is replaced when the state has grown.
type fuzzServer struct {
	zk      []string
	conn    *grpc.ClientConn
	methods []fuzzMethod
	lead    *fuzzLeadership
	seed    *plan.State
	seedNow time.Time

	// the current engine
	base     *zkstate.Store
	campaign *zkstate.Leadership
	eng      *engine.Engine
	stop     context.CancelFunc
	done     chan error
	store    *tracingStore
	accepted int
	roots    int
}

// fuzzRoots numbers the ZooKeeper roots of this process.
var fuzzRoots atomic.Int64

// fuzzLeadership hands the server the current engine.
type fuzzLeadership struct{ b atomic.Pointer[engine.Engine] }

func (l *fuzzLeadership) Backend() Backend {
	if e := l.b.Load(); e != nil {
		return e
	}
	return nil
}
func (l *fuzzLeadership) LeaderAddress() string { return "" }

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	srv := zktest.Shared(f)
	h := &fuzzServer{zk: srv.Servers(), lead: &fuzzLeadership{}}
	h.seed, h.seedNow = fuzzSeedState(f)
	for _, fd := range []protoreflect.FileDescriptor{cassmesosv1.File_cassmesos_v1_ring_proto, cassmesosv1.File_cassmesos_v1_node_proto,
		cassmesosv1.File_cassmesos_v1_operation_proto, cassmesosv1.File_cassmesos_v1_repair_proto,
		cassmesosv1.File_cassmesos_v1_cleanup_proto, cassmesosv1.File_cassmesos_v1_system_proto} {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				md := sd.Methods().Get(j)
				in, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
				if err != nil {
					f.Fatal(err)
				}
				out, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
				if err != nil {
					f.Fatal(err)
				}
				name := string(md.Name())
				h.methods = append(h.methods, fuzzMethod{full: fmt.Sprintf("/%s/%s", sd.FullName(), name), in: in, out: out,
					streaming: md.IsStreamingServer(),
					mutating:  !strings.HasPrefix(name, "Get") && !strings.HasPrefix(name, "List") && !strings.HasPrefix(name, "Watch")})
			}
		}
	}
	sort.Slice(h.methods, func(i, j int) bool { return h.methods[i].full < h.methods[j].full })
	if len(h.methods) < 28 {
		f.Fatalf("found %d methods in the API's descriptors, want every RPC", len(h.methods))
	}

	// The default distribution is a local file; no caller-named URL is allowed (Allow is nil).
	dist := filepath.Join(f.TempDir(), "apache-cassandra-5.0.2-bin.tar.gz")
	if err := os.WriteFile(dist, []byte("x"), 0o644); err != nil {
		f.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	gs := NewGRPCServer(Options{Leadership: h.lead, FrameworkName: "fuzz", DefaultDistribution: dist, Mirror: "https://archive.example",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	go func() { _ = gs.Serve(lis) }()
	f.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	h.conn = conn
	h.restart(f)
	f.Cleanup(func() { h.shutdown(f) })
	return h
}

// fuzzSeedState runs a simulated cluster until ring demo (3 nodes, 2 seeds) runs, then starts a
// repair and a cleanup and creates a schedule; it returns what "ZooKeeper" then holds.
func fuzzSeedState(tb testing.TB) (*plan.State, time.Time) {
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
	if len(w.Store.Nodes) != 3 || len(w.Store.Operations) == 0 {
		tb.Fatalf("seed world: %d nodes, %d operations\n%s", len(w.Store.Nodes), len(w.Store.Operations), w.Dump())
	}
	return w.Store, w.Now
}

// restart stops the current engine (if any) and starts one over a fresh root holding the seed.
func (h *fuzzServer) restart(tb testing.TB) {
	h.shutdown(tb)
	h.roots++
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	base, err := zkstate.Open(ctx, zkstate.Config{Servers: h.zk, Framework: fmt.Sprintf("fuzz-%d-%d", os.Getpid(), fuzzRoots.Add(1)), Logger: quiet})
	if err != nil {
		tb.Fatalf("zkstate.Open: %v (is ZooKeeper installed? run `make deps`)", err)
	}
	h.base = base
	s := h.seed
	for _, name := range sortedKeys(s.Rings) {
		if _, err := base.PutRing(ctx, s.Rings[name], zkstate.Absent); err != nil {
			tb.Fatal(err)
		}
	}
	for _, name := range sortedKeys(s.Nodes) {
		if _, err := base.PutNode(ctx, s.Nodes[name], zkstate.Absent); err != nil {
			tb.Fatal(err)
		}
	}
	for _, id := range sortedKeys(s.Operations) {
		if _, err := base.PutOperation(ctx, s.Operations[id], zkstate.Absent); err != nil {
			tb.Fatal(err)
		}
		for _, seg := range s.Segments[id] {
			if _, err := base.PutSegment(ctx, id, seg, zkstate.Absent); err != nil {
				tb.Fatal(err)
			}
		}
	}
	for _, id := range sortedKeys(s.Schedules) {
		if _, err := base.PutSchedule(ctx, s.Schedules[id], zkstate.Absent); err != nil {
			tb.Fatal(err)
		}
	}
	h.campaign, err = base.Campaign(ctx, "127.0.0.1:9090")
	if err != nil {
		tb.Fatal(err)
	}
	pl := &tracingPlanner{p: plan.New(plan.Config{FrameworkName: "fuzz", Role: "cassmesos"}, &prefixIDs{prefix: fmt.Sprintf("r%d-", h.roots)})}
	h.store = &tracingStore{Store: zkstore.New(h.campaign.Store(), nil), planner: pl}
	now := h.seedNow
	h.eng = engine.New(engine.Options{Planner: pl, Store: h.store, Mesos: dropMesos{}, Relayer: failRelayer{},
		Clock: func() time.Time { return now }, Tick: time.Hour, ReconcileTimeout: time.Hour, PollInterval: time.Hour,
		Logger: quiet})
	rctx, stop := context.WithCancel(context.Background())
	h.stop, h.done = stop, make(chan error, 1)
	eng := h.eng
	go func() { h.done <- eng.Run(rctx) }()
	// Serve once the engine has loaded the records.
	deadline := time.Now().Add(30 * time.Second)
	for eng.Read(ctx, func(*plan.State) {}) != nil {
		if time.Now().After(deadline) {
			tb.Fatal("the engine did not start")
		}
		select {
		case err := <-h.done:
			tb.Fatalf("the engine stopped at once: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	h.lead.b.Store(eng)
	h.accepted = 0
}

func (h *fuzzServer) shutdown(tb testing.TB) {
	if h.eng == nil {
		return
	}
	h.lead.b.Store(nil)
	h.stop()
	select {
	case err := <-h.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("the engine ended with %v", err)
		}
	case <-time.After(30 * time.Second):
		tb.Error("the engine did not stop")
	}
	h.eng = nil
	h.base.Close()
}

// acceptable are the codes a request may be answered with: OK, or a refusal naming the input's
// fault.
var acceptable = map[codes.Code]bool{codes.OK: true, codes.InvalidArgument: true, codes.NotFound: true,
	codes.FailedPrecondition: true, codes.AlreadyExists: true, codes.OutOfRange: true}

func (h *fuzzServer) call(t *testing.T, m fuzzMethod, req proto.Message) {
	if err := h.store.err(); err != nil {
		t.Fatalf("before %s: %v", m.full, err)
	}
	before := h.store.requestWrites.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var err error
	if m.streaming {
		err = h.stream(ctx, m, req)
	} else {
		err = h.conn.Invoke(ctx, m.full, req, m.out.New().Interface())
	}
	st := status.Convert(err)
	if !acceptable[st.Code()] {
		t.Fatalf("%s(%v): answered %s: %s", m.full, req, st.Code(), st.Message())
	}
	if st.Code() != codes.OK && st.Message() == "" {
		t.Fatalf("%s(%v): refused with %s without saying why", m.full, req, st.Code())
	}
	if err := h.store.err(); err != nil {
		t.Fatalf("%s(%v): %v", m.full, req, err)
	}
	if st.Code() != codes.OK {
		if n := h.store.requestWrites.Load() - before; n != 0 {
			t.Fatalf("%s(%v) was refused (%s: %s) but wrote %d records", m.full, req, st.Code(), st.Message(), n)
		}
		return
	}
	if m.mutating {
		h.accepted++
		nodes := 0
		_ = h.eng.Read(ctx, func(s *plan.State) { nodes = len(s.Nodes) })
		if h.accepted >= 50 || nodes > 2000 {
			h.restart(t)
		}
	}
}

// stream runs a server-streaming call until its first message (then hangs up) or its end.
func (h *fuzzServer) stream(ctx context.Context, m fuzzMethod, req proto.Message) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs, err := h.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, m.full)
	if err != nil {
		return err
	}
	if err := cs.SendMsg(req); err != nil {
		return err
	}
	if err := cs.CloseSend(); err != nil {
		return err
	}
	if err := cs.RecvMsg(m.out.New().Interface()); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	return nil
}

// tracingPlanner remembers which planner call ran last on the engine's loop (the store's writes
// that follow are that call's) and whether it refused.
type tracingPlanner struct {
	p    *plan.Planner
	mu   sync.Mutex
	last string // "request", "refused", "pass"
}

func (tp *tracingPlanner) set(s string) {
	tp.mu.Lock()
	tp.last = s
	tp.mu.Unlock()
}

func (tp *tracingPlanner) lastCall() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.last
}

func (tp *tracingPlanner) Submit(s *plan.State, req plan.Request) (plan.Accepted, error) {
	tp.set("refused") // until it returns: a panicking Submit is a refused one too
	acc, err := tp.p.Submit(s, req)
	if err == nil {
		tp.set("request")
	}
	return acc, err
}

func (tp *tracingPlanner) Reconcile(s *plan.State) plan.Plan {
	tp.set("pass")
	return tp.p.Reconcile(s)
}

func (tp *tracingPlanner) MatchOffers(s *plan.State, offers []plan.Offer) plan.Plan {
	tp.set("pass")
	return tp.p.MatchOffers(s, offers)
}

// tracingStore counts the writes of accepted requests and notes any write made after a refused
// one.
type tracingStore struct {
	*zkstore.Store
	planner       *tracingPlanner
	requestWrites atomic.Int64
	mu            sync.Mutex
	violation     error
}

func (ts *tracingStore) Persist(ctx context.Context, writes []plan.Write) error {
	switch ts.planner.lastCall() {
	case "refused":
		ts.mu.Lock()
		if ts.violation == nil {
			ts.violation = fmt.Errorf("%d records written after the planner refused a request", len(writes))
		}
		ts.mu.Unlock()
	case "request":
		ts.requestWrites.Add(int64(len(writes)))
	}
	err := ts.Store.Persist(ctx, writes)
	if err != nil {
		ts.mu.Lock()
		if ts.violation == nil {
			ts.violation = fmt.Errorf("persisting %d writes failed: %w", len(writes), err)
		}
		ts.mu.Unlock()
	}
	return err
}

func (ts *tracingStore) err() error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.violation
}

// prefixIDs hands out IDs that do not collide with the seed's.
type prefixIDs struct {
	mu     sync.Mutex
	prefix string
	n      int
}

func (p *prefixIDs) NewID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return fmt.Sprintf("%s%05d", p.prefix, p.n)
}

// dropMesos accepts every scheduler call and does nothing (there is no subscription).
type dropMesos struct{}

func (dropMesos) Accept(context.Context, uint64, plan.Accept) error           { return nil }
func (dropMesos) Decline(context.Context, uint64, plan.Decline) error         { return nil }
func (dropMesos) Kill(context.Context, uint64, plan.Kill) error               { return nil }
func (dropMesos) Reconcile(context.Context, uint64, []plan.TaskRef) error     { return nil }
func (dropMesos) Acknowledge(context.Context, uint64, mesosadapter.Ack) error { return nil }
func (dropMesos) Suppress(context.Context, uint64) error                      { return nil }
func (dropMesos) Revive(context.Context, uint64) error                        { return nil }

// failRelayer has no executors to talk to.
type failRelayer struct{}

func (failRelayer) Relay(context.Context, uint64, plan.Relay) ([]plan.TokenRange, error) {
	return nil, errors.New("fuzz: no executor")
}
func (failRelayer) ListKeyspaces(context.Context, uint64, plan.Relay, bool) ([]*cassmesosv1.Keyspace, error) {
	return nil, errors.New("fuzz: no executor")
}
func (failRelayer) NodeStatus(context.Context, uint64, string, string, string, uint32, string) (*cassmesosv1.GetNodeStatusResponse, error) {
	return nil, errors.New("fuzz: no executor")
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
