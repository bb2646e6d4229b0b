package plan_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func encrypted(in cassmesosv1.InternodeEncryption, cl cassmesosv1.ClientEncryption) *cassmesosv1.Encryption {
	return &cassmesosv1.Encryption{Internode: in, Client: cl}
}

// An encrypted ring: its tasks carry the encryption and the agent's host name (the daemon's
// Mesos adapter issues the certificate from them); client encryption changes through a rolling
// restart; internode encryption is fixed at creation; a daemon without a CA refuses encryption.
func TestEncryptedRing(t *testing.T) {
	w := plantest.NewWorld(t, 4, plan.Config{CassandraTLS: true, RestartBackoffMin: 10 * time.Second, RestartBackoffMax: time.Minute})
	sp := spec("demo", 3, 2)
	sp.Encryption = encrypted(cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_ALL, 0)
	acc, err := w.Submit(plan.CreateRing{Spec: sp})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Store.Rings["demo"].GetSpec().GetEncryption(); got.GetClient() != cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_NONE {
		t.Errorf("stored encryption %v: an unset client encryption should default to NONE", got)
	}
	cooperate(t, w, 100, func() bool { return w.UN("demo") == 3 && opDone(w, acc.Operation.GetOperation().GetId()) })
	for _, p := range w.Procs {
		c := p.Config
		if c.GetEncryption().GetInternode() != cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_ALL {
			t.Errorf("task %s: encryption %v", p.TaskID, c.GetEncryption())
		}
		if c.GetHostname() == "" || c.GetHostname() != w.Store.Nodes[p.Node].GetHostname() {
			t.Errorf("task %s: hostname %q, node record %q", p.TaskID, c.GetHostname(), w.Store.Nodes[p.Node].GetHostname())
		}
		if len(c.GetCassandraTlsKey()) != 0 {
			t.Errorf("the planner put a key in task %s", p.TaskID)
		}
	}

	// Client encryption: a rolling restart of every node, each relaunched with the new setting.
	before := map[string]string{}
	for name, n := range w.Store.Nodes {
		before[name] = n.GetTaskId()
	}
	acc, err = w.Submit(plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{Encryption: encrypted(0, cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_REQUIRED)},
		Paths: []string{"encryption.client"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(acc.Operation.GetOperation().GetSteps()); n != 3 {
		t.Fatalf("client encryption update has %d steps, want a restart of each of 3 nodes", n)
	}
	cooperate(t, w, 120, func() bool { return opDone(w, acc.Operation.GetOperation().GetId()) && w.UN("demo") == 3 })
	for name, n := range w.Store.Nodes {
		if n.GetTaskId() == before[name] {
			t.Errorf("%s was not relaunched", name)
		}
		for _, p := range w.LiveProcs(name) {
			if e := p.Config.GetEncryption(); e.GetClient() != cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_REQUIRED ||
				e.GetInternode() != cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_ALL {
				t.Errorf("%s relaunched with %v", name, e)
			}
		}
	}

	// Internode encryption cannot change on a running ring, whichever path names it.
	for _, req := range []plan.UpdateRing{
		{Ring: "demo", Spec: &cassmesosv1.RingSpec{Encryption: encrypted(cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_NONE, cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_REQUIRED)}, Paths: []string{"encryption"}},
		{Ring: "demo", Spec: &cassmesosv1.RingSpec{Encryption: encrypted(cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_DC, 0)}, Paths: []string{"encryption.internode"}},
	} {
		_, err := w.Submit(req)
		if !errors.Is(err, plan.ErrInvalid) || !strings.Contains(err.Error(), "internode") {
			t.Errorf("%v: err = %v, want ErrInvalid naming internode", req.Paths, err)
		}
	}
	if got := w.Store.Rings["demo"].GetSpec().GetEncryption().GetInternode(); got != cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_ALL {
		t.Errorf("internode encryption is now %v", got)
	}
}

func TestEncryptionNeedsTheDaemonsCA(t *testing.T) {
	w := plantest.NewWorld(t, 3, plan.Config{})
	sp := spec("demo", 1, 1)
	sp.Encryption = encrypted(0, cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_OPTIONAL)
	_, err := w.Submit(plan.CreateRing{Spec: sp})
	if !errors.Is(err, plan.ErrPrecondition) || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("err = %v, want ErrPrecondition naming --insecure", err)
	}
	if len(w.Store.Rings) != 0 {
		t.Fatal("a ring was stored")
	}
	// Explicitly none is fine.
	sp.Encryption = encrypted(cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_NONE, cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_NONE)
	if _, err := w.Submit(plan.CreateRing{Spec: sp}); err != nil {
		t.Fatal(err)
	}
	// An unknown value names the field.
	bad := spec("bad", 1, 1)
	bad.Encryption = &cassmesosv1.Encryption{Internode: 9}
	if _, err := w.Submit(plan.CreateRing{Spec: bad}); !errors.Is(err, plan.ErrInvalid) || !strings.Contains(err.Error(), "spec.encryption.internode") {
		t.Fatalf("err = %v", err)
	}
}

// Node certificates are renewed without a restart: each launch records when its certificate is
// due (two thirds into its validity); once due, the renewal is persisted as intent before it is
// relayed, a success moves the next renewal two thirds into the new certificate's life, a failure
// is retried; no task is relaunched. A plaintext ring gets none.
func TestCertificateRenewal(t *testing.T) {
	validity := 30 * time.Minute
	w := plantest.NewWorld(t, 4, plan.Config{CassandraTLS: true, CassandraCertValidity: validity})
	sp := spec("demo", 2, 1)
	sp.Encryption = encrypted(cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_ALL, cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_REQUIRED)
	acc, err := w.Submit(plan.CreateRing{Spec: sp})
	if err != nil {
		t.Fatal(err)
	}
	plain := spec("plain", 1, 1)
	acc2, err := w.Submit(plan.CreateRing{Spec: plain})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 100, func() bool {
		return w.UN("demo") == 2 && w.UN("plain") == 1 && opDone(w, acc.Operation.GetOperation().GetId()) && opDone(w, acc2.Operation.GetOperation().GetId())
	})
	tasks := map[string]string{}
	due := map[string]time.Time{}
	for name, n := range w.Store.Nodes {
		tasks[name] = n.GetTaskId()
		if n.GetRing() == "plain" {
			if n.GetCertRenewAt() != nil {
				t.Errorf("%s (plaintext ring) has a renewal time", name)
			}
			continue
		}
		if n.GetCertRenewAt() == nil {
			t.Fatalf("%s: no renewal time recorded at launch", name)
		}
		due[name] = n.GetCertRenewAt().AsTime()
		// Launched during the test's first minutes: due 20 minutes (2/3 of 30) after its launch.
		if d := due[name].Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); d < 20*time.Minute || d > 25*time.Minute {
			t.Errorf("%s: renewal due %v after the start, want about 20m", name, d)
		}
	}
	if len(w.CertLog) != 0 {
		t.Fatalf("renewed before due: %v", w.CertLog)
	}

	// demo-1's first attempt fails; it is retried.
	failed := 0
	w.FailCertRenewal = func(r plan.Relay) bool {
		if r.Node == "demo-1" && failed == 0 {
			failed++
			return true
		}
		return false
	}
	cooperate(t, w, 400, func() bool {
		return w.Store.Nodes["demo-0"].GetCertRenewals() == 1 && w.Store.Nodes["demo-1"].GetCertRenewals() == 1
	})
	if failed != 1 {
		t.Errorf("%d failed attempts, want 1", failed)
	}
	for _, name := range []string{"demo-0", "demo-1"} {
		n := w.Store.Nodes[name]
		if n.GetTaskId() != tasks[name] {
			t.Errorf("%s was relaunched (%s -> %s): renewal must not restart", name, tasks[name], n.GetTaskId())
		}
		if n.GetCertRenewalId() != "" || n.GetCertRenewalError() != "" {
			t.Errorf("%s: renewal %q error %q left after success", name, n.GetCertRenewalId(), n.GetCertRenewalError())
		}
		next := n.GetCertRenewAt().AsTime()
		if !next.After(due[name].Add(15 * time.Minute)) {
			t.Errorf("%s: next renewal at %v, want about 20m after the renewal at %v", name, next, due[name])
		}
	}
	for _, line := range w.CertLog {
		if strings.HasPrefix(line, "plain-") {
			t.Errorf("plaintext node renewed: %s", line)
		}
	}
	if len(w.CertLog) != 2 {
		t.Errorf("renewals %v, want one per node", w.CertLog)
	}
	// And again, two thirds into the new certificates' lives.
	cooperate(t, w, 400, func() bool {
		return w.Store.Nodes["demo-0"].GetCertRenewals() == 2 && w.Store.Nodes["demo-1"].GetCertRenewals() == 2
	})
	if n := w.Store.Nodes["demo-0"]; n.GetTaskId() != tasks["demo-0"] {
		t.Errorf("demo-0 relaunched")
	}
	// A relaunch starts over with a fresh certificate: no renewal counted, due anew.
	if _, err := w.Submit(plan.RestartNode{Ring: "demo", Node: "demo-0"}); err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 100, func() bool {
		n := w.Store.Nodes["demo-0"]
		return n.GetTaskId() != tasks["demo-0"] && w.UN("demo") == 2
	})
	if n := w.Store.Nodes["demo-0"]; n.GetCertRenewals() != 0 || !n.GetCertRenewAt().AsTime().After(w.Now.Add(10*time.Minute)) {
		t.Errorf("after a relaunch: renewals %d, due %v (now %v)", n.GetCertRenewals(), n.GetCertRenewAt().AsTime(), w.Now)
	}
}
