package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cassmesos/cassmesos/daemon/artifacts"
	"github.com/cassmesos/cassmesos/internal/backupstore"
	"github.com/cassmesos/cassmesos/internal/secrets"
)

// EnvPrefix prefixes every environment variable: --zk-digest is CASSMESOSD_ZK_DIGEST.
const EnvPrefix = "CASSMESOSD_"

// DefaultMirror is the Apache archive base URL; a version maps to
// <mirror>/cassandra/<v>/apache-cassandra-<v>-bin.tar.gz.
const DefaultMirror = "https://archive.apache.org/dist"

// DefaultCassandraVersion is the Cassandra release a ring gets when neither its spec nor the daemon
// names a distribution.
const DefaultCassandraVersion = "4.1.5"

// Config is cassmesosd's validated configuration.
type Config struct {
	// Masters are the Mesos master base URLs, tried in order; the leader is found by following
	// 307 redirects.
	Masters []string
	// ZKServers and ZKChroot come from --zk ("host:port[,host:port...][/chroot]").
	ZKServers []string
	ZKChroot  string
	// ZKDigest is "user:password" for ZooKeeper's digest ACL scheme; empty (only with
	// ZKInsecure) means open ACLs.
	ZKDigest string
	// ZKInsecure (--zk-insecure) lets the daemon run without ZooKeeper credentials, or on a tree
	// that does not carry its ACL. Off by default; the daemon logs a warning when it is on.
	ZKInsecure bool
	// SecretKey is the key read from --secret-key-file, from which executors' task secrets are
	// derived (internal/secrets). Empty only with SecretsInsecure.
	SecretKey     []byte
	SecretKeyFile string
	// SecretsInsecure (--secrets-insecure) runs without a key file: task secrets are derived from
	// public IDs only, so anyone who can read ZooKeeper can compute them. Logged as a warning.
	SecretsInsecure bool
	// Warnings are weaknesses of the configuration the daemon logs at start (an inline password,
	// a key or credentials file others may read, ...).
	Warnings []string
	// ZKSessionTimeout is the ZooKeeper session timeout.
	ZKSessionTimeout time.Duration
	// FrameworkName is FrameworkInfo.name and the ZooKeeper root /cassmesos/<name>.
	FrameworkName string
	// Role is the default Mesos role: rings created without one get it (the first of Roles).
	Role string
	// Roles are every Mesos role the framework subscribes with (MULTI_ROLE); a ring's role must
	// be one of them (--role, repeatable, and --roles a,b; default "cassandra").
	Roles []string
	// User is FrameworkInfo.user (the OS user tasks run as).
	User string
	// Principal and Secret are the Mesos HTTP basic authentication credentials (both or neither).
	Principal string
	Secret    string
	// FailoverTimeout is FrameworkInfo.failover_timeout.
	FailoverTimeout time.Duration
	// Listen is the gRPC listen address.
	Listen string
	// ArtifactListen is the artifact HTTP server's listen address.
	ArtifactListen string
	// AdvertiseAddress is the host (name or IP) others reach this daemon at: the gRPC leader record
	// and the artifact URLs are built from it and the listen ports.
	AdvertiseAddress string
	// ExecutorPath is the cassmesos-executor binary served to agents.
	ExecutorPath string
	// CassandraURL is the default Cassandra tarball (http(s) URL or local file path); empty means
	// the mirror URL of CassandraVersion.
	CassandraURL     string
	CassandraVersion string
	CassandraMirror  string
	// JavaURL is an optional Java runtime tarball given to every node.
	JavaURL string
	// BackupStore is the default backup store URL (file:///path or s3://bucket/prefix?endpoint=...);
	// BackupCredentialsFile holds its S3 access and secret key (two lines), read at each backup.
	BackupStore, BackupCredentialsFile string
	// ArtifactAllow are the URL prefixes (http(s) URLs, file:// URLs or absolute paths) a ring's
	// distribution.url, distribution.java_url or version may fetch from, besides the daemon's own
	// --cassandra-url, --java-url and <--cassandra-mirror>/cassandra (see AllowPrefixes).
	ArtifactAllow []string
	// WatchPerClient and WatchTotal bound concurrent WatchOperation streams per client address
	// and in all.
	WatchPerClient, WatchTotal int
	// LogLevel for log/slog.
	LogLevel slog.Level
	// MetricsListen is the Prometheus /metrics listen address; empty turns it off.
	MetricsListen string
	// Hostname is FrameworkInfo.hostname (empty: not set).
	Hostname string
	// TokensFile holds the API's bearer tokens, "token,name,role" per line, mode 0600 (empty:
	// only client certificates identify callers).
	TokensFile string
	// ArtifactTLS serves the artifacts over HTTPS with the daemon's certificate (agents' fetchers
	// must trust the CA).
	ArtifactTLS bool
	// TLS is how the daemon's gRPC and HTTP endpoints and its calls to executors are secured.
	TLS TLS
}

