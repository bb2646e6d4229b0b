// Package mesos is cassmesosd's Mesos adapter, built on mesos-go v0.0.11 (httpcli + httpsched with
// its own subscription loop instead of extras/scheduler/controller):
//
//   - Conn keeps one subscription to the leading master: it finds the leader by following 307
//     redirects itself (a fresh client per attempt, so every later call goes to the master that
//     accepted the SUBSCRIBE), re-subscribes with the framework ID stored in ZooKeeper after any
//     disconnect (with backoff), stores a newly assigned ID before delivering anything, refuses
//     masters older than MinMasterVersion, and treats HeartbeatMisses heartbeat intervals without
//     an event as a lost connection.
//   - translate.go turns offers and status updates into the planner's plain types and the
//     planner's actions back into TaskInfo / offer operations (refined reservations, MULTI_ROLE
//     allocation info, CUSTOM executors, DiscoveryInfo with named ports).
//   - Driver carries out the planner's actions as calls on the current subscription.
//
// It imports mesos-go, the planner's plain types (daemon/plan, daemon/placement) and the generated
// API types; it must not import daemon/engine, daemon/server, zkstate or gRPC.
package mesos
