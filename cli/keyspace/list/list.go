package list

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Options are keyspace list's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Rings   func() (pb.RingServiceClient, error)
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
	Ring    string
	// System also lists Cassandra's own keyspaces.
	System bool
}

// NewCmdList returns `keyspace list`.
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:     "list <ring>",
		Aliases: []string{"ls"},
		Short:   "List a ring's keyspaces and their replication",
		Long: `List a ring's keyspaces with their replication: the strategy class and the replication factor
(SimpleStrategy) or each datacenter's (NetworkTopologyStrategy). The daemon asks one node that is
up and normal, through its executor (nodetool describecluster). Cassandra's own keyspaces
(system, system_auth, system_schema, ...) are left out unless --system is given; they are the ones
a repair or cleanup run without --keyspace leaves out.

TABLES is the keyspace's number of tables, as the same node's nodetool tablestats lists them
(secondary indexes not counted); "?" when the node cannot tell (an older executor). In -o json
and yaml a count of 0 is left out (proto3 mapping) and an unknown one is -1.`,
		Example: `  cassmesos keyspace list demo
  cassmesos keyspace list demo --system -o wide
  cassmesos keyspace list demo -o name`,
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", args[0])
			opts.IO, opts.Rings, opts.Output, opts.Request = f.IOStreams, f.Rings, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	cmd.Flags().BoolVar(&opts.System, "system", false, "Also list Cassandra's own keyspaces")
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.ListKeyspaces(rctx, &pb.RingServiceListKeyspacesRequest{Ring: opts.Ring, Tables: true})
	if err != nil {
		return fmt.Errorf("keyspaces of ring %s: %w", opts.Ring, err)
	}
	var ks []*pb.Keyspace
	for _, k := range resp.GetKeyspaces() {
		if opts.System || !k.GetSystem() {
			ks = append(ks, k)
		}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].GetName() < ks[j].GetName() })
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(out, opts.Output, &pb.RingServiceListKeyspacesResponse{Keyspaces: ks, Node: resp.GetNode()})
	case cmdutil.OutputName:
		for _, k := range ks {
			if err := printers.PrintNames(out, "keyspace", k.GetName()); err != nil {
				return err
			}
		}
		return nil
	}
	if len(ks) == 0 {
		if opts.IO.IsStdoutTTY() {
			fmt.Fprintf(opts.IO.ErrOut, "No keyspaces but the system ones in ring %s (--system lists them).\n", opts.Ring)
		}
		return nil
	}
	wide := opts.Output == cmdutil.OutputWide
	t := printers.Table{Header: []string{"NAME", "REPLICATION", "TABLES"}}
	if wide {
		t.Header = append(t.Header, "CLASS", "SYSTEM")
	}
	for _, k := range ks {
		tables := "?"
		if k.GetTables() >= 0 {
			tables = strconv.Itoa(int(k.GetTables()))
		}
		row := []string{k.GetName(), Replication(k), tables}
		if wide {
			sys := "no"
			if k.GetSystem() {
				sys = "yes"
			}
			row = append(row, k.GetReplicationClass(), sys)
		}
		t.Rows = append(t.Rows, row)
	}
	return printers.RenderTable(out, t)
}

// Replication renders a keyspace's replication for the table: "SimpleStrategy rf=3",
// "NetworkTopologyStrategy dc1=3 dc2=2" (datacenters sorted), or the class alone.
func Replication(k *pb.Keyspace) string {
	class := k.GetReplicationClass()
	opts := k.GetReplication()
	if len(opts) == 0 {
		return class
	}
	if rf, ok := opts["replication_factor"]; ok && len(opts) == 1 {
		return class + " rf=" + rf
	}
	keys := make([]string, 0, len(opts))
	for key := range opts {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	parts := []string{class}
	for _, key := range keys {
		parts = append(parts, key+"="+opts[key])
	}
	return strings.Join(parts, " ")
}
