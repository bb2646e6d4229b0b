package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/daemon/artifacts"
	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// fakeBackend records submitted requests and serves a fixed state.
type fakeBackend struct {
	mu        sync.Mutex
	submitted []plan.Request
	state     *plan.State
	submitErr error
	watch     chan engine.Snapshot
}

func (f *fakeBackend) Submit(_ context.Context, req plan.Request) (plan.Accepted, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submitted = append(f.submitted, req)
	if f.submitErr != nil {
		return plan.Accepted{}, f.submitErr
	}
	if c, ok := req.(plan.CreateRing); ok {
		return plan.Accepted{Created: true, Ring: &statev1.RingRecord{Spec: c.Spec},
			Operation: &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op1", Ring: c.Spec.GetName()}}}, nil
	}
	return plan.Accepted{Operation: &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op-started"}}}, nil
}

func (f *fakeBackend) Read(_ context.Context, fn func(*plan.State)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.state)
	return nil
}

func (f *fakeBackend) Watch(_ context.Context, id string) (<-chan engine.Snapshot, error) {
	if f.state.Operations[id] == nil {
		return nil, fmt.Errorf("%w: %s", plan.ErrOperationNotFound, id)
	}
	return f.watch, nil
}

func (f *fakeBackend) Info() engine.Info {
	return engine.Info{FrameworkID: "fw-1", MasterVersion: "1.11.0"}
}

func (f *fakeBackend) writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.submitted)
}

type fakeLeadership struct {
	b    Backend
	addr string
}

func (l *fakeLeadership) Backend() Backend      { return l.b }
func (l *fakeLeadership) LeaderAddress() string { return l.addr }

func dial(t *testing.T, opts Options) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s := NewGRPCServer(opts)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func testState() *plan.State {
	st := plan.NewState()
	st.Rings["demo"] = &statev1.RingRecord{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 2}}
	st.Nodes["demo-0"] = &statev1.NodeRecord{Ring: "demo", Name: "demo-0", Ordinal: 0, Seed: true}
	st.Nodes["demo-1"] = &statev1.NodeRecord{Ring: "demo", Name: "demo-1", Ordinal: 1}
	st.Operations["op1"] = &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op1", Ring: "demo",
		Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING, CreateTime: timestamppb.New(time.Unix(10, 0))}}
	st.Operations["op0"] = &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op0", Ring: "demo",
		Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED, CreateTime: timestamppb.New(time.Unix(5, 0))}}
	return st
}

