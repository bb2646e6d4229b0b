package plan_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	"github.com/cassmesos/cassmesos/internal/secrets"
)

// Issue 13: an agent whose rack or dc attribute cassandra-rackdc.properties cannot hold (here a
// '=' and a '#', which would inject a property or a comment) is not used for the ring, and the
// unplaced node's message says which agent and why; nodes only ever carry valid values.
func TestAgentWithInvalidRackOrDCNotUsed(t *testing.T) {
	w := plantest.NewWorld(t, 0, plan.Config{RestartBackoffMin: 10 * time.Second, RestartBackoffMax: time.Minute})
	good := w.AddAgent("r1")
	badRack := w.AddAgent("r2\nprefer_local=true")
	badDC := w.AddAgent("r3")
	badDC.Attrs["dc"] = "dc1#x"
	if _, err := w.Submit(plan.CreateRing{Spec: spec("demo", 2, 1)}); err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 60, func() bool {
		n0, n1 := w.Store.Nodes["demo-0"], w.Store.Nodes["demo-1"]
		return w.UN("demo") == 1 && strings.Contains(n1.GetMessage(), "not used") && n0.GetAgentId() != ""
	})
	if a := w.Store.Nodes["demo-0"].GetAgentId(); a != good.ID {
		t.Errorf("demo-0 on %s, want the only valid agent %s", a, good.ID)
	}
	msg := w.Store.Nodes["demo-1"].GetMessage()
	for _, want := range []string{"agent " + badRack.ID, "attribute rack", "agent " + badDC.ID, "attribute dc", `"dc1#x"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("demo-1's message does not name %q: %s", want, msg)
		}
	}
	for _, n := range w.Store.Nodes {
		if n.GetAgentId() == badRack.ID || n.GetAgentId() == badDC.ID || strings.ContainsAny(n.GetRack()+n.GetDatacenter(), "\n=#") {
			t.Errorf("node %s placed on %s with rack %q dc %q", n.GetName(), n.GetAgentId(), n.GetRack(), n.GetDatacenter())
		}
	}
}

// Issue 13: every launch carries the ring's JMX password, derived from the secret key (the same
// for every node of the ring), and no stored record holds it; without a key none is sent.
func TestLaunchCarriesRingJMXPasswordNotStored(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	w := plantest.NewWorld(t, 3, plan.Config{RestartBackoffMin: 10 * time.Second, RestartBackoffMax: time.Minute, SecretKey: key})
	if _, err := w.Submit(plan.CreateRing{Spec: spec("demo", 2, 1)}); err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 2 })
	uid := w.Store.Rings["demo"].GetUid()
	want := secrets.Derive(key, secrets.PurposeJMX, "cassmesos", uid, "demo") // the default framework name
	if uid == "" || len(w.Procs) < 2 {
		t.Fatalf("ring UID %q, %d tasks", uid, len(w.Procs))
	}
	for id, p := range w.Procs {
		if p.Config.GetJmxPassword() != want {
			t.Errorf("task %s launched with JMX password %q, want %q", id, p.Config.GetJmxPassword(), want)
		}
		if p.Config.GetJmxPassword() == p.Config.GetAgentSecret() {
			t.Errorf("task %s: the JMX password equals the API secret", id)
		}
	}
	var stored []string
	for _, r := range w.Store.Rings {
		stored = append(stored, prototext.Format(r))
	}
	for _, n := range w.Store.Nodes {
		stored = append(stored, prototext.Format(n))
	}
	for _, o := range w.Store.Operations {
		stored = append(stored, prototext.Format(o))
	}
	if s := strings.Join(stored, "\n"); strings.Contains(s, want) {
		t.Errorf("a stored record holds the JMX password")
	}
	if got := (plan.Config{}).JMXPassword(w.Store.Rings["demo"]); got != "" {
		t.Errorf("without a key the JMX password is %q, want none (the executor makes one up)", got)
	}
}
