package nodetool

import (
	"fmt"
	"strings"
)

// ParseRunning parses the stdout of `nodetool statusbinary`, `statusgossip` (and 3.x
// `statusthrift`): the single line "running" or "not running".
func ParseRunning(out string) (bool, error) {
	var got []string
	for _, l := range lines(out) {
		if t := strings.TrimSpace(l); t != "" {
			got = append(got, t)
		}
	}
	if len(got) != 1 {
		return false, fmt.Errorf("status: want one line \"running\" or \"not running\", got %d lines", len(got))
	}
	switch got[0] {
	case "running":
		return true, nil
	case "not running":
		return false, nil
	}
	return false, fmt.Errorf("status: want \"running\" or \"not running\", got %q", truncate(got[0]))
}

// ParseVersion parses the stdout of `nodetool version`: "ReleaseVersion: 4.1.3". It returns the
// version string.
func ParseVersion(out string) (string, error) {
	for _, l := range lines(out) {
		t := strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(t, "ReleaseVersion:"); ok {
			v = strings.TrimSpace(v)
			if v == "" || strings.ContainsAny(v, " \t") {
				return "", fmt.Errorf("version: bad release version %q", truncate(v))
			}
			return v, nil
		}
	}
	return "", fmt.Errorf("version: no \"ReleaseVersion:\" line in output")
}
