package currentcontext

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/config"
	"github.com/cassmesos/cassmesos/cli/iostreams"
)

// CurrentContextOptions are config current-context's inputs.
type CurrentContextOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.File, error)
}

// NewCmdCurrentContext returns `config current-context`.
func NewCmdCurrentContext(f *cmdutil.Factory, runF func(*CurrentContextOptions) error) *cobra.Command {
	opts := &CurrentContextOptions{}
	return &cobra.Command{
		Use:   "current-context",
		Short: "Print the current context's name",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Config = f.IOStreams, f.Config
			if runF != nil {
				return runF(opts)
			}
			cfg, err := opts.Config()
			if err != nil {
				return err
			}
			if cfg.CurrentContext == "" {
				return errors.New("no current context (set one with `cassmesos config use-context NAME`)")
			}
			_, err = fmt.Fprintln(opts.IO.Out, cfg.CurrentContext)
			return err
		},
	}
}
