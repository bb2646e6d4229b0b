package add

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	"github.com/cassmesos/cassmesos/internal/specrules"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// AddOptions are dc add's inputs.
type AddOptions struct {
	opflow.Common
	Rings      func() (pb.RingServiceClient, error)
	Ring       string
	DataCenter *pb.DataCenter
	Source     string
}

// NewCmdAdd returns `dc add`.
func NewCmdAdd(f *cmdutil.Factory, runF func(*AddOptions) error) *cobra.Command {
	opts := &AddOptions{DataCenter: &pb.DataCenter{}}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:   "add <ring> <dc> --nodes <n> [--seeds <n>] [--region <region>] [--source <dc>] [--wait]",
		Short: "Add a data centre to a running ring",
		Long: `Add a data centre to a running ring. Its nodes join one at a time without streaming
(auto_bootstrap: false), then each runs nodetool rebuild from an existing data centre (--source,
default the ring's first), one at a time. Alter your keyspaces to replicate to the new data
centre (NetworkTopologyStrategy) before or while it is added; a rebuild streams only what is
replicated to it then.`,
		Example: "  cassmesos dc add demo dc2 --nodes 3 --wait\n  cassmesos dc add demo west --nodes 2 --region us-west --source east",
		Args:    cmdutil.ExactArgs(2, "a ring name and a data centre name"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return cmdutil.CompleteRingNames(f)(cmd, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", args[0])
			opts.DataCenter.Name = args[1]
			if err := specrules.Datacenter("data centre", args[1]); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if !cmd.Flags().Changed("nodes") {
				return cmdutil.FlagErrorf("--nodes is required")
			}
			if opts.DataCenter.Nodes < 1 {
				return cmdutil.FlagErrorf("--nodes: want at least 1, got %d", opts.DataCenter.Nodes)
			}
			if s := opts.DataCenter.Seeds; s < 0 || s > opts.DataCenter.Nodes {
				return cmdutil.FlagErrorf("--seeds: want 1..%d (the node count), got %d", opts.DataCenter.Nodes, s)
			}
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Rings = f.Rings
			if runF != nil {
				return runF(opts)
			}
			return addRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().Int32Var(&opts.DataCenter.Nodes, "nodes", 0, "Nodes of the new data centre (required)")
	cmd.Flags().Int32Var(&opts.DataCenter.Seeds, "seeds", 0, "Seeds of the new data centre (default min(nodes, 2))")
	cmd.Flags().StringVar(&opts.DataCenter.Region, "region", "", "Run only on agents of this fault-domain region (agent attribute dc)")
	cmd.Flags().StringVar(&opts.Source, "source", "", "Existing data centre the new nodes rebuild from (default: the ring's first)")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until every new node is rebuilt (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func addRun(ctx context.Context, opts *AddOptions) error {
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	var resp *pb.AddDataCenterResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.AddDataCenter(rctx, &pb.AddDataCenterRequest{Name: opts.Ring, Datacenter: opts.DataCenter, SourceDatacenter: opts.Source, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("adding data centre %s to ring %s: %w", opts.DataCenter.GetName(), opts.Ring, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
