// Package metrics holds cassmesosd's Prometheus metrics (offers, tasks by state, nodes by phase per
// ring, operations by kind and phase, ZooKeeper write latency, Mesos subscriptions and calls) and
// implements the engine's and the Mesos adapter's observer interfaces.
//
// It imports the Prometheus client and the planner's State type; nothing else of cassmesos.
package metrics
