package delete

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// DeleteOptions are repair schedule delete's inputs.
type DeleteOptions struct {
	IO      *iostreams.IOStreams
	Repairs func() (pb.RepairServiceClient, error)
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
	ID      string
	// RequestID is --request-id ("": a fresh random ID).
	RequestID string
}

// NewCmdDelete returns `repair schedule delete`.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete <id>",
		Short: "Delete a repair schedule",
		Long:  "Delete a repair schedule. A run it already started goes on (cancel it with repair cancel).",
		Args:  cmdutil.ExactArgs(1, "a schedule ID"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			c, err := f.Repairs()
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			ctx, cancel := cmdutil.CompletionContext(cmd)
			defer cancel()
			resp, err := c.ListRepairSchedules(ctx, &pb.ListRepairSchedulesRequest{})
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, s := range resp.GetSchedules() {
				out = append(out, cobra.CompletionWithDesc(s.GetId(), s.GetRing()+" "+s.GetCron()))
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = cmdutil.TrimRef("schedule", args[0])
			opts.IO, opts.Repairs, opts.Output, opts.Request = f.IOStreams, f.Repairs, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return deleteRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputName)
	cmdutil.AddRequestIDFlag(cmd, &opts.RequestID)
	return cmd
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	c, err := opts.Repairs()
	if err != nil {
		return err
	}
	attempts := 0
	err = cmdutil.Mutate(ctx, opts.Request, opts.RequestID, func(rctx context.Context, id string) error {
		attempts++
		_, err := c.DeleteRepairSchedule(rctx, &pb.DeleteRepairScheduleRequest{Id: opts.ID, RequestId: id})
		if attempts > 1 && status.Code(err) == codes.NotFound {
			// An earlier attempt whose answer was lost deleted it (a deleted schedule leaves no
			// record to remember the request ID by).
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting repair schedule %s: %w", opts.ID, err)
	}
	if opts.Output == cmdutil.OutputName {
		return printers.PrintNames(opts.IO.Out, "schedule", opts.ID)
	}
	_, err = fmt.Fprintf(opts.IO.Out, "schedule %s deleted\n", opts.ID)
	return err
}
