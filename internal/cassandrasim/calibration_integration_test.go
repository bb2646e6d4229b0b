package cassandrasim

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// The tests in this file check the stand-in against what a real Cassandra 5.0.8 node printed and
// exited with (see "Real Cassandra 5.0 versus the stand-in" in docs/cassandra-sim.md).

const badUseHelp = "See 'nodetool help' or 'nodetool help <command>'.\n"

// startIn starts node i with its own directory dir (a fresh one gives fresh data), FastKnobs
// overridden by over.
func (c *cluster) startIn(i int, dir string, seeds []int, over map[string]string, extra ...string) *Node {
	c.t.Helper()
	var s []string
	for _, x := range seeds {
		s = append(s, c.addr(x))
	}
	knobs := FastKnobs()
	knobs["action_log"] = c.actions
	for k, v := range over {
		knobs[k] = v
	}
	n, err := StartNode(NodeSpec{Home: c.home, Dir: dir, Address: c.addr(i), Seeds: s, JVMExtraOpts: extra, Knobs: knobs})
	if err != nil {
		c.t.Fatalf("starting node %d: %v", i, err)
	}
	c.nodes[i] = n
	return n
}

// startupFailure waits for a node that must refuse to start and returns its stderr.
func startupFailure(t *testing.T, n *Node, timeout time.Duration) string {
	t.Helper()
	select {
	case <-n.Done():
	case <-time.After(timeout):
		t.Fatalf("node %s did not refuse to start within %s", n.Spec.Address, timeout)
	}
	if code := n.ExitCode(); code != 3 {
		t.Errorf("node %s: exit code %d, want 3 (an exception during startup)", n.Spec.Address, code)
	}
	return n.Stderr()
}

// TestRootNeedsR: as root, bin/cassandra refuses to start without -R, as the real script does.
func TestRootNeedsR(t *testing.T) {
	if os.Geteuid() != 0 && os.Getegid() != 0 {
		// The refusal is for root (uid or gid 0) only: a user's start needs no -R.
		if got := strings.Join(CassandraArgs(), " "); got != "-f" {
			t.Errorf("CassandraArgs() as a user = %q, want \"-f\"", got)
		}
		return
	}
	home := testDist(t)
	dir := t.TempDir()
	addr := LoopbackBlock()(2)
	conf, err := RenderConf(NodeSpec{Home: home, Dir: dir, Address: addr, Seeds: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(home, "bin", "cassandra"), "-f")
	cmd.Env = append(os.Environ(), "CASSANDRA_HOME="+home, "CASSANDRA_CONF="+conf, "CASSANDRA_LOG_DIR="+filepath.Join(dir, "logs"))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("bin/cassandra -f as root: %v, want exit code 1", err)
	}
	want := "Running Cassandra as root user or group is not recommended - please start Cassandra using a different system user.\n" +
		"If you really want to force running Cassandra as root, use -R command line option.\n"
	if stderr.String() != want || stdout.String() != "" {
		t.Errorf("stdout %q stderr %q, want stderr %q", stdout.String(), stderr.String(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "logs", "system.log")); err == nil {
		t.Errorf("the refused start got as far as the node (system.log exists)")
	}
	if got := strings.Join(CassandraArgs(), " "); got != "-f -R" {
		t.Errorf("CassandraArgs() as root = %q, want \"-f -R\"", got)
	}
}

// answer is one nodetool result.
type answer struct {
	stdout, stderr string
	code           int
}

// pollAnswers runs nodetool args against n until stop says so, and returns the distinct
// answers in the order they first came.
func pollAnswers(t *testing.T, n *Node, timeout time.Duration, stop func(answer) bool, args ...string) []answer {
	t.Helper()
	var seen []answer
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		o, e, code, err := n.Nodetool(ctx, args...)
		cancel()
		if err != nil {
			t.Fatalf("nodetool %v: %v", args, err)
		}
		a := answer{o, e, code}
		if len(seen) == 0 || seen[len(seen)-1] != a {
			seen = append(seen, a)
		}
		if stop(a) {
			return seen
		}
		time.Sleep(30 * time.Millisecond) // polling interval
	}
	t.Fatalf("nodetool %v: no final answer within %s; answers: %+v", args, timeout, seen)
	return nil
}

