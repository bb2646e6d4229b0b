package status

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// DefaultInterval is how often ring status --watch reads the ring.
const DefaultInterval = 2 * time.Second

// Glyph is the one-character picture of a node's state in the compact ring view: ● UN,
// ◐ joining, ◑ leaving/moving, ✖ down, ? lost, ⟳ being replaced, ○ not started.
func Glyph(n *pb.Node) string {
	switch n.GetPhase() {
	case pb.NodePhase_NODE_PHASE_LOST:
		return "?"
	case pb.NodePhase_NODE_PHASE_REPLACING:
		return "⟳"
	}
	s := printers.NodeState(n)
	switch {
	case s == "-":
		return "○"
	case strings.HasPrefix(s, "D"):
		return "✖"
	case s == "UN":
		return "●"
	case s == "UL" || s == "UM":
		return "◑"
	}
	return "◐"
}

// bar is a progress bar of width cells.
func bar(done, total int64, width int) string {
	if total <= 0 {
		return "[" + strings.Repeat("-", width) + "]"
	}
	n := int(int64(width) * min(done, total) / total)
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]"
}

// Frame is the compact ring view: a summary line, a line per node, a line per unfinished
// operation (with its current step).
func Frame(name string, resp *pb.GetRingResponse, ops []*pb.Operation) []string {
	st := resp.GetRing().GetStatus()
	nodes := resp.GetNodes()
	var glyphs strings.Builder
	for _, n := range nodes {
		glyphs.WriteString(Glyph(n))
	}
	frame := []string{fmt.Sprintf("Ring %s: %s, %d/%d nodes UN  %s", name, printers.RingPhase(st.GetPhase()), st.GetReadyNodes(), st.GetTotalNodes(), glyphs.String())}
	width := 0
	for _, n := range nodes {
		width = max(width, len(n.GetName()))
	}
	for _, n := range nodes {
		seed := "    "
		if n.GetSeed() {
			seed = "seed"
		}
		line := fmt.Sprintf("  %s %-*s  %-2s  %s  %-15s  %s", Glyph(n), width, n.GetName(), printers.NodeState(n), seed,
			printers.Dash(n.GetAddress()), printers.NodePhase(n.GetPhase()))
		if m := printers.Clean(n.GetMessage()); m != "" {
			line += "  " + m
		}
		frame = append(frame, strings.TrimRight(line, " "))
	}
	for _, w := range st.GetWarnings() {
		frame = append(frame, "  warning: "+printers.Clean(w))
	}
	for _, op := range ops {
		p := op.GetProgress()
		line := fmt.Sprintf("  op %s %s %s %s %s", op.GetId(), printers.OperationKind(op.GetKind()), printers.OperationPhase(op.GetPhase()),
			bar(p.GetDone(), p.GetTotal(), 20), printers.Progress(p))
		for _, s := range op.GetSteps() {
			if s.GetPhase() == pb.StepPhase_STEP_PHASE_RUNNING {
				line += "  " + printers.Clean(s.GetName())
				break
			}
		}
		if b := op.GetBlockedReason(); b != "" && op.GetPhase() == pb.OperationPhase_OPERATION_PHASE_BLOCKED {
			line += "  blocked: " + printers.Clean(b)
		}
		frame = append(frame, line)
	}
	return frame
}

// watcher draws frames: on a terminal in place (ANSI cursor up + clear), in a pipe as appended
// lines under a timestamp, and only when the frame changed.
type watcher struct {
	out   io.Writer
	tty   bool
	now   func() time.Time
	drawn int
	last  string
}

func (w *watcher) show(frame []string) error {
	key := strings.Join(frame, "\n")
	if key == w.last {
		return nil
	}
	w.last = key
	var b strings.Builder
	if w.tty {
		if w.drawn > 0 {
			fmt.Fprintf(&b, "\x1b[%dA\x1b[J", w.drawn)
		}
		w.drawn = len(frame)
	} else {
		fmt.Fprintf(&b, "%s\n", w.now().UTC().Format(time.RFC3339))
	}
	for _, l := range frame {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w.out, b.String())
	return err
}

// watchRun redraws the ring until ctx ends (exit 0). A ring that goes away ends it with the
// NotFound error; other failures are shown and retried.
func watchRun(ctx context.Context, opts *StatusOptions) error {
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	oc, err := opts.Operations()
	if err != nil {
		return err
	}
	w := &watcher{out: opts.IO.Out, tty: opts.IO.IsStdoutTTY(), now: opts.Now}
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for polls := 0; ; polls++ {
		if opts.maxPolls > 0 && polls == opts.maxPolls {
			return nil
		}
		if polls > 0 {
			timer.Reset(interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		frame, err := readFrame(ctx, opts, c, oc)
		if status.Code(err) == codes.NotFound {
			return fmt.Errorf("ring %s: %w", opts.Name, err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			frame = []string{fmt.Sprintf("Ring %s: cannot read it (%s); retrying every %s", opts.Name, printers.Clean(status.Convert(err).Message()), interval)}
		}
		if err := w.show(frame); err != nil {
			return err
		}
	}
}

func readFrame(ctx context.Context, opts *StatusOptions, c pb.RingServiceClient, oc pb.OperationServiceClient) ([]string, error) {
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.GetRing(rctx, &pb.GetRingRequest{Name: opts.Name})
	if err != nil {
		return nil, err
	}
	ops, err := oc.ListOperations(rctx, &pb.ListOperationsRequest{Ring: opts.Name})
	if err != nil {
		return nil, err
	}
	list := ops.GetOperations()
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 { // oldest first
		list[i], list[j] = list[j], list[i]
	}
	return Frame(opts.Name, resp, list), nil
}
