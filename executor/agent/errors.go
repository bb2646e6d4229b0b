package agent

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// ErrNotRunning is what a Restart hook returns when Cassandra is not running (FailedPrecondition).
var ErrNotRunning = errors.New("cassandra is not running")

// ErrBadCertificate is what a RenewCertificate hook returns for material it refuses
// (InvalidArgument); nothing was written.
var ErrBadCertificate = errors.New("bad certificate")

// errInvalid marks request validation failures.
var errInvalid = errors.New("invalid request")

// codeTable maps domain errors to gRPC codes; the first match wins.
var codeTable = []struct {
	err  error
	code codes.Code
}{
	{errInvalid, codes.InvalidArgument},
	{ErrBadCertificate, codes.InvalidArgument},
	{nodetool.ErrAutoRepairDisabled, codes.FailedPrecondition},
	{nodetool.ErrConnectionRefused, codes.Unavailable},
	{nodetool.ErrNotReady, codes.Unavailable},
	{nodetool.ErrNotStarted, codes.Unavailable},
	{nodetool.ErrUnknownKeyspace, codes.NotFound},
	{nodetool.ErrRepairFailed, codes.Aborted},
	{nodetool.ErrTimeout, codes.DeadlineExceeded},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
	{context.Canceled, codes.Canceled},
	{nodetool.ErrUnknownCommand, codes.Unimplemented},
	{nodetool.ErrAuthentication, codes.Internal},
	{nodetool.ErrBadOutput, codes.Internal},
	{ErrNotRunning, codes.FailedPrecondition},
}

// toStatus turns a domain error into a gRPC status error. Unmapped errors become Unknown and are
// logged with their cause.
func toStatus(log *slog.Logger, method string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	for _, e := range codeTable {
		if errors.Is(err, e.err) {
			return status.Error(e.code, err.Error())
		}
	}
	log.Error("unmapped error", "method", method, "err", err)
	return status.Error(codes.Unknown, err.Error())
}
