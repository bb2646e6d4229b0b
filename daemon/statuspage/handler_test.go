package statuspage

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/authz"
	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/server"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	v1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

type fakeBackend struct{ st *plan.State }

func (f *fakeBackend) Submit(context.Context, plan.Request) (plan.Accepted, error) {
	return plan.Accepted{}, nil
}
func (f *fakeBackend) Read(_ context.Context, fn func(*plan.State)) error { fn(f.st); return nil }
func (f *fakeBackend) Watch(context.Context, string) (<-chan engine.Snapshot, error) {
	return nil, nil
}
func (f *fakeBackend) Info() engine.Info { return engine.Info{} }

type fakeLeadership struct {
	b    server.Backend
	addr string
}

func (l fakeLeadership) Backend() server.Backend { return l.b }
func (l fakeLeadership) LeaderAddress() string   { return l.addr }

type fakeEvents []*v1.Event

func (f fakeEvents) ListEvents(context.Context, zkstate.EventFilter) ([]*v1.Event, error) {
	return f, nil
}
func (f fakeEvents) WatchEvents(context.Context) (<-chan struct{}, error) { return nil, nil }

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// hostile is text a user controls (a warning, a node message) trying to break out of the page.
const hostile = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`

func testState() *plan.State {
	st := plan.NewState()
	st.Now = now
	st.Rings = map[string]*statev1.RingRecord{"demo": {Spec: &v1.RingSpec{Name: "demo", Nodes: 4},
		Status: &v1.RingStatus{Phase: v1.RingPhase_RING_PHASE_DEGRADED, ReadyNodes: 2, TotalNodes: 4, Warnings: []string{hostile}}}}
	node := func(i int32, l v1.Liveness, m v1.CassandraMode, p v1.NodePhase) *statev1.NodeRecord {
		name := "demo-" + string(rune('0'+i))
		return &statev1.NodeRecord{Ring: "demo", Name: name, Ordinal: i, Liveness: l, Mode: m, Phase: p, Address: "10.0.0." + string(rune('1'+i))}
	}
	up, normal, running := v1.Liveness_LIVENESS_UP, v1.CassandraMode_CASSANDRA_MODE_NORMAL, v1.NodePhase_NODE_PHASE_RUNNING
	st.Nodes = map[string]*statev1.NodeRecord{
		"demo-0": node(0, up, normal, running),
		"demo-1": node(1, up, v1.CassandraMode_CASSANDRA_MODE_JOINING, running),
		"demo-2": node(2, v1.Liveness_LIVENESS_DOWN, normal, v1.NodePhase_NODE_PHASE_LOST),
		"demo-3": node(3, v1.Liveness_LIVENESS_DOWN, normal, running),
	}
	st.Nodes["demo-3"].Message = hostile
	st.Operations = map[string]*statev1.OperationRecord{"20260301-115900-a": {Operation: &v1.Operation{Id: "20260301-115900-a", Ring: "demo",
		Kind: v1.OperationKind_OPERATION_KIND_REPAIR, Phase: v1.OperationPhase_OPERATION_PHASE_RUNNING, Progress: &v1.Progress{Done: 1, Total: 3}}}}
	st.Segments = map[string]map[int32]*statev1.SegmentRecord{"20260301-115900-a": {
		0: {Segment: &v1.RepairSegment{Index: 0, StartToken: "-9", EndToken: "-3", Phase: v1.StepPhase_STEP_PHASE_DONE}},
		1: {Segment: &v1.RepairSegment{Index: 1, StartToken: "-3", EndToken: "3", Phase: v1.StepPhase_STEP_PHASE_RUNNING, Coordinator: "demo-0"}},
		2: {Segment: &v1.RepairSegment{Index: 2, StartToken: "3", EndToken: "9", Phase: v1.StepPhase_STEP_PHASE_PENDING}},
	}}
	return st
}

func serve(t *testing.T, lead server.Leadership) (*httptest.Server, string) {
	t.Helper()
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("viewer-token-0123456789,vera,viewer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tk, err := authz.LoadTokens(tokens)
	if err != nil {
		t.Fatal(err)
	}
	a := &authz.Authorizer{Tokens: tk}
	h := New(Options{Leadership: lead, Events: fakeEvents{{Time: nil, Type: v1.EventType_EVENT_TYPE_WARNING, Reason: "NodeLost", Ring: "demo", Node: "demo-2", Message: hostile}},
		Now: func() time.Time { return now }})
	mux := http.NewServeMux()
	for _, p := range Paths {
		mux.Handle(p, a.RequireHTTP(authz.Viewer, h))
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, "viewer-token-0123456789"
}

func get(t *testing.T, url, token string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestStatusPageNeedsAuthentication(t *testing.T) {
	srv, _ := serve(t, fakeLeadership{b: &fakeBackend{st: testState()}})
	for _, p := range []string{"/status", "/status/fragment", "/status.json", "/status/app.js"} {
		if code, body, h := get(t, srv.URL+p, ""); code != http.StatusUnauthorized || !strings.Contains(body, "no credentials") || h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without credentials: %d %q; want 401 naming the missing credentials", p, code, body)
		}
		if code, body, _ := get(t, srv.URL+p, "wrong-token-0123456789"); code != http.StatusUnauthorized || strings.Contains(body, "demo") {
			t.Errorf("%s with a wrong token: %d %q; want 401", p, code, body)
		}
	}
}

func TestStatusPageContent(t *testing.T) {
	srv, tok := serve(t, fakeLeadership{b: &fakeBackend{st: testState()}})
	code, body, h := get(t, srv.URL+"/status", tok)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("GET /status: %d %v", code, h)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Fatalf("user text reached the page unescaped:\n%s", body)
	}
	for _, want := range []string{
		`data-node="demo-0" data-state="UN"`, `data-node="demo-1" data-state="UJ"`, `data-node="demo-2" data-state="lost"`,
		`data-node="demo-3" data-state="DN"`, `class="dot lost"`, `2/4 nodes UN`, `evenly spaced`,
		`<span class="op-progress">1/3 (33%)</span>`, `class="seg done"`, `class="seg running" title="segment 1 (-3, 3] running via demo-0"`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`, `NodeLost`, `node/demo-2`, `<script src="/status/app.js" defer></script>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<g class="node"`); n != 4 {
		t.Errorf("picture has %d nodes; want 4", n)
	}
	code, frag, _ := get(t, srv.URL+"/status/fragment", tok)
	if code != http.StatusOK || strings.Contains(frag, "<html") || !strings.Contains(frag, `data-node="demo-3" data-state="DN"`) {
		t.Fatalf("fragment: %d\n%s", code, frag)
	}
	code, js, _ := get(t, srv.URL+"/status.json", tok)
	var p Page
	if err := json.Unmarshal([]byte(js), &p); code != http.StatusOK || err != nil {
		t.Fatalf("status.json: %d %v", code, err)
	}
	if len(p.Rings) != 1 || len(p.Rings[0].Nodes) != 4 || p.Rings[0].Nodes[2].State != "lost" || p.Rings[0].Operations[0].Percent != 33 ||
		len(p.Rings[0].Operations[0].Segments) != 3 || p.Events[0].Message != hostile {
		t.Fatalf("status.json: %+v", p)
	}
}

func TestStatusPageOnAStandby(t *testing.T) {
	srv, tok := serve(t, fakeLeadership{addr: "10.1.1.1:9090"})
	code, body, _ := get(t, srv.URL+"/status", tok)
	if code != http.StatusOK || !strings.Contains(body, "standby") || !strings.Contains(body, "10.1.1.1:9090") || strings.Contains(body, "<g class=\"node\"") {
		t.Fatalf("standby page: %d\n%s", code, body)
	}
}
