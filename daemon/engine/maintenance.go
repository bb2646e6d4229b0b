package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// MaintenanceStore is a Store that also keeps repair segments and schedules (daemon/zkstore
// satisfies it). Without it the engine starts with none.
type MaintenanceStore interface {
	// LoadMaintenance reads the segments of the given operations and every schedule.
	LoadMaintenance(ctx context.Context, opIDs []string) (map[string]map[int32]*statev1.SegmentRecord, map[string]*statev1.ScheduleRecord, error)
}

// ErrNoLiveNode is returned by DescribeRing when no node of the ring can be asked.
var ErrNoLiveNode = errors.New("no live node to ask")

// loadMaintenance loads the segments of active repairs and every schedule.
func (e *Engine) loadMaintenance(ctx context.Context) error {
	ms, ok := e.opts.Store.(MaintenanceStore)
	if !ok {
		return nil
	}
	var ids []string
	for id, rec := range e.state.Operations {
		o := rec.GetOperation()
		if o.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_REPAIR && !Terminal(o.GetPhase()) {
			ids = append(ids, id)
		}
	}
	segs, scheds, err := ms.LoadMaintenance(ctx, ids)
	if err != nil {
		return err
	}
	if segs != nil {
		e.state.Segments = segs
	}
	if scheds != nil {
		e.state.Schedules = scheds
	}
	return nil
}

// DescribeRing asks a live node of ring for keyspace's token ranges, synchronously (the gRPC
// edge checks a keyspace exists before it starts a repair). Errors: plan.ErrRingNotFound,
// ErrNoLiveNode, plan.ErrKeyspaceNotFound, or the call's error.
func (e *Engine) DescribeRing(ctx context.Context, ring, keyspace string) ([]plan.TokenRange, error) {
	var n *statev1.NodeRecord
	var secret string
	missing := false
	if err := e.do(ctx, func() {
		if e.state.Rings[ring] == nil {
			missing = true
			return
		}
		if n = e.liveNode(ring); n != nil {
			secret = e.taskSecret(n)
		}
	}); err != nil {
		return nil, err
	}
	if missing {
		return nil, fmt.Errorf("%w: %s", plan.ErrRingNotFound, ring)
	}
	if n == nil {
		return nil, fmt.Errorf("%w: no running node of ring %s", ErrNoLiveNode, ring)
	}
	if e.opts.Relayer == nil {
		return nil, errors.New("no relay client configured")
	}
	return e.opts.Relayer.Relay(ctx, e.opts.Epoch, plan.Relay{Kind: plan.RelayDescribeRing, Ring: n.GetRing(), Node: n.GetName(), Address: n.GetAddress(),
		AgentPort: n.GetAgentPort(), Secret: secret, Keyspace: keyspace})
}

// ListKeyspaces asks a live node of ring for the ring's keyspaces (with tables, their table
// counts too), synchronously, for the gRPC edge, and says which node answered. Errors:
// plan.ErrRingNotFound, ErrNoLiveNode, or the call's error.
func (e *Engine) ListKeyspaces(ctx context.Context, ring string, tables bool) (string, []*cassmesosv1.Keyspace, error) {
	var n *statev1.NodeRecord
	var secret string
	missing := false
	if err := e.do(ctx, func() {
		if e.state.Rings[ring] == nil {
			missing = true
			return
		}
		if n = e.liveNode(ring); n != nil {
			secret = e.taskSecret(n)
		}
	}); err != nil {
		return "", nil, err
	}
	if missing {
		return "", nil, fmt.Errorf("%w: %s", plan.ErrRingNotFound, ring)
	}
	if n == nil {
		return "", nil, fmt.Errorf("%w: no running node of ring %s", ErrNoLiveNode, ring)
	}
	if e.opts.Relayer == nil {
		return "", nil, errors.New("no relay client configured")
	}
	ks, err := e.opts.Relayer.ListKeyspaces(ctx, e.opts.Epoch, plan.Relay{Kind: plan.RelayListKeyspaces, Ring: n.GetRing(), Node: n.GetName(),
		Address: n.GetAddress(), AgentPort: n.GetAgentPort(), Secret: secret}, tables)
	return n.GetName(), ks, err
}
