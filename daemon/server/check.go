package server

import (
	"fmt"
	"regexp"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

var (
	ringNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	nodeNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}-[0-9]+$`)
	opIDRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
)

func invalid(field, format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", errInvalid, field, fmt.Sprintf(format, a...))
}

func notFound(kind error, name string) error { return fmt.Errorf("%w: %s", kind, name) }

func checkRingName(field, name string) error {
	if name == "" {
		return invalid(field, "required")
	}
	if !ringNameRE.MatchString(name) {
		return invalid(field, "%q is not a ring name ([a-z][a-z0-9-]{0,39})", name)
	}
	return nil
}

func checkNodeRef(field string, ref *cassmesosv1.NodeRef) error {
	if ref == nil || ref.GetNode() == "" {
		return invalid(field+".node", "required")
	}
	if !nodeNameRE.MatchString(ref.GetNode()) {
		return invalid(field+".node", "%q is not a node name (<ring>-<ordinal>)", ref.GetNode())
	}
	if ref.GetRing() != "" {
		if err := checkRingName(field+".ring", ref.GetRing()); err != nil {
			return err
		}
		if !strings.HasPrefix(ref.GetNode(), ref.GetRing()+"-") {
			return invalid(field+".node", "%q is not a node of ring %q", ref.GetNode(), ref.GetRing())
		}
	}
	return nil
}

func checkOperationID(field, id string) error {
	if id == "" {
		return invalid(field, "required")
	}
	if !opIDRE.MatchString(id) {
		return invalid(field, "%q is not an operation ID", id)
	}
	return nil
}

// checkCreateRingRequest validates the request and returns the spec with defaults applied.
func checkCreateRingRequest(req *cassmesosv1.CreateRingRequest) (*cassmesosv1.RingSpec, error) {
	if req.GetSpec() == nil {
		return nil, invalid("spec", "required")
	}
	if err := checkRingName("spec.name", req.GetSpec().GetName()); err != nil {
		return nil, err
	}
	if id := req.GetFromBackup(); id != "" {
		if err := checkOperationID("from_backup", id); err != nil {
			return nil, err
		}
		// The planner fills the shape from the backup, then applies defaults and validates.
		return proto.Clone(req.GetSpec()).(*cassmesosv1.RingSpec), nil
	}
	spec := plan.ApplyDefaults(proto.Clone(req.GetSpec()).(*cassmesosv1.RingSpec))
	if err := plan.ValidateSpec(spec); err != nil {
		return nil, err // wraps plan.ErrInvalid and names the field
	}
	return spec, nil
}

func checkListOperationsRequest(req *cassmesosv1.ListOperationsRequest) error {
	if req.GetRing() != "" {
		if err := checkRingName("ring", req.GetRing()); err != nil {
			return err
		}
	}
	if req.GetLimit() < 0 {
		return invalid("limit", "%d is negative", req.GetLimit())
	}
	for i, k := range req.GetKinds() {
		if _, ok := cassmesosv1.OperationKind_name[int32(k)]; !ok || k == cassmesosv1.OperationKind_OPERATION_KIND_UNSPECIFIED {
			return invalid(fmt.Sprintf("kinds[%d]", i), "%d is not an operation kind", k)
		}
	}
	return nil
}

// checkRequestID checks a mutating request's client request ID before any slow check (the
// planner checks it again; see plan.ValidateRequestID).
func checkRequestID(req interface{ GetRequestId() string }) error {
	return plan.ValidateRequestID("request_id", req.GetRequestId())
}
