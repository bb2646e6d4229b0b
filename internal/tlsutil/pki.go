package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Roles carried in a certificate's Organization.
const (
	// RoleDaemon marks the daemon's own certificate: the executors accept relays only from a
	// client certificate with this role.
	RoleDaemon = "daemon"
)

// Default validities.
const (
	CAValidity   = 10 * 365 * 24 * time.Hour
	CertValidity = 365 * 24 * time.Hour
)

// CA is a certificate authority: its certificate and private key.
type CA struct {
	Cert *x509.Certificate
	// CertPEM is the CA bundle the certificate came from (what peers should trust).
	CertPEM []byte
	Key     *ecdsa.PrivateKey
}

// NewCA creates a self-signed CA named cn, valid for validity (CAValidity when 0).
func NewCA(cn string, validity time.Duration) (*CA, error) {
	if validity <= 0 {
		validity = CAValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"cassmesos"}},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), Key: key}, nil
}

// LoadCA reads a CA certificate and its private key from PEM files.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	ca, err := ParseCA(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("CA %s / %s: %w", certFile, keyFile, err)
	}
	return ca, nil
}

// ParseCA parses a CA key and the certificate of a PEM bundle that belongs to it (a bundle may
// hold an old and a new CA during a rotation).
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	certs, err := ParseCertificates(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := ParseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	for _, cert := range certs {
		pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok || !pub.Equal(&key.PublicKey) {
			continue
		}
		if !cert.IsCA {
			return nil, fmt.Errorf("certificate %q is not a CA", cert.Subject.CommonName)
		}
		return &CA{Cert: cert, CertPEM: certPEM, Key: key}, nil
	}
	return nil, errors.New("the private key does not belong to the CA certificate")
}

// Issue describes a certificate to issue.
type Issue struct {
	// Name is the identity, the Subject's CommonName.
	Name string
	// Roles go into the Subject's Organization (the RBAC role of a client).
	Roles []string
	// Server and Client set the extended key usages (at least one).
	Server, Client bool
	// SANs are DNS names or IP addresses.
	SANs []string
	// Validity is how long the certificate is valid (CertValidity when 0); it never outlives the CA.
	Validity time.Duration
}

// Issue creates a key and a certificate signed by the CA; both are returned as PEM.
func (ca *CA) Issue(is Issue) (certPEM, keyPEM []byte, err error) {
	if strings.TrimSpace(is.Name) == "" {
		return nil, nil, errors.New("a certificate needs a name (CommonName)")
	}
	if !is.Server && !is.Client {
		return nil, nil, errors.New("a certificate must be for a server, a client or both")
	}
	if is.Validity <= 0 {
		is.Validity = CertValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        pkix.Name{CommonName: is.Name, Organization: append([]string(nil), is.Roles...)},
		NotBefore:      now.Add(-5 * time.Minute),
		NotAfter:       now.Add(is.Validity),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		SubjectKeyId:   keyID(&key.PublicKey),
		AuthorityKeyId: ca.Cert.SubjectKeyId,
	}
	if tmpl.NotAfter.After(ca.Cert.NotAfter) {
		tmpl.NotAfter = ca.Cert.NotAfter
	}
	if is.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if is.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	for _, s := range is.SANs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if ip := net.ParseIP(s); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if err := checkDNSName(s); err != nil {
			return nil, nil, err
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, s)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = EncodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

func checkDNSName(s string) error {
	if len(s) > 253 {
		return fmt.Errorf("SAN %q: too long for a DNS name", s)
	}
	for _, label := range strings.Split(strings.TrimPrefix(s, "*."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("SAN %q: not an IP address or a DNS name", s)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("SAN %q: not an IP address or a DNS name", s)
			}
		}
	}
	return nil
}

// EncodeKey encodes an ECDSA private key as a PKCS#8 "PRIVATE KEY" PEM block.
func EncodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKey parses an ECDSA private key from PEM (PKCS#8 or SEC 1).
func ParseKey(keyPEM []byte) (*ecdsa.PrivateKey, error) {
	for rest := keyPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, errors.New("no PRIVATE KEY PEM block found")
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, err
			}
			ec, ok := k.(*ecdsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("private key is %T, want ECDSA", k)
			}
			return ec, nil
		case "EC PRIVATE KEY":
			return x509.ParseECPrivateKey(b.Bytes)
		}
	}
}

// ParseCertificates parses every CERTIFICATE block of a PEM bundle (at least one).
func ParseCertificates(certPEM []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for rest := certPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no CERTIFICATE PEM block found")
	}
	return out, nil
}

// Pool builds a certificate pool from a PEM bundle.
func Pool(caPEM []byte) (*x509.CertPool, error) {
	certs, err := ParseCertificates(caPEM)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p, nil
}

// WriteFile writes data to path atomically (a temporary file renamed over it) with mode perm,
// creating the directory (0700) if needed.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Roles returns a certificate's roles (its Subject's Organization).
func Roles(c *x509.Certificate) []string { return c.Subject.Organization }

// HasRole reports whether a certificate carries role.
func HasRole(c *x509.Certificate, role string) bool {
	for _, r := range c.Subject.Organization {
		if r == role {
			return true
		}
	}
	return false
}

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func keyID(pub *ecdsa.PublicKey) []byte {
	b, err := pub.Bytes()
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(b)
	return sum[:20]
}
