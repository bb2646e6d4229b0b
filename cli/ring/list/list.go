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

// ListOptions are ring list's inputs.
type ListOptions struct {
	IO      *iostreams.IOStreams
	Rings   func() (pb.RingServiceClient, error)
	Now     func() time.Time
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
}

// NewCmdList returns `ring list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List rings",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Rings, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Rings, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.ListRings(rctx, &pb.ListRingsRequest{})
	if err != nil {
		return fmt.Errorf("listing rings: %w", err)
	}
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(out, opts.Output, resp)
	case cmdutil.OutputName:
		for _, r := range resp.GetRings() {
			if err := printers.PrintNames(out, "ring", r.GetSpec().GetName()); err != nil {
				return err
			}
		}
		return nil
	}
	if len(resp.GetRings()) == 0 {
		if opts.IO.IsStdoutTTY() {
			fmt.Fprintln(opts.IO.ErrOut, "No rings. Create one with `cassmesos ring create NAME --nodes N`.")
		}
		return nil
	}
	return printers.RenderTable(out, printers.RingTable(resp.GetRings(), opts.Now(), opts.Output == cmdutil.OutputWide))
}
