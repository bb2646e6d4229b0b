package currentcontext

import (
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
)

func TestNewCmdCurrentContext(t *testing.T) {
	e := clitest.New(t)
	called := false
	if code := e.Run(NewCmdCurrentContext(e.F, func(*CurrentContextOptions) error { called = true; return nil }), ""); code != 0 || !called {
		t.Fatalf("exit %d", code)
	}
	if code := e.Run(NewCmdCurrentContext(e.F, nil), "x"); code != 2 {
		t.Fatalf("positional argument: exit %d", code)
	}
}

func TestCurrentContextRun(t *testing.T) {
	for _, tty := range []bool{false, true} {
		e := clitest.New(t).TTY(tty)
		if code := e.Run(NewCmdCurrentContext(e.F, nil), ""); code != 1 {
			t.Fatalf("no current context: exit %d", code)
		}
		e.Out.Reset()
		e.Config.SetContext("dev", "d:1")
		e.Config.CurrentContext = "dev"
		if code := e.Run(NewCmdCurrentContext(e.F, nil), ""); code != 0 {
			t.Fatalf("exit %d", code)
		}
		clitest.Diff(t, "stdout", e.Out.String(), "dev\n")
	}
}
