package delete

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	"github.com/cassmesos/cassmesos/internal/retry"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdDelete(t *testing.T) {
	for _, tc := range []struct {
		name, args string
		tty        bool
		wantCode   int
		wantYes    bool
	}{
		{name: "yes in a pipe", args: "demo --yes", wantYes: true},
		{name: "terminal asks", args: "demo", tty: true},
		{name: "pipe without --yes", args: "demo", wantCode: 2},
		{name: "no name", args: "--yes", wantCode: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			var got *DeleteOptions
			code := e.Run(NewCmdDelete(e.F, func(o *DeleteOptions) error { got = o; return nil }), tc.args)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, e.ErrOut)
			}
			if code == 0 && (got.Name != "demo" || got.Yes != tc.wantYes) {
				t.Fatalf("opts %+v", got)
			}
		})
	}
}

func TestDeleteRun(t *testing.T) {
	const prompt = "Delete ring demo? Every node is stopped and its data destroyed; this cannot be undone.\nType the ring name to confirm: "
	for _, tc := range []struct {
		name, args, answer string
		tty                bool
		wantCode           int
		wantOut, wantErr   string
		wantCalled         bool
	}{
		{name: "terminal confirmed", tty: true, args: "demo", answer: "demo\n", wantCalled: true, wantErr: prompt,
			wantOut: "operation 0001 (delete-ring demo) started; follow it with `cassmesos op watch 0001`\n"},
		{name: "terminal declined", tty: true, args: "demo", answer: "no\n", wantCode: 1,
			wantErr: prompt + "error: cancelled: nothing was changed\n"},
		{name: "pipe with --yes and --wait", args: "demo --yes --wait", wantCalled: true,
			wantOut: "operation 0001 (delete-ring demo) succeeded\n",
			wantErr: "2026-11-23T10:00:00Z op 0001 running 1/3\n2026-11-23T10:00:00Z op 0001 succeeded 3/3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.In.WriteString(tc.answer)
			called := false
			e.Srv.DeleteRingFn = func(_ context.Context, in *pb.DeleteRingRequest) (*pb.DeleteRingResponse, error) {
				called = in.Name == "demo"
				return &pb.DeleteRingResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_DELETE_RING)}, nil
			}
			e.Finishes(pb.OperationKind_OPERATION_KIND_DELETE_RING, pb.OperationPhase_OPERATION_PHASE_SUCCEEDED)
			e.Srv.GetRingFn = func(context.Context, *pb.GetRingRequest) (*pb.GetRingResponse, error) {
				return nil, status.Error(codes.NotFound, "ring not found: demo")
			}
			if code := e.Run(NewCmdDelete(e.F, nil), tc.args); code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, e.ErrOut)
			}
			if called != tc.wantCalled {
				t.Fatalf("DeleteRing called = %v", called)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}

// Regression (issue 12, defect 7): a deletion interrupted by a daemon crash could end SUCCEEDED
// with the ring still stored, and `ring delete --wait` reported success. It now reports success
// only once the ring is gone.
func TestDeleteWaitFailsWhileTheRingIsStillThere(t *testing.T) {
	e := clitest.New(t)
	e.Srv.DeleteRingFn = func(context.Context, *pb.DeleteRingRequest) (*pb.DeleteRingResponse, error) {
		return &pb.DeleteRingResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_DELETE_RING)}, nil
	}
	e.Finishes(pb.OperationKind_OPERATION_KIND_DELETE_RING, pb.OperationPhase_OPERATION_PHASE_SUCCEEDED)
	e.Srv.GetRingFn = func(context.Context, *pb.GetRingRequest) (*pb.GetRingResponse, error) {
		return &pb.GetRingResponse{Ring: &pb.Ring{Spec: &pb.RingSpec{Name: "demo"}}}, nil
	}
	code := e.Run(NewCmdDelete(e.F, nil), "demo --yes --wait")
	if code == 0 || strings.Contains(e.Out.String(), "succeeded") {
		t.Fatalf("exit %d, stdout %q: the deletion was reported a success while the ring is still there", code, e.Out.String())
	}
	if !strings.Contains(e.ErrOut.String(), "run `cassmesos ring delete demo` again") {
		t.Fatalf("stderr does not say how to finish: %s", e.ErrOut.String())
	}
}

func fastRetries(t *testing.T) {
	old := cmdutil.RequestRetry
	cmdutil.RequestRetry = retry.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond, Attempts: old.Attempts}
	t.Cleanup(func() { cmdutil.RequestRetry = old })
}

// A transport failure is retried with the same request ID; --request-id sets it.
func TestDeleteRetriesWithTheSameRequestID(t *testing.T) {
	fastRetries(t)
	for _, tc := range []struct{ args, wantID string }{{"demo --yes", ""}, {"demo --yes --request-id my-req.1", "my-req.1"}} {
		e := clitest.New(t)
		var mu sync.Mutex
		var ids []string
		e.Srv.DeleteRingFn = func(_ context.Context, in *pb.DeleteRingRequest) (*pb.DeleteRingResponse, error) {
			mu.Lock()
			defer mu.Unlock()
			ids = append(ids, in.GetRequestId())
			if len(ids) < 3 {
				return nil, status.Error(codes.Unavailable, "the daemon is restarting")
			}
			return &pb.DeleteRingResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_DELETE_RING)}, nil
		}
		if code := e.Run(NewCmdDelete(e.F, nil), tc.args); code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.args, code, e.ErrOut)
		}
		mu.Lock()
		if len(ids) != 3 || ids[0] == "" || ids[1] != ids[0] || ids[2] != ids[0] || (tc.wantID != "" && ids[0] != tc.wantID) {
			t.Fatalf("%s: request IDs sent %q; want three equal (%q)", tc.args, ids, tc.wantID)
		}
		mu.Unlock()
	}
}

// Only transport failures are retried, and only a bounded number of times.
func TestDeleteRetryIsBounded(t *testing.T) {
	fastRetries(t)
	for _, tc := range []struct {
		code  codes.Code
		calls int
		exit  int
	}{{codes.Unavailable, cmdutil.RequestRetry.Attempts, 3}, {codes.FailedPrecondition, 1, 5}, {codes.NotFound, 1, 4}} {
		e := clitest.New(t)
		var mu sync.Mutex
		calls := 0
		e.Srv.DeleteRingFn = func(context.Context, *pb.DeleteRingRequest) (*pb.DeleteRingResponse, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			return nil, status.Error(tc.code, "no")
		}
		if code := e.Run(NewCmdDelete(e.F, nil), "demo --yes"); code != tc.exit {
			t.Fatalf("%v: exit %d, want %d: %s", tc.code, code, tc.exit, e.ErrOut)
		}
		mu.Lock()
		if calls != tc.calls {
			t.Fatalf("%v: %d calls, want %d", tc.code, calls, tc.calls)
		}
		mu.Unlock()
	}
}

func TestDeleteRejectsABadRequestID(t *testing.T) {
	e := clitest.New(t)
	called := false
	e.Srv.DeleteRingFn = func(context.Context, *pb.DeleteRingRequest) (*pb.DeleteRingResponse, error) {
		called = true
		return &pb.DeleteRingResponse{}, nil
	}
	if code := e.Run(NewCmdDelete(e.F, nil), "demo --yes --request-id a/b"); code != 2 || called {
		t.Fatalf("exit %d, called %v; want 2 and no call: %s", code, called, e.ErrOut)
	}
	if !strings.Contains(e.ErrOut.String(), "--request-id") {
		t.Fatalf("error does not name --request-id: %s", e.ErrOut)
	}
}
