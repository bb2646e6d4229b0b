package render

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/cassmesos/cassmesos/internal/tlsutil"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// The encryption options are rendered for Cassandra 5.0's PEMBasedSslContextFactory, whole
// (the distribution's JKS keystore, password and store type are gone).
func TestOverlayYAMLEncryption(t *testing.T) {
	wantServer := func(internode string) map[string]any {
		return map[string]any{
			"internode_encryption": internode, "legacy_ssl_storage_port_enabled": false, "optional": false,
			"ssl_context_factory": map[string]any{"class_name": "org.apache.cassandra.security.PEMBasedSslContextFactory"},
			"keystore":            "/sb/conf/cassandra-tls.pem", "truststore": "/sb/conf/cassandra-ca.pem",
			"require_client_auth": true, "require_endpoint_verification": false,
		}
	}
	wantClient := func(optional bool) map[string]any {
		return map[string]any{
			"enabled": true, "optional": optional,
			"ssl_context_factory": map[string]any{"class_name": "org.apache.cassandra.security.PEMBasedSslContextFactory"},
			"keystore":            "/sb/conf/cassandra-tls.pem", "truststore": "/sb/conf/cassandra-ca.pem",
			"require_client_auth": false,
		}
	}
	for _, c := range []struct {
		internode, client string
		server, cl        map[string]any
	}{
		{"all", "required", wantServer("all"), wantClient(false)},
		{"dc", "optional", wantServer("dc"), wantClient(true)},
		{"none", "required", wantServer("none"), wantClient(false)},
		{"rack", "none", wantServer("rack"), map[string]any{"enabled": false}},
	} {
		s := baseSettings()
		s.TLS = &TLSSettings{Internode: c.internode, Client: c.client, Keystore: "/sb/conf/cassandra-tls.pem", Truststore: "/sb/conf/cassandra-ca.pem"}
		out, err := OverlayYAML(sampleYAML(t), s)
		if err != nil {
			t.Fatal(err)
		}
		got := decode(t, out)
		if !reflect.DeepEqual(got["server_encryption_options"], c.server) {
			t.Errorf("%s/%s: server_encryption_options = %#v\nwant %#v", c.internode, c.client, got["server_encryption_options"], c.server)
		}
		if !reflect.DeepEqual(got["client_encryption_options"], c.cl) {
			t.Errorf("%s/%s: client_encryption_options = %#v\nwant %#v", c.internode, c.client, got["client_encryption_options"], c.cl)
		}
		if got["storage_port"] != 7100 || got["native_transport_port"] != 9142 {
			t.Errorf("ports changed: %v %v", got["storage_port"], got["native_transport_port"])
		}
		if strings.Contains(string(out), "keystore_password") {
			t.Errorf("%s/%s: a keystore_password is rendered (PEMReader would try to decrypt the unencrypted key)", c.internode, c.client)
		}
	}
	s := baseSettings()
	s.TLS = &TLSSettings{Internode: "some", Client: "none", Keystore: "/k", Truststore: "/t"}
	if _, err := OverlayYAML(sampleYAML(t), s); err == nil || !strings.Contains(err.Error(), "internode_encryption") {
		t.Errorf("bad internode value: %v", err)
	}
	s.TLS = &TLSSettings{Internode: "all", Client: "none", Keystore: "k", Truststore: "/t"}
	if _, err := OverlayYAML(sampleYAML(t), s); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("relative keystore: %v", err)
	}
}

