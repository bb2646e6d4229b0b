package executor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/gocql/gocql"

	"github.com/cassmesos/cassmesos/executor/backup"
	"github.com/cassmesos/cassmesos/executor/render"
)

// nodeCluster is the backup.Cluster of the executor's node: nodetool for tokens, keyspaces and
// tables, and a CQL session to the node's own native port (TLS, verified against the ring's CA,
// when the ring's client encryption is on) for the schema a restore recreates.
type nodeCluster struct {
	ctl  *fallbackController
	addr string
	port int
	// tls is the node's encryption settings; nil or Client "none": plaintext CQL.
	tls *render.TLSSettings
}

var _ backup.Cluster = (*nodeCluster)(nil)

func (c *nodeCluster) Tokens(ctx context.Context) ([]string, error) {
	in, err := c.ctl.InfoTokens(ctx)
	if err != nil {
		return nil, err
	}
	if !in.Joined {
		return nil, errors.New("the node has not joined the ring")
	}
	return in.Tokens, nil
}

func (c *nodeCluster) Keyspaces(ctx context.Context) (map[string]string, error) {
	d, err := c.ctl.DescribeCluster(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(d.Keyspaces))
	for _, k := range d.Keyspaces {
		out[k.Name] = k.Replication
	}
	return out, nil
}

func (c *nodeCluster) Tables(ctx context.Context) (map[string][]string, error) {
	return c.ctl.Tables(ctx)
}

// ExecCQL runs the statements through one connection to the node itself, then waits for schema
// agreement (gocql's own wait after each schema change, then describecluster's view).
func (c *nodeCluster) ExecCQL(ctx context.Context, statements ...string) error {
	cl := gocql.NewCluster(c.addr)
	cl.Port = c.port
	cl.ProtoVersion = 4
	cl.Timeout = 60 * time.Second
	cl.ConnectTimeout = 15 * time.Second
	cl.NumConns = 1
	cl.DisableInitialHostLookup = true
	cl.MaxWaitSchemaAgreement = 2 * time.Minute
	cl.Consistency = gocql.Quorum
	if c.tls != nil && c.tls.Client != "none" {
		ca, err := os.ReadFile(c.tls.Truststore)
		if err != nil {
			return fmt.Errorf("CQL over TLS: the ring's CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return fmt.Errorf("CQL over TLS: %s holds no certificate", c.tls.Truststore)
		}
		cl.SslOpts = &gocql.SslOptions{Config: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, EnableHostVerification: true}
	}
	s, err := cl.CreateSession()
	if err != nil {
		return fmt.Errorf("CQL session to %s: %w", net.JoinHostPort(c.addr, strconv.Itoa(c.port)), err)
	}
	defer s.Close()
	for _, st := range statements {
		if err := s.Query(st).WithContext(ctx).Exec(); err != nil {
			return fmt.Errorf("%s: %w", firstLine(st), err)
		}
	}
	if err := s.AwaitSchemaAgreement(ctx); err != nil {
		return fmt.Errorf("schema agreement: %w", err)
	}
	for {
		d, err := c.ctl.DescribeCluster(ctx)
		if err == nil && d.SchemaAgreement() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("schema agreement (describecluster): %w", ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i] + " ..."
		}
	}
	return s
}
