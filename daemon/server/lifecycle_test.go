package server

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func mask(p ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: p} }

func TestLifecycleValidatorsRejectAndWriteNothing(t *testing.T) {
	b := &fakeBackend{state: testState()}
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}})
	rings := cassmesosv1.NewRingServiceClient(conn)
	nodes := cassmesosv1.NewNodeServiceClient(conn)
	ctx := context.Background()
	heap := &cassmesosv1.RingSpec{HeapMb: 900}
	tests := []struct {
		name  string
		call  func() error
		field string
		text  string
	}{
		{"scale no name", func() error { _, err := rings.ScaleRing(ctx, &cassmesosv1.ScaleRingRequest{Nodes: 3}); return err }, "name", "required"},
		{"scale to zero", func() error {
			_, err := rings.ScaleRing(ctx, &cassmesosv1.ScaleRingRequest{Name: "demo"})
			return err
		}, "nodes", "at least 1 node"},
		{"scale negative", func() error {
			_, err := rings.ScaleRing(ctx, &cassmesosv1.ScaleRingRequest{Name: "demo", Nodes: -2})
			return err
		}, "nodes", "at least 1 node"},
		{"scale too big", func() error {
			_, err := rings.ScaleRing(ctx, &cassmesosv1.ScaleRingRequest{Name: "demo", Nodes: plan.MaxNodes + 1})
			return err
		}, "nodes", "at most"},
		{"scale remove other ring", func() error {
			_, err := rings.ScaleRing(ctx, &cassmesosv1.ScaleRingRequest{Name: "demo", Nodes: 1, Remove: []string{"other-1"}})
			return err
		}, "remove[0]", "not a node of ring"},
		{"scale remove twice", func() error {
			_, err := rings.ScaleRing(ctx, &cassmesosv1.ScaleRingRequest{Name: "demo", Nodes: 1, Remove: []string{"demo-1", "demo-1"}})
			return err
		}, "remove[1]", "named twice"},
		{"restart ring bad name", func() error {
			_, err := rings.RestartRing(ctx, &cassmesosv1.RestartRingRequest{Name: "Demo"})
			return err
		}, "name", "not a ring name"},
		{"update no name", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Spec: heap, UpdateMask: mask("heap_mb")})
			return err
		}, "name", "required"},
		{"update no spec", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", UpdateMask: mask("heap_mb")})
			return err
		}, "spec", "required"},
		{"update no mask", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", Spec: heap})
			return err
		}, "update_mask", "at least one field"},
		{"update nodes", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", Spec: heap, UpdateMask: mask("heap_mb", "nodes")})
			return err
		}, "update_mask.paths[1]", "ring scale"},
		{"update unknown field", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", Spec: heap, UpdateMask: mask("heap")})
			return err
		}, "update_mask.paths[0]", "not a ring spec field"},
		{"update nested unknown", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", Spec: heap, UpdateMask: mask("heap_mb.x")})
			return err
		}, "update_mask.paths[0]", "not a ring spec field"},
		{"update disk", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", Spec: heap, UpdateMask: mask("resources.disk_mb")})
			return err
		}, "update_mask.paths[0]", "fixed at creation"},
		{"update jmx from offer", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo",
				Spec: &cassmesosv1.RingSpec{Ports: &cassmesosv1.Ports{JmxFromOffer: true}}, UpdateMask: mask("ports.jmx_from_offer")})
			return err
		}, "update_mask.paths[0]", "ports are fixed"},
		{"update twice", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", Spec: heap, UpdateMask: mask("heap_mb", "heap_mb")})
			return err
		}, "update_mask.paths[1]", "named twice"},
		{"update zero cpus", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", Spec: heap, UpdateMask: mask("resources.cpus")})
			return err
		}, "spec.resources.cpus", "positive"},
		{"update negative grace", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo",
				Spec: &cassmesosv1.RingSpec{ReplaceAfter: durationpb.New(-1)}, UpdateMask: mask("replace_after")})
			return err
		}, "spec.replace_after", "negative"},
		{"update distribution outside the allow-list", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo",
				Spec: &cassmesosv1.RingSpec{Distribution: &cassmesosv1.Distribution{Url: "/nonexistent/c.tar.gz"}}, UpdateMask: mask("distribution.url")})
			return err
		}, "spec.distribution.url", "--artifact-allow"},
		{"replace no ref", func() error { _, err := nodes.ReplaceNode(ctx, &cassmesosv1.ReplaceNodeRequest{}); return err }, "ref.node", "required"},
		{"replace bad node", func() error {
			_, err := nodes.ReplaceNode(ctx, &cassmesosv1.ReplaceNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo"}})
			return err
		}, "ref.node", "not a node name"},
		{"restart node other ring", func() error {
			_, err := nodes.RestartNode(ctx, &cassmesosv1.RestartNodeRequest{Ref: &cassmesosv1.NodeRef{Ring: "x", Node: "demo-1"}})
			return err
		}, "ref.node", "not a node of ring"},
		{"decommission no ref", func() error {
			_, err := nodes.DecommissionNode(ctx, &cassmesosv1.DecommissionNodeRequest{})
			return err
		}, "ref.node", "required"},
		{"remove bad ring", func() error {
			_, err := nodes.RemoveNode(ctx, &cassmesosv1.RemoveNodeRequest{Ref: &cassmesosv1.NodeRef{Ring: "A", Node: "demo-1"}})
			return err
		}, "ref.ring", "not a ring name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("code %v (%v), want InvalidArgument", status.Code(err), err)
			}
			msg := status.Convert(err).Message()
			if !strings.Contains(msg, tt.field+":") || !strings.Contains(msg, tt.text) {
				t.Errorf("message %q does not name %s with %q", msg, tt.field, tt.text)
			}
			if n := b.writes(); n != 0 {
				t.Errorf("%d requests reached the engine", n)
			}
		})
	}
}