// Materialize writes the keystore (key, then certificate) and truststore 0600 and points
// cassandra.yaml at them; encryption without the material, or with a certificate for another
// address, writes nothing.
func TestMaterializeWritesTLSFilesOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "apache-cassandra-5.0.8")
	if err := os.MkdirAll(filepath.Join(home, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "conf", "cassandra.yaml"), sampleYAML(t), 0o644); err != nil {
		t.Fatal(err)
	}
	ca, err := tlsutil.NewCA("test", 0)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(tlsutil.Issue{Name: "n", Server: true, Client: true, SANs: []string{"127.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	p := Paths{Home: home, Conf: filepath.Join(dir, "conf"), Data: filepath.Join(dir, "volume"), Logs: filepath.Join(dir, "logs")}
	enc := &cassmesosv1.Encryption{Internode: cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_ALL, Client: cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_REQUIRED}
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "r", Address: "127.0.0.2", JmxPassword: testJMXPassword, Encryption: enc,
		CassandraTlsCert: cert, CassandraTlsKey: key, CassandraTlsCa: ca.CertPEM}
	for range 2 {
		if err := Materialize(cfg, p, true); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{TLSKeystoreFile: string(key) + string(cert), TLSTruststoreFile: string(ca.CertPEM)} {
		path := filepath.Join(p.Conf, name)
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, st.Mode().Perm())
		}
		if b, _ := os.ReadFile(path); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
	b, _ := os.ReadFile(filepath.Join(p.Conf, "cassandra.yaml"))
	y := decode(t, b)
	if so := y["server_encryption_options"].(map[string]any); so["keystore"] != filepath.Join(p.Conf, TLSKeystoreFile) || so["internode_encryption"] != "all" {
		t.Errorf("server_encryption_options = %v", so)
	}
	if co := y["client_encryption_options"].(map[string]any); co["enabled"] != true || co["optional"] != false {
		t.Errorf("client_encryption_options = %v", co)
	}

	for name, mut := range map[string]func(c *cassmesosv1.NodeTaskConfig){
		"no key":          func(c *cassmesosv1.NodeTaskConfig) { c.CassandraTlsKey = nil },
		"another address": func(c *cassmesosv1.NodeTaskConfig) { c.Address = "127.0.0.3" },
		"another CA": func(c *cassmesosv1.NodeTaskConfig) {
			other, _ := tlsutil.NewCA("other", 0)
			c.CassandraTlsCa = other.CertPEM
		},
	} {
		c := &cassmesosv1.NodeTaskConfig{Ring: "r", Address: "127.0.0.2", JmxPassword: testJMXPassword, Encryption: enc,
			CassandraTlsCert: cert, CassandraTlsKey: key, CassandraTlsCa: ca.CertPEM}
		mut(c)
		conf := filepath.Join(dir, "conf-"+strings.ReplaceAll(name, " ", "-"))
		err := Materialize(c, Paths{Home: home, Conf: conf, Data: p.Data, Logs: p.Logs}, true)
		if err == nil || !strings.Contains(err.Error(), "NodeTaskConfig.") {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := os.Stat(conf); err == nil {
			t.Errorf("%s: the configuration directory was written", name)
		}
	}
}

// RenewTLSFiles replaces the keystore and truststore with a new certificate (0600, nothing else
// left in the directory), and refuses bad material, or a plaintext ring, without touching them.
func TestRenewTLSFiles(t *testing.T) {
	conf := t.TempDir()
	ca, err := tlsutil.NewCA("test", 0)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(san string) ([]byte, []byte) {
		c, k, err := ca.Issue(tlsutil.Issue{Name: "n", Server: true, Client: true, SANs: []string{san}})
		if err != nil {
			t.Fatal(err)
		}
		return c, k
	}
	enc := &cassmesosv1.Encryption{Internode: cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_ALL}
	cfgWith := func(cert, key []byte) *cassmesosv1.NodeTaskConfig {
		return &cassmesosv1.NodeTaskConfig{Ring: "r", Address: "127.0.0.2", Encryption: enc, CassandraTlsCert: cert, CassandraTlsKey: key, CassandraTlsCa: ca.CertPEM}
	}
	c1, k1 := issue("127.0.0.2")
	if err := WriteTLSFiles(TLSSettingsFor(cfgWith(c1, k1), conf), cfgWith(c1, k1)); err != nil {
		t.Fatal(err)
	}
	c2, k2 := issue("127.0.0.2")
	leaf, err := RenewTLSFiles(cfgWith(c2, k2), conf)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(conf, TLSKeystoreFile)); string(b) != string(k2)+string(c2) {
		t.Fatalf("keystore not replaced")
	}
	blk, _ := pem.Decode(c2)
	if want, _ := x509.ParseCertificate(blk.Bytes); leaf.SerialNumber.Cmp(want.SerialNumber) != 0 {
		t.Errorf("returned serial %v, want %v", leaf.SerialNumber, want.SerialNumber)
	}
	entries, _ := os.ReadDir(conf)
	for _, e := range entries {
		st, _ := os.Stat(filepath.Join(conf, e.Name()))
		if e.Name() != TLSKeystoreFile && e.Name() != TLSTruststoreFile {
			t.Errorf("left behind: %s", e.Name())
		} else if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", e.Name(), st.Mode().Perm())
		}
	}
	other, _ := tlsutil.NewCA("other", 0)
	c3, k3 := issue("127.0.0.9")
	for name, cfg := range map[string]*cassmesosv1.NodeTaskConfig{
		"another address": cfgWith(c3, k3),
		"key of another":  cfgWith(c2, k1),
		"another CA":      func() *cassmesosv1.NodeTaskConfig { c := cfgWith(c2, k2); c.CassandraTlsCa = other.CertPEM; return c }(),
		"plaintext ring":  func() *cassmesosv1.NodeTaskConfig { c := cfgWith(c2, k2); c.Encryption = nil; return c }(),
	} {
		if _, err := RenewTLSFiles(cfg, conf); !errors.Is(err, ErrBadTLSMaterial) {
			t.Errorf("%s: %v, want ErrBadTLSMaterial", name, err)
		}
		if b, _ := os.ReadFile(filepath.Join(conf, TLSKeystoreFile)); string(b) != string(k2)+string(c2) {
			t.Fatalf("%s: the keystore was changed", name)
		}
	}
}
