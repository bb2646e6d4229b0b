package wait

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/printers"
	"github.com/cassmesos/cassmesos/internal/retry"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Watcher opens an operation's watch stream; cassmesosv1.OperationServiceClient is one.
type Watcher interface {
	WatchOperation(ctx context.Context, in *pb.WatchOperationRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[pb.WatchOperationResponse], error)
}

// Mode is how progress is shown.
type Mode int

const (
	// Quiet shows nothing (-o json, yaml, name).
	Quiet Mode = iota
	// Live redraws a view in place (a terminal).
	Live
	// Lines writes a timestamped line whenever something changes (a pipe or a file).
	Lines
)

// DefaultRetry is the pause between reconnects of a dropped stream.
const DefaultRetry = time.Second

// Options configure one wait.
type Options struct {
	Client  Watcher
	ID      string
	Timeout time.Duration // 0: no limit
	Mode    Mode
	Out     io.Writer        // where progress goes (standard error)
	Now     func() time.Time // timestamps of Lines
	Retry   time.Duration    // pause between reconnects; 0 means DefaultRetry
}

// ModeFor picks the progress mode: none for structured output, live on a terminal, lines otherwise.
func ModeFor(output string, live bool) Mode {
	switch {
	case cmdutil.IsStructured(output):
		return Quiet
	case live:
		return Live
	default:
		return Lines
	}
}

// Wait follows the operation until it ends, the timeout passes or ctx is cancelled, reconnecting
// the stream whenever it drops (a daemon restart or leader change). It returns the last snapshot
// seen, and nil when the operation succeeded, a *cmdutil.OperationError when it failed or was
// cancelled, a *cmdutil.TimeoutError on timeout, and a *cmdutil.InterruptedError when ctx ended.
func Wait(ctx context.Context, o Options) (*pb.WatchOperationResponse, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Retry <= 0 {
		o.Retry = DefaultRetry
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	wctx, cancel := ctx, context.CancelFunc(func() {})
	if o.Timeout > 0 {
		wctx, cancel = context.WithTimeout(ctx, o.Timeout)
	}
	defer cancel()

	v := &view{o: o, nodeStates: map[string]string{}}
	reconnect := retry.Constant(o.Retry).Start()
	var last *pb.WatchOperationResponse
	for {
		resp, err := follow(wctx, o, v)
		if resp != nil {
			last = resp
		}
		if err == nil {
			return last, outcome(o.ID, last.GetOperation())
		}
		if ctx.Err() != nil {
			return last, &cmdutil.InterruptedError{Hint: fmt.Sprintf("operation %s keeps running; follow it with `cassmesos op watch %s`", o.ID, o.ID)}
		}
		if wctx.Err() != nil {
			return last, &cmdutil.TimeoutError{What: "operation " + o.ID, Timeout: o.Timeout.String(),
				Hint: fmt.Sprintf("it keeps running; follow it with `cassmesos op watch %s`", o.ID)}
		}
		if !retryable(err) {
			return last, err
		}
		v.reconnecting(err)
		_ = reconnect.Wait(wctx) // an ended wctx is reported at the top of the next round
	}
}

// follow reads one stream until the operation is final (nil error) or the stream breaks.
func follow(ctx context.Context, o Options, v *view) (*pb.WatchOperationResponse, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := o.Client.WatchOperation(sctx, &pb.WatchOperationRequest{Id: o.ID})
	if err != nil {
		return nil, err
	}
	var last *pb.WatchOperationResponse
	for {
		resp, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errStreamEnded
			}
			return last, err
		}
		last = resp
		v.update(resp)
		if printers.IsTerminal(resp.GetOperation().GetPhase()) {
			return last, nil
		}
	}
}

var errStreamEnded = errors.New("the watch stream ended before the operation did")

func retryable(err error) bool {
	if errors.Is(err, errStreamEnded) {
		return true
	}
	var u *cmdutil.UnreachableError
	if errors.As(err, &u) {
		return true
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.Unavailable, codes.Internal, codes.Unknown, codes.Aborted, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Canceled:
		return true
	}
	return false
}

func outcome(id string, op *pb.Operation) error {
	switch op.GetPhase() {
	case pb.OperationPhase_OPERATION_PHASE_SUCCEEDED:
		return nil
	case pb.OperationPhase_OPERATION_PHASE_CANCELLED:
		return &cmdutil.OperationError{ID: id, Cancelled: true}
	default:
		return &cmdutil.OperationError{ID: id, Reason: op.GetError()}
	}
}

