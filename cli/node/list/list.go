package list

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

// ListOptions are node list's inputs.
type ListOptions struct {
	IO      *iostreams.IOStreams
	Nodes   func() (pb.NodeServiceClient, error)
	Now     func() time.Time
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
	Ring    string
}

// NewCmdList returns `node list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{}
	cmd := &cobra.Command{
		Use:     "list [--ring <ring>]",
		Aliases: []string{"ls"},
		Short:   "List nodes of one ring or of every ring",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", opts.Ring)
			opts.IO, opts.Nodes, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Nodes, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Only the nodes of this ring")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Nodes()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.ListNodes(rctx, &pb.ListNodesRequest{Ring: opts.Ring})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(out, opts.Output, resp)
	case cmdutil.OutputName:
		for _, n := range resp.GetNodes() {
			if err := printers.PrintNames(out, "node", n.GetName()); err != nil {
				return err
			}
		}
		return nil
	}
	if len(resp.GetNodes()) == 0 {
		if opts.IO.IsStdoutTTY() {
			fmt.Fprintln(opts.IO.ErrOut, "No nodes.")
		}
		return nil
	}
	return printers.RenderTable(out, printers.NodeTable(resp.GetNodes(), opts.Now(), opts.Output == cmdutil.OutputWide, opts.Ring == ""))
}
