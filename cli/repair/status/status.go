package status

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/op/show"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// StatusOptions are repair status's inputs.
type StatusOptions struct {
	IO       *iostreams.IOStreams
	Repairs  func() (pb.RepairServiceClient, error)
	Now      func() time.Time
	Output   string
	Request  func(context.Context) (context.Context, context.CancelFunc)
	ID       string
	Segments bool
	// Ring, with --ring: show the ring's Cassandra Auto Repair state instead of a run.
	Ring string
}

// NewCmdStatus returns `repair status`.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{}
	cmd := &cobra.Command{
		Use:   "status {<id>|--ring <ring>} [--segments]",
		Short: "Show a repair run and its segments, or a ring's Cassandra Auto Repair",
		Long: `Show a repair run: its progress, a count of segments by phase and, with --segments (or -o wide), every segment.
With --ring (and no ID), show the ring's repair engine and, for a ring on Cassandra's Auto Repair, each
running node's state (scheduler on, repair types enabled, min_repair_interval, repairs in progress)
and the pauses cassmesos made around topology changes.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.Ring != "" {
				return cmdutil.NoArgs(cmd, args)
			}
			return cmdutil.ExactArgs(1, "a repair operation ID (or --ring <ring>)")(cmd, args)
		},
		ValidArgsFunction: cmdutil.CompleteOperationIDs(f, true, pb.OperationKind_OPERATION_KIND_REPAIR),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Repairs, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Repairs, f.Now, f.Globals.Output, f.RequestContext
			if opts.Ring != "" {
				opts.Ring = cmdutil.TrimRef("ring", opts.Ring)
				if runF != nil {
					return runF(opts)
				}
				return autoRepairRun(cmd.Context(), opts)
			}
			opts.ID = cmdutil.TrimRef("operation", args[0])
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	cmd.Flags().BoolVar(&opts.Segments, "segments", false, "List every segment")
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Show the ring's Cassandra Auto Repair state instead of a repair run")
	_ = cmd.RegisterFlagCompletionFunc("ring", cmdutil.CompleteRingNames(f))
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	c, err := opts.Repairs()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.GetRepair(rctx, &pb.GetRepairRequest{Id: opts.ID})
	if err != nil {
		return fmt.Errorf("repair %s: %w", opts.ID, err)
	}
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(out, opts.Output, resp)
	case cmdutil.OutputName:
		return printers.PrintNames(out, "operation", resp.GetOperation().GetId())
	}
	if err := show.Summary(out, resp.GetOperation(), opts.Now()); err != nil {
		return err
	}
	segs := resp.GetSegments()
	if len(segs) == 0 {
		return nil
	}
	counts := map[pb.StepPhase]int{}
	for _, s := range segs {
		counts[s.GetPhase()]++
	}
	fmt.Fprintf(out, "%-9s %d done, %d running, %d pending, %d failed, %d skipped (of %d)\n", "Segments:",
		counts[pb.StepPhase_STEP_PHASE_DONE], counts[pb.StepPhase_STEP_PHASE_RUNNING], counts[pb.StepPhase_STEP_PHASE_PENDING],
		counts[pb.StepPhase_STEP_PHASE_FAILED], counts[pb.StepPhase_STEP_PHASE_SKIPPED], len(segs))
	wide := opts.Output == cmdutil.OutputWide
	if !opts.Segments && !wide {
		return nil
	}
	fmt.Fprintln(out)
	return printers.RenderTable(out, printers.SegmentTable(segs, wide))
}
