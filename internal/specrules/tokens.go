package specrules

import (
	"fmt"
	"strconv"
)

// InitialTokens checks a node's initial tokens (cassandra.yaml initial_token): 1 to
// MaxNumTokens distinct Murmur3 tokens, each a signed 64-bit integer in canonical decimal
// ("-9223372036854775808" to "9223372036854775807", no sign on positives, no leading zeros, so
// the rendered list is exactly what Cassandra reports back). None at all is allowed (Cassandra
// picks the tokens); callers check that case themselves.
func InitialTokens(field string, tokens []string) error {
	if len(tokens) == 0 {
		return nil
	}
	if len(tokens) > MaxNumTokens {
		return &Error{Field: field, NoValue: true, Reason: fmt.Sprintf("%d tokens: at most %d", len(tokens), MaxNumTokens)}
	}
	seen := make(map[int64]int, len(tokens))
	for i, t := range tokens {
		f := fmt.Sprintf("%s[%d]", field, i)
		v, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return bad(f, t, "not a signed 64-bit Murmur3 token")
		}
		if strconv.FormatInt(v, 10) != t {
			return bad(f, t, "not in canonical decimal form (%d)", v)
		}
		if j, dup := seen[v]; dup {
			return bad(f, t, "repeats %s[%d]", field, j)
		}
		seen[v] = i
	}
	return nil
}
