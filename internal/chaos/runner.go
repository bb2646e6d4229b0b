package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/e2e"
	"github.com/cassmesos/cassmesos/internal/failpoint"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Config is one chaos run.
type Config struct {
	// Kills is how many kill -9s of the leader the run makes at least (ZooKeeper expiries and
	// partitions come on top).
	Kills int
	// Seed seeds every random choice (operation, fault, failpoint, timing, takeover).
	Seed uint64
	// Agents is the number of simulated agents (default 6).
	Agents int
	// OpTimeout bounds the wait for every operation to finish after a fault (default 4m).
	OpTimeout time.Duration
}

// Fault kinds.
const (
	FaultFailpoint = "kill -9 at a failpoint"
	FaultRandom    = "kill -9 at a random time"
	FaultExpiry    = "ZooKeeper session expiry"
	FaultPartition = "frozen (partitioned) old leader"
)

// Report is what a run measured.
type Report struct {
	Seed uint64
	// Kills counts kill -9s of the leader; Faults counts every fault by kind.
	Kills  int
	Faults map[string]int
	// Takeovers counts faults after which a standby led; Restarts those after which the daemon
	// was started again.
	Takeovers, Restarts int
	// Fired counts the failpoints that fired (killed the leader), by name; Passed counts every
	// logged hit of an armed point that did not fire, by name (observers and executor points).
	Fired, Passed map[string]int
	// Ops counts the operations seen to the end, by "KIND PHASE".
	Ops map[string]int
	// Refused counts operations whose command failed (refused, or the leader died under it).
	Refused map[string]int
	// Violations are the invariant violations found, each with its round, seed and what.
	Violations []string
	// LongestRecovery is the longest time from a fault to every operation finished.
	LongestRecovery time.Duration
	LongestWhat     string
	// StaleCalls counts Mesos calls a deposed leader sent after a standby had taken over.
	StaleCalls int
	Rounds     int
	Took       time.Duration
}

func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chaos: seed %d: %d rounds, %d kill -9s in %v\n", r.Seed, r.Rounds, r.Kills, r.Took.Round(time.Second))
	fmt.Fprintf(&b, "chaos:   faults: %s\n", counts(r.Faults))
	fmt.Fprintf(&b, "chaos:   after a fault: %d standby takeovers, %d daemon restarts\n", r.Takeovers, r.Restarts)
	fmt.Fprintf(&b, "chaos:   failpoints fired (daemon points kill, executor points pause): %s\n", counts(r.Fired))
	fmt.Fprintf(&b, "chaos:   failpoint hits passed (observed): %s\n", counts(r.Passed))
	fmt.Fprintf(&b, "chaos:   operations finished: %s\n", counts(r.Ops))
	if len(r.Refused) > 0 {
		fmt.Fprintf(&b, "chaos:   operations whose start failed (refused, or the leader died under the command): %s\n", counts(r.Refused))
	}
	fmt.Fprintf(&b, "chaos:   Mesos calls by a deposed leader after a takeover: %d\n", r.StaleCalls)
	fmt.Fprintf(&b, "chaos:   longest recovery (fault → every operation finished): %v (%s)\n", r.LongestRecovery.Round(10*time.Millisecond), r.LongestWhat)
	fmt.Fprintf(&b, "chaos:   violations: %d\n", len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "chaos:     %s\n", v)
	}
	return b.String()
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

const ring = "demo"

// daemonPoints are the failpoints in cassmesosd a leader is killed at.
var daemonPoints = []string{
	"engine/before-plan", "engine/after-plan", "engine/after-persist", "engine/after-accept",
	"engine/after-kill", "engine/mid-relay", "engine/after-relay", "engine/relay-outcome",
	"mesos/before-call", "mesos/after-call",
}

// observed are armed "off" on every daemon so that their hits are logged (fencing checks).
var observed = []string{"engine/after-persist", "mesos/before-call", "mesos/before-subscribe", "engine/mid-relay"}

