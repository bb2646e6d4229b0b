// Package executor is cassmesos-executor: the custom Mesos executor that runs one Cassandra node.
// Main wires the parts together: executor/mesosexec (the Mesos side), executor/render (the
// node's configuration), executor/supervisor (the process and its health), executor/nodetool
// (Cassandra control) and executor/agent (the per-node gRPC API for the daemon).
//
// It must not import daemon, cli or zkstate packages, nor the local world (internal/mesossim,
// internal/cassandrasim) outside tests.
package executor
