package restart

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// RestartOptions are ring restart's inputs.
type RestartOptions struct {
	opflow.Common
	Rings func() (pb.RingServiceClient, error)
	Name  string
}

// NewCmdRestart returns `ring restart`.
func NewCmdRestart(f *cmdutil.Factory, runF func(*RestartOptions) error) *cobra.Command {
	opts := &RestartOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:               "restart <name> [--wait]",
		Short:             "Restart every node of a ring, one at a time",
		Long:              "Rolling restart: each node is drained, restarted and back to UN before the next one.",
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = cmdutil.TrimRef("ring", args[0])
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Rings = f.Rings
			if runF != nil {
				return runF(opts)
			}
			return restartRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until every node has been restarted (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func restartRun(ctx context.Context, opts *RestartOptions) error {
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	var resp *pb.RestartRingResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.RestartRing(rctx, &pb.RestartRingRequest{Name: opts.Name, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("restarting ring %s: %w", opts.Name, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
