package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	auditlist "github.com/cassmesos/cassmesos/cli/audit/list"
	auditverify "github.com/cassmesos/cassmesos/cli/audit/verify"
	"github.com/cassmesos/cassmesos/cli/backup"
	cleanuprun "github.com/cassmesos/cassmesos/cli/cleanup/run"
	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/completion"
	"github.com/cassmesos/cassmesos/cli/config/currentcontext"
	"github.com/cassmesos/cassmesos/cli/config/setcontext"
	"github.com/cassmesos/cassmesos/cli/config/usecontext"
	configview "github.com/cassmesos/cassmesos/cli/config/view"
	dcadd "github.com/cassmesos/cassmesos/cli/dc/add"
	dcremove "github.com/cassmesos/cassmesos/cli/dc/remove"
	"github.com/cassmesos/cassmesos/cli/events"
	"github.com/cassmesos/cassmesos/cli/help"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	keyspacelist "github.com/cassmesos/cassmesos/cli/keyspace/list"
	"github.com/cassmesos/cassmesos/cli/node/decommission"
	nodeget "github.com/cassmesos/cassmesos/cli/node/get"
	nodelist "github.com/cassmesos/cassmesos/cli/node/list"
	"github.com/cassmesos/cassmesos/cli/node/remove"
	"github.com/cassmesos/cassmesos/cli/node/replace"
	noderestart "github.com/cassmesos/cassmesos/cli/node/restart"
	opcancel "github.com/cassmesos/cassmesos/cli/op/cancel"
	oplist "github.com/cassmesos/cassmesos/cli/op/list"
	"github.com/cassmesos/cassmesos/cli/op/show"
	"github.com/cassmesos/cassmesos/cli/op/watch"
	repaircancel "github.com/cassmesos/cassmesos/cli/repair/cancel"
	repairlist "github.com/cassmesos/cassmesos/cli/repair/list"
	"github.com/cassmesos/cassmesos/cli/repair/pause"
	"github.com/cassmesos/cassmesos/cli/repair/resume"
	repairrun "github.com/cassmesos/cassmesos/cli/repair/run"
	schedulecreate "github.com/cassmesos/cassmesos/cli/repair/schedule/create"
	scheduledelete "github.com/cassmesos/cassmesos/cli/repair/schedule/delete"
	schedulelist "github.com/cassmesos/cassmesos/cli/repair/schedule/list"
	repairstatus "github.com/cassmesos/cassmesos/cli/repair/status"
	ringcreate "github.com/cassmesos/cassmesos/cli/ring/create"
	ringdelete "github.com/cassmesos/cassmesos/cli/ring/delete"
	ringendpoints "github.com/cassmesos/cassmesos/cli/ring/endpoints"
	ringlist "github.com/cassmesos/cassmesos/cli/ring/list"
	ringrestart "github.com/cassmesos/cassmesos/cli/ring/restart"
	"github.com/cassmesos/cassmesos/cli/ring/scale"
	ringstatus "github.com/cassmesos/cassmesos/cli/ring/status"
	"github.com/cassmesos/cassmesos/cli/ring/update"
	"github.com/cassmesos/cassmesos/cli/version"
	buildversion "github.com/cassmesos/cassmesos/internal/version"
)

