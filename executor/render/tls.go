package render

import (
	"errors"
	"fmt"
	"io/fs"
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
// for t, each 0600 (an earlier file is removed first, so its mode cannot linger).
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
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return err
		}
		if err := os.Chmod(f.path, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// setEncryption renders server_encryption_options and client_encryption_options for t (the whole
// mappings: whatever the distribution's file said is replaced).
func setEncryption(root *yaml.Node, t *TLSSettings) {
	factory := func() *yaml.Node {
		return mapNode(strNode("class_name"), strNode(PEMSslContextFactory))
	}
	// Internode TLS is mutual: every node presents its certificate and verifies its peer's
	// against the CA and the peer's address. optional: false refuses plaintext peers when
	// internode_encryption covers them.
	setScalar(root, "server_encryption_options", mapNode(
		strNode("internode_encryption"), strNode(t.Internode),
		strNode("legacy_ssl_storage_port_enabled"), boolNode(false),
		strNode("optional"), boolNode(false),
		strNode("ssl_context_factory"), factory(),
		strNode("keystore"), strNode(t.Keystore),
		strNode("truststore"), strNode(t.Truststore),
		strNode("require_client_auth"), boolNode(true),
		strNode("require_endpoint_verification"), boolNode(true),
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
