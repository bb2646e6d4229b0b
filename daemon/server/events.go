package server

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// EventLog is the event log in ZooKeeper (written by the leader's engine with each planner
// pass): ZKEvents adapts a zkstate.Store to it.
type EventLog interface {
	// ListEvents reads the matching events, oldest first.
	ListEvents(ctx context.Context, f zkstate.EventFilter) ([]*cassmesosv1.Event, error)
	// WatchEvents signals each time the log may have changed (a first signal once it is set).
	WatchEvents(ctx context.Context) (<-chan struct{}, error)
}

// ZKEvents reads the event log through a store (a standby reads it as well as the leader).
type ZKEvents struct {
	Store *zkstate.Store
}

// ListEvents reads the matching events, oldest first.
func (z ZKEvents) ListEvents(ctx context.Context, f zkstate.EventFilter) ([]*cassmesosv1.Event, error) {
	return z.Store.ListEvents(ctx, f)
}

// WatchEvents follows the log's records.
func (z ZKEvents) WatchEvents(ctx context.Context) (<-chan struct{}, error) {
	return z.Store.WatchChildren(ctx, zkstate.EventsPath())
}

// Event list bounds.
const (
	defaultEventLimit = 500
	maxEventLimit     = 5000
)

type eventServer struct {
	cassmesosv1.UnimplementedEventServiceServer
	*services
}

func (s *services) eventLog() (EventLog, error) {
	if s.opts.Events == nil {
		return nil, status.Error(codes.Unavailable, "this daemon keeps no event log")
	}
	return s.opts.Events, nil
}

// eventFilter checks a ring and a since.
func eventFilter(ring string, since interface {
	CheckValid() error
	AsTime() time.Time
}, hasSince bool) (zkstate.EventFilter, error) {
	f := zkstate.EventFilter{Ring: ring}
	if ring != "" {
		if err := checkRingName("ring", ring); err != nil {
			return f, err
		}
	}
	if hasSince {
		if err := since.CheckValid(); err != nil {
			return f, invalid("since", "%v", err)
		}
		f.Since = since.AsTime()
	}
	return f, nil
}

func (s *eventServer) ListEvents(ctx context.Context, req *cassmesosv1.ListEventsRequest) (*cassmesosv1.ListEventsResponse, error) {
	const method = "ListEvents"
	log, err := s.eventLog()
	if err != nil {
		return nil, err
	}
	if req.GetLimit() < 0 || req.GetLimit() > maxEventLimit {
		return nil, status.Errorf(codes.InvalidArgument, "limit %d: want 0 (default %d) to %d", req.GetLimit(), defaultEventLimit, maxEventLimit)
	}
	f, err := eventFilter(req.GetRing(), req.GetSince(), req.GetSince() != nil)
	if err != nil {
		return nil, toStatus(s.log, method, err)
	}
	f.Limit = int(req.GetLimit())
	if f.Limit == 0 {
		f.Limit = defaultEventLimit
	}
	evs, err := log.ListEvents(ctx, f)
	if err != nil {
		return nil, toStatus(s.log, method, err)
	}
	return &cassmesosv1.ListEventsResponse{Events: evs}, nil
}

// WatchEvents sends the recorded events that match, then every new one. It counts against the
// same per-client and total bounds as WatchOperation.
func (s *eventServer) WatchEvents(req *cassmesosv1.WatchEventsRequest, stream cassmesosv1.EventService_WatchEventsServer) error {
	const method = "WatchEvents"
	log, err := s.eventLog()
	if err != nil {
		return err
	}
	f, err := eventFilter(req.GetRing(), req.GetSince(), req.GetSince() != nil)
	if err != nil {
		return toStatus(s.log, method, err)
	}
	ctx := stream.Context()
	release, err := s.watches.acquire(ctx)
	if err != nil {
		s.log.Warn("WatchEvents refused", "client", clientKey(ctx), "err", err)
		return err
	}
	defer release()
	ch, err := log.WatchEvents(ctx)
	if err != nil {
		return toStatus(s.log, method, err)
	}
	for {
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case _, ok := <-ch:
			if !ok {
				if ctx.Err() != nil {
					return status.FromContextError(ctx.Err()).Err()
				}
				return status.Error(codes.Unavailable, "the event log watch ended (ZooKeeper store closed)")
			}
		}
		evs, err := log.ListEvents(ctx, f)
		if err != nil {
			return toStatus(s.log, method, err)
		}
		for _, ev := range evs {
			if err := stream.Send(&cassmesosv1.WatchEventsResponse{Event: ev}); err != nil {
				return err
			}
			f.After = ev.GetId()
		}
		f.Since = time.Time{} // the cursor is the last event sent from now on
	}
}
