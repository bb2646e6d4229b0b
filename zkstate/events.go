package zkstate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	v1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// The event log: /events/e-<10-digit sequence>, one cassmesos.v1.Event each. The leader's engine
// numbers them itself (the next number after the highest one stored) and writes them inside the
// planner pass' fenced transaction, so an event is stored exactly when the change it tells of is.
// The log is bounded: the leader deletes the oldest records beyond keep now and then.

// EventsPath holds the event log's records.
func EventsPath() string { return "/events" }

// eventPrefix starts every event record's name.
const eventPrefix = "e-"

// DefaultEventKeep is how many events are kept when the caller says 0.
const DefaultEventKeep = 2000

// EventName is the record name of event number seq.
func EventName(seq int64) string { return fmt.Sprintf("%s%010d", eventPrefix, seq) }

// EventPath is event number seq's record.
func EventPath(seq int64) string { return EventsPath() + "/" + EventName(seq) }

// EventSeq parses an event record's name.
func EventSeq(name string) (int64, bool) {
	if !strings.HasPrefix(name, eventPrefix) || len(name) != len(eventPrefix)+10 {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(name, eventPrefix), 10, 64)
	return n, err == nil && n >= 0
}

// EventNames lists the event records' names, oldest first (nil when there are none).
func (s *Store) EventNames(ctx context.Context) ([]string, error) {
	names, err := s.List(ctx, EventsPath())
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if _, ok := EventSeq(n); ok { // zero-padded: sorted by name is sorted by sequence
			out = append(out, n)
		}
	}
	return out, nil
}

// LastEventSeq is the highest stored event number (-1 when there is none).
func (s *Store) LastEventSeq(ctx context.Context) (int64, error) {
	names, err := s.EventNames(ctx)
	if err != nil || len(names) == 0 {
		return -1, err
	}
	seq, _ := EventSeq(names[len(names)-1])
	return seq, nil
}

// TrimEvents deletes the oldest events beyond the newest keep (0: DefaultEventKeep). On a leader's
// store view the deletes are fenced like every other write.
func (s *Store) TrimEvents(ctx context.Context, keep int) error {
	if keep <= 0 {
		keep = DefaultEventKeep
	}
	names, err := s.EventNames(ctx)
	if err != nil || len(names) <= keep {
		return err
	}
	for _, n := range names[:len(names)-keep] {
		if err := s.Delete(ctx, EventsPath()+"/"+n, AnyVersion); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// EventFilter selects events.
type EventFilter struct {
	// Ring: only events of this ring (empty: all).
	Ring string
	// Since: only events at or after this time (zero: all).
	Since time.Time
	// After: only events whose record name sorts after this one (empty: all).
	After string
	// Limit: at most this many, the newest (<= 0: all).
	Limit int
}

// ListEvents reads the matching events, oldest first; each Event's ID is its record name.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]*v1.Event, error) {
	names, err := s.EventNames(ctx)
	if err != nil {
		return nil, err
	}
	var out []*v1.Event
	for i := len(names) - 1; i >= 0; i-- { // newest first, so Limit keeps the newest
		n := names[i]
		if f.After != "" && n <= f.After {
			break
		}
		ev := &v1.Event{}
		if _, err := s.Get(ctx, EventsPath()+"/"+n, ev); err != nil {
			if errors.Is(err, ErrNotFound) { // trimmed meanwhile
				continue
			}
			return nil, err
		}
		ev.Id = n
		if !f.Since.IsZero() && ev.GetTime() != nil && ev.GetTime().AsTime().Before(f.Since) {
			continue
		}
		if f.Ring != "" && ev.GetRing() != f.Ring {
			continue
		}
		out = append(out, ev)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