// TestNodetoolWhileStarting: while a seed starts, nodetool status goes through 5.0's answers:
// "Server is not initialized yet" (exit 1), then "No nodes present in the cluster" (exit 1; the
// executor's ErrNotReady both), then the ring. A lone seed restarted on its data, which already
// has system_traces, fails the other way (error: ..., exit 2) until it is NORMAL again.
func TestNodetoolWhileStarting(t *testing.T) {
	c := newCluster(t)
	slow := map[string]string{"jmx_init_delay": "1500ms", "ring_delay": "3s"}
	n := c.startWith(2, []int{2}, slow)
	normal := func(a answer) bool { return a.code == 0 && strings.Contains(a.stdout, "\nUN  ") }
	seen := pollAnswers(t, n, 30*time.Second, normal, "status")
	notInit, noNodes := false, false
	for _, a := range seen {
		switch {
		case a.code == 1 && strings.Contains(a.stderr, "Failed to connect to"):
			// before JMX is bound
		case a.code == 1 && a.stdout == "" && strings.HasPrefix(a.stderr, "Exception in thread \"main\" java.lang.IllegalArgumentException: Server is not initialized yet, cannot run nodetool.\n\tat org.apache.cassandra.tools.NodeTool.err("):
			notInit = true
		case a.code == 1 && a.stderr == "" && a.stdout == "\nError: No nodes present in the cluster. Has this node finished starting up?\n":
			noNodes = true
		case normal(a):
		default:
			t.Errorf("unexpected answer while starting: exit %d stdout %q stderr %q", a.code, a.stdout, a.stderr)
		}
		if a.code != 0 {
			k := nodetool.Classify("status", a.code, a.stdout, a.stderr)
			if !errors.Is(k, nodetool.ErrNotReady) && !errors.Is(k, nodetool.ErrConnectionRefused) {
				t.Errorf("executor/nodetool classifies exit %d %q %q as %v", a.code, a.stdout, a.stderr, k)
			}
		}
	}
	if !notInit || !noNodes {
		t.Errorf("saw \"not initialized\" %v, \"No nodes present\" %v; answers: %+v", notInit, noNodes, seen)
	}
	waitFor(t, "statusbinary to say running", 10*time.Second, func() (bool, string) {
		o, e, code := c.nodetool(2, "statusbinary")
		return code == 0 && o == "running\n" && e == "", o + e
	})

	if code := n.Stop(10 * time.Second); code != 143 {
		t.Fatalf("SIGTERM exit code %d", code)
	}
	n = c.startWith(2, []int{2}, map[string]string{"jmx_init_delay": "0s", "ring_delay": "3s"})
	seen = pollAnswers(t, n, 30*time.Second, normal, "status")
	restarted := false
	for _, a := range seen {
		if a.code == 2 && a.stdout == "" && strings.HasPrefix(a.stderr, "error: No nodes present in the cluster. Has this node finished starting up?\n-- StackTrace --\njava.lang.RuntimeException: No nodes present") {
			restarted = true
			if k := nodetool.Classify("status", a.code, a.stdout, a.stderr); !errors.Is(k, nodetool.ErrNotReady) {
				t.Errorf("executor/nodetool classifies %q as %v", a.stderr, k)
			}
		}
	}
	if !restarted {
		t.Errorf("a lone seed restarted on its data never answered \"error: No nodes present\" (exit 2): %+v", seen)
	}
}

