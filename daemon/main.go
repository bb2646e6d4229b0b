package daemon

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cassmesos/cassmesos/daemon/artifacts"
	"github.com/cassmesos/cassmesos/daemon/config"
	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/leader"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/metrics"
	"github.com/cassmesos/cassmesos/daemon/nodeagent"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/server"
	"github.com/cassmesos/cassmesos/daemon/zkstore"
	"github.com/cassmesos/cassmesos/internal/version"
	"github.com/cassmesos/cassmesos/zkstate"
)

// Exit codes of cassmesosd.
const (
	ExitOK      = 0
	ExitFailure = 1 // a runtime failure (ZooKeeper unreachable, Mesos refused us, ...)
	ExitUsage   = 2 // bad flags, environment or config file
)

// Main runs cassmesosd with the process's arguments and environment and returns its exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], os.Getenv, os.Stderr)
}

// Run is Main with its inputs given: it returns when ctx ends (ExitOK) or on a fatal error.
func Run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := config.Parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "cassmesosd: %v\n", err)
		return ExitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	d := &daemon{cfg: cfg, log: log}
	if err := d.run(ctx); err != nil && ctx.Err() == nil {
		log.Error("cassmesosd stopped", "err", err)
		return ExitFailure
	}
	log.Info("cassmesosd stopped")
	return ExitOK
}

type daemon struct {
	cfg     *config.Config
	log     *slog.Logger
	art     *artifacts.Server
	metrics *metrics.Metrics
	execURL string
}

func (d *daemon) run(ctx context.Context) error {
	cfg, log := d.cfg, d.log
	log.Info("starting cassmesosd", "version", version.Version, "framework", cfg.FrameworkName, "role", cfg.Role,
		"masters", cfg.Masters, "zk", cfg.ZKConnect()+cfg.ZKChroot, "listen", cfg.Listen, "advertise", cfg.GRPCAdvertise())

	// Artifacts: the executor binary and a local default tarball, under content-hash URLs.
	d.art = artifacts.New(cfg.ArtifactBaseURL())
	var err error
	if d.execURL, _, err = d.art.Add(cfg.ExecutorPath); err != nil {
		return fmt.Errorf("--executor-path: %w", err)
	}
	if cfg.CassandraURL != "" && config.IsLocalPath(cfg.CassandraURL) {
		if _, _, err := d.art.Add(config.LocalPath(cfg.CassandraURL)); err != nil {
			return fmt.Errorf("--cassandra-url: %w", err)
		}
	}
	artLis, err := net.Listen("tcp", cfg.ArtifactListen)
	if err != nil {
		return fmt.Errorf("--artifact-listen: %w", err)
	}
	artSrv := &http.Server{Handler: d.art, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = artSrv.Serve(artLis) }()
	defer artSrv.Close()
	log.Info("serving artifacts", "listen", artLis.Addr().String(), "executor", d.execURL)

	d.metrics = metrics.New()
	if cfg.MetricsListen != "" {
		mLis, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("--metrics-listen: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", d.metrics.Handler())
		mSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = mSrv.Serve(mLis) }()
		defer mSrv.Close()
		log.Info("serving metrics", "listen", mLis.Addr().String())
	}

	zs, err := zkstate.Open(ctx, zkstate.Config{
		Servers: cfg.ZKServers, Chroot: cfg.ZKChroot, Framework: cfg.FrameworkName,
		SessionTimeout: cfg.ZKSessionTimeout, Credentials: cfg.ZKDigest, Logger: log,
	})
	if err != nil {
		return fmt.Errorf("--zk %s%s: %w", cfg.ZKConnect(), cfg.ZKChroot, err)
	}
	defer zs.Close()

	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	ld := &leader.Leader{Store: zs, Address: cfg.GRPCAdvertise(), Logger: log}
	gs := server.NewGRPCServer(server.Options{
		Leadership: ld, FrameworkName: cfg.FrameworkName, DefaultDistribution: cfg.DefaultDistributionURL(),
		Mirror: cfg.CassandraMirror, Logger: log,
	})
	go func() { _ = gs.Serve(lis) }()
	defer func() {
		done := make(chan struct{})
		go func() { gs.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			gs.Stop()
		}
	}()
	log.Info("serving gRPC", "listen", lis.Addr().String())

	return ld.Run(ctx, d.term)
}

