package specrules_test

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"gopkg.in/yaml.v3"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	"github.com/cassmesos/cassmesos/executor"
	"github.com/cassmesos/cassmesos/executor/render"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// specInput is one fuzz input, turned into a RingSpec by build.
type specInput struct {
	clusterName, jvm1, jvm2, yamlKey, yamlValue, snitch, datacenter string
	// Numbers are 16 bits wide so that most inputs are in range and the fuzzer spends its time on
	// specs the daemon accepts (TestRules and TestValidateSpec cover the out-of-range ones).
	numTokens                        uint16
	storage, sslStorage, jmx, native uint16
	jmxFromOffer                     bool
	heapMB, heapNewMB, memMB         uint16
}

func (in specInput) build() *cassmesosv1.RingSpec {
	s := &cassmesosv1.RingSpec{Name: "fz", Nodes: 1, ClusterName: in.clusterName, Snitch: in.snitch,
		Datacenter: in.datacenter, NumTokens: int32(in.numTokens), HeapMb: int64(in.heapMB), HeapNewMb: int64(in.heapNewMB),
		Ports: &cassmesosv1.Ports{Storage: uint32(in.storage), SslStorage: uint32(in.sslStorage), Jmx: uint32(in.jmx),
			Native: uint32(in.native), JmxFromOffer: in.jmxFromOffer},
		// Memory within what the simulated agent has: the property is about rendering, not placement.
		Resources: &cassmesosv1.Resources{Cpus: 1, MemMb: 256 + int64(in.memMB)%8192, DiskMb: 1024},
	}
	for _, o := range []string{in.jvm1, in.jvm2} {
		if o != "" {
			s.JvmOptions = append(s.JvmOptions, o)
		}
	}
	if in.yamlKey != "" {
		s.CassandraYaml = map[string]string{in.yamlKey: in.yamlValue, "concurrent_reads": "64"}
	}
	return s
}

func (in specInput) add(f *testing.F) {
	f.Add(in.clusterName, in.jvm1, in.jvm2, in.yamlKey, in.yamlValue, in.snitch, in.datacenter, in.numTokens,
		in.storage, in.sslStorage, in.jmx, in.native, in.jmxFromOffer, in.heapMB, in.heapNewMB, in.memMB)
}

// The kinds of spec the daemon used to accept and the executor refused (issue 12, defect 5), and
// a few valid ones.
var seeds = []specInput{
	{},
	{clusterName: "Prod Cluster", jvm1: "-XX:+UseG1GC", yamlKey: "authenticator", yamlValue: "PasswordAuthenticator",
		snitch: "GossipingPropertyFileSnitch", datacenter: "east-1", numTokens: 8, storage: 7100, sslStorage: 7101, jmx: 7299, native: 9142,
		heapMB: 1024, heapNewMB: 200, memMB: 4096},
	{jmxFromOffer: true, storage: 7199, yamlKey: "new_list", yamlValue: "[a, b]"},
	{jvm1: "-Dfoo=a b"},                                          // JVM option with a space
	{jvm1: "-ea", jvm2: "-Dfoo=a\tb"},                            // JVM option with a tab
	{yamlKey: "listen_interface_prefer_ipv6", yamlValue: "true"}, // key only the executor owned
	{yamlKey: "rpc_interface_prefer_ipv6", yamlValue: "false"},
	{yamlKey: "authenticator", yamlValue: "[unclosed"},   // not YAML
	{yamlKey: "authenticator", yamlValue: "a\u2028b: c"}, // YAML line break the daemon did not know
	{yamlKey: "authenticator", yamlValue: "x\x01"},       // control character
	{clusterName: "   "},                                 // blank cluster name
	{jvm1: "-Dx=\xff"},                                   // not UTF-8
	{yamlKey: "authenticator", yamlValue: "\xff"},
	{clusterName: "c\xff"},
	// Valid YAML the executor used to render but Cassandra's loader would not read the same way.
	{yamlKey: "concurrent_writes", yamlValue: "!!int abc"},
	{yamlKey: "authenticator", yamlValue: "&a x"},
	{yamlKey: "m", yamlValue: "{a: 1, a: 2}"},
}

// FuzzSpecAgreement: whenever the daemon accepts a RingSpec (plan.Submit, which applies defaults
// and runs ValidateSpec), the NodeTaskConfig the daemon launches its first node with encodes, the
// executor decodes and checks it (executor.DecodeTaskConfig), builds its environment
// (render.Env) and renders its configuration (render.Materialize), and the rendered
// cassandra.yaml reads back with the overrides in it.
func FuzzSpecAgreement(f *testing.F) {
	for _, s := range seeds {
		s.add(f)
	}
	home := filepath.Join(f.TempDir(), "apache-cassandra-4.1.5")
	src, err := os.ReadFile("../../executor/render/testdata/cassandra-4.1.yaml")
	if err != nil {
		f.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, "conf"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "conf", "cassandra.yaml"), src, 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "conf", "cassandra-env.sh"), []byte("JMX_PORT=\"7199\"\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, clusterName, jvm1, jvm2, yamlKey, yamlValue, snitch, datacenter string, numTokens uint16,
		storage, sslStorage, jmx, native uint16, jmxFromOffer bool, heapMB, heapNewMB, memMB uint16) {
		in := specInput{clusterName, jvm1, jvm2, yamlKey, yamlValue, snitch, datacenter, numTokens,
			storage, sslStorage, jmx, native, jmxFromOffer, heapMB, heapNewMB, memMB}
		spec := in.build()
		checkAgreement(t, home, spec)
		// Random strings rarely pass every rule at once, so most whole specs are refused. Check
		// also the spec made of the fields the daemon accepts one at a time: fuzzed strings then
		// reach the executor far more often.
		if kept := keepAccepted(spec); !proto.Equal(kept, spec) {
			checkAgreement(t, home, kept)
		}
	})
}

