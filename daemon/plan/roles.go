package plan

import (
	"fmt"
	"slices"
	"strings"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Mesos roles. Each ring has one role (spec.role): its reservations and volumes are made for
// it, and its nodes are placed only on offers allocated to it. The daemon subscribes with a set
// of roles (Config.Roles, MULTI_ROLE); a ring is created only with one of them. A ring whose role
// the daemon no longer holds (a restart with another --role set) is left alone: its nodes are
// not placed (no offer of its role comes), none of its operations advances, none is started
// for it (automatic recovery, replacement, operator requests), and its status carries a warning
// until the role is given back to the daemon. Its running tasks keep running (Mesos keeps the
// tasks of a role a framework drops).

// roleWarningPrefix starts the ring status warning of a ring whose role is not held.
const roleWarningPrefix = "mesos role "

// RoleProblem is a ring whose Mesos role is not one the daemon subscribed with.
type RoleProblem struct {
	Ring, Role string
	// Allowed are the daemon's roles.
	Allowed []string
}

func (r RoleProblem) String() string {
	return roleWarningPrefix + fmt.Sprintf("%q is not one the daemon subscribed with (%s): the ring's nodes are not placed and its operations wait; restart cassmesosd with --role %s to manage it",
		r.Role, strings.Join(r.Allowed, ", "), r.Role)
}

// roleAllowed reports whether the daemon subscribed with role.
func (c Config) roleAllowed(role string) bool { return slices.Contains(c.Roles, role) }

// checkRole says why a new ring cannot have role ("" makes it the default role); nil when it can.
func (c Config) checkRole(field, role string) error {
	if role == "" || c.roleAllowed(role) {
		return nil
	}
	return invalid(field, "Mesos role %q is not one the daemon subscribed with (allowed: %s)", role, strings.Join(c.Roles, ", "))
}

// ringRole is the Mesos role of ring name (spec.role; the default role for a ring stored before
// roles, until mintRingRoles gives it one).
func (ps *pass) ringRole(name string) string {
	if r := ps.ring(name).GetSpec().GetRole(); r != "" {
		return r
	}
	return ps.p.cfg.Role
}

// roleHeld reports whether the daemon holds ring name's role (a ring unknown counts as held).
func (ps *pass) roleHeld(name string) bool {
	if ps.ring(name) == nil {
		return true
	}
	return ps.p.cfg.roleAllowed(ps.ringRole(name))
}

// reservationRole is the role a node's recorded reservation (its own or a release entry) was
// made for: recorded on it, else (a record written before roles were recorded) its ring's.
func (ps *pass) reservationRole(n *statev1.NodeRecord, res *statev1.Reservation) string {
	if r := res.GetRole(); r != "" {
		return r
	}
	if ps.ring(n.GetRing()) != nil {
		return ps.ringRole(n.GetRing())
	}
	return ps.p.cfg.Role
}

// mintRingRoles gives every ring stored without a role (by a version before per-ring roles)
// the role its reservations were made for (recorded on its nodes' reservations: the daemon's
// single role then), else the default role.
func (ps *pass) mintRingRoles() {
	for _, name := range sortedKeys(ps.rings) {
		if ps.rings[name].GetSpec() == nil || ps.rings[name].GetSpec().GetRole() != "" {
			continue
		}
		role := ps.p.cfg.Role
		for _, n := range ps.ringNodes(name) {
			if r := n.GetReservation().GetRole(); r != "" {
				role = r
				break
			}
		}
		ps.mutRing(name).Spec.Role = role
	}
}

// roleWarnings puts a warning on the status of each ring whose role is not held (and takes it
// away once it is), and returns those rings for the runtime to log.
func (ps *pass) roleWarnings() []RoleProblem {
	var out []RoleProblem
	for _, name := range sortedKeys(ps.rings) {
		r := ps.ring(name)
		var want []string
		for _, w := range r.GetStatus().GetWarnings() {
			if !strings.HasPrefix(w, roleWarningPrefix) {
				want = append(want, w)
			}
		}
		if !ps.roleHeld(name) {
			p := RoleProblem{Ring: name, Role: ps.ringRole(name), Allowed: ps.p.cfg.Roles}
			out = append(out, p)
			want = append(want, p.String())
		}
		if strings.Join(want, "\n") != strings.Join(r.GetStatus().GetWarnings(), "\n") {
			w := ps.mutRing(name)
			if w.Status == nil {
				w.Status = &cassmesosv1.RingStatus{}
			}
			w.Status.Warnings = want
		}
	}
	return out
}

// blockForRole blocks a running operation of a ring whose role is not held: its phase and
// reason say so and no step advances; it goes on once the role is held again.
func (ps *pass) blockForRole(id string) {
	o := ps.ops[id].GetOperation()
	reason := RoleProblem{Ring: o.GetRing(), Role: ps.ringRole(o.GetRing()), Allowed: ps.p.cfg.Roles}.String()
	if o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED && o.GetBlockedReason() == reason {
		return
	}
	w := ps.mutOp(id).Operation
	w.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED
	w.BlockedReason = reason
}