type runner struct {
	t       testing.TB
	w       *e2e.World
	cfg     Config
	rng     *rand.Rand
	rep     *Report
	fpLog   string
	daemons map[int]*e2e.Daemon // live daemons by slot
	specs   map[*e2e.Daemon]string
	leader  *e2e.Daemon
	round   int
	// ring state as last seen
	hasKS   bool
	maxSpec int
	seen    map[string]bool // violations already reported
	begin   time.Time
	faultAt time.Time // the round's first fault
}

// Run runs a chaos run in its own World and returns its report. Failing to drive the world
// (a daemon that never leads, an operation that never ends) fails t; invariant violations are
// returned in the report.
func Run(t testing.TB, cfg Config) *Report {
	if cfg.Agents == 0 {
		cfg.Agents = 6
	}
	if cfg.OpTimeout == 0 {
		cfg.OpTimeout = 4 * time.Minute
	}
	fpLog := filepath.Join(t.TempDir(), "failpoints.log")
	w := e2e.NewWorld(t, e2e.Options{
		Agents: cfg.Agents, NoDaemon: true,
		AgentUnreachableTimeout: 2 * time.Second, AgentGoneTimeout: 10 * time.Minute,
		CassandraKnobs: map[string]string{"bootstrap_duration": "500ms"},
		// A restarted daemon leads once the killed one's session expired: keep that short.
		DaemonFlags: []string{"--zk-session-timeout", "3s"},
		ExecutorEnv: map[string]string{
			failpoint.EnvLog:    fpLog,
			failpoint.EnvPoints: "executor/mid-relay=pause(100ms)",
		},
	})
	r := &runner{
		t: t, w: w, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		fpLog: fpLog, daemons: map[int]*e2e.Daemon{}, specs: map[*e2e.Daemon]string{}, seen: map[string]bool{},
		rep: &Report{Seed: cfg.Seed, Faults: map[string]int{}, Fired: map[string]int{}, Passed: map[string]int{},
			Ops: map[string]int{}, Refused: map[string]int{}},
	}
	begin := time.Now()
	r.begin = begin
	r.spawn()
	r.leader = w.WaitLeader(90*time.Second, r.live()...)
	for r.rep.Kills < cfg.Kills {
		r.round++
		r.rep.Rounds++
		r.oneRound()
		r.logf("so far: %d kills, %d faults, %d violations, longest recovery %v", r.rep.Kills, total(r.rep.Faults),
			len(r.rep.Violations), r.rep.LongestRecovery.Round(100*time.Millisecond))
	}
	r.countHits()
	r.rep.Took = time.Since(begin)
	return r.rep
}

func (r *runner) logf(format string, args ...any) {
	r.t.Logf("chaos %7.1fs round %d: %s", time.Since(r.begin).Seconds(), r.round, fmt.Sprintf(format, args...))
}

func (r *runner) violation(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.seen[msg] {
		return
	}
	r.seen[msg] = true
	v := fmt.Sprintf("round %d (seed %d): %s", r.round, r.cfg.Seed, msg)
	r.rep.Violations = append(r.rep.Violations, v)
	r.t.Logf("chaos: VIOLATION %s", v)
}

func (r *runner) live() []*e2e.Daemon {
	var out []*e2e.Daemon
	for _, s := range []int{0, 1, 2} {
		if d := r.daemons[s]; d != nil && !d.Exited() {
			out = append(out, d)
		}
	}
	return out
}

// spawn starts a daemon in a free slot, with the observers armed.
func (r *runner) spawn() *e2e.Daemon {
	for _, s := range []int{0, 1, 2} {
		if d := r.daemons[s]; d == nil || d.Exited() {
			d := r.w.SpawnDaemon(s, e2e.DaemonOptions{
				Env:        map[string]string{failpoint.EnvLog: r.fpLog},
				Failpoints: observerSpec(""),
			})
			r.daemons[s] = d
			r.specs[d] = observerSpec("")
			return d
		}
	}
	r.t.Fatal("chaos: no free daemon slot")
	return nil
}

// observerSpec arms every observed point "off" and kill (if any) as given.
func observerSpec(kill string) string {
	name, _, _ := strings.Cut(kill, "=")
	var parts []string
	for _, o := range observed {
		if o != name {
			parts = append(parts, o+"=off")
		}
	}
	if kill != "" {
		parts = append(parts, kill)
	}
	return strings.Join(parts, ";")
}

