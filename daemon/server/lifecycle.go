package server

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// The ring and node mutations (issue 6): each handler checks its request, submits the planner
// request to the engine and returns the operation it started. A refused request (bad input, an
// unknown ring or node, a failed precondition) writes nothing.

// ---- RingService

func (s *ringServer) UpdateRing(ctx context.Context, req *cassmesosv1.UpdateRingRequest) (*cassmesosv1.UpdateRingResponse, error) {
	const method = "UpdateRing"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	r, err := checkUpdateRingRequest(req)
	if err != nil {
		return nil, toStatus(s.log, method, err)
	}
	if touchesDistribution(r.Paths) {
		if err := s.checkDistribution(ctx, r.Spec.GetDistribution()); err != nil {
			return nil, toStatus(s.log, method, err)
		}
	}
	acc, err := s.submit(ctx, method, r)
	if err != nil {
		return nil, err
	}
	s.log.Info(method, "ring", r.Ring, "paths", strings.Join(r.Paths, ","), "operation_id", acc.GetId())
	return &cassmesosv1.UpdateRingResponse{Operation: acc}, nil
}

func (s *ringServer) ScaleRing(ctx context.Context, req *cassmesosv1.ScaleRingRequest) (*cassmesosv1.ScaleRingResponse, error) {
	const method = "ScaleRing"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	r, err := checkScaleRingRequest(req)
	if err != nil {
		return nil, toStatus(s.log, method, err)
	}
	op, err := s.submit(ctx, method, r)
	if err != nil {
		return nil, err
	}
	s.log.Info(method, "ring", r.Ring, "nodes", r.Nodes, "remove", strings.Join(r.Remove, ","), "operation_id", op.GetId())
	return &cassmesosv1.ScaleRingResponse{Operation: op}, nil
}

