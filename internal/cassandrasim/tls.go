package cassandrasim

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
)

// Cassandra's own TLS, as far as the stand-in goes: it reads server_encryption_options and
// client_encryption_options, loads the PEM keystore and truststore the way 5.0's
// PEMBasedSslContextFactory does (a start with an unreadable one fails), and then
//   - with internode_encryption all, gossips over mutual TLS on storage_port (peers verified
//     against the truststore, and their address with require_endpoint_verification; a plaintext
//     peer gets nothing). Like 5.0.8, require_endpoint_verification with require_client_auth
//     fails every inbound handshake. dc and rack are
//     accepted but gossip stays plaintext (the stand-in does not know a peer's dc before it talks);
//   - with client encryption enabled, serves the native port over TLS only, or, with optional:
//     true, TLS and plaintext on the same port (told apart by the first byte, as Cassandra does).
// Other SSL context factories (JKS keystores) are refused: cassmesos renders PEM only.

// errEndpointOnServer is what 5.0.8 logs for every inbound internode handshake when both
// require_client_auth and require_endpoint_verification are on (InboundConnectionInitiator: "Failed
// to properly handshake with peer"): no node can then gossip with another.
var errEndpointOnServer = errors.New("java.security.cert.CertificateException: Endpoint Identification Algorithm HTTPS is not supported on the server side")

// pemFactory is Cassandra's PEM-based SSL context factory.
const pemFactory = "org.apache.cassandra.security.PEMBasedSslContextFactory"

// encryptionYAML is one of cassandra.yaml's *_encryption_options mappings.
type encryptionYAML struct {
	InternodeEncryption string `yaml:"internode_encryption"`
	Enabled             *bool  `yaml:"enabled"`
	Optional            *bool  `yaml:"optional"`
	SSLContextFactory   struct {
		ClassName string `yaml:"class_name"`
	} `yaml:"ssl_context_factory"`
	Keystore                    string `yaml:"keystore"`
	KeystorePassword            string `yaml:"keystore_password"`
	Truststore                  string `yaml:"truststore"`
	RequireClientAuth           string `yaml:"require_client_auth"`
	RequireEndpointVerification bool   `yaml:"require_endpoint_verification"`
}

// TLSConfig is a node's Cassandra TLS, nil pieces meaning plaintext.
type TLSConfig struct {
	// Internode is internode_encryption ("none" when unset).
	Internode string
	// Server is the storage port's server side, Client its dialing side (both nil unless
	// Internode is all).
	Server, Client *tls.Config
	// Native serves the native port (nil: plaintext); NativeOptional also accepts plaintext.
	Native         *tls.Config
	NativeOptional bool
	// keys are the keystores in use (server, then native), re-read by Reload (nodetool reloadssl).
	keys []*keystore
}

// keystore is one PEM keystore the node serves with, swapped whole by a reload.
type keystore struct {
	section, path string
	mu            sync.RWMutex
	cert          *tls.Certificate
}

func (k *keystore) get() *tls.Certificate {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.cert
}

func (k *keystore) serverCert(*tls.ClientHelloInfo) (*tls.Certificate, error) { return k.get(), nil }

func (k *keystore) clientCert(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return k.get(), nil
}

// Reload re-reads every keystore (nodetool reloadssl, as 5.0's SSLFactory.forceCheckCertFiles):
// new connections use the new certificates. A keystore that does not load leaves them all as
// they were and is the error.
func (t *TLSConfig) Reload() error {
	if t == nil {
		return nil
	}
	certs := make([]tls.Certificate, len(t.keys))
	for i, k := range t.keys {
		c, err := readKeystore(k.section, k.path)
		if err != nil {
			return err
		}
		certs[i] = c
	}
	for i, k := range t.keys {
		k.mu.Lock()
		k.cert = &certs[i]
		k.mu.Unlock()
	}
	return nil
}

