package server

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Adding and removing a data centre (issue 16; the planner side is daemon/plan/steps_dc.go).

// AddDataCenter starts an ADD_DATACENTER operation.
func (s *ringServer) AddDataCenter(ctx context.Context, req *cassmesosv1.AddDataCenterRequest) (*cassmesosv1.AddDataCenterResponse, error) {
	const method = "AddDataCenter"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	if err := checkRingName("name", req.GetName()); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	if req.GetDatacenter() == nil {
		return nil, toStatus(s.log, method, invalid("datacenter", "required"))
	}
	op, err := s.submit(ctx, method, plan.AddDataCenter{Ring: req.GetName(), DataCenter: req.GetDatacenter(),
		Source: req.GetSourceDatacenter(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	s.log.Info(method, "ring", req.GetName(), "datacenter", req.GetDatacenter().GetName(), "nodes", req.GetDatacenter().GetNodes(), "operation_id", op.GetId())
	return &cassmesosv1.AddDataCenterResponse{Operation: op}, nil
}

// RemoveDataCenter checks through a live node that no keyspace replicates to the data centre,
// then starts a REMOVE_DATACENTER operation.
func (s *ringServer) RemoveDataCenter(ctx context.Context, req *cassmesosv1.RemoveDataCenterRequest) (*cassmesosv1.RemoveDataCenterResponse, error) {
	const method = "RemoveDataCenter"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	if err := checkRingName("name", req.GetName()); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	dc := req.GetDatacenter()
	if dc == "" {
		return nil, toStatus(s.log, method, invalid("datacenter", "required"))
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	l, ok := b.(keyspaceLister)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this daemon cannot ask executors for the keyspaces")
	}
	node, ks, err := l.ListKeyspaces(ctx, req.GetName(), false)
	switch {
	case errors.Is(err, plan.ErrRingNotFound):
		return nil, toStatus(s.log, method, err)
	case errors.Is(err, engine.ErrNoLiveNode):
		return nil, status.Error(codes.FailedPrecondition, fmt.Sprintf("ring %s: no node is up and normal to ask which keyspaces replicate to %s; see cassmesos ring status %s", req.GetName(), dc, req.GetName()))
	case err != nil:
		if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
			return nil, status.Error(st.Code(), fmt.Sprintf("ring %s: listing keyspaces: %v", req.GetName(), err))
		}
		return nil, toStatus(s.log, method, err)
	}
	if users := replicatingTo(ks, dc); len(users) > 0 {
		return nil, status.Error(codes.FailedPrecondition, fmt.Sprintf(
			"refused: %d keyspace(s) still replicate to data centre %s (as %s reports): %s; ALTER KEYSPACE each to leave %s out first",
			len(users), dc, node, strings.Join(users, "; "), dc))
	}
	op, err := s.submit(ctx, method, plan.RemoveDataCenter{Ring: req.GetName(), DataCenter: dc, RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	s.log.Info(method, "ring", req.GetName(), "datacenter", dc, "operation_id", op.GetId())
	return &cassmesosv1.RemoveDataCenterResponse{Operation: op}, nil
}

// replicatingTo lists the keyspaces whose replication names dc with a non-zero factor, as
// "<keyspace> (<class> {<options>})", sorted.
func replicatingTo(ks []*cassmesosv1.Keyspace, dc string) []string {
	var out []string
	for _, k := range ks {
		rf, ok := k.GetReplication()[dc]
		if !ok || rf == "0" {
			continue
		}
		var opts []string
		for o, v := range k.GetReplication() {
			opts = append(opts, o+"="+v)
		}
		sort.Strings(opts)
		out = append(out, fmt.Sprintf("%s (%s {%s})", k.GetName(), k.GetReplicationClass(), strings.Join(opts, ", ")))
	}
	sort.Strings(out)
	return out
}
