package engine

import (
	"strings"

	"github.com/cassmesos/cassmesos/daemon/plan"
)

// forget drops from the memory-only parts of the state what can no longer matter, so that they
// stay bounded by what is live instead of growing with every task, relay and agent ever seen:
//
//   - Tasks: the terminal status of a task that no node record names (an earlier incarnation, the
//     task of a deleted node). A live task that no record names is kept: the planner kills it.
//   - Relays: the results of relays whose operation has ended or is gone. Relay IDs start with
//     the operation's ID ("<op>/<step>/<attempt>", "<op>/segment/<n>/<attempt>"), and the planner
//     reads a result only while its operation runs; while it runs, a result is kept (forgetting one
//     the planner has not folded in yet would run its nodetool action again).
//   - Views: of nodes that have no record any more.
//   - Agents: those Mesos removed for good (Gone) that no node record names.
//
// Relays in flight are dropped from inflight as they end (Run); polls in flight likewise.
func (e *Engine) forget() {
	s := e.state
	named := make(map[string]bool, len(s.Nodes))
	agents := make(map[string]bool, len(s.Nodes))
	for _, n := range s.Nodes {
		if id := n.GetTaskId(); id != "" {
			named[id] = true
		}
		if id := n.GetAgentId(); id != "" {
			agents[id] = true
		}
		if id := n.GetReservation().GetAgentId(); id != "" {
			agents[id] = true
		}
	}
	for id, st := range s.Tasks {
		if !named[id] && st.State.Terminal() && !e.pendingRecon[id] {
			delete(s.Tasks, id)
		}
	}
	for id := range s.Relays {
		if e.inflight[id] {
			continue
		}
		op, _, _ := strings.Cut(id, "/")
		if rec := s.Operations[op]; rec == nil || (Terminal(rec.GetOperation().GetPhase()) && !plan.AutoRepairResuming(rec)) {
			delete(s.Relays, id)
		}
	}
	for name := range s.Views {
		if s.Nodes[name] == nil {
			delete(s.Views, name)
		}
	}
	for id, a := range s.Agents {
		if a.Gone && !agents[id] {
			delete(s.Agents, id)
		}
	}
}
