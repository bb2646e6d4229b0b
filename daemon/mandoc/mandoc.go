// Package mandoc describes cassmesosd as a cobra command tree, for its man pages only: the daemon
// parses its flags with daemon/config (flag, environment, config file), and this tree is built
// from the same option list (config.Flags), so the pages cannot drift from the flags.
package mandoc

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/daemon/config"
)

const daemonLong = `cassmesosd is the cassmesos scheduler: a Mesos framework that runs Apache Cassandra rings,
keeps every ring's state in ZooKeeper and serves the gRPC API the cassmesos CLI uses.

Run two or three: one leads (elected in ZooKeeper), the others stand by and take over within
--zk-session-timeout.

Every flag can also be given as an environment variable: CASSMESOSD_ and the flag's name in
upper case, - becoming _ (--zk-digest-file is CASSMESOSD_ZK_DIGEST_FILE); or as a key of the YAML file named by --config (keys are flag names). Precedence: flag,
environment, file, default.

With --metrics-listen the daemon serves Prometheus /metrics and a liveness endpoint /healthz
(200; the body says leader, standby or starting).

Exit codes: 0 stopped by SIGINT or SIGTERM, 1 runtime failure, 2 bad configuration.`

// Command is cassmesosd's command tree.
func Command() *cobra.Command {
	root := &cobra.Command{
		Use:   "cassmesosd [flags]",
		Short: "the cassmesos Mesos framework (scheduler daemon)",
		Long:  daemonLong,
		Example: `  cassmesosd --config /etc/cassmesos/cassmesosd.yaml
  cassmesosd --master http://127.0.0.1:5050 --zk 127.0.0.1:2181/cassmesos --tls-dir /etc/cassmesos/pki \
    --zk-digest-file /etc/cassmesos/zk-digest --secret-key-file /etc/cassmesos/secret.key`,
		Run:               func(*cobra.Command, []string) {},
		DisableAutoGenTag: true,
	}
	fs := root.Flags()
	for _, f := range config.Flags() {
		usage := f.Usage + " (env " + config.EnvName(f.Name) + ")"
		switch {
		case f.Bool:
			fs.Bool(f.Name, false, usage)
		case f.List:
			var def []string
			if f.Default != "" {
				def = strings.Split(f.Default, ",")
			}
			fs.StringSlice(f.Name, def, usage)
		default:
			fs.String(f.Name, f.Default, usage)
		}
	}
	sub := func(parent *cobra.Command, use, short, long string) *cobra.Command {
		c := &cobra.Command{Use: use, Short: short, Long: long, DisableAutoGenTag: true}
		if !strings.HasSuffix(use, "]") || long != "" {
			c.Run = func(*cobra.Command, []string) {}
		}
		parent.AddCommand(c)
		return c
	}
	certs := &cobra.Command{Use: "certs", Short: "create the CA and certificates for TLS", DisableAutoGenTag: true}
	root.AddCommand(certs)
	sub(certs, "init --dir DIR [--san HOST ...] [--force]", "create a CA, the daemon's certificate and an admin client certificate",
		`init creates a CA (ca.crt, ca.key), the daemon's certificate (daemon.crt/.key: server and client,
role "daemon", SANs localhost, 127.0.0.1 and each --san) and an admin client certificate
(admin.crt/.key: name "admin", role "admin") in DIR. Keys are written 0600.`)
	sub(certs, "issue --dir DIR --name NAME --role ROLE [--client|--server] [--san HOST ...] [--days N]", "sign a new certificate with DIR's CA",
		`issue signs a new certificate with DIR's CA into DIR/NAME.crt and DIR/NAME.key; the name is the
certificate's CommonName (the identity) and each --role goes into its Organization.`)
	zk := &cobra.Command{Use: "zk", Short: "ZooKeeper maintenance", DisableAutoGenTag: true}
	root.AddCommand(zk)
	sub(zk, "protect --zk ... --zk-digest-file FILE [--framework-name N]", "set the framework's digest ACL on its whole ZooKeeper tree",
		`protect sets the framework's digest ACL on its whole ZooKeeper tree, for a tree created without
credentials, before the daemon runs with them.`)
	sk := &cobra.Command{Use: "secret-key", Short: "the key executors' task secrets are derived from", DisableAutoGenTag: true}
	root.AddCommand(sk)
	sub(sk, "init --secret-key-file FILE", "write a new secret key file (0600); never overwrites one",
		`init writes a new random key (base64 text) to FILE with mode 0600. Give it to every daemon of
the framework with --secret-key-file.`)
	return root
}
