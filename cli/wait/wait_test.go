package wait

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// fakeWatcher serves scripted streams: each call to WatchOperation takes the next script.
type fakeWatcher struct {
	mu      sync.Mutex
	scripts [][]item
	calls   int
}

// item is one Recv result; block makes Recv wait for the context.
type item struct {
	resp  *pb.WatchOperationResponse
	err   error
	block bool
}

func (f *fakeWatcher) WatchOperation(ctx context.Context, in *pb.WatchOperationRequest, _ ...grpc.CallOption) (grpc.ServerStreamingClient[pb.WatchOperationResponse], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.calls
	f.calls++
	if i >= len(f.scripts) {
		return nil, status.Error(codes.NotFound, "no such operation")
	}
	return &fakeStream{ctx: ctx, items: f.scripts[i]}, nil
}

type fakeStream struct {
	grpc.ClientStream
	ctx   context.Context
	items []item
}

func (s *fakeStream) Recv() (*pb.WatchOperationResponse, error) {
	if len(s.items) == 0 {
		return nil, io.EOF
	}
	it := s.items[0]
	s.items = s.items[1:]
	if it.block {
		<-s.ctx.Done()
		return nil, status.FromContextError(s.ctx.Err()).Err()
	}
	return it.resp, it.err
}

func snap(phase pb.OperationPhase, done int64, blocked string, nodes ...*pb.Node) item {
	return item{resp: &pb.WatchOperationResponse{
		Operation: &pb.Operation{Id: "0001", Kind: pb.OperationKind_OPERATION_KIND_CREATE_RING, Ring: "demo",
			Phase: phase, Progress: &pb.Progress{Done: done, Total: 2}, BlockedReason: blocked,
			Error: map[bool]string{true: "bootstrap of demo-1 failed"}[phase == pb.OperationPhase_OPERATION_PHASE_FAILED]},
		Nodes: nodes,
	}}
}

func node(name string, l pb.Liveness, m pb.CassandraMode, p pb.NodePhase) *pb.Node {
	return &pb.Node{Name: name, Liveness: l, Mode: m, Phase: p}
}

var (
	up, down     = pb.Liveness_LIVENESS_UP, pb.Liveness_LIVENESS_DOWN
	normal, join = pb.CassandraMode_CASSANDRA_MODE_NORMAL, pb.CassandraMode_CASSANDRA_MODE_JOINING
	running      = pb.NodePhase_NODE_PHASE_RUNNING
	starting     = pb.NodePhase_NODE_PHASE_STARTING
	pending      = pb.NodePhase_NODE_PHASE_PENDING
	opRunning    = pb.OperationPhase_OPERATION_PHASE_RUNNING
	opBlocked    = pb.OperationPhase_OPERATION_PHASE_BLOCKED
)

