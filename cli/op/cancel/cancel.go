package cancel

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// CancelOptions are op cancel's inputs.
type CancelOptions struct {
	opflow.Common
	ID string
}

// NewCmdCancel returns `op cancel`.
func NewCmdCancel(f *cmdutil.Factory, runF func(*CancelOptions) error) *cobra.Command {
	opts := &CancelOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:   "cancel <id> [--wait]",
		Short: "Ask an operation to stop at its next safe point",
		Long: `Ask an operation to stop at its next safe point. The request returns at once; with --wait the
command follows the operation until it stops, and exits 7 when it ended cancelled (0 if it
succeeded before it could stop).`,
		Args:              cmdutil.ExactArgs(1, "an operation ID"),
		ValidArgsFunction: cmdutil.CompleteOperationIDs(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = cmdutil.TrimRef("operation", args[0])
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			if runF != nil {
				return runF(opts)
			}
			return cancelRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the operation has stopped (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func cancelRun(ctx context.Context, opts *CancelOptions) error {
	c, err := opts.Operations()
	if err != nil {
		return err
	}
	var resp *pb.CancelOperationResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.CancelOperation(rctx, &pb.CancelOperationRequest{Id: opts.ID, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("cancelling operation %s: %w", opts.ID, err)
	}
	op := resp.GetOperation()
	msg := fmt.Sprintf("operation %s (%s %s): cancel requested; it stops at its next safe point", op.GetId(),
		printers.OperationKind(op.GetKind()), op.GetRing())
	if printers.IsTerminal(op.GetPhase()) {
		msg = fmt.Sprintf("operation %s had already ended: %s", op.GetId(), printers.OperationPhase(op.GetPhase()))
	}
	return opts.Acknowledge(ctx, op, resp, msg)
}
