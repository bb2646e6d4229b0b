// Package control is the executor's view of one Cassandra node's management interface: the
// Controller interface (mode, info, status, ring, repair, cleanup, drain, decommission,
// removenode), its domain types and errors. The default implementation (NewNodetool) runs the
// distribution's bin/nodetool and parses its output with executor/nodetool; tests use fakes.
//
// It must not import gRPC, Mesos or the other executor packages (except executor/nodetool).
package control
