package version

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	buildversion "github.com/cassmesos/cassmesos/internal/version"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// VersionOptions are version's inputs.
type VersionOptions struct {
	IO      *iostreams.IOStreams
	System  func() (pb.SystemServiceClient, error)
	Addr    func() (string, error)
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
	Client  bool // --client: do not ask the server
}

// NewCmdVersion returns `version`.
func NewCmdVersion(f *cmdutil.Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{}
	cmd := &cobra.Command{
		Use:   "version [--client]",
		Short: "Show the client's and the server's versions",
		Long: `Show the CLI's version and, unless --client is given, the daemon's (SystemService.GetVersion).
When the daemon cannot be reached the client version is still printed, followed by a warning,
and the command exits 3.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.System, opts.Addr, opts.Output, opts.Request = f.IOStreams, f.System, f.ServerAddress, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return versionRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	cmd.Flags().BoolVar(&opts.Client, "client", false, "Show the client version only")
	return cmd
}

func versionRun(ctx context.Context, opts *VersionOptions) error {
	var (
		server *pb.GetVersionResponse
		err    error
	)
	if !opts.Client {
		server, err = serverVersion(ctx, opts)
	}
	if perr := print(opts, server); perr != nil {
		return perr
	}
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: server version unknown: %s\n", cmdutil.ErrorMessage(err))
		return &cmdutil.SilentError{Err: err}
	}
	return nil
}

func serverVersion(ctx context.Context, opts *VersionOptions) (*pb.GetVersionResponse, error) {
	c, err := opts.System()
	if err != nil {
		return nil, err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	return c.GetVersion(rctx, &pb.GetVersionRequest{})
}

func print(opts *VersionOptions, server *pb.GetVersionResponse) error {
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		doc := map[string]any{"clientVersion": buildversion.Version}
		if server != nil {
			raw, err := protojson.Marshal(server)
			if err != nil {
				return err
			}
			doc["server"] = json.RawMessage(raw)
		}
		raw, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		if opts.Output == cmdutil.OutputJSON {
			_, err = fmt.Fprintf(out, "%s\n", raw)
			return err
		}
		y, err := printers.JSONToYAML(raw)
		if err != nil {
			return err
		}
		_, err = out.Write(y)
		return err
	}
	fmt.Fprintf(out, "Client Version: %s\n", buildversion.Version)
	if server == nil {
		return nil
	}
	fmt.Fprintf(out, "Server Version: %s\n", server.GetVersion())
	role := "leader"
	if !server.GetIsLeader() {
		role = "standby; leader at " + printers.Dash(server.GetLeaderAddress())
	}
	addr, _ := opts.Addr()
	fmt.Fprintf(out, "Server:         %s (%s)\n", addr, role)
	if v := server.GetMesosVersion(); v != "" {
		fmt.Fprintf(out, "Mesos Version:  %s\n", v)
	}
	if n := server.GetFrameworkName(); n != "" {
		fmt.Fprintf(out, "Framework:      %s (%s)\n", n, printers.Dash(server.GetFrameworkId()))
	}
	return nil
}