func TestCode(t *testing.T) {
	tests := []struct {
		err  error
		want codes.Code
	}{
		{nil, codes.OK},
		{fmt.Errorf("x: %w", plan.ErrInvalid), codes.InvalidArgument},
		{fmt.Errorf("x: %w", plan.ErrRingNotFound), codes.NotFound},
		{plan.ErrNodeNotFound, codes.NotFound},
		{plan.ErrOperationNotFound, codes.NotFound},
		{fmt.Errorf("x: %w", plan.ErrRingExists), codes.AlreadyExists},
		{plan.ErrPrecondition, codes.FailedPrecondition},
		{fmt.Errorf("%w: zk down", engine.ErrPersist), codes.Unavailable},
		{engine.ErrStopped, codes.Unavailable},
		{engine.ErrNotLeader, codes.Unavailable},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{context.Canceled, codes.Canceled},
		{status.Error(codes.Aborted, "x"), codes.Aborted},
		{errors.New("surprise"), codes.Unknown},
	}
	for _, tt := range tests {
		if got := Code(tt.err); got != tt.want {
			t.Errorf("Code(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestValidatorsRejectAndWriteNothing(t *testing.T) {
	b := &fakeBackend{state: testState()}
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}, DefaultDistribution: tarball(t)})
	rings := cassmesosv1.NewRingServiceClient(conn)
	nodes := cassmesosv1.NewNodeServiceClient(conn)
	ops := cassmesosv1.NewOperationServiceClient(conn)
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"create without spec", func() error { _, err := rings.CreateRing(ctx, &cassmesosv1.CreateRingRequest{}); return err }, "spec"},
		{"create without name", func() error {
			_, err := rings.CreateRing(ctx, &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Nodes: 3}})
			return err
		}, "spec.name"},
		{"create from a malformed backup ID", func() error {
			_, err := rings.CreateRing(ctx, &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "demo"}, FromBackup: "../x"})
			return err
		}, "from_backup"},
		{"create bad name", func() error {
			_, err := rings.CreateRing(ctx, &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "Demo!", Nodes: 3}})
			return err
		}, "spec.name"},
		{"create local tarball outside the allow-list", func() error {
			_, err := rings.CreateRing(ctx, &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 3,
				Distribution: &cassmesosv1.Distribution{Url: "/nonexistent/cassandra.tar.gz"}}})
			return err
		}, "spec.distribution.url"},
		{"create java outside the allow-list", func() error {
			_, err := rings.CreateRing(ctx, &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 3,
				Distribution: &cassmesosv1.Distribution{JavaUrl: "file:///nonexistent/jre.tgz"}}})
			return err
		}, "spec.distribution.java_url"},
		{"get ring empty", func() error { _, err := rings.GetRing(ctx, &cassmesosv1.GetRingRequest{}); return err }, "name"},
		{"delete ring bad", func() error { _, err := rings.DeleteRing(ctx, &cassmesosv1.DeleteRingRequest{Name: "a/b"}); return err }, "name"},
		{"list nodes bad ring", func() error { _, err := nodes.ListNodes(ctx, &cassmesosv1.ListNodesRequest{Ring: "A"}); return err }, "ring"},
		{"get node no ref", func() error { _, err := nodes.GetNode(ctx, &cassmesosv1.GetNodeRequest{}); return err }, "ref.node"},
		{"get node other ring", func() error {
			_, err := nodes.GetNode(ctx, &cassmesosv1.GetNodeRequest{Ref: &cassmesosv1.NodeRef{Ring: "other", Node: "demo-1"}})
			return err
		}, "ref.node"},
		{"get op empty", func() error { _, err := ops.GetOperation(ctx, &cassmesosv1.GetOperationRequest{}); return err }, "id"},
		{"cancel op bad", func() error {
			_, err := ops.CancelOperation(ctx, &cassmesosv1.CancelOperationRequest{Id: "../x"})
			return err
		}, "id"},
		{"list ops negative", func() error {
			_, err := ops.ListOperations(ctx, &cassmesosv1.ListOperationsRequest{Limit: -1})
			return err
		}, "limit"},
		{"list ops bad kind", func() error {
			_, err := ops.ListOperations(ctx, &cassmesosv1.ListOperationsRequest{Kinds: []cassmesosv1.OperationKind{99}})
			return err
		}, "kinds[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("code %v (%v), want InvalidArgument", status.Code(err), err)
			}
			if !strings.Contains(status.Convert(err).Message(), tt.field+":") {
				t.Errorf("message %q does not name %s", status.Convert(err).Message(), tt.field)
			}
			if n := b.writes(); n != 0 {
				t.Errorf("%d requests reached the engine", n)
			}
		})
	}
}

