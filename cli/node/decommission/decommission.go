package decommission

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// DecommissionOptions are node decommission's inputs.
type DecommissionOptions struct {
	opflow.Common
	Nodes func() (pb.NodeServiceClient, error)
	Ring  string
	Node  string
}

// NewCmdDecommission returns `node decommission`.
func NewCmdDecommission(f *cmdutil.Factory, runF func(*DecommissionOptions) error) *cobra.Command {
	opts := &DecommissionOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:   "decommission <node> [--wait]",
		Short: "Decommission a node and shrink its ring by one",
		Long: `Run nodetool decommission on the node (its data streams to the others), then stop its task,
destroy its volume and unreserve its resources. The ring's size shrinks by one.`,
		Args:              cmdutil.ExactArgs(1, "a node name"),
		ValidArgsFunction: cmdutil.CompleteNodeNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Node = cmdutil.TrimRef("node", args[0])
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Nodes = f.Nodes
			if runF != nil {
				return runF(opts)
			}
			return decommissionRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Ring of the node (optional: node names are unique)")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the node has left (see --timeout)")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func decommissionRun(ctx context.Context, opts *DecommissionOptions) error {
	c, err := opts.Nodes()
	if err != nil {
		return err
	}
	var resp *pb.DecommissionNodeResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.DecommissionNode(rctx, &pb.DecommissionNodeRequest{Ref: &pb.NodeRef{Ring: opts.Ring, Node: opts.Node}, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("decommissioning node %s: %w", opts.Node, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
