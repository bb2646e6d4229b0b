package usecontext

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/config"
	"github.com/cassmesos/cassmesos/cli/iostreams"
)

// UseContextOptions are config use-context's inputs.
type UseContextOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.File, error)
	Path   func() (string, error)
	Name   string
}

// NewCmdUseContext returns `config use-context`.
func NewCmdUseContext(f *cmdutil.Factory, runF func(*UseContextOptions) error) *cobra.Command {
	opts := &UseContextOptions{}
	cmd := &cobra.Command{
		Use:   "use-context <name>",
		Short: "Make a context the current one",
		Args:  cmdutil.ExactArgs(1, "a context name"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cfg, err := f.Config()
			if err != nil || len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, c := range cfg.Contexts {
				out = append(out, cobra.CompletionWithDesc(c.Name, c.Server))
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.IO, opts.Config, opts.Path = f.IOStreams, f.Config, f.ConfigPath
			if runF != nil {
				return runF(opts)
			}
			return useContextRun(opts)
		},
	}
	return cmd
}

func useContextRun(opts *UseContextOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	c, ok := cfg.Context(opts.Name)
	if !ok {
		return cmdutil.FlagErrorf("no context named %q (create it with `cassmesos config set-context %s --server ADDR`)", opts.Name, opts.Name)
	}
	cfg.CurrentContext = opts.Name
	path, err := opts.Path()
	if err != nil {
		return err
	}
	if err := cfg.Save(path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = fmt.Fprintf(opts.IO.Out, "switched to context %s (%s)\n", c.Name, c.Server)
	return err
}
