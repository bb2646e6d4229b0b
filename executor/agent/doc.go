// Package agent serves cassmesos.v1.NodeAgentService for one Cassandra node: the daemon's relayed
// nodetool actions (status, describering, repair with streamed progress, cleanup, drain,
// decommission, removenode, restart in place). Every call must carry "authorization: Bearer
// <secret>" (the per-task secret from NodeTaskConfig), compared in constant time.
//
// Handlers are thin: check the request, call the nodetool.Controller (or the restart hook),
// translate. Domain errors become gRPC codes in one table (errors.go).
//
// It must not import Mesos packages or executor/supervisor (restart is a function it is given).
package agent
