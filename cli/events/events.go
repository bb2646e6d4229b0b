package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// maxLimit is the most events one list returns.
const maxLimit = 5000

// EventsOptions are events' inputs.
type EventsOptions struct {
	IO      *iostreams.IOStreams
	Events  func() (pb.EventServiceClient, error)
	Now     func() time.Time
	Output  string
	Request func(context.Context) (context.Context, context.CancelFunc)
	Ring    string
	// Since, if > 0, keeps only events younger than this.
	Since time.Duration
	Limit int32
	Watch bool
}

// NewCmdEvents returns `events`.
func NewCmdEvents(f *cmdutil.Factory, runF func(*EventsOptions) error) *cobra.Command {
	opts := &EventsOptions{}
	var since string
	cmd := &cobra.Command{
		Use:   "events [--ring <ring>] [--since <duration>] [--watch]",
		Short: "List what happened to rings, nodes and operations",
		Long: `List the daemon's events, oldest first, like kubectl get events: task state changes, nodes
going up, down or lost, operations started, blocked and ended, repairs started and finished, with
their reasons. TYPE is Normal or Warning; OBJECT is ring/<ring>, node/<node> or op/<id>. With
--watch the recorded events are followed by each new one as it happens (until interrupted); with
-o json|yaml each watched event is printed as its own document. Needs the viewer role.`,
		Example: "  cassmesos events\n  cassmesos events --ring demo --since 1h\n  cassmesos events --ring demo --watch\n  cassmesos events -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ring = cmdutil.TrimRef("ring", opts.Ring)
			opts.Since = 0
			if since != "" {
				d, err := cmdutil.ParseDuration(since)
				if err != nil || d <= 0 {
					if err == nil {
						err = fmt.Errorf("%q: want a duration > 0, e.g. 30m, 1h, 7d", since)
					}
					return cmdutil.FlagValueError("since", err)
				}
				opts.Since = d
			}
			if opts.Limit < 0 || opts.Limit > maxLimit {
				return cmdutil.FlagErrorf("--limit: want a number from 0 (default 500) to %d, got %d", maxLimit, opts.Limit)
			}
			if opts.Watch && opts.Limit != 0 {
				return cmdutil.FlagErrorf("--limit and --watch cannot be combined (narrow a watch with --since)")
			}
			opts.IO, opts.Events, opts.Now, opts.Output, opts.Request = f.IOStreams, f.Events, f.Now, f.Globals.Output, f.RequestContext
			if runF != nil {
				return runF(opts)
			}
			if opts.Watch {
				return watchRun(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.EnableOutput(cmd, cmdutil.OutputTable, cmdutil.OutputWide, cmdutil.OutputJSON, cmdutil.OutputYAML)
	cmd.Flags().StringVar(&opts.Ring, "ring", "", "Only events of this ring")
	cmd.Flags().StringVar(&since, "since", "", "Only events younger than this (e.g. 30m, 1h, 7d)")
	cmd.Flags().Int32Var(&opts.Limit, "limit", 0, "At most this many events, the newest (default 500, at most 5000)")
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "After the recorded events, follow new ones until interrupted")
	cmdutil.RegisterRingFlagCompletion(f, cmd)
	return cmd
}

func (o *EventsOptions) since() *timestamppb.Timestamp {
	if o.Since <= 0 {
		return nil
	}
	return timestamppb.New(o.Now().Add(-o.Since))
}

func listRun(ctx context.Context, opts *EventsOptions) error {
	c, err := opts.Events()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.ListEvents(rctx, &pb.ListEventsRequest{Ring: opts.Ring, Since: opts.since(), Limit: opts.Limit})
	if err != nil {
		return fmt.Errorf("listing events: %w", err)
	}
	if len(resp.GetEvents()) == 0 && opts.IO.IsStdoutTTY() && !cmdutil.IsStructured(opts.Output) {
		fmt.Fprintln(opts.IO.ErrOut, "No events.")
	}
	names := make([]string, len(resp.GetEvents()))
	for i, e := range resp.GetEvents() {
		names[i] = e.GetId()
	}
	return printers.List(opts.IO.Out, opts.Output, resp, "event", names, func() printers.Table {
		return EventTable(resp.GetEvents(), opts.Now(), opts.Output == cmdutil.OutputWide)
	})
}

// watchRun prints the recorded events, then each new one, until ctx ends (exit 0) or the stream
// fails.
func watchRun(ctx context.Context, opts *EventsOptions) error {
	c, err := opts.Events()
	if err != nil {
		return err
	}
	stream, err := c.WatchEvents(ctx, &pb.WatchEventsRequest{Ring: opts.Ring, Since: opts.since()})
	if err != nil {
		return fmt.Errorf("watching events: %w", err)
	}
	wide := opts.Output == cmdutil.OutputWide
	header := false
	for {
		m, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil || status.Code(err) == codes.Canceled {
				return nil
			}
			return fmt.Errorf("watching events: %w", err)
		}
		ev := m.GetEvent()
		switch opts.Output {
		case cmdutil.OutputJSON:
			err = printers.PrintMessage(opts.IO.Out, opts.Output, ev)
		case cmdutil.OutputYAML:
			if _, err = io.WriteString(opts.IO.Out, "---\n"); err == nil {
				err = printers.PrintMessage(opts.IO.Out, opts.Output, ev)
			}
		default:
			if !header {
				_, err = fmt.Fprintln(opts.IO.Out, watchLine(headerRow(wide), wide))
				header = true
			}
			if err == nil {
				_, err = fmt.Fprintln(opts.IO.Out, watchLine(eventRow(ev, opts.Now(), wide), wide))
			}
		}
		if err != nil {
			return err
		}
	}
}

// watchWidths are the fixed column widths of watched lines (rows come one at a time, so they
// cannot be aligned on the widest value); the last column is unpadded.
var watchWidths = []int{9, 7, 24, 36}

func watchLine(row []string, wide bool) string {
	widths := watchWidths
	if wide {
		widths = []int{20, 9, 7, 24, 36, 12, 14}
	}
	var b strings.Builder
	for i, c := range row {
		if i < len(widths) && i < len(row)-1 {
			fmt.Fprintf(&b, "%-*s  ", widths[i], c)
		} else {
			b.WriteString(c)
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func headerRow(wide bool) []string {
	if wide {
		return []string{"TIME", "LAST SEEN", "TYPE", "REASON", "OBJECT", "RING", "ID", "MESSAGE"}
	}
	return []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}
}

// EventType is the kubectl spelling of an event type: Normal or Warning.
func EventType(t pb.EventType) string {
	switch t {
	case pb.EventType_EVENT_TYPE_NORMAL:
		return "Normal"
	case pb.EventType_EVENT_TYPE_WARNING:
		return "Warning"
	}
	return "-"
}

// EventObject is what an event is about: op/<id>, node/<node> or ring/<ring>.
func EventObject(e *pb.Event) string {
	switch {
	case e.GetOperation() != "":
		return "op/" + e.GetOperation()
	case e.GetNode() != "":
		return "node/" + e.GetNode()
	case e.GetRing() != "":
		return "ring/" + e.GetRing()
	}
	return "-"
}

func eventRow(e *pb.Event, now time.Time, wide bool) []string {
	row := []string{printers.Age(e.GetTime(), now), EventType(e.GetType()), printers.Dash(e.GetReason()),
		printers.Dash(EventObject(e)), printers.Dash(e.GetMessage())}
	if wide {
		when := "-"
		if e.GetTime() != nil {
			when = e.GetTime().AsTime().UTC().Format(time.RFC3339)
		}
		row = append([]string{when}, row[:4]...)
		row = append(row, printers.Dash(e.GetRing()), printers.Dash(e.GetId()), printers.Dash(e.GetMessage()))
	}
	return row
}

// EventTable is events, oldest first. wide adds TIME, RING and ID.
func EventTable(evs []*pb.Event, now time.Time, wide bool) printers.Table {
	t := printers.Table{Header: headerRow(wide)}
	for _, e := range evs {
		t.Rows = append(t.Rows, eventRow(e, now, wide))
	}
	return t
}
