package agent

import (
	"context"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errPanicked is what a caller gets when a handler panicked: the details are in the log only.
var errPanicked = status.Error(codes.Internal, "internal error; see the executor's log")

// recoverer answers a panicking handler (or interceptor after it) with Internal and logs the
// panic with its stack, so one bad call does not take the executor, and its node, down.
type recoverer struct{ log *slog.Logger }

func (r recoverer) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.logPanic(info.FullMethod, p)
			resp, err = nil, errPanicked
		}
	}()
	return h(ctx, req)
}

func (r recoverer) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.logPanic(info.FullMethod, p)
			err = errPanicked
		}
	}()
	return h(srv, ss)
}

func (r recoverer) logPanic(method string, p any) {
	r.log.Error("panic in a gRPC handler; answered Internal", "method", method, "panic", p, "stack", string(debug.Stack()))
}
