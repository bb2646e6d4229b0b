package cmdutil

import (
	"errors"
	"fmt"
	"strings"
)

// FlagError is a usage error: a bad flag, argument or value. It exits with ExitUsage.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf returns a FlagError with a formatted message.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ConfigError is a broken config file. It exits with ExitUsage.
type ConfigError struct {
	Path string
	Err  error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("config file %s: %v", e.Path, e.Err)
}
func (e *ConfigError) Unwrap() error { return e.Err }

// UnreachableError says the daemon could not be reached at Addr. It exits with ExitUnavailable.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	hint := "set the address with --server, CASSMESOS_SERVER or `cassmesos config set-context`"
	if tlsTrouble(fmt.Sprint(e.Err)) {
		hint = "the TLS handshake failed: check --ca, --cert and --key (or the context's " +
			"certificate-authority, client-certificate, client-key); a daemon run with --insecure needs --insecure"
	}
	return fmt.Sprintf("cannot reach cassmesosd at %s: %v; %s", e.Addr, e.Err, hint)
}

// tlsTrouble reports whether a transport error looks like a refused or failed TLS handshake
// (a plaintext client meets a TLS server as a closed connection, a TLS client meets a plaintext
// one as a malformed record).
func tlsTrouble(msg string) bool {
	for _, s := range []string{"tls:", "x509:", "certificate", "handshake", "broken pipe", "EOF", "connection reset"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// OperationError says a waited-for operation ended without succeeding.
type OperationError struct {
	ID        string
	Cancelled bool // false: failed
	Reason    string
}

func (e *OperationError) Error() string {
	if e.Cancelled {
		return fmt.Sprintf("operation %s was cancelled", e.ID)
	}
	if e.Reason == "" {
		return fmt.Sprintf("operation %s failed", e.ID)
	}
	return fmt.Sprintf("operation %s failed: %s", e.ID, e.Reason)
}

// TimeoutError says --timeout passed while waiting. The operation may still be running.
type TimeoutError struct {
	What    string // "operation 0001" or "the server"
	Timeout string
	Hint    string
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("timed out after %s waiting for %s", e.Timeout, e.What)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// RepairRunningError says --if-idle refused a repair because one is already running.
type RepairRunningError struct {
	Ring string
	Err  error
}

func (e *RepairRunningError) Error() string {
	return fmt.Sprintf("a repair of ring %s is already running (--if-idle): %v", e.Ring, e.Err)
}
func (e *RepairRunningError) Unwrap() error { return e.Err }

// AuditBrokenError says audit verify found the audit log's hash chain broken at Record.
type AuditBrokenError struct {
	Record, Reason string
}

func (e *AuditBrokenError) Error() string {
	return fmt.Sprintf("audit log chain broken at %s: %s", e.Record, e.Reason)
}

// ErrCancelled says the user declined a confirmation. It exits with ExitError.
var ErrCancelled = errors.New("cancelled: nothing was changed")

// InterruptedError says the user pressed Ctrl-C; the server-side work, if any, goes on.
type InterruptedError struct{ Hint string }

func (e *InterruptedError) Error() string {
	if e.Hint == "" {
		return "interrupted"
	}
	return "interrupted; " + e.Hint
}

// UnimplementedError says the daemon does not know the called method. It exits with ExitUnimplemented.
type UnimplementedError struct {
	Addr   string
	Method string
	Err    error
}

func (e *UnimplementedError) Error() string {
	return fmt.Sprintf("the server at %s does not implement %s (an older cassmesosd?)", e.Addr, e.Method)
}
func (e *UnimplementedError) Unwrap() error { return e.Err }

// SilentError carries an error whose message the command already printed; Main prints nothing
// more but exits with the code of Err.
type SilentError struct{ Err error }

func (e *SilentError) Error() string { return e.Err.Error() }
func (e *SilentError) Unwrap() error { return e.Err }
