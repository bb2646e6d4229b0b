package render

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cassmesos/cassmesos/internal/specrules"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Cassandra's own TLS (issue 13). When a ring's spec.encryption asks for it, the task carries a
// certificate and key issued by the daemon's CA for this node (serverAuth and clientAuth: internode
// TLS is mutual) and the CA bundle. The executor writes them into the node's configuration
// directory, readable by the task's user only, and points cassandra.yaml's
// server_encryption_options and client_encryption_options at them through Cassandra's
// PEMBasedSslContextFactory (5.0; no JKS keystores, no passwords: the key is unencrypted PKCS#8 in
// a 0600 file).
const (
	// TLSKeystoreFile holds the node's private key followed by its certificate (the
	// PEMBasedSslContextFactory "keystore").
	TLSKeystoreFile = "cassandra-tls.pem"
	// TLSTruststoreFile holds the CA bundle peers' (and clients') certificates are verified
	// against.
	TLSTruststoreFile = "cassandra-ca.pem"
	// PEMSslContextFactory is Cassandra's PEM-based SSL context factory.
	PEMSslContextFactory = "org.apache.cassandra.security.PEMBasedSslContextFactory"
)

// TLSSettings are the encryption values rendered into cassandra.yaml.
type TLSSettings struct {
	// Internode is internode_encryption: none, dc, rack or all.
	Internode string
	// Client is none, optional or required.
	Client string
	// Keystore and Truststore are the absolute paths of TLSKeystoreFile and TLSTruststoreFile.
	Keystore, Truststore string
}

func (t *TLSSettings) validate() error {
	if t == nil {
		return nil
	}
	ok := func(v string, vs []string) bool {
		for _, x := range vs {
			if v == x {
				return true
			}
		}
		return false
	}
	switch {
	case !ok(t.Internode, specrules.InternodeEncryptionValues):
		return fmt.Errorf("internode_encryption %q: want one of %s", t.Internode, strings.Join(specrules.InternodeEncryptionValues, ", "))
	case !ok(t.Client, specrules.ClientEncryptionValues):
		return fmt.Errorf("client encryption %q: want one of %s", t.Client, strings.Join(specrules.ClientEncryptionValues, ", "))
	case !filepath.IsAbs(t.Keystore) || !filepath.IsAbs(t.Truststore):
		return fmt.Errorf("TLS files %q, %q: must be absolute", t.Keystore, t.Truststore)
	}
	return nil
}

// TLSSettingsFor returns the TLS settings of cfg with the files under conf, nil when cfg asks for
// no encryption.
func TLSSettingsFor(cfg *cassmesosv1.NodeTaskConfig, conf string) *TLSSettings {
	e := cfg.GetEncryption()
	if !specrules.EncryptionOn(e) {
		return nil
	}
	if abs, err := filepath.Abs(conf); err == nil {
		conf = abs
	}
	return &TLSSettings{
		Internode:  specrules.InternodeName(e.GetInternode()),
		Client:     specrules.ClientName(e.GetClient()),
		Keystore:   filepath.Join(conf, TLSKeystoreFile),
		Truststore: filepath.Join(conf, TLSTruststoreFile),
	}
}

// checkTLS checks the encryption setting and, when it is on, the certificate, key and CA the task
// carries.
func checkTLS(cfg *cassmesosv1.NodeTaskConfig) error {
	if err := specrules.Encryption(configField, cfg.GetEncryption()); err != nil {
		return err
	}
	if !specrules.EncryptionOn(cfg.GetEncryption()) {
		return nil
	}
	if len(cfg.GetCassandraTlsCert()) == 0 || len(cfg.GetCassandraTlsKey()) == 0 || len(cfg.GetCassandraTlsCa()) == 0 {
		return fmt.Errorf("%sencryption is on but the task carries no Cassandra certificate, key and CA (cassandra_tls_cert, cassandra_tls_key, cassandra_tls_ca)", configField)
	}
	return specrules.TLSMaterial(configField, cfg.GetCassandraTlsCert(), cfg.GetCassandraTlsKey(), cfg.GetCassandraTlsCa(), cfg.GetAddress())
}

