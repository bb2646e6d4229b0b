package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// A ring on Cassandra's Auto Repair (stand-ins), whole stack: the executors render the JVM
// property and the auto_repair section, the daemon pauses Auto Repair on the live nodes before a
// replacement starts, is killed (SIGKILL) while the replacement streams, and the restarted daemon
// resumes Auto Repair on every node once the replacement has ended. The stand-ins' action log
// orders the calls against the replacement.
func TestAutoRepairPauseSurvivesDaemonKill(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 4, AgentUnreachableTimeout: 2 * time.Second, AgentGoneTimeout: 2 * time.Minute,
		CassandraKnobs: map[string]string{"bootstrap_duration": "15s"}})
	if out, errOut, code := w.CLI(append(createArgs("demo", 3, 2), "--replace-after", "0", "--repair-engine", "cassandra",
		"--wait", "--timeout", "4m")...); code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	waitHealthy(w, "demo", 3, 2*time.Minute)
	status := func() *cassmesosv1.GetAutoRepairStatusResponse {
		t.Helper()
		var st cassmesosv1.GetAutoRepairStatusResponse
		w.Eventually(time.Minute, func() error {
			out, errOut, code := w.CLI("repair", "status", "--ring", "demo", "-o", "json")
			if code != 0 {
				return fmt.Errorf("exit %d: %s%s", code, out, errOut)
			}
			return protojson.Unmarshal([]byte(out), &st)
		}, "repair status --ring demo")
		return &st
	}
	for _, n := range status().GetNodes() {
		if !n.GetState().GetSchedulerEnabled() || !n.GetState().GetTypes()[0].GetEnabled() {
			t.Fatalf("%s: %v", n.GetNode(), n)
		}
	}
	if out, errOut, code := w.CLI("repair", "run", "demo", "--keyspace", "system_auth"); code != 5 || !strings.Contains(out+errOut, "Auto Repair") {
		t.Errorf("repair run on an Auto Repair ring: exit %d %s%s", code, out, errOut)
	}

	old := mustNode(t, w, "demo-2")
	w.KillAgent(agentIndex(w, old.GetAddress(), 4))
	w.WaitFor(time.Minute, func() bool {
		return node(w.Ring("demo"), "demo-2").GetLiveness() == cassmesosv1.Liveness_LIVENESS_DOWN
	}, "demo-2 down in the daemon's view")
	w.Eventually(time.Minute, func() error {
		_, _, code := w.CLI("node", "replace", "demo-2")
		if code != 0 {
			return fmt.Errorf("node replace: exit %d", code)
		}
		return nil
	}, "node replace demo-2 accepted")
	live := map[string]bool{mustNode(t, w, "demo-0").GetAddress(): true, mustNode(t, w, "demo-1").GetAddress(): true}
	pausedOn := func() int {
		n := 0
		for _, a := range w.ActionLog() {
			if a.Action == "autorepair" && a.Target == "full=false" && live[a.Node] {
				n++
			}
		}
		return n
	}
	w.WaitFor(time.Minute, func() bool { return pausedOn() >= 2 }, "Auto Repair paused on demo-0 and demo-1")
	w.KillDaemon()
	w.StartDaemon()
	w.WaitFor(3*time.Minute, func() bool {
		all, err := w.Operations("demo") // the restarted daemon's engine may not run yet
		if err != nil {
			return false
		}
		for _, o := range all {
			if o.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE {
				return o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED
			}
		}
		return false
	}, "the replacement to succeed")
	waitHealthy(w, "demo", 3, 2*time.Minute)
	w.WaitFor(time.Minute, func() bool {
		st := status()
		if len(st.GetPauses()) != 1 || st.GetPauses()[0].GetPhase() != "RESUMED" || len(st.GetNodes()) != 3 {
			return false
		}
		for _, n := range st.GetNodes() {
			if !n.GetState().GetTypes()[0].GetEnabled() {
				return false
			}
		}
		return true
	}, "Auto Repair resumed on every node")

	// Order in the stand-ins' log: the live nodes paused before the replacement started, every
	// node resumed after it ended.
	repl := mustNode(t, w, "demo-2").GetAddress()
	var replStart, replEnd, lastPause time.Time
	resumed := map[string]time.Time{}
	for _, a := range w.ActionLog() {
		switch {
		case a.Node == repl && (a.Action == "replace" || a.Action == "bootstrap") && a.Status == "started" && replStart.IsZero():
			replStart = a.Time
		case a.Node == repl && (a.Action == "replace" || a.Action == "bootstrap") && a.Status == "ok":
			replEnd = a.Time
		case a.Action == "autorepair" && a.Target == "full=false" && live[a.Node]:
			if a.Time.After(lastPause) {
				lastPause = a.Time
			}
		case a.Action == "autorepair" && a.Target == "full=true":
			resumed[a.Node] = a.Time
		}
	}
	if replStart.IsZero() || replEnd.IsZero() {
		t.Fatalf("no replacement of %s in the action log", repl)
	}
	if !lastPause.Before(replStart) {
		t.Errorf("Auto Repair paused at %v, the replacement started at %v", lastPause, replStart)
	}
	for addr := range live {
		if r, ok := resumed[addr]; !ok || r.Before(replEnd) {
			t.Errorf("%s resumed at %v (replacement ended %v)", addr, r, replEnd)
		}
	}
}
