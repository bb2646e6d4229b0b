// Package leader is the leadership glue over zkstate's election: Run campaigns, runs one term
// (the Mesos subscription and the engine, given the leadership's fenced store) while this daemon
// leads, stops the term at once when leadership is lost (session expiry, znode deleted), and
// campaigns again. It also answers who leads (for standbys' Unavailable + cassmesos-leader
// trailer) and hands the gRPC layer the running engine.
//
// It imports zkstate and daemon/server's Backend type; it must not import mesos-go.
package leader
