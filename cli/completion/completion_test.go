package completion

import (
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
)

// The generated scripts are checked in package cli's TestCompletionScripts.
func TestNewCmdCompletion(t *testing.T) {
	for _, shell := range Shells {
		e := clitest.New(t)
		var got *CompletionOptions
		if code := e.Run(NewCmdCompletion(e.F, func(o *CompletionOptions) error { got = o; return nil }), shell); code != 0 || got.Shell != shell {
			t.Fatalf("%s: exit %d, opts %+v", shell, code, got)
		}
	}
	for _, bad := range []string{"", "tcsh", "bash zsh"} {
		e := clitest.New(t)
		if code := e.Run(NewCmdCompletion(e.F, nil), bad); code != 2 {
			t.Fatalf("%q: exit %d", bad, code)
		}
	}
}
