package printers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// NodeTable is the node table of ring status and node list. wide adds PHASE, TASK, JMX (the
// node's JMX port), RACK, DC, LOAD, RESTARTS and SEEN (StateSeen); withRing adds a RING column
// after NAME. When the nodes are in more than one data centre, the narrow table has a DC column
// after STATE too.
func NodeTable(nodes []*pb.Node, now time.Time, wide, withRing bool) Table {
	dcs := map[string]bool{}
	for _, n := range nodes {
		if n.GetDatacenter() != "" {
			dcs[n.GetDatacenter()] = true
		}
	}
	dcCol := !wide && len(dcs) > 1
	h := []string{"NAME"}
	if withRing {
		h = append(h, "RING")
	}
	h = append(h, "ADDRESS", "STATE")
	if dcCol {
		h = append(h, "DC")
	}
	h = append(h, "SEED", "AGENT", "HOST ID")
	if wide {
		h = append(h, "PHASE", "TASK", "JMX", "RACK", "DC", "LOAD", "RESTARTS", "SEEN")
	}
	h = append(h, "AGE")
	t := Table{Header: h}
	for _, n := range nodes {
		r := []string{n.GetName()}
		if withRing {
			r = append(r, n.GetRing())
		}
		r = append(r, Dash(n.GetAddress()), NodeState(n))
		if dcCol {
			r = append(r, Dash(n.GetDatacenter()))
		}
		r = append(r, YesNo(n.GetSeed()), Dash(n.GetHostname()), Dash(n.GetHostId()))
		if wide {
			r = append(r, NodePhase(n.GetPhase()), Dash(n.GetTaskId()), Port(n.GetJmxPort()), Dash(n.GetRack()), Dash(n.GetDatacenter()),
				Bytes(n.GetLoadBytes()), strconv.Itoa(int(n.GetRestarts())), StateSeen(n, now))
		}
		r = append(r, Age(n.GetCreateTime(), now))
		t.Rows = append(t.Rows, r)
	}
	return t
}

// RingTable is the table of ring list. wide adds VERSION, CPUS, MEM and OPERATION.
func RingTable(rings []*pb.Ring, now time.Time, wide bool) Table {
	h := []string{"NAME", "PHASE", "READY", "SEEDS"}
	if wide {
		h = append(h, "VERSION", "CPUS", "MEM", "OPERATION")
	}
	h = append(h, "AGE")
	t := Table{Header: h}
	for _, r := range rings {
		s, st := r.GetSpec(), r.GetStatus()
		row := []string{s.GetName(), RingPhase(st.GetPhase()),
			fmt.Sprintf("%d/%d", st.GetReadyNodes(), st.GetTotalNodes()), strconv.Itoa(int(s.GetSeeds()))}
		if wide {
			row = append(row, Dash(DistributionString(s.GetDistribution())),
				strconv.FormatFloat(s.GetResources().GetCpus(), 'g', -1, 64),
				fmt.Sprintf("%dMi", s.GetResources().GetMemMb()), Dash(st.GetActiveOperationId()))
		}
		row = append(row, Age(r.GetCreateTime(), now))
		t.Rows = append(t.Rows, row)
	}
	return t
}

// DistributionString is the version, else the URL, of a distribution.
func DistributionString(d *pb.Distribution) string {
	if d.GetVersion() != "" {
		return d.GetVersion()
	}
	return d.GetUrl()
}

// OperationTable is the table of op list and repair list. wide adds BLOCKED, ORIGIN and ERROR.
func OperationTable(ops []*pb.Operation, now time.Time, wide bool) Table {
	h := []string{"ID", "KIND", "RING", "PHASE", "PROGRESS"}
	if wide {
		h = append(h, "NODES", "ORIGIN", "BLOCKED", "ERROR")
	}
	h = append(h, "AGE")
	t := Table{Header: h}
	for _, o := range ops {
		phase := OperationPhase(o.GetPhase())
		if o.GetCancelRequested() && !IsTerminal(o.GetPhase()) {
			phase += " (cancelling)"
		}
		row := []string{o.GetId(), OperationKind(o.GetKind()), o.GetRing(), phase, Progress(o.GetProgress())}
		if wide {
			row = append(row, Dash(strings.Join(o.GetParams().GetNodes(), ",")), Dash(o.GetOrigin()),
				Dash(o.GetBlockedReason()), Dash(o.GetError()))
		}
		row = append(row, Age(o.GetCreateTime(), now))
		t.Rows = append(t.Rows, row)
	}
	return t
}

