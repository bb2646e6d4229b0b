// Package engine is cassmesosd's event loop. One goroutine owns the planner's State; Mesos
// events, gRPC requests (Submit, Read, Watch), timers, relay results and node-status polls arrive
// on channels. For every input it calls the planner, persists the plan's writes through the Store
// (fenced by leadership), applies them to the State, and only then carries out the actions through
// the Mesos driver and the relay client. If persisting fails nothing is done (offers are declined,
// status updates stay unacknowledged); if it failed because leadership is gone, Run returns.
//
// It imports the planner (daemon/plan) and the Mesos adapter's event types; it must not import
// gRPC servers (daemon/server), zkstate (the Store is an interface) or mesos-go.
package engine