// NewCmdRoot returns the whole command tree, wired to f.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "cassmesos <command> <verb> [flags]",
		Short: "Run and operate Cassandra rings on Apache Mesos",
		Long: `cassmesos talks to cassmesosd, the scheduler that runs Apache Cassandra rings on Apache Mesos.

The daemon's address is --server, else the server of --context, else $CASSMESOS_SERVER, else the
current context of the config file, else 127.0.0.1:9090. The connection is TLS: the daemon's
certificate is verified against --ca (else the context's certificate-authority, else $CASSMESOS_CA,
else the system roots); --cert and --key present a client certificate (mutual TLS) and --token is
sent as "authorization: Bearer <token>"; contexts carry the same (see docs/security.md).
--insecure talks plaintext to a daemon run with --insecure. When a standby daemon answers, the CLI
follows it to the leader once.

Commands that start an operation return at once; --wait follows the operation until it ends
(a live view on a terminal, timestamped lines in a pipe) and --timeout bounds the wait.
Exit codes are stable: see ` + "`cassmesos help exit-codes`.",
		Version:       buildversion.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if f.Globals.Timeout < 0 {
				return cmdutil.FlagErrorf("--timeout: want a duration >= 0, got %s", f.Globals.Timeout)
			}
			return cmdutil.ValidateOutput(cmd, f.Globals.Output)
		},
	}
	cmdutil.GroupCommand(root)
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetVersionTemplate("cassmesos version {{.Version}}\n")
	root.SetFlagErrorFunc(cmdutil.FlagErrorFunc)

	pf := root.PersistentFlags()
	pf.StringVar(&f.Globals.Server, "server", "", "Daemon gRPC address host:port, or several comma-separated (a call one does not answer goes to the next) (default: $CASSMESOS_SERVER, the current context, or 127.0.0.1:9090)")
	pf.StringVar(&f.Globals.Context, "context", "", "Config file context to use")
	pf.StringVar(&f.Globals.CA, "ca", "", "CA bundle (PEM) the daemon's certificate is verified against (default: $CASSMESOS_CA, the context's certificate-authority, or the system roots)")
	pf.StringVar(&f.Globals.Cert, "cert", "", "Client certificate (PEM) for mutual TLS, with --key (default: $CASSMESOS_CERT or the context's client-certificate)")
	pf.StringVar(&f.Globals.Key, "key", "", "Private key (PEM) of --cert (default: $CASSMESOS_KEY or the context's client-key)")
	pf.StringVar(&f.Globals.Token, "token", "", "Bearer token sent with every call (default: $CASSMESOS_TOKEN or the context's token)")
	pf.BoolVar(&f.Globals.Insecure, "insecure", false, "Talk plaintext gRPC to a daemon run with --insecure (default: $CASSMESOS_INSECURE or the context's insecure)")
	pf.DurationVar(&f.Globals.Timeout, "timeout", 0, "Limit on each request and, with --wait, on the wait (0: 30s per request, no limit on waits)")
	pf.StringVarP(&f.Globals.Output, "output", "o", "", "Output format: table|wide|json|yaml|name (what each command accepts is in its help)")
	_ = root.RegisterFlagCompletionFunc("output", func(c *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return cmdutil.OutputFormats(c), cobra.ShellCompDirectiveNoFileComp
	})
	_ = root.RegisterFlagCompletionFunc("context", func(c *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, x := range cfg.Contexts {
			out = append(out, cobra.CompletionWithDesc(x.Name, x.Server))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})

	ring := group("ring", "Create, inspect, scale, update and delete rings")
	ring.AddCommand(
		ringcreate.NewCmdCreate(f, nil),
		ringlist.NewCmdList(f, nil),
		ringstatus.NewCmdStatus(f, nil),
		ringdelete.NewCmdDelete(f, nil),
		scale.NewCmdScale(f, nil),
		ringrestart.NewCmdRestart(f, nil),
		update.NewCmdUpdate(f, nil),
		ringendpoints.NewCmdEndpoints(f, nil),
	)
	node := group("node", "Inspect nodes and replace, restart, decommission or remove one")
	node.AddCommand(
		nodelist.NewCmdList(f, nil),
		nodeget.NewCmdGet(f, nil),
		replace.NewCmdReplace(f, nil),
		noderestart.NewCmdRestart(f, nil),
		decommission.NewCmdDecommission(f, nil),
		remove.NewCmdRemove(f, nil),
	)
	op := group("op", "List, show, watch and cancel operations")
	op.AddCommand(
		oplist.NewCmdList(f, nil),
		show.NewCmdShow(f, nil),
		watch.NewCmdWatch(f, nil),
		opcancel.NewCmdCancel(f, nil),
	)
	schedule := group("schedule", "Manage periodic repair schedules")
	schedule.AddCommand(
		schedulecreate.NewCmdCreate(f, nil),
		schedulelist.NewCmdList(f, nil),
		scheduledelete.NewCmdDelete(f, nil),
	)
	repair := group("repair", "Run, follow and schedule segmented repairs")
	repair.AddCommand(
		repairrun.NewCmdRun(f, nil),
		repairlist.NewCmdList(f, nil),
		repairstatus.NewCmdStatus(f, nil),
		repaircancel.NewCmdCancel(f, nil),
		pause.NewCmdPause(f, nil),
		resume.NewCmdResume(f, nil),
		schedule,
	)
	keyspace := group("keyspace", "List a ring's keyspaces")
	keyspace.AddCommand(keyspacelist.NewCmdList(f, nil))
	cleanup := group("cleanup", "Run nodetool cleanup across a ring")
	cleanup.AddCommand(cleanuprun.NewCmdRun(f, nil))
	audit := group("audit", "Read the audit log of mutating calls (admin)")
	audit.AddCommand(auditlist.NewCmdList(f, nil))
	audit.AddCommand(auditverify.NewCmdVerify(f, nil))
	dc := group("dc", "Add and remove a ring's data centres")
	dc.AddCommand(dcadd.NewCmdAdd(f, nil), dcremove.NewCmdRemove(f, nil))
	cfg := group("config", "Manage the config file and its contexts")
	cfg.AddCommand(
		configview.NewCmdView(f, nil),
		usecontext.NewCmdUseContext(f, nil),
		setcontext.NewCmdSetContext(f, nil),
		currentcontext.NewCmdCurrentContext(f, nil),
	)
	root.AddCommand(backup.NewCmdBackup(f))
	root.AddCommand(ring, node, op, repair, cleanup, keyspace, audit, cfg, dc, events.NewCmdEvents(f, nil),
		completion.NewCmdCompletion(f, nil),
		version.NewCmdVersion(f, nil),
		help.NewCmdExitCodes(f.IOStreams),
	)
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	return root
}

func group(name, short string) *cobra.Command {
	return cmdutil.GroupCommand(&cobra.Command{Use: name + " <verb>", Short: short})
}

// Main runs the CLI on the process's arguments and streams and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return Run(ctx, cmdutil.New(iostreams.System()), os.Args[1:])
}

// Run executes args against a command tree built on f and returns the exit code. Errors are
// printed as one line on standard error; a panic is reported the same way, without a stack trace.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "error: internal error: %v\n", r)
			code = cmdutil.ExitError
		}
	}()
	root := NewCmdRoot(f)
	root.SetArgs(args)
	_, err := root.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	if err = classify(err); err == nil {
		return cmdutil.ExitOK
	}
	var silent *cmdutil.SilentError
	if !errors.As(err, &silent) {
		fmt.Fprintln(f.IOStreams.ErrOut, "error: "+cmdutil.ErrorMessage(err))
	}
	return cmdutil.ExitCode(err)
}

// classify turns cobra's untyped usage errors into FlagErrors.
func classify(err error) error {
	var fe *cmdutil.FlagError
	if errors.As(err, &fe) {
		return err
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.HasPrefix(msg, p) {
			return &cmdutil.FlagError{Err: err}
		}
	}
	if errors.Is(err, pflag.ErrHelp) {
		return nil
	}
	return err
}
