package server

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
)

// errInvalid marks request validation failures found at the edge (before the engine).
var errInvalid = plan.ErrInvalid

// errorCodes is the one table mapping domain errors to gRPC codes, checked in order with
// errors.Is.
var errorCodes = []struct {
	err  error
	code codes.Code
}{
	{plan.ErrInvalid, codes.InvalidArgument},
	{plan.ErrRingNotFound, codes.NotFound},
	{plan.ErrNodeNotFound, codes.NotFound},
	{plan.ErrOperationNotFound, codes.NotFound},
	{plan.ErrScheduleNotFound, codes.NotFound},
	{plan.ErrKeyspaceNotFound, codes.NotFound},
	{plan.ErrRingExists, codes.AlreadyExists},
	{plan.ErrRequestIDReused, codes.AlreadyExists},
	{plan.ErrPrecondition, codes.FailedPrecondition},
	{engine.ErrNotLeader, codes.Unavailable},
	{engine.ErrStopped, codes.Unavailable},
	{engine.ErrPersist, codes.Unavailable},
	{engine.ErrPlannerPanicked, codes.Internal},
	{ErrNotLeader, codes.Unavailable},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
	{context.Canceled, codes.Canceled},
}

// ErrNotLeader is returned while this daemon is a standby.
var ErrNotLeader = errors.New("this daemon is not the leader")

// Code returns the gRPC code for a domain error (codes.Unknown when unmapped).
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	for _, e := range errorCodes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return codes.Unknown
}

// toStatus turns a domain error into a gRPC status error; unmapped errors are logged with their
// cause and returned as Unknown.
func toStatus(log *slog.Logger, method string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	c := Code(err)
	if c == codes.Unknown {
		log.Error("unmapped error", "method", method, "err", err)
	}
	return status.Error(c, err.Error())
}
