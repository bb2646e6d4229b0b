package view

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/config"
	"github.com/cassmesos/cassmesos/cli/iostreams"
)

// ViewOptions are config view's inputs.
type ViewOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.File, error)
	Path   func() (string, error)
	Output string
	// Raw shows tokens and inline keys instead of REDACTED.
	Raw bool
}

// NewCmdView returns `config view`.
func NewCmdView(f *cmdutil.Factory, runF func(*ViewOptions) error) *cobra.Command {
	opts := &ViewOptions{}
	cmd := &cobra.Command{
		Use:   "view",
		Short: "Show the config file",
		Long: "Show the config file ($CASSMESOS_CONFIG, else $XDG_CONFIG_HOME/cassmesos/config.yaml, else ~/.config/cassmesos/config.yaml).\n" +
			"Tokens and inline client keys are shown as REDACTED unless --raw is given.",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Config, opts.Path, opts.Output = f.IOStreams, f.Config, f.ConfigPath, f.Globals.Output
			if runF != nil {
				return runF(opts)
			}
			return viewRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Raw, "raw", false, "Show tokens and inline keys")
	cmdutil.EnableOutput(cmd, cmdutil.OutputYAML, cmdutil.OutputJSON, cmdutil.OutputTable)
	return cmd
}

func viewRun(opts *ViewOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if !opts.Raw {
		cfg = cfg.Redacted()
	}
	if opts.Output == cmdutil.OutputJSON {
		raw, err := json.MarshalIndent(cfg, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(opts.IO.Out, "%s\n", raw)
		return err
	}
	if opts.IO.IsStdoutTTY() {
		if p, err := opts.Path(); err == nil {
			fmt.Fprintf(opts.IO.ErrOut, "# %s\n", p)
		}
	}
	data, err := cfg.Marshal()
	if err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(data)
	return err
}
