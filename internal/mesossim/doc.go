// Package mesossim is a Mesos master and agents in one process that speak the
// real v1 HTTP scheduler API (POST /api/v1/scheduler on the master) and the
// real v1 HTTP executor API (POST /api/v1/executor on every agent), with
// protobuf and JSON, RecordIO streams, offers, reservations, persistent
// volumes, reliable status updates, framework failover, partition awareness and
// fault injection (agent kill/partition/heal, master restart, executor kill,
// delayed or dropped status updates, stopped heartbeats).
//
// Custom executors run as real subprocesses in their own process group with the
// MESOS_* environment a real agent gives them; tasks with a plain CommandInfo
// run under a built-in command executor. Each agent has its own loopback
// address (127.0.0.2, 127.0.0.3, …).
//
// Tests start it in-process with Start; cmd/mesos-sim runs Main. See
// docs/mesos-sim.md.
//
// It owns only the simulator. It must not import any cassmesos product package
// (daemon, executor, cli, zkstate, rpc): product code never knows it talks to a
// simulator, and the simulator knows nothing of the product.
package mesossim