type op struct {
	name string
	args []string
	// before runs first (returns false to skip the operation); after runs once every
	// operation has finished.
	before func() bool
	after  func()
}

// pickOp chooses an operation that makes sense for the ring as it is.
func (r *runner) pickOp() op {
	_, _, err := r.w.ZK().RingByName(context.Background(), ring)
	if err != nil && !isNotFound(err) {
		r.t.Fatalf("chaos: reading ring %s: %v", ring, err)
	}
	var rg *cassmesosv1.GetRingResponse
	if err == nil {
		r.w.Eventually(time.Minute, func() error {
			var err error
			rg, err = r.w.GetRing(ring)
			return err
		}, "the leader to answer GetRing")
	}
	if rg.GetRing() == nil {
		n := 3 + r.rng.IntN(2)
		return op{name: "create", args: []string{"ring", "create", ring, "--nodes", fmt.Sprint(n), "--seeds", "2",
			"--cpus", "0.5", "--mem", "1Gi", "--disk", "1Gi", "--replace-after", "1h"}}
	}
	nodes := int(rg.GetRing().GetSpec().GetNodes())
	var names, nonSeeds []string
	for _, n := range rg.GetNodes() {
		names = append(names, n.GetName())
		if !n.GetSeed() {
			nonSeeds = append(nonSeeds, n.GetName())
		}
	}
	var choices []op
	if nodes < r.cfg.Agents-2 {
		choices = append(choices, op{name: "scale-up", args: []string{"ring", "scale", ring, "--nodes", fmt.Sprint(nodes + 1)}})
	}
	if nodes > 3 {
		choices = append(choices, op{name: "scale-down", args: []string{"ring", "scale", ring, "--nodes", fmt.Sprint(nodes - 1)}})
		if len(nonSeeds) > 0 {
			choices = append(choices, op{name: "decommission", args: []string{"node", "decommission", nonSeeds[r.rng.IntN(len(nonSeeds))]}})
		}
	}
	if len(names) > 0 && nodes < r.cfg.Agents-1 {
		choices = append(choices, r.replaceOp(rg))
	}
	if len(names) > 0 {
		if r.rng.IntN(2) == 0 {
			choices = append(choices, op{name: "restart", args: []string{"node", "restart", names[r.rng.IntN(len(names))]}})
		} else {
			choices = append(choices, op{name: "restart", args: []string{"ring", "restart", ring}})
		}
	}
	if r.hasKS {
		choices = append(choices, op{name: "repair", args: []string{"repair", "run", ring, "--keyspace", "ks", "--segments-per-node", "1"}})
	}
	choices = append(choices, op{name: "cleanup", args: []string{"cleanup", "run", ring}})
	if r.rng.IntN(8) == 0 {
		return op{name: "delete", args: []string{"ring", "delete", ring, "--yes"}, after: func() { r.hasKS = false }}
	}
	return choices[r.rng.IntN(len(choices))]
}

// replaceOp kills the agent of a node, waits until the daemon sees the node down, and replaces it;
// the agent comes back once everything has finished.
func (r *runner) replaceOp(rg *cassmesosv1.GetRingResponse) op {
	nodes := rg.GetNodes()
	n := nodes[r.rng.IntN(len(nodes))]
	idx := -1
	for i := range r.cfg.Agents {
		if r.w.AgentIP(i) == n.GetAddress() {
			idx = i
		}
	}
	o := op{name: "replace", args: []string{"node", "replace", n.GetName()}}
	o.before = func() bool {
		if idx < 0 {
			return false
		}
		r.w.KillAgent(idx)
		down := false
		deadline := time.Now().Add(30 * time.Second)
		for !down && time.Now().Before(deadline) {
			for _, m := range r.w.Ring(ring).GetNodes() {
				if m.GetName() == n.GetName() && m.GetLiveness() != cassmesosv1.Liveness_LIVENESS_UP {
					down = true
				}
			}
			if !down {
				time.Sleep(100 * time.Millisecond) // polling the daemon's view with a deadline
			}
		}
		if !down {
			r.logf("replace: %s never seen down; healing its agent and skipping", n.GetName())
			r.w.HealAgent(idx)
			return false
		}
		return true
	}
	o.after = func() {
		r.w.HealAgent(idx)
		r.w.WaitFor(60*time.Second, func() bool {
			for _, a := range r.w.MesosState().Agents {
				if a.Hostname == n.GetAddress() {
					return a.State == "registered"
				}
			}
			return false
		}, "agent %d to register again", idx)
	}
	return o
}

