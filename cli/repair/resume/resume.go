package resume

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ResumeOptions are repair resume's inputs.
type ResumeOptions struct {
	opflow.Common
	Repairs func() (pb.RepairServiceClient, error)
	ID      string
}

// NewCmdResume returns `repair resume`.
func NewCmdResume(f *cmdutil.Factory, runF func(*ResumeOptions) error) *cobra.Command {
	opts := &ResumeOptions{}
	var requestID string

	cmd := &cobra.Command{
		Use:               "resume <id>",
		Short:             "Let a paused repair start segments again",
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
			return resumeRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)

	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func resumeRun(ctx context.Context, opts *ResumeOptions) error {
	c, err := opts.Repairs()
	if err != nil {
		return err
	}
	var resp *pb.ResumeRepairResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.ResumeRepair(rctx, &pb.ResumeRepairRequest{Id: opts.ID, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("resuming repair %s: %w", opts.ID, err)
	}
	return opts.Acknowledge(ctx, resp.GetOperation(), resp, fmt.Sprintf("repair %s: resumed", opts.ID))
}
