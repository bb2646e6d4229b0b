// Package placement matches pending Cassandra nodes to Mesos offers: a chain of feasibility
// filters (resources, the ring's static Cassandra ports plus one dynamic port for the executor,
// one node per agent and no two nodes binding the same address and ports, attribute constraints
// LIKE / UNLIKE / SPREAD, role, and a node's own reservation and volume) followed by rankers
// (spread over racks, then over agents). It decides only which offer serves which node and which
// part of the offer is used; the planner (daemon/plan) turns a Match into RESERVE / CREATE /
// LAUNCH operations.
//
// The package is pure and deterministic: plain Go structs in, plain Go structs out, no clock, no
// randomness, no I/O. It must not import Mesos (mesos-go), ZooKeeper, gRPC or any daemon adapter
// package; the runtime translates Mesos offers into Offer values and back.
package placement
