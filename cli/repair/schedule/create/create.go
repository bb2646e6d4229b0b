package create

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	"github.com/cassmesos/cassmesos/cli/repair/repairflags"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// CreateOptions are repair schedule create's inputs.
type CreateOptions struct {
	IO       *iostreams.IOStreams
	Repairs  func() (pb.RepairServiceClient, error)
	Output   string
	Request  func(context.Context) (context.Context, context.CancelFunc)
	Schedule *pb.RepairSchedule
	// RequestID is --request-id ("": a fresh random ID).
	RequestID string
}

// NewCmdCreate returns `repair schedule create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{}
	var (
		flags                   repairflags.Flags
		every, at, spec, window string
	)
	cmd := &cobra.Command{
		Use:   "create <ring> {--every <duration> [--at <HH:MM>] | --cron <expr>} [--window <HH:MM-HH:MM>] [flags]",
		Short: "Schedule periodic repairs of a ring",
		Long: `Schedule repair runs of a ring. Give either --cron, a standard 5-field cron expression (or a
descriptor such as @daily), or --every:

  --every 7d --at 02:00   becomes the cron expression "0 2 * * 0" (Sundays at 02:00)
  --every 1d --at 02:00   becomes "0 2 * * *" (every day at 02:00)
  --every 36h             becomes "@every 36h" (measured from when the daemon loads the schedule)

--at is accepted only with --every 1d or 7d; for anything else write the --cron expression.
Times are in the daemon's time zone. --window limits when a due run may start; a run that is due
outside its window, or while a repair of the ring is still running, is skipped and the skip reason
shown by repair schedule list.`,
		Example: `  cassmesos repair schedule create demo --every 7d --at 02:00 --window 01:00-06:00 --parallel 2
  cassmesos repair schedule create demo --cron "0 3 * * 1-5" --keyspace shop --incremental`,
		Args:              cmdutil.ExactArgs(1, "a ring name"),
		ValidArgsFunction: cmdutil.CompleteRingNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			ring := cmdutil.TrimRef("ring", args[0])
			expr, err := CronExpr(cmd.Flags().Changed("every"), every, cmd.Flags().Changed("at"), at, cmd.Flags().Changed("cron"), spec)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("window") {
				if _, err := cmdutil.ParseWindow(window); err != nil {
					return cmdutil.FlagValueError("window", err)
				}
			}
			p, err := flags.Params(cmd)
			if err != nil {
				return err
			}
			opts.Schedule = &pb.RepairSchedule{Ring: ring, Cron: expr, Window: window, Params: p}
			opts.IO, opts.Repairs, opts.Output, opts.Request = f.IOStreams, f.Repairs, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	cmd.Flags().StringVar(&every, "every", "", "Repair at this interval, e.g. 7d, 1d, 36h")
	cmd.Flags().StringVar(&at, "at", "", "With --every 1d or 7d: the time of day, HH:MM")
	cmd.Flags().StringVar(&spec, "cron", "", `Cron expression, e.g. "0 2 * * 0"`)
	cmd.Flags().StringVar(&window, "window", "", "Daily window in which runs may start, HH:MM-HH:MM")
	flags.Register(cmd)
	cmdutil.AddRequestIDFlag(cmd, &opts.RequestID)
	return cmd
}

// CronExpr turns --every/--at or --cron into the schedule's cron expression, checked with
// robfig/cron's standard parser.
func CronExpr(everySet bool, every string, atSet bool, at string, cronSet bool, spec string) (string, error) {
	switch {
	case everySet && cronSet:
		return "", cmdutil.FlagErrorf("--every and --cron cannot be used together")
	case !everySet && !cronSet:
		return "", cmdutil.FlagErrorf("give --every or --cron")
	case atSet && !everySet:
		return "", cmdutil.FlagErrorf("--at needs --every")
	}
	var expr string
	if cronSet {
		expr = strings.TrimSpace(spec)
		if _, err := cron.ParseStandard(expr); err != nil {
			return "", cmdutil.FlagValueError("cron", fmt.Errorf("%q: %w", spec, err))
		}
		return expr, nil
	}
	d, err := cmdutil.ParseDuration(every)
	if err != nil {
		return "", cmdutil.FlagValueError("every", err)
	}
	if d < time.Minute {
		return "", cmdutil.FlagErrorf("--every: want at least 1m, got %s", every)
	}
	if atSet {
		h, m, err := cmdutil.ParseClock(at)
		if err != nil {
			return "", cmdutil.FlagValueError("at", err)
		}
		switch d {
		case 24 * time.Hour:
			expr = fmt.Sprintf("%d %d * * *", m, h)
		case 7 * 24 * time.Hour:
			expr = fmt.Sprintf("%d %d * * 0", m, h)
		default:
			return "", cmdutil.FlagErrorf("--at works with --every 1d or 7d only; for %s write a --cron expression", every)
		}
	} else {
		expr = "@every " + shortDuration(d)
	}
	if _, err := cron.ParseStandard(expr); err != nil {
		return "", cmdutil.FlagValueError("every", err)
	}
	return expr, nil
}

// shortDuration is d.String() without zero minutes and seconds ("168h", "1h30m").
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func createRun(ctx context.Context, opts *CreateOptions) error {
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
		return fmt.Errorf("scheduling repairs of ring %s: %w", opts.Schedule.GetRing(), err)
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
	_, err = fmt.Fprintf(opts.IO.Out, "schedule %s created: repair ring %s on %q%s\n", s.GetId(), s.GetRing(), s.GetCron(), next)
	return err
}
