package backup

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	opshow "github.com/cassmesos/cassmesos/cli/op/show"
	"github.com/cassmesos/cassmesos/cli/opflow"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// NewCmdBackup returns the `backup` group.
func NewCmdBackup(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.GroupCommand(&cobra.Command{
		Use:   "backup <verb>",
		Short: "Back rings up to a backup store and restore them",
		Long: "Back a ring up (a snapshot of every node, uploaded incrementally with SHA-256 checksums and the schema) " +
			"and restore a backup into the same ring or a ring of the same shape.",
	})
	cmd.AddCommand(NewCmdCreate(f, nil), NewCmdRestore(f, nil), NewCmdList(f, nil), NewCmdShow(f, nil), NewCmdDelete(f, nil), newCmdSchedule(f))
	return cmd
}

func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// CreateOptions are backup create's inputs.
type CreateOptions struct {
	opflow.Common
	Backups func() (pb.BackupServiceClient, error)
	Ring    string
	Params  *pb.BackupParams
}

// NewCmdCreate returns `backup create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{Params: &pb.BackupParams{}}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:               "create <ring> [--store <url>] [--keyspaces <k>,...] [--wait]",
		Short:             "Back up every node of a ring, one at a time",
		Long:              "Snapshot each node (nodetool snapshot -t <backup-id>) and upload the files the store does not hold yet, with a per-node manifest of SHA-256 checksums and the tables' schema. The backup ID is the operation's ID.",
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", args[0])
			opts.Params.Keyspaces = cleanList(opts.Params.Keyspaces)
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Backups = f.Backups
			if runF != nil {
				return runF(opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().StringVar(&opts.Params.StoreUrl, "store", "", "Backup store URL: file:///path or s3://bucket/prefix?endpoint=... (default: the daemon's --backup-store)")
	cmd.Flags().StringSliceVar(&opts.Params.Keyspaces, "keyspaces", nil, "Keyspaces to back up (comma-separated; default every non-system keyspace)")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until every node is backed up (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	c, err := opts.Backups()
	if err != nil {
		return err
	}
	var resp *pb.CreateBackupResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.CreateBackup(rctx, &pb.CreateBackupRequest{Ring: opts.Ring, Params: opts.Params, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("backing up ring %s: %w", opts.Ring, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}

// RestoreOptions are backup restore's inputs.
type RestoreOptions struct {
	opflow.Common
	Backups func() (pb.BackupServiceClient, error)
	Ring    string
	Params  *pb.RestoreParams
}

// NewCmdRestore returns `backup restore`.
func NewCmdRestore(f *cmdutil.Factory, runF func(*RestoreOptions) error) *cobra.Command {
	opts := &RestoreOptions{Params: &pb.RestoreParams{}}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:   "restore <ring> --backup <id> [--source-ring <ring>] [--keyspaces <k>,...] [--tables <t>,...] [--wait]",
		Short: "Restore a backup into a ring, one node at a time",
		Long: "Each node of the ring downloads the files of the backed-up node with its ordinal, verifies their SHA-256 " +
			"and loads each table with nodetool import. The tables must exist (create them from the schema field of a node manifest, " +
			"backups/<id>/<node>/manifest.json in the store) and stopping writes to them is the operator's business.",
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", args[0])
			if opts.Params.BackupId == "" {
				return cmdutil.FlagErrorf("--backup is required")
			}
			opts.Params.Keyspaces = cleanList(opts.Params.Keyspaces)
			opts.Params.Tables = cleanList(opts.Params.Tables)
			if len(opts.Params.Tables) > 0 && len(opts.Params.Keyspaces) != 1 {
				return cmdutil.FlagErrorf("--tables needs exactly one --keyspaces")
			}
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Backups = f.Backups
			if runF != nil {
				return runF(opts)
			}
			return restoreRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().StringVar(&opts.Params.BackupId, "backup", "", "Backup ID (see backup list)")
	cmd.Flags().StringVar(&opts.Params.SourceRing, "source-ring", "", "Ring the backup was taken of (default: the ring restored into)")
	cmd.Flags().StringVar(&opts.Params.StoreUrl, "store", "", "Backup store URL (default: the backup's)")
	cmd.Flags().StringSliceVar(&opts.Params.Keyspaces, "keyspaces", nil, "Keyspaces to restore (comma-separated; default all in the backup)")
	cmd.Flags().StringSliceVar(&opts.Params.Tables, "tables", nil, "Tables of the one keyspace (comma-separated; default all)")
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until every node is restored (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}

func restoreRun(ctx context.Context, opts *RestoreOptions) error {
	c, err := opts.Backups()
	if err != nil {
		return err
	}
	var resp *pb.RestoreBackupResponse
	err = opts.Mutate(ctx, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.RestoreBackup(rctx, &pb.RestoreBackupRequest{Ring: opts.Ring, Params: opts.Params, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("restoring backup %s into ring %s: %w", opts.Params.GetBackupId(), opts.Ring, err)
	}
	return opts.Finish(ctx, resp.GetOperation(), resp)
}

// ListOptions are backup list's inputs.
type ListOptions struct {
	IO         *iostreams.IOStreams
	Operations func() (pb.OperationServiceClient, error)
	Now        func() time.Time
	Output     string
	Request    func(context.Context) (context.Context, context.CancelFunc)
	Ring       string
	Limit      int32
}

// NewCmdList returns `backup list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{}
	cmd := &cobra.Command{
		Use:     "list [--ring <ring>]",
		Aliases: []string{"ls"},
		Short:   "List backups, newest first",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", opts.Ring)
			if opts.Limit < 0 {
				return cmdutil.FlagErrorf("--limit: want a number >= 0, got %d", opts.Limit)
			}
			opts.IO, opts.Operations, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Operations, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Only the backups of this ring")
	cmd.Flags().Int32Var(&opts.Limit, "limit", 0, "At most this many backups (default 100)")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Operations()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.ListOperations(rctx, &pb.ListOperationsRequest{Ring: opts.Ring, Kinds: []pb.OperationKind{pb.OperationKind_OPERATION_KIND_BACKUP}, All: true, Limit: opts.Limit})
	if err != nil {
		return fmt.Errorf("listing backups: %w", err)
	}
	names := make([]string, len(resp.GetOperations()))
	for i, o := range resp.GetOperations() {
		names[i] = o.GetId()
	}
	if len(names) == 0 && opts.IO.IsStdoutTTY() && !cmdutil.IsStructured(opts.Output) {
		fmt.Fprintln(opts.IO.ErrOut, "No backups.")
	}
	return printers.List(opts.IO.Out, opts.Output, resp, "backup", names, func() printers.Table {
		return Table(resp.GetOperations(), opts.Now(), opts.Output == cmdutil.OutputWide)
	})
}

// Totals adds up a backup's or restore's node results: nodes done, files, bytes, transferred bytes.
func Totals(op *pb.Operation) (nodes int, files, bytes, moved int64) {
	for _, s := range op.GetSteps() {
		if b := s.GetBackup(); b != nil {
			nodes++
			files += b.GetFiles()
			bytes += b.GetBytes()
			moved += b.GetTransferredBytes()
		}
	}
	return
}

// Table is the backup list table. wide adds the store.
func Table(ops []*pb.Operation, now time.Time, wide bool) printers.Table {
	h := []string{"BACKUP", "RING", "PHASE", "NODES", "FILES", "SIZE", "UPLOADED", "AGE", "DELETED"}
	if wide {
		h = append(h, "STORE", "KEYSPACES")
	}
	t := printers.Table{Header: h}
	for _, o := range ops {
		nodes, files, bytes, moved := Totals(o)
		age := "-"
		if o.GetCreateTime() != nil {
			age = printers.ShortDuration(now.Sub(o.GetCreateTime().AsTime()))
		}
		row := []string{o.GetId(), o.GetRing(), printers.OperationPhase(o.GetPhase()),
			fmt.Sprintf("%d/%d", nodes, len(o.GetSteps())), strconv.FormatInt(files, 10), size(bytes), size(moved), age,
			printers.Dash(o.GetParams().GetBackup().GetDeletedBy())}
		if wide {
			p := o.GetParams().GetBackup()
			row = append(row, printers.Dash(p.GetStoreUrl()), printers.Dash(strings.Join(p.GetKeyspaces(), ",")))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func size(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1fGi", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1fMi", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1fKi", float64(b)/(1<<10))
	}
	return strconv.FormatInt(b, 10)
}

// ShowOptions are backup show's inputs.
type ShowOptions struct {
	IO         *iostreams.IOStreams
	Operations func() (pb.OperationServiceClient, error)
	Now        func() time.Time
	Output     string
	Request    func(context.Context) (context.Context, context.CancelFunc)
	ID         string
}

// NewCmdShow returns `backup show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{}
	cmd := &cobra.Command{
		Use:               "show <backup-id>",
		Short:             "Show a backup and what each node stored",
		Args:              cmdutil.ExactArgs(1, "a backup ID"),
		ValidArgsFunction: cmdutil.CompleteOperationIDs(f, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = cmdutil.TrimRef("backup", args[0])
			opts.IO, opts.Operations, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Operations, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return showRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	return cmd
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	c, err := opts.Operations()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.GetOperation(rctx, &pb.GetOperationRequest{Id: opts.ID})
	if err != nil {
		return fmt.Errorf("backup %s: %w", opts.ID, err)
	}
	op := resp.GetOperation()
	if op.GetKind() != pb.OperationKind_OPERATION_KIND_BACKUP {
		return fmt.Errorf("%s is a %s operation, not a backup", opts.ID, cmdutil.EnumName(op.GetKind().String(), "OPERATION_KIND_"))
	}
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(out, opts.Output, resp)
	case cmdutil.OutputName:
		return printers.PrintNames(out, "backup", op.GetId())
	}
	if err := opshow.Summary(out, op, opts.Now()); err != nil {
		return err
	}
	p := op.GetParams().GetBackup()
	fmt.Fprintf(out, "Store: %s\n", p.GetStoreUrl())
	if len(p.GetKeyspaces()) > 0 {
		fmt.Fprintf(out, "Keyspaces: %s\n", strings.Join(p.GetKeyspaces(), ", "))
	}
	fmt.Fprintln(out)
	h := []string{"NODE", "PHASE", "FILES", "SIZE", "UPLOADED", "SECONDS"}
	wide := opts.Output == cmdutil.OutputWide
	if wide {
		h = append(h, "MANIFEST SHA-256")
	}
	t := printers.Table{Header: h}
	for _, s := range op.GetSteps() {
		b := s.GetBackup()
		row := []string{s.GetNode(), printers.StepPhase(s.GetPhase()), "-", "-", "-", "-"}
		if b != nil {
			row = []string{s.GetNode(), printers.StepPhase(s.GetPhase()), strconv.FormatInt(b.GetFiles(), 10), size(b.GetBytes()),
				size(b.GetTransferredBytes()), strconv.FormatFloat(b.GetSeconds(), 'f', 1, 64)}
		}
		if wide {
			row = append(row, printers.Dash(b.GetManifestSha256()))
		}
		t.Rows = append(t.Rows, row)
	}
	return printers.RenderTable(out, t)
}

// DeleteOptions are backup delete's inputs.
type DeleteOptions struct {
	opflow.Common
	Backups func() (pb.BackupServiceClient, error)
	ID      string
}

// NewCmdDelete returns `backup delete`.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{}
	var requestID string
	var waitFlag bool
	cmd := &cobra.Command{
		Use:   "delete <backup-id> [--wait]",
		Short: "Delete a backup from its store",
		Long: "Remove the backup's manifests and every stored file no other backup uses (through one executor of the " +
			"backed-up ring). Refused while any backup, restore or deletion runs. The backup stays listed, marked deleted.",
		Args:              cmdutil.ExactArgs(1, "a backup ID"),
		ValidArgsFunction: cmdutil.CompleteOperationIDs(f, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = cmdutil.TrimRef("backup", args[0])
			opts.Common = opflow.CommonFrom(f, waitFlag)
			opts.RequestID = requestID
			opts.Backups = f.Backups
			if runF != nil {
				return runF(opts)
			}
			c, err := opts.Backups()
			if err != nil {
				return err
			}
			var resp *pb.DeleteBackupResponse
			err = opts.Mutate(cmd.Context(), func(rctx context.Context, id string) error {
				var err error
				resp, err = c.DeleteBackup(rctx, &pb.DeleteBackupRequest{BackupId: opts.ID, RequestId: id})
				return err
			})
			if err != nil {
				return fmt.Errorf("deleting backup %s: %w", opts.ID, err)
			}
			return opts.Finish(cmd.Context(), resp.GetOperation(), resp)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().BoolVar(&waitFlag, "wait", false, "Wait until the backup is deleted (see --timeout)")
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}
