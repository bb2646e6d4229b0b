package usecontext

import (
	"path/filepath"
	"testing"

	"github.com/cassmesos/cassmesos/cli/config"
	"github.com/cassmesos/cassmesos/cli/internal/clitest"
)

func TestNewCmdUseContext(t *testing.T) {
	e := clitest.New(t)
	var got *UseContextOptions
	if code := e.Run(NewCmdUseContext(e.F, func(o *UseContextOptions) error { got = o; return nil }), "dev"); code != 0 || got.Name != "dev" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdUseContext(e.F, nil), ""); code != 2 {
		t.Fatalf("no name: exit %d", code)
	}
}

func TestUseContextRun(t *testing.T) {
	for _, tty := range []bool{false, true} {
		e := clitest.New(t).TTY(tty)
		path := filepath.Join(t.TempDir(), "config.yaml")
		e.F.ConfigPath = func() (string, error) { return path, nil }
		e.Config.SetContext("dev", "d:9090")
		if code := e.Run(NewCmdUseContext(e.F, nil), "dev"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.ErrOut)
		}
		clitest.Diff(t, "stdout", e.Out.String(), "switched to context dev (d:9090)\n")
		saved, err := config.Load(path)
		if err != nil || saved.CurrentContext != "dev" {
			t.Fatalf("saved %+v %v", saved, err)
		}
		if code := e.Run(NewCmdUseContext(e.F, nil), "prod"); code != 2 {
			t.Fatalf("unknown context: exit %d", code)
		}
	}
}
