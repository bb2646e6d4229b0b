package setcontext

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/config"
	"github.com/cassmesos/cassmesos/cli/iostreams"
)

// SetContextOptions are config set-context's inputs.
type SetContextOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.File, error)
	Path   func() (string, error)
	Name   string
	Server string
	Use    bool
	// Credentials from the global --ca, --cert, --key, --token and --insecure flags; set ones
	// replace the context's.
	CA, Cert, Key, Token string
	Insecure             bool
}

// NewCmdSetContext returns `config set-context`.
func NewCmdSetContext(f *cmdutil.Factory, runF func(*SetContextOptions) error) *cobra.Command {
	opts := &SetContextOptions{}
	cmd := &cobra.Command{
		Use:   "set-context <name> --server <host:port> [--use]",
		Short: "Add a context or change its server",
		Long: `Add a named context or change its daemon address. The first context added becomes the current
one; --use makes this one current. The global --ca, --cert, --key, --token and --insecure flags
given here are stored in the context (file paths are stored as absolute paths).`,
		Example: "  cassmesos config set-context prod --server cassmesos.example.net:9090 --use \\\n" +
			"      --ca ~/.cassmesos/ca.crt --cert ~/.cassmesos/admin.crt --key ~/.cassmesos/admin.key",
		Args: cmdutil.ExactArgs(1, "a context name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := config.ValidateContextName(opts.Name); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			if opts.Server == "" {
				return cmdutil.FlagErrorf("--server is required")
			}
			for _, a := range strings.Split(opts.Server, ",") {
				if _, _, err := net.SplitHostPort(strings.TrimSpace(a)); err != nil {
					return cmdutil.FlagErrorf("--server %q: want host:port, or several comma-separated", opts.Server)
				}
			}
			g := f.Globals
			opts.CA, opts.Cert, opts.Key, opts.Token, opts.Insecure = g.CA, g.Cert, g.Key, g.Token, g.Insecure
			for _, p := range []*string{&opts.CA, &opts.Cert, &opts.Key} {
				if *p != "" {
					abs, err := filepath.Abs(*p)
					if err != nil {
						return cmdutil.FlagErrorf("%s: %v", *p, err)
					}
					*p = abs
				}
			}
			if (opts.Cert == "") != (opts.Key == "") {
				return cmdutil.FlagErrorf("--cert and --key go together")
			}
			if opts.Insecure && (opts.CA != "" || opts.Cert != "") {
				return cmdutil.FlagErrorf("--insecure cannot be combined with --ca or --cert")
			}
			opts.IO, opts.Config, opts.Path = f.IOStreams, f.Config, f.ConfigPath
			if runF != nil {
				return runF(opts)
			}
			return setContextRun(opts)
		},
	}
	// The root's --server is a persistent flag; this local flag of the same name shadows it here.
	cmd.Flags().StringVar(&opts.Server, "server", "", "The daemon's gRPC address, host:port, or several comma-separated (every daemon of an HA setup) (required)")
	cmd.Flags().BoolVar(&opts.Use, "use", false, "Make this the current context")
	return cmd
}

func setContextRun(opts *SetContextOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	_, existed := cfg.Context(opts.Name)
	cfg.UpdateContext(opts.Name, func(c *config.Context) {
		c.Server = opts.Server
		if opts.CA != "" {
			c.CertificateAuthority, c.CertificateAuthorityData, c.Insecure = opts.CA, "", false
		}
		if opts.Cert != "" {
			c.ClientCertificate, c.ClientCertificateData, c.Insecure = opts.Cert, "", false
			c.ClientKey, c.ClientKeyData = opts.Key, ""
		}
		if opts.Token != "" {
			c.Token = opts.Token
		}
		if opts.Insecure {
			*c = config.Context{Name: c.Name, Server: c.Server, Token: c.Token, Insecure: true}
		}
	})
	if opts.Use || cfg.CurrentContext == "" {
		cfg.CurrentContext = opts.Name
	}
	path, err := opts.Path()
	if err != nil {
		return err
	}
	if err := cfg.Save(path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	verb := "added"
	if existed {
		verb = "updated"
	}
	cur := ""
	if cfg.CurrentContext == opts.Name {
		cur = " (current)"
	}
	_, err = fmt.Fprintf(opts.IO.Out, "context %s %s: %s%s\n", opts.Name, verb, opts.Server, cur)
	return err
}
