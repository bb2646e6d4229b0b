// Package plantest is a simulated world for testing daemon/plan: fake Mesos agents that make
// offers and carry out ACCEPTs the way a master would check them, fake Cassandra processes that
// start, join, drain and decommission, a fake ZooKeeper (the persisted records), and a runtime
// loop that follows the planner's contract (persist writes, apply, then act). Tests drive it
// with events and check the planner's invariants after every step (CheckInvariants).
//
// It imports only the standard library, protobuf and daemon/plan, daemon/placement and the
// generated record types; no Mesos, ZooKeeper or gRPC.
package plantest
