// Package mesosexec is the executor's Mesos side: the v1 HTTP executor API through mesos-go
// (executor/config.FromEnv, httpcli/httpexec, executor/calls). It SUBSCRIBEs with its
// unacknowledged tasks and updates, handles SUBSCRIBED, LAUNCH, LAUNCH_GROUP, KILL,
// ACKNOWLEDGED, MESSAGE, SHUTDOWN and ERROR (logging and ignoring anything else), re-subscribes
// after a disconnect within the recovery timeout when the framework checkpoints, keeps every
// status update until the agent acknowledges it, and exits once the task's terminal update is
// acknowledged (or a bounded wait passed).
//
// It runs exactly one task: the node is behind the Task interface (LaunchFunc), so this package
// knows nothing of Cassandra. It must not import executor/supervisor, executor/agent or gRPC.
package mesosexec