// TLS is the daemon's TLS setup (docs/security.md). With Insecure every endpoint is plaintext
// and the executors are reached with their bearer secret only.
type TLS struct {
	Insecure bool
	// CertFile and KeyFile are the daemon's certificate: served on every endpoint and presented
	// to executors as the client certificate (it carries the "daemon" role).
	CertFile, KeyFile string
	// ClientCAFile is the CA bundle that client certificates are verified against; executors
	// trust it for the daemon and the daemon trusts it for executors.
	ClientCAFile string
	// CAKeyFile is the CA's private key, read at each launch to issue the task's certificate.
	CAKeyFile string
	// RequireClientCert refuses gRPC clients without a certificate (otherwise one is verified
	// when presented).
	RequireClientCert bool
	// CassandraCertValidity is how long an encrypted ring's node certificates are valid; each is
	// renewed without a restart two thirds into its life (--cassandra-cert-validity).
	CassandraCertValidity time.Duration
}

// GRPCAdvertise is the gRPC address other daemons and clients are told (advertise host + listen port).
func (c *Config) GRPCAdvertise() string { return advertise(c.AdvertiseAddress, c.Listen) }

// ArtifactBaseURL is the base URL of the artifact server as agents see it.
func (c *Config) ArtifactBaseURL() string {
	if c.ArtifactTLS {
		return "https://" + advertise(c.AdvertiseAddress, c.ArtifactListen)
	}
	return "http://" + advertise(c.AdvertiseAddress, c.ArtifactListen)
}

func advertise(host, listen string) string {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	return net.JoinHostPort(host, port)
}

// ZKConnect is the connect string without the chroot.
func (c *Config) ZKConnect() string { return strings.Join(c.ZKServers, ",") }

// DefaultDistributionURL is the tarball URL (or local path) used when a ring's spec names none.
func (c *Config) DefaultDistributionURL() string {
	if c.CassandraURL != "" {
		return c.CassandraURL
	}
	return MirrorURL(c.CassandraMirror, c.CassandraVersion)
}

// AllowPrefixes is the effective artifact allow-list: --artifact-allow plus what the operator
// configured for the daemon itself (--cassandra-url, --java-url and the mirror's cassandra/ tree).
func (c *Config) AllowPrefixes() []string {
	out := append([]string(nil), c.ArtifactAllow...)
	for _, u := range []string{c.CassandraURL, c.JavaURL} {
		if u == "" {
			continue
		}
		if IsLocalPath(u) {
			if abs, err := filepath.Abs(LocalPath(u)); err == nil {
				u = abs
			}
		}
		out = append(out, u)
	}
	if c.CassandraMirror != "" {
		out = append(out, strings.TrimRight(c.CassandraMirror, "/")+"/cassandra")
	}
	return out
}

// MirrorURL maps a Cassandra version to its binary tarball under an Apache archive base URL.
func MirrorURL(mirror, version string) string {
	return strings.TrimRight(mirror, "/") + "/cassandra/" + version + "/apache-cassandra-" + version + "-bin.tar.gz"
}

// option is one setting, known by its flag name.
type option struct {
	name, def, usage string
	list             bool // may repeat; comma-separated in the environment
	boolean          bool // a switch: --name alone means true
}

