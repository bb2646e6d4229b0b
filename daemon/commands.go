package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/cassmesos/cassmesos/daemon/config"
	"github.com/cassmesos/cassmesos/internal/secrets"
	"github.com/cassmesos/cassmesos/zkstate"
)

// commands are cassmesosd's subcommands (`cassmesosd zk protect ...`); without one it runs the
// daemon.
var commands = map[string]func(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer) int{
	"zk protect":      zkProtect,
	"secret-key init": secretKeyInit,
}

// runCommand runs the subcommand args starts with (two words), or reports an unknown one.
func runCommand(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	if len(args) >= 2 {
		name := args[0] + " " + args[1]
		if cmd, ok := commands[name]; ok {
			return cmd(ctx, "cassmesosd "+name, args[2:], getenv, stderr)
		}
	}
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, "cassmesosd "+n)
	}
	sort.Strings(names)
	fmt.Fprintf(stderr, "cassmesosd: unknown command %q (the daemon takes only flags; commands: %s)\n", strings.Join(args, " "), strings.Join(names, ", "))
	return ExitUsage
}

// zkProtect sets the framework's digest ACL on its whole ZooKeeper tree (zkstate.Store.Protect):
// for a tree created without credentials, before the daemon runs with them.
func zkProtect(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer) int {
	acc, err := config.ParseZKAccess(name, args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	for _, w := range acc.Warnings {
		log.Warn(w)
	}
	zs, err := zkstate.Open(ctx, zkstate.Config{
		Servers: acc.ZKServers, Chroot: acc.ZKChroot, Framework: acc.FrameworkName,
		SessionTimeout: acc.ZKSessionTimeout, Credentials: acc.ZKDigest, Logger: log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "%s: --zk %s%s: %v\n", name, strings.Join(acc.ZKServers, ","), acc.ZKChroot, err)
		return ExitFailure
	}
	defer zs.Close()
	n, err := zs.Protect(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (after %d znodes; the tree may have been made with other credentials: authenticate as them, or as a ZooKeeper super user, and run `setAcl -R` in zkCli.sh)\n", name, err, n)
		return ExitFailure
	}
	if err := zs.CheckProtected(ctx); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitFailure
	}
	fmt.Fprintf(stderr, "%s: %d znodes under %s now readable and writable only by digest user %q\n", name, n, zs.Root(), strings.SplitN(acc.ZKDigest, ":", 2)[0])
	return ExitOK
}

// secretKeyInit writes a new secret key file (0600); it never overwrites one.
func secretKeyInit(_ context.Context, name string, args []string, getenv func(string) string, stderr io.Writer) int {
	path, err := config.ParseSecretKeyFile(name, args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitUsage
	}
	if err := secrets.GenerateKeyFile(path); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitFailure
	}
	fmt.Fprintf(stderr, "%s: wrote %s (mode 0600); give it to cassmesosd with --secret-key-file, and keep a copy for every host a daemon of this framework runs on\n", name, path)
	return ExitOK
}
