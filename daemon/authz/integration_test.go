package authz_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/cassmesos/cassmesos/cli"
	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/daemon/authz"
	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/server"
	"github.com/cassmesos/cassmesos/internal/zktest"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	v1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

func TestMain(m *testing.M) { zktest.Main(m) }

// TestEveryMethodHasARule walks every service the daemon registers: each method must have a row
// in authz.Methods, and every row must name a registered method.
func TestEveryMethodHasARule(t *testing.T) {
	gs := server.NewGRPCServer(server.Options{Leadership: &leadership{}, Logger: slog.New(slog.DiscardHandler)})
	registered := map[string]bool{}
	for svc, info := range gs.GetServiceInfo() {
		for _, m := range info.Methods {
			full := "/" + svc + "/" + m.Name
			registered[full] = true
			if _, ok := authz.Methods[full]; !ok {
				t.Errorf("%s has no row in authz.Methods", full)
			}
		}
	}
	for m := range authz.Methods {
		if !registered[m] {
			t.Errorf("authz.Methods row %s names no registered method", m)
		}
	}
	if len(registered) < 25 {
		t.Fatalf("only %d methods registered", len(registered))
	}
}

// ---- a daemon on a real ZooKeeper, with a backend that writes every submitted request there

type leadership struct{ b server.Backend }

func (l *leadership) Backend() server.Backend { return l.b }
func (l *leadership) LeaderAddress() string   { return "" }

// zkBackend records each Submit as a znode under the store's root, so "nothing written" is
// checked on ZooKeeper itself.
type zkBackend struct {
	zs *zkstate.Store
	mu sync.Mutex
	n  int
}

func (b *zkBackend) Submit(_ context.Context, req plan.Request) (plan.Accepted, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	if _, err := b.zs.Conn().Create(fmt.Sprintf("%s/submitted-%d", b.zs.Root(), b.n), []byte(fmt.Sprintf("%T", req)), 0, zk.WorldACL(zk.PermAll)); err != nil {
		return plan.Accepted{}, err
	}
	op := &statev1.OperationRecord{Operation: &v1.Operation{Id: fmt.Sprintf("op%d", b.n)}}
	if c, ok := req.(plan.CreateRing); ok {
		return plan.Accepted{Created: true, Ring: &statev1.RingRecord{Spec: c.Spec}, Operation: op}, nil
	}
	return plan.Accepted{Operation: op}, nil
}

func (b *zkBackend) Read(_ context.Context, fn func(*plan.State)) error {
	fn(plan.NewState())
	return nil
}

func (b *zkBackend) Watch(context.Context, string) (<-chan engine.Snapshot, error) {
	return nil, plan.ErrOperationNotFound
}

func (b *zkBackend) Info() engine.Info { return engine.Info{} }

// pki is a small test CA with helpers to issue certificates.
type pki struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	dir  string
}