// keepAccepted returns spec with only the settings ValidateSpec accepts on their own.
func keepAccepted(spec *cassmesosv1.RingSpec) *cassmesosv1.RingSpec {
	base := &cassmesosv1.RingSpec{Name: spec.GetName(), Nodes: spec.GetNodes(), Resources: spec.GetResources()}
	try := func(mut func(*cassmesosv1.RingSpec)) {
		c := proto.Clone(base).(*cassmesosv1.RingSpec)
		mut(c)
		if plan.ValidateSpec(plan.ApplyDefaults(c)) == nil {
			mut(base)
		}
	}
	try(func(s *cassmesosv1.RingSpec) { s.ClusterName = spec.GetClusterName() })
	try(func(s *cassmesosv1.RingSpec) { s.Snitch = spec.GetSnitch() })
	try(func(s *cassmesosv1.RingSpec) { s.Datacenter = spec.GetDatacenter() })
	try(func(s *cassmesosv1.RingSpec) { s.NumTokens = spec.GetNumTokens() })
	try(func(s *cassmesosv1.RingSpec) { s.Ports = spec.GetPorts() })
	try(func(s *cassmesosv1.RingSpec) { s.HeapMb, s.HeapNewMb = spec.GetHeapMb(), spec.GetHeapNewMb() })
	for _, o := range spec.GetJvmOptions() {
		try(func(s *cassmesosv1.RingSpec) { s.JvmOptions = append(s.JvmOptions, o) })
	}
	for k, v := range spec.GetCassandraYaml() {
		try(func(s *cassmesosv1.RingSpec) {
			if s.CassandraYaml == nil {
				s.CassandraYaml = map[string]string{}
			}
			s.CassandraYaml[k] = v
		})
	}
	return base
}

func offeredPorts(spec *cassmesosv1.RingSpec) []placement.Range {
	or := func(v, def uint32) uint64 {
		if v == 0 || v > 65535 {
			return uint64(def)
		}
		return uint64(v)
	}
	p := spec.GetPorts()
	set := map[uint64]bool{or(p.GetStorage(), plan.DefaultStoragePort): true, or(p.GetSslStorage(), plan.DefaultSSLStoragePort): true,
		or(p.GetJmx(), plan.DefaultJMXPort): true, or(p.GetNative(), plan.DefaultNativePort): true}
	for q := uint64(31000); q <= 31010; q++ {
		set[q] = true
	}
	var out []placement.Range
	for q := range set {
		out = append(out, placement.Range{Begin: q, End: q})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Begin < out[j].Begin })
	return out
}

func checkAgreement(t *testing.T, home string, spec *cassmesosv1.RingSpec) {
	// With a secret key, as cassmesosd runs by default: the task carries the ring's JMX password.
	w := plantest.NewWorld(t, 1, plan.Config{SecretKey: []byte("0123456789abcdef0123456789abcdef")})
	// The static ports the spec names (so that any can be placed) and a few dynamic ones.
	w.Agents[0].Ports = offeredPorts(spec)
	if _, err := w.Submit(plan.CreateRing{Spec: spec}); err != nil {
		if !errors.Is(err, plan.ErrInvalid) {
			t.Fatalf("Submit: %v, want nil or ErrInvalid", err)
		}
		if !strings.Contains(err.Error(), "spec") {
			t.Fatalf("refusal does not name a field: %v", err)
		}
		return // the daemon refused it: nothing for the executor to run
	}
	var proc *plantest.Proc
	for i := 0; i < 10 && proc == nil; i++ {
		w.OfferRound()
		for _, p := range w.Procs {
			proc = p
		}
	}
	if proc == nil {
		t.Fatalf("the daemon accepted %v but never launched it:\n%s", spec, strings.Join(w.Log, "\n"))
	}
	cfg := proc.Config
	data, err := proto.Marshal(cfg)
	if err != nil {
		t.Fatalf("the daemon accepted %v but cannot encode its NodeTaskConfig: %v", spec, err)
	}
	got, err := executor.DecodeTaskConfig(data)
	if err != nil {
		t.Fatalf("the daemon accepted %v; the executor refuses the task: %v", spec, err)
	}
	dir := t.TempDir()
	paths := render.Paths{Home: home, Conf: filepath.Join(dir, "conf"), Data: filepath.Join(dir, "data"),
		Logs: filepath.Join(dir, "logs"), TaskMemMB: spec.GetResources().GetMemMb()}
	if _, err := render.Env(got, paths); err != nil {
		t.Fatalf("the daemon accepted %v; the executor cannot build the environment: %v", spec, err)
	}
	if err := render.Materialize(got, paths, got.GetAutoBootstrap()); err != nil {
		t.Fatalf("the daemon accepted %v; the executor cannot render the configuration: %v", spec, err)
	}
	b, err := os.ReadFile(filepath.Join(paths.Conf, "cassandra.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("rendered cassandra.yaml does not parse: %v", err)
	}
	for k := range spec.GetCassandraYaml() {
		if _, ok := m[k]; !ok {
			t.Errorf("rendered cassandra.yaml lacks the override %q", k)
		}
	}
	if m["cluster_name"] != cfg.GetClusterName() {
		t.Errorf("cluster_name %v, want %q", m["cluster_name"], cfg.GetClusterName())
	}
}
