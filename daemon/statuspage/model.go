package statuspage

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Page is everything the status page shows (also served as JSON at /status.json).
type Page struct {
	Generated time.Time `json:"generated"`
	// Leader is false on a standby, which knows no ring state; LeaderAddress says where to look.
	Leader        bool    `json:"leader"`
	LeaderAddress string  `json:"leader_address,omitempty"`
	Rings         []Ring  `json:"rings"`
	Events        []Event `json:"events"`
	// EventsError says why no events are shown (the log could not be read).
	EventsError string `json:"events_error,omitempty"`
}

// Ring is one ring: its token-ring picture, its nodes and its operations.
type Ring struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
	Ready int32  `json:"ready"`
	Total int32  `json:"total"`
	// Placement says how nodes are placed on the circle ("evenly spaced in ordinal order: token
	// values are not recorded").
	Placement  string      `json:"placement"`
	Warnings   []string    `json:"warnings,omitempty"`
	Nodes      []Node      `json:"nodes"`
	Operations []Operation `json:"operations"`
}

// Node is one node as the page draws it.
type Node struct {
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
	Seed    bool   `json:"seed"`
	// State is what a person reads: UN, UJ, UL, UM, DN, ..., "lost", "replacing" or "pending".
	State string `json:"state"`
	// Class is the colour class: un, uj, ul, dn, lost, replacing or pending.
	Class   string `json:"class"`
	Phase   string `json:"phase"`
	Message string `json:"message,omitempty"`
	// The node's place on the picture (SVG user units).
	X      float64 `json:"-"`
	Y      float64 `json:"-"`
	LabelX float64 `json:"-"`
	LabelY float64 `json:"-"`
	Anchor string  `json:"-"`
}

// Operation is a running (or recently ended) operation.
type Operation struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	Phase    string    `json:"phase"`
	Blocked  string    `json:"blocked,omitempty"`
	Error    string    `json:"error,omitempty"`
	Done     int64     `json:"done"`
	Total    int64     `json:"total"`
	Percent  int       `json:"percent"`
	Steps    []Step    `json:"steps,omitempty"`
	Segments []Segment `json:"segments,omitempty"`
	// SegmentsShown < len(all segments) when the picture leaves some out.
	SegmentsTotal int `json:"segments_total,omitempty"`
}

// Step is one step of an operation.
type Step struct {
	Name    string `json:"name"`
	Phase   string `json:"phase"`
	Message string `json:"message,omitempty"`
}

// Segment is one repair segment.
type Segment struct {
	Index       int32  `json:"index"`
	Range       string `json:"range"`
	Phase       string `json:"phase"`
	Coordinator string `json:"coordinator,omitempty"`
	Error       string `json:"error,omitempty"`
}

// Event is one event of the log.
type Event struct {
	Time    time.Time `json:"time"`
	Age     string    `json:"age"`
	Type    string    `json:"type"`
	Reason  string    `json:"reason"`
	Object  string    `json:"object"`
	Message string    `json:"message"`
}

// Picture geometry.
const (
	picSize   = 360.0
	picCenter = picSize / 2
	picRadius = 120.0
	// maxSegments is how many repair segments one operation's picture shows.
	maxSegments = 2048
	// endedShown is how many ended operations of a ring are shown after the running ones.
	endedShown = 3
)

func lower(full, prefix string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(full, prefix)), "_", "-")
}

// nodeState is what a person reads and its colour class.
func nodeState(n *statev1.NodeRecord) (string, string) {
	switch n.GetPhase() {
	case cassmesosv1.NodePhase_NODE_PHASE_LOST:
		return "lost", "lost"
	case cassmesosv1.NodePhase_NODE_PHASE_REPLACING:
		return "replacing", "replacing"
	}
	code := plan.NodeStateCode(n)
	switch {
	case code == "-":
		return "pending", "pending"
	case strings.HasPrefix(code, "D"):
		return code, "dn"
	case code == "UN":
		return code, "un"
	case code == "UL" || code == "UM":
		return code, "ul"
	}
	return code, "uj"
}

