package mesos

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Label keys the executor puts on its status updates.
const (
	LabelMode   = "mode"
	LabelHostID = "host_id"
)

// AddressAttribute is the agent attribute that, when present, names the address Cassandra binds.
const AddressAttribute = "address"

// RackAttribute and DatacenterAttribute are the attributes an agent's fault domain fills in when
// the agent lacks them (zone → rack, region → dc): the default rack attribute and the attribute
// the datacenter is read from when a ring names none.
const (
	RackAttribute       = plan.DefaultRackAttribute
	DatacenterAttribute = "dc"
)

// Offers translates an OFFERS event.
func Offers(offers []mesos.Offer) []plan.Offer {
	out := make([]plan.Offer, 0, len(offers))
	for i := range offers {
		out = append(out, Offer(&offers[i]))
	}
	return out
}

// Offer turns a Mesos offer into the planner's plain form. Address is the agent's "address"
// attribute, else the IP of the offer's agent URL, else the hostname.
func Offer(o *mesos.Offer) plan.Offer {
	po := plan.Offer{
		ID:         o.GetID().Value,
		AgentID:    o.GetAgentID().Value,
		Hostname:   o.GetHostname(),
		Role:       o.GetAllocationInfo().GetRole(),
		Attributes: map[string]string{},
	}
	for _, a := range o.GetAttributes() {
		po.Attributes[a.GetName()] = attributeString(a)
	}
	// The agent's fault domain (Mesos 1.5+) stands in for the attributes it lacks: its zone is
	// the rack, its region the datacenter.
	if fd := o.GetDomain().GetFaultDomain(); fd != nil {
		if _, ok := po.Attributes[RackAttribute]; !ok && fd.Zone.Name != "" {
			po.Attributes[RackAttribute] = fd.Zone.Name
		}
		if _, ok := po.Attributes[DatacenterAttribute]; !ok && fd.Region.Name != "" {
			po.Attributes[DatacenterAttribute] = fd.Region.Name
		}
	}
	var urlIP, urlHost string
	if u := o.GetURL(); u != nil {
		urlIP, urlHost = u.Address.GetIP(), u.Address.GetHostname()
	}
	switch {
	case po.Attributes[AddressAttribute] != "":
		po.Address = po.Attributes[AddressAttribute]
	case urlIP != "":
		po.Address = urlIP
	case net.ParseIP(urlHost) != nil:
		po.Address = urlHost
	default:
		po.Address = o.GetHostname()
	}
	for _, r := range o.GetResources() {
		pr := Resource(r)
		if po.Role == "" && pr.Role != "" {
			po.Role = pr.Role // a master that sets allocation_info only on resources
		}
		po.Resources = append(po.Resources, pr)
	}
	return po
}

func attributeString(a mesos.Attribute) string {
	switch a.GetType() {
	case mesos.SCALAR:
		return strconv.FormatFloat(a.GetScalar().GetValue(), 'f', -1, 64)
	case mesos.TEXT:
		return a.GetText().GetValue()
	case mesos.SET:
		return strings.Join(a.GetSet().GetItem(), ",")
	case mesos.RANGES:
		var parts []string
		for _, r := range a.GetRanges().GetRange() {
			parts = append(parts, fmt.Sprintf("%d-%d", r.Begin, r.End))
		}
		return strings.Join(parts, ",")
	}
	return ""
}

// Resource turns an offered Mesos resource into the planner's form, keeping the original in Raw.
// Both reservation formats are read: refined (reservations, the last one is the framework's) and
// pre-refinement (role + reservation).
func Resource(r mesos.Resource) plan.Resource {
	pr := plan.Resource{Name: r.GetName(), Raw: r}
	if s := r.GetScalar(); s != nil {
		pr.Scalar = s.GetValue()
	}
	for _, rg := range r.GetRanges().GetRange() {
		pr.Ranges = append(pr.Ranges, rangeOf(rg))
	}
	if ai := r.GetAllocationInfo(); ai != nil {
		pr.Role = ai.GetRole()
	}
	if n := len(r.GetReservations()); n > 0 {
		ri := r.GetReservations()[n-1]
		if ri.GetType() == mesos.Resource_ReservationInfo_DYNAMIC {
			pr.Reservation = &placement.Reservation{Role: ri.GetRole(), Principal: ri.GetPrincipal(), Labels: labelMap(ri.GetLabels())}
		}
	} else if r.Role != nil && r.GetRole() != "*" && r.GetReservation() != nil {
		pr.Reservation = &placement.Reservation{Role: r.GetRole(), Principal: r.GetReservation().GetPrincipal(), Labels: labelMap(r.GetReservation().GetLabels())}
		if pr.Role == "" {
			pr.Role = r.GetRole()
		}
	}
	if p := r.GetDisk().GetPersistence(); p != nil {
		pr.Volume = &placement.Volume{PersistenceID: p.GetID(), ContainerPath: r.GetDisk().GetVolume().GetContainerPath()}
	}
	return pr
}

