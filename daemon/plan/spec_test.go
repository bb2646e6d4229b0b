package plan_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestApplyDefaults(t *testing.T) {
	in := &cassmesosv1.RingSpec{Name: "demo", Nodes: 5}
	s := plan.ApplyDefaults(in)
	if in.GetSeeds() != 0 || in.GetResources() != nil {
		t.Fatal("ApplyDefaults changed its input")
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"seeds", s.GetSeeds(), int32(2)},
		{"cpus", s.GetResources().GetCpus(), 1.0},
		{"mem", s.GetResources().GetMemMb(), int64(4096)},
		{"disk", s.GetResources().GetDiskMb(), int64(10240)},
		{"cluster_name", s.GetClusterName(), "demo"},
		{"num_tokens", s.GetNumTokens(), int32(16)},
		{"snitch", s.GetSnitch(), "GossipingPropertyFileSnitch"},
		{"rack_attribute", s.GetRackAttribute(), "rack"},
		{"storage", s.GetPorts().GetStorage(), uint32(7000)},
		{"ssl", s.GetPorts().GetSslStorage(), uint32(7001)},
		{"jmx", s.GetPorts().GetJmx(), uint32(7199)},
		{"native", s.GetPorts().GetNative(), uint32(9042)},
		{"replace_after", s.GetReplaceAfter().AsDuration(), time.Hour},
		{"placement_timeout", s.GetPlacementTimeout().AsDuration(), 10 * time.Minute},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got := plan.ApplyDefaults(&cassmesosv1.RingSpec{Name: "one", Nodes: 1}).GetSeeds(); got != 1 {
		t.Errorf("seeds for 1 node = %d", got)
	}
	// With ports.jmx_from_offer the JMX port stays 0 (each node takes one from its offer); the
	// other ports get their defaults.
	fo := plan.ApplyDefaults(&cassmesosv1.RingSpec{Name: "x", Nodes: 1, Ports: &cassmesosv1.Ports{JmxFromOffer: true}})
	if p := fo.GetPorts(); p.GetJmx() != 0 || !p.GetJmxFromOffer() || p.GetStorage() != 7000 || p.GetSslStorage() != 7001 || p.GetNative() != 9042 {
		t.Errorf("ports with jmx_from_offer: %v", p)
	}
	// An explicit zero replace_after (automatic replacement off) is kept.
	off := plan.ApplyDefaults(&cassmesosv1.RingSpec{Name: "x", Nodes: 1, ReplaceAfter: durpb(0)})
	if off.GetReplaceAfter().AsDuration() != 0 {
		t.Error("replace_after 0 overwritten")
	}
}