func tarball(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cassandra.tar.gz")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue 13: distribution and Java URLs come only from the operator's allow-list; CreateRing makes
// no outbound request on the caller's behalf and touches no file outside the list.
func TestCreateRingDistributionAllowList(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(404)
	}))
	defer srv.Close()
	dir := t.TempDir()
	local := filepath.Join(dir, "cassandra.tar.gz")
	if err := os.WriteFile(local, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	allow, err := artifacts.NewAllowList([]string{srv.URL + "/dist", "file://" + dir, "https://archive.example/dist/cassandra"})
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBackend{state: testState()}
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}, Mirror: "https://archive.example/dist", Allow: allow, DefaultDistribution: local})
	rings := cassmesosv1.NewRingServiceClient(conn)
	for _, tt := range []struct {
		d     *cassmesosv1.Distribution
		want  codes.Code
		field string
	}{
		// Allowed; the server answers 404 but is never asked: the launch reports it.
		{&cassmesosv1.Distribution{Url: srv.URL + "/dist/missing.tgz"}, codes.OK, ""},
		{&cassmesosv1.Distribution{Url: "file://" + local}, codes.OK, ""},
		{&cassmesosv1.Distribution{Version: "4.1.5"}, codes.OK, ""},
		{&cassmesosv1.Distribution{Url: srv.URL + "/other/c.tgz"}, codes.InvalidArgument, "spec.distribution.url"},
		{&cassmesosv1.Distribution{Url: "file:///etc/shadow"}, codes.InvalidArgument, "spec.distribution.url"},
		{&cassmesosv1.Distribution{Url: "/etc/shadow"}, codes.InvalidArgument, "spec.distribution.url"},
		{&cassmesosv1.Distribution{Url: "file://" + dir + "/../../etc/shadow"}, codes.InvalidArgument, "spec.distribution.url"},
		{&cassmesosv1.Distribution{Url: "file://" + dir + "/absent.tgz"}, codes.InvalidArgument, "spec.distribution.url"},
		{&cassmesosv1.Distribution{JavaUrl: "file:///etc/shadow"}, codes.InvalidArgument, "spec.distribution.java_url"},
		{&cassmesosv1.Distribution{JavaUrl: "http://169.254.169.254/latest/meta-data/"}, codes.InvalidArgument, "spec.distribution.java_url"},
	} {
		_, err := rings.CreateRing(context.Background(), &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 1, Distribution: tt.d}})
		if status.Code(err) != tt.want {
			t.Errorf("%v: %v, want %v", tt.d, err, tt.want)
			continue
		}
		if tt.field != "" && !strings.Contains(status.Convert(err).Message(), tt.field+":") {
			t.Errorf("%v: message %q does not name %s", tt.d, status.Convert(err).Message(), tt.field)
		}
	}
	if b.writes() != 3 {
		t.Errorf("%d submits, want 3 (only the allowed ones)", b.writes())
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("CreateRing made %d outbound requests on the caller's behalf, want 0", n)
	}
	// The refusal names the allowed prefixes.
	_, err = rings.CreateRing(context.Background(), &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 1,
		Distribution: &cassmesosv1.Distribution{Url: "file:///etc/shadow"}}})
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "file://"+dir) || !strings.Contains(msg, "--artifact-allow") {
		t.Errorf("refusal does not list the allowed prefixes: %s", msg)
	}
}

