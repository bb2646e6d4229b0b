package run

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	"github.com/cassmesos/cassmesos/cli/repair/repairflags"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// RunOptions are repair run's inputs.
type RunOptions struct {
	opflow.Common
	Repairs func() (pb.RepairServiceClient, error)
	Ring    string
	Params  *pb.RepairParams
	IfIdle  bool
}

// NewCmdRun returns `repair run`.
func NewCmdRun(f *cmdutil.Factory, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{}
	var requestID string
	var (
		flags    repairflags.Flags
		waitFlag bool
	)
	cmd := &cobra.Command{
		Use:   "run <ring> [flags]",
		Short: "Repair a ring in token segments",
		Long: `Start a segmented repair of a ring. Segments run only while all their replicas are UN and no
topology change is under way. With --if-idle nothing starts when a repair of the ring is already
running, and the command exits 9, which makes it safe to call from cron.`,
		Example: `  cassmesos repair run demo --keyspace shop --tables orders,carts --parallel 2 --intensity 0.5 --wait
  cassmesos repair run demo --if-idle --wait --timeout 6h`,
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", args[0])
			p, err := flags.Params(cmd)
			if err != nil {
				return err
			}
			opts.Params = p
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Repairs = f.Repairs
			if runF != nil {
				return runF(opts)
			}
			return runRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	flags.Register(cmd)
	cmd.Flags().BoolVar(&opts.IfIdle, "if-idle", false, "Start nothing (exit 9) when a repair of the ring is already running")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the repair ends (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func runRun(ctx context.Context, opts *RunOptions) error {
	c, err := opts.Repairs()
	if err != nil {
		return err
	}
	var resp *pb.RunRepairResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.RunRepair(rctx, &pb.RunRepairRequest{Ring: opts.Ring, Params: opts.Params, IfIdle: opts.IfIdle, RequestId: id})
		return err
	})
	if err != nil {
		if opts.IfIdle && status.Code(err) == codes.FailedPrecondition {
			return &cmdutil.RepairRunningError{Ring: opts.Ring, Err: err}
		}
		return fmt.Errorf("repairing ring %s: %w", opts.Ring, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
