// Package supervisor runs and watches one Cassandra process: a pure node state machine (Machine:
// starting → joining → normal; leaving → decommissioned; draining → stopped; failed) driven by
// events, a process runner (bin/cassandra -f in its own process group, stdout/stderr to files),
// and the Supervisor that ties them together with a health loop (process alive, native transport
// accepting TCP, Cassandra's mode and host ID) and the stop sequence (drain, SIGTERM to the
// group, SIGKILL after the grace).
//
// It must not import Mesos or gRPC packages; Cassandra is reached only through the Cassandra
// interface (a subset of executor/nodetool.Controller).
package supervisor