func TestValidateSpec(t *testing.T) {
	ok := func() *cassmesosv1.RingSpec { return &cassmesosv1.RingSpec{Name: "demo", Nodes: 3} }
	cases := []struct {
		name  string
		mut   func(s *cassmesosv1.RingSpec)
		field string // "" = valid
	}{
		{"valid", func(s *cassmesosv1.RingSpec) {}, ""},
		{"bad name", func(s *cassmesosv1.RingSpec) { s.Name = "Demo" }, "spec.name"},
		{"long name", func(s *cassmesosv1.RingSpec) { s.Name = "a" + strings.Repeat("b", 40) }, "spec.name"},
		{"zero nodes", func(s *cassmesosv1.RingSpec) { s.Nodes = 0 }, "spec.nodes"},
		{"too many seeds", func(s *cassmesosv1.RingSpec) { s.Seeds = 4 }, "spec.seeds"},
		{"negative cpus", func(s *cassmesosv1.RingSpec) { s.Resources = &cassmesosv1.Resources{Cpus: -1} }, "spec.resources.cpus"},
		{"negative disk", func(s *cassmesosv1.RingSpec) { s.Resources = &cassmesosv1.Resources{DiskMb: -1} }, "spec.resources.disk_mb"},
		{"heap over mem", func(s *cassmesosv1.RingSpec) { s.HeapMb = 5000 }, "spec.heap_mb"},
		{"heap too small", func(s *cassmesosv1.RingSpec) { s.HeapMb = 1 }, "spec.heap_mb"},
		{"young over heap", func(s *cassmesosv1.RingSpec) { s.HeapMb = 1000; s.HeapNewMb = 1000 }, "spec.heap_new_mb"},
		{"jvm Xmx", func(s *cassmesosv1.RingSpec) { s.JvmOptions = []string{"-Xmx4g"} }, "spec.jvm_options[0]"},
		{"jvm not option", func(s *cassmesosv1.RingSpec) { s.JvmOptions = []string{"-ea", "foo"} }, "spec.jvm_options[1]"},
		{"unknown operator", func(s *cassmesosv1.RingSpec) {
			s.Constraints = []*cassmesosv1.PlacementConstraint{{Attribute: "rack"}}
		}, "spec.constraints[0].operator"},
		{"bad regexp", func(s *cassmesosv1.RingSpec) {
			s.Constraints = []*cassmesosv1.PlacementConstraint{{Attribute: "rack", Operator: cassmesosv1.ConstraintOperator_CONSTRAINT_OPERATOR_LIKE, Value: "("}}
		}, "spec.constraints[0].value"},
		{"spread with value", func(s *cassmesosv1.RingSpec) {
			s.Constraints = []*cassmesosv1.PlacementConstraint{{Attribute: "rack", Operator: cassmesosv1.ConstraintOperator_CONSTRAINT_OPERATOR_SPREAD, Value: "x"}}
		}, "spec.constraints[0].value"},
		{"owned yaml key", func(s *cassmesosv1.RingSpec) { s.CassandraYaml = map[string]string{"seed_provider": "x"} }, `spec.cassandra_yaml["seed_provider"]`},
		{"bad yaml key", func(s *cassmesosv1.RingSpec) { s.CassandraYaml = map[string]string{"a b": "x"} }, `spec.cassandra_yaml["a b"]`},
		{"duplicate ports", func(s *cassmesosv1.RingSpec) { s.Ports = &cassmesosv1.Ports{Storage: 9042} }, "spec.ports.native"},
		{"big port", func(s *cassmesosv1.RingSpec) { s.Ports = &cassmesosv1.Ports{Jmx: 70000} }, "spec.ports.jmx"},
		{"jmx from offer", func(s *cassmesosv1.RingSpec) { s.Ports = &cassmesosv1.Ports{JmxFromOffer: true} }, ""},
		// The JMX port is not static then: 7199 is free for another port.
		{"jmx from offer, 7199 for storage", func(s *cassmesosv1.RingSpec) {
			s.Ports = &cassmesosv1.Ports{Storage: 7199, JmxFromOffer: true}
		}, ""},
		{"jmx port and jmx from offer", func(s *cassmesosv1.RingSpec) {
			s.Ports = &cassmesosv1.Ports{Jmx: 7199, JmxFromOffer: true}
		}, "spec.ports.jmx"},
		{"bad version", func(s *cassmesosv1.RingSpec) { s.Distribution = &cassmesosv1.Distribution{Version: "latest"} }, "spec.distribution.version"},
		{"bad url", func(s *cassmesosv1.RingSpec) { s.Distribution = &cassmesosv1.Distribution{Url: "ftp://x"} }, "spec.distribution.url"},
		{"negative replace_after", func(s *cassmesosv1.RingSpec) { s.ReplaceAfter = durpb(-time.Second) }, "spec.replace_after"},
		{"tokens", func(s *cassmesosv1.RingSpec) { s.NumTokens = 5000 }, "spec.num_tokens"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ok()
			c.mut(s)
			err := plan.ValidateSpec(s)
			if c.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if err := plan.ValidateSpec(plan.ApplyDefaults(s)); err != nil {
					t.Fatalf("defaults invalid: %v", err)
				}
				return
			}
			if !errors.Is(err, plan.ErrInvalid) || !strings.Contains(err.Error(), c.field+":") {
				t.Fatalf("err = %v, want one naming %s", err, c.field)
			}
		})
	}
	if err := plan.ValidateSpec(nil); !errors.Is(err, plan.ErrInvalid) {
		t.Fatalf("nil spec: %v", err)
	}
}

