package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/printers"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// autoRepairRun prints a ring's repair engine and its nodes' Auto Repair state.
func autoRepairRun(ctx context.Context, opts *StatusOptions) error {
	c, err := opts.Repairs()
	if err != nil {
		return err
	}
	rctx, cancel := opts.Request(ctx)
	defer cancel()
	resp, err := c.GetAutoRepairStatus(rctx, &pb.GetAutoRepairStatusRequest{Ring: opts.Ring})
	if err != nil {
		return fmt.Errorf("auto repair of ring %s: %w", opts.Ring, err)
	}
	out := opts.IO.Out
	switch opts.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(out, opts.Output, resp)
	case cmdutil.OutputName:
		return printers.PrintNames(out, "ring", opts.Ring)
	}
	return PrintAutoRepair(out, opts.Ring, resp, opts.Now())
}

// PrintAutoRepair writes the human form of a GetAutoRepairStatus answer.
func PrintAutoRepair(out interface{ Write([]byte) (int, error) }, ring string, resp *pb.GetAutoRepairStatusResponse, now time.Time) error {
	if resp.GetEngine() != pb.RepairEngine_REPAIR_ENGINE_CASSANDRA {
		_, err := fmt.Fprintf(out, "Ring %s is repaired by cassmesos (repair engine cassmesos): see `cassmesos repair list --ring %s`.\n", ring, ring)
		return err
	}
	fmt.Fprintf(out, "Ring %s is repaired by Cassandra's Auto Repair (repair engine cassandra).\n\n", ring)
	t := printers.Table{Header: []string{"NODE", "SCHEDULER", "ENABLED TYPES", "PAUSED TYPES", "MIN INTERVAL", "IN PROGRESS"}}
	for _, n := range resp.GetNodes() {
		if n.GetError() != "" {
			t.Rows = append(t.Rows, []string{n.GetNode(), "?", "", "", "", "error: " + n.GetError()})
			continue
		}
		st := n.GetState()
		sched := "off"
		if st.GetSchedulerEnabled() {
			sched = "on"
		}
		var on, off, intervals, active []string
		for _, ts := range st.GetTypes() {
			if ts.GetEnabled() {
				on = append(on, ts.GetRepairType())
				if ts.GetMinRepairInterval() != "" {
					intervals = append(intervals, ts.GetRepairType()+"="+ts.GetMinRepairInterval())
				}
			} else {
				off = append(off, ts.GetRepairType())
			}
			for _, h := range ts.GetActiveHostIds() {
				active = append(active, ts.GetRepairType()+":"+h)
			}
		}
		t.Rows = append(t.Rows, []string{n.GetNode(), sched, dash(on), dash(off), dash(intervals), dash(active)})
	}
	if err := printers.RenderTable(out, t); err != nil {
		return err
	}
	if len(resp.GetPauses()) == 0 {
		return nil
	}
	fmt.Fprintln(out, "\nPauses around topology changes:")
	p := printers.Table{Header: []string{"OPERATION", "PHASE", "PAUSED", "RESUMED", "LAST ERROR"}}
	for _, ps := range resp.GetPauses() {
		p.Rows = append(p.Rows, []string{ps.GetOperationId(), ps.GetPhase(), ago(ps.GetPausedTime().AsTime(), ps.GetPausedTime() != nil, now),
			ago(ps.GetResumedTime().AsTime(), ps.GetResumedTime() != nil, now), ps.GetLastError()})
	}
	return printers.RenderTable(out, p)
}

func dash(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

func ago(t time.Time, set bool, now time.Time) string {
	if !set {
		return "-"
	}
	return now.Sub(t).Round(time.Second).String() + " ago"
}