// TestOperatorCommandsLikeCassandra50: the answers of describering, removenode, cleanup,
// subrange repair, decommission, drain, enablegossip/enablebinary/disablegossip, checked on a real
// 5.0.8 node: texts, streams and exit codes.
func TestOperatorCommandsLikeCassandra50(t *testing.T) {
	c := newCluster(t)
	seeds := []int{2, 3}
	c.start(2, seeds)
	c.start(3, seeds)
	c.startWith(4, seeds, map[string]string{"decommission_duration": "3s"})
	all := map[int]string{2: "UN", 3: "UN", 4: "UN"}
	for _, i := range []int{2, 3, 4} {
		c.waitCodes(i, all, 25*time.Second)
	}
	ctx := context.Background()
	if err := c.nodes[2].CQL(ctx, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}; CREATE TABLE ks.t (k int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	var ringOut string
	waitFor(t, "keyspace ks on node 4", 10*time.Second, func() (bool, string) {
		o, e, code := c.nodetool(4, "describering", "ks")
		ringOut = o
		return code == 0, o + e
	})

	// describering: the header (its schema version may move on while the table's schema still
	// spreads), then 5.0's IOException.
	header := regexp.MustCompile(`^Schema Version:[0-9a-f-]{36}\nTokenRange: \n$`)
	if !strings.HasPrefix(ringOut, "Schema Version:") {
		t.Fatalf("describering ks: %q", ringOut)
	}
	for ks, msg := range map[string]string{"nope": "No such keyspace: nope", "system": "There is no ring for the keyspace: system"} {
		o, e, code := c.nodetool(4, "describering", ks)
		if code != 2 || !header.MatchString(o) || !strings.HasPrefix(e, "error: "+msg+"\n-- StackTrace --\njava.io.IOException: "+msg+"\n") {
			t.Errorf("describering %s: exit %d stdout %q stderr %q", ks, code, o, e)
		}
	}

	// removenode status and force with nothing to remove; removenode of self and of an unknown ID.
	for _, args := range [][]string{{"removenode", "status"}, {"removenode", "force"}} {
		if o, e, code := c.nodetool(2, args...); code != 0 || o != "RemovalStatus: No token removals in process.\n" || e != "" {
			t.Errorf("%v: exit %d %q %q", args, code, o, e)
		}
	}
	st := c.parsedStatus(2, map[string]bool{})
	for id, msg := range map[string]string{hostIDOf(st, c.addr(2)): "Cannot remove self", "4b95036b-1603-464f-bdee-b519fa28a079": "Host ID not found."} {
		if o, e, code := c.nodetool(2, "removenode", id); code != 2 || o != "" || !strings.HasPrefix(e, "error: "+msg+"\n-- StackTrace --\njava.lang.UnsupportedOperationException: ") {
			t.Errorf("removenode %s: exit %d %q %q", id, code, o, e)
		}
	}

	// assassinate of an address gossip does not know is not an error.
	if o, e, code := c.nodetool(2, "assassinate", c.addr(99)); code != 0 || o != "" || e != "" {
		t.Errorf("assassinate of an unknown address: exit %d %q %q", code, o, e)
	}

	// cleanup skips the local system keyspaces without a word.
	if o, e, code := c.nodetool(2, "cleanup", "system"); code != 0 || o != "" || e != "" {
		t.Errorf("cleanup system: exit %d %q %q", code, o, e)
	}

	// A subrange across two of the node's ranges fails the repair command (exit 2).
	desc, err := nodetool.ParseDescribeRing(ringOut)
	if err != nil {
		t.Fatal(err)
	}
	var st0, et0 int64
	for _, r := range desc.Ranges {
		a, _ := strconv.ParseInt(r.Start, 10, 64)
		b, _ := strconv.ParseInt(r.End, 10, 64)
		if a < b && b < 1<<62 {
			st0, et0 = a, b
			break
		}
	}
	want := TokenRange{st0 + 1, et0 + 1}
	o, e, code := c.nodetool(2, "repair", "--full", "-st", strconv.FormatInt(want.Start, 10), "-et", strconv.FormatInt(want.End, 10), "ks")
	lines := strings.Split(strings.TrimSuffix(o, "\n"), "\n")
	failRE := regexp.MustCompile(`^Repair command #(\d+) failed with error Requested range ` + regexp.QuoteMeta(want.String()) + ` intersects a local range \(\(-?\d+,-?\d+\]\) but is not fully contained in one; this would lead to imprecise repair\. keyspace: ks$`)
	if code != 2 || len(lines) != 3 {
		t.Fatalf("repair across two ranges: exit %d\nstdout:\n%s\nstderr:\n%s", code, o, e)
	}
	var failure nodetool.RepairEvent
	for i, kind := range []nodetool.RepairEventKind{nodetool.RepairStart, nodetool.RepairFailed, nodetool.RepairFailed} {
		ev, err := nodetool.ParseRepairLine(lines[i])
		if err != nil || ev.Kind != kind {
			t.Errorf("repair line %q: %v %v, want %v", lines[i], ev.Kind, err, kind)
		}
		if i == 1 {
			failure = ev
		}
	}
	if !failRE.MatchString(failure.Message) || !strings.HasPrefix(e, "error: Repair job has failed with the error message: "+failure.Message+". Check the logs on the repair participants for further details\n-- StackTrace --\n") {
		t.Errorf("repair across two ranges: failure line %q, stderr %q", failure.Message, e)
	}
	if k := nodetool.Classify("repair", code, o, e); !errors.Is(k, nodetool.ErrRepairFailed) {
		t.Errorf("executor/nodetool classifies the refused subrange as %v", k)
	}

	// decommission below RF: "Unsupported operation: ..." on stdout, exit 1; with --force it
	// starts; a second one meanwhile and one afterwards print and exit 0.
	if o, e, code := c.nodetool(4, "decommission"); code != 1 || e != "" ||
		o != "nodetool: Unsupported operation: Not enough live nodes to maintain replication factor in keyspace ks (RF = 3, N = 3). Perform a forceful decommission to ignore.\n"+badUseHelp {
		t.Errorf("decommission below RF: exit %d %q %q", code, o, e)
	}
	done := make(chan answer, 1)
	go func() {
		o, e, code, _ := c.nodes[4].Nodetool(context.Background(), "decommission", "--force")
		done <- answer{o, e, code}
	}()
	waitFor(t, "node 4 to be leaving", 10*time.Second, func() (bool, string) {
		ns, _, _ := c.nodetool(4, "netstats")
		return strings.HasPrefix(ns, "Mode: LEAVING\n"), ns
	})
	if o, e, code := c.nodetool(4, "decommission"); code != 0 || o != "This node is still decommissioning.\n" || e != "" {
		t.Errorf("decommission during decommission: exit %d %q %q", code, o, e)
	}
	if a := <-done; a.code != 0 || a.stdout != "" || a.stderr != "" {
		t.Fatalf("decommission --force: %+v", a)
	}
	if o, e, code := c.nodetool(4, "decommission"); code != 0 || o != "Node was already decommissioned.\n" || e != "" {
		t.Errorf("decommission after decommission: exit %d %q %q", code, o, e)
	}
	if o, e, code := c.nodetool(4, "enablebinary"); code != 1 || e != "" || o != "nodetool: Unable to start native transport because the node is not in the normal state.\n"+badUseHelp {
		t.Errorf("enablebinary after decommission: exit %d %q %q", code, o, e)
	}
	two := map[int]string{2: "UN", 3: "UN"}
	c.waitCodes(2, two, 10*time.Second)

	// drain: twice is fine; afterwards enablegossip does nothing (gossip stays stopped),
	// enablebinary and disablegossip are refused, decommission names the mode.
	if o, e, code := c.nodetool(3, "drain"); code != 0 || o != "" || e != "" {
		t.Fatalf("drain: exit %d %q %q", code, o, e)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"drain"}, 0, ""},
		{[]string{"enablegossip"}, 0, ""},
		{[]string{"statusgossip"}, 0, "not running\n"},
		{[]string{"statusbinary"}, 0, "not running\n"},
		{[]string{"enablebinary"}, 1, "nodetool: Unable to start native transport because the node was drained.\n" + badUseHelp},
		{[]string{"disablegossip"}, 1, "nodetool: Unable to stop gossip because the node is not in the normal state. Try to stop the node instead.\n" + badUseHelp},
		{[]string{"decommission"}, 1, "nodetool: Unsupported operation: Node in DRAINED state; wait for status to become normal or restart\n" + badUseHelp},
	} {
		if o, e, code := c.nodetool(3, tc.args...); code != tc.code || o != tc.stdout || e != "" {
			t.Errorf("%v after drain: exit %d stdout %q stderr %q; want exit %d stdout %q", tc.args, code, o, e, tc.code, tc.stdout)
		}
	}
	if code := c.nodes[3].Stop(10 * time.Second); code != 143 {
		t.Errorf("SIGTERM after drain: exit %d", code)
	}
	c.waitCodes(2, map[int]string{2: "UN", 3: "DN"}, 10*time.Second)
	if o, e, code := c.nodetool(2, "decommission"); code != 1 || e != "" ||
		o != "nodetool: Unsupported operation: Not enough live nodes to maintain replication factor in keyspace ks (RF = 3, N = 2). Perform a forceful decommission to ignore.\n"+badUseHelp {
		t.Errorf("decommission with a dead peer (it counts): exit %d %q %q", code, o, e)
	}
}

