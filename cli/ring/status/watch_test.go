package status

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// watchEnv serves three reads: all UN, the same again, then demo-2 down with a replacement under
// way.
func watchEnv(t *testing.T, tty bool) *clitest.Env {
	e := clitest.New(t).TTY(tty)
	var reads atomic.Int32
	healthy := clitest.Nodes()
	healthy[2].Liveness, healthy[2].Phase = pb.Liveness_LIVENESS_UP, pb.NodePhase_NODE_PHASE_RUNNING
	e.Srv.GetRingFn = func(_ context.Context, in *pb.GetRingRequest) (*pb.GetRingResponse, error) {
		n := reads.Add(1)
		r := proto.Clone(clitest.Ring()).(*pb.Ring)
		r.Status.Warnings = nil
		if n <= 2 {
			r.Status.Phase, r.Status.ReadyNodes = pb.RingPhase_RING_PHASE_HEALTHY, 3
			return &pb.GetRingResponse{Ring: r, Nodes: healthy}, nil
		}
		return &pb.GetRingResponse{Ring: r, Nodes: clitest.Nodes()}, nil
	}
	e.Srv.ListOperationsFn = func(_ context.Context, in *pb.ListOperationsRequest) (*pb.ListOperationsResponse, error) {
		if in.GetRing() != "demo" || reads.Load() <= 2 {
			return &pb.ListOperationsResponse{}, nil
		}
		return &pb.ListOperationsResponse{Operations: []*pb.Operation{{Id: "20261123-095900-abc", Kind: pb.OperationKind_OPERATION_KIND_REPLACE_NODE,
			Phase: pb.OperationPhase_OPERATION_PHASE_RUNNING, Progress: &pb.Progress{Done: 1, Total: 2},
			Steps: []*pb.Step{{Name: "prepare demo-2", Phase: pb.StepPhase_STEP_PHASE_DONE}, {Name: "replace demo-2", Phase: pb.StepPhase_STEP_PHASE_RUNNING}}}}}, nil
	}
	return e
}

func runWatch(t *testing.T, e *clitest.Env, polls int) {
	t.Helper()
	cmd := NewCmdStatus(e.F, func(o *StatusOptions) error {
		o.maxPolls = polls
		return watchRun(context.Background(), o)
	})
	if code := e.Run(cmd, "demo --watch --interval 100ms"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
}

const (
	healthyFrame = `Ring demo: healthy, 3/3 nodes UN  ●●●
  ● demo-0  UN  seed  127.0.0.2        running
  ● demo-1  UN  seed  127.0.0.3        running
  ● demo-2  UN        127.0.0.4        running
`
	downFrame = `Ring demo: degraded, 2/3 nodes UN  ●●?
  ● demo-0  UN  seed  127.0.0.2        running
  ● demo-1  UN  seed  127.0.0.3        running
  ? demo-2  DN        127.0.0.4        lost
  op 20261123-095900-abc replace-node running [##########----------] 1/2  replace demo-2
`
)

func TestWatchPipeAppendsOnChange(t *testing.T) {
	e := watchEnv(t, false)
	runWatch(t, e, 3)
	ts := clitest.Now.UTC().Format("2006-01-02T15:04:05Z") + "\n"
	clitest.Diff(t, "stdout", e.Out.String(), ts+healthyFrame+ts+downFrame)
	if strings.Contains(e.Out.String(), "\x1b[") {
		t.Fatal("escape sequences in a pipe")
	}
}

func TestWatchTerminalRedrawsInPlace(t *testing.T) {
	e := watchEnv(t, true)
	runWatch(t, e, 3)
	// The second frame replaces the first: cursor up over its 4 lines, clear to the end.
	clitest.Diff(t, "stdout", e.Out.String(), healthyFrame+"\x1b[4A\x1b[J"+downFrame)
}

func TestWatchFlagsAndGoneRing(t *testing.T) {
	e := clitest.New(t)
	for _, bad := range []string{"demo --watch -o json", "demo --watch --interval 1ms"} {
		if code := e.Run(NewCmdStatus(e.F, func(*StatusOptions) error { return nil }), bad); code != 2 {
			t.Errorf("%s: exit %d, want 2", bad, code)
		}
	}
	e.Srv.GetRingFn = func(context.Context, *pb.GetRingRequest) (*pb.GetRingResponse, error) {
		return nil, status.Error(codes.NotFound, "ring demo not found")
	}
	e.Srv.ListOperationsFn = func(context.Context, *pb.ListOperationsRequest) (*pb.ListOperationsResponse, error) {
		return &pb.ListOperationsResponse{}, nil
	}
	cmd := NewCmdStatus(e.F, func(o *StatusOptions) error { o.maxPolls = 5; return watchRun(context.Background(), o) })
	if code := e.Run(cmd, "demo --watch --interval 100ms"); code == 0 || !strings.Contains(e.ErrOut.String(), "not found") {
		t.Fatalf("a ring that is gone: exit %d, %s", code, e.ErrOut)
	}
}
