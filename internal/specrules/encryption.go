package specrules

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Internode encryption values as the CLI and cassandra.yaml (internode_encryption) spell them.
var internodeNames = map[cassmesosv1.InternodeEncryption]string{
	cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_UNSPECIFIED: "none",
	cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_NONE:        "none",
	cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_DC:          "dc",
	cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_RACK:        "rack",
	cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_ALL:         "all",
}

// Client encryption values as the CLI spells them.
var clientNames = map[cassmesosv1.ClientEncryption]string{
	cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_UNSPECIFIED: "none",
	cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_NONE:        "none",
	cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_OPTIONAL:    "optional",
	cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_REQUIRED:    "required",
}

// InternodeEncryptionValues and ClientEncryptionValues are the words ParseInternodeEncryption and
// ParseClientEncryption accept.
var (
	InternodeEncryptionValues = []string{"none", "dc", "rack", "all"}
	ClientEncryptionValues    = []string{"none", "optional", "required"}
)

// InternodeName is cassandra.yaml's internode_encryption value for v ("none" for unset); "" for
// a value outside the enum.
func InternodeName(v cassmesosv1.InternodeEncryption) string { return internodeNames[v] }

// ClientName is the CLI's word for v ("none" for unset); "" for a value outside the enum.
func ClientName(v cassmesosv1.ClientEncryption) string { return clientNames[v] }

// ParseInternodeEncryption maps none|dc|rack|all to the enum.
func ParseInternodeEncryption(field, s string) (cassmesosv1.InternodeEncryption, error) {
	for _, v := range []cassmesosv1.InternodeEncryption{cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_NONE,
		cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_DC, cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_RACK,
		cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_ALL} {
		if internodeNames[v] == strings.ToLower(s) {
			return v, nil
		}
	}
	return 0, bad(field, s, "want one of %s", strings.Join(InternodeEncryptionValues, ", "))
}

// ParseClientEncryption maps none|optional|required to the enum.
func ParseClientEncryption(field, s string) (cassmesosv1.ClientEncryption, error) {
	for _, v := range []cassmesosv1.ClientEncryption{cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_NONE,
		cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_OPTIONAL, cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_REQUIRED} {
		if clientNames[v] == strings.ToLower(s) {
			return v, nil
		}
	}
	return 0, bad(field, s, "want one of %s", strings.Join(ClientEncryptionValues, ", "))
}

// EncryptionOn reports whether e asks for any TLS (internode other than none, or client TLS).
func EncryptionOn(e *cassmesosv1.Encryption) bool {
	in, cl := e.GetInternode(), e.GetClient()
	return (in != cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_UNSPECIFIED && in != cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_NONE) ||
		(cl != cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_UNSPECIFIED && cl != cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_NONE)
}

// Encryption checks an encryption setting: both values known. Fields are named
// prefix+"encryption.internode" and prefix+"encryption.client".
func Encryption(prefix string, e *cassmesosv1.Encryption) error {
	if _, ok := internodeNames[e.GetInternode()]; !ok {
		return &Error{Field: prefix + "encryption.internode", NoValue: true,
			Reason: fmt.Sprintf("%d is not an internode encryption (%s)", e.GetInternode(), strings.Join(InternodeEncryptionValues, ", "))}
	}
	if _, ok := clientNames[e.GetClient()]; !ok {
		return &Error{Field: prefix + "encryption.client", NoValue: true,
			Reason: fmt.Sprintf("%d is not a client encryption (%s)", e.GetClient(), strings.Join(ClientEncryptionValues, ", "))}
	}
	return nil
}

// TLSMaterial checks a node's Cassandra certificate, key and CA bundle (PEM) before they are
// written for Cassandra's PEMBasedSslContextFactory: exactly one PKCS#8 "PRIVATE KEY" block (the
// form Cassandra's PEMReader reads), a certificate that belongs to the key, is valid for
// both server and client authentication (internode TLS is mutual) and chains to the CA bundle,
// and a SAN for address. Fields are named prefix+"cassandra_tls_cert" etc. Nothing is printed
// of the key.
func TLSMaterial(prefix string, certPEM, keyPEM, caPEM []byte, address string) error {
	certF, keyF, caF := prefix+"cassandra_tls_cert", prefix+"cassandra_tls_key", prefix+"cassandra_tls_ca"
	noValue := func(field, format string, args ...any) error {
		return &Error{Field: field, NoValue: true, Reason: fmt.Sprintf(format, args...)}
	}
	certs, err := pemCerts(certPEM)
	if err != nil {
		return noValue(certF, "no PEM certificate: %v", err)
	}
	if len(certs) == 0 {
		return noValue(certF, "no PEM certificate")
	}
	cas, err := pemCerts(caPEM)
	if err != nil {
		return noValue(caF, "no PEM CA certificate: %v", err)
	}
	if len(cas) == 0 {
		return noValue(caF, "no PEM CA certificate")
	}
	var keyBlocks []*pem.Block
	for rest := keyPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		keyBlocks = append(keyBlocks, b)
	}
	if len(keyBlocks) != 1 || keyBlocks[0].Type != "PRIVATE KEY" {
		return noValue(keyF, "want one unencrypted PKCS#8 PEM block (PRIVATE KEY)")
	}
	k, err := x509.ParsePKCS8PrivateKey(keyBlocks[0].Bytes)
	if err != nil {
		return noValue(keyF, "not a PKCS#8 private key: %v", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return noValue(keyF, "%T is not a signing key", k)
	}
	leaf := certs[0]
	if pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(signer.Public()) {
		return noValue(keyF, "does not belong to the certificate %q", leaf.Subject.CommonName)
	}
	pool := x509.NewCertPool()
	for _, c := range cas {
		pool.AddCert(c)
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			return noValue(certF, "%q does not verify against %s for %s: %v", leaf.Subject.CommonName, caF, usageName(usage), err)
		}
	}
	if address != "" {
		if err := leaf.VerifyHostname(address); err != nil {
			return noValue(certF, "not valid for the node's address: %v", err)
		}
	}
	return nil
}

func usageName(u x509.ExtKeyUsage) string {
	if u == x509.ExtKeyUsageServerAuth {
		return "server authentication"
	}
	return "client authentication"
}

func pemCerts(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for rest := b; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			return out, nil
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}
