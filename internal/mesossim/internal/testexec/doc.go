// Command testexec is a custom Mesos executor built only on mesos-go's
// executor packages, used by the mesossim tests. It knows nothing of the
// simulator: it reads its configuration from the MESOS_* environment and
// talks to MESOS_AGENT_ENDPOINT.
//
// Each task's data is a JSON Action saying what the task does. The RUNNING
// update carries a JSON Report in its data.
//
// It imports only mesos-go and the standard library (plus google/uuid), never
// the simulator or any cassmesos package.
package main
