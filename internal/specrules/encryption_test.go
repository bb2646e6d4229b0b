package specrules_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/internal/specrules"
	"github.com/cassmesos/cassmesos/internal/tlsutil"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestEncryptionValues(t *testing.T) {
	for _, s := range specrules.InternodeEncryptionValues {
		v, err := specrules.ParseInternodeEncryption("f", strings.ToUpper(s))
		if err != nil || specrules.InternodeName(v) != s {
			t.Errorf("internode %q: %v %v", s, v, err)
		}
	}
	for _, s := range specrules.ClientEncryptionValues {
		v, err := specrules.ParseClientEncryption("f", s)
		if err != nil || specrules.ClientName(v) != s {
			t.Errorf("client %q: %v %v", s, v, err)
		}
	}
	if _, err := specrules.ParseInternodeEncryption("--internode-encryption", "some"); err == nil ||
		err.Error() != `--internode-encryption: "some": want one of none, dc, rack, all` {
		t.Errorf("bad internode: %v", err)
	}
	if _, err := specrules.ParseClientEncryption("--client-encryption", "yes"); err == nil ||
		err.Error() != `--client-encryption: "yes": want one of none, optional, required` {
		t.Errorf("bad client: %v", err)
	}
	for _, c := range []struct {
		e    *cassmesosv1.Encryption
		on   bool
		want string
	}{
		{nil, false, ""},
		{&cassmesosv1.Encryption{}, false, ""},
		{&cassmesosv1.Encryption{Internode: cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_NONE, Client: cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_NONE}, false, ""},
		{&cassmesosv1.Encryption{Internode: cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_RACK}, true, ""},
		{&cassmesosv1.Encryption{Client: cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_OPTIONAL}, true, ""},
		{&cassmesosv1.Encryption{Internode: 5}, true, "s.encryption.internode: 5 is not an internode encryption (none, dc, rack, all)"},
		{&cassmesosv1.Encryption{Client: -1}, true, "s.encryption.client: -1 is not a client encryption (none, optional, required)"},
	} {
		err := specrules.Encryption("s.", c.e)
		if (c.want == "" && err != nil) || (c.want != "" && (err == nil || err.Error() != c.want)) {
			t.Errorf("Encryption(%v) = %v, want %q", c.e, err, c.want)
		}
		if c.want == "" && specrules.EncryptionOn(c.e) != c.on {
			t.Errorf("EncryptionOn(%v) = %v", c.e, !c.on)
		}
	}
}

func TestTLSMaterial(t *testing.T) {
	ca, err := tlsutil.NewCA("test", 0)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := tlsutil.NewCA("other", 0)
	issue := func(c *tlsutil.CA, server, client bool, sans ...string) ([]byte, []byte) {
		t.Helper()
		cert, key, err := c.Issue(tlsutil.Issue{Name: "n0.r1.cassandra", Server: server, Client: client, SANs: sans})
		if err != nil {
			t.Fatal(err)
		}
		return cert, key
	}
	cert, key := issue(ca, true, true, "10.0.0.1", "host1")
	serverOnly, serverOnlyKey := issue(ca, true, false, "10.0.0.1")
	foreign, foreignKey := issue(other, true, true, "10.0.0.1")
	_, otherKey := issue(ca, true, true, "10.0.0.1")
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	sec1PEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})

	cases := []struct {
		name            string
		cert, key, ca   []byte
		address, wantIn string
	}{
		{"good", cert, key, ca.CertPEM, "10.0.0.1", ""},
		{"good by host name", cert, key, ca.CertPEM, "host1", ""},
		{"no certificate", nil, key, ca.CertPEM, "", "p.cassandra_tls_cert: no PEM certificate"},
		{"no CA", cert, key, []byte("junk"), "", "p.cassandra_tls_ca: no PEM CA certificate"},
		{"SEC 1 key", cert, sec1PEM, ca.CertPEM, "", "p.cassandra_tls_key: want one unencrypted PKCS#8 PEM block (PRIVATE KEY)"},
		{"two keys", cert, append(append([]byte{}, key...), otherKey...), ca.CertPEM, "", "want one unencrypted PKCS#8 PEM block"},
		{"another key", cert, otherKey, ca.CertPEM, "", `p.cassandra_tls_key: does not belong to the certificate "n0.r1.cassandra"`},
		{"server only", serverOnly, serverOnlyKey, ca.CertPEM, "", "for client authentication"},
		{"another CA", foreign, foreignKey, ca.CertPEM, "", "does not verify against p.cassandra_tls_ca"},
		{"wrong address", cert, key, ca.CertPEM, "10.0.0.2", "p.cassandra_tls_cert: not valid for the node's address"},
	}
	for _, c := range cases {
		err := specrules.TLSMaterial("p.", c.cert, c.key, c.ca, c.address)
		switch {
		case c.wantIn == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.wantIn != "" && (err == nil || !strings.Contains(err.Error(), c.wantIn)):
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.wantIn)
		case err != nil && strings.Contains(err.Error(), "PRIVATE KEY-----"):
			t.Errorf("%s: the error shows key material", c.name)
		}
	}
}
