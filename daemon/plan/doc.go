// Package plan is cassmesosd's pure planning core. It decides, from a snapshot of what the daemon
// knows, what must be persisted and what must be done next:
//
//   - Planner.Reconcile compares the desired state (ring specs, operations) with the observed
//     state (task statuses, Cassandra's view, agents) and returns a Plan. It is level-triggered:
//     the same State always gives the same Plan, and calling it again after applying the Plan's
//     writes makes progress or returns nothing new, so a restarted daemon that reloads its records
//     from ZooKeeper simply carries on.
//   - Planner.MatchOffers does the same and additionally places pending nodes on offers (through
//     daemon/placement), releases volumes of removed nodes, and declines what it does not need.
//   - Planner.Submit validates an operator request (create ring, scale, replace, ...) against the
//     State, explains refusals, and returns the records that start the operation.
//   - ApplyDefaults and ValidateSpec are the daemon's single place for ring-spec defaults and
//     validation; the rules the executor also enforces (JVM options, owned keys, config
//     overrides, names, ports) come from internal/specrules, so the two never disagree.
//
// Contract with the runtime (daemon/engine): the runtime owns the State. For every Plan it
//  1. persists the Writes all or nothing, fenced (one ZooKeeper multi-op with the leader's
//     fence check; a pass too large for one multi goes through the ZooKeeper journal,
//     daemon/zkstore and zkstate/txn.go),
//  2. applies them to its State (State.Apply),
//  3. and only then carries out the Actions, in order.
//
// If persisting fails nothing is done; the next Reconcile recomputes. Actions must be safe to
// repeat: the planner re-emits an action until its effect is observed (a Kill until the task is
// terminal, a Relay until its result is recorded in State.Relays). The runtime ignores a Relay
// whose ID is already in flight or has a result, and may rate-limit ReconcileTasks.
//
// IDs: task IDs are "<node>.<incarnation>.<id>", executor IDs "<node>.<incarnation>" (a new
// executor per incarnation, so a relaunch never lands on a still-terminating executor; a
// persistent volume needs the same role and agent, not the same executor), persistence IDs
// "<node>-<id>", operation IDs "<yyyymmdd-hhmmss>-<id>". docs/planner.md explains the rest.
//
// Determinism: no clock (State.Now), no randomness (IDs from the IDSource), no map-order
// dependence in outputs. Records read from State are never mutated: the planner clones them
// before changing them and returns the clones in Writes.
//
// Imports: standard library, the generated record types (rpc/cassmesos/v1, rpc/cassmesos/state/v1),
// protobuf runtime helpers, daemon/placement and
// github.com/robfig/cron/v3 (pure cron-expression parsing for repair schedules). It must not import Mesos (mesos-go), ZooKeeper,
// gRPC, or any daemon adapter package (daemon/mesos, daemon/server, daemon/engine, zkstate).
package plan
