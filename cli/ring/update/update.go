package update

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/opflow"
	"github.com/cassmesos/cassmesos/internal/specrules"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// UpdateOptions are ring update's inputs.
type UpdateOptions struct {
	opflow.Common
	Rings func() (pb.RingServiceClient, error)
	Name  string
	Spec  *pb.RingSpec
	Mask  []string // RingSpec field paths, in flag order
}

// fields maps each flag to the RingSpec path it sets.
var fields = []struct{ flag, path string }{
	{"heap", "heap_mb"},
	{"heap-new", "heap_new_mb"},
	{"jvm-opt", "jvm_options"},
	{"cassandra-version", "distribution.version"},
	{"cassandra-url", "distribution.url"},
	{"java-url", "distribution.java_url"},
	{"cpus", "resources.cpus"},
	{"mem", "resources.mem_mb"},
	{"replace-after", "replace_after"},
	{"cleanup-after-grow", "cleanup_after_grow"},
	{"client-encryption", "encryption.client"},
}

// NewCmdUpdate returns `ring update`.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{Spec: &pb.RingSpec{Resources: &pb.Resources{}, Distribution: &pb.Distribution{}}}
	var requestID string
	var (
		waitFlag                         bool
		heap, heapNew, mem, replaceAfter string
		clientEnc                        string
	)
	flagList := make([]string, len(fields))
	for i, fl := range fields {
		flagList[i] = "--" + fl.flag
	}
	cmd := &cobra.Command{
		Use:   "update <name> [flags]",
		Short: "Change a ring's settings through a rolling restart",
		Long: `Change a ring's spec and apply it one node at a time. Only the flags you give change; the
update mask sent to the server is built from them. --jvm-opt replaces the whole list (give
--jvm-opt '' to clear it). Node count changes go through ring scale.

Flags that can be updated: ` + strings.Join(flagList, ", ") + ".",
		Example:           "  cassmesos ring update demo --heap 6Gi --mem 12Gi --wait\n  cassmesos ring update demo --cassandra-version 4.1.6",
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = cmdutil.TrimRef("ring", args[0])
			if err := cmdutil.MutuallyExclusive(cmd, "cassandra-version", "cassandra-url"); err != nil {
				return err
			}
			s := opts.Spec
			for _, sz := range []struct {
				flag, raw string
				dst       *int64
			}{{"heap", heap, &s.HeapMb}, {"heap-new", heapNew, &s.HeapNewMb}, {"mem", mem, &s.Resources.MemMb}} {
				if !cmd.Flags().Changed(sz.flag) {
					continue
				}
				v, err := cmdutil.ParseMiB(sz.raw)
				if err != nil {
					return cmdutil.FlagValueError(sz.flag, err)
				}
				*sz.dst = v
			}
			if cmd.Flags().Changed("cpus") && s.Resources.Cpus <= 0 {
				return cmdutil.FlagErrorf("--cpus: want a positive number, got %g", s.Resources.Cpus)
			}
			if cmd.Flags().Changed("replace-after") {
				d, err := cmdutil.ParseDuration(replaceAfter)
				if err != nil || d < 0 {
					return cmdutil.FlagErrorf("--replace-after: %q is not a duration >= 0", replaceAfter)
				}
				s.ReplaceAfter = durationpb.New(d)
			}
			if cmd.Flags().Changed("client-encryption") {
				v, err := specrules.ParseClientEncryption("--client-encryption", clientEnc)
				if err != nil {
					return cmdutil.FlagErrorf("%v", err)
				}
				s.Encryption = &pb.Encryption{Client: v}
			}
			if cmd.Flags().Changed("jvm-opt") {
				var keep []string
				for _, o := range s.JvmOptions {
					if o != "" {
						keep = append(keep, o)
					}
				}
				s.JvmOptions = keep
			}
			opts.Mask = nil
			for _, fl := range fields {
				if cmd.Flags().Changed(fl.flag) {
					opts.Mask = append(opts.Mask, fl.path)
				}
			}
			if len(opts.Mask) == 0 {
				return cmdutil.FlagErrorf("nothing to update: give at least one of %s", strings.Join(flagList, ", "))
			}
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Rings = f.Rings
			if runF != nil {
				return runF(opts)
			}
			return updateRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	fl := cmd.Flags()
	fl.StringVar(&heap, "heap", "", "Java max heap, e.g. 6Gi")
	fl.StringVar(&heapNew, "heap-new", "", "Young generation size, e.g. 800Mi")
	fl.StringArrayVar(&opts.Spec.JvmOptions, "jvm-opt", nil, "Extra JVM option (repeatable; replaces the list)")
	fl.StringVar(&opts.Spec.Distribution.Version, "cassandra-version", "", "Cassandra version to move to")
	fl.StringVar(&opts.Spec.Distribution.Url, "cassandra-url", "", "URL of the Cassandra tarball to move to")
	fl.StringVar(&opts.Spec.Distribution.JavaUrl, "java-url", "", "URL of a Java runtime tarball")
	fl.Float64Var(&opts.Spec.Resources.Cpus, "cpus", 0, "CPU shares per node")
	fl.StringVar(&mem, "mem", "", "Memory per node, e.g. 12Gi")
	fl.StringVar(&replaceAfter, "replace-after", "", "Automatic replacement grace, e.g. 1h; 0 turns it off")
	fl.BoolVar(&opts.Spec.CleanupAfterGrow, "cleanup-after-grow", false, "Run cleanup after the ring grows")
	fl.StringVar(&clientEnc, "client-encryption", "", "CQL (native port) TLS: none|optional|required (internode encryption is fixed at creation)")
	_ = cmd.RegisterFlagCompletionFunc("client-encryption", cobra.FixedCompletions(specrules.ClientEncryptionValues, cobra.ShellCompDirectiveNoFileComp))
	fl.BoolVar(&waitFlag, "wait", false, "Wait until every node runs the new spec (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func updateRun(ctx context.Context, opts *UpdateOptions) error {
	c, err := opts.Rings()
	if err != nil {
		return err
	}
	var resp *pb.UpdateRingResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.UpdateRing(rctx, &pb.UpdateRingRequest{Name: opts.Name, Spec: opts.Spec,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: opts.Mask}, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("updating ring %s: %w", opts.Name, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}
