package view

import (
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
)

func TestNewCmdView(t *testing.T) {
	e := clitest.New(t)
	called := false
	if code := e.Run(NewCmdView(e.F, func(*ViewOptions) error { called = true; return nil }), ""); code != 0 || !called {
		t.Fatalf("exit %d", code)
	}
	if code := e.Run(NewCmdView(e.F, nil), "x"); code != 2 {
		t.Fatalf("positional argument: exit %d", code)
	}
}

func TestViewRun(t *testing.T) {
	for _, tc := range []struct {
		name, output     string
		tty              bool
		wantOut, wantErr string
	}{
		{name: "pipe", wantOut: "current-context: dev\ncontexts:\n  - name: dev\n    server: d:1\n"},
		{name: "terminal", tty: true, wantOut: "current-context: dev\ncontexts:\n  - name: dev\n    server: d:1\n", wantErr: "# /nonexistent/config.yaml\n"},
		{name: "json", output: "json", wantOut: "{\n  \"currentContext\": \"dev\",\n  \"contexts\": [\n    {\n      \"name\": \"dev\",\n      \"server\": \"d:1\"\n    }\n  ]\n}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			e.Config.SetContext("dev", "d:1")
			e.Config.CurrentContext = "dev"
			if code := e.Run(NewCmdView(e.F, nil), ""); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErr)
		})
	}
}

func TestViewRedactsSecrets(t *testing.T) {
	e := clitest.New(t)
	e.Config.SetContext("dev", "d:1")
	e.Config.Contexts[0].Token = "s3cret"
	e.Config.Contexts[0].ClientCertificateData = "CERT"
	e.Config.Contexts[0].ClientKeyData = "KEYPEM"
	if code := e.Run(NewCmdView(e.F, nil), ""); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if out := e.Out.String(); strings.Contains(out, "s3cret") || strings.Contains(out, "KEYPEM") || !strings.Contains(out, "token: REDACTED") {
		t.Fatalf("secrets shown:\n%s", out)
	}
	if e.Config.Contexts[0].Token != "s3cret" {
		t.Fatal("view changed the loaded config")
	}
	e.Out.Reset()
	if code := e.Run(NewCmdView(e.F, nil), "--raw"); code != 0 || !strings.Contains(e.Out.String(), "s3cret") {
		t.Fatalf("--raw: exit %d\n%s", code, e.Out.String())
	}
}
