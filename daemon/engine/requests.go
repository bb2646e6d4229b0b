package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// do runs fn on the loop goroutine and waits for it.
func (e *Engine) do(ctx context.Context, fn func()) error {
	e.infoMu.Lock()
	running := e.running
	e.infoMu.Unlock()
	if !running {
		return ErrStopped
	}
	done := make(chan struct{})
	select {
	case e.requests <- func() { defer close(done); fn() }:
	case <-ctx.Done():
		return ctx.Err()
	case <-e.stopped:
		return ErrStopped
	}
	<-done
	return nil
}

// Submit hands an operator request to the planner; if accepted, its writes are persisted (nothing
// is written for a refused or validate-only request) and a planning pass follows at once.
func (e *Engine) Submit(ctx context.Context, req plan.Request) (plan.Accepted, error) {
	var acc plan.Accepted
	var err error
	if derr := e.do(ctx, func() {
		e.state.Now = e.opts.Clock()
		if _, perr := e.safely("request", func() plan.Plan {
			acc, err = e.opts.Planner.Submit(e.state, req)
			return acc.Plan
		}); perr != nil {
			acc, err = plan.Accepted{}, perr
		}
		if err != nil || len(acc.Plan.Writes) == 0 && len(acc.Plan.Actions) == 0 {
			return
		}
		if err = e.execute(acc.Plan, nil); err != nil {
			return
		}
		_ = e.reconcile()
		if acc.Operation != nil {
			if op := e.state.Operations[acc.Operation.GetOperation().GetId()]; op != nil {
				acc.Operation = op
			}
		}
		if acc.Ring != nil {
			if r := e.state.Rings[acc.Ring.GetSpec().GetName()]; r != nil {
				acc.Ring = r
			}
		}
	}); derr != nil {
		return plan.Accepted{}, derr
	}
	return acc, err
}

// Read runs fn on the loop goroutine with the live state. fn must not keep or change anything it
// is given (records are immutable; copy what you keep).
func (e *Engine) Read(ctx context.Context, fn func(s *plan.State)) error {
	return e.do(ctx, func() { fn(e.state) })
}

// Watch streams snapshots of an operation: the current one at once, then one per change
// (latest wins if the reader is slow), until it ends (Terminal), is deleted (Gone), the engine
// stops or ctx ends; the channel is then closed. plan.ErrOperationNotFound if there is no such
// operation.
func (e *Engine) Watch(ctx context.Context, id string) (<-chan Snapshot, error) {
	w := &watcher{ch: make(chan Snapshot, 1)}
	var err error
	if derr := e.do(ctx, func() {
		if e.state.Operations[id] == nil {
			err = fmt.Errorf("%w: %s", plan.ErrOperationNotFound, id)
			return
		}
		e.watchers[id] = append(e.watchers[id], w)
		e.notifyWatcher(id, w)
	}); derr != nil {
		return nil, derr
	}
	if err != nil {
		return nil, err
	}
	go func() {
		select {
		case <-ctx.Done():
			_ = e.do(context.Background(), func() { e.dropWatcher(id, w) })
		case <-e.stopped:
		}
	}()
	return w.ch, nil
}

func (e *Engine) dropWatcher(id string, w *watcher) {
	ws := e.watchers[id]
	for i, x := range ws {
		if x == w {
			e.watchers[id] = append(ws[:i:i], ws[i+1:]...)
			close(w.ch)
			break
		}
	}
	if len(e.watchers[id]) == 0 {
		delete(e.watchers, id)
	}
}

func (e *Engine) closeWatchers() {
	for id, ws := range e.watchers {
		for _, w := range ws {
			close(w.ch)
		}
		delete(e.watchers, id)
	}
}

func (e *Engine) notifyWatchers() {
	for id, ws := range e.watchers {
		for _, w := range ws {
			e.notifyWatcher(id, w)
		}
	}
}

