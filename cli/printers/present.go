package printers

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// NodeState is the two-letter state nodetool status shows: liveness (U/D) and mode (N/J/L/M),
// '?' where unknown, and "-" when nothing is known yet (a slot still waiting to launch).
func NodeState(n *pb.Node) string {
	l := "?"
	switch n.GetLiveness() {
	case pb.Liveness_LIVENESS_UP:
		l = "U"
	case pb.Liveness_LIVENESS_DOWN:
		l = "D"
	}
	m := "?"
	switch n.GetMode() {
	case pb.CassandraMode_CASSANDRA_MODE_NORMAL:
		m = "N"
	case pb.CassandraMode_CASSANDRA_MODE_JOINING, pb.CassandraMode_CASSANDRA_MODE_STARTING:
		m = "J"
	case pb.CassandraMode_CASSANDRA_MODE_LEAVING, pb.CassandraMode_CASSANDRA_MODE_DECOMMISSIONED:
		m = "L"
	case pb.CassandraMode_CASSANDRA_MODE_MOVING:
		m = "M"
	}
	if l == "?" && m == "?" {
		return "-"
	}
	return l + m
}

// StateSeen says where a node's STATE comes from and how old it is: "live 2s" (the leader
// observed it 2s ago), "recorded 12m" (the state recorded in ZooKeeper, last changed 12m ago: a
// new leader's view until the node reports again), "-" when the daemon does not say.
func StateSeen(n *pb.Node, now time.Time) string {
	var src string
	switch n.GetStateSource() {
	case pb.NodeStateSource_NODE_STATE_SOURCE_LIVE:
		src = "live"
	case pb.NodeStateSource_NODE_STATE_SOURCE_RECORDED:
		src = "recorded"
	default:
		return "-"
	}
	if t := n.GetStateTime(); t != nil && t.IsValid() && !t.AsTime().IsZero() {
		return src + " " + ShortDuration(now.Sub(t.AsTime()))
	}
	return src
}

func enumName(full, prefix string) string {
	if strings.HasSuffix(full, "_UNSPECIFIED") {
		return "-"
	}
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(full, prefix)), "_", "-")
}

// NodePhase is the CLI spelling of a node phase ("running").
func NodePhase(p pb.NodePhase) string { return enumName(p.String(), "NODE_PHASE_") }

// RingPhase is the CLI spelling of a ring phase ("healthy").
func RingPhase(p pb.RingPhase) string { return enumName(p.String(), "RING_PHASE_") }

// OperationPhase is the CLI spelling of an operation phase ("running").
func OperationPhase(p pb.OperationPhase) string { return enumName(p.String(), "OPERATION_PHASE_") }

// OperationKind is the CLI spelling of an operation kind ("create-ring").
func OperationKind(k pb.OperationKind) string { return enumName(k.String(), "OPERATION_KIND_") }

// StepPhase is the CLI spelling of a step phase ("done").
func StepPhase(p pb.StepPhase) string { return enumName(p.String(), "STEP_PHASE_") }

// IsTerminal reports whether an operation phase is final.
func IsTerminal(p pb.OperationPhase) bool {
	return p == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED || p == pb.OperationPhase_OPERATION_PHASE_FAILED ||
		p == pb.OperationPhase_OPERATION_PHASE_CANCELLED
}

// Age is a kubectl-style age of t at now: "45s", "12m", "5h", "3d", "-" when unset.
func Age(t *timestamppb.Timestamp, now time.Time) string {
	if t == nil || !t.IsValid() || t.AsTime().IsZero() {
		return "-"
	}
	return ShortDuration(now.Sub(t.AsTime()))
}

// ShortDuration formats d in its largest unit (kubectl's style), "0s" for negatives.
func ShortDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// Bytes formats a byte count in binary units ("1.5 GiB"), "-" when negative (unknown).
func Bytes(n int64) string {
	if n < 0 {
		return "-"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// Progress is "done/total", or "-" when there is no total.
func Progress(p *pb.Progress) string {
	if p.GetTotal() == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", p.GetDone(), p.GetTotal())
}

// Port is a port number, or "-" when it is 0 (unknown).
func Port(p uint32) string {
	if p == 0 {
		return "-"
	}
	return strconv.FormatUint(uint64(p), 10)
}

// Dash returns s cleaned (see Clean), or "-" when it is empty.
func Dash(s string) string {
	if s = Clean(s); s == "" {
		return "-"
	}
	return s
}

// Clean makes text from the server safe for one line of a terminal: control characters (escape
// sequences included) are dropped and runs of white space become one space.
func Clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// YesNo renders a bool as "yes" or "no".
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
