package agent

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// panickyController panics in its first Drain and its first Repair.
type panickyController struct {
	*nodetoolfake.Fake
	drains, repairs atomic.Int32
}

func (p *panickyController) Drain(ctx context.Context) error {
	if p.drains.Add(1) == 1 {
		panic("boom in Drain")
	}
	return p.Fake.Drain(ctx)
}

func (p *panickyController) Repair(ctx context.Context, o nodetool.RepairOptions, fn func(nodetool.RepairEvent)) error {
	if p.repairs.Add(1) == 1 {
		var s []int
		_ = s[3] // an index out of range, as a real bug would
	}
	return p.Fake.Repair(ctx, o, fn)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPanicInHandlerAnswersInternalAndServingGoesOn(t *testing.T) {
	var logs syncBuffer
	ctl := &panickyController{Fake: nodetoolfake.New()}
	c := serve(t, Config{Controller: ctl, Secret: secret, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	if _, err := c.Drain(authed(), &cassmesosv1.DrainRequest{}); code(err) != codes.Internal || !strings.Contains(err.Error(), "see the executor's log") {
		t.Fatalf("panicking Drain: %v, want Internal", err)
	}
	if _, err := c.Drain(authed(), &cassmesosv1.DrainRequest{}); err != nil {
		t.Fatalf("next Drain: %v", err)
	}
	if err := drain(c.RepairRange(authed(), &cassmesosv1.RepairRangeRequest{Keyspace: "ks"})); code(err) != codes.Internal {
		t.Fatalf("panicking RepairRange: %v, want Internal", err)
	}
	if err := drain(c.RepairRange(authed(), &cassmesosv1.RepairRangeRequest{Keyspace: "ks"})); err != nil {
		t.Fatalf("next RepairRange: %v", err)
	}
	if l := logs.String(); !strings.Contains(l, "boom in Drain") || !strings.Contains(l, "index out of range") || !strings.Contains(l, "goroutine") {
		t.Errorf("the panics and their stacks are not logged:\n%s", l)
	}
}