func (r *runner) pickPoint(o op) string {
	var pts []string
	switch o.name {
	case "create", "scale-up", "replace":
		pts = []string{"engine/after-accept", "engine/after-persist", "mesos/before-call", "mesos/after-call", "engine/after-plan", "engine/before-plan"}
	case "restart", "decommission", "scale-down", "repair", "cleanup":
		pts = []string{"engine/mid-relay", "engine/after-relay", "engine/relay-outcome", "engine/after-persist", "engine/after-kill", "mesos/before-call"}
	default:
		pts = daemonPoints
	}
	p := pts[r.rng.IntN(len(pts))]
	n := 1 + r.rng.IntN(2)
	if p == "engine/before-plan" || p == "engine/after-plan" {
		n = 1 + r.rng.IntN(4)
	}
	return fmt.Sprintf("%s=kill@%d", p, n)
}

// pickFault chooses the next fault and whether a standby takes over after it.
func (r *runner) pickFault() (fault string, takeover bool) {
	takeover = r.rng.IntN(2) == 0
	switch x := r.rng.IntN(20); {
	case x < 2:
		fault = FaultExpiry
	case x < 4:
		fault = FaultPartition
	case x < 12:
		fault = FaultFailpoint
	default:
		fault = FaultRandom
	}
	return fault, takeover
}

// prepare makes a standby run when one is to take over, and none when the daemon is to restart.
func (r *runner) prepare(takeover bool) {
	if takeover && len(r.live()) < 2 {
		r.spawn()
	}
	if !takeover {
		for _, d := range r.live() {
			if d != r.leader {
				d.Kill()
			}
		}
	}
}

// oneRound starts one operation and deposes the leader one to three times while it runs, then
// waits for every operation to finish and the ring to be healthy, checking the invariants after
// every fault and at the end.
func (r *runner) oneRound() {
	o := r.pickOp()
	fault, takeover := r.pickFault()
	r.prepare(takeover)
	r.logf("%s %v", o.name, o.args)
	if o.before != nil && !o.before() {
		return
	}
	var spec string
	if fault == FaultFailpoint {
		spec = r.pickPoint(o)
		r.arm(r.leader, spec)
	}
	start := time.Now()
	r.startOp(o)
	for n := 1; ; n++ {
		r.logf("fault %d: %s; then %s", n, fault, map[bool]string{true: "a standby takes over", false: "the daemon restarts"}[takeover])
		var at time.Time
		switch fault {
		case FaultFailpoint, FaultRandom:
			at = r.kill(fault, spec, takeover)
		case FaultExpiry, FaultPartition:
			at = r.depose(fault, takeover)
		}
		r.check("after the fault")
		if n == 1 {
			r.faultAt = at
		}
		if n >= 3 || r.rep.Kills >= r.cfg.Kills || r.opsDone() || r.rng.IntN(3) == 0 {
			break
		}
		fault, takeover = r.pickFault()
		r.prepare(takeover)
		spec = ""
		if fault == FaultFailpoint {
			spec = r.pickPoint(o)
			r.arm(r.leader, spec)
		}
	}
	r.waitOps(r.faultAt, o.name)
	if o.after != nil {
		o.after()
		r.waitOps(r.faultAt, o.name)
	}
	r.settle(o, start)
	r.check("at the end of the round")
	if o.name == "create" {
		r.checkSeedsFirst(start)
	}
}

