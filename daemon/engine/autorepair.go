package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// AutoRepairReader is a Relayer that can also read a node's Cassandra Auto Repair state
// (daemon/nodeagent.Client has it).
type AutoRepairReader interface {
	AutoRepair(ctx context.Context, epoch uint64, ring, node, address string, port uint32, secret string) (*cassmesosv1.GetAutoRepairResponse, error)
}

// AutoRepairStatus reads the Auto Repair state of every node of the ring with a running task
// (concurrently; a node that cannot be asked carries the error) and the pauses the ring's
// topology operations made. Errors: plan.ErrRingNotFound, or the engine's own.
func (e *Engine) AutoRepairStatus(ctx context.Context, ring string) (*cassmesosv1.GetAutoRepairStatusResponse, error) {
	type target struct {
		name, addr, secret string
		port               uint32
	}
	var targets []target
	out := &cassmesosv1.GetAutoRepairStatusResponse{}
	missing := false
	if err := e.do(ctx, func() {
		r := e.state.Rings[ring]
		if r == nil {
			missing = true
			return
		}
		out.Engine = r.GetSpec().GetRepairEngine()
		out.Pauses = plan.AutoRepairPauses(e.state, ring)
		for _, n := range e.state.RingNodes(ring) {
			st, ok := e.state.Tasks[n.GetTaskId()]
			if !ok || st.State != plan.TaskRunning || n.GetAgentPort() == 0 || n.GetAddress() == "" {
				continue
			}
			targets = append(targets, target{n.GetName(), n.GetAddress(), e.taskSecret(n), n.GetAgentPort()})
		}
	}); err != nil {
		return nil, err
	}
	if missing {
		return nil, fmt.Errorf("%w: %s", plan.ErrRingNotFound, ring)
	}
	if !plan.UsesAutoRepair(&cassmesosv1.RingSpec{RepairEngine: out.Engine}) {
		return out, nil
	}
	rd, ok := e.opts.Relayer.(AutoRepairReader)
	if !ok {
		return nil, errors.New("the relay client cannot read Auto Repair")
	}
	out.Nodes = make([]*cassmesosv1.NodeAutoRepairStatus, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns := &cassmesosv1.NodeAutoRepairStatus{Node: t.name}
			st, err := rd.AutoRepair(ctx, e.opts.Epoch, ring, t.name, t.addr, t.port, t.secret)
			if err != nil {
				ns.Error = err.Error()
			} else {
				ns.State = st
			}
			out.Nodes[i] = ns
		}()
	}
	wg.Wait()
	return out, nil
}
