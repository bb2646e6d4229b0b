package cmdutil

import (
	"context"
	"crypto/tls"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/config"
	"github.com/cassmesos/cassmesos/internal/tlsutil"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func factoryWith(cfg *config.File, env map[string]string, g Globals) *Factory {
	return &Factory{Globals: &g, Getenv: func(k string) string { return env[k] }, Config: func() (*config.File, error) { return cfg, nil }}
}

func TestSecurityPrecedence(t *testing.T) {
	cfg := &config.File{CurrentContext: "cur", Contexts: []config.Context{
		{Name: "cur", Server: "a:1", CertificateAuthority: "/cur-ca", ClientCertificate: "/cur.crt", ClientKey: "/cur.key", Token: "cur-token"},
		{Name: "other", Server: "b:1", CertificateAuthority: "/other-ca", Token: "other-token"},
		{Name: "plain", Server: "c:1", Insecure: true},
	}}
	env := map[string]string{EnvCA: "/env-ca", EnvToken: "env-token"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		g    Globals
		want Security
	}{
		{"current context", nil, Globals{}, Security{CAFile: "/cur-ca", CertFile: "/cur.crt", KeyFile: "/cur.key", Token: "cur-token"}},
		{"env beats the current context", env, Globals{}, Security{CAFile: "/env-ca", CertFile: "/cur.crt", KeyFile: "/cur.key", Token: "env-token"}},
		{"--context beats env", env, Globals{Context: "other"}, Security{CAFile: "/other-ca", Token: "other-token"}},
		{"flags beat all", env, Globals{Context: "other", CA: "/flag-ca", Token: "flag-token"}, Security{CAFile: "/flag-ca", Token: "flag-token"}},
		{"insecure context", nil, Globals{Context: "plain"}, Security{Insecure: true}},
		{"--insecure", nil, Globals{Insecure: true}, Security{Insecure: true, Token: "cur-token"}},
		{"$CASSMESOS_INSECURE", map[string]string{EnvInsecure: "1"}, Globals{}, Security{Insecure: true, Token: "cur-token"}},
	} {
		got, err := factoryWith(cfg, tc.env, tc.g).Security()
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	if _, err := factoryWith(cfg, nil, Globals{Insecure: true, CA: "/x"}).Security(); err == nil {
		t.Error("--insecure with --ca accepted")
	}
	if _, err := factoryWith(&config.File{}, nil, Globals{Cert: "/x"}).Security(); err == nil || !strings.Contains(err.Error(), "--key") {
		t.Errorf("--cert without --key: %v", err)
	}
}

type sysServer struct {
	pb.UnimplementedSystemServiceServer
}

// TestDialsTLSWithClientCertificateAndToken: the CLI's dial options verify the daemon against
// the CA, present the client certificate and send the bearer token.
func TestDialsTLSWithClientCertificateAndToken(t *testing.T) {
	dir := t.TempDir()
	ca, err := tlsutil.NewCA("test", 0)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := tlsutil.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sc, sk, _ := ca.Issue(tlsutil.Issue{Name: "daemon", Server: true, SANs: []string{"127.0.0.1"}})
	cc, ck, _ := ca.Issue(tlsutil.Issue{Name: "alice", Roles: []string{"operator"}, Client: true})
	caFile := write("ca.crt", ca.CertPEM)
	src, err := tlsutil.NewSource(tlsutil.Files{Cert: write("s.crt", sc), Key: write("s.key", sk), CA: caFile}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	type seen struct{ cn, auth string }
	got := make(chan seen, 1)
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(tlsutil.ServerConfig(src, tls.RequireAndVerifyClientCert))),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			p, _ := peer.FromContext(ctx)
			md, _ := metadata.FromIncomingContext(ctx)
			ti := p.AuthInfo.(credentials.TLSInfo)
			got <- seen{ti.State.VerifiedChains[0][0].Subject.CommonName, strings.Join(md.Get("authorization"), ",")}
			return h(ctx, req)
		}))
	pb.RegisterSystemServiceServer(srv, sysServer{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)

	call := func(s Security) error {
		opts, err := s.DialOptions()
		if err != nil {
			return err
		}
		cc, err := grpc.NewClient(lis.Addr().String(), opts...)
		if err != nil {
			return err
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = pb.NewSystemServiceClient(cc).GetVersion(ctx, &pb.GetVersionRequest{})
		return err
	}
	err = call(Security{CAFile: caFile, CertFile: write("c.crt", cc), KeyFile: write("c.key", ck), Token: "t0k"})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("call over mutual TLS: %v", err)
	}
	if s := <-got; s.cn != "alice" || s.auth != "Bearer t0k" {
		t.Fatalf("server saw %+v", s)
	}
	if err := call(Security{CAFile: caFile}); status.Code(err) != codes.Unavailable {
		t.Fatalf("without a client certificate: %v", err)
	}
	if err := call(Security{Insecure: true}); status.Code(err) != codes.Unavailable {
		t.Fatalf("plaintext to a TLS daemon: %v", err)
	}
	if err := call(Security{CertFile: filepath.Join(dir, "c.crt"), KeyFile: filepath.Join(dir, "c.key")}); status.Code(err) != codes.Unavailable {
		t.Fatalf("system roots accepted a private CA: %v", err)
	}
}

func TestUnreachableHintsAtTLS(t *testing.T) {
	for msg, tlsHint := range map[string]bool{
		"certificate signed by unknown authority": true,
		"EOF":                true,
		"connection refused": false,
	} {
		got := (&UnreachableError{Addr: "a:1", Err: errorString(msg)}).Error()
		if strings.Contains(got, "TLS handshake failed") != tlsHint {
			t.Errorf("%q: %s", msg, got)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
