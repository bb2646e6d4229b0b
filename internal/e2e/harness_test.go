package e2e

import (
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// The harness itself: a world comes up, the CLI reaches the daemon, a three-node ring becomes
// healthy, nodetool sees it, and the tracker and the action log see its tasks and nodes.
func TestHarnessSmoke(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 3})
	out, errOut, code := w.CLI("version")
	if code != 0 || !strings.Contains(out, w.DaemonAddr()+" (leader)") {
		t.Fatalf("cassmesos version: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = w.CLI("ring", "create", "smoke", "--nodes", "3", "--seeds", "1", "--cpus", "0.5", "--mem", "1Gi", "--disk", "1Gi", "--wait", "--timeout", "2m")
	if code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	w.WaitFor(30*time.Second, func() bool { return UpNormal(w.Ring("smoke")) == 3 }, "3 UN in GetRing")
	codes, err := w.StatusCodes(w.AgentIP(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 3 {
		t.Fatalf("nodetool status on %s: %v", w.AgentIP(0), codes)
	}
	if h := w.TaskHistory(); len(h.Tasks) != 3 {
		t.Fatalf("tracker saw %d tasks: %+v", len(h.Tasks), h.Tasks)
	}
	if acts := w.ActionLog(); len(acts) == 0 {
		t.Fatal("empty action log")
	}
}
