// Package chaos is issue 12's proof: a seeded scenario runner that kills the leading cassmesosd
// (kill -9 at an armed failpoint or at a random time, a ZooKeeper session expiry while it acts, a
// frozen old leader that comes back) in the middle of create, scale, replace, decommission,
// restart, repair, cleanup and delete, half the time with a standby taking over, and after every
// fault checks the invariants against ZooKeeper's records, the Mesos simulator's state and the
// Cassandra stand-in's action log. It runs on internal/e2e's World (real processes, real
// ZooKeeper). docs/chaos.md describes it; `make chaos` runs it at length.
package chaos
