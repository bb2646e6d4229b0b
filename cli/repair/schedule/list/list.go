package list

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

// ListOptions are repair schedule list's inputs.
type ListOptions struct {
	IO      *iostreams.IOStreams
	Repairs func() (pb.RepairServiceClient, error)
	Now     func() time.Time
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
	Ring    string
}

// NewCmdList returns `repair schedule list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{}
	cmd := &cobra.Command{
		Use:     "list [--ring <ring>]",
		Aliases: []string{"ls"},
		Short:   "List repair schedules",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", opts.Ring)
			opts.IO, opts.Repairs, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Repairs, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Only the schedules of this ring")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Repairs()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.ListRepairSchedules(rctx, &pb.ListRepairSchedulesRequest{Ring: opts.Ring})
	if err != nil {
		return fmt.Errorf("listing repair schedules: %w", err)
	}
	names := make([]string, len(resp.GetSchedules()))
	for i, s := range resp.GetSchedules() {
		names[i] = s.GetId()
	}
	if len(names) == 0 && opts.IO.IsStdoutTTY() && !cmdutil.IsStructured(opts.Output) {
		fmt.Fprintln(opts.IO.ErrOut, "No repair schedules.")
	}
	return printers.List(opts.IO.Out, opts.Output, resp, "schedule", names, func() printers.Table {
		return printers.ScheduleTable(resp.GetSchedules(), opts.Now(), opts.Output == cmdutil.OutputWide)
	})
}
