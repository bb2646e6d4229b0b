package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gocql/gocql"
)

// CassandraCA is the world's CA bundle (what an encrypted ring's node certificates chain to) as
// a pool.
func (w *World) CassandraCA() *x509.CertPool {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.PKIDir(), "ca.crt"))
	if err != nil {
		w.t.Fatalf("e2e: the world's CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		w.t.Fatal("e2e: the world's CA holds no certificate")
	}
	return pool
}

// CQLTLS opens a TLS session (verifying every node's certificate against the world's CA and
// its address) to the given node addresses (port 9042). Closed with the test.
func (w *World) CQLTLS(hosts ...string) *gocql.Session {
	w.t.Helper()
	pool := w.CassandraCA()
	var s *gocql.Session
	w.Eventually(2*time.Minute, func() error {
		c := gocql.NewCluster(hosts...)
		c.Port = 9042
		c.Timeout = 20 * time.Second
		c.ConnectTimeout = 10 * time.Second
		c.ProtoVersion = 4
		c.ReconnectInterval = time.Second
		c.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 3}
		c.SslOpts = &gocql.SslOptions{Config: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, EnableHostVerification: true}
		var err error
		s, err = c.CreateSession()
		return err
	}, "a CQL TLS session to %s", strings.Join(hosts, ","))
	w.t.Cleanup(s.Close)
	return s
}

// CQLPlaintextRefused returns nil when a plaintext CQL session to host cannot be opened (the
// node requires TLS on its native port), an error when one can.
func (w *World) CQLPlaintextRefused(host string) error {
	c := gocql.NewCluster(host)
	c.Port = 9042
	c.Timeout = 5 * time.Second
	c.ConnectTimeout = 5 * time.Second
	c.ProtoVersion = 4
	c.DisableInitialHostLookup = true
	c.NumConns = 1
	s, err := c.CreateSession()
	if err == nil {
		s.Close()
		return fmt.Errorf("a plaintext CQL session to %s was opened", host)
	}
	return nil
}

// TLSPeer completes a TLS handshake with addr:port against the world's CA (the peer verified for
// address) and returns the peer's leaf certificate: proof the port serves TLS with a certificate
// of the world's CA. cert, when given, is presented as a client certificate.
func (w *World) TLSPeer(address string, port int, cert *tls.Certificate) (*x509.Certificate, error) {
	cfg := &tls.Config{RootCAs: w.CassandraCA(), ServerName: address, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort(address, strconv.Itoa(port)), cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}
