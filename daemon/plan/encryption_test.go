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
