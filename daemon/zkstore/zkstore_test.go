package zkstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/internal/zktest"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

func TestMain(m *testing.M) { zktest.Main(m) }

var seq atomic.Int64

// leader opens a store under its own framework root and campaigns; it returns the base store
// (the "other writer") and the fenced one.
func leader(t *testing.T) (base, fenced *zkstate.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	base, err := zkstate.Open(ctx, zkstate.Config{Servers: zktest.Shared(t).Servers(), Framework: fmt.Sprintf("zkstore-%d", seq.Add(1)),
		Logger: slog.New(slog.DiscardHandler), SessionTimeout: zktest.DefaultSessionTimeout, Dialer: zktest.Dialer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(base.Close)
	lead, err := base.Campaign(ctx, "127.0.0.1:9090")
	if err != nil {
		t.Fatal(err)
	}
	return base, lead.Store()
}

func ringRec(nodes int32, msg string) *statev1.RingRecord {
	return &statev1.RingRecord{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: nodes}, Status: &cassmesosv1.RingStatus{ActiveOperationId: msg}}
}

func putRing(r *statev1.RingRecord) []plan.Write {
	return []plan.Write{{Kind: plan.RecordRing, RingName: "demo", Name: "demo", Ring: r}}
}

// Regression (issue 12, defect 7): a write refused with a version conflict used to re-read only
// the version, so the next write of the same (stale) record went through and overwrote what the
// other writer had stored. Now the other writer's record stays, and the error ends the term so
// the state is reloaded.
func TestConflictNeverOverwritesTheOtherWriter(t *testing.T) {
	ctx := context.Background()
	base, fenced := leader(t)
	s := New(fenced, nil)
	if _, _, _, err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Persist(ctx, putRing(ringRec(3, "ours 1"))); err != nil {
		t.Fatal(err)
	}
	// Another writer changes the record behind the store's back.
	_, v, err := base.RingByName(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	theirs := ringRec(5, "theirs")
	if _, err := base.PutRing(ctx, theirs, v); err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, msg := range []string{"ours 2", "ours 3"} {
		errs = append(errs, s.Persist(ctx, putRing(ringRec(3, msg))))
	}
	got, _, err := base.RingByName(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, theirs) {
		t.Fatalf("stored %v; the other writer's record %v was overwritten", got, theirs)
	}
	for i, err := range errs {
		if !errors.Is(err, zkstate.ErrConflict) || !errors.Is(err, engine.ErrNotLeader) {
			t.Fatalf("write %d over the other writer's record: %v; want a conflict that ends the term", i+2, err)
		}
	}
}

// A conflict against the very record being written (an earlier attempt landed and its answer was
// lost) is no conflict: the version is learnt and later writes go through.
func TestConflictWithOwnLandedWrite(t *testing.T) {
	ctx := context.Background()
	base, fenced := leader(t)
	s := New(fenced, nil)
	if _, _, _, err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Persist(ctx, putRing(ringRec(3, "v1"))); err != nil {
		t.Fatal(err)
	}
	_, v, err := base.RingByName(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	same := ringRec(3, "v2")
	if _, err := base.PutRing(ctx, same, v); err != nil { // "our" write of v2 that landed unseen
		t.Fatal(err)
	}
	if err := s.Persist(ctx, putRing(ringRec(3, "v2"))); err != nil {
		t.Fatalf("writing the record already stored: %v", err)
	}
	if err := s.Persist(ctx, putRing(ringRec(3, "v3"))); err != nil {
		t.Fatalf("next write: %v", err)
	}
	got, _, _ := base.RingByName(ctx, "demo")
	if got.GetStatus().GetActiveOperationId() != "v3" {
		t.Fatalf("stored %v, want v3", got)
	}
}