// StepTable is the steps of one operation. wide adds LAST ERROR.
func StepTable(steps []*pb.Step, now time.Time, wide bool) Table {
	h := []string{"STEP", "NODE", "PHASE", "ATTEMPTS", "MESSAGE", "DURATION"}
	if wide {
		h = append(h, "LAST ERROR")
	}
	t := Table{Header: h}
	for _, s := range steps {
		dur := "-"
		if s.GetStartTime() != nil {
			end := now
			if s.GetEndTime() != nil {
				end = s.GetEndTime().AsTime()
			}
			dur = ShortDuration(end.Sub(s.GetStartTime().AsTime()))
		}
		row := []string{s.GetName(), Dash(s.GetNode()), StepPhase(s.GetPhase()), strconv.Itoa(int(s.GetAttempts())),
			Dash(s.GetMessage()), dur}
		if wide {
			row = append(row, Dash(s.GetLastError()))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// SegmentTable is the segments of one repair. wide adds the tokens and replicas.
func SegmentTable(segs []*pb.RepairSegment, wide bool) Table {
	h := []string{"SEGMENT", "COORDINATOR", "PHASE", "ATTEMPTS", "LAST ERROR"}
	if wide {
		h = append(h, "START TOKEN", "END TOKEN", "REPLICAS")
	}
	t := Table{Header: h}
	for _, s := range segs {
		row := []string{strconv.Itoa(int(s.GetIndex())), Dash(s.GetCoordinator()), StepPhase(s.GetPhase()),
			strconv.Itoa(int(s.GetAttempts())), Dash(s.GetLastError())}
		if wide {
			row = append(row, s.GetStartToken(), s.GetEndToken(), strings.Join(s.GetReplicas(), ","))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// ScheduleTable is the table of repair schedule list.
func ScheduleTable(ss []*pb.RepairSchedule, now time.Time, wide bool) Table {
	h := []string{"ID", "RING", "CRON", "WINDOW", "NEXT RUN", "LAST RUN"}
	if wide {
		h = append(h, "LAST OPERATION", "LAST SKIP")
	}
	h = append(h, "AGE")
	t := Table{Header: h}
	for _, s := range ss {
		next := "-"
		if s.GetNextRunTime() != nil {
			next = s.GetNextRunTime().AsTime().UTC().Format(time.RFC3339)
		}
		last := "-"
		if s.GetLastRunTime() != nil {
			last = Age(s.GetLastRunTime(), now) + " ago"
		}
		row := []string{s.GetId(), s.GetRing(), s.GetCron(), Dash(s.GetWindow()), next, last}
		if wide {
			row = append(row, Dash(s.GetLastRunOperationId()), Dash(s.GetLastSkipReason()))
		}
		row = append(row, Age(s.GetCreateTime(), now))
		t.Rows = append(t.Rows, row)
	}
	return t
}

// AuditTable is audit events, newest first. wide adds VIA, PEER and TARGET.
func AuditTable(evs []*pb.AuditEvent, wide bool) Table {
	h := []string{"TIME", "USER", "ROLE", "METHOD", "RING", "NODE", "OUTCOME"}
	if wide {
		h = append(h, "VIA", "PEER", "TARGET", "MESSAGE")
	}
	t := Table{Header: h}
	for _, e := range evs {
		when := "-"
		if e.GetTime() != nil {
			when = e.GetTime().AsTime().UTC().Format(time.RFC3339)
		}
		method := e.GetMethod()
		if i := strings.LastIndexByte(method, '/'); i >= 0 {
			method = method[i+1:]
		}
		row := []string{when, Dash(e.GetIdentity()), Dash(e.GetRole()), Dash(method), Dash(e.GetRing()),
			Dash(e.GetNode()), Dash(e.GetCode())}
		if wide {
			row = append(row, Dash(e.GetVia()), Dash(e.GetPeer()), Dash(e.GetTargetId()), Dash(e.GetMessage()))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
