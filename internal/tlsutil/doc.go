// Package tlsutil is cassmesos's small PKI and TLS plumbing: it creates a CA (ECDSA P-256),
// issues server and client certificates whose Subject carries the identity (CN) and the role
// (Organization), reads and writes them as PEM files, and builds tls.Configs whose certificate,
// key and CA pool are re-read from their files when those change, so a renewed certificate is
// taken up without a restart. Only crypto/x509 and crypto/tls are used.
package tlsutil
