// Package zkstate is cassmesos's state store in ZooKeeper: the znode schema (schema.go, where
// every path is built), the record format (codec.go: protobuf messages as protojson inside a
// versioned envelope), the store (store.go: create, get, list, compare-and-set update, delete,
// fenced multi-op writes, digest ACLs, session handling), watches (watch.go), leader election
// (election.go), and the typed records the daemon keeps (records.go).
//
// docs/state.md describes the layout and the format for operators.
//
// zkstate imports the ZooKeeper client, protobuf and the generated record types
// (rpc/cassmesos/state/v1); it must not import daemon/, cli/, executor/, gRPC, or anything under
// internal/ outside its tests.
package zkstate
