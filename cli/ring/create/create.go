package create

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	"github.com/cassmesos/cassmesos/cli/printers"
	"github.com/cassmesos/cassmesos/internal/specrules"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// CreateOptions are ring create's inputs.
type CreateOptions struct {
	opflow.Common
	Rings  func() (pb.RingServiceClient, error)
	Spec   *pb.RingSpec
	DryRun bool
	// FromBackup is the backup whose ring's shape and tokens the ring copies.
	FromBackup string
}

type rawFlags struct {
	mem, disk, heap, heapNew string
	constraints, sets        []string
	dcs                      []string
	replaceAfter             string
	placementTimeout         string
	storagePort, jmxPort     int
	nativePort               int
	wait                     bool
	internodeEnc, clientEnc  string
	repair                   cmdutil.RepairEngineFlags
}

// NewCmdCreate returns `ring create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{Spec: &pb.RingSpec{Resources: &pb.Resources{}, Distribution: &pb.Distribution{}, Ports: &pb.Ports{}}}
	var requestID string
	var raw rawFlags
	cmd := &cobra.Command{
		Use:   "create <name> {--nodes <n>|--dc <name>=<n>...} [flags]",
		Short: "Create a ring and start bootstrapping its nodes",
		Long: `Create a Cassandra ring. The daemon bootstraps the seeds first, then the other nodes one at a
time. Sizes take binary units (4Gi, 4096Mi, "4096 MiB"; a bare number is MiB). With --wait the
command follows the CREATE_RING operation until it ends.

With --from-backup ID the ring takes the backed-up ring's shape (node count, seeds, data centres,
num_tokens) and node <name>-<i> starts with the tokens node <old>-<i> owned at backup time, so
that "cassmesos backup restore <name> --backup ID --source-ring <old>" afterwards loads every
node's files into a node that owns their ranges. --nodes, --seeds, --dc and --num-tokens may be
left out; values that differ from the backup's are refused.`,
		Example: `  cassmesos ring create demo --nodes 3 --cpus 2 --mem 8Gi --disk 100Gi --cassandra-version 4.1.5 --wait
  cassmesos ring create demo --nodes 6 --constraint rack:SPREAD --set concurrent_writes=64 --dry-run
  cassmesos ring create secure --nodes 3 --internode-encryption all --client-encryption required
  cassmesos ring create multi --dc dc1=3 --dc dc2=3 --wait
  cassmesos ring create demo2 --from-backup 20260101-020000-ab12 --wait`,
		Args: cmdutil.ExactArgs(1, "a ring name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Spec.Name = args[0]
			if err := complete(cmd, opts, &raw); err != nil {
				return err
			}
			opts.Common = opflow.CommonFrom(f, raw.wait)
			opts.RequestID = requestID
			opts.Rings = f.Rings
			if runF != nil {
				return runF(opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	fl := cmd.Flags()
	s := opts.Spec
	fl.Int32Var(&s.Nodes, "nodes", 0, "Number of Cassandra nodes (required, >= 1)")
	fl.Int32Var(&s.Seeds, "seeds", 0, "Number of seed nodes (default min(nodes, 2))")
	fl.Float64Var(&s.Resources.Cpus, "cpus", 0, "CPU shares per node (default 1)")
	fl.StringVar(&raw.mem, "mem", "", "Memory per node, e.g. 8Gi (default 4Gi)")
	fl.StringVar(&raw.disk, "disk", "", "Data volume size per node, e.g. 100Gi (default 10Gi)")
	fl.StringVar(&raw.heap, "heap", "", "Java max heap, e.g. 4Gi (default: derived from --mem)")
	fl.StringVar(&raw.heapNew, "heap-new", "", "Young generation size, e.g. 800Mi (default: derived from the heap)")
	fl.StringArrayVar(&s.JvmOptions, "jvm-opt", nil, "Extra JVM option (repeatable)")
	fl.StringVar(&s.Distribution.Version, "cassandra-version", "", "Cassandra version from the daemon's mirror, e.g. 4.1.5")
	fl.StringVar(&s.Distribution.Url, "cassandra-url", "", "URL of a Cassandra binary tarball (http, https or file)")
	fl.StringVar(&s.Distribution.JavaUrl, "java-url", "", "URL of a Java runtime tarball to bring along")
	fl.StringVar(&s.ClusterName, "cluster-name", "", "Cassandra cluster_name (default: the ring name)")
	fl.Int32Var(&s.NumTokens, "num-tokens", 0, "Tokens per node, num_tokens (default 16)")
	fl.StringVar(&s.Snitch, "snitch", "", "Cassandra endpoint_snitch (default GossipingPropertyFileSnitch)")
	fl.StringArrayVar(&raw.dcs, "dc", nil, "Data centre NAME=NODES[:SEEDS][@REGION] (repeatable; replaces --nodes/--seeds), or one NAME for a one-DC ring (default: the agent's dc attribute, else dc1)")
	fl.StringVar(&s.RackAttribute, "rack-attribute", "", "Agent attribute holding the rack (default rack)")
	fl.StringVar(&s.Role, "role", "", "Mesos role the ring reserves resources for, one the daemon subscribed with (default: the daemon's first --role)")
	fl.StringArrayVar(&raw.constraints, "constraint", nil, "Placement constraint attribute:SPREAD|LIKE|UNLIKE[:regexp] (repeatable)")
	fl.IntVar(&raw.storagePort, "storage-port", 0, "Cassandra storage_port (default 7000)")
	fl.IntVar(&raw.jmxPort, "jmx-port", 0, "Cassandra JMX port (default 7199)")
	fl.BoolVar(&s.Ports.JmxFromOffer, "jmx-port-from-offer", false, "Take each node's JMX port from its offer instead of --jmx-port (for several nodes on one host)")
	fl.IntVar(&raw.nativePort, "native-port", 0, "Cassandra native_transport_port (default 9042)")
	fl.BoolVar(&s.EphemeralData, "ephemeral-data", false, "Keep data in the task sandbox, not on a persistent volume (throw-away rings)")
	fl.StringVar(&raw.replaceAfter, "replace-after", "", "Replace a node automatically after it is lost this long, e.g. 1h; 0 turns it off (default 1h)")
	fl.StringVar(&raw.placementTimeout, "placement-timeout", "", "How long a node may wait for an offer before the operation reports it is stuck (default 10m)")
	fl.BoolVar(&s.CleanupAfterGrow, "cleanup-after-grow", false, "Run cleanup on every node after the ring grows")
	fl.StringArrayVar(&raw.sets, "set", nil, "Set a cassandra.yaml key, key=value (repeatable)")
	fl.StringVar(&raw.internodeEnc, "internode-encryption", "", "Internode TLS with certificates from the daemon's CA: none|dc|rack|all (default none; fixed at creation)")
	fl.StringVar(&raw.clientEnc, "client-encryption", "", "CQL (native port) TLS: none|optional|required (default none)")
	_ = cmd.RegisterFlagCompletionFunc("internode-encryption", cobra.FixedCompletions(specrules.InternodeEncryptionValues, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("client-encryption", cobra.FixedCompletions(specrules.ClientEncryptionValues, cobra.ShellCompDirectiveNoFileComp))
	fl.StringVar(&opts.FromBackup, "from-backup", "", "Create the ring in the shape of this backup's ring, each node with its backed-up node's tokens (then restore the backup into it)")
	fl.BoolVar(&raw.wait, "wait", false, "Wait until the ring is created (see --timeout)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "Let the server validate the ring without creating it")
	_ = cmd.RegisterFlagCompletionFunc("constraint", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{"rack:SPREAD", "hostname:LIKE:", "hostname:UNLIKE:"}, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	})
	raw.repair.Add(cmd)
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func complete(cmd *cobra.Command, opts *CreateOptions, raw *rawFlags) error {
	s := opts.Spec
	if err := cmdutil.ValidateRingName(s.Name); err != nil {
		return err
	}
	if err := dataCenters(cmd, s, raw.dcs); err != nil {
		return err
	}
	fromBackup := cmd.Flags().Changed("from-backup")
	if fromBackup && opts.FromBackup == "" {
		return cmdutil.FlagErrorf("--from-backup: want a backup ID, got an empty one")
	}
	// With data centres the server sums nodes and seeds over them; with --from-backup the
	// server takes them from the backup unless given.
	shapeFromServer := fromBackup && !cmd.Flags().Changed("nodes")
	if len(s.DataCenters) == 0 && !shapeFromServer {
		if !cmd.Flags().Changed("nodes") {
			return cmdutil.FlagErrorf("--nodes is required (or name the data centres with --dc NAME=NODES)")
		}
		if s.Nodes < 1 {
			return cmdutil.FlagErrorf("--nodes: want at least 1, got %d", s.Nodes)
		}
		if s.Seeds < 0 || s.Seeds > s.Nodes {
			return cmdutil.FlagErrorf("--seeds: want 1..%d (the node count), got %d", s.Nodes, s.Seeds)
		}
	}
	if s.Seeds < 0 {
		return cmdutil.FlagErrorf("--seeds: want a positive number, got %d", s.Seeds)
	}
	if s.Resources.Cpus < 0 {
		return cmdutil.FlagErrorf("--cpus: want a positive number, got %g", s.Resources.Cpus)
	}
	if err := cmdutil.MutuallyExclusive(cmd, "cassandra-version", "cassandra-url"); err != nil {
		return err
	}
	if err := cmdutil.MutuallyExclusive(cmd, "jmx-port", "jmx-port-from-offer"); err != nil {
		return err
	}
	for _, sz := range []struct {
		flag string
		raw  string
		dst  *int64
	}{{"mem", raw.mem, &s.Resources.MemMb}, {"disk", raw.disk, &s.Resources.DiskMb}, {"heap", raw.heap, &s.HeapMb}, {"heap-new", raw.heapNew, &s.HeapNewMb}} {
		if sz.raw == "" {
			continue
		}
		v, err := cmdutil.ParseMiB(sz.raw)
		if err != nil {
			return cmdutil.FlagValueError(sz.flag, err)
		}
		*sz.dst = v
	}
	if cmd.Flags().Changed("role") && s.Role == "" {
		return cmdutil.FlagErrorf("--role: want a Mesos role name, got an empty one")
	}
	if s.NumTokens < 0 {
		return cmdutil.FlagErrorf("--num-tokens: want a positive number, got %d", s.NumTokens)
	}
	for _, c := range raw.constraints {
		pc, err := cmdutil.ParseConstraint(c)
		if err != nil {
			return cmdutil.FlagValueError("constraint", err)
		}
		s.Constraints = append(s.Constraints, pc)
	}
	for _, p := range []struct {
		flag string
		v    int
		dst  *uint32
	}{{"storage-port", raw.storagePort, &s.Ports.Storage}, {"jmx-port", raw.jmxPort, &s.Ports.Jmx}, {"native-port", raw.nativePort, &s.Ports.Native}} {
		if p.v < 0 || p.v > 65535 {
			return cmdutil.FlagErrorf("--%s: want 1..65535, got %d", p.flag, p.v)
		}
		*p.dst = uint32(p.v)
	}
	for _, d := range []struct {
		flag string
		raw  string
		dst  **durationpb.Duration
	}{{"replace-after", raw.replaceAfter, &s.ReplaceAfter}, {"placement-timeout", raw.placementTimeout, &s.PlacementTimeout}} {
		if !cmd.Flags().Changed(d.flag) {
			continue
		}
		v, err := cmdutil.ParseDuration(d.raw)
		if err != nil {
			return cmdutil.FlagValueError(d.flag, err)
		}
		if v < 0 {
			return cmdutil.FlagErrorf("--%s: want a duration >= 0, got %s", d.flag, d.raw)
		}
		*d.dst = durationpb.New(v)
	}
	if raw.internodeEnc != "" || raw.clientEnc != "" {
		s.Encryption = &pb.Encryption{}
		var err error
		if raw.internodeEnc != "" {
			if s.Encryption.Internode, err = specrules.ParseInternodeEncryption("--internode-encryption", raw.internodeEnc); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
		}
		if raw.clientEnc != "" {
			if s.Encryption.Client, err = specrules.ParseClientEncryption("--client-encryption", raw.clientEnc); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
		}
	}
	yaml, err := cmdutil.ParseKeyValues(raw.sets)
	if err != nil {
		return cmdutil.FlagValueError("set", err)
	}
	s.CassandraYaml = yaml
	if _, err := raw.repair.Apply(cmd, s); err != nil {
		return err
	}
	if opts.DryRun && raw.wait {
		return cmdutil.FlagErrorf("--dry-run and --wait cannot be used together")
	}
	return nil
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	var resp *pb.CreateRingResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.CreateRing(rctx, &pb.CreateRingRequest{Spec: opts.Spec, ValidateOnly: opts.DryRun, RequestId: id, FromBackup: opts.FromBackup})
		return err
	})
	if err != nil {
		return fmt.Errorf("creating ring %s: %w", opts.Spec.GetName(), err)
	}
	out := opts.IO.Out
	if opts.DryRun {
		switch opts.Output {
		case cmdutil.OutputJSON, cmdutil.OutputYAML:
			return printers.PrintMessage(out, opts.Output, resp)
		case cmdutil.OutputName:
			return printers.PrintNames(out, "ring", opts.Spec.GetName())
		}
		_, err := fmt.Fprintf(out, "ring %s is valid (dry run: nothing was created)\n", opts.Spec.GetName())
		return err
	}
	if !resp.GetCreated() && !cmdutil.IsStructured(opts.Output) {
		fmt.Fprintf(opts.IO.ErrOut, "ring %s already exists with this spec\n", opts.Spec.GetName())
	}
	if opts.FromBackup != "" && !cmdutil.IsStructured(opts.Output) {
		fmt.Fprintf(opts.IO.ErrOut, "once the ring is created, restore the backup into it: cassmesos backup restore %s --backup %s --source-ring <the backed-up ring>\n",
			opts.Spec.GetName(), opts.FromBackup)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}

// dataCenters reads the --dc values: one NAME sets the one data centre's name; NAME=NODES values
// name each data centre (then --nodes and --seeds are not given).
func dataCenters(cmd *cobra.Command, s *pb.RingSpec, vals []string) error {
	if len(vals) == 1 && !strings.Contains(vals[0], "=") {
		s.Datacenter = vals[0]
		return nil
	}
	seen := map[string]bool{}
	for _, v := range vals {
		dc, err := cmdutil.ParseDataCenter(v)
		if err != nil {
			return cmdutil.FlagValueError("dc", err)
		}
		if seen[dc.GetName()] {
			return cmdutil.FlagErrorf("--dc: data centre %s named twice", dc.GetName())
		}
		seen[dc.GetName()] = true
		s.DataCenters = append(s.DataCenters, dc)
	}
	if len(s.DataCenters) > 0 {
		for _, f := range []string{"nodes", "seeds"} {
			if cmd.Flags().Changed(f) {
				return cmdutil.FlagErrorf("--%s: give each data centre's count with --dc NAME=NODES[:SEEDS] instead", f)
			}
		}
	}
	return nil
}
