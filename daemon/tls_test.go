package daemon

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/nodeagent"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/executor/agent"
	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
	"github.com/cassmesos/cassmesos/internal/tlsutil"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// certsDir runs `cassmesosd certs init` into a temporary directory.
func certsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := runCerts([]string{"init", "--dir", dir}, &out, &errb); code != ExitOK {
		t.Fatalf("certs init: %d %s", code, errb.String())
	}
	return dir
}

func TestCertsInitAndIssue(t *testing.T) {
	dir := certsDir(t)
	for _, f := range []string{CAKeyFile, DaemonKeyFile, AdminKeyFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, st.Mode(), err)
		}
	}
	var out, errb bytes.Buffer
	if code := runCerts([]string{"init", "--dir", dir}, &out, &errb); code == ExitOK || !strings.Contains(errb.String(), "already exists") {
		t.Fatalf("init over an existing CA: %d %s", code, errb.String())
	}
	if code := runCerts([]string{"issue", "--dir", dir, "--name", "bob", "--role", "viewer"}, &out, &errb); code != ExitOK {
		t.Fatalf("issue: %s", errb.String())
	}
	b, _ := os.ReadFile(filepath.Join(dir, "bob.crt"))
	certs, err := tlsutil.ParseCertificates(b)
	if err != nil || certs[0].Subject.CommonName != "bob" || !tlsutil.HasRole(certs[0], "viewer") {
		t.Fatalf("bob.crt: %v %v", certs, err)
	}
	errb.Reset()
	if code := runCerts([]string{"issue", "--dir", dir, "--name", "../evil"}, &out, &errb); code != ExitUsage {
		t.Fatalf("a name with a path: %d %s", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil.crt")); err == nil {
		t.Fatal("wrote outside --dir")
	}
}

// TestTaskCertificateOnlyInTheLaunch: the launch sent to Mesos carries a certificate for the
// node's address; the planner's launch (what could be persisted) is not changed.
func TestTaskCertificateOnlyInTheLaunch(t *testing.T) {
	dir := certsDir(t)
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "r1", Node: "n0", Address: "127.0.0.1", AgentPort: 1, AgentSecret: "s"}
	tt := taskTLS{caFile: filepath.Join(dir, CACertFile), caKeyFile: filepath.Join(dir, CAKeyFile)}
	fake := &fakeMesos{}
	m := tlsMesos{Mesos: fake, tls: tt}
	a := plan.Accept{Operations: []plan.OfferOp{{Kind: plan.OpLaunch, Task: &plan.TaskLaunch{TaskID: "t", Config: cfg}}}}
	if err := m.Accept(context.Background(), 1, a); err != nil {
		t.Fatal(err)
	}
	if len(cfg.GetAgentTlsKey()) != 0 || len(a.Operations[0].Task.Config.GetAgentTlsKey()) != 0 {
		t.Fatal("the planner's launch was given the key")
	}
	sent := fake.accepted.Operations[0].Task.Config
	if len(sent.GetAgentTlsKey()) == 0 || len(sent.GetAgentTlsCa()) == 0 {
		t.Fatal("the launch sent carries no TLS material")
	}
	certs, _ := tlsutil.ParseCertificates(sent.GetAgentTlsCert())
	if err := certs[0].VerifyHostname("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
}

type fakeMesos struct {
	engine.Mesos
	accepted plan.Accept
}

func (f *fakeMesos) Accept(_ context.Context, _ uint64, a plan.Accept) error {
	f.accepted = a
	return nil
}