func rangeOf(r mesos.Value_Range) placement.Range { return placement.Range{Begin: r.Begin, End: r.End} }

func labelMap(l *mesos.Labels) map[string]string {
	if l == nil || len(l.GetLabels()) == 0 {
		return nil
	}
	m := make(map[string]string, len(l.GetLabels()))
	for _, kv := range l.GetLabels() {
		m[kv.GetKey()] = kv.GetValue()
	}
	return m
}

func mesosLabels(m map[string]string) *mesos.Labels {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	l := &mesos.Labels{}
	for _, k := range keys {
		v := m[k]
		l.Labels = append(l.Labels, mesos.Label{Key: k, Value: &v})
	}
	return l
}

// ToMesos turns a planner resource back into a Mesos resource. A resource that came from an offer
// (Raw set) is sent exactly as offered; one the planner built is written in the refined
// reservation format (the framework subscribes with RESERVATION_REFINEMENT) with allocation_info
// for role (MULTI_ROLE).
func ToMesos(r plan.Resource, role string) mesos.Resource {
	if raw, ok := r.Raw.(mesos.Resource); ok {
		if r.Volume == nil && raw.Disk != nil && raw.Disk.Persistence != nil {
			// An UNRESERVE of a disk whose volume a DESTROY of the same ACCEPT removes: the
			// offered resource still carries the volume, the one to unreserve must not.
			disk := *raw.Disk
			disk.Persistence, disk.Volume = nil, nil
			raw.Disk = &disk
			if disk.Source == nil {
				raw.Disk = nil
			}
		}
		return raw
	}
	mr := mesos.Resource{Name: r.Name}
	if len(r.Ranges) > 0 || r.Name == placement.Ports {
		t := mesos.RANGES
		mr.Type = &t
		mr.Ranges = &mesos.Value_Ranges{}
		for _, rg := range r.Ranges {
			mr.Ranges.Range = append(mr.Ranges.Range, mesos.Value_Range{Begin: rg.Begin, End: rg.End})
		}
	} else {
		t := mesos.SCALAR
		mr.Type = &t
		mr.Scalar = &mesos.Value_Scalar{Value: r.Scalar}
	}
	alloc := r.Role
	if alloc == "" || alloc == "*" {
		alloc = role
	}
	mr.AllocationInfo = &mesos.Resource_AllocationInfo{Role: &alloc}
	if res := r.Reservation; res != nil {
		typ := mesos.Resource_ReservationInfo_DYNAMIC
		ri := mesos.Resource_ReservationInfo{Type: &typ, Role: strPtr(res.Role), Labels: mesosLabels(res.Labels)}
		if res.Principal != "" {
			ri.Principal = strPtr(res.Principal)
		}
		mr.Reservations = []mesos.Resource_ReservationInfo{ri}
	}
	if v := r.Volume; v != nil {
		mode := mesos.RW
		mr.Disk = &mesos.Resource_DiskInfo{
			Persistence: &mesos.Resource_DiskInfo_Persistence{ID: v.PersistenceID},
			Volume:      &mesos.Volume{Mode: &mode, ContainerPath: v.ContainerPath},
		}
		if r.Reservation != nil && r.Reservation.Principal != "" {
			mr.Disk.Persistence.Principal = strPtr(r.Reservation.Principal)
		}
	}
	return mr
}

func strPtr(s string) *string { return &s }

func resourcesToMesos(rs []plan.Resource, role string) []mesos.Resource {
	out := make([]mesos.Resource, 0, len(rs))
	for _, r := range rs {
		out = append(out, ToMesos(r, role))
	}
	return out
}