var serial int64

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	p := &pki{cert: cert, key: key, pool: pool, dir: t.TempDir()}
	writePEM(t, filepath.Join(p.dir, "ca.crt"), "CERTIFICATE", der)
	return p
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// issue makes a certificate for cn with organisation org (the role), valid from nb to na; server
// certificates name 127.0.0.1. It also writes <cn>.crt and <cn>.key into the PKI's directory.
func (p *pki) issue(t *testing.T, cn, org string, nb, na time.Time, srv bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, NotBefore: nb, NotAfter: na,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if org != "" {
		tmpl.Subject.Organization = strings.Split(org, ",")
	}
	if srv {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(p.dir, cn+".crt"), "CERTIFICATE", der)
	writePEM(t, filepath.Join(p.dir, cn+".key"), "EC PRIVATE KEY", kder)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

type world struct {
	t      *testing.T
	ca     *pki
	zs     *zkstate.Store
	addr   string
	tokens string
}

const (
	viewerToken   = "viewer-token-0123456789"
	operatorToken = "operator-token-0123456789"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	zs, err := zkstate.Open(ctx, zkstate.Config{
		Servers: zktest.Shared(t).Servers(), Framework: strings.ReplaceAll(t.Name(), "/", "-"),
		SessionTimeout: zktest.DefaultSessionTimeout, Logger: slog.New(slog.DiscardHandler), Dialer: zktest.Dialer,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(zs.Close)
	w := &world{t: t, ca: newPKI(t, "test CA"), zs: zs}
	now := time.Now()
	srvCert := w.ca.issue(t, "cassmesosd", "", now.Add(-time.Hour), now.Add(time.Hour), true)
	w.tokens = filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(w.tokens, []byte(viewerToken+",vera,viewer\n"+operatorToken+",otto,operator\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	toks, err := authz.LoadTokens(w.tokens)
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(t.TempDir(), "cassandra.tar.gz")
	if err := os.WriteFile(dist, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	audit := server.ZKAudit{Store: zs}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gs := server.NewGRPCServer(server.Options{
		Leadership: &leadership{b: &zkBackend{zs: zs}}, DefaultDistribution: dist, Logger: log,
		Auth: &authz.Authorizer{Tokens: toks, Audit: audit, Logger: log}, AuditLog: audit,
	}, grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{srvCert}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: w.ca.pool,
		MinVersion: tls.VersionTLS12,
	})))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	w.addr = lis.Addr().String()
	return w
}

// dial connects with TLS (trusting the test CA) presenting cert, if any.
func (w *world) dial(cert *tls.Certificate) *grpc.ClientConn {
	w.t.Helper()
	cfg := &tls.Config{RootCAs: w.ca.pool, MinVersion: tls.VersionTLS12}
	if cert != nil { // presented whatever CAs the server asks for, as an attacker would
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	conn, err := grpc.NewClient(w.addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { conn.Close() })
	return conn
}

// tree reads every znode under the framework root: path → data.
func (w *world) tree() map[string]string {
	w.t.Helper()
	out := map[string]string{}
	var walk func(p string)
	walk = func(p string) {
		data, _, err := w.zs.Conn().Get(p)
		if err != nil {
			w.t.Fatalf("read %s: %v", p, err)
		}
		out[p] = string(data)
		kids, _, err := w.zs.Conn().Children(p)
		if err != nil {
			w.t.Fatalf("list %s: %v", p, err)
		}
		for _, k := range kids {
			walk(p + "/" + k)
		}
	}
	walk(w.zs.Root())
	return out
}

// withoutAudit drops the audit records from a tree and returns how many there were.
func withoutAudit(tree map[string]string, root string) (map[string]string, int) {
	out, n := map[string]string{}, 0
	for p, d := range tree {
		if strings.HasPrefix(p, root+"/audit/") {
			n++
			continue
		}
		if p == root+"/audit" {
			continue
		}
		out[p] = d
	}
	return out, n
}

// method is one RPC of the API, found by walking the registered services' descriptors.
type method struct {
	full   string
	in     protoreflect.MessageType
	out    protoreflect.MessageType
	stream bool
}

func allMethods(t *testing.T) []method {
	t.Helper()
	gs := server.NewGRPCServer(server.Options{Leadership: &leadership{}, Logger: slog.New(slog.DiscardHandler)})
	var out []method
	for svc := range gs.GetServiceInfo() {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
		if err != nil {
			t.Fatal(err)
		}
		ms := d.(protoreflect.ServiceDescriptor).Methods()
		for i := range ms.Len() {
			m := ms.Get(i)
			in, err1 := protoregistry.GlobalTypes.FindMessageByName(m.Input().FullName())
			outT, err2 := protoregistry.GlobalTypes.FindMessageByName(m.Output().FullName())
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			out = append(out, method{full: "/" + svc + "/" + string(m.Name()), in: in, out: outT, stream: m.IsStreamingServer()})
		}
	}
	slices.SortFunc(out, func(a, b method) int { return strings.Compare(a.full, b.full) })
	return out
}

// samples are valid requests of the mutating methods: were a refused caller let through, they
// would reach the backend and write to ZooKeeper.
var samples = map[string]proto.Message{
	v1.RingService_CreateRing_FullMethodName:             &v1.CreateRingRequest{Spec: &v1.RingSpec{Name: "demo", Nodes: 3, Seeds: 2}},
	v1.RingService_UpdateRing_FullMethodName:             &v1.UpdateRingRequest{Name: "demo", Spec: &v1.RingSpec{HeapMb: 2048}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"heap_mb"}}},
	v1.RingService_ScaleRing_FullMethodName:              &v1.ScaleRingRequest{Name: "demo", Nodes: 5},
	v1.RingService_RestartRing_FullMethodName:            &v1.RestartRingRequest{Name: "demo"},
	v1.RingService_DeleteRing_FullMethodName:             &v1.DeleteRingRequest{Name: "demo"},
	v1.NodeService_ReplaceNode_FullMethodName:            &v1.ReplaceNodeRequest{Ref: &v1.NodeRef{Ring: "demo", Node: "demo-1"}},
	v1.NodeService_RestartNode_FullMethodName:            &v1.RestartNodeRequest{Ref: &v1.NodeRef{Ring: "demo", Node: "demo-1"}},
	v1.NodeService_DecommissionNode_FullMethodName:       &v1.DecommissionNodeRequest{Ref: &v1.NodeRef{Ring: "demo", Node: "demo-1"}},
	v1.NodeService_RemoveNode_FullMethodName:             &v1.RemoveNodeRequest{Ref: &v1.NodeRef{Ring: "demo", Node: "demo-1"}},
	v1.OperationService_CancelOperation_FullMethodName:   &v1.CancelOperationRequest{Id: "op1"},
	v1.RepairService_RunRepair_FullMethodName:            &v1.RunRepairRequest{Ring: "demo"},
	v1.RepairService_CancelRepair_FullMethodName:         &v1.CancelRepairRequest{Id: "op1"},
	v1.RepairService_PauseRepair_FullMethodName:          &v1.PauseRepairRequest{Id: "op1"},
	v1.RepairService_ResumeRepair_FullMethodName:         &v1.ResumeRepairRequest{Id: "op1"},
	v1.RepairService_CreateRepairSchedule_FullMethodName: &v1.CreateRepairScheduleRequest{Schedule: &v1.RepairSchedule{Ring: "demo", Cron: "0 3 * * *"}},
	v1.RepairService_DeleteRepairSchedule_FullMethodName: &v1.DeleteRepairScheduleRequest{Id: "s1"},
	v1.CleanupService_RunCleanup_FullMethodName:          &v1.RunCleanupRequest{Ring: "demo"},
}

// call invokes m with its sample request (an empty one for reads).
func call(ctx context.Context, conn *grpc.ClientConn, m method) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req := m.in.New().Interface()
	if s, ok := samples[m.full]; ok {
		req = proto.Clone(s)
	}
	if !m.stream {
		return conn.Invoke(ctx, m.full, req, m.out.New().Interface())
	}
	s, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, m.full)
	if err != nil {
		return err
	}
	if err := s.SendMsg(req); err != nil {
		return err
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	return s.RecvMsg(m.out.New().Interface())
}

func TestRefusedCallsWriteNothing(t *testing.T) {
	w := newWorld(t)
	now := time.Now()
	foreign := newPKI(t, "foreign CA")
	expired := w.ca.issue(t, "old", "admin", now.Add(-48*time.Hour), now.Add(-24*time.Hour), false)
	stranger := foreign.issue(t, "mallory", "admin", now.Add(-time.Hour), now.Add(time.Hour), false)
	noRole := w.ca.issue(t, "norole", "", now.Add(-time.Hour), now.Add(time.Hour), false)
	badRole := w.ca.issue(t, "root", "root", now.Add(-time.Hour), now.Add(time.Hour), false)
	viewer := w.ca.issue(t, "vic", "viewer", now.Add(-time.Hour), now.Add(time.Hour), false)
	operator := w.ca.issue(t, "olga", "daemon,operator,viewer", now.Add(-time.Hour), now.Add(time.Hour), false)
	daemonOnly := w.ca.issue(t, "cassmesosd-client", "daemon", now.Add(-time.Hour), now.Add(time.Hour), false)
	methods := allMethods(t)
	root := w.zs.Root()

	type caller struct {
		name  string
		conn  *grpc.ClientConn
		token string
		// codes: what the refusal may be
		codes []codes.Code
	}
	unauth := []codes.Code{codes.Unauthenticated}
	handshake := []codes.Code{codes.Unavailable, codes.Unauthenticated} // refused at the TLS handshake
	for _, c := range []caller{
		{name: "no credentials", conn: w.dial(nil), codes: unauth},
		{name: "expired certificate", conn: w.dial(&expired), codes: handshake},
		{name: "foreign CA", conn: w.dial(&stranger), codes: handshake},
		{name: "certificate without role", conn: w.dial(&noRole), codes: unauth},
		{name: "certificate with unknown role", conn: w.dial(&badRole), codes: unauth},
		{name: "daemon certificate", conn: w.dial(&daemonOnly), codes: unauth},
		{name: "unknown token", conn: w.dial(nil), token: "nobody-knows-this-token", codes: unauth},
		{name: "plaintext", conn: func() *grpc.ClientConn {
			conn, err := grpc.NewClient(w.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			return conn
		}(), codes: handshake},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := w.tree()
			for _, m := range methods {
				ctx := t.Context()
				if c.token != "" {
					ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)
				}
				err := call(ctx, c.conn, m)
				if !slices.Contains(c.codes, status.Code(err)) {
					t.Errorf("%s: %v, want one of %v", m.full, err, c.codes)
				}
			}
			if after := w.tree(); !maps.Equal(before, after) {
				t.Errorf("ZooKeeper changed:\nbefore %v\nafter  %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
			}
		})
	}

	// Too small a role: PermissionDenied naming the role needed; only the audit record is written.
	for _, c := range []struct {
		name  string
		conn  *grpc.ClientConn
		token string
		role  authz.Role
	}{
		{name: "viewer certificate", conn: w.dial(&viewer), role: authz.Viewer},
		{name: "operator certificate", conn: w.dial(&operator), role: authz.Operator},
		{name: "viewer token", conn: w.dial(nil), token: viewerToken, role: authz.Viewer},
		{name: "operator token", conn: w.dial(nil), token: operatorToken, role: authz.Operator},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, auditsBefore := withoutAudit(w.tree(), root)
			refusedMutating := 0
			for _, m := range methods {
				rule := authz.Methods[m.full]
				if rule.Role <= c.role {
					continue
				}
				ctx := t.Context()
				if c.token != "" {
					ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)
				}
				err := call(ctx, c.conn, m)
				if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "needs role "+rule.Role.String()) {
					t.Errorf("%s: %v, want PermissionDenied naming role %s", m.full, err, rule.Role)
				}
				if rule.Mutating {
					refusedMutating++
				}
			}
			after, auditsAfter := withoutAudit(w.tree(), root)
			if !maps.Equal(before, after) {
				t.Errorf("ZooKeeper changed beyond the audit log:\nbefore %v\nafter  %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
			}
			if auditsAfter-auditsBefore != refusedMutating || refusedMutating == 0 {
				t.Errorf("%d audit records written for %d refused mutating calls", auditsAfter-auditsBefore, refusedMutating)
			}
		})
	}
}

