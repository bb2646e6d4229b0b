package server

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// panickyBackend panics in the first Read and the first Watch.
type panickyBackend struct {
	*fakeBackend
	reads, watches atomic.Int32
}

func (p *panickyBackend) Read(ctx context.Context, fn func(*plan.State)) error {
	if p.reads.Add(1) == 1 {
		panic("boom in Read")
	}
	return p.fakeBackend.Read(ctx, fn)
}

func (p *panickyBackend) Watch(ctx context.Context, id string) (<-chan engine.Snapshot, error) {
	if p.watches.Add(1) == 1 {
		var s []int
		_ = s[p.watches.Load()] // an index out of range, as a real bug would
	}
	return p.fakeBackend.Watch(ctx, id)
}

func TestPanicInHandlerAnswersInternalAndServingGoesOn(t *testing.T) {
	b := &panickyBackend{fakeBackend: &fakeBackend{state: testState(), watch: make(chan engine.Snapshot)}}
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}})
	rings := cassmesosv1.NewRingServiceClient(conn)
	ctx := context.Background()

	_, err := rings.ListRings(ctx, &cassmesosv1.ListRingsRequest{})
	if status.Code(err) != codes.Internal || !strings.Contains(status.Convert(err).Message(), "see the daemon's log") {
		t.Fatalf("panicking unary handler: %v, want Internal", err)
	}
	if r, err := rings.ListRings(ctx, &cassmesosv1.ListRingsRequest{}); err != nil || len(r.GetRings()) != 1 {
		t.Fatalf("next call: %v, %v", r, err)
	}

	ops := cassmesosv1.NewOperationServiceClient(conn)
	stream, err := ops.WatchOperation(ctx, &cassmesosv1.WatchOperationRequest{Id: "op1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Internal {
		t.Fatalf("panicking stream handler: %v, want Internal", err)
	}
	if _, err := cassmesosv1.NewSystemServiceClient(conn).GetVersion(ctx, &cassmesosv1.GetVersionRequest{}); err != nil {
		t.Fatalf("call after the stream's panic: %v", err)
	}
}

// A TZ= prefix with nothing after it made the cron parser panic inside the handler.
func TestCreateRepairScheduleRefusesBareTimeZone(t *testing.T) {
	b := &fakeBackend{state: testState()}
	conn := dial(t, Options{Leadership: &fakeLeadership{b: b}})
	c := cassmesosv1.NewRepairServiceClient(conn)
	for _, expr := range []string{"TZ=UTC", "CRON_TZ=UTC", "TZ=UTC\t0 2 * * *"} {
		_, err := c.CreateRepairSchedule(context.Background(), &cassmesosv1.CreateRepairScheduleRequest{Schedule: &cassmesosv1.RepairSchedule{
			Ring: "demo", Cron: expr, Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "schedule.cron") {
			t.Errorf("cron %q: %v, want InvalidArgument naming schedule.cron", expr, err)
		}
	}
	if n := b.writes(); n != 0 {
		t.Fatalf("%d requests reached the engine", n)
	}
}
