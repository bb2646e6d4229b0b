package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/internal/clitest"
)

// Every command that changes something takes --request-id (and sends a fresh ID without it).
func TestMutatingCommandsTakeRequestID(t *testing.T) {
	e := clitest.New(t)
	root := NewCmdRoot(e.F)
	for _, path := range []string{
		"ring create", "ring delete", "ring restart", "ring scale", "ring update",
		"node decommission", "node remove", "node replace", "node restart",
		"op cancel", "repair run", "repair cancel", "repair pause", "repair resume",
		"repair schedule create", "repair schedule delete", "cleanup run",
	} {
		cmd, _, err := root.Find(strings.Fields(path))
		if err != nil || cmd.CommandPath() != "cassmesos "+path {
			t.Fatalf("%s: %v (found %q)", path, err, cmd.CommandPath())
		}
		if cmd.Flags().Lookup("request-id") == nil {
			t.Errorf("%s has no --request-id", path)
		}
	}
}

func TestNewRequestID(t *testing.T) {
	re := regexp.MustCompile(`^cli-[0-9a-f]{24}$`)
	seen := map[string]bool{}
	for range 100 {
		id := cmdutil.NewRequestID()
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("request ID %q (malformed or repeated)", id)
		}
		seen[id] = true
	}
}
