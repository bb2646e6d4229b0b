package restart

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// RestartOptions are node restart's inputs.
type RestartOptions struct {
	opflow.Common
	Nodes func() (pb.NodeServiceClient, error)
	Ring  string
	Node  string
}

// NewCmdRestart returns `node restart`.
func NewCmdRestart(f *cmdutil.Factory, runF func(*RestartOptions) error) *cobra.Command {
	opts := &RestartOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:               "restart <node> [--wait]",
		Short:             "Restart one node in place",
		Long:              `Drain the node, stop it, start it again on the same agent and wait for it to be UN.`,
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
			return restartRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Ring of the node (optional: node names are unique)")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the node is back to UN (see --timeout)")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func restartRun(ctx context.Context, opts *RestartOptions) error {
	c, err := opts.Nodes()
	if err != nil {
		return err
	}
	var resp *pb.RestartNodeResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.RestartNode(rctx, &pb.RestartNodeRequest{Ref: &pb.NodeRef{Ring: opts.Ring, Node: opts.Node}, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("restarting node %s: %w", opts.Node, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
