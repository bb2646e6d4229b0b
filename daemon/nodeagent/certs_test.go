package nodeagent

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/executor/agent"
	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
	"github.com/cassmesos/cassmesos/internal/tlsutil"
)

// RelayRenewCert: the client issues the certificate for the node the relay names and sends it;
// the executor's answer must name the serial issued. Without an issuer it fails before calling.
func TestRelayRenewCert(t *testing.T) {
	fake := nodetoolfake.New()
	var got []byte
	wrongSerial := false
	srv, err := agent.NewGRPCServer(agent.Config{Controller: fake, Secret: secret, Ring: "demo", Node: "demo-0",
		RenewCertificate: func(cert, key, ca []byte) (string, time.Time, error) {
			got = cert
			blk, _ := pem.Decode(cert)
			leaf, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return "", time.Time{}, err
			}
			if wrongSerial {
				return "abc", leaf.NotAfter, nil
			}
			return leaf.SerialNumber.Text(16), leaf.NotAfter, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	host, port, _ := net.SplitHostPort(lis.Addr().String())
	p, _ := strconv.Atoi(port)
	r := plan.Relay{Kind: plan.RelayRenewCert, Ring: "demo", Node: "demo-0", Address: host, AgentPort: uint32(p), Secret: secret, Hostname: "h1"}

	if _, err := (&Client{}).Relay(context.Background(), 1, r); err == nil || !strings.Contains(err.Error(), "--insecure") || got != nil {
		t.Fatalf("without an issuer: %v (sent %d bytes)", err, len(got))
	}
	ca, err := tlsutil.NewCA("test", 0)
	if err != nil {
		t.Fatal(err)
	}
	var asked plan.Relay
	c := &Client{IssueCassandraCert: func(r plan.Relay) ([]byte, []byte, []byte, error) {
		asked = r
		cert, key, err := ca.Issue(tlsutil.Issue{Name: r.Node + "." + r.Ring + ".cassandra", Server: true, Client: true, SANs: []string{r.Address, r.Hostname}})
		return cert, key, ca.CertPEM, err
	}}
	if _, err := c.Relay(context.Background(), 1, r); err != nil {
		t.Fatal(err)
	}
	if asked.Node != "demo-0" || asked.Hostname != "h1" || len(got) == 0 {
		t.Fatalf("issued for %+v, sent %d bytes", asked, len(got))
	}
	if n := len(fake.CallsOf("ReloadSSL")); n != 1 {
		t.Fatalf("%d reloadssl, want 1", n)
	}
	wrongSerial = true
	if _, err := c.Relay(context.Background(), 1, r); err == nil || !strings.Contains(err.Error(), "wrote certificate abc") {
		t.Fatalf("a wrong serial: %v", err)
	}
	c.IssueCassandraCert = func(plan.Relay) ([]byte, []byte, []byte, error) {
		return nil, nil, nil, errors.New("CA key unreadable")
	}
	if _, err := c.Relay(context.Background(), 1, r); err == nil || !strings.Contains(err.Error(), "CA key unreadable") {
		t.Fatalf("issuer failure: %v", err)
	}
}
