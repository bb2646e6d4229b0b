// Package cassandrasim is the Cassandra stand-in: a program that behaves like an Apache Cassandra
// 4.1 node wherever cassmesos can see it — processes, ports, configuration files, logs, nodetool
// output and Cassandra's operational rules — for tests and the demo, on machines where Cassandra
// cannot be installed.
//
// It owns: the node (RunCassandra: configuration loading, gossip between stand-in nodes over
// listen_address:storage_port, bootstrap/replace/decommission/removenode/drain/repair/cleanup with
// Cassandra's rules and error messages), the stand-in's nodetool (RunNodetool, 4.1 output byte for
// byte) and cqlsh (RunCqlsh, schema statements only), the Apache-layout distribution and tarball
// (WriteLayout, WriteTarball, BuildDist), the action log (ReadActions) and a test harness
// (StartNode) for other packages' tests.
//
// It must not import any other cassmesos package (daemon, executor, cli, rpc, zkstate): product
// code never knows the stand-in exists, and the stand-in knows nothing of the product.
package cassandrasim
