package server

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// CreateRing with a Mesos role the daemon did not subscribe with is InvalidArgument naming the
// role and the allowed set, and nothing is written; a role it holds is accepted and kept.
func TestCreateRingUnknownRoleRefused(t *testing.T) {
	b := &plannerBackend{p: plan.New(plan.Config{Role: "ra", Roles: []string{"ra", "rb"}}, &seqIDs{})}
	b.state = plan.NewState()
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}, DefaultDistribution: tarball(t)})
	rings := cassmesosv1.NewRingServiceClient(conn)
	ctx := context.Background()
	_, err := rings.CreateRing(ctx, &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 1, Role: "analytics"}})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("unknown role: %v, want InvalidArgument", err)
	}
	msg := status.Convert(err).Message()
	if !strings.Contains(msg, "spec.role:") || !strings.Contains(msg, `"analytics"`) || !strings.Contains(msg, "ra, rb") {
		t.Fatalf("message %q does not name the field, the role and the allowed roles", msg)
	}
	if n := b.writeCount(); n != 0 || len(b.state.Rings) != 0 {
		t.Fatalf("%d writes, %d rings after a refused create", n, len(b.state.Rings))
	}
	resp, err := rings.CreateRing(ctx, &cassmesosv1.CreateRingRequest{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 1, Role: "rb"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetRing().GetSpec().GetRole(); got != "rb" {
		t.Fatalf("created ring's role %q, want rb", got)
	}
	if got := b.state.Rings["demo"].GetSpec().GetRole(); got != "rb" {
		t.Fatalf("stored ring's role %q, want rb", got)
	}
}
