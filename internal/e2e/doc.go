// Package e2e is cassmesos's end-to-end test harness and its end-to-end tests: the real binaries
// (cassmesos, cassmesosd, cassmesos-executor, mesos-sim) run as processes, as a user runs them,
// against a real ZooKeeper server and the Cassandra stand-in's tarball.
//
// Usage, in any package's tests (the issue tests live in this package, one file per issue):
//
//	func TestMain(m *testing.M) { e2e.Main(m) } // builds the binaries, owns ZooKeeper, checks for leftovers
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		w := e2e.NewWorld(t, e2e.Options{Agents: 5, CassandraKnobs: map[string]string{"bootstrap_duration": "0s"}})
//		out, errOut, code := w.CLI("ring", "create", "demo", "--nodes", "3", "--seeds", "2", "--wait")
//		...
//		w.WaitFor(30*time.Second, func() bool { return w.Ring("demo").GetRing().GetStatus().GetReadyNodes() == 3 }, "3 nodes UN")
//		w.KillDaemon(); w.StartDaemon(); w.RestartMaster(); w.PartitionAgent(2); w.HealAgent(2)
//		w.Nodetool(w.AgentIP(0), "status"); w.ActionLog(); w.MesosState(); w.Tasks(); w.ZK()
//	}
//
// Each World has its own loopback block 127.X.Y.0/24 (master and daemon on .1, agent i on .2+i),
// its own ZooKeeper chroot and framework name, and its own directory with every log; worlds run in
// parallel in one test binary. On failure the tails of the logs are printed. Cleanup kills every
// process of the world (daemon, simulator, executors, stand-in nodes, nodetool), found through a
// marker in their environment; Main fails the binary if any spawned process survives.
//
// Environment: CASSMESOS_E2E_NORACE=1 builds the binaries without -race (so does a benchmarks-only
// run, -run '^$' -bench ...); CASSMESOS_E2E_SRC=<dir>
// builds them from another checkout of the module (default: this source tree);
// CASSMESOS_E2E_KEEP=<dir> copies a failed world's directory (logs, sandboxes) there.
//
// e2e imports the product's API packages (rpc, zkstate) and the local world (internal/zktest,
// internal/cassandrasim, internal/mesossim for its state types); it must not import daemon/,
// executor/ or cli/ packages: it drives them only as processes.
package e2e
