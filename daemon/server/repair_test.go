package server

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// describingBackend is a fakeBackend that answers the keyspace check.
type describingBackend struct {
	*fakeBackend
	keyspaces map[string]bool
}

func (d *describingBackend) DescribeRing(_ context.Context, ring, ks string) ([]plan.TokenRange, error) {
	if ring != "demo" {
		return nil, fmt.Errorf("%w: %s", plan.ErrRingNotFound, ring)
	}
	if !d.keyspaces[ks] {
		return nil, fmt.Errorf("%w: %s", plan.ErrKeyspaceNotFound, ks)
	}
	return []plan.TokenRange{{Start: "0", End: "0", Endpoints: []string{"10.0.0.1"}}}, nil
}

func TestRunRepairChecksBeforeWriting(t *testing.T) {
	fb := &fakeBackend{state: testState()}
	b := &describingBackend{fakeBackend: fb, keyspaces: map[string]bool{"ks": true}}
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}})
	c := cassmesosv1.NewRepairServiceClient(conn)
	ctx := context.Background()
	for _, tc := range []struct {
		req  *cassmesosv1.RunRepairRequest
		code codes.Code
		name string
	}{
		{&cassmesosv1.RunRepairRequest{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "nope"}}, codes.NotFound, "nope"},
		{&cassmesosv1.RunRepairRequest{Ring: "ghost", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}, codes.NotFound, "ghost"},
		{&cassmesosv1.RunRepairRequest{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks", Intensity: 2}}, codes.InvalidArgument, "params.intensity"},
		{&cassmesosv1.RunRepairRequest{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks", Parallel: -1}}, codes.InvalidArgument, "params.parallel"},
		{&cassmesosv1.RunRepairRequest{Ring: "demo"}, codes.InvalidArgument, "params"},
		{&cassmesosv1.RunRepairRequest{Ring: "Bad", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}, codes.InvalidArgument, "ring"},
	} {
		_, err := c.RunRepair(ctx, tc.req)
		if status.Code(err) != tc.code || !strings.Contains(status.Convert(err).Message(), tc.name) {
			t.Errorf("RunRepair(%v): %v, want %v naming %s", tc.req, err, tc.code, tc.name)
		}
	}
	if len(fb.submitted) != 0 {
		t.Fatalf("refused requests reached the planner: %v", fb.submitted)
	}
	if _, err := c.RunRepair(ctx, &cassmesosv1.RunRepairRequest{Ring: "demo", IfIdle: true, Params: &cassmesosv1.RepairParams{Keyspace: "ks", Parallel: 2}}); err != nil {
		t.Fatal(err)
	}
	if r, ok := fb.submitted[0].(plan.RunRepair); !ok || !r.IfIdle || r.Params.GetParallel() != 2 {
		t.Errorf("submitted %#v", fb.submitted[0])
	}
	_, err := cassmesosv1.NewRepairServiceClient(conn).CreateRepairSchedule(ctx, &cassmesosv1.CreateRepairScheduleRequest{Schedule: &cassmesosv1.RepairSchedule{
		Ring: "demo", Cron: "@daily", Window: "25:00-01:00", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "schedule.window") {
		t.Errorf("bad window: %v", err)
	}
	_, err = cassmesosv1.NewCleanupServiceClient(conn).RunCleanup(ctx, &cassmesosv1.RunCleanupRequest{Ring: "demo", Params: &cassmesosv1.CleanupParams{Tables: []string{"t"}}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("cleanup tables without keyspace: %v", err)
	}
}
