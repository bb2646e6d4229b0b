package e2e

import (
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/internal/cassandrasim"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Issue 7: segmented repair, schedules and cleanup, end to end.

// cqlsh runs the stand-in's bin/cqlsh against addr.
func (w *World) cqlsh(addr, stmt string) {
	w.t.Helper()
	w.distOnce.Do(w.unpackDist)
	if w.distErr != nil {
		w.t.Fatalf("e2e: unpacking the tarball: %v", w.distErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(w.distHome, "bin", "cqlsh"), addr, "-e", stmt)
	cmd.Env = w.baseEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		w.t.Fatalf("e2e: cqlsh %s -e %q: %v\n%s", addr, stmt, err, out)
	}
}

// repairRing creates a six-node ring with two seeds and keyspace ks at RF 3, and returns the
// ring's node addresses.
func repairRing(t *testing.T, w *World, name string, nodes int) []string {
	t.Helper()
	return repairRingTB(t, w, name, nodes)
}

func repairRingTB(t testing.TB, w *World, name string, nodes int, extra ...string) []string {
	t.Helper()
	out, errOut, code := w.CLI(append(createArgs(name, nodes, 2, extra...), "--wait", "--timeout", "3m")...)
	if code != 0 {
		t.Fatalf("ring create --wait: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var addrs []string
	for _, n := range w.Ring(name).GetNodes() {
		addrs = append(addrs, n.GetAddress())
	}
	w.cqlsh(addrs[0], "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	// The schema spreads through gossip; every node must know the keyspace before repairs.
	for _, a := range addrs {
		w.WaitFor(20*time.Second, func() bool {
			_, _, code := w.Nodetool(a, "describering", "ks")
			return code == 0
		}, "keyspace ks on %s", a)
	}
	return addrs
}

func (w *World) repairClient() cassmesosv1.RepairServiceClient {
	return cassmesosv1.NewRepairServiceClient(w.Conn())
}

// getRepair reads a repair, retrying while the daemon is not (yet) serving (after a restart the
// engine loads its state before it answers).
func (w *World) getRepair(id string) *cassmesosv1.GetRepairResponse {
	w.t.Helper()
	var r *cassmesosv1.GetRepairResponse
	var err error
	w.WaitFor(30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err = w.repairClient().GetRepair(ctx, &cassmesosv1.GetRepairRequest{Id: id})
		c := status.Code(err)
		return err == nil || (c != codes.Unavailable && c != codes.DeadlineExceeded)
	}, "GetRepair %s to answer", id)
	if err != nil {
		w.t.Fatalf("GetRepair %s: %v", id, err)
	}
	return r
}

func (w *World) repairs(ring string) []*cassmesosv1.Operation {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := w.repairClient().ListRepairs(ctx, &cassmesosv1.ListRepairsRequest{Ring: ring, All: true})
	if err != nil {
		w.t.Fatalf("ListRepairs %s: %v", ring, err)
	}
	return r.GetOperations()
}

// ivl is an inclusive interval of the ring in uint64 order.
type ivl struct{ lo, hi uint64 }

func ut(t int64) uint64 { return uint64(t) ^ (1 << 63) }

func pieces(r cassandrasim.TokenRange) []ivl {
	s, e := ut(r.Start), ut(r.End)
	switch {
	case s == e:
		return []ivl{{0, math.MaxUint64}}
	case s < e:
		return []ivl{{s + 1, e}}
	}
	var out []ivl
	if s != math.MaxUint64 {
		out = append(out, ivl{s + 1, math.MaxUint64})
	}
	return append(out, ivl{0, e})
}

// checkCoverage checks that the successful repair sessions of keyspace ks since `since` cover
// the whole ring exactly once, and that no two sessions sharing a replica overlapped in time.
func checkCoverage(t *testing.T, acts []cassandrasim.Action, ks string, since time.Time) {
	t.Helper()
	var sessions []cassandrasim.Action
	for _, a := range cassandrasim.RepairSessions(acts) {
		if a.Keyspace == ks && !a.Start.Before(since) {
			sessions = append(sessions, a)
		}
	}
	if ov := cassandrasim.OverlappingRepairs(sessions); len(ov) > 0 {
		t.Errorf("%d pairs of repair sessions shared a replica at the same time; first: %+v and %+v", len(ov), ov[0][0], ov[0][1])
	}
	var iv []ivl
	for _, s := range sessions {
		if s.Status != "ok" {
			continue
		}
		for _, r := range s.Ranges {
			iv = append(iv, pieces(r)...)
		}
	}
	sort.Slice(iv, func(i, j int) bool { return iv[i].lo < iv[j].lo })
	if len(iv) == 0 {
		t.Fatalf("no successful repair session of %s", ks)
	}
	if iv[0].lo != 0 || iv[len(iv)-1].hi != math.MaxUint64 {
		t.Errorf("repaired ranges do not reach both ends of the ring: first %v, last %v", iv[0], iv[len(iv)-1])
	}
	for i := 1; i < len(iv); i++ {
		switch {
		case iv[i].lo <= iv[i-1].hi:
			t.Errorf("token span %v repaired twice (overlaps %v)", iv[i], iv[i-1])
		case iv[i].lo != iv[i-1].hi+1:
			t.Errorf("tokens between %d and %d never repaired", iv[i-1].hi, iv[i].lo)
		}
	}
}

// A full repair with --parallel 2 on a six-node RF 3 ring: refused bad input writes nothing; the
// run completes with exit 0; the stand-ins' logs show every token repaired exactly once and no two
// concurrent sessions sharing a replica; --if-idle exits 9 while a run is going and cancel stops
// it; cleanup runs node by node; a schedule fires a run of its own.
func TestRepairParallelCoverageAndCleanup(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 6, CassandraKnobs: map[string]string{"repair_full_ring_duration": "6s"}})
	repairRing(t, w, "demo", 6)

	// Bad input: refused with the reason, nothing written.
	for _, c := range []struct {
		args []string
		exit int
		want string
	}{
		{[]string{"repair", "run", "demo", "--keyspace", "nope"}, 4, "nope"},
		{[]string{"repair", "run", "ghost", "--keyspace", "ks"}, 4, "ghost"},
		{[]string{"repair", "run", "demo", "--keyspace", "ks", "--parallel", "0"}, 2, "--parallel"},
		{[]string{"repair", "run", "demo", "--keyspace", "ks", "--intensity", "1.5"}, 2, "--intensity"},
		{[]string{"repair", "schedule", "create", "demo", "--keyspace", "ks", "--cron", "61 * * * *"}, 2, "cron"},
		{[]string{"repair", "schedule", "create", "demo", "--keyspace", "ks", "--every", "1d", "--window", "25:00-01:00"}, 2, "window"},
	} {
		out, errOut, code := w.CLI(c.args...)
		if code != c.exit || !strings.Contains(errOut, c.want) {
			t.Errorf("cassmesos %s: exit %d (want %d), stderr %q (want it to name %q), stdout %q", strings.Join(c.args, " "), code, c.exit, errOut, c.want, out)
		}
	}
	if ops := w.repairs("demo"); len(ops) != 0 {
		t.Fatalf("refused requests left repairs behind: %v", ops)
	}

	since := time.Now()
	out, errOut, code := w.CLI("repair", "run", "demo", "--keyspace", "ks", "--parallel", "2", "--wait", "--timeout", "2m", "-o", "json")
	if code != 0 {
		t.Fatalf("repair run --wait: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "OPERATION_PHASE_SUCCEEDED") && !strings.Contains(out, "SUCCEEDED") {
		t.Errorf("repair run -o json printed no succeeded summary:\n%s", out)
	}
	ops := w.repairs("demo")
	if len(ops) != 1 {
		t.Fatalf("repairs after one run: %v", ops)
	}
	rep := w.getRepair(ops[0].GetId())
	if p := rep.GetOperation().GetProgress(); p.GetDone() != p.GetTotal() || p.GetTotal() < 90 {
		t.Errorf("progress %d/%d: want all of about 96 segments done", p.GetDone(), p.GetTotal())
	}
	checkCoverage(t, w.ActionLog(), "ks", since)
	if w.Ring("demo").GetRing().GetStatus().GetLastRepairTime() == nil {
		t.Errorf("ring status has no last repair time after a complete repair")
	}

	// --if-idle while a run is going: exit 9, nothing started; then cancel the run.
	out, errOut, code = w.CLI("repair", "run", "demo", "--keyspace", "ks", "-o", "name")
	if code != 0 {
		t.Fatalf("repair run: exit %d: %s%s", code, out, errOut)
	}
	id := strings.TrimPrefix(strings.TrimSpace(out), "operation/")
	out, errOut, code = w.CLI("repair", "run", "demo", "--keyspace", "ks", "--if-idle", "--wait")
	if code != 9 {
		t.Errorf("repair run --if-idle during a run: exit %d (want 9)\n%s%s", code, out, errOut)
	}
	if out, errOut, code = w.CLI("repair", "cancel", id); code != 0 {
		t.Fatalf("repair cancel %s: exit %d: %s%s", id, code, out, errOut)
	}
	w.WaitFor(60*time.Second, func() bool {
		return w.getRepair(id).GetOperation().GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED
	}, "repair %s to be cancelled", id)
	if n := len(w.repairs("demo")); n != 2 {
		t.Errorf("%d repairs after --if-idle was refused, want 2", n)
	}

	// Cleanup, node by node.
	cleanSince := time.Now()
	if out, errOut, code = w.CLI("cleanup", "run", "demo", "--keyspace", "ks", "--wait", "--timeout", "1m"); code != 0 {
		t.Fatalf("cleanup run --wait: exit %d: %s%s", code, out, errOut)
	}
	var cleanups []cassandrasim.Action
	for _, a := range w.ActionLog() {
		if a.Action == "cleanup" && a.Status == "ok" && !a.Time.Before(cleanSince) {
			cleanups = append(cleanups, a)
		}
	}
	nodesCleaned := map[string]bool{}
	for i, a := range cleanups {
		nodesCleaned[a.Node] = true
		for _, b := range cleanups[i+1:] {
			if a.Start.Before(b.End) && b.Start.Before(a.End) && !a.Start.IsZero() {
				t.Errorf("cleanups on %s and %s ran at the same time", a.Node, b.Node)
			}
		}
	}
	if len(nodesCleaned) != 6 {
		t.Errorf("cleanup ran on %d nodes (%v), want 6", len(nodesCleaned), nodesCleaned)
	}

	// A schedule fires a run (the first run is due a minute after creation).
	if out, errOut, code := w.CLI("repair", "schedule", "create", "demo", "--every", "1m", "--keyspace", "ks", "--parallel", "3", "--max-attempts", "6"); code != 0 {
		t.Fatalf("schedule create: exit %d: %s%s", code, out, errOut)
	}
	var sched string
	w.WaitFor(100*time.Second, func() bool {
		for _, o := range w.repairs("demo") {
			if strings.HasPrefix(o.GetOrigin(), "schedule/") {
				sched = o.GetId()
				return true
			}
		}
		return false
	}, "a scheduled repair run")
	out, _, _ = w.CLI("repair", "schedule", "list", "--ring", "demo")
	if !strings.Contains(out, "demo") {
		t.Errorf("schedule list does not show the schedule:\n%s", out)
	}
	w.WaitFor(90*time.Second, func() bool {
		return w.getRepair(sched).GetOperation().GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED
	}, "the scheduled run %s to succeed", sched)
}

// A repair survives faults: injected session failures are retried; a kill -9 of the daemon
// mid-run resumes it; with one node down the segments touching it wait while the others finish;
// the dead node's replacement pauses the run, which then resumes on recomputed ranges and
// completes.
func TestRepairSurvivesFaults(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 7, CassandraKnobs: map[string]string{
		"repair_full_ring_duration": "30s", "repair_failure_rate": "0.08",
	}})
	repairRing(t, w, "demo", 6)
	nodeAgent := map[string]int{}
	for _, n := range w.Ring("demo").GetNodes() {
		for i := range 7 {
			if w.AgentIP(i) == n.GetAddress() {
				nodeAgent[n.GetName()] = i
			}
		}
	}

	since := time.Now()
	out, errOut, code := w.CLI("repair", "run", "demo", "--keyspace", "ks", "--parallel", "2", "--max-attempts", "6", "-o", "name")
	if code != 0 {
		t.Fatalf("repair run: exit %d: %s%s", code, out, errOut)
	}
	id := strings.TrimPrefix(strings.TrimSpace(out), "operation/")
	doneAtLeast := func(n int64) func() bool {
		return func() bool { return w.getRepair(id).GetOperation().GetProgress().GetDone() >= n }
	}

	// kill -9 of the daemon mid-run: it resumes from the persisted segments.
	w.WaitFor(60*time.Second, doneAtLeast(10), "10 segments of %s done", id)
	killed := time.Now()
	w.KillDaemon()
	w.StartDaemon()
	restarted := time.Now()
	before := w.getRepair(id).GetOperation().GetProgress().GetDone()
	if before < 10 {
		t.Fatalf("after the restart only %d segments are done; the persisted ones were lost", before)
	}
	w.WaitFor(60*time.Second, doneAtLeast(before+5), "the resumed repair to make progress")

	// One node down: segments touching it wait, the others go on.
	dead := "demo-5"
	w.KillAgent(nodeAgent[dead])
	// The step message lists running segments' coordinators too ("running: 13 on demo-5"), so only
	// its "segments wait for their replicas: …" part says the daemon knows the node is down.
	w.WaitFor(60*time.Second, func() bool {
		waiting, _, _ := strings.Cut(w.getRepair(id).GetOperation().GetSteps()[0].GetMessage(), ";")
		return strings.HasPrefix(waiting, "segments wait for their replicas:") && strings.Contains(waiting, dead)
	}, "the repair to say segments wait for %s", dead)
	// From here on the daemon knows the node is down: no segment with its replica may start. (A
	// segment started before the daemon learnt of the loss may still be running; Cassandra fails it
	// when the endpoint dies, and it is retried later.)
	// The segments not touching it all finish (some may have finished before the daemon knew), while
	// those touching it wait: none of them is done or started after that moment.
	knownDown := time.Now()
	deadIP := w.AgentIP(nodeAgent[dead])
	touchesDead := func(s *cassmesosv1.RepairSegment) bool { return slices.Contains(s.GetReplicas(), deadIP) }
	w.WaitFor(90*time.Second, func() bool {
		for _, s := range w.getRepair(id).GetSegments() {
			if !touchesDead(s) && s.GetPhase() != cassmesosv1.StepPhase_STEP_PHASE_DONE {
				return false
			}
		}
		return true
	}, "every segment not touching %s to finish", dead)
	for _, s := range w.getRepair(id).GetSegments() {
		if !touchesDead(s) {
			continue
		}
		if s.GetPhase() == cassmesosv1.StepPhase_STEP_PHASE_DONE && s.GetEndTime().AsTime().After(knownDown) {
			t.Errorf("segment %d with the dead node's replica finished while the node was down: %v", s.GetIndex(), s)
		}
		if s.GetPhase() == cassmesosv1.StepPhase_STEP_PHASE_RUNNING && s.GetStartTime().AsTime().After(knownDown) {
			t.Errorf("segment %d with the dead node's replica started after the daemon knew it was down: %v", s.GetIndex(), s)
		}
	}

	// Replacing it pauses the run; it resumes on recomputed ranges and completes.
	// The daemon refuses a replacement until Cassandra's view (polled) shows the node down.
	w.WaitFor(60*time.Second, func() bool {
		out, errOut, code = w.CLI("node", "replace", dead)
		if code != 0 && code != 5 {
			t.Fatalf("node replace %s: exit %d: %s%s", dead, code, out, errOut)
		}
		return code == 0
	}, "node replace %s to be accepted", dead)
	w.WaitFor(60*time.Second, func() bool {
		o := w.getRepair(id).GetOperation()
		return o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED && strings.Contains(o.GetBlockedReason(), "paused")
	}, "the repair to pause for the replacement")
	w.WaitFor(150*time.Second, func() bool {
		return w.getRepair(id).GetOperation().GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED
	}, "repair %s to succeed after the replacement (last: %v)", id, w.getRepair(id).GetOperation())

	acts := w.ActionLog()
	failed := 0
	for _, a := range cassandrasim.RepairSessions(acts) {
		if a.Status == "failed" && strings.Contains(a.Error, "Validation failed") && !a.Start.Before(since) {
			failed++
		}
	}
	if failed == 0 {
		t.Errorf("no injected session failure happened (failure rate 0.08); the retry path was not exercised")
	}
	// Sessions that started before the kill may have run on beside their re-run (nodetool's
	// repair goes on inside Cassandra when its caller dies): judge overlaps among the others.
	var after []cassandrasim.Action
	for _, a := range acts {
		if a.Action != "repair" || a.Start.Before(restarted) {
			continue
		}
		after = append(after, a)
	}
	if ov := cassandrasim.OverlappingRepairs(after); len(ov) > 0 {
		t.Errorf("%d pairs of sessions started after the restart shared a replica at once; first %+v / %+v", len(ov), ov[0][0], ov[0][1])
	}
	var covered []ivl
	for _, a := range cassandrasim.RepairSessions(acts) {
		if a.Status == "ok" && a.Keyspace == "ks" && !a.Start.Before(since) {
			for _, r := range a.Ranges {
				covered = append(covered, pieces(r)...)
			}
		}
	}
	sort.Slice(covered, func(i, j int) bool { return covered[i].lo < covered[j].lo })
	next, complete := uint64(0), false // first token offset not yet seen repaired
	for _, c := range covered {
		if c.lo > next {
			t.Errorf("tokens from offset %d to %d were never repaired", next, c.lo-1)
			break
		}
		if c.hi == math.MaxUint64 {
			complete = true
			break
		}
		next = max(next, c.hi+1)
	}
	if !complete {
		t.Errorf("repairs did not reach the end of the ring (next unrepaired offset %d)", next)
	}
	_ = killed

}
