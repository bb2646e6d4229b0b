package executor

import (
	"strings"
	"testing"
)

func TestMainNeedsTheAgentEnvironment(t *testing.T) {
	for _, k := range []string{"MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID", "MESOS_DIRECTORY", "MESOS_SANDBOX", "MESOS_AGENT_ENDPOINT"} {
		t.Setenv(k, "")
	}
	if code := Main(); code != 2 {
		t.Errorf("Main() = %d without MESOS_* variables, want 2", code)
	}
	t.Setenv(EnvLogLevel, "loud")
	if code := Main(); code != 2 {
		t.Errorf("Main() = %d with a bad log level, want 2", code)
	}
}

func TestCassandraArgsAllowRootOnlyAsRoot(t *testing.T) {
	if got := strings.Join(cassandraArgs(0, 0), " "); got != "-f -R" {
		t.Errorf("as root: %q, want \"-f -R\" (Apache's bin/cassandra refuses root without -R)", got)
	}
	if got := strings.Join(cassandraArgs(1000, 0), " "); got != "-f -R" {
		t.Errorf("in group root: %q, want \"-f -R\" (the script refuses gid 0 too)", got)
	}
	if got := strings.Join(cassandraArgs(1000, 1000), " "); got != "-f" {
		t.Errorf("as a user: %q, want \"-f\"", got)
	}
}