// startOp runs the operation's command, again while the daemon answers "try again" (for a
// minute), and counts a command that fails.
func (r *runner) startOp(o op) {
	deadline := time.Now().Add(time.Minute)
	for {
		out, errOut, code := r.w.CLI(o.args...)
		if code == 0 {
			return
		}
		if strings.Contains(errOut, "try again") && time.Now().Before(deadline) && !r.leader.Exited() {
			time.Sleep(time.Second) // the daemon asked to try again later
			continue
		}
		r.rep.Refused[o.name]++
		r.logf("%s: exit %d: %s%s", o.name, code, out, strings.TrimSpace(errOut))
		return
	}
}

// opsDone reports whether every operation is terminal.
func (r *runner) opsDone() bool {
	ops, err := r.w.ZK().ListOperations(context.Background())
	if err != nil {
		return false
	}
	for _, o := range ops {
		if !terminal(o.Value.GetOperation().GetPhase()) {
			return false
		}
	}
	return true
}

// arm sets the daemon's failpoints (observers plus kill, if any) and, when that changes its spec,
// waits until its log says they are armed.
func (r *runner) arm(d *e2e.Daemon, kill string) {
	spec := observerSpec(kill)
	if r.specs[d] == spec {
		return
	}
	mark := r.logLen()
	d.SetFailpoints(spec)
	r.specs[d] = spec
	name := observed[0]
	if kill != "" {
		name, _, _ = strings.Cut(kill, "=")
	}
	r.w.WaitFor(10*time.Second, func() bool {
		hits, _ := failpoint.ReadLog(r.fpLog)
		for _, h := range hits[min(mark, len(hits)):] {
			if h.PID == d.PID() && h.Armed && h.Name == name {
				return true
			}
		}
		return d.Exited()
	}, "daemon pid %d to arm %q", d.PID(), spec)
}

// kill kills the leader with kill -9: at its armed failpoint (if it fires within a random window)
// or at a random time; then a standby takes over or the daemon starts again.
func (r *runner) kill(fault, spec string, takeover bool) time.Time {
	old := r.leader
	window := time.Duration(200+r.rng.IntN(3800)) * time.Millisecond
	if fault == FaultFailpoint {
		// Until it fires, the operations end, or 6s pass.
		deadline := time.Now().Add(6 * time.Second)
		for i := 0; !old.Exited() && time.Now().Before(deadline); i++ {
			if i%10 == 9 && r.opsDone() {
				break
			}
			time.Sleep(20 * time.Millisecond) // waiting for the armed failpoint to kill it, with a deadline
		}
		if !old.Exited() {
			r.logf("%s did not fire while the operation ran: kill -9 now instead", spec)
			fault = FaultRandom
		} else if !r.firedBy(old.PID()) {
			r.violation("the leader (pid %d) exited without its failpoint %s firing: a crash? see %s", old.PID(), spec, old.Log())
		}
	} else {
		time.Sleep(window) // the random time of the kill
	}
	at := time.Now()
	if !old.Exited() {
		old.Kill()
	}
	r.rep.Kills++
	r.rep.Faults[fault]++
	r.logf("leader pid %d killed (%s)", old.PID(), fault)
	r.next(old, takeover)
	return at
}

// next makes a standby lead (takeover) or starts the daemon again.
func (r *runner) next(old *e2e.Daemon, takeover bool) {
	var cands []*e2e.Daemon
	for _, d := range r.live() {
		if d != old {
			cands = append(cands, d)
		}
	}
	if takeover && len(cands) > 0 {
		r.rep.Takeovers++
	} else {
		r.rep.Restarts++
		if old.Exited() {
			cands = append(cands, r.spawn())
		} else {
			cands = append(cands, old)
		}
	}
	r.leader = r.w.WaitLeader(90*time.Second, cands...)
	r.arm(r.leader, "")
}

func (r *runner) firedBy(pid int) bool {
	hits, _ := failpoint.ReadLog(r.fpLog)
	for _, h := range hits {
		if h.PID == pid && h.Fired {
			return true
		}
	}
	return false
}