// build makes the page from the leader's state.
func build(st *plan.State, now time.Time) []Ring {
	names := make([]string, 0, len(st.Rings))
	for n := range st.Rings {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Ring
	for _, name := range names {
		rec := st.Rings[name]
		r := Ring{Name: name, Phase: lower(rec.GetStatus().GetPhase().String(), "RING_PHASE_"),
			Ready: rec.GetStatus().GetReadyNodes(), Total: rec.GetStatus().GetTotalNodes(), Warnings: rec.GetStatus().GetWarnings(),
			Placement: "nodes evenly spaced in ordinal order (token values are not recorded)"}
		nodes := st.RingNodes(name)
		for i, n := range nodes {
			state, class := nodeState(n)
			a := 2*math.Pi*float64(i)/float64(len(nodes)) - math.Pi/2 // the first node at the top
			x, y := picCenter+picRadius*math.Cos(a), picCenter+picRadius*math.Sin(a)
			lx, ly := picCenter+(picRadius+30)*math.Cos(a), picCenter+(picRadius+30)*math.Sin(a)+4
			anchor := "middle"
			if math.Cos(a) > 0.3 {
				anchor = "start"
			} else if math.Cos(a) < -0.3 {
				anchor = "end"
			}
			r.Nodes = append(r.Nodes, Node{Name: n.GetName(), Address: n.GetAddress(), Seed: n.GetSeed(), State: state, Class: class,
				Phase: lower(n.GetPhase().String(), "NODE_PHASE_"), Message: n.GetMessage(),
				X: round(x), Y: round(y), LabelX: round(lx), LabelY: round(ly), Anchor: anchor})
		}
		r.Operations = operations(st, name)
		out = append(out, r)
	}
	return out
}

func round(v float64) float64 { return math.Round(v*10) / 10 }

func terminal(p cassmesosv1.OperationPhase) bool {
	return p == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED || p == cassmesosv1.OperationPhase_OPERATION_PHASE_FAILED ||
		p == cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED
}

// operations are the ring's unfinished operations (oldest first), then its last few ended ones.
func operations(st *plan.State, ring string) []Operation {
	var active, ended []*statev1.OperationRecord
	for _, o := range st.Operations {
		if o.GetOperation().GetRing() != ring {
			continue
		}
		if terminal(o.GetOperation().GetPhase()) {
			ended = append(ended, o)
		} else {
			active = append(active, o)
		}
	}
	sort.Slice(active, func(i, j int) bool { return active[i].GetOperation().GetId() < active[j].GetOperation().GetId() })
	sort.Slice(ended, func(i, j int) bool { return ended[i].GetOperation().GetId() > ended[j].GetOperation().GetId() })
	if len(ended) > endedShown {
		ended = ended[:endedShown]
	}
	var out []Operation
	for _, rec := range append(active, ended...) {
		o := rec.GetOperation()
		op := Operation{ID: o.GetId(), Kind: lower(o.GetKind().String(), "OPERATION_KIND_"), Phase: lower(o.GetPhase().String(), "OPERATION_PHASE_"),
			Blocked: o.GetBlockedReason(), Error: o.GetError(), Done: o.GetProgress().GetDone(), Total: o.GetProgress().GetTotal()}
		if op.Total > 0 {
			op.Percent = int(100 * op.Done / op.Total)
		}
		if o.GetKind() != cassmesosv1.OperationKind_OPERATION_KIND_REPAIR {
			for _, s := range o.GetSteps() {
				op.Steps = append(op.Steps, Step{Name: s.GetName(), Phase: lower(s.GetPhase().String(), "STEP_PHASE_"), Message: s.GetMessage()})
			}
		}
		segs := st.Segments[o.GetId()]
		idx := make([]int32, 0, len(segs))
		for i := range segs {
			idx = append(idx, i)
		}
		sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
		op.SegmentsTotal = len(idx)
		for _, i := range idx[:min(len(idx), maxSegments)] {
			g := segs[i].GetSegment()
			op.Segments = append(op.Segments, Segment{Index: g.GetIndex(), Range: fmt.Sprintf("(%s, %s]", g.GetStartToken(), g.GetEndToken()),
				Phase: lower(g.GetPhase().String(), "STEP_PHASE_"), Coordinator: g.GetCoordinator(), Error: g.GetLastError()})
		}
		out = append(out, op)
	}
	return out
}

// eventsOf converts events, newest first.
func eventsOf(evs []*cassmesosv1.Event, now time.Time) []Event {
	out := make([]Event, 0, len(evs))
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		obj := "ring/" + e.GetRing()
		switch {
		case e.GetOperation() != "":
			obj = "op/" + e.GetOperation()
		case e.GetNode() != "":
			obj = "node/" + e.GetNode()
		}
		typ := "Normal"
		if e.GetType() == cassmesosv1.EventType_EVENT_TYPE_WARNING {
			typ = "Warning"
		}
		t := e.GetTime().AsTime()
		out = append(out, Event{Time: t, Age: age(now.Sub(t)), Type: typ, Reason: e.GetReason(), Object: obj, Message: e.GetMessage()})
	}
	return out
}

func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
