// Package render turns a NodeTaskConfig into the files and environment one Cassandra node runs
// with: the distribution's own conf/cassandra.yaml with only the keys cassmesos owns overlaid
// (comments, order and every other key preserved, at the yaml.Node level),
// cassandra-rackdc.properties, cassandra-env.sh's JMX port, and the process environment
// (CASSANDRA_CONF, heap, JVM_EXTRA_OPTS, JMX, log directory, JAVA_HOME).
//
// The overlay and environment functions are pure; Materialize is the only function that touches
// the file system. It must not import the Mesos, gRPC or supervisor packages.
package render