// loadTLS turns the parsed options into a TLSConfig, loading the PEM files.
func loadTLS(server, client *encryptionYAML) (*TLSConfig, error) {
	out := &TLSConfig{Internode: "none"}
	if server != nil && server.InternodeEncryption != "" {
		out.Internode = server.InternodeEncryption
	}
	switch out.Internode {
	case "none", "dc", "rack", "all":
	default:
		return nil, fmt.Errorf("server_encryption_options.internode_encryption: %q is not one of none, dc, rack, all", out.Internode)
	}
	if out.Internode != "none" {
		cert, pool, err := loadPEMStores("server_encryption_options", server)
		if err != nil {
			return nil, err
		}
		if out.Internode == "all" {
			mutual := tls.NoClientCert
			if strings.EqualFold(server.RequireClientAuth, "true") {
				mutual = tls.RequireAndVerifyClientCert
			}
			ks := &keystore{section: "server_encryption_options", path: server.Keystore, cert: &cert}
			out.keys = append(out.keys, ks)
			out.Server = &tls.Config{GetCertificate: ks.serverCert, ClientCAs: pool, ClientAuth: mutual, MinVersion: tls.VersionTLS12}
			out.Client = &tls.Config{GetClientCertificate: ks.clientCert, RootCAs: pool, MinVersion: tls.VersionTLS12}
			if !server.RequireEndpointVerification {
				out.Client.InsecureSkipVerify = true
				out.Client.VerifyPeerCertificate = verifyChainOnly(pool)
			} else if mutual == tls.RequireAndVerifyClientCert {
				// As real 5.0.8 on Java 17: the inbound engine gets endpoint identification
				// too, and the JDK's trust manager refuses every client certificate then.
				out.Server.VerifyPeerCertificate = func([][]byte, [][]*x509.Certificate) error {
					return errEndpointOnServer
				}
			}
		}
	}
	if client != nil && client.Enabled != nil && *client.Enabled {
		cert, pool, err := loadPEMStores("client_encryption_options", client)
		if err != nil {
			return nil, err
		}
		ks := &keystore{section: "client_encryption_options", path: client.Keystore, cert: &cert}
		out.keys = append(out.keys, ks)
		out.Native = &tls.Config{GetCertificate: ks.serverCert, MinVersion: tls.VersionTLS12}
		if strings.EqualFold(client.RequireClientAuth, "true") {
			out.Native.ClientCAs, out.Native.ClientAuth = pool, tls.RequireAndVerifyClientCert
		}
		out.NativeOptional = client.Optional != nil && *client.Optional
	}
	return out, nil
}

// loadPEMStores reads a PEM keystore (private key and certificate chain, one file) and truststore.
func loadPEMStores(section string, o *encryptionYAML) (tls.Certificate, *x509.CertPool, error) {
	if o.SSLContextFactory.ClassName != pemFactory {
		return tls.Certificate{}, nil, fmt.Errorf("%s.ssl_context_factory: %q: the stand-in implements %s only", section, o.SSLContextFactory.ClassName, pemFactory)
	}
	if o.KeystorePassword != "" {
		return tls.Certificate{}, nil, fmt.Errorf("%s: keystore_password given for an unencrypted PEM key (PEMReader would try to decrypt it)", section)
	}
	cert, err := readKeystore(section, o.Keystore)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	ts, err := os.ReadFile(o.Truststore)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("%s.truststore: %w", section, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ts) {
		return tls.Certificate{}, nil, fmt.Errorf("%s.truststore %s: Failed to build trust manager store for secure connections: no certificate", section, o.Truststore)
	}
	return cert, pool, nil
}

// readKeystore reads a PEM keystore: the private key and the certificate chain, one file.
func readKeystore(section, path string) (tls.Certificate, error) {
	ks, err := os.ReadFile(path)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s.keystore: %w", section, err)
	}
	cert, err := tls.X509KeyPair(ks, ks)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s.keystore %s: Failed to build key manager store for secure connections: %w", section, path, err)
	}
	return cert, nil
}

// verifyChainOnly verifies a peer's chain against pool without checking its name.
func verifyChainOnly(pool *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return fmt.Errorf("no peer certificate")
		}
		leaf, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return err
		}
		inter := x509.NewCertPool()
		for _, r := range raw[1:] {
			if c, err := x509.ParseCertificate(r); err == nil {
				inter.AddCert(c)
			}
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		return err
	}
}

// nativeConn wraps an accepted native-port connection: TLS, or (optional) TLS when the client
// starts with a TLS handshake record and plaintext otherwise.
func (t *TLSConfig) nativeConn(conn net.Conn) net.Conn {
	if t == nil || t.Native == nil {
		return conn
	}
	if !t.NativeOptional {
		return tls.Server(conn, t.Native)
	}
	br := bufio.NewReader(conn)
	b, err := br.Peek(1)
	if err != nil {
		return conn
	}
	pc := &peekedConn{Conn: conn, r: br}
	if b[0] == 0x16 { // TLS handshake record
		return tls.Server(pc, t.Native)
	}
	return pc
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// nativeMode is how the start log describes the native port.
func (t *TLSConfig) nativeMode() string {
	switch {
	case t == nil || t.Native == nil:
		return "unencrypted"
	case t.NativeOptional:
		return "optionally encrypted"
	default:
		return "encrypted"
	}
}

// internodeMode is how the start log describes the storage port.
func (t *TLSConfig) internodeMode() string {
	if t == nil || t.Server == nil {
		return "unencrypted"
	}
	return "encrypted"
}

// dialPeer opens a gossip connection to a peer: TLS with the node's certificate when internode
// encryption is all (the peer verified against the truststore and its address).
func (g *gossiper) dialPeer(conn net.Conn, addr string) (net.Conn, error) {
	if g.tls == nil || g.tls.Client == nil {
		return conn, nil
	}
	cfg := g.tls.Client.Clone()
	cfg.ServerName = addr
	tc := tls.Client(conn, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	return tc, nil
}
