package pause

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// PauseOptions are repair pause's inputs.
type PauseOptions struct {
	opflow.Common
	Repairs func() (pb.RepairServiceClient, error)
	ID      string
}

// NewCmdPause returns `repair pause`.
func NewCmdPause(f *cmdutil.Factory, runF func(*PauseOptions) error) *cobra.Command {
	opts := &PauseOptions{}
	var requestID string

	cmd := &cobra.Command{
		Use:               "pause <id>",
		Short:             "Stop starting new segments of a repair",
		Args:              cmdutil.ExactArgs(1, "a repair operation ID"),
		ValidArgsFunction: cmdutil.CompleteOperationIDs(f, false, pb.OperationKind_OPERATION_KIND_REPAIR),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = cmdutil.TrimRef("operation", args[0])
			opts.Common = opflow.CommonFrom(f, false)
			opts.RequestID = requestID
			opts.Repairs = f.Repairs
			if runF != nil {
				return runF(opts)
			}
			return pauseRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)

	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func pauseRun(ctx context.Context, opts *PauseOptions) error {
	c, err := opts.Repairs()
	if err != nil {
		return err
	}
	var resp *pb.PauseRepairResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.PauseRepair(rctx, &pb.PauseRepairRequest{Id: opts.ID, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("pausing repair %s: %w", opts.ID, err)
	}
	return opts.Acknowledge(ctx, resp.GetOperation(), resp, fmt.Sprintf("repair %s: paused; running segments finish, no new ones start", opts.ID))
}