var options = []option{
	{name: "config", usage: "YAML config file; keys are flag names, e.g. zk: 127.0.0.1:2181/cassmesos"},
	{name: "master", list: true, usage: "Mesos master URL (http://host:5050); repeat or comma-separate for several"},
	{name: "zk", usage: "ZooKeeper connect string with chroot, e.g. 127.0.0.1:2181/cassmesos"},
	{name: "zk-digest", usage: "ZooKeeper digest credentials user:password (visible in ps: prefer --zk-digest-file)"},
	{name: "zk-digest-file", usage: "file holding the ZooKeeper digest credentials user:password (required unless --zk-insecure)"},
	{name: "zk-insecure", boolean: true, usage: "run without ZooKeeper credentials or on a tree not protected by them (INSECURE: anyone reaching ZooKeeper reads and changes the state)"},
	{name: "secret-key-file", usage: "key executors' task secrets are derived from, written by cassmesosd secret-key init (required unless --secrets-insecure)"},
	{name: "secrets-insecure", boolean: true, usage: "run without --secret-key-file (INSECURE: task secrets are derived from public IDs, so anyone who reads ZooKeeper can compute them)"},
	{name: "zk-session-timeout", def: "10s", usage: "ZooKeeper session timeout"},
	{name: "framework-name", def: "cassmesos", usage: "Mesos framework name (also the ZooKeeper root /cassmesos/<name>)"},
	{name: "role", list: true, usage: "Mesos role to subscribe with and reserve resources for; repeat (or comma-separate) for several, the first is rings' default (default cassandra)"},
	{name: "roles", list: true, usage: "Mesos roles to subscribe with, comma-separated (added after --role; the first of all is rings' default)"},
	{name: "user", usage: "OS user tasks run as (FrameworkInfo.user; default: the current user)"},
	{name: "principal", usage: "Mesos principal (HTTP basic authentication with --secret-file)"},
	{name: "secret-file", usage: "file holding the Mesos secret for --principal"},
	{name: "failover-timeout", def: "168h", usage: "how long Mesos keeps the framework's tasks while no scheduler is connected"},
	{name: "listen", def: "127.0.0.1:9090", usage: "gRPC listen address"},
	{name: "artifact-listen", def: "127.0.0.1:9091", usage: "artifact HTTP server listen address"},
	{name: "advertise-address", usage: "host or IP others reach this daemon at (default: the listen host, or the hostname when it listens on all addresses)"},
	{name: "executor-path", usage: "cassmesos-executor binary to serve (default: next to this binary)"},
	{name: "cassandra-url", usage: "default Cassandra tarball: http(s) URL or local file path (local files are served by the artifact server)"},
	{name: "cassandra-version", def: DefaultCassandraVersion, usage: "default Cassandra version, fetched from --cassandra-mirror when --cassandra-url is empty"},
	{name: "cassandra-mirror", def: DefaultMirror, usage: "Apache archive base URL for --cassandra-version"},
	{name: "java-url", usage: "Java runtime tarball given to every node (http(s) URL or local file path)"},
	{name: "backup-store", usage: "default backup store: file:///path (a directory every agent mounts) or s3://bucket/prefix?endpoint=http(s)://host:port"},
	{name: "backup-credentials-file", usage: "file holding the S3 backup store's access key and secret key (two lines), mode 0600; passed to executors with each backup, never stored"},
	{name: "artifact-allow", list: true, usage: "URL prefix (http(s) URL, file:// URL or absolute path) a ring's distribution or Java URL may come from; repeat for several (the daemon's own --cassandra-url, --java-url and --cassandra-mirror are always allowed)"},
	{name: "watch-per-client", def: "8", usage: "concurrent WatchOperation streams allowed per client address"},
	{name: "watch-total", def: "256", usage: "concurrent WatchOperation streams allowed in all"},
	{name: "log-level", def: "info", usage: "log level: debug, info, warn or error"},
	{name: "metrics-listen", usage: "Prometheus /metrics listen address (empty: off)"},
	{name: "hostname", usage: "FrameworkInfo.hostname (default: unset)"},
	{name: "tokens-file", usage: "bearer tokens for the gRPC API, one token,name,role per line (role viewer, operator or admin), mode 0600; re-read when it changes"},
	{name: "tls-dir", usage: "directory written by `cassmesosd certs init`: defaults --tls-cert, --tls-key, --tls-client-ca and --tls-ca-key to daemon.crt, daemon.key, ca.crt and ca.key in it"},
	{name: "tls-cert", usage: "the daemon's certificate (PEM), served on gRPC, metrics and artifacts and presented to executors; re-read when it changes"},
	{name: "tls-key", usage: "the private key of --tls-cert (PEM)"},
	{name: "tls-client-ca", usage: "CA bundle (PEM) client certificates are verified against; executors are given it to trust the daemon"},
	{name: "tls-ca-key", usage: "the CA's private key (PEM): each task's certificate for its node API is issued from it at launch"},
	{name: "tls-require-client-cert", boolean: true, usage: "refuse gRPC clients without a client certificate"},
	{name: "artifact-tls", boolean: true, usage: "serve artifacts over HTTPS with --tls-cert (every agent's fetcher must trust the CA)"},
	{name: "cassandra-cert-validity", def: "2160h", usage: "validity of the certificates issued to encrypted rings' Cassandra nodes; each is renewed without a restart two thirds into its life (at least 10s)"},
	{name: "insecure", boolean: true, usage: "serve plaintext and reach executors without TLS (logged loudly; for tests of old setups only)"},
}

