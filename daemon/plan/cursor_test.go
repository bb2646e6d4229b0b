package plan

import (
	"testing"
	"time"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestLegacyCursorIsReadIntoTheTypedOneOnce(t *testing.T) {
	at := time.Date(2024, 5, 1, 1, 2, 3, 4, time.UTC)
	rec := &statev1.OperationRecord{
		Operation: &cassmesosv1.Operation{Id: "op-1"},
		Cursor: map[string]string{
			"safe": "1", "paused": "1", "window": "01:30-05:00", "cleanup_op": "op-2",
			"0.holds": "1", "0.offer_wait": at.Format(time.RFC3339Nano), "0.relay_id": "op-1/0/2",
			"0.relay_time": at.Format(time.RFC3339Nano), "1.stage": "starting", "1.stopped_task": "t-1",
			"2.recompute": "1", "2.describe_attempts": "3", "2.describes": "4", "2.release_wait": "garbage",
			"x.holds": "1", "-1.holds": "1", "3.unknown": "v",
		},
	}
	st := opState(rec)
	if rec.Cursor != nil {
		t.Fatalf("legacy cursor kept after migration: %v", rec.Cursor)
	}
	if !st.GetSafe() || !st.GetPaused() || st.GetWindow() != "01:30-05:00" || st.GetCleanupOp() != "op-2" {
		t.Fatalf("operation-wide keys: %v", st)
	}
	s0 := st.GetSteps()[0]
	if !s0.GetHolds() || !s0.GetOfferWaitSince().AsTime().Equal(at) || s0.GetRelayId() != "op-1/0/2" || !s0.GetRelayTime().AsTime().Equal(at) {
		t.Fatalf("step 0: %v", s0)
	}
	if s1 := st.GetSteps()[1]; s1.GetStage() != statev1.RestartStage_RESTART_STAGE_STARTING || s1.GetStoppedTask() != "t-1" {
		t.Fatalf("step 1: %v", s1)
	}
	if s2 := st.GetSteps()[2]; !s2.GetRecompute() || s2.GetDescribeAttempts() != 3 || s2.GetDescribes() != 4 || s2.GetReleaseWaitSince() != nil {
		t.Fatalf("step 2: %v", s2)
	}
	if len(st.GetSteps()) != 4 { // 0, 1, 2 and 3 (unknown key: empty cursor); "x" and "-1" dropped
		t.Fatalf("steps: %v", st.GetSteps())
	}
}
