package show

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ShowOptions are op show's inputs.
type ShowOptions struct {
	IO         *iostreams.IOStreams
	Operations func() (pb.OperationServiceClient, error)
	Now        func() time.Time
	Output     string
	Request    func(context.Context) (context.Context, context.CancelFunc)
	ID         string
}

// NewCmdShow returns `op show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{}
	cmd := &cobra.Command{
		Use:               "show <id>",
		Aliases:           []string{"get"},
		Short:             "Show an operation and its steps",
		Args:              cmdutil.ExactArgs(1, "an operation ID"),
		ValidArgsFunction: cmdutil.CompleteOperationIDs(f, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = cmdutil.TrimRef("operation", args[0])
			opts.IO, opts.Operations, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Operations, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return showRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	return cmd
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	c, err := opts.Operations()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.GetOperation(rctx, &pb.GetOperationRequest{Id: opts.ID})
	if err != nil {
		return fmt.Errorf("operation %s: %w", opts.ID, err)
	}
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(out, opts.Output, resp)
	case cmdutil.OutputName:
		return printers.PrintNames(out, "operation", resp.GetOperation().GetId())
	}
	wide := opts.Output == cmdutil.OutputWide
	if err := Summary(out, resp.GetOperation(), opts.Now()); err != nil {
		return err
	}
	if len(resp.GetOperation().GetSteps()) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	return printers.RenderTable(out, printers.StepTable(resp.GetOperation().GetSteps(), opts.Now(), wide))
}

// Summary writes an operation's header as "Key: value" lines (op show, repair status).
func Summary(w io.Writer, op *pb.Operation, now time.Time) error {
	phase := printers.OperationPhase(op.GetPhase())
	if op.GetCancelRequested() && !printers.IsTerminal(op.GetPhase()) {
		phase += " (cancel requested)"
	}
	lines := [][2]string{
		{"ID", op.GetId()},
		{"Kind", printers.OperationKind(op.GetKind())},
		{"Ring", op.GetRing()},
		{"Phase", phase},
		{"Progress", printers.Progress(op.GetProgress())},
	}
	if n := op.GetParams().GetNodes(); len(n) > 0 {
		lines = append(lines, [2]string{"Nodes", strings.Join(n, ", ")})
	}
	if r := op.GetBlockedReason(); r != "" {
		lines = append(lines, [2]string{"Blocked", r})
	}
	if e := op.GetError(); e != "" {
		lines = append(lines, [2]string{"Error", e})
	}
	if o := op.GetOrigin(); o != "" {
		lines = append(lines, [2]string{"Origin", o})
	}
	lines = append(lines, [2]string{"Created", printers.Age(op.GetCreateTime(), now) + " ago"})
	if op.GetStartTime() != nil && op.GetEndTime() != nil {
		lines = append(lines, [2]string{"Took", printers.ShortDuration(op.GetEndTime().AsTime().Sub(op.GetStartTime().AsTime()))})
	}
	for _, l := range lines {
		if _, err := fmt.Fprintf(w, "%-9s %s\n", l[0]+":", printers.Clean(l[1])); err != nil {
			return err
		}
	}
	return nil
}
