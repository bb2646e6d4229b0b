package delete

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	"github.com/cassmesos/cassmesos/internal/retry"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// DeleteOptions are ring delete's inputs.
type DeleteOptions struct {
	opflow.Common
	Rings func() (pb.RingServiceClient, error)
	Name  string
	Yes   bool
}

// NewCmdDelete returns `ring delete`.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:   "delete <name> [--yes] [--wait]",
		Short: "Delete a ring and destroy its data",
		Long: `Delete a ring: every node is drained and stopped, its data volume destroyed and its resources
unreserved. This cannot be undone. On a terminal the command asks you to type the ring name;
elsewhere it refuses to run without --yes.`,
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = cmdutil.TrimRef("ring", args[0])
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Rings = f.Rings
			if !opts.Yes && !opts.IO.CanPrompt() {
				return cmdutil.FlagErrorf("refusing to delete ring %s without --yes: stdin is not a terminal, so the deletion cannot be confirmed", opts.Name)
			}
			if runF != nil {
				return runF(opts)
			}
			return deleteRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "Delete without asking for confirmation")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the ring is gone (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	if !opts.Yes {
		fmt.Fprintf(opts.IO.ErrOut, "Delete ring %s? Every node is stopped and its data destroyed; this cannot be undone.\nType the ring name to confirm: ", opts.Name)
		line, err := bufio.NewReader(opts.IO.In).ReadString('\n')
		if err != nil && line == "" {
			return cmdutil.ErrCancelled
		}
		if strings.TrimSpace(line) != opts.Name {
			return cmdutil.ErrCancelled
		}
	}
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	var resp *pb.DeleteRingResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.DeleteRing(rctx, &pb.DeleteRingRequest{Name: opts.Name, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting ring %s: %w", opts.Name, err)
	}
	opts.Confirm = func(ctx context.Context) error { return ringGone(ctx, opts, c) }
	return opts.Finish(ctx, resp.GetOperation(), resp)
}

// ringGone checks, once the deletion succeeded, that the ring is really gone (NotFound), retrying
// only transport failures. A ring still there is an error: running the delete again resumes it.
func ringGone(ctx context.Context, opts *DeleteOptions, c pb.RingServiceClient) error {
	err := retry.Do(ctx, cmdutil.RequestRetry, func(ctx context.Context, _ int) error {
		rctx, cancel := opts.Request(ctx)
		defer cancel()
		_, err := c.GetRing(rctx, &pb.GetRingRequest{Name: opts.Name})
		switch {
		case status.Code(err) == codes.NotFound:
			return nil
		case err == nil:
			return retry.Permanent(fmt.Errorf("the deletion of ring %s ended but the ring is still there; run `cassmesos ring delete %s` again to finish it", opts.Name, opts.Name))
		case status.Code(err) == codes.Unavailable || status.Code(err) == codes.DeadlineExceeded || isUnreachable(err):
			return err
		}
		return retry.Permanent(err)
	})
	if err != nil {
		return fmt.Errorf("checking that ring %s is gone: %w", opts.Name, err)
	}
	return nil
}

func isUnreachable(err error) bool {
	var u *cmdutil.UnreachableError
	return errors.As(err, &u)
}
