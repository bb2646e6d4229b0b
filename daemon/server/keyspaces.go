package server

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/engine"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// keyspaceLister is what ListKeyspaces needs of the backend (engine.Engine satisfies it).
type keyspaceLister interface {
	ListKeyspaces(ctx context.Context, ring string, tables bool) (string, []*cassmesosv1.Keyspace, error)
}

// ListKeyspaces reads a ring's keyspaces through a live node's executor.
func (s *ringServer) ListKeyspaces(ctx context.Context, req *cassmesosv1.RingServiceListKeyspacesRequest) (*cassmesosv1.RingServiceListKeyspacesResponse, error) {
	const m = "ListKeyspaces"
	if err := checkRingName("ring", req.GetRing()); err != nil {
		return nil, toStatus(s.log, m, err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	l, ok := b.(keyspaceLister)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this daemon cannot ask executors")
	}
	node, ks, err := l.ListKeyspaces(ctx, req.GetRing(), req.GetTables())
	switch {
	case err == nil:
		return &cassmesosv1.RingServiceListKeyspacesResponse{Keyspaces: ks, Node: node}, nil
	case errors.Is(err, engine.ErrNoLiveNode):
		return nil, status.Error(codes.FailedPrecondition, fmt.Sprintf("ring %s: no node is up and normal to ask for its keyspaces; see cassmesos ring status %s", req.GetRing(), req.GetRing()))
	default:
		if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
			// The executor's answer (Unavailable while Cassandra is starting, ...).
			return nil, status.Error(st.Code(), fmt.Sprintf("ring %s: %v", req.GetRing(), err))
		}
		return nil, toStatus(s.log, m, err)
	}
}
