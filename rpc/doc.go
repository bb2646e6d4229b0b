// Package rpc holds cassmesos' API: the .proto files under rpc/proto and the Go code generated from
// them (`make generate`), committed so a build needs no code generator.
//
//   - rpc/cassmesos/v1 (package cassmesosv1): the gRPC services the CLI calls on cassmesosd
//     (RingService, NodeService, OperationService, RepairService, CleanupService, SystemService)
//     and the per-node NodeAgentService the daemon calls on each cassmesos-executor.
//   - rpc/cassmesos/state/v1 (package statev1): the records cassmesosd keeps in ZooKeeper.
//
// rpc imports nothing from daemon/, cli/ or executor/.
package rpc
