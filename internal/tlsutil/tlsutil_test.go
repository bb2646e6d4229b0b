package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustCA(t *testing.T) *CA {
	t.Helper()
	ca, err := NewCA("test CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIssueCarriesNameRolesSANsAndUsages(t *testing.T) {
	ca := mustCA(t)
	certPEM, keyPEM, err := ca.Issue(Issue{Name: "alice", Roles: []string{"operator"}, Client: true, SANs: []string{"127.0.0.1", "node-1.example"}})
	if err != nil {
		t.Fatal(err)
	}
	certs, err := ParseCertificates(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	c := certs[0]
	if c.Subject.CommonName != "alice" || !HasRole(c, "operator") || HasRole(c, "admin") {
		t.Fatalf("subject %v", c.Subject)
	}
	if len(c.IPAddresses) != 1 || !c.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) || len(c.DNSNames) != 1 || c.DNSNames[0] != "node-1.example" {
		t.Fatalf("SANs %v %v", c.IPAddresses, c.DNSNames)
	}
	if _, err := ParseKey(keyPEM); err != nil {
		t.Fatal(err)
	}
	pool, _ := Pool(ca.CertPEM)
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("client cert does not verify for client auth: %v", err)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Fatal("a client-only certificate verified for server auth")
	}
	if !c.NotAfter.After(time.Now().Add(300*24*time.Hour)) || c.NotAfter.After(ca.Cert.NotAfter) {
		t.Fatalf("NotAfter %v", c.NotAfter)
	}
}

func TestIssueRefusesBadInput(t *testing.T) {
	ca := mustCA(t)
	for name, is := range map[string]Issue{
		"no name":  {Server: true},
		"no usage": {Name: "x"},
		"bad SAN":  {Name: "x", Server: true, SANs: []string{"a b/c"}},
	} {
		if _, _, err := ca.Issue(is); err == nil {
			t.Errorf("%s: issued", name)
		}
	}
}

func TestLoadCAChecksKeyMatches(t *testing.T) {
	dir := t.TempDir()
	ca, other := mustCA(t), mustCA(t)
	key, _ := EncodeKey(ca.Key)
	otherKey, _ := EncodeKey(other.Key)
	cert := write(t, dir, "ca.crt", ca.CertPEM)
	if _, err := LoadCA(cert, write(t, dir, "ca.key", key)); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCA(cert, write(t, dir, "other.key", otherKey)); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Fatalf("mismatched key: %v", err)
	}
}

// serve runs a TLS echo-less server that completes handshakes with cfg.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	lis, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lis.Close() })
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
				_, _ = c.Write([]byte{1})
			}()
		}
	}()
	return lis.Addr().String()
}

// handshake dials addr and returns the server's leaf certificate, or the error.
func handshake(addr string, cfg *tls.Config) (*x509.Certificate, error) {
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// TLS 1.3 reports a refused client certificate on the first read.
	if _, err := c.Read(make([]byte, 1)); err != nil {
		return nil, err
	}
	return c.ConnectionState().PeerCertificates[0], nil
}

func TestMutualTLSAndReloadWithoutRestart(t *testing.T) {
	dir := t.TempDir()
	ca := mustCA(t)
	caFile := write(t, dir, "ca.crt", ca.CertPEM)
	issue := func(name string, server bool) ([]byte, []byte) {
		c, k, err := ca.Issue(Issue{Name: name, Server: server, Client: !server, SANs: []string{"127.0.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		return c, k
	}
	c1, k1 := issue("server-1", true)
	srv, err := NewSource(Files{Cert: write(t, dir, "s.crt", c1), Key: write(t, dir, "s.key", k1), CA: caFile}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, ServerConfig(srv, tls.RequireAndVerifyClientCert))

	cc, ck := issue("client", false)
	cli, err := NewSource(Files{Cert: write(t, dir, "c.crt", cc), Key: write(t, dir, "c.key", ck), CA: caFile}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := handshake(addr, ClientConfig(cli, ""))
	if err != nil {
		t.Fatalf("mutual TLS: %v", err)
	}
	if leaf.Subject.CommonName != "server-1" {
		t.Fatalf("server presented %q", leaf.Subject.CommonName)
	}

	// Without a client certificate: refused.
	anon, err := NewSource(Files{CA: caFile}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(addr, ClientConfig(anon, "")); err == nil {
		t.Fatal("handshake without a client certificate succeeded")
	}
	// With a certificate from another CA: refused.
	foreign := mustCA(t)
	fc, fk, _ := foreign.Issue(Issue{Name: "mallory", Client: true})
	fsrc, _ := NewSource(Files{Cert: write(t, dir, "f.crt", fc), Key: write(t, dir, "f.key", fk), CA: caFile}, 0, nil)
	if _, err := handshake(addr, ClientConfig(fsrc, "")); err == nil {
		t.Fatal("handshake with a foreign client certificate succeeded")
	}

	// Renew the server certificate on disk: the next handshake presents it, no restart.
	c2, k2 := issue("server-2", true)
	write(t, dir, "s.key", k2)
	write(t, dir, "s.crt", c2)
	if leaf, err = handshake(addr, ClientConfig(cli, "")); err != nil || leaf.Subject.CommonName != "server-2" {
		t.Fatalf("after renewal: %v, %v", leaf.Subject.CommonName, err)
	}

	// A broken file keeps the previous material.
	write(t, dir, "s.crt", []byte("garbage"))
	if leaf, err = handshake(addr, ClientConfig(cli, "")); err != nil || leaf.Subject.CommonName != "server-2" {
		t.Fatalf("after a broken write: %v, %v", leaf, err)
	}

	// Rotating the CA the server trusts: the old client is refused, a client of the new CA accepted.
	ca2 := mustCA(t)
	write(t, dir, "s.crt", c2)
	cc2, ck2, _ := ca2.Issue(Issue{Name: "client-2", Client: true})
	write(t, dir, "ca.crt", append(append([]byte{}, ca.CertPEM...), ca2.CertPEM...))
	cli2, _ := NewSource(Files{Cert: write(t, dir, "c2.crt", cc2), Key: write(t, dir, "c2.key", ck2), CA: caFile}, 0, nil)
	if _, err := handshake(addr, ClientConfig(cli2, "")); err != nil {
		t.Fatalf("client of the added CA: %v", err)
	}
	write(t, dir, "ca.crt", ca2.CertPEM)
	if _, err := handshake(addr, ClientConfig(fsrc, "")); err == nil {
		t.Fatal("foreign client accepted after CA rotation")
	}
}

func TestSourceIntervalLimitsLooks(t *testing.T) {
	dir := t.TempDir()
	ca := mustCA(t)
	c1, k1, _ := ca.Issue(Issue{Name: "one", Server: true})
	src, err := NewSource(Files{Cert: write(t, dir, "s.crt", c1), Key: write(t, dir, "s.key", k1)}, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	c2, k2, _ := ca.Issue(Issue{Name: "two", Server: true})
	write(t, dir, "s.key", k2)
	write(t, dir, "s.crt", c2)
	if _, leaf, _, _ := src.Current(); leaf.Subject.CommonName != "one" {
		t.Fatalf("looked again within the interval: %s", leaf.Subject.CommonName)
	}
}

func TestNewSourceErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewSource(Files{Cert: filepath.Join(dir, "missing.crt"), Key: filepath.Join(dir, "missing.key")}, 0, nil); err == nil || !os.IsNotExist(err) && !strings.Contains(err.Error(), "missing.crt") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := NewSource(Files{Cert: "a"}, 0, nil); err == nil {
		t.Fatal("cert without key accepted")
	}
}
