package remove

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	"github.com/cassmesos/cassmesos/internal/specrules"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// RemoveOptions are dc remove's inputs.
type RemoveOptions struct {
	opflow.Common
	Rings      func() (pb.RingServiceClient, error)
	Ring       string
	DataCenter string
}

// NewCmdRemove returns `dc remove`.
func NewCmdRemove(f *cmdutil.Factory, runF func(*RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:   "remove <ring> <dc> [--wait]",
		Short: "Remove a data centre from a ring",
		Long: `Remove a data centre from a ring: decommission its nodes one by one. Refused while any
keyspace still replicates to it (the daemon asks a node for the keyspaces' replication); alter
those keyspaces first.`,
		Example: "  cassmesos dc remove demo dc2 --wait",
		Args:    cmdutil.ExactArgs(2, "a ring name and a data centre name"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return cmdutil.CompleteRingNames(f)(cmd, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", args[0])
			opts.DataCenter = args[1]
			if err := specrules.Datacenter("data centre", args[1]); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Rings = f.Rings
			if runF != nil {
				return runF(opts)
			}
			return removeRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the data centre's nodes are decommissioned (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func removeRun(ctx context.Context, opts *RemoveOptions) error {
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	var resp *pb.RemoveDataCenterResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.RemoveDataCenter(rctx, &pb.RemoveDataCenterRequest{Name: opts.Ring, Datacenter: opts.DataCenter, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("removing data centre %s from ring %s: %w", opts.DataCenter, opts.Ring, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
