package remove

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// RemoveOptions are node remove's inputs.
type RemoveOptions struct {
	opflow.Common
	Nodes func() (pb.NodeServiceClient, error)
	Ring  string
	Node  string
}

// NewCmdRemove returns `node remove`.
func NewCmdRemove(f *cmdutil.Factory, runF func(*RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:   "remove <node> [--wait]",
		Short: "Remove a dead node from its ring",
		Long: `Run nodetool removenode for a dead node's host ID through a live node, then drop its slot.
Use it when a node is gone for good and will not be replaced.`,
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
			return removeRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Ring of the node (optional: node names are unique)")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the node is removed (see --timeout)")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func removeRun(ctx context.Context, opts *RemoveOptions) error {
	c, err := opts.Nodes()
	if err != nil {
		return err
	}
	var resp *pb.RemoveNodeResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.RemoveNode(rctx, &pb.RemoveNodeRequest{Ref: &pb.NodeRef{Ring: opts.Ring, Node: opts.Node}, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("removing node %s: %w", opts.Node, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
