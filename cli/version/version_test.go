package version

import (
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
)

// Runs against a fake daemon are in package cli's TestVersion.
func TestNewCmdVersion(t *testing.T) {
	e := clitest.New(t)
	var got *VersionOptions
	if code := e.Run(NewCmdVersion(e.F, func(o *VersionOptions) error { got = o; return nil }), "--client"); code != 0 || !got.Client {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdVersion(e.F, nil), "extra"); code != 2 {
		t.Fatalf("positional argument: exit %d", code)
	}
}

func TestVersionRunClientOnly(t *testing.T) {
	for _, tty := range []bool{false, true} {
		e := clitest.New(t).TTY(tty)
		if code := e.Run(NewCmdVersion(e.F, nil), "--client"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.ErrOut)
		}
		clitest.Diff(t, "stdout", e.Out.String(), "Client Version: dev\n")
	}
}
