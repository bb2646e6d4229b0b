package cassandrasim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

var (
	distOnce sync.Once
	distHome string
	distErr  error
)

// testDist builds the distribution once per test binary.
func testDist(t *testing.T) string {
	t.Helper()
	distOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cassandrasim-dist")
		if err != nil {
			distErr = err
			return
		}
		distHome, distErr = BuildDist(dir)
	})
	if distErr != nil {
		t.Fatalf("building the stand-in distribution: %v", distErr)
	}
	return distHome
}

func TestMain(m *testing.M) {
	code := m.Run()
	if distHome != "" {
		os.RemoveAll(distHome)
	}
	os.Exit(code)
}

type cluster struct {
	t       *testing.T
	home    string
	addr    func(int) string
	dir     string
	actions string
	nodes   map[int]*Node
}

func newCluster(t *testing.T) *cluster {
	c := &cluster{t: t, home: testDist(t), addr: LoopbackBlock(), dir: t.TempDir(), nodes: map[int]*Node{}}
	c.actions = filepath.Join(c.dir, "actions.jsonl")
	t.Cleanup(func() {
		for i, n := range c.nodes {
			n.Kill()
			if t.Failed() {
				t.Logf("node %d (%s) exit %d, stderr:\n%s", i, n.Spec.Address, n.ExitCode(), n.Stderr())
			}
		}
	})
	return c
}

func (c *cluster) start(i int, seeds []int, extra ...string) *Node {
	c.t.Helper()
	return c.startWith(i, seeds, nil, extra...)
}

