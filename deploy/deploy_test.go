package deploy

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cassmesos/cassmesos/daemon/config"
	"github.com/cassmesos/cassmesos/internal/secrets"
	"github.com/cassmesos/cassmesos/internal/tlsutil"
)

// compileMarathonSchema compiles Marathon's app JSON schema (testdata/README.md says where it
// comes from). Its "$schema" is the draft-agnostic "http://json-schema.org/schema#"; it is
// written in draft 4, so it is compiled as draft 4.
func compileMarathonSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/marathon-AppDefinition.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := doc.(map[string]any); ok {
		delete(m, "$schema")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource("marathon-app.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("marathon-app.json")
	if err != nil {
		t.Fatalf("compile Marathon's schema: %v", err)
	}
	return s
}

func readJSON(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// marathonApp is what the tests read of the app definition.
type marathonApp struct {
	Instances       int    `json:"instances"`
	Cmd             string `json:"cmd"`
	PortDefinitions []struct {
		Port int    `json:"port"`
		Name string `json:"name"`
	} `json:"portDefinitions"`
	HealthChecks []struct {
		Protocol  string `json:"protocol"`
		Path      string `json:"path"`
		PortIndex int    `json:"portIndex"`
	} `json:"healthChecks"`
	Fetch []struct {
		URI string `json:"uri"`
	} `json:"fetch"`
	Secrets map[string]struct {
		Source string `json:"source"`
	} `json:"secrets"`
	Env map[string]any `json:"env"`
}

func TestMarathonAppValidAgainstSchema(t *testing.T) {
	s := compileMarathonSchema(t)
	b, err := os.ReadFile("marathon/cassmesosd.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(readJSON(t, b)); err != nil {
		t.Fatalf("marathon/cassmesosd.json does not follow Marathon's app schema:\n%v", err)
	}

	// The schema check can fail: an app with a misspelt field and a bad health-check protocol
	// is refused.
	bad := strings.Replace(string(b), `"instances": 2`, `"instance": 2`, 1)
	bad = strings.Replace(bad, `"protocol": "HTTPS"`, `"protocol": "GRPC"`, 1)
	if err := s.Validate(readJSON(t, []byte(bad))); err == nil {
		t.Fatal("a broken app definition passed Marathon's schema")
	}
}

func TestMarathonAppRunsLeaderAndStandby(t *testing.T) {
	b, err := os.ReadFile("marathon/cassmesosd.json")
	if err != nil {
		t.Fatal(err)
	}
	var app marathonApp
	if err := json.Unmarshal(b, &app); err != nil {
		t.Fatal(err)
	}
	if app.Instances != 2 {
		t.Errorf("instances = %d, want 2 (a leader and a standby)", app.Instances)
	}
	if len(app.HealthChecks) == 0 {
		t.Fatal("no health check")
	}
	hc := app.HealthChecks[0]
	if hc.Path != "/healthz" || hc.Protocol != "HTTPS" {
		t.Errorf("health check %s %s, want HTTPS /healthz (the daemon's health endpoint, TLS on)", hc.Protocol, hc.Path)
	}
	if hc.PortIndex >= len(app.PortDefinitions) || app.PortDefinitions[hc.PortIndex].Name != "metrics" {
		t.Errorf("health check port index %d is not the metrics port (%+v)", hc.PortIndex, app.PortDefinitions)
	}
	// Every secret is used by an environment variable, and every secret env var names a secret.
	used := map[string]bool{}
	for name, v := range app.Env {
		if m, ok := v.(map[string]any); ok {
			ref, _ := m["secret"].(string)
			if _, ok := app.Secrets[ref]; !ok {
				t.Errorf("env %s names secret %q, which is not declared", name, ref)
			}
			used[ref] = true
			if !strings.Contains(app.Cmd, "$"+name) {
				t.Errorf("secret env %s is not used by cmd", name)
			}
		}
	}
	for name := range app.Secrets {
		if !used[name] {
			t.Errorf("secret %s is declared but not used", name)
		}
	}

	// The daemon's flags in cmd are flags the daemon knows, and with the fetched config (the
	// sample) they make a valid configuration.
	i := strings.Index(app.Cmd, "exec ./cassmesosd ")
	if i < 0 {
		t.Fatalf("cmd does not exec ./cassmesosd: %s", app.Cmd)
	}
	dir := t.TempDir()
	sample := sampleConfigIn(t, dir)
	env := map[string]string{"$PORT0": "31000", "$PORT1": "31001", "$PORT2": "31002", "$HOST": "agent-1.example.com"}
	var args []string
	for _, f := range strings.Fields(app.Cmd[i+len("exec ./cassmesosd "):]) {
		if v, ok := env[f]; ok {
			f = v
		}
		for k, v := range env {
			f = strings.ReplaceAll(f, k, v)
		}
		if strings.HasPrefix(f, "./") {
			f = filepath.Join(dir, "sandbox", f[2:])
		}
		args = append(args, f)
	}
	sandbox := filepath.Join(dir, "sandbox")
	if err := os.MkdirAll(sandbox, 0o700); err != nil {
		t.Fatal(err)
	}
	// What cmd writes and fetches into the sandbox.
	writeFile(t, filepath.Join(sandbox, "zk-digest"), "cassmesos:pw")
	writeFile(t, filepath.Join(sandbox, "mesos.secret"), "mesos-pw")
	if err := secrets.GenerateKeyFile(filepath.Join(sandbox, "secret.key")); err != nil {
		t.Fatal(err)
	}
	copyFile(t, sample, filepath.Join(sandbox, "cassmesosd.yaml"))
	writeExec(t, filepath.Join(sandbox, "cassmesos-executor"))
	copyTree(t, filepath.Join(dir, "etc", "pki"), filepath.Join(sandbox, "pki"))
	cfg, err := config.Parse(args, nil, io.Discard)
	if err != nil {
		t.Fatalf("the Marathon cmd's flags with the sample config: %v\nargs: %q", err, args)
	}
	if cfg.ExecutorPath != filepath.Join(sandbox, "cassmesos-executor") {
		t.Errorf("executor path %s: the executor fetched into the sandbox is not the one served", cfg.ExecutorPath)
	}
	if cfg.Listen != "0.0.0.0:31000" || cfg.MetricsListen != "0.0.0.0:31002" || cfg.AdvertiseAddress != "agent-1.example.com" {
		t.Errorf("listen %s, metrics %s, advertise %s: the Marathon ports are not used", cfg.Listen, cfg.MetricsListen, cfg.AdvertiseAddress)
	}
}

// sampleConfigIn copies config/cassmesosd.yaml to dir with its /etc/cassmesos and /usr/local/bin
// paths moved under dir, and creates the files it names there (credentials, key, certificates,
// tokens, executor). It returns the copy's path.
func sampleConfigIn(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile("config/cassmesosd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	etc, bin := filepath.Join(dir, "etc"), filepath.Join(dir, "bin")
	for _, d := range []string{etc, bin} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s := strings.ReplaceAll(string(b), "/etc/cassmesos", etc)
	s = strings.ReplaceAll(s, "/usr/local/bin", bin)
	writeFile(t, filepath.Join(etc, "zk-digest"), "cassmesos:pw")
	writeFile(t, filepath.Join(etc, "mesos.secret"), "mesos-pw")
	writeFile(t, filepath.Join(etc, "tokens"), "")
	writeExec(t, filepath.Join(bin, "cassmesos-executor"))
	if err := secrets.GenerateKeyFile(filepath.Join(etc, "secret.key")); err != nil {
		t.Fatal(err)
	}
	certsInit(t, filepath.Join(etc, "pki"))
	p := filepath.Join(dir, "cassmesosd.yaml")
	writeFile(t, p, s)
	return p
}

func TestSampleConfigLoads(t *testing.T) {
	// The file itself: every key is a daemon flag.
	b, err := os.ReadFile("config/cassmesosd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := config.ParseFile(b); err != nil {
		t.Fatalf("config/cassmesosd.yaml: %v", err)
	}
	dir := t.TempDir()
	p := sampleConfigIn(t, dir)
	env := map[string]string{"CASSMESOSD_CONFIG": p}
	cfg, err := config.Parse(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("the daemon's loader refuses the sample config: %v", err)
	}
	if len(cfg.Masters) != 3 || len(cfg.ZKServers) != 3 || cfg.ZKChroot != "/cassmesos" || cfg.ZKDigest != "cassmesos:pw" ||
		cfg.FrameworkName != "cassmesos" || cfg.MetricsListen != "0.0.0.0:9092" || len(cfg.SecretKey) == 0 || cfg.Principal != "cassmesos" {
		t.Errorf("sample config read as %+v", cfg)
	}
	// And the loader is strict: an unknown key is refused.
	writeFile(t, p, strings.Replace(mustRead(t, p), "log-level:", "loglevel:", 1))
	if _, err := config.Parse(nil, func(k string) string { return env[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), "loglevel") {
		t.Fatalf("a misspelt key: err = %v, want one naming loglevel", err)
	}
}

// TestSystemdUnitsVerify runs `systemd-analyze verify` on the units (make deps installs
// systemd). ExecStart's binary is replaced by /bin/true in a copy, because verify requires the
// binary to exist; every other line is verified as written. Any output fails: verify reports
// unknown keys and bad values as warnings with exit code 0.
func TestSystemdUnitsVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze not found (make deps installs the systemd package): %v", err)
	}
	verify := func(name, text string) (string, error) {
		dir := t.TempDir()
		p := filepath.Join(dir, name)
		writeFile(t, p, text)
		out, err := exec.Command(sa, "verify", "--man=no", p).CombinedOutput()
		return string(out), err
	}
	units := map[string]string{"cassmesosd.service": "cassmesosd.service", "cassmesosd@.service": "cassmesosd@prod.service"}
	execRE := regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/cassmesosd$`)
	for file, inst := range units {
		b, err := os.ReadFile(filepath.Join("systemd", file))
		if err != nil {
			t.Fatal(err)
		}
		if !execRE.Match(b) {
			t.Fatalf("%s: no ExecStart=/usr/local/bin/cassmesosd line", file)
		}
		text := execRE.ReplaceAllString(string(b), "ExecStart=/bin/true")
		out, err := verify(inst, text)
		if err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("systemd-analyze verify %s: %v\n%s", file, err, out)
		}
		for _, want := range []string{"NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=", "RestartPreventExitStatus=2"} {
			if !strings.Contains(text, "\n"+want+"\n") {
				t.Errorf("%s lacks %s", file, want)
			}
		}
		// The check can fail: a misspelt option in the same unit is reported.
		out, _ = verify(inst, strings.Replace(text, "ProtectHome=yes", "ProtectHomes=yes", 1))
		if !strings.Contains(out, "ProtectHomes") {
			t.Errorf("systemd-analyze verify did not report a misspelt key in %s: %q", file, out)
		}
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeExec(t *testing.T, p string) {
	t.Helper()
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	writeFile(t, to, mustRead(t, from))
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		copyFile(t, filepath.Join(from, e.Name()), filepath.Join(to, e.Name()))
	}
}

// certsInit writes what `cassmesosd certs init --dir dir` writes for the daemon: a CA and the
// daemon's certificate.
func certsInit(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ca, err := tlsutil.NewCA("cassmesos CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	dc, dk, err := ca.Issue(tlsutil.Issue{Name: "cassmesosd", Roles: []string{tlsutil.RoleDaemon}, Server: true, Client: true, SANs: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := tlsutil.EncodeKey(ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"ca.crt": ca.CertPEM, "ca.key": caKey, "daemon.crt": dc, "daemon.key": dk} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