func TestAuditOfAllowedAndRefusedCalls(t *testing.T) {
	w := newWorld(t)
	now := time.Now()
	operator := w.ca.issue(t, "olga", "operator", now.Add(-time.Hour), now.Add(time.Hour), false)
	admin := w.ca.issue(t, "ada", "admin", now.Add(-time.Hour), now.Add(time.Hour), false)
	opConn := w.dial(&operator)
	ctx := t.Context()

	if _, err := v1.NewRingServiceClient(opConn).CreateRing(ctx, &v1.CreateRingRequest{Spec: &v1.RingSpec{Name: "demo", Nodes: 3, Seeds: 2}}); err != nil {
		t.Fatalf("operator CreateRing: %v", err)
	}
	_, err := v1.NewRingServiceClient(opConn).DeleteRing(ctx, &v1.DeleteRingRequest{Name: "demo"})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("operator DeleteRing: %v", err)
	}
	// Reads are not audited.
	if _, err := v1.NewRingServiceClient(opConn).ListRings(ctx, &v1.ListRingsRequest{}); err != nil {
		t.Fatal(err)
	}
	// Only admins read the log.
	if _, err := v1.NewAuditServiceClient(opConn).ListAuditEvents(ctx, &v1.ListAuditEventsRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("operator ListAuditEvents: %v", err)
	}

	resp, err := v1.NewAuditServiceClient(w.dial(&admin)).ListAuditEvents(ctx, &v1.ListAuditEventsRequest{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	evs := resp.GetEvents()
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2: %v", len(evs), evs)
	}
	del, create := evs[0], evs[1] // newest first
	if create.GetMethod() != v1.RingService_CreateRing_FullMethodName || create.GetIdentity() != "olga" || create.GetRole() != "operator" ||
		create.GetVia() != "cert" || create.GetCode() != "OK" || create.GetRing() != "demo" || create.GetPeer() == "" || create.GetTime() == nil {
		t.Errorf("create event %v", create)
	}
	if del.GetMethod() != v1.RingService_DeleteRing_FullMethodName || del.GetIdentity() != "olga" || del.GetCode() != "PermissionDenied" ||
		!strings.Contains(del.GetMessage(), "needs role admin") || del.GetRing() != "demo" {
		t.Errorf("delete event %v", del)
	}

	// The CLI, with the admin's certificate, shows the same two events.
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(string) string { return "" }
	f.ConfigPath = func() (string, error) { return filepath.Join(t.TempDir(), "none.yaml"), nil }
	d := w.ca.dir
	args := []string{"--server", w.addr, "--ca", filepath.Join(d, "ca.crt"), "--cert", filepath.Join(d, "ada.crt"), "--key", filepath.Join(d, "ada.key"),
		"audit", "list", "--since", "1h", "--user", "olga", "-o", "json"}
	if code := cli.Run(ctx, f, args); code != 0 {
		t.Fatalf("cassmesos audit list: exit %d: %s", code, errOut)
	}
	var got struct {
		Events []struct{ Method, Identity, Code string }
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got.Events) != 2 || got.Events[0].Code != "PermissionDenied" || got.Events[1].Code != "OK" || got.Events[1].Identity != "olga" {
		t.Fatalf("CLI events %+v", got.Events)
	}
	// The operator's certificate is refused by the CLI with the "denied" exit code.
	ios2, _, _, errOut2 := iostreams.Test()
	f2 := cmdutil.New(ios2)
	f2.Getenv = f.Getenv
	f2.ConfigPath = f.ConfigPath
	args2 := []string{"--server", w.addr, "--ca", filepath.Join(d, "ca.crt"), "--cert", filepath.Join(d, "olga.crt"), "--key", filepath.Join(d, "olga.key"), "audit", "list"}
	if code := cli.Run(ctx, f2, args2); code != cmdutil.ExitDenied || !strings.Contains(errOut2.String(), "admin") {
		t.Fatalf("operator audit list: exit %d: %s", code, errOut2)
	}
}