// view renders progress in the chosen mode.
type view struct {
	o          Options
	drawn      int // lines of the live frame on screen
	lastFrame  []string
	lastOp     string
	nodeStates map[string]string
	note       string
}

func opSummary(op *pb.Operation) string {
	s := printers.OperationPhase(op.GetPhase()) + " " + printers.Progress(op.GetProgress())
	if op.GetCancelRequested() && !printers.IsTerminal(op.GetPhase()) {
		s += " (cancelling)"
	}
	return s
}

func nodeState(n *pb.Node) string {
	return printers.NodeState(n) + " " + printers.NodePhase(n.GetPhase())
}

func (v *view) update(resp *pb.WatchOperationResponse) {
	v.note = ""
	switch v.o.Mode {
	case Live:
		v.draw(liveFrame(v.o.ID, resp))
	case Lines:
		v.lines(resp)
	}
}

func (v *view) reconnecting(err error) {
	msg := "stream lost (" + cmdutil.ErrorMessage(err) + "); reconnecting"
	switch v.o.Mode {
	case Live:
		frame := append(append([]string{}, v.lastFrame...), msg)
		if len(v.lastFrame) == 0 {
			frame = []string{"op " + v.o.ID + ": " + msg}
		}
		v.draw(frame)
		v.lastFrame = frame[:len(frame)-1]
	case Lines:
		if v.note != msg {
			fmt.Fprintf(v.o.Out, "%s op %s %s\n", v.ts(), v.o.ID, msg)
		}
	}
	v.note = msg
}

func (v *view) ts() string { return v.o.Now().UTC().Format(time.RFC3339) }

// lines writes one line per node whose state changed, or one line when only the operation did.
func (v *view) lines(resp *pb.WatchOperationResponse) {
	op := resp.GetOperation()
	summary := opSummary(op)
	blocked := ""
	if r := printers.Clean(op.GetBlockedReason()); r != "" {
		blocked = " blocked: " + r
	}
	opLine := summary + blocked
	var changed []string
	for _, n := range resp.GetNodes() {
		st := nodeState(n)
		if v.nodeStates[n.GetName()] != st {
			v.nodeStates[n.GetName()] = st
			changed = append(changed, n.GetName()+" "+st)
		}
	}
	if len(changed) == 0 && opLine == v.lastOp {
		return
	}
	v.lastOp = opLine
	if len(changed) == 0 {
		fmt.Fprintf(v.o.Out, "%s op %s %s%s\n", v.ts(), v.o.ID, summary, blocked)
	}
	for _, c := range changed {
		fmt.Fprintf(v.o.Out, "%s op %s %s %s%s\n", v.ts(), v.o.ID, summary, c, blocked)
	}
	if op.GetError() != "" && printers.IsTerminal(op.GetPhase()) {
		fmt.Fprintf(v.o.Out, "%s op %s error: %s\n", v.ts(), v.o.ID, printers.Clean(op.GetError()))
	}
}

// liveFrame is the live view of one snapshot.
func liveFrame(id string, resp *pb.WatchOperationResponse) []string {
	op := resp.GetOperation()
	head := fmt.Sprintf("op %s %s %s: %s", id, printers.OperationKind(op.GetKind()), op.GetRing(), opSummary(op))
	if eta := op.GetProgress().GetEta(); eta != nil && !printers.IsTerminal(op.GetPhase()) {
		head += " (ETA " + printers.ShortDuration(eta.AsDuration()) + ")"
	}
	frame := []string{head}
	if r := printers.Clean(op.GetBlockedReason()); r != "" {
		frame = append(frame, "blocked: "+r)
	}
	if e := printers.Clean(op.GetError()); e != "" {
		frame = append(frame, "error: "+e)
	}
	width := 4
	for _, n := range resp.GetNodes() {
		width = max(width, len(n.GetName()))
	}
	for _, n := range resp.GetNodes() {
		line := fmt.Sprintf("  %-*s  %-2s  %s", width, n.GetName(), printers.NodeState(n), printers.NodePhase(n.GetPhase()))
		if m := printers.Clean(n.GetMessage()); m != "" {
			line += "  " + m
		}
		frame = append(frame, line)
	}
	return frame
}

// draw replaces the previous frame on the terminal with frame.
func (v *view) draw(frame []string) {
	var b strings.Builder
	if v.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", v.drawn)
	}
	for _, l := range frame {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, _ = io.WriteString(v.o.Out, b.String())
	v.drawn = len(frame)
	v.lastFrame = frame
}
