package run

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// RunOptions are cleanup run's inputs.
type RunOptions struct {
	opflow.Common
	Cleanups func() (pb.CleanupServiceClient, error)
	Ring     string
	Params   *pb.CleanupParams
}

// NewCmdRun returns `cleanup run`.
func NewCmdRun(f *cmdutil.Factory, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{Params: &pb.CleanupParams{}}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:               "run <ring> [--keyspace <k>] [--tables <t>,...] [--wait]",
		Short:             "Run nodetool cleanup on every node of a ring, one at a time",
		Long:              "Remove data a node no longer owns (after the ring grew): nodetool cleanup on each node in turn.",
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", args[0])
			var tables []string
			for _, t := range opts.Params.Tables {
				if t = strings.TrimSpace(t); t != "" {
					tables = append(tables, t)
				}
			}
			opts.Params.Tables = tables
			if len(tables) > 0 && opts.Params.Keyspace == "" {
				return cmdutil.FlagErrorf("--tables needs --keyspace")
			}
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Cleanups = f.Cleanups
			if runF != nil {
				return runF(opts)
			}
			return runRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().StringVarP(&opts.Params.Keyspace, "keyspace", "k", "", "Keyspace to clean up (default all)")
	cmd.Flags().StringSliceVar(&opts.Params.Tables, "tables", nil, "Tables of the keyspace (comma-separated; default all)")
	cmd.Flags().StringVar(&opts.Params.Datacenter, "dc", "", "Clean up only this data centre's nodes (default every node)")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until every node is cleaned up (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func runRun(ctx context.Context, opts *RunOptions) error {
	c, err := opts.Cleanups()
	if err != nil {
		return err
	}
	var resp *pb.RunCleanupResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.RunCleanup(rctx, &pb.RunCleanupRequest{Ring: opts.Ring, Params: opts.Params, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("cleaning up ring %s: %w", opts.Ring, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
