package get

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// GetOptions are node get's inputs.
type GetOptions struct {
	IO      *iostreams.IOStreams
	Nodes   func() (pb.NodeServiceClient, error)
	Now     func() time.Time
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
	Ring    string
	Node    string
}

// NewCmdGet returns `node get`.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{}
	cmd := &cobra.Command{
		Use:               "get <node>",
		Short:             "Show one node",
		Long:              "Show one node. On a terminal, the table is followed by the node's last message, if any.",
		Args:              cmdutil.ExactArgs(1, "a node name"),
		ValidArgsFunction: cmdutil.CompleteNodeNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Node = cmdutil.TrimRef("node", args[0])
			opts.IO, opts.Nodes, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Nodes, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return getRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Ring of the node (optional: node names are unique)")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	return cmd
}

func getRun(ctx context.Context, opts *GetOptions) error {
	c, err := opts.Nodes()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.GetNode(rctx, &pb.GetNodeRequest{Ref: &pb.NodeRef{Ring: opts.Ring, Node: opts.Node}})
	if err != nil {
		return fmt.Errorf("node %s: %w", opts.Node, err)
	}
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(out, opts.Output, resp)
	case cmdutil.OutputName:
		return printers.PrintNames(out, "node", resp.GetNode().GetName())
	}
	n := resp.GetNode()
	if err := printers.RenderTable(out, printers.NodeTable([]*pb.Node{n}, opts.Now(), opts.Output == cmdutil.OutputWide, true)); err != nil {
		return err
	}
	if opts.IO.IsStdoutTTY() {
		if n.GetReplacesAddress() != "" {
			fmt.Fprintf(out, "\nReplaces: %s\n", printers.Clean(n.GetReplacesAddress()))
		}
		if n.GetMessage() != "" {
			fmt.Fprintf(out, "\nMessage: %s\n", printers.Clean(n.GetMessage()))
		}
	}
	return nil
}