// depose ends the leader's ZooKeeper session while it keeps running: cut from ZooKeeper (expiry)
// or frozen with SIGSTOP (partition). With a standby, the standby must take over and the old
// leader, back, must not act; without one, the old leader must lead again after the expiry.
func (r *runner) depose(fault string, takeover bool) time.Time {
	old := r.leader
	time.Sleep(time.Duration(r.rng.IntN(2000)) * time.Millisecond) // the random time of the fault
	at := time.Now()
	r.rep.Faults[fault]++
	if fault == FaultExpiry {
		old.CutZK()
	} else {
		old.Freeze()
	}
	var standby []*e2e.Daemon
	for _, d := range r.live() {
		if d != old {
			standby = append(standby, d)
		}
	}
	if takeover && len(standby) > 0 {
		r.rep.Takeovers++
		r.leader = r.w.WaitLeader(90*time.Second, standby...)
		mark := r.logLen()
		if fault == FaultExpiry {
			old.HealZK()
		} else {
			old.Thaw()
		}
		r.w.WaitFor(30*time.Second, func() bool { return !old.Leads() }, "the deposed leader pid %d to stop leading", old.PID())
		r.checkFencing(old, mark)
		r.arm(r.leader, "")
		return at
	}
	r.rep.Restarts++
	r.w.WaitFor(60*time.Second, func() bool {
		m, err := r.w.ZKMembers()
		if err != nil {
			return false
		}
		for _, a := range m {
			if a == old.Addr {
				return false
			}
		}
		return true
	}, "the session of the leader pid %d to expire", old.PID())
	if fault == FaultExpiry {
		old.HealZK()
	} else {
		old.Thaw()
	}
	// It must notice the expiry and campaign again with a new session (a new member znode).
	r.w.WaitFor(90*time.Second, func() bool {
		m, err := r.w.ZKMembers()
		return err == nil && len(m) > 0 && m[0] == old.Addr && old.Leads()
	}, "the leader pid %d to lead again with a new session", old.PID())
	r.leader = r.w.WaitLeader(10*time.Second, old)
	return at
}

// checkFencing reads the failpoint log from mark (taken once the standby led): the deposed
// leader must have persisted nothing, relayed nothing and subscribed to Mesos no more.
func (r *runner) checkFencing(old *e2e.Daemon, mark int) {
	hits, err := failpoint.ReadLog(r.fpLog)
	if err != nil {
		r.violation("failpoint log unreadable: %v", err)
		return
	}
	if mark > len(hits) {
		mark = len(hits)
	}
	calls := 0
	for _, h := range hits[mark:] {
		if h.PID != old.PID() || h.Armed {
			continue
		}
		switch h.Name {
		case "engine/after-persist":
			r.violation("fencing: the deposed leader (pid %d) persisted a plan after a standby took over", old.PID())
		case "engine/mid-relay":
			r.violation("fencing: the deposed leader (pid %d) relayed a nodetool action after a standby took over", old.PID())
		case "mesos/before-subscribe":
			r.violation("fencing: the deposed leader (pid %d) subscribed to Mesos after a standby took over", old.PID())
		case "mesos/before-call":
			calls++
		}
	}
	if calls > 0 {
		r.rep.StaleCalls += calls
		r.logf("the deposed leader pid %d sent %d Mesos calls after the standby led", old.PID(), calls)
	}
}

func (r *runner) logLen() int {
	hits, _ := failpoint.ReadLog(r.fpLog)
	return len(hits)
}

// waitOps waits until every operation is terminal and counts how they ended.
func (r *runner) waitOps(faultAt time.Time, what string) {
	pending := r.pendingOps(r.cfg.OpTimeout)
	if len(pending) == 0 {
		if d := time.Since(faultAt); d > r.rep.LongestRecovery {
			r.rep.LongestRecovery, r.rep.LongestWhat = d, fmt.Sprintf("round %d: %s", r.round, what)
		}
		return
	}
	var desc []string
	for _, op := range pending {
		desc = append(desc, fmt.Sprintf("%s %s %s (%s)", op.GetId(), op.GetKind(), op.GetPhase(), op.GetBlockedReason()))
	}
	r.violation("operations not finished %v after the fault (%s): %s", r.cfg.OpTimeout, what, strings.Join(desc, "; "))
	// Recover so the run can go on: cancel them, then delete the ring.
	for _, op := range pending {
		r.w.CLI("op", "cancel", op.GetId())
	}
	if left := r.pendingOps(time.Minute); len(left) == 0 {
		return
	}
	r.w.CLI("ring", "delete", ring, "--yes")
	if left := r.pendingOps(2 * time.Minute); len(left) > 0 {
		r.countHits()
		r.t.Logf("\n%s", r.rep)
		r.t.Fatalf("chaos: seed %d round %d: operations never finished, even cancelled and with the ring deleted: %v", r.cfg.Seed, r.round, left)
	}
	r.hasKS = false
}

