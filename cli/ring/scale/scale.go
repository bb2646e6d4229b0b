package scale

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ScaleOptions are ring scale's inputs.
type ScaleOptions struct {
	opflow.Common
	Rings  func() (pb.RingServiceClient, error)
	Name   string
	Nodes  int32
	Remove []string
}

// NewCmdScale returns `ring scale`.
func NewCmdScale(f *cmdutil.Factory, runF func(*ScaleOptions) error) *cobra.Command {
	opts := &ScaleOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:   "scale <name> --nodes <n> [--remove <node>,...] [--wait]",
		Short: "Grow or shrink a ring",
		Long: `Change a ring's node count. Growing adds one node at a time; shrinking decommissions one node at
a time, by default the highest-numbered ones, or the nodes named with --remove.`,
		Example:           "  cassmesos ring scale demo --nodes 5 --wait\n  cassmesos ring scale demo --nodes 3 --remove demo-1,demo-4",
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = cmdutil.TrimRef("ring", args[0])
			if !cmd.Flags().Changed("nodes") {
				return cmdutil.FlagErrorf("--nodes is required")
			}
			if opts.Nodes < 1 {
				return cmdutil.FlagErrorf("--nodes: want at least 1, got %d", opts.Nodes)
			}
			for i, n := range opts.Remove {
				opts.Remove[i] = cmdutil.TrimRef("node", n)
			}
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Rings = f.Rings
			if runF != nil {
				return runF(opts)
			}
			return scaleRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().Int32Var(&opts.Nodes, "nodes", 0, "Target node count (required)")
	cmd.Flags().StringSliceVar(&opts.Remove, "remove", nil, "When shrinking, the nodes to decommission (comma-separated)")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the ring has the new size (see --timeout)")
	_ = cmd.RegisterFlagCompletionFunc("remove", cmdutil.CompleteNodeNames(f))
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func scaleRun(ctx context.Context, opts *ScaleOptions) error {
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	var resp *pb.ScaleRingResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.ScaleRing(rctx, &pb.ScaleRingRequest{Name: opts.Name, Nodes: opts.Nodes, Remove: opts.Remove, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("scaling ring %s: %w", opts.Name, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
