package cassandrasim

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFaultKnobs: crash_after kills the node with SIGKILL; hang_on_start binds nothing, so nodetool
// fails exactly as real nodetool does against a node that is not listening, and SIGTERM still stops it.
func TestFaultKnobs(t *testing.T) {
	c := newCluster(t)
	crash := c.start(2, []int{2})
	knobs := FastKnobs()
	knobs["hang_on_start"] = "true"
	hang, err := StartNode(NodeSpec{Home: c.home, Dir: filepath.Join(c.dir, "hang"), Address: c.addr(3), Seeds: []string{c.addr(3)}, Knobs: knobs})
	if err != nil {
		t.Fatal(err)
	}
	c.nodes[3] = hang
	c.waitCodes(2, map[int]string{2: "UN"}, 15*time.Second)
	if code := crash.Stop(10 * time.Second); code != 143 {
		t.Fatalf("SIGTERM exit = %d", code)
	}

	knobs = FastKnobs()
	knobs["crash_after"] = "1500ms"
	knobs["action_log"] = c.actions
	crashing, err := StartNode(NodeSpec{Home: c.home, Dir: filepath.Join(c.dir, "node2"), Address: c.addr(2), Seeds: []string{c.addr(2)}, Knobs: knobs})
	if err != nil {
		t.Fatal(err)
	}
	c.nodes[2] = crashing
	select {
	case <-crashing.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("crash_after did not kill the node")
	}
	if code := crashing.ExitCode(); code != 137 {
		t.Errorf("crashed node exit = %d, want 137 (SIGKILL)", code)
	}

	out, errOut, code, err := hang.Nodetool(context.Background(), "status")
	if err != nil {
		t.Fatal(err)
	}
	want := "nodetool: Failed to connect to '" + c.addr(3) + ":7199' - ConnectException: 'Connection refused'.\n"
	if code != 1 || errOut != want || out != "" {
		t.Errorf("nodetool against a hung node: exit %d stdout %q stderr %q", code, out, errOut)
	}
	if !strings.Contains(hang.SystemLog(), "hang_on_start") {
		t.Errorf("system.log does not say the node hangs:\n%s", hang.SystemLog())
	}
	if code := hang.Stop(10 * time.Second); code != 143 {
		t.Errorf("SIGTERM of a hung node: exit %d", code)
	}
	acts, err := ReadActions(c.actions)
	if err != nil {
		t.Fatal(err)
	}
	crashed := false
	for _, a := range acts {
		crashed = crashed || a.Action == "crash"
	}
	if !crashed {
		t.Errorf("the action log has no crash: %+v", acts)
	}
}