// EnvName is the environment variable of a flag.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ErrHelp is returned by Parse for -h/--help after the usage was written.
var ErrHelp = flag.ErrHelp

// Parse builds a Config from args (without the program name), the environment (getenv) and the
// config file named by --config / CASSMESOSD_CONFIG. usage receives the help text on -h.
func Parse(args []string, getenv func(string) string, usage io.Writer) (*Config, error) {
	values, err := resolve("cassmesosd", options, args, getenv, usage)
	if err != nil {
		return nil, err
	}
	return build(values)
}

// resolve parses args against opts and resolves each option: flag, then environment, then the
// --config file (when "config" is among opts), then default.
func resolve(name string, opts []option, args []string, getenv func(string) string, usage io.Writer) (map[string][]string, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: cassmesosd [flags]\n       cassmesosd certs init|issue ... (a CA and certificates; `cassmesosd certs help`)\n\nflags:\n")
		fs.PrintDefaults()
	}
	flagVals := map[string]*[]string{}
	for _, o := range opts {
		vals := &[]string{}
		flagVals[o.name] = vals
		if o.boolean {
			fs.BoolFunc(o.name, usageLine(o), func(s string) error {
				if _, err := strconv.ParseBool(s); err != nil {
					return fmt.Errorf("want true or false, got %q", s)
				}
				*vals = []string{s}
				return nil
			})
			continue
		}
		fs.Func(o.name, usageLine(o), func(s string) error {
			if o.list {
				for _, part := range strings.Split(s, ",") {
					if part = strings.TrimSpace(part); part != "" {
						*vals = append(*vals, part)
					}
				}
				return nil
			}
			*vals = []string{s}
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (%s takes only flags)", fs.Arg(0), name)
	}

	values := map[string][]string{}
	for _, o := range opts {
		if v := *flagVals[o.name]; len(v) > 0 {
			values[o.name] = v
			continue
		}
		if e := getenv(EnvName(o.name)); e != "" {
			values[o.name] = splitList(o, e)
		}
	}
	if path := first(values["config"]); path != "" {
		file, err := readFile(path)
		if err != nil {
			return nil, err
		}
		for k, v := range file {
			if _, set := values[k]; !set {
				values[k] = v
			}
		}
	}
	for _, o := range opts {
		if _, set := values[o.name]; !set && o.def != "" {
			values[o.name] = []string{o.def}
		}
	}
	return values, nil
}

// optionsNamed picks options by flag name.
func optionsNamed(names ...string) []option {
	var out []option
	for _, o := range options {
		if slices.Contains(names, o.name) {
			out = append(out, o)
		}
	}
	return out
}

// ZKAccess is what a tool needs to reach the framework's ZooKeeper tree with its credentials
// (`cassmesosd zk protect`).
type ZKAccess struct {
	ZKServers        []string
	ZKChroot         string
	FrameworkName    string
	ZKDigest         string
	ZKSessionTimeout time.Duration
	Warnings         []string
}

// ParseZKAccess reads --zk, --zk-digest(-file), --framework-name and --zk-session-timeout (and
// --config) as Parse does, for the subcommand cmd. Credentials are required.
func ParseZKAccess(cmd string, args []string, getenv func(string) string, usage io.Writer) (*ZKAccess, error) {
	v, err := resolve(cmd, optionsNamed("config", "zk", "zk-digest", "zk-digest-file", "framework-name", "zk-session-timeout"), args, getenv, usage)
	if err != nil {
		return nil, err
	}
	c := &Config{}
	var errs []error
	bad := func(flagName, format string, a ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flagName, fmt.Sprintf(format, a...)))
	}
	buildZK(v, c, bad)
	if c.ZKDigest == "" && len(errs) == 0 {
		bad("zk-digest-file", "ZooKeeper credentials are required: the user:password whose digest the tree is to carry")
	}
	if c.FrameworkName = first(v["framework-name"]); !nameRE.MatchString(c.FrameworkName) {
		bad("framework-name", "%q is not a valid name (letters, digits, '.', '_', '-'; at most 64)", c.FrameworkName)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	full := c
	return &ZKAccess{ZKServers: full.ZKServers, ZKChroot: full.ZKChroot, FrameworkName: full.FrameworkName,
		ZKDigest: full.ZKDigest, ZKSessionTimeout: full.ZKSessionTimeout, Warnings: full.Warnings}, nil
}

func usageLine(o option) string {
	u := o.usage
	if o.def != "" {
		u += " (default " + o.def + ")"
	}
	return u + " [$" + EnvName(o.name) + "]"
}

