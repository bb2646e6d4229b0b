package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	for _, f := range []string{"daemon.crt", "daemon.key", "ca.crt", "ca.key"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, []string{"--master", "http://127.0.0.1:5050", "--zk", "127.0.0.1:2181/cassmesos-test",
		"--executor-path", exe, "--cassandra-url", tar, "--user", "nobody", "--tls-dir", dir}
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
