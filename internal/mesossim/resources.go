package mesossim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gogo/protobuf/proto"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	rez "github.com/mesos/mesos-go/api/v1/lib/resources"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/operations"
)

// Resources are kept internally in the post-refinement format
// (`reservations`, no `role`/`reservation`) and without allocation info; they
// are converted at the edges for frameworks without RESERVATION_REFINEMENT or
// MULTI_ROLE, as the real master does.

// upgradeResource converts one resource to the post-refinement format and
// strips its allocation info.
func upgradeResource(r mesos.Resource) mesos.Resource {
	r = *proto.Clone(&r).(*mesos.Resource)
	r.AllocationInfo = nil
	if len(r.Reservations) == 0 {
		role := r.GetRole()
		if role != "" && role != "*" {
			ri := mesos.Resource_ReservationInfo{Role: proto.String(role)}
			if r.Reservation != nil {
				ri.Type = mesos.Resource_ReservationInfo_DYNAMIC.Enum()
				ri.Principal = r.Reservation.Principal
				ri.Labels = r.Reservation.Labels
			} else {
				ri.Type = mesos.Resource_ReservationInfo_STATIC.Enum()
			}
			r.Reservations = []mesos.Resource_ReservationInfo{ri}
		}
	}
	r.Role = nil
	r.Reservation = nil
	return r
}

func upgradeResources(rs []mesos.Resource) mesos.Resources {
	out := make(mesos.Resources, 0, len(rs))
	for _, r := range rs {
		out = append(out, upgradeResource(r))
	}
	return out
}

// downgradeResources converts to the pre-refinement format; resources with
// refined reservations cannot be expressed and are left out.
func downgradeResources(rs []mesos.Resource) mesos.Resources {
	out := make(mesos.Resources, 0, len(rs))
	for _, r := range rs {
		r = *proto.Clone(&r).(*mesos.Resource)
		switch len(r.Reservations) {
		case 0:
			r.Role = proto.String("*")
		case 1:
			ri := r.Reservations[0]
			r.Role = ri.Role
			if ri.GetType() == mesos.Resource_ReservationInfo_DYNAMIC {
				r.Reservation = &mesos.Resource_ReservationInfo{Principal: ri.Principal, Labels: ri.Labels}
			}
		default:
			continue
		}
		r.Reservations = nil
		out = append(out, r)
	}
	return out
}

// allocatable keeps the resources a role may be offered: unreserved ones and
// those reserved for the role.
func allocatable(rs mesos.Resources, role string) mesos.Resources {
	var out mesos.Resources
	for _, r := range rs {
		if r.IsUnreserved() || r.ReservationRole() == role {
			out = append(out, r)
		}
	}
	return out
}

func allocate(rs mesos.Resources, role string) mesos.Resources {
	out := make(mesos.Resources, 0, len(rs))
	for _, r := range rs {
		r = *proto.Clone(&r).(*mesos.Resource)
		r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(role)}
		out = append(out, r)
	}
	return out
}

// sum adds resources together, merging what can be merged.
func sum(rss ...[]mesos.Resource) mesos.Resources {
	var out mesos.Resources
	for _, rs := range rss {
		for _, r := range rs {
			out.Add1(r)
		}
	}
	return out
}

// minus subtracts b from a (what cannot be subtracted stays).
func minus(a mesos.Resources, b ...mesos.Resource) mesos.Resources {
	out := a.Clone()
	for _, r := range b {
		out.Subtract1(r)
	}
	return out
}

// applyOp applies a RESERVE/UNRESERVE/CREATE/DESTROY to rs, turning a panic
// of the sanity check in mesos-go into an error.
func applyOp(op *mesos.Offer_Operation, rs mesos.Resources) (out mesos.Resources, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("operation %s cannot be applied: %v", op.GetType(), p)
		}
	}()
	res, err := operations.Apply(op, rs, nil)
	return res, err
}

// persistentVolumes lists the persistent volumes among rs.
func persistentVolumes(rs []mesos.Resource) []mesos.Resource {
	var out []mesos.Resource
	for _, r := range rs {
		if r.IsPersistentVolume() {
			out = append(out, r)
		}
	}
	return out
}

