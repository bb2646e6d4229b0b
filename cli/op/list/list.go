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

// ListOptions are op list's inputs.
type ListOptions struct {
	IO         *iostreams.IOStreams
	Operations func() (pb.OperationServiceClient, error)
	Now        func() time.Time
	Output     string
	Request    func(context.Context) (context.Context, context.CancelFunc)
	Ring       string
	All        bool
	Kinds      []pb.OperationKind
	Limit      int32
}

// NewCmdList returns `op list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{}
	var kinds []string
	cmd := &cobra.Command{
		Use:     "list [--ring <ring>] [--all] [--kind <kind>,...]",
		Aliases: []string{"ls"},
		Short:   "List operations, newest first",
		Long:    "List operations, newest first: the unfinished ones, or with --all the finished ones too.",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", opts.Ring)
			opts.Kinds = nil
			for _, k := range kinds {
				v, err := cmdutil.ParseOperationKind(k)
				if err != nil {
					return cmdutil.FlagValueError("kind", err)
				}
				opts.Kinds = append(opts.Kinds, v)
			}
			if opts.Limit < 0 {
				return cmdutil.FlagErrorf("--limit: want a number >= 0, got %d", opts.Limit)
			}
			opts.IO, opts.Operations, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Operations, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Only the operations of this ring")
	cmd.Flags().BoolVarP(&opts.All, "all", "A", false, "Include finished operations")
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "Only operations of these kinds (comma-separated, e.g. repair,cleanup)")
	cmd.Flags().Int32Var(&opts.Limit, "limit", 0, "At most this many operations (default 100)")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(cmdutil.OperationKinds(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Operations()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.ListOperations(rctx, &pb.ListOperationsRequest{Ring: opts.Ring, Kinds: opts.Kinds, All: opts.All, Limit: opts.Limit})
	if err != nil {
		return fmt.Errorf("listing operations: %w", err)
	}
	names := make([]string, len(resp.GetOperations()))
	for i, o := range resp.GetOperations() {
		names[i] = o.GetId()
	}
	if len(names) == 0 && opts.IO.IsStdoutTTY() && !cmdutil.IsStructured(opts.Output) {
		fmt.Fprintln(opts.IO.ErrOut, "No operations.")
	}
	return printers.List(opts.IO.Out, opts.Output, resp, "operation", names, func() printers.Table {
		return printers.OperationTable(resp.GetOperations(), opts.Now(), opts.Output == cmdutil.OutputWide)
	})
}
