package watch

import (
	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
)

// WatchOptions are op watch's inputs.
type WatchOptions struct {
	opflow.Common
	ID string
}

// NewCmdWatch returns `op watch`.
func NewCmdWatch(f *cmdutil.Factory, runF func(*WatchOptions) error) *cobra.Command {
	opts := &WatchOptions{}
	cmd := &cobra.Command{
		Use:   "watch <id>",
		Short: "Follow an operation until it ends",
		Long: `Follow an operation until it ends, through the same wait engine as --wait: a live view on a
terminal, a timestamped line per change in a pipe, only the final state with -o json|yaml. The
exit code says how it ended (0 succeeded, 6 failed, 7 cancelled, 8 --timeout passed).`,
		Args:              cmdutil.ExactArgs(1, "an operation ID"),
		ValidArgsFunction: cmdutil.CompleteOperationIDs(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = cmdutil.TrimRef("operation", args[0])
			opts.Common = opflow.CommonFrom(f, true)
			if runF != nil {
				return runF(opts)
			}
			return opts.Follow(cmd.Context(), opts.ID)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	return cmd
}
