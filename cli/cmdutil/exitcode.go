package cmdutil

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"unicode"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Exit codes of the cassmesos CLI. They are part of the CLI's contract with scripts: never
// renumber one; add new ones at the end.
const (
	ExitOK                 = 0
	ExitError              = 1
	ExitUsage              = 2
	ExitUnavailable        = 3
	ExitNotFound           = 4
	ExitConflict           = 5
	ExitOperationFailed    = 6
	ExitOperationCancelled = 7
	ExitTimeout            = 8
	ExitRepairRunning      = 9
	ExitUnimplemented      = 10
	ExitDenied             = 11
	ExitAuditBroken        = 12
	ExitInterrupted        = 130
)

// ExitCodeDoc documents one exit code.
type ExitCodeDoc struct {
	Code    int
	Name    string
	Meaning string
}

// ExitCodes is the documented table, the source of `cassmesos help exit-codes` and docs/exit-codes.md.
var ExitCodes = []ExitCodeDoc{
	{ExitOK, "ok", "The command did what was asked (with --wait: the operation succeeded)."},
	{ExitError, "error", "Any error not listed below, including an internal server error and a declined confirmation."},
	{ExitUsage, "usage", "Bad command line or config file: unknown command or flag, bad flag value, missing argument, bad -o format, malformed config file, a request the server rejected as invalid (InvalidArgument), or a destructive command run without --yes when stdin is not a terminal. Retrying unchanged will fail again."},
	{ExitUnavailable, "unavailable", "The daemon could not be reached or is unavailable (connection refused, no leader, standby daemon whose leader is unreachable). The message names the address and how to set it."},
	{ExitNotFound, "not-found", "The ring, node, operation or schedule does not exist."},
	{ExitConflict, "conflict", "The server refused the change: it already exists with a different spec, a precondition does not hold (e.g. replacing a node that is up), or another operation is in the way."},
	{ExitOperationFailed, "operation-failed", "With --wait (or op watch): the operation ended FAILED."},
	{ExitOperationCancelled, "operation-cancelled", "With --wait (or op watch): the operation ended CANCELLED."},
	{ExitTimeout, "timeout", "--timeout passed before the server answered or, with --wait, before the operation ended. The operation keeps running on the server."},
	{ExitRepairRunning, "repair-running", "repair run --if-idle: a repair of the ring is already running, so none was started."},
	{ExitUnimplemented, "unimplemented", "The daemon does not implement the call (an older cassmesosd); upgrade the daemon or use an older CLI."},
	{ExitDenied, "denied", "The daemon refused the caller: no or unknown credentials (Unauthenticated: set --cert/--key or --token, or the context's), or the caller's role is too small for the call (PermissionDenied: the message names the role needed)."},
	{ExitAuditBroken, "audit-broken", "audit verify: the audit log's hash chain is broken (a record was edited, removed or reordered); the message names the first broken record."},
	{ExitInterrupted, "interrupted", "Interrupted by Ctrl-C (SIGINT). Operations already started keep running on the server."},
}

// ExitCode maps an error to the CLI's exit code. It is the only place that does.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var (
		flagErr        *FlagError
		configErr      *ConfigError
		unreachableErr *UnreachableError
		opErr          *OperationError
		timeoutErr     *TimeoutError
		repairErr      *RepairRunningError
		auditErr       *AuditBrokenError
		interruptedErr *InterruptedError
	)
	switch {
	case errors.As(err, &flagErr), errors.As(err, &configErr):
		return ExitUsage
	case errors.As(err, &repairErr):
		return ExitRepairRunning
	case errors.As(err, &auditErr):
		return ExitAuditBroken
	case errors.As(err, &unreachableErr):
		return ExitUnavailable
	case errors.As(err, &opErr):
		if opErr.Cancelled {
			return ExitOperationCancelled
		}
		return ExitOperationFailed
	case errors.As(err, &timeoutErr):
		return ExitTimeout
	case errors.As(err, &interruptedErr), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, context.DeadlineExceeded):
		return ExitTimeout
	case errors.Is(err, ErrCancelled):
		return ExitError
	}
	if st, ok := status.FromError(err); ok {
		return exitCodeForGRPC(st.Code())
	}
	return ExitError
}

func exitCodeForGRPC(c codes.Code) int {
	switch c {
	case codes.OK:
		return ExitOK
	case codes.InvalidArgument, codes.OutOfRange:
		return ExitUsage
	case codes.Unavailable:
		return ExitUnavailable
	case codes.NotFound:
		return ExitNotFound
	case codes.AlreadyExists, codes.FailedPrecondition, codes.Aborted:
		return ExitConflict
	case codes.Unauthenticated, codes.PermissionDenied:
		return ExitDenied
	case codes.DeadlineExceeded:
		return ExitTimeout
	case codes.Canceled:
		return ExitInterrupted
	case codes.Unimplemented:
		return ExitUnimplemented
	default:
		return ExitError
	}
}

// ErrorMessage renders err as the one line printed after "error: ": gRPC's
// "rpc error: code = X desc = " prefix is dropped and newlines are folded.
func ErrorMessage(err error) string {
	msg := rpcPrefix.ReplaceAllString(err.Error(), "")
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return -1 // no escape sequences from a server's message reach the terminal
		}
		return r
	}, msg)
	return strings.Join(strings.Fields(msg), " ")
}

var rpcPrefix = regexp.MustCompile(`rpc error: code = \w+ desc = `)
