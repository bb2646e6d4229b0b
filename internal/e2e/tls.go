package e2e

import (
	"context"
	"crypto/tls"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cassmesos/cassmesos/internal/tlsutil"
)

// PKIDir is the world's `cassmesosd certs init` directory (ca.crt, ca.key, daemon.crt/.key,
// admin.crt/.key); empty when the world runs with Options.Insecure.
func (w *World) PKIDir() string {
	if w.opts.Insecure {
		return ""
	}
	return filepath.Join(w.dir, "pki")
}

// initPKI runs the real `cassmesosd certs init` for the world, with the daemon's address as a SAN.
func (w *World) initPKI() {
	w.t.Helper()
	if w.opts.Insecure {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	host := strings.Split(w.grpcAddr, ":")[0]
	out, err := exec.CommandContext(ctx, w.bins.Daemon, "certs", "init", "--dir", w.PKIDir(), "--san", host).CombinedOutput()
	if err != nil {
		w.t.Fatalf("e2e: cassmesosd certs init: %v\n%s", err, out)
	}
}

// daemonTLSFlags are cassmesosd's TLS flags: mutual TLS required, or --insecure.
func (w *World) daemonTLSFlags() []string {
	if w.opts.Insecure {
		return []string{"--insecure"}
	}
	return []string{"--tls-dir", w.PKIDir(), "--tls-require-client-cert"}
}

// cliEnv gives the CLI the world's CA and the admin client certificate.
func (w *World) cliEnv() []string {
	if w.opts.Insecure {
		return []string{"CASSMESOS_INSECURE=true"}
	}
	d := w.PKIDir()
	return []string{"CASSMESOS_CA=" + filepath.Join(d, "ca.crt"), "CASSMESOS_CERT=" + filepath.Join(d, "admin.crt"),
		"CASSMESOS_KEY=" + filepath.Join(d, "admin.key")}
}

// ClientTLS is a client TLS config trusting the world's CA and presenting the certificate
// DIR/name.crt (name "admin" for the admin certificate); nil for an insecure world.
func (w *World) ClientTLS(name string) *tls.Config {
	w.t.Helper()
	if w.opts.Insecure {
		return nil
	}
	d := w.PKIDir()
	f := tlsutil.Files{CA: filepath.Join(d, "ca.crt")}
	if name != "" {
		f.Cert, f.Key = filepath.Join(d, name+".crt"), filepath.Join(d, name+".key")
	}
	src, err := tlsutil.NewSource(f, 0, nil)
	if err != nil {
		w.t.Fatalf("e2e: client TLS %s: %v", name, err)
	}
	return tlsutil.ClientConfig(src, "")
}

// transportCreds are the harness's own gRPC credentials: the admin certificate over TLS.
func (w *World) transportCreds() grpc.DialOption {
	if w.opts.Insecure {
		return grpc.WithTransportCredentials(insecure.NewCredentials())
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(w.ClientTLS("admin")))
}
