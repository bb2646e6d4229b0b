package plan_test

import (
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	"github.com/cassmesos/cassmesos/internal/secrets"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Executors' API secrets are derived from the daemon's key, reach the executor only in its task,
// and are never stored in a record; relays carry the same secret (plantest checks every relay
// against the secret its target task was launched with).
func TestTaskSecretsAreDerivedAndNeverStored(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	w := plantest.NewWorld(t, 6, plan.Config{FrameworkName: "fw", SecretKey: key})
	if _, err := w.Submit(plan.CreateRing{Spec: spec("demo", 4, 2)}); err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 4 })
	uid := w.Store.Rings["demo"].GetUid()
	if uid == "" {
		t.Fatal("ring has no UID")
	}
	seen := map[string]string{}
	for _, p := range w.Procs {
		got := p.Config.GetAgentSecret()
		want := secrets.Derive(key, secrets.PurposeTaskAPI, "fw", uid, "demo", p.Node, p.TaskID)
		if got != want {
			t.Errorf("task %s launched with secret %q; want %q (derived from the key)", p.TaskID, got, want)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("tasks %s and %s share a secret", p.TaskID, other)
		}
		seen[got] = p.TaskID
	}
	storedClean := func() {
		t.Helper()
		for name, n := range w.Store.Nodes {
			if n.GetTaskSecret() != "" {
				t.Errorf("stored record of %s holds task_secret %q", name, n.GetTaskSecret())
			}
		}
	}
	storedClean()

	// A node restarted (drain relayed, then relaunched) gets a new secret; a decommission is
	// relayed with the right one too.
	before := w.Store.Nodes["demo-1"].GetTaskId()
	if _, err := w.Submit(plan.RestartNode{Ring: "demo", Node: "demo-1"}); err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 60, func() bool { return w.Store.Nodes["demo-1"].GetTaskId() != before && w.UN("demo") == 4 })
	if _, err := w.Submit(plan.DecommissionNode{Ring: "demo", Node: "demo-3"}); err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 80, func() bool { return w.Store.Nodes["demo-3"] == nil })
	storedClean()

	// The same world under another key derives other secrets for the same tasks.
	other := plan.Config{FrameworkName: "fw", SecretKey: []byte(strings.Repeat("o", 32))}
	mine := plan.Config{FrameworkName: "fw", SecretKey: key}
	n := w.Store.Nodes["demo-0"]
	if other.TaskSecret(w.Store.Rings["demo"], n) == mine.TaskSecret(w.Store.Rings["demo"], n) {
		t.Fatal("two keys derive the same secret")
	}
}

// A record written by a daemon that stored the secret keeps working with its running task (a
// relay carries the stored secret) and loses the secret when the node is next launched.
func TestLegacyStoredTaskSecretIsUsedThenCleared(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	w := plantest.NewWorld(t, 6, plan.Config{FrameworkName: "fw", SecretKey: key})
	if _, err := w.Submit(plan.CreateRing{Spec: spec("demo", 4, 1)}); err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 4 })
	// As an older daemon would have left them: the secret in the record and in the running task.
	legacy := func(node string) string {
		n := w.Store.Nodes[node]
		for _, st := range []*plan.State{w.Store, w.State} {
			st.Nodes[node].TaskSecret = "legacy-" + node
		}
		for _, p := range w.Procs {
			if p.TaskID == n.GetTaskId() {
				p.Config.AgentSecret = "legacy-" + node
			}
		}
		return n.GetTaskId()
	}
	// The decommission is relayed to the old task with its stored secret (plantest refuses a
	// relay with another one).
	legacy("demo-3")
	if _, err := w.Submit(plan.DecommissionNode{Ring: "demo", Node: "demo-3"}); err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 80, func() bool { return w.Store.Nodes["demo-3"] == nil })

	old := legacy("demo-2")
	if _, err := w.Submit(plan.RestartNode{Ring: "demo", Node: "demo-2"}); err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 60, func() bool {
		n := w.Store.Nodes["demo-2"]
		return n.GetTaskId() != old && n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_RUNNING
	})
	if s := w.Store.Nodes["demo-2"].GetTaskSecret(); s != "" {
		t.Fatalf("after the relaunch the record still holds task_secret %q", s)
	}
}
