package events

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdEvents(t *testing.T) {
	e := clitest.New(t)
	var got *EventsOptions
	if code := e.Run(NewCmdEvents(e.F, func(o *EventsOptions) error { got = o; return nil }), "--ring ring/demo --since 1h --limit 7"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if got.Ring != "demo" || got.Since != time.Hour || got.Limit != 7 || got.Watch {
		t.Fatalf("opts %+v", got)
	}
	if code := e.Run(NewCmdEvents(e.F, func(o *EventsOptions) error { got = o; return nil }), "-w"); code != 0 || !got.Watch {
		t.Fatalf("-w: exit %d, opts %+v", code, got)
	}
	for _, bad := range []string{"--since soon", "--since -1h", "--limit 5001", "--limit -1", "-o name", "--watch --limit 3", "extra"} {
		if code := e.Run(NewCmdEvents(e.F, func(*EventsOptions) error { return nil }), bad); code != 2 {
			t.Errorf("%s: exit %d, want 2", bad, code)
		}
	}
}

func sampleEvents() []*pb.Event {
	return []*pb.Event{
		{Id: "e-0000000001", Time: clitest.Ago(2 * time.Hour), Type: pb.EventType_EVENT_TYPE_NORMAL, Reason: "RingCreated", Ring: "demo",
			Message: "ring demo created (3 nodes, 2 seeds)"},
		{Id: "e-0000000002", Time: clitest.Ago(90 * time.Second), Type: pb.EventType_EVENT_TYPE_WARNING, Reason: "NodeDown", Ring: "demo",
			Node: "demo-2", Message: "node demo-2 is DN (was UN)\x1b[31m"},
		{Id: "e-0000000003", Time: clitest.Ago(30 * time.Second), Type: pb.EventType_EVENT_TYPE_NORMAL, Reason: "OperationStarted", Ring: "demo",
			Node: "demo-2", Operation: "20261123-095900-abc", Message: "replace-node demo-2 (20261123-095900-abc) started"},
	}
}

func TestEventsList(t *testing.T) {
	for _, tc := range []struct{ output, want string }{
		{"", `LAST SEEN   TYPE      REASON             OBJECT                   MESSAGE
2h          Normal    RingCreated        ring/demo                ring demo created (3 nodes, 2 seeds)
90s         Warning   NodeDown           node/demo-2              node demo-2 is DN (was UN)[31m
30s         Normal    OperationStarted   op/20261123-095900-abc   replace-node demo-2 (20261123-095900-abc) started
`},
		{"wide", `TIME                   LAST SEEN   TYPE      REASON             OBJECT                   RING   ID             MESSAGE
2026-11-23T08:00:00Z   2h          Normal    RingCreated        ring/demo                demo   e-0000000001   ring demo created (3 nodes, 2 seeds)
2026-11-23T09:58:30Z   90s         Warning   NodeDown           node/demo-2              demo   e-0000000002   node demo-2 is DN (was UN)[31m
2026-11-23T09:59:30Z   30s         Normal    OperationStarted   op/20261123-095900-abc   demo   e-0000000003   replace-node demo-2 (20261123-095900-abc) started
`},
		{"json", `"reason": "NodeDown"`},
		{"yaml", "- id: e-0000000002\n"},
	} {
		t.Run("o="+tc.output, func(t *testing.T) {
			e := clitest.New(t)
			var req *pb.ListEventsRequest
			e.Srv.ListEventsFn = func(_ context.Context, r *pb.ListEventsRequest) (*pb.ListEventsResponse, error) {
				req = r
				return &pb.ListEventsResponse{Events: sampleEvents()}, nil
			}
			e.F.Globals.Output = tc.output
			if code := e.Run(NewCmdEvents(e.F, nil), "--ring demo --since 3h"); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			if req.GetRing() != "demo" || !req.GetSince().AsTime().Equal(clitest.Now.Add(-3*time.Hour)) {
				t.Fatalf("request %v", req)
			}
			switch tc.output {
			case "", "wide":
				clitest.Diff(t, "stdout", e.Out.String(), tc.want)
			default:
				if !strings.Contains(e.Out.String(), tc.want) || strings.Count(e.Out.String(), "e-000000000") != 3 {
					t.Fatalf("-o %s:\n%s\nwant all three events and %q", tc.output, e.Out.String(), tc.want)
				}
			}
		})
	}
}

func TestEventsListEmptyAndDenied(t *testing.T) {
	e := clitest.New(t).TTY(true)
	e.Srv.ListEventsFn = func(context.Context, *pb.ListEventsRequest) (*pb.ListEventsResponse, error) {
		return &pb.ListEventsResponse{}, nil
	}
	if code := e.Run(NewCmdEvents(e.F, nil), ""); code != 0 || e.Out.Len() != 0 || !strings.Contains(e.ErrOut.String(), "No events.") {
		t.Fatalf("exit %d, out %q, err %q", code, e.Out, e.ErrOut)
	}
	e = clitest.New(t)
	e.Srv.ListEventsFn = func(context.Context, *pb.ListEventsRequest) (*pb.ListEventsResponse, error) {
		return nil, status.Error(codes.PermissionDenied, "needs role viewer")
	}
	if code := e.Run(NewCmdEvents(e.F, nil), ""); code != 11 {
		t.Fatalf("exit %d, want 11 (denied): %s", code, e.ErrOut)
	}
}

func TestEventsWatch(t *testing.T) {
	for _, tc := range []struct{ output, want string }{
		{"", `LAST SEEN  TYPE     REASON                    OBJECT                                MESSAGE
2h         Normal   RingCreated               ring/demo                             ring demo created (3 nodes, 2 seeds)
90s        Warning  NodeDown                  node/demo-2                           node demo-2 is DN (was UN)[31m
30s        Normal   OperationStarted          op/20261123-095900-abc                replace-node demo-2 (20261123-095900-abc) started
`},
		{"wide", "2026-11-23T09:58:30Z  90s        Warning  NodeDown                  node/demo-2                           demo          e-0000000002    node demo-2 is DN (was UN)[31m\n"},
		{"json", "{\n  \"id\": \"e-0000000003\",\n"},
		{"yaml", "---\nid: e-0000000001\n"},
	} {
		t.Run("o="+tc.output, func(t *testing.T) {
			e := clitest.New(t)
			var req *pb.WatchEventsRequest
			e.Srv.WatchEventsFn = func(r *pb.WatchEventsRequest, s grpc.ServerStreamingServer[pb.WatchEventsResponse]) error {
				req = r
				for _, ev := range sampleEvents() {
					if err := s.Send(&pb.WatchEventsResponse{Event: ev}); err != nil {
						return err
					}
				}
				return nil // the stream ends: the command ends with exit 0
			}
			e.F.Globals.Output = tc.output
			if code := e.Run(NewCmdEvents(e.F, nil), "--watch --ring demo"); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			if req.GetRing() != "demo" || req.GetSince() != nil {
				t.Fatalf("request %v", req)
			}
			if tc.output == "" {
				clitest.Diff(t, "stdout", e.Out.String(), tc.want)
			} else if !strings.Contains(e.Out.String(), tc.want) || strings.Count(e.Out.String(), "e-000000000") != 3 {
				t.Fatalf("-o %s:\n%s\nwant all three events and %q", tc.output, e.Out.String(), tc.want)
			}
		})
	}
	e := clitest.New(t)
	e.Srv.WatchEventsFn = func(*pb.WatchEventsRequest, grpc.ServerStreamingServer[pb.WatchEventsResponse]) error {
		return status.Error(codes.Unavailable, "the event log watch ended")
	}
	if code := e.Run(NewCmdEvents(e.F, nil), "--watch"); code == 0 || !strings.Contains(e.ErrOut.String(), "watching events") {
		t.Fatalf("a failed watch: exit %d, %s", code, e.ErrOut)
	}
}
