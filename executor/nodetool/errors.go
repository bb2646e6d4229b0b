package nodetool

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors for what nodetool's failures mean. A failed call returns an *Error whose Kind is
// one of these (or nil when the failure is not recognised); test with errors.Is.
var (
	// ErrConnectionRefused: nodetool could not reach the node's JMX port ("nodetool: Failed to
	// connect to '127.0.0.1:7199' - ConnectException: 'Connection refused'."): Cassandra is not
	// running or not listening yet.
	ErrConnectionRefused = errors.New("cannot connect to Cassandra's JMX port")
	// ErrAuthentication: JMX refused the credentials ("SecurityException: 'Authentication failed!
	// ...'").
	ErrAuthentication = errors.New("JMX authentication failed")
	// ErrNotReady: JMX is up but Cassandra's MBeans are not ("Server is not initialized yet,
	// cannot run nodetool.").
	ErrNotReady = errors.New("node is not initialised yet")
	// ErrUnknownKeyspace: the keyspace does not exist ("Keyspace [x] does not exist.", "The
	// keyspace x, does not exist", ...).
	ErrUnknownKeyspace = errors.New("unknown keyspace")
	// ErrRepairFailed: a repair ran and failed (any non-zero exit of `nodetool repair` that is not
	// one of the other kinds, or a failure line in its output).
	ErrRepairFailed = errors.New("repair failed")
	// ErrTimeout: the context's deadline passed and the nodetool process was killed.
	ErrTimeout = errors.New("nodetool timed out")
	// ErrUnknownCommand: nodetool rejected the command line ("Found unexpected parameters: [...]",
	// "Command 'x' not recognized"): usually a command this Cassandra version does not have.
	ErrUnknownCommand = errors.New("nodetool does not know this command")
	// ErrBadOutput: nodetool exited 0 but its output could not be parsed.
	ErrBadOutput = errors.New("unexpected nodetool output")
	// ErrNotStarted: the nodetool program could not be started (missing, not executable).
	ErrNotStarted = errors.New("cannot run nodetool")
)

// Error is a failed nodetool call.
type Error struct {
	// Cmd is the nodetool command and its arguments, without the global options (host, port,
	// credentials): e.g. "status ks1", "repair --full -pr ks1".
	Cmd string
	// ExitCode is the process's exit status; -1 when it was killed or never ran.
	ExitCode int
	// Stdout and Stderr are what the process printed (capped; the tail is kept).
	Stdout, Stderr string
	// Kind is one of the Err* sentinels, or nil for an unrecognised failure.
	Kind error
	// Err is the underlying cause, if any (a context error, an exec error, a parse error).
	Err error
}

// Error returns "nodetool <cmd>: <kind>: <the most telling line> (exit N)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("nodetool ")
	b.WriteString(e.Cmd)
	b.WriteString(": ")
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	} else {
		b.WriteString("failed")
	}
	if msg := e.detail(); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if e.ExitCode >= 0 {
		fmt.Fprintf(&b, " (exit %d)", e.ExitCode)
	}
	return b.String()
}

// detail picks the line that says most: the cause, else the first error-looking line of stderr
// or stdout, else the first non-empty stderr line.
func (e *Error) detail() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	for _, s := range []string{e.Stderr, e.Stdout} {
		for _, l := range lines(s) {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "nodetool: ") || strings.HasPrefix(t, "error: ") || strings.HasPrefix(t, "Error: ") {
				return truncate(t)
			}
		}
	}
	for _, l := range lines(e.Stderr) {
		if t := strings.TrimSpace(l); t != "" {
			return truncate(t)
		}
	}
	return ""
}

// Is makes errors.Is(err, ErrX) true for the error's Kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Unwrap returns the underlying cause (so errors.Is(err, context.DeadlineExceeded) works).
func (e *Error) Unwrap() error { return e.Err }

// Classify names the failure of a finished nodetool run from its exit code and output, as real
// nodetool prints them (3.x to 5.0). command is the nodetool subcommand ("status", "repair"); a
// non-zero repair that matches nothing else is ErrRepairFailed. It returns nil for exit code 0.
func Classify(command string, exitCode int, stdout, stderr string) error {
	if exitCode == 0 {
		return nil
	}
	return classifyText(command, stdout, stderr)
}

func classifyText(command, stdout, stderr string) error {
	all := stderr + "\n" + stdout
	switch {
	case strings.Contains(all, "Failed to connect to") && (strings.Contains(all, "SecurityException") || strings.Contains(all, "Authentication failed")):
		return ErrAuthentication
	case strings.Contains(all, "Failed to connect to"),
		strings.Contains(all, "java.net.ConnectException"),
		strings.Contains(all, "Connection refused to host"):
		return ErrConnectionRefused
	case strings.Contains(all, "Server is not initialized yet"),
		// Cassandra 5.0's nodetool status before the node has joined its own ring.
		strings.Contains(all, "No nodes present in the cluster"):
		return ErrNotReady
	case unknownKeyspace(all):
		return ErrUnknownKeyspace
	case strings.Contains(all, "Found unexpected parameters"),
		strings.Contains(all, "not recognized"),
		strings.Contains(all, "Unknown command"):
		return ErrUnknownCommand
	case strings.Contains(all, "Repair job has failed"),
		strings.Contains(all, "Some repair failed"),
		command == "repair":
		return ErrRepairFailed
	}
	return nil
}

func unknownKeyspace(s string) bool {
	for _, l := range lines(s) {
		switch {
		case strings.Contains(l, "Keyspace [") && strings.Contains(l, "] does not exist"),
			strings.Contains(l, "The keyspace ") && strings.Contains(l, "does not exist"),
			strings.Contains(l, "Unknown keyspace"),
			strings.Contains(l, "There is no ring for the keyspace"),
			// 5.0's describering of an unknown keyspace: "error: No such keyspace: x".
			strings.Contains(l, "No such keyspace"),
			strings.Contains(l, "Keyspace ") && strings.HasSuffix(strings.TrimSpace(l), " does not exist"):
			return true
		}
	}
	return false
}