func TestDomainErrorsMapped(t *testing.T) {
	b := &fakeBackend{state: testState(), submitErr: fmt.Errorf("%w: demo exists with another spec", plan.ErrRingExists)}
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}, DefaultDistribution: tarball(t)})
	_, err := cassmesosv1.NewRingServiceClient(conn).CreateRing(context.Background(), &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 1}})
	if status.Code(err) != codes.AlreadyExists {
		t.Errorf("CreateRing: %v, want AlreadyExists", err)
	}
	_, err = cassmesosv1.NewRingServiceClient(conn).GetRing(context.Background(), &cassmesosv1.GetRingRequest{Name: "nope"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("GetRing: %v, want NotFound", err)
	}
	_, err = cassmesosv1.NewNodeServiceClient(conn).GetNode(context.Background(), &cassmesosv1.GetNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-7"}})
	if status.Code(err) != codes.NotFound {
		t.Errorf("GetNode: %v, want NotFound", err)
	}
	_, err = cassmesosv1.NewRepairServiceClient(conn).GetRepair(context.Background(), &cassmesosv1.GetRepairRequest{Id: "nope"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("GetRepair: %v, want NotFound", err)
	}
}

func TestReads(t *testing.T) {
	b := &fakeBackend{state: testState()}
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}})
	ctx := context.Background()
	r, err := cassmesosv1.NewRingServiceClient(conn).GetRing(ctx, &cassmesosv1.GetRingRequest{Name: "demo"})
	if err != nil || len(r.GetNodes()) != 2 || r.GetNodes()[0].GetName() != "demo-0" {
		t.Fatalf("GetRing: %v %v", r, err)
	}
	n, err := cassmesosv1.NewNodeServiceClient(conn).GetNode(ctx, &cassmesosv1.GetNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-1"}})
	if err != nil || n.GetNode().GetRing() != "demo" {
		t.Fatalf("GetNode: %v %v", n, err)
	}
	l, err := cassmesosv1.NewOperationServiceClient(conn).ListOperations(ctx, &cassmesosv1.ListOperationsRequest{})
	if err != nil || len(l.GetOperations()) != 1 {
		t.Fatalf("ListOperations (active only): %v %v", l, err)
	}
	l, err = cassmesosv1.NewOperationServiceClient(conn).ListOperations(ctx, &cassmesosv1.ListOperationsRequest{All: true})
	if err != nil || len(l.GetOperations()) != 2 || l.GetOperations()[0].GetId() != "op1" {
		t.Fatalf("ListOperations --all (newest first): %v %v", l, err)
	}
	v, err := cassmesosv1.NewSystemServiceClient(conn).GetVersion(ctx, &cassmesosv1.GetVersionRequest{})
	if err != nil || !v.GetIsLeader() || v.GetFrameworkId() != "fw-1" {
		t.Fatalf("GetVersion: %v %v", v, err)
	}
}

func TestWatchOperation(t *testing.T) {
	b := &fakeBackend{state: testState(), watch: make(chan engine.Snapshot, 3)}
	op := b.state.Operations["op1"]
	b.watch <- engine.Snapshot{Operation: op, Nodes: b.state.RingNodes("demo")}
	done := &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op1", Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED}}
	b.watch <- engine.Snapshot{Operation: done, Terminal: true}
	close(b.watch)
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}})
	stream, err := cassmesosv1.NewOperationServiceClient(conn).WatchOperation(context.Background(), &cassmesosv1.WatchOperationRequest{Id: "op1"})
	if err != nil {
		t.Fatal(err)
	}
	var phases []cassmesosv1.OperationPhase
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		phases = append(phases, m.GetOperation().GetPhase())
	}
	if len(phases) != 2 || phases[1] != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		t.Errorf("phases %v", phases)
	}
	s2, _ := cassmesosv1.NewOperationServiceClient(conn).WatchOperation(context.Background(), &cassmesosv1.WatchOperationRequest{Id: "nope"})
	if _, err := s2.Recv(); status.Code(err) != codes.NotFound {
		t.Errorf("watch unknown: %v", err)
	}
}

func TestStandbyRedirects(t *testing.T) {
	conn := dial(t, Options{Leadership: &fakeLeadership{addr: "10.0.0.7:9090"}, FrameworkName: "cassmesos"})
	var trailer metadata.MD
	_, err := cassmesosv1.NewRingServiceClient(conn).ListRings(context.Background(), &cassmesosv1.ListRingsRequest{}, grpc.Trailer(&trailer))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("ListRings on a standby: %v", err)
	}
	if got := trailer.Get(LeaderTrailer); len(got) != 1 || got[0] != "10.0.0.7:9090" {
		t.Errorf("trailer %v", trailer)
	}
	stream, err := cassmesosv1.NewOperationServiceClient(conn).WatchOperation(context.Background(), &cassmesosv1.WatchOperationRequest{Id: "op1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable || stream.Trailer().Get(LeaderTrailer)[0] != "10.0.0.7:9090" {
		t.Errorf("stream on a standby: %v %v", err, stream.Trailer())
	}
	v, err := cassmesosv1.NewSystemServiceClient(conn).GetVersion(context.Background(), &cassmesosv1.GetVersionRequest{})
	if err != nil || v.GetIsLeader() || v.GetLeaderAddress() != "10.0.0.7:9090" {
		t.Errorf("GetVersion on a standby: %v %v", v, err)
	}
}