func (s *ringServer) RestartRing(ctx context.Context, req *cassmesosv1.RestartRingRequest) (*cassmesosv1.RestartRingResponse, error) {
	const method = "RestartRing"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	if err := checkRingName("name", req.GetName()); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	op, err := s.submit(ctx, method, plan.RestartRing{Ring: req.GetName(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	s.log.Info(method, "ring", req.GetName(), "operation_id", op.GetId())
	return &cassmesosv1.RestartRingResponse{Operation: op}, nil
}

// ---- NodeService

func (s *nodeServer) ReplaceNode(ctx context.Context, req *cassmesosv1.ReplaceNodeRequest) (*cassmesosv1.ReplaceNodeResponse, error) {
	const method = "ReplaceNode"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	if err := checkNodeRef("ref", req.GetRef()); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	op, err := s.submit(ctx, method, plan.ReplaceNode{Ring: req.GetRef().GetRing(), Node: req.GetRef().GetNode(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	s.log.Info(method, "node", req.GetRef().GetNode(), "operation_id", op.GetId())
	return &cassmesosv1.ReplaceNodeResponse{Operation: op}, nil
}

func (s *nodeServer) RestartNode(ctx context.Context, req *cassmesosv1.RestartNodeRequest) (*cassmesosv1.RestartNodeResponse, error) {
	const method = "RestartNode"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	if err := checkNodeRef("ref", req.GetRef()); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	op, err := s.submit(ctx, method, plan.RestartNode{Ring: req.GetRef().GetRing(), Node: req.GetRef().GetNode(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	s.log.Info(method, "node", req.GetRef().GetNode(), "operation_id", op.GetId())
	return &cassmesosv1.RestartNodeResponse{Operation: op}, nil
}

func (s *nodeServer) DecommissionNode(ctx context.Context, req *cassmesosv1.DecommissionNodeRequest) (*cassmesosv1.DecommissionNodeResponse, error) {
	const method = "DecommissionNode"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	if err := checkNodeRef("ref", req.GetRef()); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	op, err := s.submit(ctx, method, plan.DecommissionNode{Ring: req.GetRef().GetRing(), Node: req.GetRef().GetNode(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	s.log.Info(method, "node", req.GetRef().GetNode(), "operation_id", op.GetId())
	return &cassmesosv1.DecommissionNodeResponse{Operation: op}, nil
}

func (s *nodeServer) RemoveNode(ctx context.Context, req *cassmesosv1.RemoveNodeRequest) (*cassmesosv1.RemoveNodeResponse, error) {
	const method = "RemoveNode"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	if err := checkNodeRef("ref", req.GetRef()); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	op, err := s.submit(ctx, method, plan.RemoveNode{Ring: req.GetRef().GetRing(), Node: req.GetRef().GetNode(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	s.log.Info(method, "node", req.GetRef().GetNode(), "operation_id", op.GetId())
	return &cassmesosv1.RemoveNodeResponse{Operation: op}, nil
}

// submit hands a checked request to the leader's engine and returns the operation it started.
func (s *services) submit(ctx context.Context, method string, req plan.Request) (*cassmesosv1.Operation, error) {
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := b.Submit(ctx, req)
	if err != nil {
		return nil, toStatus(s.log, method, err)
	}
	return acc.Operation.GetOperation(), nil
}

// ---- validators

// frozenPaths are RingSpec fields an update may never change, with the reason.
var frozenPaths = map[string]string{
	"name":              "a ring cannot be renamed",
	"nodes":             "use ScaleRing (cassmesos ring scale) to change the node count",
	"seeds":             "the seed count is fixed at creation",
	"num_tokens":        "tokens are fixed once nodes have joined",
	"ports":             "Cassandra's ports are fixed once nodes have joined",
	"snitch":            "the snitch is fixed once nodes have joined",
	"datacenter":        "the datacenter is fixed once nodes have joined",
	"rack_attribute":    "racks are fixed once nodes have joined",
	"ephemeral_data":    "data placement is fixed at creation",
	"resources":         "name resources.cpus or resources.mem_mb",
	"resources.disk_mb": "the data volume's size is fixed at creation",
}

// frozenPath returns why p may not be updated: it is a frozen path, or a field of the ports (every
// port, and ports.jmx_from_offer, is fixed like the ports as a whole).
func frozenPath(p string) (string, bool) {
	if why, ok := frozenPaths[p]; ok {
		return why, true
	}
	if strings.HasPrefix(p, "ports.") {
		return frozenPaths["ports"], true
	}
	return "", false
}

// checkUpdateRingRequest validates the request's name, spec and mask (each path must name a
// RingSpec field; frozen fields are refused with the reason) and returns the planner request.
// Whether a path can change on a running ring is the planner's call.
func checkUpdateRingRequest(req *cassmesosv1.UpdateRingRequest) (plan.UpdateRing, error) {
	if err := checkRingName("name", req.GetName()); err != nil {
		return plan.UpdateRing{}, err
	}
	if req.GetSpec() == nil {
		return plan.UpdateRing{}, invalid("spec", "required")
	}
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		return plan.UpdateRing{}, invalid("update_mask", "name at least one field to change")
	}
	seen := map[string]bool{}
	for i, p := range paths {
		field := fmt.Sprintf("update_mask.paths[%d]", i)
		if why, ok := frozenPath(p); ok {
			return plan.UpdateRing{}, invalid(field, "%q cannot be updated: %s", p, why)
		}
		if !specPath(p) {
			return plan.UpdateRing{}, invalid(field, "%q is not a ring spec field", p)
		}
		if seen[p] {
			return plan.UpdateRing{}, invalid(field, "%q named twice", p)
		}
		seen[p] = true
	}
	if seen["resources.cpus"] && req.GetSpec().GetResources().GetCpus() <= 0 {
		return plan.UpdateRing{}, invalid("spec.resources.cpus", "%g: want a positive number", req.GetSpec().GetResources().GetCpus())
	}
	if seen["resources.mem_mb"] && req.GetSpec().GetResources().GetMemMb() <= 0 {
		return plan.UpdateRing{}, invalid("spec.resources.mem_mb", "%d: want a positive number", req.GetSpec().GetResources().GetMemMb())
	}
	if seen["replace_after"] && req.GetSpec().GetReplaceAfter().AsDuration() < 0 {
		return plan.UpdateRing{}, invalid("spec.replace_after", "%s is negative", req.GetSpec().GetReplaceAfter().AsDuration())
	}
	return plan.UpdateRing{Ring: req.GetName(), Spec: proto.Clone(req.GetSpec()).(*cassmesosv1.RingSpec), Paths: append([]string(nil), paths...), RequestID: req.GetRequestId()}, nil
}

// specPath reports whether p names a field (or a nested field) of RingSpec.
func specPath(p string) bool {
	md := (&cassmesosv1.RingSpec{}).ProtoReflect().Descriptor()
	parts := strings.Split(p, ".")
	for i, part := range parts {
		f := md.Fields().ByName(protoreflect.Name(part))
		if f == nil {
			return false
		}
		if i < len(parts)-1 {
			if f.Message() == nil || f.IsList() || f.IsMap() {
				return false
			}
			md = f.Message()
		}
	}
	return true
}

func touchesDistribution(paths []string) bool {
	for _, p := range paths {
		if p == "distribution" || strings.HasPrefix(p, "distribution.") {
			return true
		}
	}
	return false
}

// checkScaleRingRequest validates the ring name, the target count and the names to remove.
func checkScaleRingRequest(req *cassmesosv1.ScaleRingRequest) (plan.ScaleRing, error) {
	if err := checkRingName("name", req.GetName()); err != nil {
		return plan.ScaleRing{}, err
	}
	if req.GetNodes() < 1 {
		return plan.ScaleRing{}, invalid("nodes", "%d: a ring needs at least 1 node", req.GetNodes())
	}
	if req.GetNodes() > plan.MaxNodes {
		return plan.ScaleRing{}, invalid("nodes", "%d: at most %d", req.GetNodes(), plan.MaxNodes)
	}
	seen := map[string]bool{}
	for i, n := range req.GetRemove() {
		field := fmt.Sprintf("remove[%d]", i)
		if err := checkNodeRef(field, &cassmesosv1.NodeRef{Ring: req.GetName(), Node: n}); err != nil {
			return plan.ScaleRing{}, invalid(field, "%q is not a node of ring %q", n, req.GetName())
		}
		if seen[n] {
			return plan.ScaleRing{}, invalid(field, "%q named twice", n)
		}
		seen[n] = true
	}
	return plan.ScaleRing{Ring: req.GetName(), Nodes: req.GetNodes(), Remove: append([]string(nil), req.GetRemove()...), RequestID: req.GetRequestId()}, nil
}
