package daemon

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cassmesos/cassmesos/internal/tlsutil"
)

// File names `cassmesosd certs init` writes in its directory (and --tls-dir reads).
const (
	CACertFile     = "ca.crt"
	CAKeyFile      = "ca.key"
	DaemonCertFile = "daemon.crt"
	DaemonKeyFile  = "daemon.key"
	AdminCertFile  = "admin.crt"
	AdminKeyFile   = "admin.key"
)

const certsUsage = `usage:
  cassmesosd certs init  --dir DIR [--san HOST ...] [--force]
  cassmesosd certs issue --dir DIR --name NAME --role ROLE [--client|--server] [--san HOST ...] [--days N]

init creates a CA (ca.crt, ca.key), the daemon's certificate (daemon.crt/.key: server and client,
role "daemon", SANs localhost, 127.0.0.1 and each --san) and an admin client certificate
(admin.crt/.key: name "admin", role "admin") in DIR. Keys are written 0600.
issue signs a new certificate with DIR's CA into DIR/NAME.crt and DIR/NAME.key; the name is the
certificate's CommonName (the identity) and each --role goes into its Organization.
`

// runCerts runs `cassmesosd certs ...`.
func runCerts(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, certsUsage)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	var err error
	switch args[0] {
	case "init":
		err = certsInit(args[1:], stdout, stderr)
	case "issue":
		err = certsIssue(args[1:], stdout, stderr)
	default:
		err = usageError{fmt.Errorf("unknown certs command %q (want init or issue)", args[0])}
	}
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "cassmesosd certs: %v\n%s", err, certsUsage)
		return ExitUsage
	case err != nil:
		fmt.Fprintf(stderr, "cassmesosd certs: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

type usageError struct{ error }

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func certsInit(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("certs init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory to write the CA and certificates to (required)")
	force := fs.Bool("force", false, "overwrite an existing CA in --dir")
	var sans listFlag
	fs.Var(&sans, "san", "extra DNS name or IP address of the daemon's certificate (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return usageError{errors.New("--dir is required and no arguments are taken")}
	}
	if _, err := os.Stat(filepath.Join(*dir, CAKeyFile)); err == nil && !*force {
		return fmt.Errorf("%s already exists: not replacing a CA (use --force, or `certs issue` to add certificates)", filepath.Join(*dir, CAKeyFile))
	}
	ca, err := tlsutil.NewCA("cassmesos CA", 0)
	if err != nil {
		return err
	}
	// Check every SAN before writing anything.
	daemonSANs := append([]string{"localhost", "127.0.0.1", "::1"}, sans...)
	dc, dk, err := ca.Issue(tlsutil.Issue{Name: "cassmesosd", Roles: []string{tlsutil.RoleDaemon}, Server: true, Client: true, SANs: daemonSANs})
	if err != nil {
		return err
	}
	ac, ak, err := ca.Issue(tlsutil.Issue{Name: "admin", Roles: []string{"admin"}, Client: true})
	if err != nil {
		return err
	}
	caKey, err := tlsutil.EncodeKey(ca.Key)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
		perm os.FileMode
	}{{CACertFile, ca.CertPEM, 0o644}, {CAKeyFile, caKey, 0o600}, {DaemonCertFile, dc, 0o644}, {DaemonKeyFile, dk, 0o600}, {AdminCertFile, ac, 0o644}, {AdminKeyFile, ak, 0o600}} {
		if err := tlsutil.WriteFile(filepath.Join(*dir, f.name), f.data, f.perm); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %s: %s %s (CA), %s %s (daemon; SANs %s), %s %s (admin client)\n", *dir,
		CACertFile, CAKeyFile, DaemonCertFile, DaemonKeyFile, strings.Join(daemonSANs, ","), AdminCertFile, AdminKeyFile)
	return nil
}

func certsIssue(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("certs issue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory holding the CA (ca.crt, ca.key); the certificate is written there (required)")
	name := fs.String("name", "", "identity: the certificate's CommonName and file name (required)")
	var roles, sans listFlag
	fs.Var(&roles, "role", "role in the certificate's Organization (viewer, operator, admin, daemon; repeatable)")
	fs.Var(&sans, "san", "DNS name or IP address (repeatable)")
	client := fs.Bool("client", false, "a client certificate (the default)")
	server := fs.Bool("server", false, "a server certificate")
	days := fs.Int("days", 365, "validity in days")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *name == "" || fs.NArg() > 0 {
		return usageError{errors.New("--dir and --name are required and no arguments are taken")}
	}
	if strings.ContainsAny(*name, "/\\ \x00") || *name == "." || *name == ".." || strings.HasPrefix(*name, ".") {
		return usageError{fmt.Errorf("--name %q: want a name without '/', '\\', spaces or a leading '.'", *name)}
	}
	if *days <= 0 {
		return usageError{fmt.Errorf("--days %d: want a positive number", *days)}
	}
	if !*client && !*server {
		*client = true
	}
	ca, err := tlsutil.LoadCA(filepath.Join(*dir, CACertFile), filepath.Join(*dir, CAKeyFile))
	if err != nil {
		return err
	}
	cert, key, err := ca.Issue(tlsutil.Issue{Name: *name, Roles: roles, Client: *client, Server: *server, SANs: sans,
		Validity: time.Duration(*days) * 24 * time.Hour})
	if err != nil {
		return err
	}
	certPath, keyPath := filepath.Join(*dir, *name+".crt"), filepath.Join(*dir, *name+".key")
	if err := tlsutil.WriteFile(keyPath, key, 0o600); err != nil {
		return err
	}
	if err := tlsutil.WriteFile(certPath, cert, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s (name %s, roles %s)\n", certPath, keyPath, *name, strings.Join(roles, ","))
	return nil
}