// TestReplaceRules: replace_address_first_boot as 5.0 checks it: an address gossip does not know,
// a live node, a node that would not bootstrap (in its own seed list), the plain replace_address
// on a bootstrapped node; and a replacement of the node's own address (ephemeral data), which
// keeps the replaced host ID.
func TestReplaceRules(t *testing.T) {
	c := newCluster(t)
	seeds := []int{2, 3}
	c.start(2, seeds)
	c.start(3, seeds)
	c.start(4, seeds)
	all := map[int]string{2: "UN", 3: "UN", 4: "UN"}
	c.waitCodes(2, all, 25*time.Second)
	c.waitCodes(4, all, 10*time.Second)

	refusals := []struct {
		node   int
		seeds  []int
		target int
		want   string
	}{
		{5, seeds, 9, "Exception (java.lang.RuntimeException) encountered during startup: Cannot replace_address /" + c.addr(9) + ":7000 because it doesn't exist in gossip\n"},
		{6, seeds, 4, "Exception (java.lang.UnsupportedOperationException) encountered during startup: Cannot replace a live node...\n"},
		{7, []int{2, 7}, 4, "Exception (java.lang.RuntimeException) encountered during startup: Replacing a node without bootstrapping risks invalidating consistency guarantees as the expected data may not be present until repair is run. To perform this operation, please restart with -Dcassandra.allow_unsafe_replace=true\n"},
	}
	for _, r := range refusals {
		n := c.start(r.node, r.seeds, "-Dcassandra.replace_address_first_boot="+c.addr(r.target))
		if got := startupFailure(t, n, 30*time.Second); got != r.want {
			t.Errorf("node %d replacing %s: stderr %q, want %q", r.node, c.addr(r.target), got, r.want)
		}
		delete(c.nodes, r.node)
	}

	// Node 4 dies with its data; a new node 4 on the same address replaces it.
	before := hostIDOf(c.parsedStatus(2, map[string]bool{}), c.addr(4))
	c.nodes[4].Kill()
	c.waitCodes(2, map[int]string{2: "UN", 3: "UN", 4: "DN"}, 10*time.Second)
	dir := filepath.Join(c.dir, "node4-again")
	c.startIn(4, dir, seeds, nil, "-Dcassandra.replace_address_first_boot="+c.addr(4))
	for _, i := range []int{2, 3, 4} {
		c.waitCodes(i, all, 30*time.Second)
	}
	if after := hostIDOf(c.parsedStatus(2, map[string]bool{}), c.addr(4)); after != before {
		t.Errorf("host ID after replacing the same address = %s, want the replaced node's %s", after, before)
	}
	acts, _ := ReadActions(c.actions)
	replaced := false
	for _, a := range acts {
		replaced = replaced || a.Action == "replace" && a.Status == "ok" && a.Node == c.addr(4) && a.Target == c.addr(4)
	}
	if !replaced {
		t.Errorf("the action log has no finished replacement of %s by itself", c.addr(4))
	}

	// On its data again: the first-boot property is ignored, the plain one refused.
	if code := c.nodes[4].Stop(10 * time.Second); code != 143 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	n := c.startIn(4, dir, seeds, nil, "-Dcassandra.replace_address="+c.addr(4))
	if got, want := startupFailure(t, n, 30*time.Second), "Exception (java.lang.RuntimeException) encountered during startup: Cannot replace address with a node that is already bootstrapped\n"; got != want {
		t.Errorf("replace_address on a bootstrapped node: stderr %q, want %q", got, want)
	}
	c.startIn(4, dir, seeds, nil, "-Dcassandra.replace_address_first_boot="+c.addr(4))
	c.waitCodes(2, all, 30*time.Second)
	if !strings.Contains(c.nodes[4].SystemLog(), "Replace address on the first boot requested; this node is already bootstrapped") {
		t.Errorf("system.log does not say the first-boot replacement is ignored")
	}
}
