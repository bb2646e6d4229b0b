package mesos

import (
	"errors"
	"strings"
	"testing"
)

// Issue 17: the version check names the supported range, Apache Mesos 1.9–1.11 and ClusterD (1.11
// API); a newer master is accepted with a warning.
func TestVersionCheckNamesTheSupportedRange(t *testing.T) {
	for _, v := range []string{"", "1.8.1"} {
		err := checkVersion(v)
		if !errors.Is(err, ErrMasterTooOld) || !strings.Contains(err.Error(), "1.9–1.11") || !strings.Contains(err.Error(), "ClusterD") {
			t.Errorf("checkVersion(%q) = %v, want ErrMasterTooOld naming the supported range", v, err)
		}
	}
	for _, v := range []string{"1.9.0", "1.10.0", "1.11.0", "1.11.1-dev", "1.12.0-dev"} {
		if err := checkVersion(v); err != nil {
			t.Errorf("checkVersion(%q) = %v", v, err)
		}
	}
	for v, warn := range map[string]bool{"1.9.0": false, "1.11.0": false, "1.11.7": false, "1.12.0-dev": true, "2.0.0": true} {
		if got := versionNote(v) != ""; got != warn {
			t.Errorf("versionNote(%q) = %q, want a warning %v", v, versionNote(v), warn)
		}
	}
}