// URIResolver rewrites a URI the agent cannot fetch as it is (a local file path or file:// URL on
// the daemon's host) into one it can (the artifact server's content-hash URL).
type URIResolver func(uri string) (string, error)

// TaskInfo builds the TaskInfo (with its CUSTOM ExecutorInfo) for a launch.
func TaskInfo(t *plan.TaskLaunch, frameworkID, role string, resolve URIResolver) (mesos.TaskInfo, error) {
	if t == nil || t.Config == nil {
		return mesos.TaskInfo{}, fmt.Errorf("launch without a task or its config")
	}
	data, err := proto.Marshal(t.Config)
	if err != nil {
		return mesos.TaskInfo{}, fmt.Errorf("encoding NodeTaskConfig for %s: %w", t.TaskID, err)
	}
	cmd := &mesos.CommandInfo{Value: strPtr(t.Command), Shell: boolPtr(true)}
	for _, u := range t.URIs {
		v := u.Value
		if resolve != nil {
			if v, err = resolve(u.Value); err != nil {
				return mesos.TaskInfo{}, fmt.Errorf("task %s: URI %s: %w", t.TaskID, u.Value, err)
			}
		}
		cmd.URIs = append(cmd.URIs, mesos.CommandInfo_URI{Value: v, Executable: boolPtr(u.Executable), Extract: boolPtr(u.Extract), Cache: boolPtr(u.Cache)})
	}
	if len(t.Env) > 0 {
		keys := make([]string, 0, len(t.Env))
		for k := range t.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		cmd.Environment = &mesos.Environment{}
		for _, k := range keys {
			typ := mesos.Environment_Variable_VALUE
			cmd.Environment.Variables = append(cmd.Environment.Variables, mesos.Environment_Variable{Name: k, Type: &typ, Value: strPtr(t.Env[k])})
		}
	}
	exec := &mesos.ExecutorInfo{
		// Always CUSTOM: gogo serialises the zero value as UNKNOWN, which a real master refuses.
		Type:       mesos.ExecutorInfo_CUSTOM,
		ExecutorID: mesos.ExecutorID{Value: t.ExecutorID},
		Command:    cmd,
		Resources:  resourcesToMesos(t.ExecutorResources, role),
		Name:       strPtr("cassmesos-executor " + t.Config.GetNode()),
		Source:     strPtr("cassmesos"),
	}
	if frameworkID != "" {
		exec.FrameworkID = &mesos.FrameworkID{Value: frameworkID}
	}
	ti := mesos.TaskInfo{
		Name:      t.Name,
		TaskID:    mesos.TaskID{Value: t.TaskID},
		AgentID:   mesos.AgentID{Value: t.AgentID},
		Resources: resourcesToMesos(t.Resources, role),
		Executor:  exec,
		Data:      data,
		Labels:    mesosLabels(t.Labels),
		Discovery: discovery(t.Config),
	}
	if ti.Name == "" {
		ti.Name = t.Config.GetNode()
	}
	if t.KillGrace > 0 {
		ti.KillPolicy = &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: t.KillGrace.Nanoseconds()}}
	}
	return ti, nil
}

func boolPtr(b bool) *bool { return &b }

// discovery names the task <node>.<ring> with its named ports, visible to frameworks.
func discovery(c *cassmesosv1.NodeTaskConfig) *mesos.DiscoveryInfo {
	d := &mesos.DiscoveryInfo{Visibility: mesos.FRAMEWORK, Name: strPtr(c.GetNode() + "." + c.GetRing())}
	ports := &mesos.Ports{}
	add := func(name string, n uint32) {
		if n != 0 {
			ports.Ports = append(ports.Ports, mesos.Port{Number: n, Name: strPtr(name), Protocol: strPtr("tcp")})
		}
	}
	add("storage", c.GetPorts().GetStorage())
	add("native", c.GetPorts().GetNative())
	add("jmx", c.GetPorts().GetJmx())
	add("agent", c.GetAgentPort())
	if len(ports.Ports) > 0 {
		d.Ports = ports
	}
	return d
}