// term runs the Mesos subscription and the engine while this daemon leads.
func (d *daemon) term(ctx context.Context, lead *zkstate.Leadership, setBackend func(server.Backend)) error {
	cfg, log := d.cfg, d.log
	fenced := lead.Store()
	store := zkstore.New(fenced, d.metrics.ZKWrite)
	var engRef atomic.Pointer[engine.Engine] // set once the engine exists; read by the adapter
	conn, err := mesosadapter.NewConn(mesosadapter.Options{
		SubscribeSuppressed: func() bool { e := engRef.Load(); return e != nil && e.NothingPending() },
		Masters:             cfg.Masters,
		FrameworkInfo:       mesosadapter.FrameworkInfo(cfg.FrameworkName, cfg.Role, cfg.User, cfg.Principal, cfg.Hostname, cfg.FailoverTimeout),
		Store:               zkstore.FrameworkIDs{ZK: fenced},
		Principal:           cfg.Principal, Secret: cfg.Secret,
		Fence:  fence(lead),
		Logger: log, Metrics: d.metrics,
	})
	if err != nil {
		return &leader.Fatal{Err: err}
	}
	driver := &mesosadapter.Driver{Conn: conn, Role: cfg.Role, Resolve: d.resolveURI}
	pcfg := plan.Config{
		FrameworkName:   cfg.FrameworkName,
		Role:            cfg.Role,
		Principal:       cfg.Principal,
		ExecutorURI:     d.execURL,
		ExecutorCommand: "./" + path.Base(d.execURL),
		CassandraURL:    cfg.DefaultDistributionURL(),
		CassandraMirror: cfg.CassandraMirror + "/cassandra",
	}
	if cfg.JavaURL != "" {
		pcfg.ExtraURIs = []string{cfg.JavaURL}
	}
	events := make(chan mesosadapter.Event, 64)
	eng := engine.New(engine.Options{
		Planner: plan.New(pcfg, randomIDs{}), Store: store, Mesos: driver, Relayer: &nodeagent.Client{},
		Epoch: lead.Epoch(), Events: events, Logger: log, Metrics: d.metrics,
	})
	engRef.Store(eng)
	setBackend(eng)

	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- conn.Run(tctx, events) }()
	go func() { errc <- eng.Run(tctx) }()
	err = <-errc
	cancel()
	<-errc
	switch {
	case errors.Is(err, mesosadapter.ErrMasterTooOld), errors.Is(err, mesosadapter.ErrFrameworkRemoved):
		return &leader.Fatal{Err: err}
	case errors.Is(err, engine.ErrNotLeader), errors.Is(err, context.Canceled):
		return nil
	default:
		log.Warn("term ended", "err", err)
		return nil
	}
}

// fence lets a Mesos call go only while lead holds; otherwise its error wraps engine.ErrNotLeader.
func fence(lead *zkstate.Leadership) func() error {
	return func() error {
		if err := lead.Err(); err != nil {
			return fmt.Errorf("%w: %w", engine.ErrNotLeader, err)
		}
		return nil
	}
}

// resolveURI rewrites a local path (or file:// URL) into the artifact server's URL.
func (d *daemon) resolveURI(uri string) (string, error) {
	if !config.IsLocalPath(uri) {
		return uri, nil
	}
	u, _, err := d.art.Add(config.LocalPath(uri))
	return u, err
}

// randomIDs hands out 20 characters of [a-z0-9] from crypto/rand (also used as task secrets).
type randomIDs struct{}

func (randomIDs) NewID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
