// Package server holds cassmesosd's gRPC services (RingService, NodeService, OperationService,
// SystemService; the ring and node mutations — scale, restart, update, replace, decommission,
// remove — are in lifecycle.go). Handlers are
// thin: check<Request> validates (InvalidArgument naming the field; a rejected request writes
// nothing), the engine does the work, and the result is translated into API messages. Domain
// errors become status codes in one table (errors.go); anything unmapped is Unknown and logged
// with its cause.
//
// A standby daemon answers every RPC except SystemService.GetVersion with Unavailable and the
// leader's gRPC address in the trailer metadata key "cassmesos-leader" (LeaderTrailer), so clients
// can re-dial the leader.
//
// It imports gRPC, the generated API, the planner's request and error types and the engine; it
// must not import zkstate or mesos-go.
package server
