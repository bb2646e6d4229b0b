package specrules

import (
	"strings"
	"testing"
)

func TestInitialTokens(t *testing.T) {
	ok := [][]string{nil, {"0"}, {"-9223372036854775808", "9223372036854775807", "42", "-7"}}
	for _, ts := range ok {
		if err := InitialTokens("initial_tokens", ts); err != nil {
			t.Errorf("InitialTokens(%q) = %v, want nil", ts, err)
		}
	}
	bad := []struct {
		tokens []string
		want   string
	}{
		{[]string{"1", "x"}, `initial_tokens[1]: "x": not a signed 64-bit`},
		{[]string{"9223372036854775808"}, `initial_tokens[0]: "9223372036854775808": not a signed 64-bit`},
		{[]string{"-9223372036854775809"}, `not a signed 64-bit`},
		{[]string{"+5"}, `"+5": not in canonical decimal form (5)`},
		{[]string{"007"}, `"007": not in canonical decimal form (7)`},
		{[]string{"1", "2", "1"}, `initial_tokens[2]: "1": repeats initial_tokens[0]`},
		{[]string{" 1"}, `not a signed 64-bit`},
		{make([]string, MaxNumTokens+1), `1537 tokens: at most 1536`},
	}
	for _, c := range bad {
		err := InitialTokens("initial_tokens", c.tokens)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("InitialTokens(%.40q) = %v, want an error containing %q", c.tokens, err, c.want)
		}
	}
}
