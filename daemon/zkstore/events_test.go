package zkstore

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// TestEventsPersistWithTheirPass: a pass's events are stored in its transaction, numbered after
// the newest stored one (also by a new leader's store), and the log is trimmed to its bound.
func TestEventsPersistWithTheirPass(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	zs, l := lead(t)
	st := New(l.Store(), nil)
	if _, _, _, err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	s, acc := createRing(t, "demo", 3)
	writes := append(acc.Plan.Writes, plan.EventWrites(s, acc.Plan.Writes)...)
	if err := st.Persist(ctx, writes); err != nil {
		t.Fatal(err)
	}
	evs, err := zs.ListEvents(ctx, zkstate.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 || evs[0].GetId() != zkstate.EventName(0) || evs[4].GetId() != zkstate.EventName(4) ||
		evs[0].GetReason() != plan.ReasonRingCreated {
		t.Fatalf("stored events %v; want 5 numbered 0..4, RingCreated first", evs)
	}
	if _, _, err := zs.RingByName(ctx, "demo"); err != nil {
		t.Fatalf("the pass's ring record: %v", err)
	}

	// A second store (a new leader's) numbers on from the stored events; the log stays bounded.
	st2 := New(l.Store(), nil)
	st2.SetEventKeep(50)
	for i := range 230 {
		ev := &cassmesosv1.Event{Time: nowTS(), Type: cassmesosv1.EventType_EVENT_TYPE_NORMAL, Reason: "Test",
			Ring: fmt.Sprintf("r%d", i%2), Message: fmt.Sprint(i)}
		if err := st2.Persist(ctx, []plan.Write{{Kind: plan.RecordEvent, Event: ev}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		names, err := zs.EventNames(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last, _ := zkstate.EventSeq(names[len(names)-1])
		if last != 234 {
			t.Fatalf("newest event e-%d; want e-234 (5 + 230 numbered on)", last)
		}
		if len(names) <= 50+100 && len(names) >= 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("event log holds %d records; want it trimmed to at most 150", len(names))
		}
		time.Sleep(20 * time.Millisecond) // polling for the background trim; not synchronisation of our own writes
	}
	r1, err := zs.ListEvents(ctx, zkstate.EventFilter{Ring: "r1", Limit: 3})
	if err != nil || len(r1) != 3 || r1[2].GetMessage() != "229" || r1[0].GetMessage() != "225" {
		t.Fatalf("ListEvents(ring r1, limit 3) = %v, %v; want the newest three of r1, oldest first", r1, err)
	}
	after, err := zs.ListEvents(ctx, zkstate.EventFilter{After: zkstate.EventName(233)})
	if err != nil || len(after) != 1 || after[0].GetId() != zkstate.EventName(234) {
		t.Fatalf("ListEvents(after e-233) = %v, %v; want e-234 only", after, err)
	}
}

func nowTS() *timestamppb.Timestamp { return timestamppb.New(epoch) }