// Operations builds an ACCEPT's offer operations.
func Operations(a plan.Accept, frameworkID, role string, resolve URIResolver) ([]mesos.Offer_Operation, error) {
	var ops []mesos.Offer_Operation
	for _, op := range a.Operations {
		switch op.Kind {
		case plan.OpReserve:
			typ := mesos.Offer_Operation_RESERVE
			ops = append(ops, mesos.Offer_Operation{Type: typ, Reserve: &mesos.Offer_Operation_Reserve{Resources: resourcesToMesos(op.Resources, role)}})
		case plan.OpCreateVolume:
			typ := mesos.Offer_Operation_CREATE
			ops = append(ops, mesos.Offer_Operation{Type: typ, Create: &mesos.Offer_Operation_Create{Volumes: resourcesToMesos(op.Resources, role)}})
		case plan.OpLaunch:
			ti, err := TaskInfo(op.Task, frameworkID, role, resolve)
			if err != nil {
				return nil, err
			}
			typ := mesos.Offer_Operation_LAUNCH
			ops = append(ops, mesos.Offer_Operation{Type: typ, Launch: &mesos.Offer_Operation_Launch{TaskInfos: []mesos.TaskInfo{ti}}})
		case plan.OpDestroyVolume:
			typ := mesos.Offer_Operation_DESTROY
			ops = append(ops, mesos.Offer_Operation{Type: typ, Destroy: &mesos.Offer_Operation_Destroy{Volumes: resourcesToMesos(op.Resources, role)}})
		case plan.OpUnreserve:
			typ := mesos.Offer_Operation_UNRESERVE
			ops = append(ops, mesos.Offer_Operation{Type: typ, Unreserve: &mesos.Offer_Operation_Unreserve{Resources: resourcesToMesos(op.Resources, role)}})
		default:
			return nil, fmt.Errorf("unknown offer operation kind %d", op.Kind)
		}
	}
	return ops, nil
}

var taskStates = map[mesos.TaskState]plan.TaskState{
	mesos.TASK_STAGING:          plan.TaskStaging,
	mesos.TASK_STARTING:         plan.TaskStarting,
	mesos.TASK_RUNNING:          plan.TaskRunning,
	mesos.TASK_KILLING:          plan.TaskKilling,
	mesos.TASK_FINISHED:         plan.TaskFinished,
	mesos.TASK_FAILED:           plan.TaskFailed,
	mesos.TASK_KILLED:           plan.TaskKilled,
	mesos.TASK_ERROR:            plan.TaskError,
	mesos.TASK_LOST:             plan.TaskLost,
	mesos.TASK_DROPPED:          plan.TaskDropped,
	mesos.TASK_UNREACHABLE:      plan.TaskUnreachable,
	mesos.TASK_GONE:             plan.TaskGone,
	mesos.TASK_GONE_BY_OPERATOR: plan.TaskGoneByOperator,
	mesos.TASK_UNKNOWN:          plan.TaskUnknown,
}

// TaskStatus turns a status update into the planner's form (at: when it was received).
func TaskStatus(s *mesos.TaskStatus, at time.Time) plan.TaskStatus {
	ts := plan.TaskStatus{
		TaskID:  s.GetTaskID().Value,
		AgentID: s.GetAgentID().GetValue(),
		State:   taskStates[s.GetState()],
		Message: s.GetMessage(),
		Healthy: s.GetHealthy(),
		At:      at,
	}
	if s.Reason != nil {
		ts.Reason = s.GetReason().String()
	}
	labels := labelMap(s.GetLabels())
	ts.Mode = ParseMode(labels[LabelMode])
	ts.HostID = labels[LabelHostID]
	return ts
}

// ParseMode reads a mode label: the enum name ("CASSANDRA_MODE_NORMAL") or Cassandra's word
// ("NORMAL", "joining"). Anything else is CASSANDRA_MODE_UNSPECIFIED.
func ParseMode(s string) cassmesosv1.CassandraMode {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED
	}
	if v, ok := cassmesosv1.CassandraMode_value[s]; ok {
		return cassmesosv1.CassandraMode(v)
	}
	if v, ok := cassmesosv1.CassandraMode_value["CASSANDRA_MODE_"+s]; ok {
		return cassmesosv1.CassandraMode(v)
	}
	return cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED
}

// Ack is what acknowledging a status update needs; nil for updates without a UUID (generated by
// the master, which must not be acknowledged).
type Ack struct {
	AgentID, TaskID string
	UUID            []byte
}

// ErrMalformedEvent is wrapped by translate's errors: an event without the body its type needs,
// or whose body lacks what identifies it. Such an event is logged and ignored.
var ErrMalformedEvent = errors.New("malformed event")