func clock() func() time.Time {
	t := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func TestWaitOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scripts  [][]item
		timeout  time.Duration
		wantCode int
		wantOut  string
	}{
		{
			name: "succeeded",
			scripts: [][]item{{
				snap(opRunning, 0, "", node("demo-0", up, join, starting), node("demo-1", 0, 0, pending)),
				snap(opRunning, 0, "", node("demo-0", up, join, starting), node("demo-1", 0, 0, pending)),
				snap(opBlocked, 1, "waiting for an offer", node("demo-0", up, normal, running), node("demo-1", 0, 0, pending)),
				snap(pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, 2, "", node("demo-0", up, normal, running), node("demo-1", up, normal, running)),
			}},
			wantCode: cmdutil.ExitOK,
			wantOut: `2026-11-23T10:00:01Z op 0001 running 0/2 demo-0 UJ starting
2026-11-23T10:00:02Z op 0001 running 0/2 demo-1 - pending
2026-11-23T10:00:03Z op 0001 blocked 1/2 demo-0 UN running blocked: waiting for an offer
2026-11-23T10:00:04Z op 0001 succeeded 2/2 demo-1 UN running
`,
		},
		{
			name:     "failed",
			scripts:  [][]item{{snap(opRunning, 0, ""), snap(pb.OperationPhase_OPERATION_PHASE_FAILED, 1, "", node("demo-1", down, normal, running))}},
			wantCode: cmdutil.ExitOperationFailed,
			wantOut: `2026-11-23T10:00:01Z op 0001 running 0/2
2026-11-23T10:00:02Z op 0001 failed 1/2 demo-1 DN running
2026-11-23T10:00:03Z op 0001 error: bootstrap of demo-1 failed
`,
		},
		{
			name:     "cancelled",
			scripts:  [][]item{{snap(pb.OperationPhase_OPERATION_PHASE_CANCELLED, 1, "")}},
			wantCode: cmdutil.ExitOperationCancelled,
			wantOut:  "2026-11-23T10:00:01Z op 0001 cancelled 1/2\n",
		},
		{
			name: "stream drop and resume",
			scripts: [][]item{
				{snap(opRunning, 0, ""), {err: status.Error(codes.Unavailable, "connection reset")}},
				{snap(opRunning, 0, "")}, // EOF before the end: reconnect again
				{snap(opRunning, 1, ""), snap(pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, 2, "")},
			},
			wantCode: cmdutil.ExitOK,
			wantOut: `2026-11-23T10:00:01Z op 0001 running 0/2
2026-11-23T10:00:02Z op 0001 stream lost (connection reset); reconnecting
2026-11-23T10:00:03Z op 0001 stream lost (the watch stream ended before the operation did); reconnecting
2026-11-23T10:00:04Z op 0001 running 1/2
2026-11-23T10:00:05Z op 0001 succeeded 2/2
`,
		},
		{
			name:     "timeout",
			scripts:  [][]item{{snap(opRunning, 0, ""), {block: true}}},
			timeout:  50 * time.Millisecond,
			wantCode: cmdutil.ExitTimeout,
			wantOut:  "2026-11-23T10:00:01Z op 0001 running 0/2\n",
		},
		{
			name:     "not found is not retried",
			scripts:  nil,
			wantCode: cmdutil.ExitNotFound,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			w := &fakeWatcher{scripts: tc.scripts}
			_, err := Wait(context.Background(), Options{Client: w, ID: "0001", Mode: Lines, Out: &out,
				Now: clock(), Retry: time.Millisecond, Timeout: tc.timeout})
			if got := cmdutil.ExitCode(err); got != tc.wantCode {
				t.Fatalf("exit code %d (%v), want %d", got, err, tc.wantCode)
			}
			if out.String() != tc.wantOut {
				t.Fatalf("output:\n%s\nwant:\n%s", out.String(), tc.wantOut)
			}
		})
	}
}

func TestWaitLiveRedrawsInPlace(t *testing.T) {
	var out bytes.Buffer
	w := &fakeWatcher{scripts: [][]item{{
		snap(opBlocked, 0, "demo-0 is DN", node("demo-0", down, normal, running)),
		snap(pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, 2, "", node("demo-0", up, normal, running)),
	}}}
	if _, err := Wait(context.Background(), Options{Client: w, ID: "0001", Mode: Live, Out: &out}); err != nil {
		t.Fatal(err)
	}
	want := "op 0001 create-ring demo: blocked 0/2\nblocked: demo-0 is DN\n  demo-0  DN  running\n" +
		"\x1b[3A\x1b[J" + "op 0001 create-ring demo: succeeded 2/2\n  demo-0  UN  running\n"
	if out.String() != want {
		t.Fatalf("output %q\nwant   %q", out.String(), want)
	}
}

func TestWaitQuietAndInterrupted(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	w := &fakeWatcher{scripts: [][]item{{snap(opRunning, 0, ""), {block: true}}}}
	done := make(chan error, 1)
	go func() {
		_, err := Wait(ctx, Options{Client: w, ID: "0001", Mode: Quiet, Out: &out})
		done <- err
	}()
	cancel()
	err := <-done
	var ie *cmdutil.InterruptedError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "op watch 0001") {
		t.Fatalf("err = %v", err)
	}
	if out.Len() != 0 {
		t.Fatalf("quiet mode wrote %q", out.String())
	}
}
