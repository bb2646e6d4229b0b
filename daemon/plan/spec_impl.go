package plan

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Spec defaults (the single place they live).
const (
	DefaultCPUs             = 1.0
	DefaultMemMB            = 4096
	DefaultDiskMB           = 10240
	DefaultNumTokens        = 16
	DefaultSnitch           = "GossipingPropertyFileSnitch"
	DefaultRackAttribute    = "rack"
	DefaultRack             = "rack1"
	DefaultDatacenter       = "dc1"
	DefaultStoragePort      = 7000
	DefaultSSLStoragePort   = 7001
	DefaultJMXPort          = 7199
	DefaultNativePort       = 9042
	DefaultReplaceAfter     = time.Hour
	DefaultPlacementTimeout = 10 * time.Minute
	MaxNodes                = 10000
)

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// OwnedYAMLKeys are the cassandra.yaml keys cassmesos renders itself; spec.cassandra_yaml may not set them.
var OwnedYAMLKeys = []string{
	"cluster_name", "num_tokens", "initial_token", "seed_provider",
	"listen_address", "listen_interface", "broadcast_address",
	"rpc_address", "rpc_interface", "broadcast_rpc_address",
	"storage_port", "ssl_storage_port", "native_transport_port", "native_transport_port_ssl",
	"endpoint_snitch", "auto_bootstrap",
	"data_file_directories", "commitlog_directory", "saved_caches_directory", "hints_directory",
	"cdc_raw_directory", "local_system_data_file_directory",
}

var yamlKeyRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func applyDefaults(in *cassmesosv1.RingSpec) *cassmesosv1.RingSpec {
	if in == nil {
		in = &cassmesosv1.RingSpec{}
	}
	s := proto.Clone(in).(*cassmesosv1.RingSpec)
	if s.Seeds == 0 {
		s.Seeds = min(s.Nodes, 2)
	}
	if s.Resources == nil {
		s.Resources = &cassmesosv1.Resources{}
	}
	if s.Resources.Cpus == 0 {
		s.Resources.Cpus = DefaultCPUs
	}
	if s.Resources.MemMb == 0 {
		s.Resources.MemMb = DefaultMemMB
	}
	if s.Resources.DiskMb == 0 {
		s.Resources.DiskMb = DefaultDiskMB
	}
	if s.ClusterName == "" {
		s.ClusterName = s.Name
	}
	if s.NumTokens == 0 {
		s.NumTokens = DefaultNumTokens
	}
	if s.Snitch == "" {
		s.Snitch = DefaultSnitch
	}
	if s.RackAttribute == "" {
		s.RackAttribute = DefaultRackAttribute
	}
	if s.Ports == nil {
		s.Ports = &cassmesosv1.Ports{}
	}
	if s.Ports.Storage == 0 {
		s.Ports.Storage = DefaultStoragePort
	}
	if s.Ports.SslStorage == 0 {
		s.Ports.SslStorage = DefaultSSLStoragePort
	}
	if s.Ports.Jmx == 0 && !s.Ports.JmxFromOffer {
		s.Ports.Jmx = DefaultJMXPort
	}
	if s.Ports.Native == 0 {
		s.Ports.Native = DefaultNativePort
	}
	if s.ReplaceAfter == nil {
		s.ReplaceAfter = durationpb.New(DefaultReplaceAfter)
	}
	if s.PlacementTimeout == nil || s.PlacementTimeout.AsDuration() == 0 {
		s.PlacementTimeout = durationpb.New(DefaultPlacementTimeout)
	}
	if s.Distribution == nil {
		s.Distribution = &cassmesosv1.Distribution{}
	}
	return s
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: spec.%s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

func validateSpec(s *cassmesosv1.RingSpec) error {
	if s == nil {
		return fmt.Errorf("%w: spec is missing", ErrInvalid)
	}
	if !nameRE.MatchString(s.GetName()) {
		return invalid("name", "%q must match [a-z][a-z0-9-]{0,39}", s.GetName())
	}
	if s.GetNodes() < 1 {
		return invalid("nodes", "%d: a ring needs at least 1 node", s.GetNodes())
	}
	if s.GetNodes() > MaxNodes {
		return invalid("nodes", "%d: at most %d nodes", s.GetNodes(), MaxNodes)
	}
	if s.GetSeeds() < 0 {
		return invalid("seeds", "%d is negative", s.GetSeeds())
	}
	if s.GetSeeds() > s.GetNodes() {
		return invalid("seeds", "%d seeds for %d nodes: seeds may not exceed nodes", s.GetSeeds(), s.GetNodes())
	}
	if r := s.GetResources(); r != nil {
		if r.GetCpus() < 0 {
			return invalid("resources.cpus", "%g is negative", r.GetCpus())
		}
		if r.GetMemMb() < 0 {
			return invalid("resources.mem_mb", "%d is negative", r.GetMemMb())
		}
		if r.GetDiskMb() < 0 {
			return invalid("resources.disk_mb", "%d is negative", r.GetDiskMb())
		}
		if r.GetMemMb() > 0 && r.GetMemMb() < 256 {
			return invalid("resources.mem_mb", "%d MiB is too little for Cassandra (at least 256)", r.GetMemMb())
		}
	}
	if s.GetHeapMb() < 0 {
		return invalid("heap_mb", "%d is negative", s.GetHeapMb())
	}
	if s.GetHeapNewMb() < 0 {
		return invalid("heap_new_mb", "%d is negative", s.GetHeapNewMb())
	}
	mem := s.GetResources().GetMemMb()
	if mem == 0 {
		mem = DefaultMemMB
	}
	if s.GetHeapMb() > mem {
		return invalid("heap_mb", "%d MiB exceeds the node's memory (%d MiB)", s.GetHeapMb(), mem)
	}
	if s.GetHeapMb() > 0 && s.GetHeapNewMb() >= s.GetHeapMb() {
		return invalid("heap_new_mb", "%d MiB must be less than heap_mb (%d MiB)", s.GetHeapNewMb(), s.GetHeapMb())
	}
	for i, o := range s.GetJvmOptions() {
		if !strings.HasPrefix(o, "-") || strings.ContainsAny(o, "\n\r") {
			return invalid(fmt.Sprintf("jvm_options[%d]", i), "%q is not a JVM option (must start with -)", o)
		}
		for _, p := range []string{"-Xmx", "-Xms", "-Xmn"} {
			if strings.HasPrefix(o, p) {
				return invalid(fmt.Sprintf("jvm_options[%d]", i), "%q: set the heap with heap_mb/heap_new_mb", o)
			}
		}
		if strings.HasPrefix(o, "-Dcassandra.replace_address") {
			return invalid(fmt.Sprintf("jvm_options[%d]", i), "%q: replacement is cassmesos' job (cassmesos node replace)", o)
		}
	}
	if cn := s.GetClusterName(); strings.ContainsAny(cn, "\n\r'\"\\") || len(cn) > 128 {
		return invalid("cluster_name", "%q: no quotes, backslashes or line breaks, at most 128 characters", cn)
	}
	if s.GetNumTokens() < 0 || s.GetNumTokens() > 1536 {
		return invalid("num_tokens", "%d: must be between 1 and 1536", s.GetNumTokens())
	}
	if sn := s.GetSnitch(); sn != "" && !regexp.MustCompile(`^[A-Za-z0-9_.$]+$`).MatchString(sn) {
		return invalid("snitch", "%q is not a class name", sn)
	}
	if dc := s.GetDatacenter(); dc != "" && !regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`).MatchString(dc) {
		return invalid("datacenter", "%q: letters, digits, '_', '.', '-' only", dc)
	}
	if ra := s.GetRackAttribute(); ra != "" && strings.ContainsAny(ra, " \t\n:;") {
		return invalid("rack_attribute", "%q is not an attribute name", ra)
	}
	if p := s.GetPorts(); p != nil {
		if p.GetJmxFromOffer() && p.GetJmx() != 0 {
			return invalid("ports.jmx", "%d: each node takes its JMX port from its offer (ports.jmx_from_offer); leave jmx unset", p.GetJmx())
		}
		seen := map[uint32]string{}
		for _, e := range []struct {
			name string
			v    uint32
		}{{"storage", orPort(p.GetStorage(), DefaultStoragePort)}, {"ssl_storage", orPort(p.GetSslStorage(), DefaultSSLStoragePort)},
			{"jmx", orPort(p.GetJmx(), DefaultJMXPort)}, {"native", orPort(p.GetNative(), DefaultNativePort)}} {
			if e.name == "jmx" && p.GetJmxFromOffer() {
				continue
			}
			if e.v > 65535 {
				return invalid("ports."+e.name, "%d is not a port", e.v)
			}
			if other, ok := seen[e.v]; ok {
				return invalid("ports."+e.name, "%d is also ports.%s", e.v, other)
			}
			seen[e.v] = e.name
		}
	}
	for i, c := range s.GetConstraints() {
		f := fmt.Sprintf("constraints[%d]", i)
		if c.GetAttribute() == "" {
			return invalid(f+".attribute", "is empty")
		}
		switch c.GetOperator() {
		case cassmesosv1.ConstraintOperator_CONSTRAINT_OPERATOR_SPREAD:
			if c.GetValue() != "" {
				return invalid(f+".value", "SPREAD takes no value (got %q)", c.GetValue())
			}
		case cassmesosv1.ConstraintOperator_CONSTRAINT_OPERATOR_LIKE, cassmesosv1.ConstraintOperator_CONSTRAINT_OPERATOR_UNLIKE:
			if _, err := regexp.Compile("^(?:" + c.GetValue() + ")$"); err != nil {
				return invalid(f+".value", "%q is not a regular expression: %v", c.GetValue(), err)
			}
		default:
			return invalid(f+".operator", "unknown operator %v (SPREAD, LIKE or UNLIKE)", c.GetOperator())
		}
	}
	if d := s.GetReplaceAfter(); d != nil && (d.CheckValid() != nil || d.AsDuration() < 0) {
		return invalid("replace_after", "%v is not a non-negative duration", d)
	}
	if d := s.GetPlacementTimeout(); d != nil && (d.CheckValid() != nil || d.AsDuration() < 0) {
		return invalid("placement_timeout", "%v is not a non-negative duration", d)
	}
	for k, v := range s.GetCassandraYaml() {
		f := fmt.Sprintf("cassandra_yaml[%q]", k)
		if !yamlKeyRE.MatchString(k) {
			return invalid(f, "not a cassandra.yaml key")
		}
		for _, o := range OwnedYAMLKeys {
			if k == o {
				return invalid(f, "cassmesos sets %s itself", k)
			}
		}
		if strings.ContainsAny(v, "\n\r") {
			return invalid(f, "value has a line break (top-level scalars only)")
		}
	}
	if d := s.GetDistribution(); d != nil {
		if v := d.GetVersion(); v != "" && !regexp.MustCompile(`^[0-9]+(\.[0-9]+){1,3}(-[A-Za-z0-9.]+)?$`).MatchString(v) {
			return invalid("distribution.version", "%q is not a Cassandra version like 4.1.5", v)
		}
		for _, e := range []struct{ f, v string }{{"distribution.url", d.GetUrl()}, {"distribution.java_url", d.GetJavaUrl()}} {
			if e.v == "" {
				continue
			}
			u, err := url.Parse(e.v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
				return invalid(e.f, "%q is not an http, https or file URL", e.v)
			}
		}
	}
	return nil
}

// HeapFor returns MAX_HEAP_SIZE and HEAP_NEWSIZE in MiB for a spec, following cassandra-env.sh
// when heap_mb is 0: max(min(mem/2, 1024), min(mem/4, 8192)); young generation
// min(100 MiB × cores, heap/4) when heap_new_mb is 0.
func HeapFor(spec *cassmesosv1.RingSpec) (heap, young int64) {
	mem := spec.GetResources().GetMemMb()
	if mem <= 0 {
		mem = DefaultMemMB
	}
	heap = spec.GetHeapMb()
	if heap <= 0 {
		heap = max(min(mem/2, 1024), min(mem/4, 8192))
	}
	young = spec.GetHeapNewMb()
	if young <= 0 {
		cores := int64(spec.GetResources().GetCpus() + 0.999)
		if cores < 1 {
			cores = 1
		}
		young = min(100*cores, heap/4)
	}
	return heap, young
}

func orPort(v, def uint32) uint32 {
	if v == 0 {
		return def
	}
	return v
}
