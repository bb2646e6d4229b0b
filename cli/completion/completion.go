package completion

import (
	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
)

// CompletionOptions are completion's inputs.
type CompletionOptions struct {
	IO    *iostreams.IOStreams
	Shell string
	Root  *cobra.Command
}

// Shells are the shells completion scripts are generated for.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// NewCmdCompletion returns `completion`.
func NewCmdCompletion(f *cmdutil.Factory, runF func(*CompletionOptions) error) *cobra.Command {
	opts := &CompletionOptions{}
	cmd := &cobra.Command{
		Use:   "completion {bash|zsh|fish|powershell}",
		Short: "Print a shell completion script",
		Long: `Print a completion script for your shell. Ring names, node names and operation IDs complete
from the daemon (with a 2s limit, so a dead daemon does not hang the shell).

  bash:       source <(cassmesos completion bash)
  zsh:        cassmesos completion zsh > "${fpath[1]}/_cassmesos"
  fish:       cassmesos completion fish > ~/.config/fish/completions/cassmesos.fish
  PowerShell: cassmesos completion powershell | Out-String | Invoke-Expression

Pre-generated scripts are in the repository's completions/ folder.`,
		ValidArgs: Shells,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.ExactArgs(1, "a shell: bash, zsh, fish or powershell")(cmd, args); err != nil {
				return err
			}
			for _, s := range Shells {
				if args[0] == s {
					return nil
				}
			}
			return cmdutil.FlagErrorf("unknown shell %q: want bash, zsh, fish or powershell", args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Shell, opts.Root = f.IOStreams, args[0], cmd.Root()
			if runF != nil {
				return runF(opts)
			}
			return completionRun(opts)
		},
	}
	return cmd
}

func completionRun(opts *CompletionOptions) error {
	out := opts.IO.Out
	switch opts.Shell {
	case "bash":
		return opts.Root.GenBashCompletionV2(out, true)
	case "zsh":
		return opts.Root.GenZshCompletion(out)
	case "fish":
		return opts.Root.GenFishCompletion(out, true)
	default:
		return opts.Root.GenPowerShellCompletionWithDesc(out)
	}
}
