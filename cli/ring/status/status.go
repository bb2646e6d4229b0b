package status

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// StatusOptions are ring status's inputs.
type StatusOptions struct {
	IO      *iostreams.IOStreams
	Rings   func() (pb.RingServiceClient, error)
	Now     func() time.Time
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
	Name    string
	// Watch redraws a compact view every Interval until interrupted.
	Watch      bool
	Interval   time.Duration
	Operations func() (pb.OperationServiceClient, error)
	// maxPolls ends a watch after this many reads (tests; 0: never).
	maxPolls int
}

// NewCmdStatus returns `ring status` (alias `ring get`).
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{}
	cmd := &cobra.Command{
		Use:     "status <name> [--watch] [--interval <duration>]",
		Aliases: []string{"get"},
		Short:   "Show a ring and the state of its nodes",
		Long: `Show a ring and its nodes. STATE is nodetool's: U/D (up/down, as the ring's live nodes see
the node) followed by N/J/L/M (normal, joining, leaving, moving); '?' is unknown and '-' means the
node has not started yet. On a terminal a summary and the ring's warnings come first.

With --watch a compact view is redrawn every --interval until interrupted: a summary line with a
glyph per node (● UN, ◐ joining, ◑ leaving or moving, ✖ down, ? lost, ⟳ being replaced, ○ not
started), a line per node, and a line per unfinished operation with its progress. On a terminal it
is redrawn in place; in a pipe each change is appended under a timestamp line.`,
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = cmdutil.TrimRef("ring", args[0])
			opts.IO, opts.Rings, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Rings, f.Now, f.Globals.Output, f.RequestContext
			opts.Operations = f.Operations
			if opts.Watch && opts.Output != "" && opts.Output != cmdutil.OutputTable {
				return cmdutil.FlagErrorf("--watch draws its own view: it takes no -o %s", opts.Output)
			}
			if opts.Interval < 100*time.Millisecond {
				return cmdutil.FlagErrorf("--interval: want at least 100ms, got %s", opts.Interval)
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.Watch {
				return watchRun(cmd.Context(), opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "Redraw a compact view of the ring until interrupted")
	cmd.Flags().DurationVar(&opts.Interval, "interval", DefaultInterval, "How often --watch reads the ring")
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.GetRing(rctx, &pb.GetRingRequest{Name: opts.Name})
	if err != nil {
		return fmt.Errorf("ring %s: %w", opts.Name, err)
	}
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(out, opts.Output, resp)
	case cmdutil.OutputName:
		return printers.PrintNames(out, "ring", resp.GetRing().GetSpec().GetName())
	}
	st := resp.GetRing().GetStatus()
	if opts.IO.IsStdoutTTY() {
		line := fmt.Sprintf("Ring %s: %s, %d/%d nodes UN", opts.Name, printers.RingPhase(st.GetPhase()), st.GetReadyNodes(), st.GetTotalNodes())
		if id := st.GetActiveOperationId(); id != "" {
			line += ", operation " + id + " running"
		}
		fmt.Fprintln(out, line)
		for _, w := range st.GetWarnings() {
			fmt.Fprintln(out, "warning: "+w)
		}
		fmt.Fprintln(out)
	} else {
		for _, w := range st.GetWarnings() {
			fmt.Fprintf(opts.IO.ErrOut, "warning: ring %s: %s\n", opts.Name, w)
		}
	}
	return printers.RenderTable(out, printers.NodeTable(resp.GetNodes(), opts.Now(), opts.Output == cmdutil.OutputWide, false))
}
