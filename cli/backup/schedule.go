package backup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	schedulecreate "github.com/cassmesos/cassmesos/cli/repair/schedule/create"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Backup schedules are repair schedules whose `backup` is set: the same cron machinery, started
// as BACKUP operations (RepairService's schedule calls).

// ScheduleOptions are backup schedule create's and list's inputs.
type ScheduleOptions struct {
	IO        *iostreams.IOStreams
	Repairs   func() (pb.RepairServiceClient, error)
	Now       func() time.Time
	Output    string
	Request   func(context.Context) (context.Context, context.CancelFunc)
	Schedule  *pb.RepairSchedule
	Ring      string
	RequestID string
}

func newCmdSchedule(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.GroupCommand(&cobra.Command{Use: "schedule <verb>", Short: "Manage periodic backups"})
	cmd.AddCommand(NewCmdScheduleCreate(f, nil), NewCmdScheduleList(f, nil), newCmdScheduleDelete(f))
	return cmd
}

// NewCmdScheduleCreate returns `backup schedule create`.
func NewCmdScheduleCreate(f *cmdutil.Factory, runF func(*ScheduleOptions) error) *cobra.Command {
	opts := &ScheduleOptions{}
	var every, at, spec, window string
	var keep int32
	params := &pb.BackupParams{}
	cmd := &cobra.Command{
		Use:   "create <ring> {--every <duration> [--at <HH:MM>] | --cron <expr>} [--window <HH:MM-HH:MM>] [--keep <n>] [--store <url>] [--keyspaces <k>,...]",
		Short: "Schedule periodic backups of a ring",
		Long: "Back a ring up on a schedule (--every/--at/--cron as for repair schedule create). A run due while a " +
			"backup of the ring still runs, or outside --window, is skipped with the reason shown by backup schedule list.",
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			ring := cmdutil.TrimRef("ring", args[0])
			expr, err := schedulecreate.CronExpr(cmd.Flags().Changed("every"), every, cmd.Flags().Changed("at"), at, cmd.Flags().Changed("cron"), spec)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("window") {
				if _, err := cmdutil.ParseWindow(window); err != nil {
					return cmdutil.FlagValueError("window", err)
				}
			}
			params.Keyspaces = cleanList(params.Keyspaces)
			if keep < 0 {
				return cmdutil.FlagErrorf("--keep: want 0 or more, got %d", keep)
			}
			opts.Schedule = &pb.RepairSchedule{Ring: ring, Cron: expr, Window: window, Backup: params, KeepBackups: keep}
			opts.IO, opts.Repairs, opts.Output, opts.Request = f.IOStreams, f.Repairs, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return scheduleCreateRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().StringVar(&every, "every", "", "Back up at this interval, e.g. 1d, 12h")
	cmd.Flags().StringVar(&at, "at", "", "With --every 1d or 7d: the time of day, HH:MM")
	cmd.Flags().StringVar(&spec, "cron", "", `Cron expression, e.g. "0 2 * * *"`)
	cmd.Flags().StringVar(&window, "window", "", "Daily window in which runs may start, HH:MM-HH:MM")
	cmd.Flags().Int32Var(&keep, "keep", 0, "Keep this many of the schedule's backups; older ones are deleted (default 0: keep all)")
	cmd.Flags().StringVar(&params.StoreUrl, "store", "", "Backup store URL (default: the daemon's --backup-store)")
	cmd.Flags().StringSliceVar(&params.Keyspaces, "keyspaces", nil, "Keyspaces to back up (comma-separated; default every non-system keyspace)")
	cmdutil.AddRequestIDFlag(cmd, &opts.RequestID)
	return cmd
}

func scheduleCreateRun(ctx context.Context, opts *ScheduleOptions) error {
	c, err := opts.Repairs()
	if err != nil {
		return err
	}
	var resp *pb.CreateRepairScheduleResponse
	err = cmdutil.Mutate(ctx, opts.Request, opts.RequestID, func(rctx context.Context, id string) error {
		var err error
		resp, err = c.CreateRepairSchedule(rctx, &pb.CreateRepairScheduleRequest{Schedule: opts.Schedule, RequestId: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("scheduling backups of ring %s: %w", opts.Schedule.GetRing(), err)
	}
	s := resp.GetSchedule()
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(opts.IO.Out, opts.Output, resp)
	case cmdutil.OutputName:
		return printers.PrintNames(opts.IO.Out, "schedule", s.GetId())
	}
	next := ""
	if s.GetNextRunTime() != nil {
		next = "; next run " + s.GetNextRunTime().AsTime().UTC().Format(time.RFC3339)
	}
	_, err = fmt.Fprintf(opts.IO.Out, "schedule %s created: back up ring %s to %s on %q%s\n", s.GetId(), s.GetRing(), s.GetBackup().GetStoreUrl(), s.GetCron(), next)
	return err
}

// NewCmdScheduleList returns `backup schedule list`.
func NewCmdScheduleList(f *cmdutil.Factory, runF func(*ScheduleOptions) error) *cobra.Command {
	opts := &ScheduleOptions{}
	cmd := &cobra.Command{
		Use:     "list [--ring <ring>]",
		Aliases: []string{"ls"},
		Short:   "List backup schedules",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", opts.Ring)
			opts.IO, opts.Repairs, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Repairs, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return scheduleListRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.AllOutputs...)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Only the schedules of this ring")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	return cmd
}

func scheduleListRun(ctx context.Context, opts *ScheduleOptions) error {
	c, err := opts.Repairs()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.ListRepairSchedules(rctx, &pb.ListRepairSchedulesRequest{Ring: opts.Ring})
	if err != nil {
		return fmt.Errorf("listing backup schedules: %w", err)
	}
	out := &pb.ListRepairSchedulesResponse{}
	var names []string
	for _, s := range resp.GetSchedules() {
		if s.GetBackup() != nil {
			out.Schedules = append(out.Schedules, s)
			names = append(names, s.GetId())
		}
	}
	return printers.List(opts.IO.Out, opts.Output, out, "schedule", names, func() printers.Table {
		t := printers.Table{Header: []string{"SCHEDULE", "RING", "CRON", "WINDOW", "KEEP", "STORE", "KEYSPACES", "LAST BACKUP", "NEXT RUN", "LAST SKIP"}}
		for _, s := range out.GetSchedules() {
			next := "-"
			if s.GetNextRunTime() != nil {
				next = s.GetNextRunTime().AsTime().UTC().Format(time.RFC3339)
			}
			keep := "all"
			if s.GetKeepBackups() > 0 {
				keep = fmt.Sprint(s.GetKeepBackups())
			}
			t.Rows = append(t.Rows, []string{s.GetId(), s.GetRing(), s.GetCron(), printers.Dash(s.GetWindow()), keep, s.GetBackup().GetStoreUrl(),
				printers.Dash(strings.Join(s.GetBackup().GetKeyspaces(), ",")), printers.Dash(s.GetLastRunOperationId()), next, printers.Dash(s.GetLastSkipReason())})
		}
		return t
	})
}

func newCmdScheduleDelete(f *cmdutil.Factory) *cobra.Command {
	var requestID string
	cmd := &cobra.Command{
		Use:   "delete <schedule-id>",
		Short: "Delete a backup schedule (a backup it started goes on)",
		Args:  cmdutil.ExactArgs(1, "a schedule ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := cmdutil.TrimRef("schedule", args[0])
			c, err := f.Repairs()
			if err != nil {
				return err
			}
			err = cmdutil.Mutate(cmd.Context(), f.RequestContext, requestID, func(rctx context.Context, rid string) error {
				_, err := c.DeleteRepairSchedule(rctx, &pb.DeleteRepairScheduleRequest{Id: id, RequestId: rid})
				return err
			})
			if err != nil {
				return fmt.Errorf("deleting schedule %s: %w", id, err)
			}
			_, err = fmt.Fprintf(f.IOStreams.Out, "schedule %s deleted\n", id)
			return err
		},
	}
	cmdutil.AddRequestIDFlag(cmd, &requestID)
	return cmd
}