func splitList(o option, s string) []string {
	if !o.list {
		return []string{s}
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// readFile reads a YAML config file whose keys are flag names.
func readFile(path string) (map[string][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	out, err := ParseFile(b)
	if err != nil {
		return nil, fmt.Errorf("--config %s: %w", path, err)
	}
	return out, nil
}

// ParseFile parses a YAML config file's bytes: a mapping from flag names to scalars (or, for
// repeatable flags such as master, a list of scalars).
func ParseFile(b []byte) (map[string][]string, error) {
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	byName := map[string]option{}
	for _, o := range options {
		byName[o.name] = o
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string][]string{}
	for _, k := range keys {
		o, ok := byName[k]
		if !ok || k == "config" {
			return nil, fmt.Errorf("unknown key %q (keys are cassmesosd's flag names)", k)
		}
		switch v := raw[k].(type) {
		case nil:
			continue
		case []any:
			if !o.list {
				return nil, fmt.Errorf("key %q: want a single value, got a list", k)
			}
			for i, item := range v {
				s, err := scalar(item)
				if err != nil {
					return nil, fmt.Errorf("key %q item %d: %w", k, i, err)
				}
				out[k] = append(out[k], s)
			}
		default:
			s, err := scalar(v)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			out[k] = splitList(o, s)
		}
	}
	return out, nil
}

func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, int64, uint64, float64, bool:
		return fmt.Sprint(x), nil
	default:
		return "", fmt.Errorf("want a scalar, got %T", v)
	}
}

// DefaultRole is the Mesos role used when neither --role nor --roles is given.
const DefaultRole = "cassandra"

// CheckRole says why r cannot be one of the daemon's Mesos roles (nil when it can).
func CheckRole(r string) error {
	if !roleRE.MatchString(r) || r == "." || r == ".." || r == "*" {
		return fmt.Errorf("%q is not a valid Mesos role (letters, digits, '_', '.', '-'; and \"*\" cannot hold reservations)", r)
	}
	return nil
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	roleRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// buildZK reads the ZooKeeper options (--zk, --zk-digest, --zk-digest-file, --zk-insecure,
// --zk-session-timeout) into c.
func buildZK(v map[string][]string, c *Config, bad func(flagName, format string, a ...any)) {
	// --zk
	if zk := first(v["zk"]); zk == "" {
		bad("zk", "a ZooKeeper connect string is required (e.g. 127.0.0.1:2181/cassmesos)")
	} else if servers, chroot, err := ParseZK(zk); err != nil {
		bad("zk", "%v", err)
	} else {
		c.ZKServers, c.ZKChroot = servers, chroot
	}

	// --zk-digest / --zk-digest-file
	digest, digestFile := first(v["zk-digest"]), first(v["zk-digest-file"])
	switch {
	case digest != "" && digestFile != "":
		bad("zk-digest", "give either --zk-digest or --zk-digest-file, not both")
	case digestFile != "":
		b, err := os.ReadFile(digestFile)
		if err != nil {
			bad("zk-digest-file", "%v", err)
		} else {
			digest = strings.TrimSpace(string(b))
			if err := checkDigest(digest); err != nil {
				bad("zk-digest-file", "%v", err)
			} else {
				c.ZKDigest = digest
			}
		}
	case digest != "":
		if err := checkDigest(digest); err != nil {
			bad("zk-digest", "%v", err)
		} else {
			c.ZKDigest = digest
			c.Warnings = append(c.Warnings, "--zk-digest puts the ZooKeeper password on the command line or in the environment, where other users of the host may see it (ps, /proc): prefer --zk-digest-file")
		}
	}
	if digestFile != "" {
		c.Warnings = append(c.Warnings, openFileWarning("zk-digest-file", digestFile)...)
	}
	if b, err := boolValue(first(v["zk-insecure"])); err != nil {
		bad("zk-insecure", "%v", err)
	} else {
		c.ZKInsecure = b
	}
	if digest == "" && digestFile == "" && !c.ZKInsecure {
		bad("zk-digest-file", "ZooKeeper credentials are required: write user:password to a file readable only by the daemon's user and pass it here (or --zk-insecure to run with open ACLs, which anyone reaching ZooKeeper can read and change)")
	}

	if d, err := positiveDuration(first(v["zk-session-timeout"])); err != nil {
		bad("zk-session-timeout", "%v", err)
	} else {
		c.ZKSessionTimeout = d
	}
}

func build(v map[string][]string) (*Config, error) {
	c := &Config{}
	var errs []error
	bad := func(flagName, format string, a ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flagName, fmt.Sprintf(format, a...)))
	}

	// --master
	if len(v["master"]) == 0 {
		bad("master", "at least one Mesos master URL is required (e.g. http://127.0.0.1:5050)")
	}
	for _, m := range v["master"] {
		u, err := MasterEndpoint(m)
		if err != nil {
			bad("master", "%v", err)
			continue
		}
		c.Masters = append(c.Masters, u)
	}

	buildZK(v, c, bad)

	// --secret-key-file / --secrets-insecure
	c.SecretKeyFile = first(v["secret-key-file"])
	if b, err := boolValue(first(v["secrets-insecure"])); err != nil {
		bad("secrets-insecure", "%v", err)
	} else {
		c.SecretsInsecure = b
	}
	switch {
	case c.SecretKeyFile != "" && c.SecretsInsecure:
		bad("secrets-insecure", "give either --secret-key-file or --secrets-insecure, not both")
	case c.SecretKeyFile != "":
		if key, err := secrets.LoadKeyFile(c.SecretKeyFile); err != nil {
			bad("secret-key-file", "%v", err)
		} else {
			c.SecretKey = key
		}
	case !c.SecretsInsecure:
		bad("secret-key-file", "a secret key file is required: create one with `cassmesosd secret-key init --secret-key-file PATH` (or --secrets-insecure to derive task secrets from public IDs only)")
	}
	c.FrameworkName = first(v["framework-name"])
	if !nameRE.MatchString(c.FrameworkName) {
		bad("framework-name", "%q is not a valid name (letters, digits, '.', '_', '-'; at most 64)", c.FrameworkName)
	}
	roles := append(append([]string(nil), v["role"]...), v["roles"]...)
	if len(roles) == 0 {
		roles = []string{DefaultRole}
	}
	for _, r := range roles {
		if err := CheckRole(r); err != nil {
			bad("role", "%v", err)
			continue
		}
		if slices.Contains(c.Roles, r) {
			bad("role", "%q is given twice (Mesos refuses duplicate roles)", r)
			continue
		}
		c.Roles = append(c.Roles, r)
	}
	c.Role = first(c.Roles)
	c.User = first(v["user"])
	if c.User == "" {
		if u, err := user.Current(); err == nil {
			c.User = u.Username
		} else {
			bad("user", "no --user given and the current user is unknown: %v", err)
		}
	}

	c.Principal = first(v["principal"])
	if sf := first(v["secret-file"]); sf != "" {
		b, err := os.ReadFile(sf)
		if err != nil {
			bad("secret-file", "%v", err)
		} else if c.Secret = strings.TrimSpace(string(b)); c.Secret == "" {
			bad("secret-file", "%s is empty", sf)
		}
		if c.Principal == "" {
			bad("principal", "--secret-file needs --principal")
		}
	}

	if d, err := positiveDuration(first(v["cassandra-cert-validity"])); err != nil {
		bad("cassandra-cert-validity", "%v", err)
	} else if d < 10*time.Second {
		bad("cassandra-cert-validity", "%v: want at least 10s", d)
	} else {
		c.TLS.CassandraCertValidity = d
	}

	if d, err := positiveDuration(first(v["failover-timeout"])); err != nil {
		bad("failover-timeout", "%v", err)
	} else {
		c.FailoverTimeout = d
	}

	c.Listen = first(v["listen"])
	if err := checkListen(c.Listen); err != nil {
		bad("listen", "%v", err)
	}
	c.ArtifactListen = first(v["artifact-listen"])
	if err := checkListen(c.ArtifactListen); err != nil {
		bad("artifact-listen", "%v", err)
	}
	c.MetricsListen = first(v["metrics-listen"])
	if c.MetricsListen != "" {
		if err := checkListen(c.MetricsListen); err != nil {
			bad("metrics-listen", "%v", err)
		}
	}
	c.AdvertiseAddress = first(v["advertise-address"])
	if c.AdvertiseAddress == "" {
		c.AdvertiseAddress = defaultAdvertise(c.Listen)
	} else if strings.ContainsAny(c.AdvertiseAddress, "/ ") || strings.Contains(c.AdvertiseAddress, "://") {
		bad("advertise-address", "%q: want a host name or IP address", c.AdvertiseAddress)
	}

	c.ExecutorPath = first(v["executor-path"])
	if c.ExecutorPath == "" {
		if exe, err := os.Executable(); err == nil {
			c.ExecutorPath = filepath.Join(filepath.Dir(exe), "cassmesos-executor")
		}
	}
	if st, err := os.Stat(c.ExecutorPath); err != nil {
		bad("executor-path", "%v (build it with `make build`, or point --executor-path at it)", err)
	} else if st.IsDir() || st.Mode()&0o111 == 0 {
		bad("executor-path", "%s is not an executable file", c.ExecutorPath)
	}

	c.CassandraURL = first(v["cassandra-url"])
	if c.CassandraURL != "" {
		if err := checkArtifactURL(c.CassandraURL); err != nil {
			bad("cassandra-url", "%v", err)
		}
	}
	c.CassandraVersion = first(v["cassandra-version"])
	if !versionRE.MatchString(c.CassandraVersion) {
		bad("cassandra-version", "%q is not a Cassandra version like 4.1.5", c.CassandraVersion)
	}
	c.CassandraMirror = first(v["cassandra-mirror"])
	if u, err := url.Parse(c.CassandraMirror); err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") || (u.Scheme != "file" && u.Host == "") {
		bad("cassandra-mirror", "%q is not an http(s) or file URL", c.CassandraMirror)
	}
	c.JavaURL = first(v["java-url"])
	if c.JavaURL != "" {
		if err := checkArtifactURL(c.JavaURL); err != nil {
			bad("java-url", "%v", err)
		}
	}

	c.BackupStore = first(v["backup-store"])
	if c.BackupStore != "" {
		if err := backupstore.ValidateURL(c.BackupStore); err != nil {
			bad("backup-store", "%v", err)
		}
	}
	c.BackupCredentialsFile = first(v["backup-credentials-file"])

	c.ArtifactAllow = v["artifact-allow"]
	if _, err := artifacts.NewAllowList(c.ArtifactAllow); err != nil {
		bad("artifact-allow", "%v", err)
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"watch-per-client", &c.WatchPerClient}, {"watch-total", &c.WatchTotal}} {
		n, err := strconv.Atoi(first(v[f.name]))
		if err != nil || n <= 0 {
			bad(f.name, "%q: want a positive integer", first(v[f.name]))
			continue
		}
		*f.dst = n
	}

	switch strings.ToLower(first(v["log-level"])) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("log-level", "%q: want debug, info, warn or error", first(v["log-level"]))
	}
	c.Hostname = first(v["hostname"])
	c.TokensFile = first(v["tokens-file"])
	buildTLS(c, v, bad)

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?([-.][A-Za-z0-9.-]+)?$`)

// MasterEndpoint turns a master URL ("http://host:5050", "host:5050") into its v1 scheduler
// endpoint URL.
func MasterEndpoint(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("empty master URL")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%q has no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return "", fmt.Errorf("%q: bad port %q", raw, p)
		}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q: no query or fragment allowed", raw)
	}
	path := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(path, "/api/v1/scheduler") {
		path += "/api/v1/scheduler"
	}
	u.Path = path
	return u.String(), nil
}

// ParseZK splits a ZooKeeper connect string "host:port[,host:port...][/chroot]".
func ParseZK(s string) (servers []string, chroot string, err error) {
	hosts := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hosts, chroot = s[:i], strings.TrimRight(s[i:], "/")
		if chroot != "" {
			for _, part := range strings.Split(chroot[1:], "/") {
				if part == "" || part == "." || part == ".." || strings.ContainsAny(part, " \t\n\x00") {
					return nil, "", fmt.Errorf("bad chroot %q", s[i:])
				}
			}
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, "", fmt.Errorf("%q: empty server in the connect string", s)
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			return nil, "", fmt.Errorf("server %q: want host:port", h)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 || host == "" {
			return nil, "", fmt.Errorf("server %q: bad host or port", h)
		}
		servers = append(servers, h)
	}
	return servers, chroot, nil
}

// boolValue parses a switch's value ("" is false).
func boolValue(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%q: want true or false", s)
	}
	return b, nil
}

// openFileWarning warns about a secret file that others than its owner may read.
func openFileWarning(flagName, path string) []string {
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return nil
	}
	return []string{fmt.Sprintf("--%s %s has mode %04o: others than its owner may read it (chmod 600 %s)", flagName, path, st.Mode().Perm(), path)}
}

func checkDigest(d string) error {
	user, pass, ok := strings.Cut(d, ":")
	if !ok || user == "" || pass == "" {
		return errors.New("want user:password")
	}
	return nil
}

func positiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like 10s or 168h", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return d, nil
}

func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: want host:port", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: bad port", addr)
	}
	_ = host
	return nil
}

func defaultAdvertise(listen string) string {
	host, _, err := net.SplitHostPort(listen)
	if err == nil && host != "" && host != "0.0.0.0" && host != "::" {
		return host
	}
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return "127.0.0.1"
}

// checkArtifactURL accepts http(s) URLs, file:// URLs and plain paths to existing files.
func checkArtifactURL(s string) error {
	if IsLocalPath(s) {
		p := LocalPath(s)
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.IsDir() {
			return fmt.Errorf("%s is a directory, want a tarball", p)
		}
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is neither an http(s) URL nor a local file", s)
	}
	return nil
}

// IsLocalPath reports whether a distribution URL names a local file (a path or file:// URL).
func IsLocalPath(s string) bool {
	return strings.HasPrefix(s, "file://") || !strings.Contains(s, "://")
}

// LocalPath returns the file path of a local distribution URL.
func LocalPath(s string) string {
	if rest, ok := strings.CutPrefix(s, "file://"); ok {
		return rest
	}
	return s
}

// ParseSecretKeyFile reads --secret-key-file (and --config) as Parse does, for the subcommand
// cmd; the path is required.
func ParseSecretKeyFile(cmd string, args []string, getenv func(string) string, usage io.Writer) (string, error) {
	v, err := resolve(cmd, optionsNamed("config", "secret-key-file"), args, getenv, usage)
	if err != nil {
		return "", err
	}
	p := first(v["secret-key-file"])
	if p == "" {
		return "", errors.New("--secret-key-file: the path of the key file to create is required")
	}
	return p, nil
}

func parseBool(v map[string][]string, name string, bad func(string, string, ...any)) bool {
	s := first(v[name])
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		bad(name, "%q: want true or false", s)
	}
	return b
}

// buildTLS fills c.TLS: on unless --insecure; the files default from --tls-dir and must exist.
func buildTLS(c *Config, v map[string][]string, bad func(string, string, ...any)) {
	t := &c.TLS
	t.Insecure = parseBool(v, "insecure", bad)
	c.ArtifactTLS = parseBool(v, "artifact-tls", bad)
	if c.ArtifactTLS && t.Insecure {
		bad("artifact-tls", "cannot be combined with --insecure")
	}
	t.RequireClientCert = parseBool(v, "tls-require-client-cert", bad)
	dir := first(v["tls-dir"])
	pick := func(name, file string) string {
		if s := first(v[name]); s != "" {
			return s
		}
		if dir != "" {
			return filepath.Join(dir, file)
		}
		return ""
	}
	t.CertFile, t.KeyFile = pick("tls-cert", "daemon.crt"), pick("tls-key", "daemon.key")
	t.ClientCAFile, t.CAKeyFile = pick("tls-client-ca", "ca.crt"), pick("tls-ca-key", "ca.key")
	if t.Insecure {
		for _, name := range []string{"tls-dir", "tls-cert", "tls-key", "tls-client-ca", "tls-ca-key"} {
			if first(v[name]) != "" {
				bad(name, "cannot be combined with --insecure")
			}
		}
		if t.RequireClientCert {
			bad("tls-require-client-cert", "cannot be combined with --insecure")
		}
		*t = TLS{Insecure: true}
		return
	}
	if t.CertFile == "" && t.KeyFile == "" && t.ClientCAFile == "" && t.CAKeyFile == "" {
		bad("tls-dir", "TLS is on by default and needs certificates: create them with `cassmesosd certs init --dir DIR` and pass --tls-dir DIR (or --tls-cert, --tls-key, --tls-client-ca, --tls-ca-key), or run with --insecure")
		return
	}
	for _, f := range []struct{ name, path string }{{"tls-cert", t.CertFile}, {"tls-key", t.KeyFile}, {"tls-client-ca", t.ClientCAFile}, {"tls-ca-key", t.CAKeyFile}} {
		if f.path == "" {
			bad(f.name, "TLS needs it (or --tls-dir naming a `cassmesosd certs init` directory)")
			continue
		}
		if st, err := os.Stat(f.path); err != nil {
			bad(f.name, "%v", err)
		} else if st.IsDir() {
			bad(f.name, "%s is a directory, want a PEM file", f.path)
		}
	}
}

// Flag documents one of cassmesosd's settings (for its man page).
type Flag struct {
	Name, Default, Usage string
	// List: may repeat (comma-separated in the environment); Bool: a switch.
	List, Bool bool
}

// Flags lists cassmesosd's settings in the order of its usage text.
func Flags() []Flag {
	out := make([]Flag, 0, len(options))
	for _, o := range options {
		out = append(out, Flag{Name: o.name, Default: o.def, Usage: o.usage, List: o.list, Bool: o.boolean})
	}
	return out
}
