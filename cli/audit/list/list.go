package list

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// maxLimit is the most events one call returns.
const maxLimit = 1000

// ListOptions are audit list's inputs.
type ListOptions struct {
	IO      *iostreams.IOStreams
	Audit   func() (pb.AuditServiceClient, error)
	Now     func() time.Time
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
	// Since, if > 0, keeps only events younger than this.
	Since time.Duration
	User  string
	Ring  string
	Limit int32
}

// NewCmdList returns `audit list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{}
	var since string
	cmd := &cobra.Command{
		Use:     "list [--since <duration>] [--user <name>] [--ring <ring>]",
		Aliases: []string{"ls"},
		Short:   "List audit events (mutating calls), newest first",
		Long: "List the audit log, newest first: one event per mutating call made to the daemon, allowed or " +
			"refused for permission, with who made it, what it asked for, when and how it ended. Needs the admin role.",
		Example: "  cassmesos audit list --since 1h\n  cassmesos audit list --user alice --ring demo -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", opts.Ring)
			opts.Since = 0
			if since != "" {
				d, err := cmdutil.ParseDuration(since)
				if err != nil || d <= 0 {
					if err == nil {
						err = fmt.Errorf("%q: want a duration > 0, e.g. 30m, 1h, 7d", since)
					}
					return cmdutil.FlagValueError("since", err)
				}
				opts.Since = d
			}
			if opts.Limit < 0 || opts.Limit > maxLimit {
				return cmdutil.FlagErrorf("--limit: want a number from 0 (default 100) to %d, got %d", maxLimit, opts.Limit)
			}
			opts.IO, opts.Audit, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Audit, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputWide, cmdutil.OutputJSON, cmdutil.OutputYAML)
	cmd.Flags().StringVar(&since, "since", "", "Only events younger than this (e.g. 30m, 1h, 7d)")
	cmd.Flags().StringVar(&opts.User, "user", "", "Only events of this identity (certificate CN or token name)")
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Only events naming this ring")
	cmd.Flags().Int32Var(&opts.Limit, "limit", 0, "At most this many events (default 100, at most 1000)")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Audit()
	if err != nil {
		return err
	}
	req := &pb.ListAuditEventsRequest{Identity: opts.User, Ring: opts.Ring, Limit: opts.Limit}
	if opts.Since > 0 {
		req.Since = timestamppb.New(opts.Now().Add(-opts.Since))
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.ListAuditEvents(rctx, req)
	if err != nil {
		return fmt.Errorf("listing audit events: %w", err)
	}
	structured := cmdutil.IsStructured(opts.Output)
	if len(resp.GetEvents()) == 0 && opts.IO.IsStdoutTTY() && !structured {
		fmt.Fprintln(opts.IO.ErrOut, "No audit events.")
	}
	names := make([]string, len(resp.GetEvents()))
	for i, e := range resp.GetEvents() {
		names[i] = e.GetId()
	}
	if err := printers.List(opts.IO.Out, opts.Output, resp, "event", names, func() printers.Table {
		return printers.AuditTable(resp.GetEvents(), opts.Output == cmdutil.OutputWide)
	}); err != nil {
		return err
	}
	if resp.GetNextPageToken() != "" && !structured {
		fmt.Fprintf(opts.IO.ErrOut, "More events are older than these: raise --limit (at most %d) or narrow --since.\n", maxLimit)
	}
	return nil
}
