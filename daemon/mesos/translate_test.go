package mesos

import (
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestTaskInfo(t *testing.T) {
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "demo", Node: "demo-1", Ports: &cassmesosv1.Ports{Storage: 7000, Native: 9042, Jmx: 7199}, AgentPort: 31005}
	launch := &plan.TaskLaunch{
		TaskID: "demo-1.1.abc", AgentID: "a1", ExecutorID: "demo-1.1.abc", Command: "./cassmesos-executor",
		URIs: []plan.URI{{Value: "/tmp/cassmesos-executor", Executable: true}, {Value: "https://x/c.tgz", Extract: true}},
		Env:  map[string]string{"B": "2", "A": "1"}, Config: cfg, Labels: map[string]string{"ring": "demo"},
		Resources:         []plan.Resource{{Name: placement.CPUs, Scalar: 1, Reservation: &placement.Reservation{Role: "cassandra", Principal: "p"}}},
		ExecutorResources: []plan.Resource{{Name: placement.Mem, Scalar: 64}},
		KillGrace:         2 * time.Minute,
	}
	resolved := map[string]string{}
	ti, err := TaskInfo(launch, "fw-1", "cassandra", func(u string) (string, error) {
		if strings.HasPrefix(u, "/") {
			resolved[u] = "http://d/artifacts/h/" + u[strings.LastIndex(u, "/")+1:]
			return resolved[u], nil
		}
		return u, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ti.Executor.Type != mesos.ExecutorInfo_CUSTOM || ti.Executor.FrameworkID.GetValue() != "fw-1" {
		t.Errorf("executor %+v", ti.Executor)
	}
	if u := ti.Executor.Command.URIs; u[0].Value != "http://d/artifacts/h/cassmesos-executor" || !u[0].GetExecutable() || u[0].GetExtract() || !u[1].GetExtract() {
		t.Errorf("URIs %+v", u)
	}
	if v := ti.Executor.Command.Environment.Variables; v[0].Name != "A" || v[1].Name != "B" {
		t.Errorf("env not sorted: %+v", v)
	}
	if ti.Discovery.GetName() != "demo-1.demo" || ti.Discovery.Visibility != mesos.FRAMEWORK {
		t.Errorf("discovery %+v", ti.Discovery)
	}
	var names []string
	for _, p := range ti.Discovery.GetPorts().GetPorts() {
		names = append(names, p.GetName())
	}
	if strings.Join(names, ",") != "storage,native,jmx,agent" {
		t.Errorf("named ports %v", names)
	}
	var back cassmesosv1.NodeTaskConfig
	if err := proto.Unmarshal(ti.Data, &back); err != nil || !proto.Equal(&back, cfg) {
		t.Errorf("data %v %v", &back, err)
	}
	r := ti.Resources[0]
	if len(r.Reservations) != 1 || r.Reservations[0].GetRole() != "cassandra" || r.Reservations[0].GetType() != mesos.Resource_ReservationInfo_DYNAMIC || r.GetAllocationInfo().GetRole() != "cassandra" {
		t.Errorf("refined reservation %+v", r)
	}
	if ti.KillPolicy.GetGracePeriod().GetNanoseconds() != int64(2*time.Minute) {
		t.Errorf("kill policy %+v", ti.KillPolicy)
	}
	if _, err := TaskInfo(&plan.TaskLaunch{TaskID: "x"}, "", "r", nil); err == nil {
		t.Error("launch without config accepted")
	}
}

func TestResourceRoundTrip(t *testing.T) {
	role, principal := "cassandra", "p"
	dyn := mesos.Resource_ReservationInfo_DYNAMIC
	scalar := mesos.SCALAR
	mode := mesos.RW
	offered := mesos.Resource{
		Name: "disk", Type: &scalar, Scalar: &mesos.Value_Scalar{Value: 1024},
		AllocationInfo: &mesos.Resource_AllocationInfo{Role: &role},
		Reservations:   []mesos.Resource_ReservationInfo{{Type: &dyn, Role: &role, Principal: &principal}},
		Disk:           &mesos.Resource_DiskInfo{Persistence: &mesos.Resource_DiskInfo_Persistence{ID: "vol1"}, Volume: &mesos.Volume{Mode: &mode, ContainerPath: "data"}},
	}
	pr := Resource(offered)
	if pr.Reservation == nil || pr.Reservation.Role != role || pr.Volume == nil || pr.Volume.PersistenceID != "vol1" || pr.Role != role || pr.Scalar != 1024 {
		t.Fatalf("plain %+v", pr)
	}
	if back := ToMesos(pr, role); !back.Equal(offered) {
		t.Errorf("offered resource not echoed exactly: %v", back)
	}
	// The UNRESERVE that follows a DESTROY of the same volume (the planner clears Volume): the
	// offered disk without its persistence and volume, reservation kept.
	unreserve := pr
	unreserve.Volume = nil
	u := ToMesos(unreserve, role)
	if u.Disk != nil || len(u.Reservations) != 1 || u.GetScalar().GetValue() != 1024 || offered.Disk == nil {
		t.Errorf("unreserve of a destroyed volume's disk: %v (offered %v)", u, offered)
	}
	// Pre-refinement format is read too.
	old := mesos.Resource{Name: "cpus", Type: &scalar, Scalar: &mesos.Value_Scalar{Value: 2}, Role: &role, Reservation: &mesos.Resource_ReservationInfo{Principal: &principal}}
	if p := Resource(old); p.Reservation == nil || p.Reservation.Role != role || p.Reservation.Principal != principal {
		t.Errorf("pre-refinement %+v", p)
	}
	// Built volumes carry persistence, RW mode and the reservation.
	built := ToMesos(plan.Resource{Name: "disk", Scalar: 10, Reservation: &placement.Reservation{Role: role, Principal: principal},
		Volume: &placement.Volume{PersistenceID: "v2", ContainerPath: "data"}}, role)
	if built.GetDisk().GetPersistence().GetID() != "v2" || built.GetDisk().GetVolume().GetMode() != mesos.RW || built.GetDisk().GetPersistence().GetPrincipal() != principal {
		t.Errorf("built volume %v", built)
	}
	ports := ToMesos(plan.Resource{Name: "ports", Ranges: []placement.Range{{Begin: 7000, End: 7000}}}, role)
	if ports.GetType() != mesos.RANGES || ports.GetRanges().GetRange()[0].Begin != 7000 {
		t.Errorf("ports %v", ports)
	}
}

func TestOfferAddress(t *testing.T) {
	text := mesos.TEXT
	ip := "127.0.0.3"
	o := &mesos.Offer{ID: mesos.OfferID{Value: "o1"}, AgentID: mesos.AgentID{Value: "a1"}, Hostname: "agent3",
		URL: &mesos.URL{Address: mesos.Address{IP: &ip}}}
	if got := Offer(o).Address; got != ip {
		t.Errorf("address from URL: %q", got)
	}
	o.Attributes = []mesos.Attribute{{Name: "address", Type: text, Text: &mesos.Value_Text{Value: "10.0.0.3"}}, {Name: "rack", Type: text, Text: &mesos.Value_Text{Value: "r1"}}}
	po := Offer(o)
	if po.Address != "10.0.0.3" || po.Attributes["rack"] != "r1" {
		t.Errorf("offer %+v", po)
	}
}

func TestTaskStatus(t *testing.T) {
	mode, host := "NORMAL", "h-1"
	reason := mesos.REASON_RECONCILIATION
	st := &mesos.TaskStatus{TaskID: mesos.TaskID{Value: "t1"}, State: mesos.TASK_RUNNING.Enum(), Healthy: proto.Bool(true), Reason: &reason,
		Labels: &mesos.Labels{Labels: []mesos.Label{{Key: LabelMode, Value: &mode}, {Key: LabelHostID, Value: &host}}}}
	ps := TaskStatus(st, time.Unix(1, 0))
	if ps.State != plan.TaskRunning || !ps.Healthy || ps.Mode != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL || ps.HostID != host || ps.Reason != "REASON_RECONCILIATION" {
		t.Errorf("status %+v", ps)
	}
	for in, want := range map[string]cassmesosv1.CassandraMode{
		"joining": cassmesosv1.CassandraMode_CASSANDRA_MODE_JOINING, "CASSANDRA_MODE_LEAVING": cassmesosv1.CassandraMode_CASSANDRA_MODE_LEAVING, "??": 0, "": 0,
	} {
		if got := ParseMode(in); got != want {
			t.Errorf("ParseMode(%q) = %v", in, got)
		}
	}
}

func TestOfferFaultDomain(t *testing.T) {
	text := mesos.TEXT
	dom := &mesos.DomainInfo{FaultDomain: &mesos.DomainInfo_FaultDomain{
		Region: mesos.DomainInfo_FaultDomain_RegionInfo{Name: "us-east"},
		Zone:   mesos.DomainInfo_FaultDomain_ZoneInfo{Name: "us-east-1a"},
	}}
	o := &mesos.Offer{ID: mesos.OfferID{Value: "o1"}, AgentID: mesos.AgentID{Value: "a1"}, Hostname: "h", Domain: dom}
	po := Offer(o)
	if po.Attributes["rack"] != "us-east-1a" || po.Attributes["dc"] != "us-east" {
		t.Errorf("domain not used for rack and dc: %v", po.Attributes)
	}
	// The agent's own attributes win.
	o.Attributes = []mesos.Attribute{{Name: "rack", Type: text, Text: &mesos.Value_Text{Value: "r7"}}, {Name: "dc", Type: text, Text: &mesos.Value_Text{Value: "dc9"}}}
	po = Offer(o)
	if po.Attributes["rack"] != "r7" || po.Attributes["dc"] != "dc9" {
		t.Errorf("attributes overridden by the domain: %v", po.Attributes)
	}
	// No domain: nothing made up.
	o.Attributes, o.Domain = nil, nil
	if po := Offer(o); len(po.Attributes) != 0 {
		t.Errorf("attributes without a domain: %v", po.Attributes)
	}
}
