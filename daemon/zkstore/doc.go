// Package zkstore adapts zkstate to the engine: Store loads the ring, node and operation records
// (after completing interrupted transactions, zkstate.RecoverJournals) and persists each planner
// pass as one fenced zkstate transaction with compare-and-set on the versions it tracks. An
// operation is stored as a head record plus chunks of StepsPerChunk steps, so no record grows
// with the ring; only changed chunks are rewritten. FrameworkIDs keeps the Mesos framework ID.
//
// It imports zkstate, the planner's Write type and the engine's sentinel errors; it must not
// import mesos-go, gRPC or daemon/server.
package zkstore
