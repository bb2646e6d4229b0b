package plan

import (
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
)

// opState is the record's typed cursor, created on first use. A record written by a daemon
// before the typed cursor existed carries a string-keyed cursor instead: it is read into the
// typed one here, once, and dropped (the next write stores only the typed cursor).
func opState(rec *statev1.OperationRecord) *statev1.OperationCursor {
	if rec.State == nil {
		rec.State = &statev1.OperationCursor{}
	}
	if len(rec.Cursor) > 0 {
		migrateCursor(rec.Cursor, rec.State)
		rec.Cursor = nil
	}
	return rec.State
}

// migrateCursor reads a legacy string cursor ("safe", "paused", "window", "cleanup_op" and
// "<step>.<key>" entries) into st. Unknown keys and unparsable values are dropped: the legacy
// cursor only ever held hints a step re-derives (waits restart their clocks, relays are asked
// again under the same ID).
func migrateCursor(legacy map[string]string, st *statev1.OperationCursor) {
	for k, v := range legacy {
		switch k {
		case "safe":
			st.Safe = v == "1"
			continue
		case "paused":
			st.Paused = v == "1"
			continue
		case "window":
			st.Window = v
			continue
		case "cleanup_op":
			st.CleanupOp = v
			continue
		}
		idx, key, ok := strings.Cut(k, ".")
		i, err := strconv.Atoi(idx)
		if !ok || err != nil || i < 0 || i > 1<<30 {
			continue
		}
		if st.Steps == nil {
			st.Steps = map[int32]*statev1.StepCursor{}
		}
		c := st.Steps[int32(i)]
		if c == nil {
			c = &statev1.StepCursor{}
			st.Steps[int32(i)] = c
		}
		ts := func() *timestamppb.Timestamp {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return timestamppb.New(t)
			}
			return nil
		}
		switch key {
		case "holds":
			c.Holds = v == "1"
		case "offer_wait":
			c.OfferWaitSince = ts()
		case "release_wait":
			c.ReleaseWaitSince = ts()
		case "relay_id":
			c.RelayId = v
		case "relay_time":
			c.RelayTime = ts()
		case "abandoned_task":
			c.AbandonedTask = v
		case "stage":
			switch v {
			case "stopping":
				c.Stage = statev1.RestartStage_RESTART_STAGE_STOPPING
			case "starting":
				c.Stage = statev1.RestartStage_RESTART_STAGE_STARTING
			}
		case "stopped_task":
			c.StoppedTask = v
		case "recompute":
			c.Recompute = v == "1"
		case "describe_attempts":
			n, _ := strconv.Atoi(v)
			c.DescribeAttempts = int32(min(max(n, 0), 1<<20))
		case "describes":
			n, _ := strconv.Atoi(v)
			c.Describes = int32(min(max(n, 0), 1<<20))
		}
	}
}

// clearOfferWait ends the step's wait for an offer (the next wait starts a new clock).
func (r *opRun) clearOfferWait() {
	if c := r.peek(); c != nil {
		c.OfferWaitSince = nil
	}
}
