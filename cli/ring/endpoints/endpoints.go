package endpoints

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// DefaultNativePort is Cassandra's native_transport_port when the ring's spec leaves it 0.
const DefaultNativePort = 9042

// Options are ring endpoints's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Rings   func() (pb.RingServiceClient, error)
	System  func() (pb.SystemServiceClient, error)
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
	Name    string
	// Domain is Mesos-DNS's domain (its "domain" setting, default mesos).
	Domain string
}

// NewCmdEndpoints returns `ring endpoints`.
func NewCmdEndpoints(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "endpoints <name>",
		Short: "Print the contact points of a ring for drivers and cqlsh",
		Long: `Print a ring's contact points: host:native_port of every node that is up and normal (UN),
with its datacenter, whether it is a seed, and its Mesos-DNS name.

The daemon names every task in its DiscoveryInfo <node>.<ring> with the named ports storage,
native, jmx and agent, so Mesos-DNS serves <node>.<ring>.<framework>.<domain> (A record); the
framework name is the daemon's --framework-name, the domain Mesos-DNS's (--dns-domain, default
mesos). See docs/operations.md#mesos-dns.

The table lists only UN nodes; -o json and -o yaml list every node with its state and an "up"
field, and "contactPoints" (the UN nodes, comma-separated) for tools.`,
		Example: `  cassmesos ring endpoints demo
  cqlsh $(cassmesos ring endpoints demo -o json | jq -r '.endpoints[0].address') 9042
  cassmesos ring endpoints demo -o json | jq -r .contactPoints`,
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = cmdutil.TrimRef("ring", args[0])
			opts.IO, opts.Rings, opts.System, opts.Output, opts.Request = f.IOStreams, f.Rings, f.System, f.Globals.Output, f.RequestContext
			if err := checkDomain(opts.Domain); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputWide, cmdutil.OutputJSON, cmdutil.OutputYAML)
	cmd.Flags().StringVar(&opts.Domain, "dns-domain", "mesos", "Mesos-DNS domain the names are under")
	return cmd
}

func checkDomain(d string) error {
	if d == "" {
		return cmdutil.FlagErrorf("--dns-domain: want a DNS domain such as mesos, got an empty value")
	}
	for _, l := range strings.Split(d, ".") {
		if rfc1123(l) != l || l == "" {
			return cmdutil.FlagErrorf("--dns-domain: %q is not a DNS domain (lower-case labels of letters, digits and '-', separated by dots)", d)
		}
	}
	return nil
}

// Endpoint is one node's contact point.
type Endpoint struct {
	Node       string `json:"node" yaml:"node"`
	Datacenter string `json:"datacenter" yaml:"datacenter"`
	Rack       string `json:"rack" yaml:"rack"`
	Address    string `json:"address" yaml:"address"`
	Port       uint32 `json:"port" yaml:"port"`
	// HostPort is address:port (brackets around an IPv6 address).
	HostPort string `json:"hostPort" yaml:"hostPort"`
	Seed     bool   `json:"seed" yaml:"seed"`
	State    string `json:"state" yaml:"state"`
	Up       bool   `json:"up" yaml:"up"`
	// DNSName is the Mesos-DNS A record of the node's task.
	DNSName string `json:"dnsName" yaml:"dnsName"`
}

// Result is what -o json|yaml print.
type Result struct {
	Ring       string `json:"ring" yaml:"ring"`
	Framework  string `json:"framework" yaml:"framework"`
	NativePort uint32 `json:"nativePort" yaml:"nativePort"`
	// ContactPoints are the UN nodes' host:port, comma-separated (what drivers take).
	ContactPoints string `json:"contactPoints" yaml:"contactPoints"`
	// SeedNames are the seeds' Mesos-DNS names, comma-separated.
	SeedNames string     `json:"seedNames" yaml:"seedNames"`
	Endpoints []Endpoint `json:"endpoints" yaml:"endpoints"`
}

