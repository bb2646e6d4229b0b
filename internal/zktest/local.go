package zktest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// LocalMain is the zk-local command: it runs a standalone server in a directory until it is
// interrupted (SIGINT or SIGTERM), printing the connect string on stdout once the server serves
// and writing it to <dir>/connect-string. It returns the exit code.
func LocalMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zk-local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory for zoo.cfg, data/ and zookeeper.log (required; kept on exit)")
	port := fs.Int("port", 0, "client port on 127.0.0.1 (0: a free port)")
	tick := fs.Duration("tick", DefaultTickTime, "ZooKeeper tickTime; sessions may last 2 to 300 ticks (at least 60s)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: zk-local -dir DIR [-port N] [-tick D]\n\n"+
			"Runs a standalone ZooKeeper server from the installed package on 127.0.0.1 until interrupted.\n"+
			"Prints the connect string on stdout and writes it to DIR/connect-string.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "zk-local: -dir is required")
		return 2
	}
	if *port < 0 || *port > 65535 {
		fmt.Fprintf(stderr, "zk-local: -port %d is not a TCP port\n", *port)
		return 2
	}
	if *tick <= 0 {
		fmt.Fprintf(stderr, "zk-local: -tick %v must be positive\n", *tick)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := Run(Config{Dir: *dir, Port: *port, TickTime: *tick})
	if err != nil {
		fmt.Fprintf(stderr, "zk-local: %v\n", err)
		return 1
	}
	defer srv.Stop()
	csFile := filepath.Join(srv.Dir(), "connect-string")
	if err := os.WriteFile(csFile, []byte(srv.ConnectString()+"\n"), 0o644); err != nil {
		fmt.Fprintf(stderr, "zk-local: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, srv.ConnectString())
	fmt.Fprintf(stderr, "zk-local: ZooKeeper serves on %s (started in %v); log %s\n",
		srv.ConnectString(), srv.StartupTime().Round(1e6), srv.LogPath())
	<-ctx.Done()
	fmt.Fprintln(stderr, "zk-local: stopping")
	return 0
}
