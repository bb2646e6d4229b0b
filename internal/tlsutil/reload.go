package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// DefaultReloadInterval is how often, at most, a Source looks at its files again.
const DefaultReloadInterval = time.Second

// Files names the PEM files of one TLS identity; any may be empty. Cert and Key go together.
type Files struct {
	Cert, Key, CA string
}

// Source holds a certificate, its key and a CA pool read from Files and re-reads them when a
// file changes (its size, modification time or identity, as a rename over it changes), at most
// once per interval. A change that does not load (a half-written pair, a key not matching its
// certificate) keeps the previous material and is logged; it is tried again on the next look.
type Source struct {
	files    Files
	interval time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	checked time.Time
	stamps  [3]stamp
	cert    *tls.Certificate
	leaf    *x509.Certificate
	pool    *x509.CertPool
	caPEM   []byte
}

type stamp struct {
	info os.FileInfo
}

func (s stamp) same(fi os.FileInfo) bool {
	return s.info != nil && fi != nil && os.SameFile(s.info, fi) && s.info.Size() == fi.Size() && s.info.ModTime().Equal(fi.ModTime())
}

// NewSource reads the files once (an error names the file) and returns a Source that keeps them
// current. interval <= 0 looks at the files on every use; log may be nil.
func NewSource(f Files, interval time.Duration, log *slog.Logger) (*Source, error) {
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("a certificate needs its key and a key its certificate")
	}
	if f.Cert == "" && f.CA == "" {
		return nil, errors.New("no certificate and no CA given")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{files: f, interval: interval, log: log}
	st, err := s.stat()
	if err != nil {
		return nil, err
	}
	if err := s.load(st); err != nil {
		return nil, err
	}
	s.checked = time.Now()
	return s, nil
}

func (s *Source) paths() [3]string { return [3]string{s.files.Cert, s.files.Key, s.files.CA} }

func (s *Source) stat() ([3]stamp, error) {
	var out [3]stamp
	for i, p := range s.paths() {
		if p == "" {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return out, err
		}
		out[i] = stamp{info: fi}
	}
	return out, nil
}

// load reads every file and replaces the material; s.mu is held or s is not shared yet.
func (s *Source) load(st [3]stamp) error {
	var (
		cert *tls.Certificate
		leaf *x509.Certificate
		pool *x509.CertPool
		ca   []byte
	)
	if s.files.Cert != "" {
		c, err := tls.LoadX509KeyPair(s.files.Cert, s.files.Key)
		if err != nil {
			return fmt.Errorf("certificate %s / key %s: %w", s.files.Cert, s.files.Key, err)
		}
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return fmt.Errorf("certificate %s: %w", s.files.Cert, err)
		}
		c.Leaf = leaf
		cert = &c
	}
	if s.files.CA != "" {
		b, err := os.ReadFile(s.files.CA)
		if err != nil {
			return err
		}
		if pool, err = Pool(b); err != nil {
			return fmt.Errorf("CA %s: %w", s.files.CA, err)
		}
		ca = b
	}
	s.cert, s.leaf, s.pool, s.caPEM, s.stamps = cert, leaf, pool, ca, st
	return nil
}

// refresh re-reads the files if one changed since the last load.
func (s *Source) refresh() {
	now := time.Now()
	if s.interval > 0 && now.Sub(s.checked) < s.interval {
		return
	}
	s.checked = now
	st, err := s.stat()
	if err != nil {
		s.log.Warn("TLS files not readable; keeping the loaded ones", "err", err)
		return
	}
	changed := false
	for i := range st {
		if st[i].info != nil && !s.stamps[i].same(st[i].info) {
			changed = true
		}
	}
	if !changed {
		return
	}
	if err := s.load(st); err != nil {
		s.log.Warn("TLS files changed but do not load; keeping the loaded ones", "err", err)
		return
	}
	s.log.Info("TLS files reloaded", "cert", s.files.Cert, "ca", s.files.CA)
}

// Current returns the current certificate (nil without one), its parsed leaf, the CA pool (nil
// without one) and the CA bundle's PEM.
func (s *Source) Current() (*tls.Certificate, *x509.Certificate, *x509.CertPool, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh()
	return s.cert, s.leaf, s.pool, s.caPEM
}

// Certificate returns the current certificate (an error when the Source has none).
func (s *Source) Certificate() (*tls.Certificate, error) {
	c, _, _, _ := s.Current()
	if c == nil {
		return nil, errors.New("no certificate configured")
	}
	return c, nil
}

// ServerConfig is a server tls.Config presenting src's certificate and verifying client
// certificates against src's CA pool, both as they are when each handshake starts. auth is how
// client certificates are asked for (tls.VerifyClientCertIfGiven, tls.RequireAndVerifyClientCert;
// without a CA pool no client certificate is asked for).
func ServerConfig(src *Source, auth tls.ClientAuthType) *tls.Config {
	perConn := func() (*tls.Config, error) {
		cert, _, pool, _ := src.Current()
		if cert == nil {
			return nil, errors.New("no server certificate configured")
		}
		c := &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{*cert},
			NextProtos:   []string{"h2", "http/1.1"},
		}
		if pool != nil {
			c.ClientCAs, c.ClientAuth = pool, auth
		}
		return c, nil
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return perConn()
		},
		// Used only by callers that read Certificates without a handshake.
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return src.Certificate() },
	}
}

// ClientConfig is a client tls.Config trusting src's CA pool (the system roots without one) and
// presenting src's certificate, if it has one, as they are now; serverName overrides the name
// verified (empty: the dialled host).
func ClientConfig(src *Source, serverName string) *tls.Config {
	_, _, pool, _ := src.Current()
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    pool,
		ServerName: serverName,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c, _, _, _ := src.Current()
			if c == nil {
				return &tls.Certificate{}, nil // no certificate: send none
			}
			return c, nil
		},
	}
}
