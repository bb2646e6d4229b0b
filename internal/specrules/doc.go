// Package specrules is the single source of truth for what a ring's configuration may contain
// wherever the daemon and the executor both look at it: JVM option syntax, the cassandra.yaml
// keys cassmesos owns, the syntax of cassandra.yaml override values, cluster name, num_tokens,
// snitch, datacenter and rack values, and ports, plus the defaults both sides fill in.
//
// The daemon's plan.ValidateSpec checks a RingSpec with these functions before anything is
// written; the executor checks the NodeTaskConfig it is launched with, and renders it, through
// the same functions (defence in depth). Because there is one implementation, a spec the daemon
// accepts is one the executor runs: a rule added here tightens both sides at once, and the two can
// never disagree (FuzzSpecAgreement checks that end to end).
//
// Every error is an *Error naming the field, as the caller spells it ("spec.jvm_options[2]" in the
// daemon, "NodeTaskConfig.jvm_options[2]" in the executor), and the offending value:
//
//	spec.jvm_options[2]: "-Xmx 4G": contains white space (cassandra-env.sh splits JVM_EXTRA_OPTS on it)
//
// The package is pure: no I/O, no Mesos, gRPC or ZooKeeper imports, nothing that can panic on
// outside input.
package specrules