func TestHeapFor(t *testing.T) {
	cases := []struct {
		mem, heap, young int64
		cpus             float64
		wantHeap, wantYg int64
	}{
		{mem: 4096, cpus: 1, wantHeap: 1024, wantYg: 100},  // max(min(2048,1024), min(1024,8192))
		{mem: 1024, cpus: 2, wantHeap: 512, wantYg: 128},   // max(min(512,1024), min(256,8192)); young min(200, 128)
		{mem: 65536, cpus: 8, wantHeap: 8192, wantYg: 800}, // capped at 8 GiB; young 100 MiB per core
		{mem: 16384, cpus: 4, wantHeap: 4096, wantYg: 400}, // quarter of RAM
		{mem: 8192, heap: 3000, cpus: 1, wantHeap: 3000, wantYg: 100},
		{mem: 8192, heap: 3000, young: 600, cpus: 1, wantHeap: 3000, wantYg: 600},
	}
	for _, c := range cases {
		h, y := plan.HeapFor(&cassmesosv1.RingSpec{Resources: &cassmesosv1.Resources{MemMb: c.mem, Cpus: c.cpus}, HeapMb: c.heap, HeapNewMb: c.young})
		if h != c.wantHeap || y != c.wantYg {
			t.Errorf("mem %d cpus %g heap %d young %d: got %d/%d, want %d/%d", c.mem, c.cpus, c.heap, c.young, h, y, c.wantHeap, c.wantYg)
		}
	}
}

func TestSubmitErrors(t *testing.T) {
	p := plan.New(plan.Config{}, &countIDs{})
	s := plan.NewState()
	s.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	acc, err := p.Submit(s, plan.CreateRing{Spec: spec("demo", 3, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	// Same spec again: idempotent, nothing to write.
	again, err := p.Submit(s, plan.CreateRing{Spec: spec("demo", 3, 1)})
	if err != nil || again.Created || len(again.Plan.Writes) != 0 || again.Operation.GetOperation().GetId() != acc.Operation.GetOperation().GetId() {
		t.Fatalf("idempotent create: %v %+v", err, again)
	}
	// ValidateOnly writes nothing.
	vo, err := p.Submit(s, plan.CreateRing{Spec: spec("other", 3, 1), ValidateOnly: true})
	if err != nil || len(vo.Plan.Writes) != 0 || vo.Ring.GetSpec().GetSeeds() != 1 {
		t.Fatalf("validate only: %v %+v", err, vo)
	}
	cases := []struct {
		req  plan.Request
		want error
		text string
	}{
		{plan.CreateRing{Spec: spec("demo", 4, 1)}, plan.ErrRingExists, "different spec"},
		{plan.CreateRing{Spec: spec("Bad", 4, 1)}, plan.ErrInvalid, "spec.name"},
		{plan.DeleteRing{Ring: "nope"}, plan.ErrRingNotFound, "nope"},
		{plan.ScaleRing{Ring: "demo", Nodes: 3}, plan.ErrPrecondition, "already has 3 nodes"},
		{plan.ScaleRing{Ring: "demo", Nodes: 0}, plan.ErrInvalid, "nodes"},
		{plan.RestartNode{Node: "demo-1"}, plan.ErrPrecondition, "never been UN"},
		{plan.ReplaceNode{Node: "demo-1"}, plan.ErrPrecondition, "is busy with operation"},
		{plan.DecommissionNode{Node: "demo-2"}, plan.ErrPrecondition, "decommission needs it UN"},
		{plan.RemoveNode{Ring: "other", Node: "demo-2"}, plan.ErrNodeNotFound, "demo-2 in ring other"},
		{plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{Nodes: 9}, Paths: []string{"nodes"}}, plan.ErrInvalid, `"nodes" cannot be changed`},
		{plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{Ports: &cassmesosv1.Ports{JmxFromOffer: true}}, Paths: []string{"ports.jmx_from_offer"}},
			plan.ErrInvalid, `"ports.jmx_from_offer" cannot be changed on a running ring`},
		{plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{Ports: &cassmesosv1.Ports{JmxFromOffer: true}}, Paths: []string{"ports"}},
			plan.ErrInvalid, `"ports" cannot be changed on a running ring`},
		{plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{HeapMb: 900}, Paths: []string{"heap_mb"}}, plan.ErrPrecondition, "has operation"},
		{plan.CancelOperation{ID: "x"}, plan.ErrOperationNotFound, "x"},
		{nil, plan.ErrInvalid, "no request"},
	}
	for _, c := range cases {
		_, err := p.Submit(s, c.req)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%T: err = %v, want %v containing %q", c.req, err, c.want, c.text)
		}
	}
}