// TestExecutorRefusesRelayWithoutDaemonCertificate: the per-node API, served with the task's
// certificate, accepts a relay from the daemon's certificate only. Every caller below has the
// right bearer secret and epoch, so TLS is what refuses them.
func TestExecutorRefusesRelayWithoutDaemonCertificate(t *testing.T) {
	dir := certsDir(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint32(lis.Addr().(*net.TCPAddr).Port)
	tt := taskTLS{caFile: filepath.Join(dir, CACertFile), caKeyFile: filepath.Join(dir, CAKeyFile)}
	cfg, err := tt.secure(&cassmesosv1.NodeTaskConfig{Ring: "r1", Node: "n0", Address: "127.0.0.1", AgentPort: port, AgentSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	fake := nodetoolfake.New()
	srv, err := agent.NewGRPCServer(agent.Config{Controller: fake, Secret: "s", Ring: "r1", Node: "n0",
		TLS: &agent.TLS{CertPEM: cfg.GetAgentTlsCert(), KeyPEM: cfg.GetAgentTlsKey(), CAPEM: cfg.GetAgentTlsCa()}})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)

	source := func(cert, key string) *tlsutil.Source {
		f := tlsutil.Files{CA: filepath.Join(dir, CACertFile)}
		if cert != "" {
			f.Cert, f.Key = filepath.Join(dir, cert), filepath.Join(dir, key)
		}
		s, err := tlsutil.NewSource(f, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	relay := func(c *nodeagent.Client) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.Relay(ctx, 1, plan.Relay{Kind: plan.RelayDrain, Ring: "r1", Node: "n0", Address: "127.0.0.1", AgentPort: port, Secret: "s"})
		return err
	}
	withTLS := func(s *tlsutil.Source) *nodeagent.Client {
		return &nodeagent.Client{TLS: func() *tls.Config { return tlsutil.ClientConfig(s, "") }}
	}

	// A foreign CA's certificate with the daemon role.
	foreign := t.TempDir()
	var out, errb bytes.Buffer
	if code := runCerts([]string{"init", "--dir", foreign}, &out, &errb); code != ExitOK {
		t.Fatal(errb.String())
	}
	foreignSrc, err := tlsutil.NewSource(tlsutil.Files{Cert: filepath.Join(foreign, DaemonCertFile), Key: filepath.Join(foreign, DaemonKeyFile), CA: filepath.Join(dir, CACertFile)}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*nodeagent.Client{
		"plaintext":                       {},
		"TLS without a certificate":       withTLS(source("", "")),
		"admin certificate (not daemon)":  withTLS(source(AdminCertFile, AdminKeyFile)),
		"foreign CA's daemon certificate": withTLS(foreignSrc),
	} {
		err := relay(c)
		if err == nil {
			t.Errorf("%s: relay accepted", name)
			continue
		}
		if code := status.Code(err); code != codes.Unavailable {
			t.Errorf("%s: code %v (%v), want Unavailable", name, code, err)
		}
	}
	if n := len(fake.Calls()); n != 0 {
		t.Fatalf("refused callers reached the node: %v", fake.Calls())
	}
	if err := relay(withTLS(source(DaemonCertFile, DaemonKeyFile))); err != nil {
		t.Fatalf("the daemon's relay: %v", err)
	}
	if len(fake.Calls()) == 0 {
		t.Fatal("the daemon's relay did not reach the node")
	}
}

// TestHTTPEndpointsServeTLS: the metrics (and --artifact-tls artifact) listener serves TLS with
// the daemon's certificate; a plaintext request gets no answer.
func TestHTTPEndpointsServeTLS(t *testing.T) {
	dir := certsDir(t)
	src, err := tlsutil.NewSource(tlsutil.Files{Cert: filepath.Join(dir, DaemonCertFile), Key: filepath.Join(dir, DaemonKeyFile), CA: filepath.Join(dir, CACertFile)}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{tls: src}
	lis, err := d.listen("127.0.0.1:0", tls.VerifyClientCertIfGiven)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Close() })
	url := "https://" + lis.Addr().String() + "/metrics"
	ca, _ := tlsutil.NewSource(tlsutil.Files{CA: filepath.Join(dir, CACertFile)}, 0, nil)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsutil.ClientConfig(ca, "")}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTPS: %s", resp.Status)
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get("http://" + lis.Addr().String() + "/metrics"); err == nil && resp.StatusCode == http.StatusOK {
		t.Fatal("plaintext HTTP answered 200")
	}
}

// TestInsecureWarnsAtStartAndRepeatedly: --insecure logs its WARN at once and then every
// insecureWarnEvery (an hour; shortened here).
func TestInsecureWarnsAtStartAndRepeatedly(t *testing.T) {
	old := insecureWarnEvery
	insecureWarnEvery = 5 * time.Millisecond
	t.Cleanup(func() { insecureWarnEvery = old })
	var buf syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	warnInsecure(ctx, slog.New(slog.NewTextHandler(&buf, nil)))
	if !strings.Contains(buf.String(), "level=WARN msg=\"INSECURE:") {
		t.Fatalf("no warning at start: %q", buf.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(buf.String(), "INSECURE:") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the warning was not repeated: %q", buf.String())
		}
		runtime.Gosched()
	}
}
