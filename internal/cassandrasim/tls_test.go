package cassandrasim

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/tlsutil"
)

// pemStores writes a PEM keystore (key, then certificate) and truststore for 127.0.0.1.
func pemStores(t *testing.T) (keystore, truststore string, pool *x509.CertPool) {
	t.Helper()
	ca, err := tlsutil.NewCA("test", 0)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(tlsutil.Issue{Name: "n", Server: true, Client: true, SANs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keystore, truststore = filepath.Join(dir, "ks.pem"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(keystore, append(key, cert...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truststore, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return keystore, truststore, pool
}

func TestLoadTLS(t *testing.T) {
	ks, ts, _ := pemStores(t)
	junk := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(junk, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	on := true
	opts := func(mut func(o *encryptionYAML)) *encryptionYAML {
		o := &encryptionYAML{InternodeEncryption: "all", Enabled: &on, Keystore: ks, Truststore: ts, RequireClientAuth: "true"}
		o.SSLContextFactory.ClassName = pemFactory
		if mut != nil {
			mut(o)
		}
		return o
	}
	got, err := loadTLS(opts(nil), opts(nil))
	if err != nil || got.Server == nil || got.Client == nil || got.Native == nil || got.NativeOptional {
		t.Fatalf("loadTLS = %+v, %v", got, err)
	}
	if got.Server.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Error("internode TLS is not mutual")
	}
	// Unencrypted: nothing loaded, even with the distribution's JKS defaults.
	off := false
	got, err = loadTLS(&encryptionYAML{InternodeEncryption: "none", Keystore: "conf/.keystore", KeystorePassword: "cassandra"}, &encryptionYAML{Enabled: &off})
	if err != nil || got.Server != nil || got.Native != nil {
		t.Fatalf("unencrypted: %+v, %v", got, err)
	}
	for name, c := range map[string]struct {
		server *encryptionYAML
		want   string
	}{
		"JKS factory": {opts(func(o *encryptionYAML) {
			o.SSLContextFactory.ClassName = "org.apache.cassandra.security.DefaultSslContextFactory"
		}), "PEMBasedSslContextFactory only"},
		"keystore password": {opts(func(o *encryptionYAML) { o.KeystorePassword = "cassandra" }), "keystore_password"},
		"missing keystore":  {opts(func(o *encryptionYAML) { o.Keystore = ks + ".gone" }), "server_encryption_options.keystore"},
		"truststore junk":   {opts(func(o *encryptionYAML) { o.Truststore = junk }), "Failed to build trust manager"},
		"bad internode":     {opts(func(o *encryptionYAML) { o.InternodeEncryption = "most" }), "internode_encryption"},
	} {
		if _, err := loadTLS(c.server, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

// The native port: required serves TLS only; optional tells TLS from plaintext by the first
// byte and serves both.
func TestNativeConnTLS(t *testing.T) {
	ks, ts, pool := pemStores(t)
	on := true
	for _, optional := range []bool{false, true} {
		o := &encryptionYAML{Enabled: &on, Optional: &optional, Keystore: ks, Truststore: ts}
		o.SSLContextFactory.ClassName = pemFactory
		cfg, err := loadTLS(nil, o)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func(c net.Conn) { // echo one line
					defer c.Close()
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					c = cfg.nativeConn(c)
					line, err := bufio.NewReader(c).ReadString('\n')
					if err == nil {
						_, _ = c.Write([]byte(line))
					}
				}(c)
			}
		}()
		echo := func(c net.Conn) (string, error) {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write([]byte("hello\n")); err != nil {
				return "", err
			}
			return bufio.NewReader(c).ReadString('\n')
		}
		tc, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatalf("optional=%v: TLS: %v", optional, err)
		}
		if got, err := echo(tc); got != "hello\n" {
			t.Errorf("optional=%v: TLS echo %q %v", optional, got, err)
		}
		pc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		got, _ := echo(pc)
		if optional && got != "hello\n" {
			t.Errorf("optional: plaintext echo %q", got)
		}
		if !optional && got == "hello\n" {
			t.Error("required: a plaintext client was served")
		}
		ln.Close()
	}
}

// handshake runs one internode TLS handshake between srv and cli over loopback TCP and returns
// the serial of the certificate the server presented.
func handshake(t *testing.T, srv, cli *tls.Config) (string, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	errc := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		s := tls.Server(conn, srv)
		err = s.Handshake()
		if err == nil {
			_, err = s.Write([]byte{1})
		}
		errc <- err
	}()
	c := cli.Clone()
	c.ServerName = "127.0.0.1"
	tc, err := tls.Dial("tcp", ln.Addr().String(), c)
	if err != nil {
		return "", errors.Join(err, <-errc)
	}
	defer tc.Close()
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	// The server's verdict on the client's certificate arrives with the first read (TLS 1.3).
	_, rerr := tc.Read(make([]byte, 1))
	if serr := <-errc; serr != nil || rerr != nil {
		return "", errors.Join(serr, rerr)
	}
	return tc.ConnectionState().PeerCertificates[0].SerialNumber.Text(16), nil
}

// nodetool reloadssl: the keystores are read again and new handshakes present the new
// certificate; a keystore that does not load is an error and changes nothing. With
// require_endpoint_verification and require_client_auth every inbound handshake fails, as on
// real 5.0.8.
func TestReloadSSLAndEndpointVerification(t *testing.T) {
	ca, err := tlsutil.NewCA("test", 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ks, ts := filepath.Join(dir, "ks.pem"), filepath.Join(dir, "ca.pem")
	writeKeystore := func() {
		cert, key, err := ca.Issue(tlsutil.Issue{Name: "n", Server: true, Client: true, SANs: []string{"127.0.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ks, append(key, cert...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeKeystore()
	if err := os.WriteFile(ts, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	o := &encryptionYAML{InternodeEncryption: "all", Keystore: ks, Truststore: ts, RequireClientAuth: "true"}
	o.SSLContextFactory.ClassName = pemFactory
	cfg, err := loadTLS(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := handshake(t, cfg.Server, cfg.Client)
	if err != nil {
		t.Fatalf("mutual TLS handshake: %v", err)
	}
	writeKeystore()
	if s, err := handshake(t, cfg.Server, cfg.Client); err != nil || s != first {
		t.Fatalf("before reloadssl: serial %s, %v; want the old %s", s, err, first)
	}
	if err := cfg.Reload(); err != nil {
		t.Fatal(err)
	}
	second, err := handshake(t, cfg.Server, cfg.Client)
	if err != nil || second == first {
		t.Fatalf("after reloadssl: serial %s (was %s), %v", second, first, err)
	}
	if err := os.WriteFile(ks, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Reload(); err == nil || !strings.Contains(err.Error(), "keystore") {
		t.Fatalf("reload of a junk keystore: %v", err)
	}
	if s, err := handshake(t, cfg.Server, cfg.Client); err != nil || s != second {
		t.Fatalf("after a failed reload: serial %s, %v; want %s", s, err, second)
	}

	// Endpoint verification with client authentication: refused on the server side.
	writeKeystore()
	o.RequireEndpointVerification = true
	bad, err := loadTLS(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, bad.Server, bad.Client); err == nil || !strings.Contains(err.Error(), "not supported on the server side") {
		t.Fatalf("endpoint verification: %v, want the server-side refusal", err)
	}
}
