package server

import (
	"context"
	"runtime/debug"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errPanicked is what a caller gets when a handler panicked: the details are in the log only.
var errPanicked = status.Error(codes.Internal, "internal error; see the daemon's log")

// recoverUnary answers a panicking handler (or interceptor after it) with Internal and logs the
// panic with its stack; the server goes on serving.
func (s *services) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logPanic(info.FullMethod, r)
			resp, err = nil, errPanicked
		}
	}()
	return handler(ctx, req)
}

// recoverStream is recoverUnary for streaming calls.
func (s *services) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logPanic(info.FullMethod, r)
			err = errPanicked
		}
	}()
	return handler(srv, ss)
}

func (s *services) logPanic(method string, r any) {
	s.log.Error("panic in a gRPC handler; answered Internal", "method", method, "panic", r, "stack", string(debug.Stack()))
}