// pendingOps waits up to timeout for every operation to be terminal and returns those that are not.
func (r *runner) pendingOps(timeout time.Duration) []*cassmesosv1.Operation {
	deadline := time.Now().Add(timeout)
	for {
		ops, err := r.w.ZK().ListOperations(context.Background())
		var pending []*cassmesosv1.Operation
		if err == nil {
			for _, o := range ops {
				if !terminal(o.Value.GetOperation().GetPhase()) {
					pending = append(pending, o.Value.GetOperation())
				}
			}
			if len(pending) == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return pending
		}
		time.Sleep(200 * time.Millisecond) // polling the records with a deadline
	}
}

func terminal(p cassmesosv1.OperationPhase) bool {
	switch p {
	case cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED, cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED,
		cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED:
		return true
	}
	return false
}

// settle counts the round's operations' ends, waits for the ring to be healthy (unless it was
// deleted) and makes the keyspace repairs use.
func (r *runner) settle(o op, start time.Time) {
	ops, err := r.w.ZK().ListOperations(context.Background())
	if err == nil {
		for _, rec := range ops {
			op := rec.Value.GetOperation()
			if op.GetEndTime().AsTime().After(start) {
				k := strings.TrimPrefix(op.GetKind().String(), "OPERATION_KIND_") + " " + strings.TrimPrefix(op.GetPhase().String(), "OPERATION_PHASE_")
				r.rep.Ops[k]++
				if op.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED {
					r.logf("operation %s %s FAILED: %s", op.GetId(), op.GetKind(), op.GetError())
				}
			}
		}
	}
	rg, err := r.w.GetRing(ring)
	if err != nil || rg.GetRing() == nil {
		r.hasKS = false
		return
	}
	want := rg.GetRing().GetSpec().GetNodes()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rg = r.w.Ring(ring)
		st := rg.GetRing().GetStatus()
		if st.GetPhase() == cassmesosv1.RingPhase_RING_PHASE_HEALTHY && st.GetReadyNodes() == want {
			break
		}
		if time.Now().After(deadline) {
			r.violation("ring %s not healthy 2m after every operation finished (%s): phase %s, %d/%d ready",
				ring, o.name, st.GetPhase(), st.GetReadyNodes(), want)
			// Start again from no ring so the run can go on.
			r.w.CLI("ring", "delete", ring, "--yes")
			if left := r.pendingOps(2 * time.Minute); len(left) > 0 {
				r.t.Fatalf("chaos: seed %d round %d: deleting the unhealthy ring never finished: %v", r.cfg.Seed, r.round, left)
			}
			r.hasKS = false
			return
		}
		time.Sleep(200 * time.Millisecond) // polling the ring with a deadline
	}
	if !r.hasKS {
		for _, n := range rg.GetNodes() {
			if n.GetSeed() && n.GetAddress() != "" {
				err := r.w.Cqlsh(n.GetAddress(), "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
				r.hasKS = err == nil
				if err != nil {
					r.logf("no keyspace for repairs yet: %v", err)
				}
				break
			}
		}
	}
}

// countHits tallies the failpoint log.
func (r *runner) countHits() {
	hits, err := failpoint.ReadLog(r.fpLog)
	if err != nil {
		r.violation("failpoint log unreadable: %v", err)
		return
	}
	for _, h := range hits {
		switch {
		case h.Armed:
		case h.Fired:
			r.rep.Fired[h.Name]++
		default:
			r.rep.Passed[h.Name]++
		}
	}
}
