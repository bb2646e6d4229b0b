package plan_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func rolesConfig(roles ...string) plan.Config {
	return plan.Config{Role: roles[0], Roles: roles, RestartBackoffMin: 10 * time.Second, RestartBackoffMax: time.Minute}
}

// roleOffer is an offer allocated to role with room for one node.
func roleOffer(id, agent, role string) plan.Offer {
	return plan.Offer{ID: id, AgentID: agent, Hostname: "host-" + agent, Role: role, Attributes: map[string]string{"rack": "r1"},
		Resources: []placement.Resource{
			{Name: placement.CPUs, Scalar: 8, Role: role}, {Name: placement.Mem, Scalar: 32768, Role: role},
			{Name: placement.Disk, Scalar: 100000, Role: role},
			{Name: placement.Ports, Ranges: []placement.Range{{Begin: 7000, End: 7001}, {Begin: 7199, End: 7199}, {Begin: 9042, End: 9042}, {Begin: 31000, End: 31010}}, Role: role},
		}}
}

func accepts(p plan.Plan) []plan.Accept {
	var out []plan.Accept
	for _, a := range p.Actions {
		if acc, ok := a.(plan.Accept); ok {
			out = append(out, acc)
		}
	}
	return out
}

func declined(p plan.Plan) []string {
	var out []string
	for _, a := range p.Actions {
		if d, ok := a.(plan.Decline); ok {
			out = append(out, d.OfferIDs...)
		}
	}
	return out
}

// A ring's role must be one the daemon subscribed with: another is refused naming the role and
// the allowed set, and nothing is written; without one the ring gets the default role.
func TestCreateRingRoleChecked(t *testing.T) {
	w := plantest.NewWorld(t, 3, rolesConfig("ra", "rb"))
	sp := spec("alpha", 1, 1)
	sp.Role = "rx"
	_, err := w.Submit(plan.CreateRing{Spec: sp})
	if !errors.Is(err, plan.ErrInvalid) || !strings.Contains(err.Error(), `"rx"`) || !strings.Contains(err.Error(), "ra, rb") || !strings.Contains(err.Error(), "spec.role") {
		t.Fatalf("unknown role: %v", err)
	}
	if len(w.Store.Rings)+len(w.Store.Nodes)+len(w.Store.Operations) != 0 {
		t.Fatalf("records written for a refused ring:\n%s", w.Dump())
	}
	if _, err := w.Submit(plan.CreateRing{Spec: spec("alpha", 1, 1)}); err != nil {
		t.Fatal(err)
	}
	sp = spec("beta", 1, 1)
	sp.Role = "rb"
	if _, err := w.Submit(plan.CreateRing{Spec: sp}); err != nil {
		t.Fatal(err)
	}
	if got := w.Store.Rings["alpha"].GetSpec().GetRole(); got != "ra" {
		t.Fatalf("alpha's role = %q, want the default ra", got)
	}
	if got := w.Store.Rings["beta"].GetSpec().GetRole(); got != "rb" {
		t.Fatalf("beta's role = %q, want rb", got)
	}
	// The role cannot change.
	if _, err := w.Submit(plan.UpdateRing{Ring: "beta", Spec: &cassmesosv1.RingSpec{Role: "ra"}, Paths: []string{"role"}}); !errors.Is(err, plan.ErrInvalid) {
		t.Fatalf("role update: %v", err)
	}
}

