package cmdutil

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cassmesos/cassmesos/cli/config"
)

// Environment variables of the connection's credentials (flags win over them).
const (
	EnvCA       = "CASSMESOS_CA"
	EnvCert     = "CASSMESOS_CERT"
	EnvKey      = "CASSMESOS_KEY"
	EnvToken    = "CASSMESOS_TOKEN"
	EnvInsecure = "CASSMESOS_INSECURE"
)

// Security is how the CLI authenticates the daemon and itself.
type Security struct {
	// Insecure dials plaintext gRPC.
	Insecure bool
	// CAFile/CAData: the CA bundle the daemon's certificate is verified against (neither: the
	// system roots).
	CAFile, CAData string
	// CertFile/CertData and KeyFile/KeyData: the client certificate (mutual TLS).
	CertFile, CertData string
	KeyFile, KeyData   string
	// Token is sent as "authorization: Bearer <token>".
	Token string
}

// Security resolves the credentials. Each of CA, certificate, key and token comes from its flag
// (--ca, --cert, --key, --token), else the --context's entry, else the environment
// ($CASSMESOS_CA, ...), else the current context's entry (also when --server names the address).
// --insecure (or $CASSMESOS_INSECURE, or a context's insecure: true when no CA or certificate is
// given otherwise) dials plaintext.
func (f *Factory) Security() (Security, error) {
	g := f.Globals
	var named, current *config.Context
	if g.Context != "" {
		cfg, err := f.Config()
		if err != nil {
			return Security{}, err
		}
		c, ok := cfg.Context(g.Context)
		if !ok {
			return Security{}, FlagErrorf("--context %q: no such context in the config file (see `cassmesos config view`)", g.Context)
		}
		named = &c
	} else if cfg, err := f.Config(); err == nil {
		if c, ok := cfg.Current(); ok {
			current = &c
		}
	} else {
		return Security{}, err
	}
	pick := func(flag, env string, get func(*config.Context) string) string {
		if flag != "" {
			return flag
		}
		if named != nil {
			return get(named)
		}
		if v := f.Getenv(env); v != "" {
			return v
		}
		if current != nil {
			return get(current)
		}
		return ""
	}
	s := Security{
		CAFile:   pick(g.CA, EnvCA, func(c *config.Context) string { return c.CertificateAuthority }),
		CertFile: pick(g.Cert, EnvCert, func(c *config.Context) string { return c.ClientCertificate }),
		KeyFile:  pick(g.Key, EnvKey, func(c *config.Context) string { return c.ClientKey }),
		Token:    pick(g.Token, EnvToken, func(c *config.Context) string { return c.Token }),
	}
	ctx := named
	if ctx == nil && f.Getenv(EnvCA) == "" && f.Getenv(EnvCert) == "" {
		ctx = current
	}
	if ctx != nil && g.CA == "" && g.Cert == "" {
		if s.CAFile == "" {
			s.CAData = ctx.CertificateAuthorityData
		}
		if s.CertFile == "" && s.KeyFile == "" {
			s.CertData, s.KeyData = ctx.ClientCertificateData, ctx.ClientKeyData
		}
	}
	envInsecure := false
	if v := f.Getenv(EnvInsecure); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Security{}, FlagErrorf("$%s=%q: want true or false", EnvInsecure, v)
		}
		envInsecure = b
	}
	tlsGiven := g.CA != "" || g.Cert != "" || g.Key != ""
	switch {
	case g.Insecure && tlsGiven:
		return Security{}, FlagErrorf("--insecure cannot be combined with --ca, --cert or --key")
	case g.Insecure, envInsecure && !tlsGiven:
		s.Insecure = true
	case !tlsGiven && named != nil:
		s.Insecure = named.Insecure
	case !tlsGiven && f.Getenv(EnvCA) == "" && f.Getenv(EnvCert) == "" && current != nil:
		s.Insecure = current.Insecure
	}
	if s.Insecure {
		s.CAFile, s.CAData, s.CertFile, s.CertData, s.KeyFile, s.KeyData = "", "", "", "", "", ""
	}
	if (s.CertFile == "" && s.CertData == "") != (s.KeyFile == "" && s.KeyData == "") {
		return Security{}, FlagErrorf("a client certificate needs its key: give --cert and --key together")
	}
	return s, nil
}

// TLSConfig builds the client TLS config of s (nil when s is insecure).
func (s Security) TLSConfig() (*tls.Config, error) {
	if s.Insecure {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	ca := []byte(s.CAData)
	if s.CAFile != "" {
		b, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, FlagErrorf("--ca: %v", err)
		}
		ca = b
	}
	if len(ca) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, FlagErrorf("--ca %s: no PEM certificate found", s.CAFile)
		}
		c.RootCAs = pool
	}
	certPEM, keyPEM := []byte(s.CertData), []byte(s.KeyData)
	if s.CertFile != "" {
		b, err := os.ReadFile(s.CertFile)
		if err != nil {
			return nil, FlagErrorf("--cert: %v", err)
		}
		certPEM = b
	}
	if s.KeyFile != "" {
		b, err := os.ReadFile(s.KeyFile)
		if err != nil {
			return nil, FlagErrorf("--key: %v", err)
		}
		keyPEM = b
	}
	if len(certPEM) > 0 {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, FlagErrorf("--cert/--key: %v", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// DialOptions are the transport and per-call credentials of s.
func (s Security) DialOptions() ([]grpc.DialOption, error) {
	var opts []grpc.DialOption
	if s.Insecure {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	} else {
		tc, err := s.TLSConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(tc)))
	}
	if s.Token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: s.Token, secure: !s.Insecure}))
	}
	return opts, nil
}

// bearer sends "authorization: Bearer <token>" with every call (over TLS unless insecure).
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return b.secure }
