// Package nodeagent is the daemon's client of the executors' NodeAgentService: it relays the
// planner's nodetool actions (drain, decommission, removenode, cleanup, restart, repair) and reads
// a node's view of the ring (nodetool status), dialing <address>:<agent_port> and presenting the
// task's secret as "authorization: Bearer <secret>".
//
// It imports gRPC, the generated API and the planner's Relay type; nothing else of cassmesos.
package nodeagent
