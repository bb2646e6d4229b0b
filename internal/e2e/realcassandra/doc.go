// Package realcassandra is the real-Cassandra tier of the end-to-end tests: the real binaries
// (cassmesosd, cassmesos-executor, cassmesos, mesos-sim) run a ring of real Apache Cassandra 5.0
// nodes (the distribution `make deps` assembles from Maven Central) on Java 17, and a Go CQL
// driver writes and reads real data through every lifecycle step. It has no non-test code.
package realcassandra
