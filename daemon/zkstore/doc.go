// Package zkstore adapts zkstate to the engine: Store loads the ring, node and operation records
// and persists the planner's writes through a fenced zkstate.Store with compare-and-set on the
// versions it tracks; FrameworkIDs keeps the Mesos framework ID.
//
// It imports zkstate, the planner's Write type and the engine's sentinel errors; it must not
// import mesos-go, gRPC or daemon/server.
package zkstore
