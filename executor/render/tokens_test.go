package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Issue 16: a node of a ring created from a backup starts with the backed-up node's tokens:
// initial_token is rendered (num_tokens = their count) from the task config; a replacement never
// renders it (it takes the replaced node's tokens through replace_address), and neither does a
// node without initial tokens (a stale initial_token in the distribution's file is removed).
func TestInitialTokensRender(t *testing.T) {
	toks := []string{"-9223372036854775808", "-3", "4611686018427387904"}
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "r", Address: "127.0.0.2", NumTokens: 16, InitialTokens: toks}
	if err := CheckConfig(cfg); err != nil {
		t.Fatal(err)
	}
	s := SettingsFor(cfg, "/vol", false)
	if s.NumTokens != 3 {
		t.Errorf("num_tokens = %d, want 3 (the count of initial tokens)", s.NumTokens)
	}
	src := append(sampleYAML(t), []byte("\ninitial_token: 1,2\n")...)
	out, err := OverlayYAML(src, s)
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, out)
	if got["initial_token"] != strings.Join(toks, ",") || got["num_tokens"] != 3 {
		t.Errorf("initial_token = %v, num_tokens = %v; want %q and 3", got["initial_token"], got["num_tokens"], strings.Join(toks, ","))
	}
	if strings.Count(string(out), "\ninitial_token:") != 1 {
		t.Errorf("initial_token rendered %d times", strings.Count(string(out), "\ninitial_token:"))
	}

	// A replacement takes the replaced node's tokens: no initial_token. The daemon never sends
	// both; the executor refuses a config that does, and SettingsFor ignores the tokens.
	rep := &cassmesosv1.NodeTaskConfig{Ring: "r", Address: "127.0.0.2", ReplaceAddress: "127.0.0.9", InitialTokens: toks}
	if err := CheckConfig(rep); err == nil || !strings.Contains(err.Error(), "NodeTaskConfig.initial_tokens: set with replace_address") {
		t.Errorf("CheckConfig(replacement with initial tokens) = %v", err)
	}
	rs := SettingsFor(rep, "/vol", true)
	if len(rs.InitialTokens) != 0 || rs.NumTokens != DefaultNumTokens {
		t.Errorf("replacement settings: initial tokens %q, num_tokens %d", rs.InitialTokens, rs.NumTokens)
	}
	out, err = OverlayYAML(src, rs)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := decode(t, out)["initial_token"]; ok {
		t.Error("a replacement rendered initial_token")
	}

	// Bad tokens are refused with the field and value named, before anything is written.
	for _, c := range []struct {
		toks []string
		want string
	}{
		{[]string{"1", "abc"}, `NodeTaskConfig.initial_tokens[1]: "abc": not a signed 64-bit Murmur3 token`},
		{[]string{"18446744073709551615"}, `NodeTaskConfig.initial_tokens[0]: "18446744073709551615": not a signed 64-bit`},
		{[]string{"5", "5"}, `NodeTaskConfig.initial_tokens[1]: "5": repeats`},
	} {
		bad := &cassmesosv1.NodeTaskConfig{Ring: "r", Address: "127.0.0.2", InitialTokens: c.toks}
		if err := CheckConfig(bad); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckConfig(%q) = %v, want %q", c.toks, err, c.want)
		}
		dir := t.TempDir()
		home := filepath.Join(dir, "home")
		if err := os.MkdirAll(filepath.Join(home, "conf"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, "conf", "cassandra.yaml"), sampleYAML(t), 0o644); err != nil {
			t.Fatal(err)
		}
		p := Paths{Home: home, Conf: filepath.Join(dir, "conf"), Data: filepath.Join(dir, "vol"), Logs: filepath.Join(dir, "logs")}
		bad.JmxPassword = testJMXPassword
		if err := Materialize(bad, p, true); err == nil {
			t.Errorf("Materialize(%q) accepted", c.toks)
		}
		if _, err := os.Stat(filepath.Join(p.Conf, "cassandra.yaml")); !os.IsNotExist(err) {
			t.Errorf("Materialize(%q) wrote cassandra.yaml (%v)", c.toks, err)
		}
	}
	// Without initial tokens, a stale initial_token in the distribution's file is removed.
	plain := baseSettings()
	out, err = OverlayYAML(src, plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := decode(t, out)["initial_token"]; ok {
		t.Error("initial_token kept without initial tokens")
	}
}