// startWith starts node i in its usual directory (node<i>) with FastKnobs overridden by over.
func (c *cluster) startWith(i int, seeds []int, over map[string]string, extra ...string) *Node {
	c.t.Helper()
	return c.startIn(i, filepath.Join(c.dir, fmt.Sprintf("node%d", i)), seeds, over, extra...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
	t.Fatalf("timed out after %s waiting for %s; last state: %s", timeout, what, last)
}

// codesOn waits until node i's status shows exactly want (address index -> code).
func (c *cluster) waitCodes(i int, want map[int]string, timeout time.Duration) {
	c.t.Helper()
	w := map[string]string{}
	for k, v := range want {
		w[c.addr(k)] = v
	}
	waitFor(c.t, fmt.Sprintf("node %d to show %v", i, FormatCodes(w)), timeout, func() (bool, string) {
		got, err := c.nodes[i].StatusCodes(context.Background())
		if err != nil {
			return false, err.Error()
		}
		if len(got) != len(w) {
			return false, FormatCodes(got)
		}
		for k, v := range w {
			if got[k] != v {
				return false, FormatCodes(got)
			}
		}
		return true, ""
	})
}

func (c *cluster) nodetool(i int, args ...string) (string, string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, e, code, err := c.nodes[i].Nodetool(ctx, args...)
	if err != nil {
		c.t.Fatalf("nodetool %v on node %d: %v", args, i, err)
	}
	return o, e, code
}

// parsedStatus runs status on node i and parses it with the executor's parser.
func (c *cluster) parsedStatus(i int, seen map[string]bool) *nodetool.Status {
	c.t.Helper()
	out, errOut, code := c.nodetool(i, "status")
	if code != 0 {
		c.t.Fatalf("status on node %d: exit %d: %s%s", i, code, out, errOut)
	}
	st, err := nodetool.ParseStatus(out)
	if err != nil {
		c.t.Fatalf("executor/nodetool cannot parse the stand-in's status:\n%s\nerror: %v", out, err)
	}
	for _, dc := range st.Datacenters {
		for _, n := range dc.Nodes {
			seen[n.Code()] = true
		}
	}
	return st
}

func hostIDOf(st *nodetool.Status, addr string) string {
	for _, dc := range st.Datacenters {
		for _, n := range dc.Nodes {
			if n.Host() == addr {
				return n.HostID
			}
		}
	}
	return ""
}

// TestRingLifecycle runs one ring through Cassandra's operations: seeds first, a bootstrap, a
// refused concurrent bootstrap, a kill (DN), a replacement, a restart on the same data, a refused
// then a successful subrange repair, removenode, decommission and drain; every status on the way is
// read with executor/nodetool's parser.
func TestRingLifecycle(t *testing.T) {
	c := newCluster(t)
	seen := map[string]bool{}
	seeds := []int{2, 3}

	// Seeds first: 2 and 3 are seeds, 4 is not and bootstraps.
	c.start(2, seeds)
	c.start(3, seeds)
	c.waitCodes(2, map[int]string{2: "UN", 3: "UN"}, 20*time.Second)
	c.startWith(4, seeds, map[string]string{"bootstrap_duration": "3s"})
	waitFor(t, "node 4 to show UJ on node 2", 15*time.Second, func() (bool, string) {
		got, _ := c.nodes[2].StatusCodes(context.Background())
		return got[c.addr(4)] == "UJ", FormatCodes(got)
	})
	c.parsedStatus(2, seen)
	c.waitCodes(2, map[int]string{2: "UN", 3: "UN", 4: "UN"}, 20*time.Second)
	for _, i := range []int{3, 4} {
		c.waitCodes(i, map[int]string{2: "UN", 3: "UN", 4: "UN"}, 10*time.Second)
	}

	// A keyspace with RF 3, created on one node, reaches all through gossip.
	ctx := context.Background()
	if err := c.nodes[2].CQL(ctx, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}; CREATE TABLE ks.t (k int PRIMARY KEY, v text)"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "keyspace ks on node 4", 10*time.Second, func() (bool, string) {
		o, e, code := c.nodetool(4, "describering", "ks")
		return code == 0, o + e
	})

	// A fourth node bootstraps; a fifth started meanwhile is refused as Cassandra refuses it.
	c.startWith(5, seeds, map[string]string{"bootstrap_duration": "8s"})
	waitFor(t, "node 5 to show UJ on node 3", 15*time.Second, func() (bool, string) {
		got, _ := c.nodes[3].StatusCodes(ctx)
		return got[c.addr(5)] == "UJ", FormatCodes(got)
	})
	c.parsedStatus(3, seen)
	refused := c.start(6, seeds)
	select {
	case <-refused.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("a concurrent bootstrap was not refused")
	}
	if code := refused.ExitCode(); code != 3 {
		t.Errorf("refused bootstrap exit code = %d, want 3", code)
	}
	if !strings.Contains(refused.Stderr(), "Exception (java.lang.UnsupportedOperationException) encountered during startup: Other bootstrapping/leaving/moving nodes detected, cannot bootstrap while cassandra.consistent.rangemovement is true") {
		t.Errorf("refused bootstrap stderr = %q", refused.Stderr())
	}
	delete(c.nodes, 6)
	all := map[int]string{2: "UN", 3: "UN", 4: "UN", 5: "UN"}
	for _, i := range []int{2, 3, 4, 5} {
		c.waitCodes(i, all, 20*time.Second)
	}
	st := c.parsedStatus(2, seen)
	if !st.EffectiveOwnership {
		t.Errorf("status without keyspace should show Owns (effective) when all user keyspaces agree")
	}

	// Kill -9 node 4: the others see DN within a few seconds.
	killed := time.Now()
	c.nodes[4].Kill()
	for _, i := range []int{2, 3, 5} {
		c.waitCodes(i, map[int]string{2: "UN", 3: "UN", 4: "DN", 5: "UN"}, 5*time.Second)
	}
	t.Logf("killed node seen DN everywhere after %s", time.Since(killed).Round(time.Millisecond))
	st = c.parsedStatus(2, seen)
	dead4 := hostIDOf(st, c.addr(4))

	// A repair whose replicas include the dead node fails the way Cassandra fails.
	out, errOut, code := c.nodetool(2, "repair", "--full", "ks")
	if code != 2 || !strings.Contains(errOut, "Endpoint not alive: /"+c.addr(4)+":7000") && !strings.Contains(out, "Endpoint not alive") {
		t.Errorf("repair with a dead replica: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// Node 6 replaces node 4 with replace_address_first_boot and takes its tokens.
	c.start(6, seeds, "-Dcassandra.replace_address_first_boot="+c.addr(4))
	all = map[int]string{2: "UN", 3: "UN", 5: "UN", 6: "UN"}
	for _, i := range []int{2, 3, 5, 6} {
		c.waitCodes(i, all, 25*time.Second)
	}
	st = c.parsedStatus(2, seen)
	host6 := hostIDOf(st, c.addr(6))
	if host6 == "" || host6 == dead4 {
		t.Errorf("replacement host ID = %q (dead node's was %q)", host6, dead4)
	}

	// A restart on the same data keeps the host ID and does not bootstrap or replace again.
	if code := c.nodes[6].Stop(10 * time.Second); code != 143 {
		t.Errorf("SIGTERM exit code = %d, want 143", code)
	}
	c.waitCodes(2, map[int]string{2: "UN", 3: "UN", 5: "UN", 6: "DN"}, 5*time.Second)
	before, _ := ReadActions(c.actions)
	c.start(6, seeds, "-Dcassandra.replace_address_first_boot="+c.addr(4))
	c.waitCodes(2, all, 15*time.Second)
	if id := hostIDOf(c.parsedStatus(2, seen), c.addr(6)); id != host6 {
		t.Errorf("host ID after restart = %s, want %s", id, host6)
	}
	after, _ := ReadActions(c.actions)
	for _, a := range after[len(before):] {
		if a.Node == c.addr(6) && (a.Action == "bootstrap" || a.Action == "replace") {
			t.Errorf("restart on the same data did %s again", a.Action)
		}
	}

	// A subrange repair with progress, parsed with the executor's repair parser.
	ringOut, _, _ := c.nodetool(2, "describering", "ks")
	desc, err := nodetool.ParseDescribeRing(ringOut)
	if err != nil {
		t.Fatalf("executor/nodetool cannot parse describering:\n%s\n%v", ringOut, err)
	}
	var tr nodetool.TokenRange
	for _, r := range desc.Ranges {
		for _, ep := range r.Endpoints {
			if ep == c.addr(2) && tr.Start == "" {
				tr = r
			}
		}
	}
	out, errOut, code = c.nodetool(2, "repair", "--full", "-st", tr.Start, "-et", tr.End, "ks", "t")
	if code != 0 {
		t.Fatalf("subrange repair: exit %d\n%s%s", code, out, errOut)
	}
	kinds := map[nodetool.RepairEventKind]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		ev, err := nodetool.ParseRepairLine(line)
		if err != nil {
			t.Errorf("repair line %q: %v", line, err)
		}
		kinds[ev.Kind] = true
	}
	for _, k := range []nodetool.RepairEventKind{nodetool.RepairStart, nodetool.RepairSessionFinished, nodetool.RepairSucceeded, nodetool.RepairCommandFinished, nodetool.RepairStatusQueried} {
		if !kinds[k] {
			t.Errorf("repair output lacks a %s line:\n%s", k, out)
		}
	}
	// As 5.0 (repair-full-subrange.txt): paxos repair on, then the status query and a second
	// "Repair completed successfully" after "finished in".
	if !strings.Contains(out, ", repairPaxos: true, paxosOnly: false)\n") ||
		!regexp.MustCompile(`finished in \d+ seconds?\n\[[^]]+\] condition satisfied queried for parent session status and discovered repair completed\.\n\[[^]]+\] Repair completed successfully\n$`).MatchString(out) {
		t.Errorf("repair output does not end as 5.0's:\n%s", out)
	}
	acts, err := ReadActions(c.actions)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range RepairSessions(acts) {
		if a.Status == "ok" && a.Keyspace == "ks" && len(a.Ranges) == 1 && fmt.Sprint(a.Ranges[0].Start) == tr.Start && fmt.Sprint(a.Ranges[0].End) == tr.End {
			found = len(a.Replicas) == 3 && !a.End.Before(a.Start)
		}
	}
	if !found {
		t.Errorf("action log has no finished repair of (%s,%s] with 3 replicas", tr.Start, tr.End)
	}
	if o := OverlappingRepairs(acts); len(o) > 0 {
		t.Errorf("overlapping repairs: %v", o)
	}

	// removenode of a dead node from a live one.
	st = c.parsedStatus(2, seen)
	host5 := hostIDOf(st, c.addr(5))
	c.nodes[5].Kill()
	c.waitCodes(2, map[int]string{2: "UN", 3: "UN", 5: "DN", 6: "UN"}, 5*time.Second)
	if o, e, code := c.nodetool(2, "removenode", host6); code != 2 || !strings.Contains(e, "is alive and owns this ID") {
		t.Errorf("removenode of a live node: exit %d %s%s", code, o, e)
	}
	if o, e, code := c.nodetool(2, "removenode", host5); code != 0 {
		t.Fatalf("removenode: exit %d %s%s", code, o, e)
	}
	three := map[int]string{2: "UN", 3: "UN", 6: "UN"}
	for _, i := range []int{2, 3, 6} {
		c.waitCodes(i, three, 10*time.Second)
	}

	// Decommission is refused with 3 nodes and RF 3, then works once a fourth node joined.
	// 5.0's Decommission command turns the refusal into "Unsupported operation: ..." on stdout, exit 1.
	if o, e, code := c.nodetool(6, "decommission"); code != 1 || e != "" ||
		o != "nodetool: Unsupported operation: Not enough live nodes to maintain replication factor in keyspace ks (RF = 3, N = 3). Perform a forceful decommission to ignore.\nSee 'nodetool help' or 'nodetool help <command>'.\n" {
		t.Errorf("decommission below RF: exit %d stdout %q stderr %q", code, o, e)
	}
	c.startWith(7, seeds, map[string]string{"decommission_duration": "3s"})
	four := map[int]string{2: "UN", 3: "UN", 6: "UN", 7: "UN"}
	c.waitCodes(2, four, 20*time.Second)
	c.waitCodes(7, four, 10*time.Second)
	decomDone := make(chan [3]string, 1)
	go func() {
		o, e, code, _ := c.nodes[7].Nodetool(context.Background(), "decommission")
		decomDone <- [3]string{o, e, fmt.Sprint(code)}
	}()
	waitFor(t, "node 7 to show UL on node 2", 10*time.Second, func() (bool, string) {
		got, _ := c.nodes[2].StatusCodes(ctx)
		return got[c.addr(7)] == "UL", FormatCodes(got)
	})
	c.parsedStatus(2, seen)
	res := <-decomDone
	if res[2] != "0" {
		t.Fatalf("decommission: exit %s %s%s", res[2], res[0], res[1])
	}
	c.waitCodes(2, three, 10*time.Second)
	ns, _, _ := c.nodetool(7, "netstats")
	if n, err := nodetool.ParseNetstats(ns); err != nil || n.Mode != nodetool.ModeDecommissioned {
		t.Errorf("netstats after decommission: %v %v\n%s", n, err, ns)
	}
	select {
	case <-c.nodes[7].Done():
		t.Errorf("a decommissioned node must keep running")
	default:
	}

	// Drain: the node stays up, DRAINED, and the others see it down.
	if o, e, code := c.nodetool(3, "drain"); code != 0 {
		t.Fatalf("drain: exit %d %s%s", code, o, e)
	}
	ns, _, _ = c.nodetool(3, "netstats")
	if n, err := nodetool.ParseNetstats(ns); err != nil || n.Mode != nodetool.ModeDrained {
		t.Errorf("netstats after drain: %v %v\n%s", n, err, ns)
	}
	c.waitCodes(2, map[int]string{2: "UN", 3: "DN", 6: "UN"}, 5*time.Second)
	if code := c.nodes[3].Stop(10 * time.Second); code != 143 {
		t.Errorf("exit code after drain and SIGTERM = %d, want 143", code)
	}

	for _, code := range []string{"UN", "UJ", "DN", "UL"} {
		if !seen[code] {
			t.Errorf("the parser never read a %s row", code)
		}
	}
	// The other outputs parse too.
	o, _, _ := c.nodetool(2, "info")
	if info, err := nodetool.ParseInfo(o); err != nil || info.ID != host6 && info.ID == "" || !info.Joined {
		t.Errorf("info: %+v %v\n%s", info, err, o)
	}
	o, _, _ = c.nodetool(2, "describecluster")
	if _, err := nodetool.ParseDescribeCluster(o); err != nil {
		t.Errorf("describecluster: %v\n%s", err, o)
	}
	o, _, _ = c.nodetool(2, "ring")
	if _, err := nodetool.ParseRing(o); err != nil {
		t.Errorf("ring: %v\n%s", err, o)
	}
	o, _, _ = c.nodetool(2, "statusbinary")
	if up, err := nodetool.ParseRunning(o); err != nil || !up {
		t.Errorf("statusbinary: %v %v %q", up, err, o)
	}
	o, _, _ = c.nodetool(2, "version")
	if v, err := nodetool.ParseVersion(o); err != nil || v != releaseVersion {
		t.Errorf("version: %q %v", v, err)
	}
	_ = syscall.SIGTERM
}
