package setcontext

import (
	"path/filepath"
	"testing"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/config"
	"github.com/cassmesos/cassmesos/cli/internal/clitest"
)

func TestNewCmdSetContext(t *testing.T) {
	e := clitest.New(t)
	var got *SetContextOptions
	if code := e.Run(NewCmdSetContext(e.F, func(o *SetContextOptions) error { got = o; return nil }), "prod --server p:9090 --use"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if got.Name != "prod" || got.Server != "p:9090" || !got.Use {
		t.Fatalf("opts %+v", got)
	}
	for _, bad := range []string{"prod", "prod --server nohost", "'bad name' --server p:1", ""} {
		if code := e.Run(NewCmdSetContext(e.F, nil), bad); code != 2 {
			t.Fatalf("%q: exit %d", bad, code)
		}
	}
}

func TestSetContextRun(t *testing.T) {
	for _, tty := range []bool{false, true} {
		e := clitest.New(t).TTY(tty)
		path := filepath.Join(t.TempDir(), "config.yaml")
		e.F.ConfigPath = func() (string, error) { return path, nil }
		e.F.Config = cmdutil.ConfigLoader(e.F.ConfigPath)
		if code := e.Run(NewCmdSetContext(e.F, nil), "prod --server p:9090"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.ErrOut)
		}
		clitest.Diff(t, "stdout", e.Out.String(), "context prod added: p:9090 (current)\n")
	}
}

func TestSetContextStoresCredentials(t *testing.T) {
	e := clitest.New(t)
	path := filepath.Join(t.TempDir(), "config.yaml")
	e.F.ConfigPath = func() (string, error) { return path, nil }
	e.F.Config = cmdutil.ConfigLoader(e.F.ConfigPath)
	e.F.Globals.CA, e.F.Globals.Cert, e.F.Globals.Key, e.F.Globals.Token = "ca.crt", "/abs/admin.crt", "/abs/admin.key", "t0k"
	if code := e.Run(NewCmdSetContext(e.F, nil), "prod --server p:9090"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cfg.Context("prod")
	wantCA, _ := filepath.Abs("ca.crt")
	if c.CertificateAuthority != wantCA || c.ClientCertificate != "/abs/admin.crt" || c.ClientKey != "/abs/admin.key" || c.Token != "t0k" {
		t.Fatalf("context %+v", c)
	}
	e.F.Globals.Key = ""
	if code := e.Run(NewCmdSetContext(e.F, nil), "prod --server p:9090"); code != 2 {
		t.Fatalf("--cert without --key: exit %d", code)
	}
}