// parseResources reads the Mesos agent `--resources` text form:
// `cpus:4;mem:8192;disk:65536;ports:[31000-32000]`, optionally with a role as
// `cpus(role):2`.
func parseResources(s string) (mesos.Resources, error) {
	var out mesos.Resources
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("resource %q: want name:value", part)
		}
		role := ""
		if i := strings.IndexByte(name, '('); i >= 0 && strings.HasSuffix(name, ")") {
			role = name[i+1 : len(name)-1]
			name = name[:i]
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("resource %q: empty name", part)
		}
		r := mesos.Resource{Name: name}
		value = strings.TrimSpace(value)
		switch {
		case strings.HasPrefix(value, "["):
			if !strings.HasSuffix(value, "]") {
				return nil, fmt.Errorf("resource %q: unterminated range", part)
			}
			var ranges []mesos.Value_Range
			for _, rg := range strings.Split(value[1:len(value)-1], ",") {
				b, e, ok := strings.Cut(strings.TrimSpace(rg), "-")
				if !ok {
					return nil, fmt.Errorf("resource %q: range %q: want begin-end", part, rg)
				}
				bi, err1 := strconv.ParseUint(strings.TrimSpace(b), 10, 64)
				ei, err2 := strconv.ParseUint(strings.TrimSpace(e), 10, 64)
				if err1 != nil || err2 != nil || ei < bi {
					return nil, fmt.Errorf("resource %q: bad range %q", part, rg)
				}
				ranges = append(ranges, mesos.Value_Range{Begin: bi, End: ei})
			}
			r.Type = mesos.RANGES.Enum()
			r.Ranges = &mesos.Value_Ranges{Range: ranges}
		case strings.HasPrefix(value, "{"):
			if !strings.HasSuffix(value, "}") {
				return nil, fmt.Errorf("resource %q: unterminated set", part)
			}
			var items []string
			for _, it := range strings.Split(value[1:len(value)-1], ",") {
				if it = strings.TrimSpace(it); it != "" {
					items = append(items, it)
				}
			}
			r.Type = mesos.SET.Enum()
			r.Set = &mesos.Value_Set{Item: items}
		default:
			f, err := strconv.ParseFloat(value, 64)
			if err != nil || f < 0 {
				return nil, fmt.Errorf("resource %q: bad scalar %q", part, value)
			}
			r.Type = mesos.SCALAR.Enum()
			r.Scalar = &mesos.Value_Scalar{Value: f}
		}
		if role != "" && role != "*" {
			r.Reservations = []mesos.Resource_ReservationInfo{{Type: mesos.Resource_ReservationInfo_STATIC.Enum(), Role: proto.String(role)}}
		}
		if err := rez.Validate(r); err != nil {
			return nil, fmt.Errorf("resource %q: %v", part, err)
		}
		out.Add1(r)
	}
	return out, nil
}

// parseAttributes reads the agent `--attributes` text form:
// `rack:r1;zone:z1;level:3`. Numbers become scalars, everything else text.
func parseAttributes(s string) ([]mesos.Attribute, error) {
	var out []mesos.Attribute
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("attribute %q: want name:value", part)
		}
		a := mesos.Attribute{Name: strings.TrimSpace(name)}
		value = strings.TrimSpace(value)
		if f, err := strconv.ParseFloat(value, 64); err == nil {
			a.Type = mesos.SCALAR
			a.Scalar = &mesos.Value_Scalar{Value: f}
		} else {
			a.Type = mesos.TEXT
			a.Text = &mesos.Value_Text{Value: value}
		}
		out = append(out, a)
	}
	return out, nil
}

// mesosDuration formats d as a stout Duration string (`5secs`, `15mins`),
// using the largest unit that gives a whole number.
func mesosDuration(ns int64) string {
	units := []struct {
		n    int64
		name string
	}{
		{7 * 24 * 3600e9, "weeks"}, {24 * 3600e9, "days"}, {3600e9, "hrs"}, {60e9, "mins"},
		{1e9, "secs"}, {1e6, "ms"}, {1e3, "us"},
	}
	if ns == 0 {
		return "0ns"
	}
	for _, u := range units {
		if ns%u.n == 0 {
			return strconv.FormatInt(ns/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(ns, 10) + "ns"
}
