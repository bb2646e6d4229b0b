package daemon

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/config"
	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/internal/specrules"
	"github.com/cassmesos/cassmesos/internal/tlsutil"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// insecureWarnEvery is how often an --insecure daemon repeats its warning (a variable for tests).
var insecureWarnEvery = time.Hour

const insecureWarning = "INSECURE: --insecure is set: gRPC, metrics and artifacts are served in plaintext " +
	"and executors are reached without TLS; anyone who reaches these ports can read and change every ring. " +
	"Set up TLS with `cassmesosd certs init` (docs/security.md)"

// warnInsecure logs the --insecure warning now and every insecureWarnEvery until ctx ends.
func warnInsecure(ctx context.Context, log *slog.Logger) {
	log.Warn(insecureWarning)
	go func() {
		t := time.NewTicker(insecureWarnEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				log.Warn(insecureWarning)
			}
		}
	}()
}

// tlsSetup loads the daemon's certificate and CA (re-read when they change) and checks the CA
// key can issue task certificates.
func tlsSetup(c config.TLS, log *slog.Logger) (*tlsutil.Source, error) {
	src, err := tlsutil.NewSource(tlsutil.Files{Cert: c.CertFile, Key: c.KeyFile, CA: c.ClientCAFile}, tlsutil.DefaultReloadInterval, log)
	if err != nil {
		return nil, fmt.Errorf("TLS: %w", err)
	}
	if _, err := tlsutil.LoadCA(c.ClientCAFile, c.CAKeyFile); err != nil {
		return nil, fmt.Errorf("--tls-ca-key: %w", err)
	}
	_, leaf, _, _ := src.Current()
	if !tlsutil.HasRole(leaf, tlsutil.RoleDaemon) {
		log.Warn("the daemon certificate has no \"daemon\" role (Organization): executors will refuse its relays", "cert", c.CertFile)
	}
	return src, nil
}

// serverAuth is how gRPC client certificates are asked for.
func serverAuth(c config.TLS) tls.ClientAuthType {
	if c.RequireClientCert {
		return tls.RequireAndVerifyClientCert
	}
	return tls.VerifyClientCertIfGiven
}

// listen opens a TCP listener, wrapped in TLS unless the daemon is insecure.
func (d *daemon) listen(addr string, auth tls.ClientAuthType) (net.Listener, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil || d.tls == nil {
		return lis, err
	}
	return tls.NewListener(lis, tlsutil.ServerConfig(d.tls, auth)), nil
}

// taskTLS issues a launch's NodeAgentService certificate.
type taskTLS struct {
	caFile, caKeyFile string
	validity          time.Duration
	// cassandraValidity is the Cassandra node certificates' validity (--cassandra-cert-validity).
	cassandraValidity time.Duration
}

// secure returns a copy of cfg carrying a fresh certificate for its node (SANs: its address and
// <node>.<ring>.cassmesos), its key and the CA bundle, issued from the CA files as they are now.
func (t taskTLS) secure(cfg *cassmesosv1.NodeTaskConfig) (*cassmesosv1.NodeTaskConfig, error) {
	ca, err := tlsutil.LoadCA(t.caFile, t.caKeyFile)
	if err != nil {
		return nil, fmt.Errorf("issuing the task certificate: %w", err)
	}
	sans := []string{cfg.GetNode() + "." + cfg.GetRing() + ".cassmesos"}
	if cfg.GetAddress() != "" {
		sans = append(sans, cfg.GetAddress())
	}
	certPEM, keyPEM, err := ca.Issue(tlsutil.Issue{Name: cfg.GetNode() + "." + cfg.GetRing(), Roles: []string{"executor"},
		Server: true, SANs: sans, Validity: t.validity})
	if err != nil {
		return nil, fmt.Errorf("issuing the task certificate for %s/%s: %w", cfg.GetRing(), cfg.GetNode(), err)
	}
	out := proto.Clone(cfg).(*cassmesosv1.NodeTaskConfig)
	out.AgentTlsCert, out.AgentTlsKey, out.AgentTlsCa = certPEM, keyPEM, ca.CertPEM
	if specrules.EncryptionOn(cfg.GetEncryption()) {
		if out.CassandraTlsCert, out.CassandraTlsKey, err = ca.Issue(cassandraCert(cfg, t.cassandraValidity)); err != nil {
			return nil, fmt.Errorf("issuing the Cassandra certificate for %s/%s: %w", cfg.GetRing(), cfg.GetNode(), err)
		}
		out.CassandraTlsCa = ca.CertPEM
	}
	return out, nil
}

// renewal issues the node a RelayRenewCert names a new Cassandra certificate (its own new key,
// the same names and usages as at launch), from the CA files as they are now.
func (t taskTLS) renewal(r plan.Relay) (cert, key, caPEM []byte, err error) {
	ca, err := tlsutil.LoadCA(t.caFile, t.caKeyFile)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("issuing the Cassandra certificate: %w", err)
	}
	cfg := &cassmesosv1.NodeTaskConfig{Ring: r.Ring, Node: r.Node, Address: r.Address, Hostname: r.Hostname}
	if cert, key, err = ca.Issue(cassandraCert(cfg, t.cassandraValidity)); err != nil {
		return nil, nil, nil, fmt.Errorf("issuing the Cassandra certificate for %s/%s: %w", r.Ring, r.Node, err)
	}
	return cert, key, ca.CertPEM, nil
}

// cassandraCert describes a node's Cassandra certificate: its own key pair, separate from the
// executor API's, valid for serving (storage and native ports) and as a client (internode TLS
// is mutual), with the node's address and its agent's host name as SANs (peers verify the
// address; clients may dial either). The role "cassandra" grants nothing in the daemon's RBAC.
func cassandraCert(cfg *cassmesosv1.NodeTaskConfig, validity time.Duration) tlsutil.Issue {
	var sans []string
	for _, s := range []string{cfg.GetAddress(), cfg.GetHostname()} {
		if s != "" && !slices.Contains(sans, s) {
			sans = append(sans, s)
		}
	}
	return tlsutil.Issue{Name: cfg.GetNode() + "." + cfg.GetRing() + ".cassandra", Roles: []string{"cassandra"},
		Server: true, Client: true, SANs: sans, Validity: validity}
}

// tlsMesos gives every launched task its NodeAgentService certificate (and, for an encrypted
// ring, its Cassandra certificate) on the way to Mesos; the planner's launch (and anything it
// persists) never holds a key.
type tlsMesos struct {
	engine.Mesos
	tls taskTLS
}

func (m tlsMesos) Accept(ctx context.Context, sub uint64, a plan.Accept) error {
	ops := make([]plan.OfferOp, len(a.Operations))
	for i, op := range a.Operations {
		if op.Kind == plan.OpLaunch && op.Task != nil && op.Task.Config != nil {
			cfg, err := m.tls.secure(op.Task.Config)
			if err != nil {
				return err
			}
			task := *op.Task
			task.Config = cfg
			op.Task = &task
		}
		ops[i] = op
	}
	a.Operations = ops
	return m.Mesos.Accept(ctx, sub, a)
}

// listenArtifacts opens the artifact server's listener: TLS only with --artifact-tls, because
// the Mesos fetcher on every agent must then trust the daemon's CA.
func (d *daemon) listenArtifacts(addr string) (net.Listener, error) {
	if !d.cfg.ArtifactTLS {
		return net.Listen("tcp", addr)
	}
	return d.listen(addr, tls.NoClientCert)
}
