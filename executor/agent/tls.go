package agent

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/cassmesos/cassmesos/internal/tlsutil"
)

// TLS is the NodeAgentService's TLS material from the task (NodeTaskConfig.agent_tls_*).
type TLS struct {
	CertPEM, KeyPEM, CAPEM []byte
}

// ServerTLS builds the NodeAgentService's tls.Config: it serves the task's certificate and
// requires a client certificate of the task's CA carrying the daemon's role
// (tlsutil.RoleDaemon); any other caller fails the handshake.
func ServerTLS(t TLS) (*tls.Config, error) {
	if len(t.CertPEM) == 0 || len(t.KeyPEM) == 0 || len(t.CAPEM) == 0 {
		return nil, errors.New("agent TLS needs the certificate, its key and the CA")
	}
	cert, err := tls.X509KeyPair(t.CertPEM, t.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("agent TLS certificate: %w", err)
	}
	pool, err := tlsutil.Pool(t.CAPEM)
	if err != nil {
		return nil, fmt.Errorf("agent TLS CA: %w", err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		NextProtos:   []string{"h2"},
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
				return errors.New("no verified client certificate")
			}
			leaf := cs.VerifiedChains[0][0]
			if !tlsutil.HasRole(leaf, tlsutil.RoleDaemon) {
				return fmt.Errorf("client certificate %q does not carry the %q role", leaf.Subject.CommonName, tlsutil.RoleDaemon)
			}
			return nil
		},
	}, nil
}
