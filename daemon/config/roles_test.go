package config

import (
	"io"
	"strings"
	"testing"
)

// --role repeats (or takes a comma list) and --roles adds more; the first is the default role.
// Duplicates and invalid names are refused naming the flag.
func TestParseRoles(t *testing.T) {
	_, base := fixture(t)
	for _, tt := range []struct {
		args []string
		want string
		err  string
	}{
		{nil, "cassandra", ""},
		{[]string{"--role", "ra"}, "ra", ""},
		{[]string{"--role", "ra", "--role", "rb"}, "ra,rb", ""},
		{[]string{"--role", "ra,rb", "--roles", "rc"}, "ra,rb,rc", ""},
		{[]string{"--roles", "rb,rc"}, "rb,rc", ""},
		{[]string{"--role", "ra", "--roles", "ra"}, "", `--role: "ra" is given twice`},
		{[]string{"--role", "*"}, "", `--role: "*" is not a valid Mesos role`},
		{[]string{"--roles", "a b"}, "", `"a b" is not a valid Mesos role`},
	} {
		c, err := Parse(append(append([]string(nil), base...), tt.args...), nil, io.Discard)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if got := strings.Join(c.Roles, ","); got != tt.want || c.Role != c.Roles[0] {
			t.Errorf("%v: roles %q (default %q), want %q", tt.args, got, c.Role, tt.want)
		}
	}
}