func run(ctx context.Context, opts *Options) error {
	rc, err := opts.Rings()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := rc.GetRing(rctx, &pb.GetRingRequest{Name: opts.Name})
	if err != nil {
		return fmt.Errorf("ring %s: %w", opts.Name, err)
	}
	sc, err := opts.System()
	if err != nil {
		return err
	}
	v, err := sc.GetVersion(rctx, &pb.GetVersionRequest{})
	if err != nil {
		return fmt.Errorf("reading the framework name: %w", err)
	}
	res := Build(resp.GetRing(), resp.GetNodes(), v.GetFrameworkName(), opts.Domain)
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON:
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	case cmdutil.OutputYAML:
		return yaml.NewEncoder(out).Encode(res)
	}
	var up []Endpoint
	for _, e := range res.Endpoints {
		if e.Up {
			up = append(up, e)
		}
	}
	if len(up) == 0 {
		return fmt.Errorf("ring %s has no node that is up and normal (UN): no contact point; see cassmesos ring status %s", opts.Name, opts.Name)
	}
	wide := opts.Output == cmdutil.OutputWide
	t := printers.Table{Header: []string{"NODE", "DC", "CONTACT POINT", "SEED", "MESOS-DNS"}}
	if wide {
		t.Header = []string{"NODE", "DC", "RACK", "CONTACT POINT", "SEED", "MESOS-DNS", "STATE"}
	}
	for _, e := range up {
		seed := "no"
		if e.Seed {
			seed = "yes"
		}
		dns := net.JoinHostPort(e.DNSName, strconv.Itoa(int(e.Port)))
		if wide {
			t.Rows = append(t.Rows, []string{e.Node, e.Datacenter, e.Rack, e.HostPort, seed, dns, e.State})
		} else {
			t.Rows = append(t.Rows, []string{e.Node, e.Datacenter, e.HostPort, seed, dns})
		}
	}
	return printers.RenderTable(out, t)
}

// Build computes the endpoints of a ring's nodes (sorted by name) for Mesos-DNS domain.
func Build(ring *pb.Ring, nodes []*pb.Node, framework, domain string) Result {
	port := ring.GetSpec().GetPorts().GetNative()
	if port == 0 {
		port = DefaultNativePort
	}
	name := ring.GetSpec().GetName()
	res := Result{Ring: name, Framework: framework, NativePort: port, Endpoints: []Endpoint{}}
	var contacts, seeds []string
	sorted := append([]*pb.Node(nil), nodes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].GetName() < sorted[j].GetName() })
	for _, n := range sorted {
		if n.GetPhase() == pb.NodePhase_NODE_PHASE_REMOVED {
			continue
		}
		up := n.GetLiveness() == pb.Liveness_LIVENESS_UP && n.GetMode() == pb.CassandraMode_CASSANDRA_MODE_NORMAL && n.GetAddress() != ""
		e := Endpoint{Node: n.GetName(), Datacenter: n.GetDatacenter(), Rack: n.GetRack(), Address: n.GetAddress(), Port: port,
			Seed: n.GetSeed(), State: printers.NodeState(n), Up: up, DNSName: MesosDNSName(n.GetName(), name, framework, domain)}
		if n.GetAddress() != "" {
			e.HostPort = net.JoinHostPort(n.GetAddress(), strconv.Itoa(int(port)))
		}
		if up {
			contacts = append(contacts, e.HostPort)
		}
		if n.GetSeed() {
			seeds = append(seeds, e.DNSName)
		}
		res.Endpoints = append(res.Endpoints, e)
	}
	res.ContactPoints, res.SeedNames = strings.Join(contacts, ","), strings.Join(seeds, ",")
	return res
}

// MesosDNSName is the A record Mesos-DNS serves for a node's task: the task's DiscoveryInfo name
// "<node>.<ring>" (as the daemon sets it) under the framework's name, in domain. Mesos-DNS
// turns each dot-separated part of the framework name into an RFC 1123 label (lower case,
// '_' and other separators become '-', other characters are dropped); node and ring names are
// valid labels already.
func MesosDNSName(node, ring, framework, domain string) string {
	var fw []string
	for _, part := range strings.Split(framework, ".") {
		if l := rfc1123(part); l != "" {
			fw = append(fw, l)
		}
	}
	return node + "." + ring + "." + strings.Join(fw, ".") + "." + domain
}

// rfc1123 maps s to a DNS label as Mesos-DNS's labels.RFC1123 does (at most 63 characters, no
// leading or trailing '-').
func rfc1123(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r-'A'+'a'))
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r == '-' || r == '.' || r == '_':
			b = append(b, '-')
		}
	}
	out := strings.TrimLeft(string(b), "-")
	if len(out) > 63 {
		out = out[:63]
	}
	return strings.TrimRight(out, "-")
}
