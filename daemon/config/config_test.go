package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/secrets"
)

// fixture makes an executable and a tarball in a temp dir and returns the base args.
func fixture(t *testing.T) (dir string, base []string) {
	t.Helper()
	dir = t.TempDir()
	exe := filepath.Join(dir, "cassmesos-executor")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tar := filepath.Join(dir, "cassandra.tar.gz")
	if err := os.WriteFile(tar, []byte("tarball"), 0o644); err != nil {
		t.Fatal(err)
	}
	digest, key := filepath.Join(dir, "zk-digest"), filepath.Join(dir, "secret.key")
	if err := os.WriteFile(digest, []byte("cassmesos:s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := secrets.GenerateKeyFile(key); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"daemon.crt", "daemon.key", "ca.crt", "ca.key"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, []string{"--master", "http://127.0.0.1:5050", "--zk", "127.0.0.1:2181/cassmesos-test",
		"--executor-path", exe, "--cassandra-url", tar, "--user", "nobody",
		"--zk-digest-file", digest, "--secret-key-file", key, "--tls-dir", dir}
}

func TestParseDefaults(t *testing.T) {
	_, base := fixture(t)
	c, err := Parse(base, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Masters, []string{"http://127.0.0.1:5050/api/v1/scheduler"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Masters = %v, want %v", got, want)
	}
	if c.ZKChroot != "/cassmesos-test" || c.ZKConnect() != "127.0.0.1:2181" {
		t.Errorf("zk = %q %q", c.ZKConnect(), c.ZKChroot)
	}
	if c.FrameworkName != "cassmesos" || c.Role != "cassandra" || c.FailoverTimeout != 7*24*time.Hour {
		t.Errorf("defaults: name %q role %q failover %v", c.FrameworkName, c.Role, c.FailoverTimeout)
	}
	if c.Listen != "127.0.0.1:9090" || c.GRPCAdvertise() != "127.0.0.1:9090" || c.ArtifactBaseURL() != "http://127.0.0.1:9091" {
		t.Errorf("listen %q advertise %q artifacts %q", c.Listen, c.GRPCAdvertise(), c.ArtifactBaseURL())
	}
	if c.MetricsListen != "" {
		t.Errorf("metrics should default off, got %q", c.MetricsListen)
	}
	if c.ZKDigest != "cassmesos:s3cret" || c.ZKInsecure || len(c.SecretKey) != secrets.KeySize || c.SecretsInsecure || len(c.Warnings) != 0 {
		t.Errorf("security: digest %q insecure %v key %d bytes secrets-insecure %v warnings %q", c.ZKDigest, c.ZKInsecure, len(c.SecretKey), c.SecretsInsecure, c.Warnings)
	}
}

func TestSecurityIsOnByDefault(t *testing.T) {
	dir, base := fixture(t)
	plain := without(without(base, "--zk-digest-file"), "--secret-key-file")

	// Neither credentials nor a key: both are named, with the way out.
	_, err := Parse(plain, nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--zk-digest-file: ZooKeeper credentials are required") ||
		!strings.Contains(err.Error(), "--zk-insecure") || !strings.Contains(err.Error(), "--secret-key-file: a secret key file is required") ||
		!strings.Contains(err.Error(), "cassmesosd secret-key init") {
		t.Fatalf("Parse without credentials or key = %v; want both refused, naming the opt-outs", err)
	}
	// The explicit opt-outs, as flags, environment or file.
	c, err := Parse(append(plain, "--zk-insecure", "--secrets-insecure"), nil, io.Discard)
	if err != nil || !c.ZKInsecure || !c.SecretsInsecure || c.ZKDigest != "" || c.SecretKey != nil {
		t.Fatalf("opt-outs by flag: %+v, %v", c, err)
	}
	env := map[string]string{"CASSMESOSD_ZK_INSECURE": "true", "CASSMESOSD_SECRETS_INSECURE": "1"}
	if c, err := Parse(plain, func(k string) string { return env[k] }, io.Discard); err != nil || !c.ZKInsecure || !c.SecretsInsecure {
		t.Fatalf("opt-outs by environment: %+v, %v", c, err)
	}
	file := filepath.Join(dir, "insecure.yaml")
	if err := os.WriteFile(file, []byte("zk-insecure: true\nsecrets-insecure: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Parse(append(plain, "--config", file), nil, io.Discard); err != nil || !c.ZKInsecure || !c.SecretsInsecure {
		t.Fatalf("opt-outs by file: %+v, %v", c, err)
	}
	if _, err := Parse(append(plain, "--zk-insecure=maybe", "--secrets-insecure"), nil, io.Discard); err == nil || !strings.Contains(err.Error(), "zk-insecure") {
		t.Fatalf("--zk-insecure=maybe: %v", err)
	}

	// An inline password and files others may read are accepted, with warnings.
	digest := filepath.Join(dir, "zk-digest")
	if err := os.Chmod(digest, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = Parse(base, nil, io.Discard)
	if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "chmod 600 "+digest) {
		t.Fatalf("readable digest file: %v, warnings %q", err, c.Warnings)
	}
	c, err = Parse(append(without(base, "--zk-digest-file"), "--zk-digest", "u:p"), nil, io.Discard)
	if err != nil || c.ZKDigest != "u:p" || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "ps") {
		t.Fatalf("inline digest: %v, warnings %q", err, c.Warnings)
	}
}

func TestPrecedence(t *testing.T) {
	dir, base := fixture(t)
	file := filepath.Join(dir, "cassmesosd.yaml")
	if err := os.WriteFile(file, []byte("role: from-file\nframework-name: file-fw\nmaster:\n  - http://a:5050\n  - http://b:5050\nlog-level: debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CASSMESOSD_FRAMEWORK_NAME": "env-fw", "CASSMESOSD_CONFIG": file}
	args := append([]string{}, base[2:]...) // no --master: it comes from the file
	args = append(args, "--role", "flag-role")
	c, err := Parse(args, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Role != "flag-role" {
		t.Errorf("flag should win: role %q", c.Role)
	}
	if c.FrameworkName != "env-fw" {
		t.Errorf("env should beat file: name %q", c.FrameworkName)
	}
	if len(c.Masters) != 2 || c.Masters[1] != "http://b:5050/api/v1/scheduler" {
		t.Errorf("masters from file: %v", c.Masters)
	}
	if c.LogLevel.String() != "DEBUG" {
		t.Errorf("log level %v", c.LogLevel)
	}
}

func TestMasterListForms(t *testing.T) {
	_, base := fixture(t)
	args := append(append([]string{}, base[2:]...), "--master", "a:5050,b:5050", "--master", "https://c/x/")
	c, err := Parse(args, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := "http://a:5050/api/v1/scheduler http://b:5050/api/v1/scheduler https://c/x/api/v1/scheduler"
	if got := strings.Join(c.Masters, " "); got != want {
		t.Errorf("masters %q, want %q", got, want)
	}
}

func TestValidationNamesFlag(t *testing.T) {
	dir, base := fixture(t)
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := secrets.GenerateKeyFile(empty + "-open"); err != nil || os.Chmod(empty+"-open", 0o640) != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"no master", without(base, "--master"), "--master"},
		{"bad master scheme", []string{"--master", "ftp://x:1"}, "--master"},
		{"bad master port", []string{"--master", "http://x:99999"}, "--master"},
		{"no zk", without(base, "--zk"), "--zk"},
		{"bad zk", []string{"--zk", "localhost"}, "--zk"},
		{"bad zk chroot", []string{"--zk", "h:1/a//b"}, "--zk"},
		{"bad digest", []string{"--zk-digest", "nocolon"}, "--zk-digest"},
		{"both digests", []string{"--zk-digest", "a:b", "--zk-digest-file", empty}, "--zk-digest"},
		{"missing digest file", []string{"--zk-digest-file", filepath.Join(dir, "nope")}, "--zk-digest-file"},
		{"bad role", []string{"--role", "*"}, "--role"},
		{"bad name", []string{"--framework-name", "a b"}, "--framework-name"},
		{"secret without principal", []string{"--secret-file", filepath.Join(dir, "cassandra.tar.gz")}, "--principal"},
		{"empty secret", []string{"--principal", "p", "--secret-file", empty}, "--secret-file"},
		{"bad failover", []string{"--failover-timeout", "1 week"}, "--failover-timeout"},
		{"negative failover", []string{"--failover-timeout", "-1s"}, "--failover-timeout"},
		{"bad listen", []string{"--listen", "9090"}, "--listen"},
		{"bad artifact listen", []string{"--artifact-listen", "x"}, "--artifact-listen"},
		{"bad metrics listen", []string{"--metrics-listen", "x:y"}, "--metrics-listen"},
		{"missing executor", []string{"--executor-path", filepath.Join(dir, "nope")}, "--executor-path"},
		{"executor not executable", []string{"--executor-path", filepath.Join(dir, "cassandra.tar.gz")}, "--executor-path"},
		{"missing tarball", []string{"--cassandra-url", filepath.Join(dir, "nope.tgz")}, "--cassandra-url"},
		{"bad tarball url", []string{"--cassandra-url", "ftp://x/y"}, "--cassandra-url"},
		{"bad version", []string{"--cassandra-version", "latest"}, "--cassandra-version"},
		{"bad mirror", []string{"--cassandra-mirror", "archive"}, "--cassandra-mirror"},
		{"bad java", []string{"--java-url", "gopher://x"}, "--java-url"},
		{"bad log level", []string{"--log-level", "loud"}, "--log-level"},
		{"bad advertise", []string{"--advertise-address", "http://x"}, "--advertise-address"},
		{"relative allow prefix", []string{"--artifact-allow", "tarballs/"}, "--artifact-allow"},
		{"allow prefix with ..", []string{"--artifact-allow", "/srv/../etc"}, "--artifact-allow"},
		{"bad watch limit", []string{"--watch-per-client", "0"}, "--watch-per-client"},
		{"bad watch total", []string{"--watch-total", "many"}, "--watch-total"},
		{"key file others may read", []string{"--secret-key-file", empty + "-open"}, "--secret-key-file"},
		{"missing key file", []string{"--secret-key-file", filepath.Join(dir, "nope")}, "--secret-key-file"},
		{"key and no key", []string{"--secrets-insecure"}, "--secrets-insecure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{}, base...), tt.args...)
			if strings.HasPrefix(tt.name, "no ") { // these cases replace the base arguments
				args = tt.args
			}
			_, err := Parse(args, nil, io.Discard)
			if err == nil {
				t.Fatalf("Parse(%v) succeeded, want an error naming %s", args, tt.flag)
			}
			if !strings.Contains(err.Error(), tt.flag+":") {
				t.Errorf("error %q does not name %s", err, tt.flag)
			}
		})
	}
}

func without(args []string, flagName string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == flagName {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

func TestParseFileErrors(t *testing.T) {
	for _, in := range []string{"nosuch: 1", "zk: [a, b]", "role: {a: b}", "- a", "master: [{a: b}]", ":"} {
		if _, err := ParseFile([]byte(in)); err == nil {
			t.Errorf("ParseFile(%q) succeeded", in)
		}
	}
}

// --artifact-allow repeats; the daemon's own tarball, Java runtime and mirror are always allowed.
func TestAllowPrefixes(t *testing.T) {
	dir, base := fixture(t)
	c, err := Parse(append(base, "--artifact-allow", "https://m.example/c/", "--artifact-allow", "file:///srv/t,/opt/t"), nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://m.example/c/", "file:///srv/t", "/opt/t", filepath.Join(dir, "cassandra.tar.gz"), DefaultMirror + "/cassandra"}
	if got := c.AllowPrefixes(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("AllowPrefixes = %q, want %q", got, want)
	}
	if c.WatchPerClient != 8 || c.WatchTotal != 256 {
		t.Errorf("watch limits %d/%d, want 8/256", c.WatchPerClient, c.WatchTotal)
	}
}

func TestMirrorURL(t *testing.T) {
	if got := MirrorURL("https://archive.apache.org/dist/", "4.1.5"); got != "https://archive.apache.org/dist/cassandra/4.1.5/apache-cassandra-4.1.5-bin.tar.gz" {
		t.Errorf("MirrorURL = %q", got)
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte("zk: 127.0.0.1:2181/x\nmaster: [a, b]\n"))
	f.Add([]byte("role: 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseFile(b)
	})
}

func FuzzParseZK(f *testing.F) {
	f.Add("127.0.0.1:2181,h:2/chroot/x")
	f.Fuzz(func(t *testing.T, s string) {
		servers, _, err := ParseZK(s)
		if err == nil && len(servers) == 0 {
			t.Errorf("ParseZK(%q) gave no servers and no error", s)
		}
	})
}

func FuzzMasterEndpoint(f *testing.F) {
	f.Add("http://127.0.0.1:5050")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = MasterEndpoint(s)
	})
}

func TestTLSOnByDefault(t *testing.T) {
	dir, base := fixture(t)
	noTLS := append([]string(nil), base[:len(base)-2]...)
	if _, err := Parse(noTLS, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "--tls-dir: TLS is on by default") {
		t.Fatalf("no certificates and no --insecure: %v", err)
	}
	c, err := Parse(base, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS.Insecure || c.TLS.CertFile != filepath.Join(dir, "daemon.crt") || c.TLS.CAKeyFile != filepath.Join(dir, "ca.key") || c.TLS.RequireClientCert {
		t.Fatalf("TLS from --tls-dir: %+v", c.TLS)
	}
	c, err = Parse(append(append([]string(nil), noTLS...), "--insecure"), nil, io.Discard)
	if err != nil || !c.TLS.Insecure {
		t.Fatalf("--insecure: %+v %v", c, err)
	}
	if _, err := Parse(append(base, "--insecure"), nil, io.Discard); err == nil || !strings.Contains(err.Error(), "--tls-dir: cannot be combined with --insecure") {
		t.Fatalf("--insecure with --tls-dir: %v", err)
	}
	// Config file keys and environment variables work too.
	file := filepath.Join(dir, "d.yaml")
	if err := os.WriteFile(file, []byte("tls-require-client-cert: true\ntls-cert: "+filepath.Join(dir, "ca.crt")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = Parse(append(base, "--config", file), nil, io.Discard)
	if err != nil || !c.TLS.RequireClientCert || c.TLS.CertFile != filepath.Join(dir, "ca.crt") {
		t.Fatalf("from the file: %+v %v", c.TLS, err)
	}
	c, err = Parse(noTLS, func(k string) string { return map[string]string{"CASSMESOSD_INSECURE": "true"}[k] }, io.Discard)
	if err != nil || !c.TLS.Insecure {
		t.Fatalf("CASSMESOSD_INSECURE: %v", err)
	}
	if _, err := Parse(append(base, "--tls-key", filepath.Join(dir, "missing.key")), nil, io.Discard); err == nil || !strings.Contains(err.Error(), "missing.key") {
		t.Fatalf("missing key file: %v", err)
	}
}