func TestUpdateRingBumpsGeneration(t *testing.T) {
	w, _ := healthyRing(t, 6, 3, 2)
	acc, err := w.Submit(plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{HeapMb: 900, JvmOptions: []string{"-XX:+UseG1GC"}}, Paths: []string{"heap_mb", "jvm_options"}})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	cooperate(t, w, 80, func() bool { return opDone(w, id) })
	for name, n := range w.Store.Nodes {
		if n.GetGeneration() != 2 {
			t.Errorf("%s at generation %d", name, n.GetGeneration())
		}
	}
	// Settings that need no restart: no steps.
	acc, err = w.Submit(plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{ReplaceAfter: durpb(0)}, Paths: []string{"replace_after"}})
	if err != nil || len(acc.Operation.GetOperation().GetSteps()) != 0 {
		t.Fatalf("%v %v", err, acc.Operation)
	}
}

type countIDs struct{ n int }

func (c *countIDs) NewID() string {
	c.n++
	return "x" + string(rune('a'+c.n%26)) + "0" + string(rune('a'+c.n/26%26))
}

// Issue 12, defect 5: specs the daemon used to accept and the executor then refused (so the node
// crash-looped). Each is now refused by ValidateSpec with an error naming the field and the value.
func TestValidateSpecRefusesWhatTheExecutorRefuses(t *testing.T) {
	cases := []struct {
		kind string
		mut  func(s *cassmesosv1.RingSpec)
		want string // the error, after "invalid request: "
	}{
		{"jvm option with a space", func(s *cassmesosv1.RingSpec) { s.JvmOptions = []string{"-ea", "-XX:+UseG1GC", "-Dfoo=a b"} },
			`spec.jvm_options[2]: "-Dfoo=a b": contains a space`},
		{"jvm option with a tab", func(s *cassmesosv1.RingSpec) { s.JvmOptions = []string{"-Dfoo=a\tb"} },
			`spec.jvm_options[0]: "-Dfoo=a\tb": contains white space`},
		{"override of a key the executor owns (listen_interface_prefer_ipv6)", func(s *cassmesosv1.RingSpec) {
			s.CassandraYaml = map[string]string{"concurrent_reads": "64", "listen_interface_prefer_ipv6": "true"}
		}, `spec.cassandra_yaml["listen_interface_prefer_ipv6"]: key is owned by cassmesos: cassmesos sets listen_interface_prefer_ipv6 itself`},
		{"override of a key the executor owns (rpc_interface_prefer_ipv6)", func(s *cassmesosv1.RingSpec) {
			s.CassandraYaml = map[string]string{"rpc_interface_prefer_ipv6": "false"}
		}, `spec.cassandra_yaml["rpc_interface_prefer_ipv6"]: key is owned by cassmesos: cassmesos sets rpc_interface_prefer_ipv6 itself`},
		{"override value that is not YAML", func(s *cassmesosv1.RingSpec) { s.CassandraYaml = map[string]string{"authenticator": "[unclosed"} },
			`spec.cassandra_yaml["authenticator"]: "[unclosed": is not YAML`},
		{"override value with a YAML line break (U+2028)", func(s *cassmesosv1.RingSpec) {
			s.CassandraYaml = map[string]string{"authenticator": "a\u2028b: c"}
		}, `spec.cassandra_yaml["authenticator"]: "a\u2028b: c": has a line break`},
		{"override value with a control character", func(s *cassmesosv1.RingSpec) { s.CassandraYaml = map[string]string{"authenticator": "x\x01"} },
			`spec.cassandra_yaml["authenticator"]: "x\x01": has the control character`},
		{"blank cluster name", func(s *cassmesosv1.RingSpec) { s.ClusterName = "   " },
			`spec.cluster_name: "   ": empty or blank`},
		{"jvm option that is not UTF-8", func(s *cassmesosv1.RingSpec) { s.JvmOptions = []string{"-Dx=\xff"} },
			`spec.jvm_options[0]: "-Dx=\xff": not valid UTF-8`},
		{"override value that is not UTF-8", func(s *cassmesosv1.RingSpec) { s.CassandraYaml = map[string]string{"authenticator": "\xff"} },
			`spec.cassandra_yaml["authenticator"]: "\xff": not valid UTF-8`},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			s := &cassmesosv1.RingSpec{Name: "demo", Nodes: 3}
			c.mut(s)
			for _, in := range []*cassmesosv1.RingSpec{s, plan.ApplyDefaults(s)} {
				err := plan.ValidateSpec(in)
				if !errors.Is(err, plan.ErrInvalid) {
					t.Fatalf("ValidateSpec accepted it (err = %v)", err)
				}
				if !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err = %q, want it to contain %q", err, c.want)
				}
			}
		})
	}
}
