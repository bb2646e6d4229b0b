package cancel

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// CancelOptions are repair cancel's inputs.
type CancelOptions struct {
	opflow.Common
	Repairs func() (pb.RepairServiceClient, error)
	ID      string
}

// NewCmdCancel returns `repair cancel`.
func NewCmdCancel(f *cmdutil.Factory, runF func(*CancelOptions) error) *cobra.Command {
	opts := &CancelOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:               "cancel <id> [--wait]",
		Short:             "Stop a repair after its running segments",
		Args:              cmdutil.ExactArgs(1, "a repair operation ID"),
		ValidArgsFunction: cmdutil.CompleteOperationIDs(f, false, pb.OperationKind_OPERATION_KIND_REPAIR),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = cmdutil.TrimRef("operation", args[0])
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Repairs = f.Repairs
			if runF != nil {
				return runF(opts)
			}
			return cancelRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the repair has stopped (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func cancelRun(ctx context.Context, opts *CancelOptions) error {
	c, err := opts.Repairs()
	if err != nil {
		return err
	}
	var resp *pb.CancelRepairResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.CancelRepair(rctx, &pb.CancelRepairRequest{Id: opts.ID, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("cancelling repair %s: %w", opts.ID, err)
	}
	return opts.Acknowledge(ctx, resp.GetOperation(), resp, fmt.Sprintf("repair %s: cancel requested; it stops after its running segments", opts.ID))
}