func TestLifecycleSubmits(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(r cassmesosv1.RingServiceClient, n cassmesosv1.NodeServiceClient) (*cassmesosv1.Operation, error)
		want plan.Request
	}{
		{"scale", func(r cassmesosv1.RingServiceClient, _ cassmesosv1.NodeServiceClient) (*cassmesosv1.Operation, error) {
			resp, err := r.ScaleRing(ctx, &cassmesosv1.ScaleRingRequest{Name: "demo", Nodes: 4, Remove: []string{"demo-1"}})
			return resp.GetOperation(), err
		}, plan.ScaleRing{Ring: "demo", Nodes: 4, Remove: []string{"demo-1"}}},
		{"restart ring", func(r cassmesosv1.RingServiceClient, _ cassmesosv1.NodeServiceClient) (*cassmesosv1.Operation, error) {
			resp, err := r.RestartRing(ctx, &cassmesosv1.RestartRingRequest{Name: "demo"})
			return resp.GetOperation(), err
		}, plan.RestartRing{Ring: "demo"}},
		{"update", func(r cassmesosv1.RingServiceClient, _ cassmesosv1.NodeServiceClient) (*cassmesosv1.Operation, error) {
			resp, err := r.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", Spec: &cassmesosv1.RingSpec{HeapMb: 900}, UpdateMask: mask("heap_mb")})
			return resp.GetOperation(), err
		}, plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{HeapMb: 900}, Paths: []string{"heap_mb"}}},
		{"replace", func(_ cassmesosv1.RingServiceClient, n cassmesosv1.NodeServiceClient) (*cassmesosv1.Operation, error) {
			resp, err := n.ReplaceNode(ctx, &cassmesosv1.ReplaceNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-1"}})
			return resp.GetOperation(), err
		}, plan.ReplaceNode{Node: "demo-1"}},
		{"restart node", func(_ cassmesosv1.RingServiceClient, n cassmesosv1.NodeServiceClient) (*cassmesosv1.Operation, error) {
			resp, err := n.RestartNode(ctx, &cassmesosv1.RestartNodeRequest{Ref: &cassmesosv1.NodeRef{Ring: "demo", Node: "demo-1"}})
			return resp.GetOperation(), err
		}, plan.RestartNode{Ring: "demo", Node: "demo-1"}},
		{"decommission", func(_ cassmesosv1.RingServiceClient, n cassmesosv1.NodeServiceClient) (*cassmesosv1.Operation, error) {
			resp, err := n.DecommissionNode(ctx, &cassmesosv1.DecommissionNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-1"}})
			return resp.GetOperation(), err
		}, plan.DecommissionNode{Node: "demo-1"}},
		{"remove", func(_ cassmesosv1.RingServiceClient, n cassmesosv1.NodeServiceClient) (*cassmesosv1.Operation, error) {
			resp, err := n.RemoveNode(ctx, &cassmesosv1.RemoveNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-1"}})
			return resp.GetOperation(), err
		}, plan.RemoveNode{Node: "demo-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &fakeBackend{state: testState()}
			conn := dial(t, Options{Leadership: &fakeLeadership{b: b}})
			op, err := tt.call(cassmesosv1.NewRingServiceClient(conn), cassmesosv1.NewNodeServiceClient(conn))
			if err != nil {
				t.Fatal(err)
			}
			if op.GetId() != "op-started" {
				t.Errorf("operation %v, want op-started", op)
			}
			if len(b.submitted) != 1 {
				t.Fatalf("submitted %v", b.submitted)
			}
			got := b.submitted[0]
			if u, ok := got.(plan.UpdateRing); ok {
				w := tt.want.(plan.UpdateRing)
				if u.Ring != w.Ring || !reflect.DeepEqual(u.Paths, w.Paths) || u.Spec.GetHeapMb() != w.Spec.GetHeapMb() {
					t.Errorf("submitted %+v, want %+v", u, w)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("submitted %#v, want %#v", got, tt.want)
			}
		})
	}
}

// Refusals from the planner keep their explanation and map to FailedPrecondition / NotFound.
func TestLifecycleRefusalsExplained(t *testing.T) {
	tests := []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("%w: demo-1 is UN on 3 of 3 live nodes; replace needs it down", plan.ErrPrecondition), codes.FailedPrecondition},
		{fmt.Errorf("%w: demo-9", plan.ErrNodeNotFound), codes.NotFound},
		{fmt.Errorf("%w: nope", plan.ErrRingNotFound), codes.NotFound},
	}
	for _, tt := range tests {
		b := &fakeBackend{state: testState(), submitErr: tt.err}
		conn := dial(t, Options{Leadership: &fakeLeadership{b: b}})
		_, err := cassmesosv1.NewNodeServiceClient(conn).ReplaceNode(context.Background(),
			&cassmesosv1.ReplaceNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-1"}})
		if status.Code(err) != tt.want || status.Convert(err).Message() != tt.err.Error() {
			t.Errorf("%v: got %v", tt.err, err)
		}
	}
}

// The handlers against the real planner: refusals write nothing and say why.
func TestLifecycleWithPlanner(t *testing.T) {
	b := newPlannerBackend(t)
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}})
	rings := cassmesosv1.NewRingServiceClient(conn)
	nodes := cassmesosv1.NewNodeServiceClient(conn)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		call func() error
		code codes.Code
		text string
	}{
		{"replace unknown node", func() error {
			_, err := nodes.ReplaceNode(ctx, &cassmesosv1.ReplaceNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-9"}})
			return err
		}, codes.NotFound, "demo-9"},
		{"decommission unknown node", func() error {
			_, err := nodes.DecommissionNode(ctx, &cassmesosv1.DecommissionNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-9"}})
			return err
		}, codes.NotFound, "demo-9"},
		{"scale below seeds", func() error {
			_, err := rings.ScaleRing(ctx, &cassmesosv1.ScaleRingRequest{Name: "demo", Nodes: 1})
			return err
		}, codes.FailedPrecondition, "2 seeds"},
		{"scale unknown ring", func() error {
			_, err := rings.ScaleRing(ctx, &cassmesosv1.ScaleRingRequest{Name: "nope", Nodes: 4})
			return err
		}, codes.NotFound, "nope"},
		{"update during create", func() error {
			_, err := rings.UpdateRing(ctx, &cassmesosv1.UpdateRingRequest{Name: "demo", Spec: &cassmesosv1.RingSpec{HeapMb: 900}, UpdateMask: mask("heap_mb")})
			return err
		}, codes.FailedPrecondition, "has operation"},
		// Seeds may be decommissioned now (their role moves first); this one is not UN.
		{"decommission a node that is not UN", func() error {
			_, err := nodes.DecommissionNode(ctx, &cassmesosv1.DecommissionNodeRequest{Ref: &cassmesosv1.NodeRef{Node: "demo-0"}})
			return err
		}, codes.FailedPrecondition, "needs it UN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := b.writeCount()
			err := tt.call()
			if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.text) {
				t.Errorf("got %v, want %v containing %q", err, tt.code, tt.text)
			}
			if b.writeCount() != before {
				t.Errorf("a refused request wrote %d records", b.writeCount()-before)
			}
		})
	}
}

// plannerBackend runs the real planner over an in-memory state (no engine, no ZooKeeper): a
// ring "demo" of 3 nodes, 2 seeds, still being created.
type plannerBackend struct {
	fakeBackend
	p      *plan.Planner
	writes int
}

type seqIDs struct{ n int }

func (s *seqIDs) NewID() string { s.n++; return fmt.Sprintf("id%04d", s.n) }

func newPlannerBackend(t *testing.T) *plannerBackend {
	t.Helper()
	b := &plannerBackend{p: plan.New(plan.Config{}, &seqIDs{})}
	b.state = plan.NewState()
	acc, err := b.p.Submit(b.state, plan.CreateRing{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 3, Seeds: 2}})
	if err != nil {
		t.Fatal(err)
	}
	b.state.Apply(acc.Plan.Writes)
	return b
}

func (b *plannerBackend) Submit(_ context.Context, req plan.Request) (plan.Accepted, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	acc, err := b.p.Submit(b.state, req)
	if err != nil {
		return plan.Accepted{}, err
	}
	b.writes += len(acc.Plan.Writes)
	b.state.Apply(acc.Plan.Writes)
	return acc, nil
}

func (b *plannerBackend) writeCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes
}
