package replace

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ReplaceOptions are node replace's inputs.
type ReplaceOptions struct {
	opflow.Common
	Nodes func() (pb.NodeServiceClient, error)
	Ring  string
	Node  string
}

// NewCmdReplace returns `node replace`.
func NewCmdReplace(f *cmdutil.Factory, runF func(*ReplaceOptions) error) *cobra.Command {
	opts := &ReplaceOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:   "replace <node> [--wait]",
		Short: "Replace a dead node with a new one that takes over its tokens",
		Long: `Replace a node that is down: its slot is launched on another agent with
replace_address_first_boot set to the dead address, after its host ID is recorded. The server
refuses while the node is up.`,
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
			return replaceRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Ring of the node (optional: node names are unique)")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the replacement is UN (see --timeout)")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func replaceRun(ctx context.Context, opts *ReplaceOptions) error {
	c, err := opts.Nodes()
	if err != nil {
		return err
	}
	var resp *pb.ReplaceNodeResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.ReplaceNode(rctx, &pb.ReplaceNodeRequest{Ref: &pb.NodeRef{Ring: opts.Ring, Node: opts.Node}, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("replacing node %s: %w", opts.Node, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