// WriteTLSFiles writes the keystore (key, then certificate chain) and the truststore (CA bundle)
// for t, each 0600 and atomically (a temporary file in the same directory renamed over the old
// one): Cassandra's hot reloading, or a reloadssl, never reads half a file.
func WriteTLSFiles(t *TLSSettings, cfg *cassmesosv1.NodeTaskConfig) error {
	if t == nil {
		return nil
	}
	key := append([]byte(nil), cfg.GetCassandraTlsKey()...)
	if len(key) > 0 && key[len(key)-1] != '\n' {
		key = append(key, '\n')
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{t.Keystore, append(key, cfg.GetCassandraTlsCert()...)}, {t.Truststore, cfg.GetCassandraTlsCa()}} {
		if err := writeAtomic(f.path, f.data); err != nil {
			return err
		}
	}
	return nil
}

// writeAtomic writes data to path through a 0600 temporary file in its directory, synced and
// renamed over path.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer func() { _ = os.Remove(name) }()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}

// ErrBadTLSMaterial wraps RenewTLSFiles' refusal of the certificate, key or CA (nothing written).
var ErrBadTLSMaterial = errors.New("bad TLS material")

// RenewTLSFiles checks cfg's Cassandra certificate, key and CA (as at launch: one unencrypted
// PKCS#8 key of the certificate, which chains to the CA for serverAuth and clientAuth and names
// the node's address) and writes them over the keystore and truststore in conf. It returns the
// certificate written. A ring without encryption, or bad material, is ErrBadTLSMaterial and
// writes nothing.
func RenewTLSFiles(cfg *cassmesosv1.NodeTaskConfig, conf string) (*x509.Certificate, error) {
	t := TLSSettingsFor(cfg, conf)
	if t == nil {
		return nil, fmt.Errorf("%w: the node's ring is not encrypted", ErrBadTLSMaterial)
	}
	if err := checkTLS(cfg); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadTLSMaterial, err)
	}
	blk, _ := pem.Decode(cfg.GetCassandraTlsCert())
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: cassandra_tls_cert: no CERTIFICATE block", ErrBadTLSMaterial)
	}
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: cassandra_tls_cert: %w", ErrBadTLSMaterial, err)
	}
	if err := WriteTLSFiles(t, cfg); err != nil {
		return nil, err
	}
	return leaf, nil
}

// setEncryption renders server_encryption_options and client_encryption_options for t (the whole
// mappings: whatever the distribution's file said is replaced).
func setEncryption(root *yaml.Node, t *TLSSettings) {
	factory := func() *yaml.Node {
		return mapNode(strNode("class_name"), strNode(PEMSslContextFactory))
	}
	// Internode TLS is mutual: every node presents its certificate and verifies its peer's
	// against the CA. optional: false refuses plaintext peers when internode_encryption covers
	// them. require_endpoint_verification stays false: Cassandra 5.0 applies it to inbound
	// connections too (the server engine gets endpoint identification "HTTPS"), and the JDK's
	// trust manager then refuses every client certificate ("Endpoint Identification Algorithm
	// HTTPS is not supported on the server side"): with it, no node could gossip with another.
	setScalar(root, "server_encryption_options", mapNode(
		strNode("internode_encryption"), strNode(t.Internode),
		strNode("legacy_ssl_storage_port_enabled"), boolNode(false),
		strNode("optional"), boolNode(false),
		strNode("ssl_context_factory"), factory(),
		strNode("keystore"), strNode(t.Keystore),
		strNode("truststore"), strNode(t.Truststore),
		strNode("require_client_auth"), boolNode(true),
		strNode("require_endpoint_verification"), boolNode(false),
	))
	if t.Client == "none" {
		setScalar(root, "client_encryption_options", mapNode(strNode("enabled"), boolNode(false)))
		return
	}
	setScalar(root, "client_encryption_options", mapNode(
		strNode("enabled"), boolNode(true),
		strNode("optional"), boolNode(t.Client == "optional"),
		strNode("ssl_context_factory"), factory(),
		strNode("keystore"), strNode(t.Keystore),
		strNode("truststore"), strNode(t.Truststore),
		strNode("require_client_auth"), boolNode(false),
	))
}

func mapNode(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv}
}
