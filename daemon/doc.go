// Package daemon is cassmesosd's start-up: Main parses the configuration (daemon/config), starts
// the artifact server (daemon/artifacts), the metrics endpoint (daemon/metrics) and the gRPC
// services (daemon/server), opens ZooKeeper (zkstate), and campaigns for leadership
// (daemon/leader). While leading it runs one term: the Mesos subscription (daemon/mesos) and the
// event loop (daemon/engine) around the pure planner (daemon/plan), persisting through
// daemon/zkstore and relaying nodetool actions through daemon/nodeagent.
//
// cmd/cassmesosd/main.go only calls Main, so tests can run the daemon in-process with Run.
// Package daemon wires the adapters together; it must not import cli/, executor/ or internal/
// test harnesses.
package daemon
