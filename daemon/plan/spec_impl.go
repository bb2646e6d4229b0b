package plan

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cassmesos/cassmesos/internal/specrules"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Spec defaults (the single place they live).
const (
	DefaultCPUs             = 1.0
	DefaultMemMB            = 4096
	DefaultDiskMB           = 10240
	DefaultNumTokens        = specrules.DefaultNumTokens
	DefaultSnitch           = specrules.DefaultSnitch
	DefaultRackAttribute    = "rack"
	DefaultRack             = specrules.DefaultRack
	DefaultDatacenter       = specrules.DefaultDatacenter
	DefaultStoragePort      = specrules.DefaultStoragePort
	DefaultSSLStoragePort   = specrules.DefaultSSLStoragePort
	DefaultJMXPort          = specrules.DefaultJMXPort
	DefaultNativePort       = specrules.DefaultNativePort
	DefaultReplaceAfter     = time.Hour
	DefaultPlacementTimeout = 10 * time.Minute
	MaxNodes                = 10000
	// MinHeapMB is the smallest heap_mb accepted (the JVM's young generation and Cassandra's
	// caches need more than a few MiB; the executor never clamps a heap up).
	MinHeapMB = 64
)

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// OwnedYAMLKeys are the cassandra.yaml keys cassmesos renders itself; spec.cassandra_yaml may not
// set them. The list is specrules' (the executor refuses the same keys).
var OwnedYAMLKeys = specrules.OwnedYAMLKeys()

func applyDefaults(in *cassmesosv1.RingSpec) *cassmesosv1.RingSpec {
	if in == nil {
		in = &cassmesosv1.RingSpec{}
	}
	s := proto.Clone(in).(*cassmesosv1.RingSpec)
	applyDCDefaults(s)
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
	if e := s.Encryption; e != nil {
		if e.Internode == cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_UNSPECIFIED {
			e.Internode = cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_NONE
		}
		if e.Client == cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_UNSPECIFIED {
			e.Client = cassmesosv1.ClientEncryption_CLIENT_ENCRYPTION_NONE
		}
	}
	return s
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: spec.%s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

// broken wraps a specrules error (which names the field and the value) as ErrInvalid.
func broken(err error) error {
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

// validateShared checks the parts of a spec the executor consumes, through the rules the executor
// checks its NodeTaskConfig with (internal/specrules), so that what the daemon accepts the
// executor runs. Zero values stand for defaults, which pass.
func validateShared(s *cassmesosv1.RingSpec) error {
	if err := specrules.JVMOptions("spec.", s.GetJvmOptions()); err != nil {
		return err
	}
	if cn := s.GetClusterName(); cn != "" {
		if err := specrules.ClusterName("spec.cluster_name", cn); err != nil {
			return err
		}
	}
	if n := s.GetNumTokens(); n != 0 {
		if err := specrules.NumTokens("spec.num_tokens", n); err != nil {
			return err
		}
	}
	if sn := s.GetSnitch(); sn != "" {
		if err := specrules.Snitch("spec.snitch", sn); err != nil {
			return err
		}
	}
	if dc := s.GetDatacenter(); dc != "" {
		if err := specrules.Datacenter("spec.datacenter", dc); err != nil {
			return err
		}
	}
	p := s.GetPorts()
	if err := specrules.Ports("spec.ports.", specrules.PortSet{
		Storage: orPort(p.GetStorage(), DefaultStoragePort), SSLStorage: orPort(p.GetSslStorage(), DefaultSSLStoragePort),
		JMX: orPort(p.GetJmx(), DefaultJMXPort), Native: orPort(p.GetNative(), DefaultNativePort), SkipJMX: p.GetJmxFromOffer(),
	}); err != nil {
		return err
	}
	if err := specrules.Encryption("spec.", s.GetEncryption()); err != nil {
		return err
	}
	return specrules.CassandraYAML("spec.", s.GetCassandraYaml())
}

func validateSpec(s *cassmesosv1.RingSpec) error {
	if s == nil {
		return fmt.Errorf("%w: spec is missing", ErrInvalid)
	}
	if !nameRE.MatchString(s.GetName()) {
		return invalid("name", "%q must match [a-z][a-z0-9-]{0,39}", s.GetName())
	}
	s, err := validateDataCenters(s)
	if err != nil {
		return err
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
	if s.GetHeapMb() > 0 && s.GetHeapMb() < MinHeapMB {
		return invalid("heap_mb", "%d MiB is too small a heap for Cassandra (at least %d, or 0 for the default)", s.GetHeapMb(), MinHeapMB)
	}
	if s.GetHeapMb() > mem {
		return invalid("heap_mb", "%d MiB exceeds the node's memory (%d MiB)", s.GetHeapMb(), mem)
	}
	if s.GetHeapMb() > 0 && s.GetHeapNewMb() >= s.GetHeapMb() {
		return invalid("heap_new_mb", "%d MiB must be less than heap_mb (%d MiB)", s.GetHeapNewMb(), s.GetHeapMb())
	}
	if s.GetNumTokens() < 0 {
		return invalid("num_tokens", "%d: must be between 1 and %d", s.GetNumTokens(), specrules.MaxNumTokens)
	}
	if p := s.GetPorts(); p.GetJmxFromOffer() && p.GetJmx() != 0 {
		return invalid("ports.jmx", "%d: each node takes its JMX port from its offer (ports.jmx_from_offer); leave jmx unset", p.GetJmx())
	}
	if err := validateShared(s); err != nil {
		return broken(err)
	}
	if err := validateRepairEngine(s); err != nil {
		return err
	}
	if ra := s.GetRackAttribute(); ra != "" {
		if err := specrules.Text("spec.rack_attribute", ra); err != nil {
			return broken(err)
		}
		if strings.ContainsAny(ra, " \t\n:;") {
			return invalid("rack_attribute", "%q is not an attribute name", ra)
		}
	}
	for i, c := range s.GetConstraints() {
		f := fmt.Sprintf("constraints[%d]", i)
		if c.GetAttribute() == "" {
			return invalid(f+".attribute", "is empty")
		}
		for _, e := range []struct{ f, v string }{{f + ".attribute", c.GetAttribute()}, {f + ".value", c.GetValue()}} {
			if err := specrules.Text("spec."+e.f, e.v); err != nil {
				return broken(err)
			}
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
	if d := s.GetDistribution(); d != nil {
		if v := d.GetVersion(); v != "" && !versionRE.MatchString(v) {
			return invalid("distribution.version", "%q is not a Cassandra version like 4.1.5", v)
		}
		for _, e := range []struct{ f, v string }{{"distribution.url", d.GetUrl()}, {"distribution.java_url", d.GetJavaUrl()}} {
			if e.v == "" {
				continue
			}
			if err := specrules.Text("spec."+e.f, e.v); err != nil {
				return broken(err)
			}
			u, err := url.Parse(e.v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
				return invalid(e.f, "%q is not an http, https or file URL", e.v)
			}
		}
	}
	return nil
}

var versionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+){1,3}(-[A-Za-z0-9.]+)?$`)

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