// Placement uses only offers allocated to the ring's role; the reservation and volume are made
// for the ring's role with resources allocated to it, in one ACCEPT of that role's offers;
// offers of another role (even of the same agent) are declined.
func TestPlacementUsesRingRoleOffers(t *testing.T) {
	w := plantest.NewWorld(t, 0, rolesConfig("ra", "rb"))
	for _, a := range []string{"a1", "a2"} {
		w.State.Agents[a] = plan.Agent{ID: a, Hostname: "host-" + a, Reachable: true}
	}
	sp := spec("beta", 1, 1)
	sp.Role = "rb"
	if _, err := w.Submit(plan.CreateRing{Spec: sp}); err != nil {
		t.Fatal(err)
	}
	w.Reconcile()

	// Only offers of ra: nothing placed, everything declined, the node says why.
	w.State.Now = w.Now
	p := w.Planner.MatchOffers(w.State, []plan.Offer{roleOffer("o1", "a1", "ra"), roleOffer("o2", "a2", "ra")})
	if acc := accepts(p); len(acc) != 0 {
		t.Fatalf("ring of role rb placed on offers of ra: %+v", acc)
	}
	if d := declined(p); strings.Join(d, ",") != "o1,o2" {
		t.Fatalf("declined %v, want o1,o2", d)
	}
	w.State.Apply(p.Writes)
	if msg := w.State.Nodes["beta-0"].GetMessage(); !strings.Contains(msg, "role rb") {
		t.Fatalf("node message %q does not name the role it waits for", msg)
	}

	// An agent offering to both roles: only its rb offer is used.
	p = w.Planner.MatchOffers(w.State, []plan.Offer{roleOffer("o3", "a1", "ra"), roleOffer("o4", "a2", "ra"), roleOffer("o5", "a2", "rb")})
	acc := accepts(p)
	if len(acc) != 1 || acc[0].Role != "rb" || acc[0].AgentID != "a2" || strings.Join(acc[0].OfferIDs, ",") != "o5" {
		t.Fatalf("accepts %+v, want one ACCEPT of o5 (role rb, agent a2)", acc)
	}
	if d := declined(p); strings.Join(d, ",") != "o3,o4" {
		t.Fatalf("declined %v, want o3,o4", d)
	}
	reserved := 0
	for _, op := range acc[0].Operations {
		for _, r := range op.Resources {
			if op.Kind == plan.OpReserve || op.Kind == plan.OpCreateVolume {
				reserved++
				if r.Reservation == nil || r.Reservation.Role != "rb" || r.Role != "rb" {
					t.Fatalf("%v resource %s: reservation %+v allocation role %q, want both rb", op.Kind, r.Name, r.Reservation, r.Role)
				}
			}
		}
		if op.Kind == plan.OpLaunch {
			for _, r := range append(append([]plan.Resource(nil), op.Task.Resources...), op.Task.ExecutorResources...) {
				if r.Role != "rb" {
					t.Fatalf("launch resource %s allocated to %q, want rb", r.Name, r.Role)
				}
			}
		}
	}
	if reserved == 0 {
		t.Fatal("no RESERVE/CREATE in the ACCEPT")
	}
	w.State.Apply(p.Writes)
	if got := w.State.Nodes["beta-0"].GetReservation().GetRole(); got != "rb" {
		t.Fatalf("recorded reservation role %q, want rb", got)
	}
}

// A ring whose role the daemon no longer holds (restarted with another --role set) is left
// alone: a warning on its status and in the plan, no recovery started when its task dies, no
// placement on other roles' offers, operator requests refused; the warning goes once the role is
// held again.
func TestRingWithRoleNotHeld(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	if got := w.Store.Rings["demo"].GetSpec().GetRole(); got != "cassmesos" {
		t.Fatalf("ring role %q, want the default cassmesos", got)
	}
	w.Planner = plan.New(rolesConfig("other"), w.IDs) // restarted with --role other
	p := w.Reconcile()
	if len(p.RoleProblems) != 1 || p.RoleProblems[0].Ring != "demo" || p.RoleProblems[0].Role != "cassmesos" {
		t.Fatalf("role problems %+v", p.RoleProblems)
	}
	warned := func() bool {
		for _, wn := range w.Store.Rings["demo"].GetStatus().GetWarnings() {
			if strings.Contains(wn, `mesos role "cassmesos" is not one the daemon subscribed with (other)`) {
				return true
			}
		}
		return false
	}
	if !warned() {
		t.Fatalf("no warning on the ring: %v", w.Store.Rings["demo"].GetStatus().GetWarnings())
	}
	if _, err := w.Submit(plan.RestartRing{Ring: "demo"}); !errors.Is(err, plan.ErrPrecondition) || !strings.Contains(err.Error(), "--role cassmesos") {
		t.Fatalf("restart of a ring whose role is not held: %v", err)
	}
	if _, err := w.Submit(plan.DeleteRing{Ring: "demo"}); !errors.Is(err, plan.ErrPrecondition) {
		t.Fatalf("delete of a ring whose role is not held: %v", err)
	}
	ops := len(w.Store.Operations)
	before := w.Reservations()
	// Its task dies: no recovery is started, nothing is launched or released.
	w.Crash(w.LiveTaskIDs()[0])
	for range 5 {
		w.Tick(time.Second)
		w.Reconcile()
		p := w.OfferRound()
		if acc := accepts(p); len(acc) != 0 {
			t.Fatalf("acted on a ring whose role is not held: %+v", acc)
		}
	}
	if len(w.Store.Operations) != ops {
		t.Fatalf("operations started for a ring whose role is not held:\n%s", w.Dump())
	}
	if after := w.Reservations(); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("reservations changed: %v -> %v", before, after)
	}
	// The role is given back: the warning goes and the node is recovered.
	w.Planner = plan.New(rolesConfig("other", "cassmesos"), w.IDs)
	if p := w.Reconcile(); len(p.RoleProblems) != 0 || warned() {
		t.Fatalf("still warned with the role held: %+v", p.RoleProblems)
	}
	cooperate(t, w, 100, func() bool { return w.UN("demo") == 3 })
}

// A ring stored before per-ring roles takes the role its reservations were made for, not the
// daemon's (possibly new) default.
func TestRingRoleMintedFromReservations(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	for _, s := range []*plan.State{w.State, w.Store} {
		s.Rings["demo"].Spec.Role = ""
	}
	w.Planner = plan.New(rolesConfig("other", "cassmesos"), w.IDs)
	w.Reconcile()
	if got := w.Store.Rings["demo"].GetSpec().GetRole(); got != "cassmesos" {
		t.Fatalf("minted role %q, want cassmesos (its reservations' role)", got)
	}
}
