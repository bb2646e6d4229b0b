package verify

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// VerifyOptions are audit verify's inputs.
type VerifyOptions struct {
	IO      *iostreams.IOStreams
	Audit   func() (pb.AuditServiceClient, error)
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
}

// NewCmdVerify returns `audit verify`.
func NewCmdVerify(f *cmdutil.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain",
		Long: "Check that the audit log is intact: every record carries the SHA-256 of the one before it, the " +
			"oldest kept record chains to the last one trimmed, and the newest is the head the daemon keeps. " +
			"An edited, removed or reordered record breaks the chain; the command names the first broken record " +
			"and exits with code 12 (audit-broken). It prints the head hash: keep it elsewhere to detect a log " +
			"rewritten as a whole. Needs the admin role.",
		Example: "  cassmesos audit verify\n  cassmesos audit verify -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Audit, opts.Output, opts.Request = f.IOStreams, f.Audit, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return verifyRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func verifyRun(ctx context.Context, opts *VerifyOptions) error {
	c, err := opts.Audit()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.VerifyAuditLog(rctx, &pb.VerifyAuditLogRequest{})
	if err != nil {
		return fmt.Errorf("verifying the audit log: %w", err)
	}
	if cmdutil.IsStructured(opts.Output) {
		if err := printers.PrintMessage(opts.IO.Out, opts.Output, resp); err != nil {
			return err
		}
	} else {
		out := opts.IO.Out
		state := "intact"
		if !resp.GetOk() {
			state = "BROKEN at " + printers.Clean(resp.GetBrokenId()) + ": " + printers.Clean(resp.GetReason())
		}
		fmt.Fprintf(out, "chain:      %s\n", state)
		fmt.Fprintf(out, "checked:    %d records\n", resp.GetChecked())
		if resp.GetUnchained() > 0 {
			fmt.Fprintf(out, "unchained:  %d records written before the chain existed (not covered)\n", resp.GetUnchained())
		}
		fmt.Fprintf(out, "head:       index %d, sha256 %s\n", resp.GetHeadIndex(), printers.Clean(resp.GetHeadHash()))
		if resp.GetAnchorIndex() > 0 {
			fmt.Fprintf(out, "anchor:     index %d (older records were trimmed)\n", resp.GetAnchorIndex())
		}
	}
	if !resp.GetOk() {
		return &cmdutil.AuditBrokenError{Record: resp.GetBrokenId(), Reason: resp.GetReason()}
	}
	return nil
}