// translate fills an Event's plain fields from a master event. An event missing its body (or the
// IDs the engine keys on) is an error wrapping ErrMalformedEvent and yields no Event; offers
// without an ID or agent ID are left out of an OFFERS event (the error names them) and the
// others are returned.
func translate(e *scheduler.Event, at time.Time) (Event, error) {
	var out Event
	if missingBody(e) {
		return Event{}, fmt.Errorf("%w: %s without its body", ErrMalformedEvent, e.GetType())
	}
	switch e.GetType() {
	case scheduler.Event_OFFERS:
		var ok []mesos.Offer
		var bad []string
		for _, o := range e.GetOffers().GetOffers() {
			if o.GetID().Value == "" || o.GetAgentID().Value == "" {
				bad = append(bad, fmt.Sprintf("offer %q of agent %q", o.GetID().Value, o.GetAgentID().Value))
				continue
			}
			ok = append(ok, o)
		}
		var err error
		if len(bad) > 0 {
			err = fmt.Errorf("%w: OFFERS left out %s (no offer ID or agent ID)", ErrMalformedEvent, strings.Join(bad, ", "))
		}
		if len(ok) == 0 {
			if err == nil {
				err = fmt.Errorf("%w: OFFERS without offers", ErrMalformedEvent)
			}
			return Event{}, err
		}
		out.Offers = Offers(ok)
		return out, err
	case scheduler.Event_RESCIND:
		out.Rescinded = e.GetRescind().GetOfferID().Value
		if out.Rescinded == "" {
			return Event{}, fmt.Errorf("%w: RESCIND without an offer ID", ErrMalformedEvent)
		}
	case scheduler.Event_UPDATE:
		s := e.GetUpdate().GetStatus()
		if s.GetTaskID().Value == "" {
			return Event{}, fmt.Errorf("%w: UPDATE without a task ID", ErrMalformedEvent)
		}
		ts := TaskStatus(&s, at)
		out.Update = &ts
		if len(s.GetUUID()) > 0 {
			out.Ack = &Ack{AgentID: s.GetAgentID().GetValue(), TaskID: s.GetTaskID().Value, UUID: s.GetUUID()}
		}
	case scheduler.Event_FAILURE:
		f := e.GetFailure()
		if f.GetAgentID().GetValue() == "" {
			return Event{}, fmt.Errorf("%w: FAILURE without an agent ID (executor %q)", ErrMalformedEvent, f.GetExecutorID().GetValue())
		}
		out.Failure = &Failure{AgentID: f.GetAgentID().GetValue(), ExecutorID: f.GetExecutorID().GetValue()}
		if f.Status != nil {
			st := f.GetStatus()
			out.Failure.Status = &st
		}
	case scheduler.Event_MESSAGE:
		m := e.GetMessage()
		out.Message = &Message{AgentID: m.GetAgentID().Value, ExecutorID: m.GetExecutorID().Value, Data: m.GetData()}
	default:
		out.Other = e.GetType().String()
	}
	return out, nil
}

// missingBody reports whether e lacks the sub-message its type carries.
func missingBody(e *scheduler.Event) bool {
	switch e.GetType() {
	case scheduler.Event_SUBSCRIBED:
		return e.GetSubscribed() == nil
	case scheduler.Event_OFFERS:
		return e.GetOffers() == nil
	case scheduler.Event_INVERSE_OFFERS:
		return e.GetInverseOffers() == nil
	case scheduler.Event_RESCIND:
		return e.GetRescind() == nil
	case scheduler.Event_RESCIND_INVERSE_OFFER:
		return e.GetRescindInverseOffer() == nil
	case scheduler.Event_UPDATE:
		return e.GetUpdate() == nil
	case scheduler.Event_UPDATE_OPERATION_STATUS:
		return e.GetUpdateOperationStatus() == nil
	case scheduler.Event_MESSAGE:
		return e.GetMessage() == nil
	case scheduler.Event_FAILURE:
		return e.GetFailure() == nil
	case scheduler.Event_ERROR:
		return e.GetError() == nil
	}
	return false
}

// Failure is an agent or executor failure.
type Failure struct {
	AgentID    string
	ExecutorID string // empty: the agent was removed
	Status     *int32 // the executor's wait status, if it exited
}

// Message is a framework message from an executor.
type Message struct {
	AgentID, ExecutorID string
	Data                []byte
}
