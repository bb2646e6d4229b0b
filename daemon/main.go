package daemon

import (
	"context"
	"crypto/rand"
	"crypto/tls"
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
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/cassmesos/cassmesos/daemon/artifacts"
	"github.com/cassmesos/cassmesos/daemon/authz"
	"github.com/cassmesos/cassmesos/daemon/config"
	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/leader"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/metrics"
	"github.com/cassmesos/cassmesos/daemon/nodeagent"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/server"
	"github.com/cassmesos/cassmesos/daemon/statuspage"
	"github.com/cassmesos/cassmesos/daemon/zkstore"
	"github.com/cassmesos/cassmesos/internal/tlsutil"
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
	if len(args) > 0 && args[0] == "certs" {
		return runCerts(args[1:], os.Stdout, stderr)
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return runCommand(ctx, args, getenv, stderr)
	}
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
	allow   *artifacts.AllowList
	metrics *metrics.Metrics
	execURL string
	tls     *tlsutil.Source // nil with --insecure
}

func (d *daemon) run(ctx context.Context) error {
	cfg, log := d.cfg, d.log
	log.Info("starting cassmesosd", "version", version.Version, "framework", cfg.FrameworkName, "roles", cfg.Roles,
		"masters", cfg.Masters, "zk", cfg.ZKConnect()+cfg.ZKChroot, "listen", cfg.Listen, "advertise", cfg.GRPCAdvertise())
	d.warnInsecure()

	if cfg.TLS.Insecure {
		warnInsecure(ctx, log)
	} else {
		var err error
		if d.tls, err = tlsSetup(cfg.TLS, log); err != nil {
			return err
		}
		log.Info("TLS on", "cert", cfg.TLS.CertFile, "client_ca", cfg.TLS.ClientCAFile, "require_client_cert", cfg.TLS.RequireClientCert)
	}

	auth, err := d.authorizer()
	if err != nil {
		return err
	}

	// Artifacts: the executor binary and a local default tarball, under content-hash URLs.
	d.art = artifacts.New(cfg.ArtifactBaseURL())
	if d.allow, err = artifacts.NewAllowList(cfg.AllowPrefixes()); err != nil {
		return fmt.Errorf("--artifact-allow: %w", err)
	}
	log.Info("artifact allow-list", "prefixes", d.allow.Prefixes())
	if d.execURL, _, err = d.art.Add(cfg.ExecutorPath); err != nil {
		return fmt.Errorf("--executor-path: %w", err)
	}
	if cfg.CassandraURL != "" && config.IsLocalPath(cfg.CassandraURL) {
		if _, _, err := d.art.Add(config.LocalPath(cfg.CassandraURL)); err != nil {
			return fmt.Errorf("--cassandra-url: %w", err)
		}
	}
	artLis, err := d.listenArtifacts(cfg.ArtifactListen)
	if err != nil {
		return fmt.Errorf("--artifact-listen: %w", err)
	}
	artSrv := &http.Server{Handler: d.art, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = artSrv.Serve(artLis) }()
	defer artSrv.Close()
	log.Info("serving artifacts", "listen", artLis.Addr().String(), "executor", d.execURL)

	d.metrics = metrics.New()
	var mux *http.ServeMux // the metrics listener's; the status page joins it once the leadership exists
	health := &healthz{}
	if cfg.MetricsListen != "" {
		mLis, err := d.listen(cfg.MetricsListen, tls.VerifyClientCertIfGiven)
		if err != nil {
			return fmt.Errorf("--metrics-listen: %w", err)
		}
		mux = http.NewServeMux()
		mux.Handle("/metrics", d.metrics.Handler())
		mux.Handle("/healthz", health)
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
	if err := d.checkProtected(ctx, zs); err != nil {
		return err
	}

	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	var grpcOpts []grpc.ServerOption
	if d.tls != nil {
		grpcOpts = append(grpcOpts, grpc.Creds(credentials.NewTLS(tlsutil.ServerConfig(d.tls, serverAuth(cfg.TLS)))))
	}
	audit := withAudit(auth, zs)
	ld := &leader.Leader{Store: zs, Address: cfg.GRPCAdvertise(), Logger: log}
	health.setRole(func() string { return leaderRole(ld.Backend() != nil, ld.LeaderAddress()) })
	gs := server.NewGRPCServer(server.Options{
		Leadership: ld, FrameworkName: cfg.FrameworkName, DefaultDistribution: cfg.DefaultDistributionURL(),
		Mirror: cfg.CassandraMirror, Allow: d.allow, WatchPerClient: cfg.WatchPerClient, WatchTotal: cfg.WatchTotal,
		Logger: log, Auth: auth, AuditLog: audit, Events: server.ZKEvents{Store: zs},
	}, grpcOpts...)
	go func() { _ = gs.Serve(lis) }()
	if mux != nil { // the status page: read-only, viewers and up (docs/operations.md)
		sp := statuspage.New(statuspage.Options{Leadership: ld, Events: server.ZKEvents{Store: zs}, Logger: log.With("component", "statuspage")})
		for _, p := range statuspage.Paths {
			mux.Handle(p, auth.RequireHTTP(authz.Viewer, sp))
		}
		log.Info("serving the status page", "path", "/status")
	}
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

// warnInsecure logs, loudly, every security setting the operator turned off or weakened.
func (d *daemon) warnInsecure() {
	cfg, log := d.cfg, d.log
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	if cfg.ZKInsecure && cfg.ZKDigest == "" {
		log.Warn("INSECURE: --zk-insecure and no ZooKeeper credentials: every znode is created world-readable and world-writable; anyone who reaches ZooKeeper can read and change this framework's state")
	} else if cfg.ZKInsecure {
		log.Warn("INSECURE: --zk-insecure: the daemon runs even on a tree that is not protected by its credentials")
	}
	if cfg.SecretsInsecure {
		log.Warn("INSECURE: --secrets-insecure: executors' task secrets are derived without a key, so anyone who can read ZooKeeper can compute them and call the executors' API")
	}
}

// checkProtected refuses a ZooKeeper tree that does not carry the daemon's digest ACL (made
// without credentials by an older install, or opened by hand), unless --zk-insecure.
func (d *daemon) checkProtected(ctx context.Context, zs *zkstate.Store) error {
	if d.cfg.ZKDigest == "" {
		return nil // --zk-insecure without credentials: warned about at start
	}
	err := zs.CheckProtected(ctx)
	if err == nil {
		return nil
	}
	if !errors.Is(err, zkstate.ErrUnprotected) && !errors.Is(err, zkstate.ErrNoAuth) {
		return fmt.Errorf("--zk %s%s: %w", d.cfg.ZKConnect(), d.cfg.ZKChroot, err)
	}
	fix := fmt.Sprintf("stop every daemon of this framework, run `cassmesosd zk protect --zk %s%s --framework-name %s --zk-digest-file FILE` with these credentials, then start them with the credentials (see docs/operations.md)",
		d.cfg.ZKConnect(), d.cfg.ZKChroot, d.cfg.FrameworkName)
	if d.cfg.ZKInsecure {
		d.log.Warn("INSECURE: the ZooKeeper tree is not protected by the daemon's credentials; running anyway (--zk-insecure)", "err", err, "fix", fix)
		return nil
	}
	return fmt.Errorf("refusing to run on a ZooKeeper tree others may read or change: %w; %s (or pass --zk-insecure to run anyway)", err, fix)
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
		FrameworkInfo:       mesosadapter.FrameworkInfo(cfg.FrameworkName, cfg.Roles, cfg.User, cfg.Principal, cfg.Hostname, cfg.FailoverTimeout),
		Store:               zkstore.FrameworkIDs{ZK: fenced},
		Principal:           cfg.Principal, Secret: cfg.Secret,
		Fence:  fence(lead),
		Logger: log, Metrics: d.metrics,
	})
	if err != nil {
		return &leader.Fatal{Err: err}
	}
	var driver engine.Mesos = &mesosadapter.Driver{Conn: conn, Roles: cfg.Roles, Resolve: d.resolveURI}
	relayer := &nodeagent.Client{BackupCredentials: backupCredentials(cfg.BackupCredentialsFile)}
	if d.tls != nil {
		ttls := taskTLS{caFile: cfg.TLS.ClientCAFile, caKeyFile: cfg.TLS.CAKeyFile, validity: tlsutil.CAValidity, cassandraValidity: cfg.TLS.CassandraCertValidity}
		driver = tlsMesos{Mesos: driver, tls: ttls}
		relayer.TLS = func() *tls.Config { return tlsutil.ClientConfig(d.tls, "") }
		relayer.IssueCassandraCert = ttls.renewal
	}
	pcfg := plan.Config{
		FrameworkName:   cfg.FrameworkName,
		Role:            cfg.Role,
		Roles:           cfg.Roles,
		Principal:       cfg.Principal,
		ExecutorURI:     d.execURL,
		ExecutorCommand: "./" + path.Base(d.execURL),
		CassandraURL:    cfg.DefaultDistributionURL(),
		CassandraMirror: cfg.CassandraMirror + "/cassandra",
		SecretKey:       cfg.SecretKey,
		CassandraTLS:    d.tls != nil,
		BackupStore:     cfg.BackupStore,
	}
	if d.tls != nil {
		pcfg.CassandraCertValidity = cfg.TLS.CassandraCertValidity
	}
	if cfg.JavaURL != "" {
		pcfg.ExtraURIs = []string{cfg.JavaURL}
	}
	events := make(chan mesosadapter.Event, 64)
	eng := engine.New(engine.Options{
		Planner: plan.New(pcfg, randomIDs{}), Store: store, Mesos: driver, Relayer: relayer,
		Epoch: lead.Epoch(), Events: events, Logger: log, Metrics: d.metrics, TaskSecret: pcfg.TaskSecret,
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

// resolveURI rewrites a local path (or file:// URL) into the artifact server's URL. Every URI a
// task fetches is checked against the allow-list here too (a ring recorded before the list was
// narrowed cannot fetch from outside it); the executor's own artifact URL is the daemon's.
func (d *daemon) resolveURI(uri string) (string, error) {
	if uri == d.execURL {
		return uri, nil
	}
	if !config.IsLocalPath(uri) {
		if err := d.allow.Check(uri); err != nil {
			return "", err
		}
		return uri, nil
	}
	u, _, err := d.art.AddAllowed(d.allow, uri)
	return u, err
}

// randomIDs hands out 20 characters of [a-z0-9] from crypto/rand.
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
