package mesos

import (
	"context"
	"fmt"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/cassmesos/cassmesos/daemon/plan"
)

// FrameworkInfo builds the FrameworkInfo cassmesosd subscribes with: checkpointing, the failover
// timeout, its roles through MULTI_ROLE (FrameworkInfo.roles; FrameworkInfo.role stays unset, as
// Mesos requires), PARTITION_AWARE (TASK_UNREACHABLE/GONE instead of TASK_LOST) and
// RESERVATION_REFINEMENT (reservations in the refined format). The roles may differ from the
// previous subscription's: Mesos applies the new set at re-SUBSCRIBE (offers of a role removed are
// rescinded; tasks launched under it keep running).
func FrameworkInfo(name string, roles []string, user, principal, hostname string, failover time.Duration) *mesos.FrameworkInfo {
	secs := failover.Seconds()
	fi := &mesos.FrameworkInfo{
		User:            user,
		Name:            name,
		FailoverTimeout: &secs,
		Checkpoint:      boolPtr(true),
		Roles:           append([]string(nil), roles...),
		Capabilities: []mesos.FrameworkInfo_Capability{
			{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE},
			{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE},
			{Type: mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT},
		},
	}
	if principal != "" {
		fi.Principal = strPtr(principal)
	}
	if hostname != "" {
		fi.Hostname = strPtr(hostname)
	}
	return fi
}

// Driver carries out the planner's actions as scheduler calls on a Conn. Every method takes the
// subscription the decision was made on and fails with ErrNotConnected if that subscription has
// ended (offers and acknowledgements do not survive a re-subscription).
type Driver struct {
	Conn *Conn
	// Roles are the framework's roles (suppressed and revived together).
	Roles   []string
	Resolve URIResolver
}

// Accept sends an ACCEPT with the plan's operations.
func (d *Driver) Accept(ctx context.Context, sub uint64, a plan.Accept) error {
	fid := d.Conn.FrameworkID()
	role := a.Role // the offers' allocation role, which every resource of the operations carries
	if role == "" && len(d.Roles) > 0 {
		role = d.Roles[0]
	}
	ops, err := Operations(a, fid, role, d.Resolve)
	if err != nil {
		return err
	}
	ids := make([]mesos.OfferID, 0, len(a.OfferIDs))
	for _, id := range a.OfferIDs {
		ids = append(ids, mesos.OfferID{Value: id})
	}
	call := calls.Accept(calls.OfferOperations(ops).WithOffers(ids...))
	call.Accept.OfferIDs = ids // keep the planner's order (calls.Accept goes through a map)
	if a.Refuse > 0 {
		call = call.With(calls.RefuseSeconds(a.Refuse))
	}
	return d.Conn.Call(ctx, sub, call)
}

// Decline declines offers with a refuse filter.
func (d *Driver) Decline(ctx context.Context, sub uint64, dec plan.Decline) error {
	if len(dec.OfferIDs) == 0 {
		return nil
	}
	ids := make([]mesos.OfferID, 0, len(dec.OfferIDs))
	for _, id := range dec.OfferIDs {
		ids = append(ids, mesos.OfferID{Value: id})
	}
	call := calls.Decline(ids...)
	if dec.Refuse > 0 {
		call = call.With(calls.RefuseSeconds(dec.Refuse))
	}
	return d.Conn.Call(ctx, sub, call)
}

// Kill kills a task with a kill policy grace period.
func (d *Driver) Kill(ctx context.Context, sub uint64, k plan.Kill) error {
	call := calls.Kill(k.TaskID, k.AgentID)
	if k.Grace > 0 {
		call.Kill.KillPolicy = &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: k.Grace.Nanoseconds()}}
	}
	return d.Conn.Call(ctx, sub, call)
}

// Reconcile asks for the state of the given tasks (explicit), or of every task Mesos knows for
// the framework when tasks is empty (implicit).
func (d *Driver) Reconcile(ctx context.Context, sub uint64, tasks []plan.TaskRef) error {
	m := map[string]string{}
	for _, t := range tasks {
		m[t.TaskID] = t.AgentID
	}
	call := calls.Reconcile(calls.ReconcileTasks(m))
	return d.Conn.Call(ctx, sub, call)
}

// Acknowledge acknowledges a status update, once per UUID (see Conn.Acknowledge).
func (d *Driver) Acknowledge(ctx context.Context, sub uint64, a Ack) error {
	return d.Conn.Acknowledge(ctx, sub, a)
}

// Suppress stops offers for the framework's roles.
func (d *Driver) Suppress(ctx context.Context, sub uint64) error {
	return d.Conn.Call(ctx, sub, calls.SuppressWith(d.Roles))
}

// Revive asks for offers again for the roles and clears decline filters.
func (d *Driver) Revive(ctx context.Context, sub uint64) error {
	return d.Conn.Call(ctx, sub, calls.ReviveWith(d.Roles))
}

// ActionName names an action for logs and metrics.
func ActionName(a plan.Action) string {
	switch a.(type) {
	case plan.Accept:
		return "accept"
	case plan.Decline:
		return "decline"
	case plan.Kill:
		return "kill"
	case plan.Relay:
		return "relay"
	case plan.ReconcileTasks:
		return "reconcile"
	}
	return fmt.Sprintf("%T", a)
}