// notifyWatcher sends w a snapshot if anything changed since the last one; the watcher is
// dropped (its channel closed) after a terminal or gone snapshot.
func (e *Engine) notifyWatcher(id string, w *watcher) {
	op := e.state.Operations[id]
	snap := Snapshot{Operation: op}
	fp := fmt.Sprintf("%p", op)
	if op == nil {
		snap.Gone = true
	} else {
		snap.Terminal = Terminal(op.GetOperation().GetPhase())
		snap.Nodes = e.state.RingNodes(op.GetOperation().GetRing())
		for _, n := range snap.Nodes {
			fp += fmt.Sprintf(",%p", n)
		}
	}
	if fp == w.last {
		return
	}
	w.last = fp
	select {
	case <-w.ch: // latest wins
	default:
	}
	w.ch <- snap
	if snap.Terminal || snap.Gone {
		e.dropWatcherKeepOpen(id, w)
		close(w.ch)
	}
}

func (e *Engine) dropWatcherKeepOpen(id string, w *watcher) {
	ws := e.watchers[id]
	for i, x := range ws {
		if x == w {
			e.watchers[id] = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if len(e.watchers[id]) == 0 {
		delete(e.watchers, id)
	}
}

// Terminal reports whether an operation phase is final.
func Terminal(p cassmesosv1.OperationPhase) bool {
	switch p {
	case cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED, cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED, cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED:
		return true
	}
	return false
}

// poll asks one live node of every ring for Cassandra's view (nodetool status), at most once per
// PollInterval per ring and one poll per ring at a time (each bounded by PollTimeout).
func (e *Engine) poll() {
	if e.opts.Relayer == nil {
		return
	}
	now := e.opts.Clock()
	if now.Sub(e.lastPoll) < e.opts.PollInterval {
		return
	}
	e.lastPoll = now
	rings := make([]string, 0, len(e.state.Rings))
	for r := range e.state.Rings {
		rings = append(rings, r)
	}
	sort.Strings(rings)
	for _, ring := range rings {
		if e.polling[ring] {
			continue
		}
		n := e.liveNode(ring)
		if n == nil {
			continue
		}
		e.polling[ring] = true
		addr, port, secret, node := n.GetAddress(), n.GetAgentPort(), e.taskSecret(n), n.GetName()
		go func() {
			ctx, cancel := context.WithTimeout(e.ctx, e.opts.PollTimeout)
			defer cancel()
			resp, err := e.opts.Relayer.NodeStatus(ctx, e.opts.Epoch, ring, node, addr, port, secret)
			select {
			case e.views <- viewResult{ring: ring, resp: resp, err: err}:
			case <-e.ctx.Done():
			}
		}()
	}
}

// liveNode picks the ring's node best placed to report: a running, healthy task with an agent
// port, lowest ordinal first.
func (e *Engine) liveNode(ring string) *statev1.NodeRecord {
	var fallback *statev1.NodeRecord
	for _, n := range e.state.RingNodes(ring) {
		st, ok := e.state.Tasks[n.GetTaskId()]
		if !ok || st.State != plan.TaskRunning || n.GetAgentPort() == 0 || n.GetAddress() == "" {
			continue
		}
		if st.Healthy {
			return n
		}
		if fallback == nil {
			fallback = n
		}
	}
	return fallback
}

// onView turns one node's nodetool status into NodeViews for the ring's nodes (matched by address).
func (e *Engine) onView(v viewResult) {
	if v.err != nil {
		e.log.Warn("node status poll failed", "ring", v.ring, "err", v.err)
		return
	}
	byAddr := map[string]string{}
	for _, n := range e.state.RingNodes(v.ring) {
		if n.GetAddress() != "" {
			byAddr[n.GetAddress()] = n.GetName()
		}
	}
	now := e.opts.Clock()
	for _, p := range v.resp.GetPeers() {
		name, ok := byAddr[p.GetAddress()]
		if !ok {
			continue
		}
		view := plan.NodeView{Liveness: p.GetLiveness(), Mode: p.GetMode(), HostID: p.GetHostId(), Reporters: 1, At: now}
		if p.GetLiveness() == cassmesosv1.Liveness_LIVENESS_UP {
			view.Up = 1
		}
		e.state.Views[name] = view
	}
}
