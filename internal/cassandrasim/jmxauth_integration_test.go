package cassandrasim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// Issue 13: with -Dcom.sun.management.jmxremote.authenticate=true (after the LOCAL_JMX default's
// =false: the last -D wins) the stand-in's JMX refuses nodetool without credentials or with wrong
// ones, as real JMX does (exit 1, SecurityException), and answers with -u/-pw or -u/-pwf.
func TestJMXAuthentication(t *testing.T) {
	c := newCluster(t)
	conf := t.TempDir()
	pwFile := filepath.Join(conf, "jmxremote.password")
	if err := os.WriteFile(pwFile, []byte("cassmesos s3cret-s3cret-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(conf, "nodetool.credentials")
	if err := os.WriteFile(good, []byte("other x\ncassmesos s3cret-s3cret-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(conf, "bad.credentials")
	if err := os.WriteFile(bad, []byte("cassmesos nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.start(2, []int{2}, "-Dcom.sun.management.jmxremote.authenticate=true",
		"-Dcom.sun.management.jmxremote.password.file="+pwFile)
	waitFor(t, "nodetool with credentials to answer", 30*time.Second, func() (bool, string) {
		o, e, code := c.nodetool(2, "-u", "cassmesos", "-pwf", good, "statusbinary")
		return code == 0 && o == "running\n", o + e
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no credentials", nil, "Authentication failed! Credentials required"},
		{"wrong password", []string{"-u", "cassmesos", "-pw", "nope"}, "Authentication failed! Invalid username or password"},
		{"wrong password file", []string{"-u", "cassmesos", "-pwf", bad}, "Authentication failed! Invalid username or password"},
		{"unknown user", []string{"-u", "other", "-pwf", good}, "Authentication failed! Invalid username or password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, e, code := c.nodetool(2, append(tc.args, "decommission")...)
			if code != 1 || !strings.Contains(e, "Failed to connect to '"+c.addr(2)+":7199' - SecurityException: '"+tc.want+"'.") {
				t.Fatalf("exit %d stdout %q stderr %q, want exit 1 and %q", code, o, e, tc.want)
			}
			if k := nodetool.Classify("decommission", code, o, e); !errors.Is(k, nodetool.ErrAuthentication) {
				t.Errorf("executor/nodetool classifies the refusal as %v, want ErrAuthentication", k)
			}
		})
	}
	if o, e, code := c.nodetool(2, "-u", "cassmesos", "-pw", "s3cret-s3cret-s3cret", "statusgossip"); code != 0 || o != "running\n" {
		t.Errorf("with -pw: exit %d %q %q", code, o, e)
	}
	// The refused decommissions did nothing: the node is still in the ring.
	if o, e, code := c.nodetool(2, "-u", "cassmesos", "-pwf", good, "netstats"); code != 0 || !strings.Contains(o, "Mode: NORMAL") {
		t.Errorf("netstats after the refusals: exit %d %q %q", code, o, e)
	}
}
