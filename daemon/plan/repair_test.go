package plan

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ringRanges builds describering-like ranges for nodes × tokens random tokens with replicas
// the next rf distinct nodes clockwise (SimpleStrategy).
func ringRanges(rng *rand.Rand, nodes, tokens, rf int) []TokenRange {
	type tok struct {
		t    int64
		node int
	}
	var ts []tok
	seen := map[int64]bool{}
	for n := range nodes {
		for range tokens {
			t := int64(rng.Uint64())
			if seen[t] || t == math.MinInt64 {
				continue
			}
			seen[t] = true
			ts = append(ts, tok{t, n})
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].t < ts[j].t })
	var out []TokenRange
	for i := range ts {
		prev := ts[(i-1+len(ts))%len(ts)].t
		var reps []string
		used := map[int]bool{}
		for j := 0; len(reps) < min(rf, nodes); j++ {
			n := ts[(i+j)%len(ts)].node
			if !used[n] {
				used[n] = true
				reps = append(reps, fmt.Sprintf("10.0.0.%d", n+1))
			}
		}
		out = append(out, TokenRange{Start: strconv.FormatInt(prev, 10), End: strconv.FormatInt(ts[i].t, 10), Endpoints: reps})
	}
	return out
}

// checkExact checks that spans cover the whole ring exactly once.
func checkExact(t *testing.T, spans []span) {
	t.Helper()
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	if len(spans) == 0 || spans[0].lo != 0 || spans[len(spans)-1].hi != math.MaxUint64 {
		t.Fatalf("spans do not reach both ends: %v", spans)
	}
	for i := 1; i < len(spans); i++ {
		if spans[i].lo != spans[i-1].hi+1 {
			t.Fatalf("spans %v and %v overlap or leave a gap", spans[i-1], spans[i])
		}
	}
}

func TestPlanSegmentsCoverEveryTokenOnce(t *testing.T) {
	for seed := range 30 {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		nodes := 1 + rng.IntN(12)
		tokens := 1 + rng.IntN(16)
		ranges := ringRanges(rng, nodes, tokens, 3)
		target := (1 + rng.IntN(32)) * nodes
		segs, err := planSegments(ranges, nil, target)
		if err != nil {
			t.Fatal(err)
		}
		var all []span
		for _, s := range segs {
			sp := segmentSpans(s.start, s.end)
			all = append(all, sp...)
			// Every segment lies inside one range and carries its replicas.
			inside := false
			for _, r := range ranges {
				outer, _ := parseRange(r.Start, r.End)
				if containsAll(outer, sp) && strings.Join(r.Endpoints, ",") == strings.Join(s.replicas, ",") {
					inside = true
				}
			}
			if !inside {
				t.Fatalf("seed %d: segment (%s,%s] is not inside one range with its replicas", seed, s.start, s.end)
			}
		}
		checkExact(t, all)
		if len(segs) < len(ranges) || float64(len(segs)) > 1.6*float64(target)+float64(2*len(ranges)) {
			t.Errorf("seed %d: %d segments from %d ranges for a target of %d", seed, len(segs), len(ranges), target)
		}

		// Recompute after part of them is done: done + new cover the ring exactly once.
		var done []span
		for _, s := range segs {
			if rng.IntN(2) == 0 {
				done = append(done, segmentSpans(s.start, s.end)...)
			}
		}
		ranges2 := ringRanges(rand.New(rand.NewPCG(uint64(seed), 8)), nodes, tokens, 3) // a changed ring
		more, err := planSegments(ranges2, done, target)
		if err != nil {
			t.Fatal(err)
		}
		all = append([]span(nil), done...)
		for _, s := range more {
			all = append(all, segmentSpans(s.start, s.end)...)
		}
		checkExact(t, all)
	}
}

func containsAll(outer, inner []span) bool {
	for _, b := range inner {
		ok := false
		for _, a := range outer {
			if a.lo <= b.lo && b.hi <= a.hi {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func TestSixNodesSixteenTokensGiveAboutNinetySixSegments(t *testing.T) {
	ranges := ringRanges(rand.New(rand.NewPCG(1, 2)), 6, 16, 3)
	segs, err := planSegments(ranges, nil, 16*6)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 96 || len(segs) > 140 {
		t.Errorf("%d segments for 96 ranges and 16 per node", len(segs))
	}
}

func TestPlanSegmentsRefusesGarbage(t *testing.T) {
	for _, r := range []TokenRange{
		{Start: "x", End: "1", Endpoints: []string{"a"}},
		{Start: "1", End: "99999999999999999999", Endpoints: []string{"a"}},
		{Start: "1", End: "2"},
	} {
		if _, err := planSegments([]TokenRange{r}, nil, 4); err == nil {
			t.Errorf("planSegments(%v) accepted garbage", r)
		}
	}
}

func TestPickSegments(t *testing.T) {
	now := time.Unix(1000, 0)
	seg := func(i int32, reps ...string) segView { return segView{idx: i, replicas: reps} }
	allUp := func(string) bool { return true }
	cases := []struct {
		name    string
		pending []segView
		busy    map[string]time.Time
		up      func(string) bool
		slots   int
		want    []int32
		down    []string
	}{
		{"disjoint pairs", []segView{seg(0, "a", "b", "c"), seg(1, "b", "c", "d"), seg(2, "d", "e", "f")}, nil, allUp, 2, []int32{0, 2}, nil},
		{"slots bound", []segView{seg(0, "a"), seg(1, "b"), seg(2, "c")}, nil, allUp, 2, []int32{0, 1}, nil},
		{"busy replica", []segView{seg(0, "a", "b"), seg(1, "c")}, map[string]time.Time{"a": now.Add(time.Hour)}, allUp, 2, []int32{1}, nil},
		{"down replica waits", []segView{seg(0, "a", "x"), seg(1, "b")}, nil, func(a string) bool { return a != "x" }, 2, []int32{1}, []string{"x"}},
		{"backoff", []segView{{idx: 0, replicas: []string{"a"}, notBefore: now.Add(time.Second)}, seg(1, "b")}, nil, allUp, 2, []int32{1}, nil},
		{"no slots", []segView{seg(0, "a")}, nil, allUp, 0, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, down, _ := pickSegments(c.pending, c.busy, c.up, now, c.slots)
			if fmt.Sprint(got) != fmt.Sprint(c.want) || fmt.Sprint(down) != fmt.Sprint(c.down) {
				t.Errorf("picked %v down %v, want %v %v", got, down, c.want, c.down)
			}
		})
	}
}

// Property: whatever the pending segments, the picked ones share no replica with each other or
// with busy replicas, all their replicas are up, and at most slots are picked.
func TestPickSegmentsProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	addrs := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	now := time.Unix(0, 0)
	for range 2000 {
		var pending []segView
		for i := range rng.IntN(20) {
			var reps []string
			for _, j := range rng.Perm(len(addrs))[:1+rng.IntN(3)] {
				reps = append(reps, addrs[j])
			}
			pending = append(pending, segView{idx: int32(i), replicas: reps})
		}
		busy := map[string]time.Time{}
		downs := map[string]bool{}
		for _, a := range addrs {
			switch rng.IntN(6) {
			case 0:
				busy[a] = now.Add(time.Minute)
			case 1:
				downs[a] = true
			}
		}
		slots := rng.IntN(4)
		got, _, _ := pickSegments(pending, busy, func(a string) bool { return !downs[a] }, now, slots)
		if len(got) > slots {
			t.Fatalf("picked %d with %d slots", len(got), slots)
		}
		used := map[string]bool{}
		for _, idx := range got {
			for _, a := range pending[idx].replicas {
				if used[a] || downs[a] {
					t.Fatalf("picked segment %d shares replica %s or it is down", idx, a)
				}
				if _, b := busy[a]; b {
					t.Fatalf("picked segment %d on busy replica %s", idx, a)
				}
				used[a] = true
			}
		}
	}
}

// byDemand puts first the segments whose busiest replica has the most pending work, then the
// larger ones, then index order.
func TestByDemand(t *testing.T) {
	seg := func(i int32, size float64, reps ...string) segView {
		return segView{idx: i, replicas: reps, size: size}
	}
	// Pending work: a 0.3, b 0.4, c 0.1, d 0.2, e 0.2.
	got := byDemand([]segView{seg(0, 0.1, "a", "c"), seg(1, 0.2, "a", "b"), seg(2, 0.2, "b", "d"), seg(3, 0.2, "e")})
	var idx []int32
	for _, s := range got {
		idx = append(idx, s.idx)
	}
	if want := []int32{1, 2, 0, 3}; !slices.Equal(idx, want) {
		t.Errorf("order %v, want %v", idx, want)
	}
	if s := ringShare("-9223372036854775808", "0"); math.Abs(s-0.5) > 1e-9 {
		t.Errorf("ringShare of half the ring = %g", s)
	}
	if s := ringShare("5", "5"); s != 1 {
		t.Errorf("ringShare of the whole ring = %g", s)
	}
}

// Property: the selection the planner makes (byDemand, then pickSegments) never picks more than
// the free slots (never above --parallel), never two segments sharing a replica, never one on a
// busy, resting or down replica or in its retry backoff; it is maximal (when a slot is left, every
// eligible segment not picked shares a replica with a picked one), and the first pick is an
// eligible segment of the highest demand.
func TestSelectionProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for iter := 0; iter < 3000; iter++ {
		nodes := 3 + rng.IntN(14)
		rf := 1 + rng.IntN(min(3, nodes))
		var addrs []string
		for i := range nodes {
			addrs = append(addrs, fmt.Sprintf("10.0.0.%d", i))
		}
		var pending []segView
		for i := range 1 + rng.IntN(60) {
			start := rng.IntN(nodes)
			var reps []string
			for k := range rf {
				reps = append(reps, addrs[(start+k)%nodes])
			}
			v := segView{idx: int32(i), replicas: reps, size: rng.Float64() / 50}
			if rng.IntN(10) == 0 {
				v.notBefore = now.Add(time.Minute)
			}
			pending = append(pending, v)
		}
		busy := map[string]time.Time{}
		downs := map[string]bool{}
		for _, a := range addrs {
			switch rng.IntN(8) {
			case 0:
				busy[a] = now.Add(time.Minute)
			case 1:
				downs[a] = true
			}
		}
		parallel := 1 + rng.IntN(5)
		slots := rng.IntN(parallel + 1)
		ordered := byDemand(pending)
		if len(ordered) != len(pending) {
			t.Fatalf("byDemand returned %d of %d segments", len(ordered), len(pending))
		}
		got, _, _ := pickSegments(ordered, busy, func(a string) bool { return !downs[a] }, now, slots)
		if len(got) > slots || len(got) > parallel {
			t.Fatalf("picked %d with %d slots (parallel %d)", len(got), slots, parallel)
		}
		eligible := func(s segView) bool {
			if now.Before(s.notBefore) {
				return false
			}
			for _, a := range s.replicas {
				if _, b := busy[a]; b || downs[a] {
					return false
				}
			}
			return true
		}
		used := map[string]bool{}
		picked := map[int32]bool{}
		for _, idx := range got {
			s := pending[idx]
			if !eligible(s) {
				t.Fatalf("picked segment %d is not eligible (busy or down replica, or backoff)", idx)
			}
			for _, a := range s.replicas {
				if used[a] {
					t.Fatalf("picked segments share replica %s", a)
				}
				used[a] = true
			}
			picked[idx] = true
		}
		if len(got) < slots {
			for _, s := range pending {
				if picked[s.idx] || !eligible(s) {
					continue
				}
				free := true
				for _, a := range s.replicas {
					free = free && !used[a]
				}
				if free {
					t.Fatalf("segment %d was eligible and free but not picked (%d of %d slots used)", s.idx, len(got), slots)
				}
			}
		}
		if len(got) > 0 {
			for _, s := range ordered {
				if eligible(s) {
					if s.idx != got[0] {
						t.Fatalf("first pick %d, but %d comes first by demand", got[0], s.idx)
					}
					break
				}
			}
		}
	}
}

func TestValidateRepairParams(t *testing.T) {
	for _, c := range []struct {
		p     *cassmesosv1.RepairParams
		field string
	}{
		{nil, "params"},
		{&cassmesosv1.RepairParams{Tables: []string{"t"}}, "params.tables"},
		{&cassmesosv1.RepairParams{Keyspace: "bad-name"}, "params.keyspace"},
		{&cassmesosv1.RepairParams{Keyspace: "ks", Parallel: -1}, "params.parallel"},
		{&cassmesosv1.RepairParams{Keyspace: "ks", Intensity: 1.5}, "params.intensity"},
		{&cassmesosv1.RepairParams{Keyspace: "ks", Intensity: math.NaN()}, "params.intensity"},
		{&cassmesosv1.RepairParams{Keyspace: "ks", SegmentsPerNode: 5000}, "params.segments_per_node"},
		{&cassmesosv1.RepairParams{Keyspace: "ks", Tables: []string{"a b"}}, "params.tables[0]"},
	} {
		err := ValidateRepairParams("params", c.p)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("ValidateRepairParams(%v) = %v, want ErrInvalid naming %s", c.p, err, c.field)
		}
	}
	if err := ValidateRepairParams("params", &cassmesosv1.RepairParams{Keyspace: "ks", Parallel: 2, Intensity: 0.5}); err != nil {
		t.Errorf("valid params refused: %v", err)
	}
	// No keyspace: every non-system keyspace.
	if err := ValidateRepairParams("params", &cassmesosv1.RepairParams{}); err != nil {
		t.Errorf("params without a keyspace refused: %v", err)
	}
}

func TestWindow(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2024, 5, 1, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		w    string
		t    time.Time
		in   bool
		open time.Time
	}{
		{"01:00-06:00", at(2, 0), true, at(2, 0)},
		{"01:00-06:00", at(6, 0), false, at(1, 0).AddDate(0, 0, 1)},
		{"01:00-06:00", at(0, 30), false, at(1, 0)},
		{"22:00-04:00", at(23, 0), true, at(23, 0)},
		{"22:00-04:00", at(3, 59), true, at(3, 59)},
		{"22:00-04:00", at(12, 0), false, at(22, 0)},
	} {
		w, err := ParseWindow(c.w)
		if err != nil {
			t.Fatal(err)
		}
		if w.Contains(c.t) != c.in || !w.NextOpen(c.t).Equal(c.open) {
			t.Errorf("%s at %s: in %v next open %s, want %v %s", c.w, c.t.Format("15:04"), w.Contains(c.t), w.NextOpen(c.t), c.in, c.open)
		}
	}
	for _, bad := range []string{"", "1-2", "25:00-01:00", "01:00-01:00", "01:00_02:00", "1:00-02:00", "01:60-02:00"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) accepted", bad)
		}
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"01:00-06:00", "22:00-04:00", "", "x", "99:99-00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err == nil {
			_ = w.NextOpen(time.Unix(0, 0).UTC())
		}
	})
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"0 2 * * 0", "@every 36h", "@daily", "61 * * * *", "@every 1s", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if sc, err := ParseCron(s); err == nil {
			_ = sc.Next(time.Unix(0, 0))
		}
	})
}

func FuzzPlanSegments(f *testing.F) {
	f.Add("-100", "100", "9223372036854775807", "-9223372036854775808", 4)
	f.Fuzz(func(t *testing.T, a, b, c, d string, target int) {
		_, _ = planSegments([]TokenRange{{Start: a, End: b, Endpoints: []string{"x"}}, {Start: c, End: d, Endpoints: []string{"y"}}}, nil, target%5000)
	})
}

func TestDecideSchedule(t *testing.T) {
	utc := func(h, m int) time.Time { return time.Date(2024, 5, 1, h, m, 0, 0, time.UTC) }
	daily, _ := ParseCron("0 2 * * *")
	sched := func(window string, next time.Time) *cassmesosv1.RepairSchedule {
		return &cassmesosv1.RepairSchedule{Cron: "0 2 * * *", Window: window, NextRunTime: timestamppb.New(next), CreateTime: timestamppb.New(utc(0, 0))}
	}
	for _, c := range []struct {
		name             string
		s                *cassmesosv1.RepairSchedule
		now              time.Time
		problem, running string
		due, start       bool
		skip             string
		next             time.Time
	}{
		{"not yet", sched("", utc(2, 0)), utc(1, 0), "", "", false, false, "", utc(2, 0)},
		{"due", sched("", utc(2, 0)), utc(2, 0), "", "", true, true, "", utc(2, 0).AddDate(0, 0, 1)},
		{"previous still running", sched("", utc(2, 0)), utc(2, 1), "", "op-1", true, false, "repair op-1 is still running", utc(2, 0).AddDate(0, 0, 1)},
		{"outside window", sched("03:00-05:00", utc(2, 0)), utc(2, 0), "", "", true, false, "outside the window", utc(2, 0).AddDate(0, 0, 1)},
		{"inside window", sched("01:00-05:00", utc(2, 0)), utc(2, 0), "", "", true, true, "", utc(2, 0).AddDate(0, 0, 1)},
		{"ring gone", sched("", utc(2, 0)), utc(2, 0), "ring demo does not exist", "", true, false, "does not exist", utc(2, 0).AddDate(0, 0, 1)},
		{"missed runs collapse", sched("", utc(2, 0).AddDate(0, 0, -3)), utc(9, 0), "", "", true, true, "", utc(2, 0).AddDate(0, 0, 1)},
		{"first evaluation", &cassmesosv1.RepairSchedule{Cron: "0 2 * * *", CreateTime: timestamppb.New(utc(0, 0))}, utc(1, 0), "", "", false, false, "", utc(2, 0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := DecideSchedule(c.s, daily, c.now, c.problem, c.running)
			if d.Due != c.due || d.Start != c.start || !strings.Contains(d.Skip, c.skip) || (c.skip == "" && d.Skip != "") || !d.Next.Equal(c.next) {
				t.Errorf("got %+v, want due %v start %v skip %q next %s", d, c.due, c.start, c.skip, c.next)
			}
		})
	}
}

// ---- planner scenarios

type seqIDs struct{ n int }

func (s *seqIDs) NewID() string { s.n++; return fmt.Sprintf("id%04d", s.n) }

// unRing is a State with a ring of n UN nodes at 10.0.0.1.. (ordinals 0..n-1).
func unRing(n int, now time.Time) *State {
	s := NewState()
	s.Now = now
	s.Reconciled = true
	s.Rings["demo"] = &statev1.RingRecord{Spec: ApplyDefaults(&cassmesosv1.RingSpec{Name: "demo", Nodes: int32(n)}), CreateTime: timestamppb.New(now)}
	for i := range n {
		name := NodeName("demo", int32(i))
		task := name + ".1.x"
		s.Nodes[name] = &statev1.NodeRecord{Ring: "demo", Name: name, Ordinal: int32(i), Seed: i < 2, Phase: cassmesosv1.NodePhase_NODE_PHASE_RUNNING,
			Address: fmt.Sprintf("10.0.0.%d", i+1), TaskId: task, AgentId: fmt.Sprintf("a%d", i), Bootstrapped: true, AgentPort: 31000, Incarnation: 1,
			PhaseTime: timestamppb.New(now)}
		s.Tasks[task] = TaskStatus{TaskID: task, AgentID: fmt.Sprintf("a%d", i), State: TaskRunning, Healthy: true, Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL}
		s.Agents[fmt.Sprintf("a%d", i)] = Agent{ID: fmt.Sprintf("a%d", i), Reachable: true}
	}
	return s
}

// step runs Reconcile, applies its writes and returns the plan.
func step(p *Planner, s *State) Plan {
	pl := p.Reconcile(s)
	s.Apply(pl.Writes)
	return pl
}

func relaysOf(pl Plan, kind RelayKind) []Relay {
	var out []Relay
	for _, a := range pl.Actions {
		if r, ok := a.(Relay); ok && r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// A repair runs end to end through the planner: describe, segments persisted after the operation,
// at most parallel segments at once on disjoint replicas, one node DN holds back only its
// segments, a failure is retried, a topology change pauses the run and recomputes the rest, and
// the run succeeds with every token repaired once.
func TestRepairScenario(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := unRing(6, now)
	p := New(Config{}, &seqIDs{})
	acc, err := p.Submit(s, RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks", Parallel: 2, SegmentsPerNode: 2}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	id := acc.Operation.GetOperation().GetId()

	// Refusals.
	if _, err := p.Submit(s, RunRepair{Ring: "demo", IfIdle: true, Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}); !errors.Is(err, ErrPrecondition) {
		t.Errorf("if-idle during a repair: %v", err)
	}
	if _, err := p.Submit(s, RunRepair{Ring: "nope", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}); !errors.Is(err, ErrRingNotFound) {
		t.Errorf("unknown ring: %v", err)
	}

	pl := step(p, s)
	d := relaysOf(pl, RelayDescribeRing)
	if len(d) != 1 || d[0].Keyspace != "ks" {
		t.Fatalf("want one describering relay, got %v", pl.Actions)
	}
	ranges := ringRanges(rand.New(rand.NewPCG(9, 9)), 6, 4, 3)
	s.Relays[d[0].ID] = RelayResult{Done: true, Ranges: ranges}
	pl = step(p, s)
	// Segments are written after their operation record.
	opSeen := false
	for _, w := range pl.Writes {
		if w.Kind == RecordOperation && w.Name == id {
			opSeen = true
		}
		if w.Kind == RecordSegment && !opSeen {
			t.Fatalf("segment written before its operation record")
		}
	}
	if len(s.Segments[id]) < 12 {
		t.Fatalf("%d segments planned", len(s.Segments[id]))
	}

	var doneSpans []span
	failedOnce := false
	paused := false
	for round := 0; round < 500; round++ {
		s.Now = s.Now.Add(10 * time.Second)
		pl = step(p, s)
		o := s.Operations[id].GetOperation()
		if opFinished(o.GetPhase()) {
			break
		}
		// Check the invariant on the stored segments.
		running := 0
		used := map[string]bool{}
		for _, sg := range s.Segments[id] {
			if sg.GetSegment().GetPhase() != segRunning {
				continue
			}
			running++
			for _, a := range sg.GetSegment().GetReplicas() {
				if used[a] {
					t.Fatalf("two running segments share replica %s", a)
				}
				used[a] = true
				if a == "10.0.0.4" && round > 5 && round <= 15 {
					t.Fatalf("segment %d runs with DN replica %s", sg.GetSegment().GetIndex(), a)
				}
			}
		}
		if running > 2 {
			t.Fatalf("%d segments running with parallel 2", running)
		}
		// demo-3 is DN from round 5 to 15.
		switch round {
		case 5:
			ts := s.Tasks["demo-3.1.x"]
			ts.Healthy = false
			s.Tasks["demo-3.1.x"] = ts
			s.Views["demo-3"] = NodeView{Liveness: cassmesosv1.Liveness_LIVENESS_DOWN, Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL, Reporters: 1}
		case 15:
			ts := s.Tasks["demo-3.1.x"]
			ts.Healthy = true
			s.Tasks["demo-3.1.x"] = ts
			delete(s.Views, "demo-3")
		case 20:
			// A topology operation starts on the ring: the repair pauses.
			s.Operations["op-topo"] = &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op-topo", Kind: cassmesosv1.OperationKind_OPERATION_KIND_RESTART_NODE,
				Ring: "demo", Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING, CreateTime: timestamppb.New(now.Add(time.Hour)),
				Steps: []*cassmesosv1.Step{{Name: "wait", Phase: cassmesosv1.StepPhase_STEP_PHASE_RUNNING}}}}
		case 23:
			delete(s.Operations, "op-topo")
		}
		if round > 20 && round < 23 && s.Operations[id].GetOperation().GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_BLOCKED {
			paused = true
			if len(relaysOf(pl, RelayRepair)) > 0 && running == 0 {
				t.Fatalf("segments started while a topology operation runs")
			}
		}
		for _, r := range relaysOf(pl, RelayDescribeRing) {
			s.Relays[r.ID] = RelayResult{Done: true, Ranges: ranges}
		}
		// Finish every repair relay; fail the first one once.
		for _, r := range relaysOf(pl, RelayRepair) {
			if _, ok := s.Relays[r.ID]; ok {
				continue
			}
			if !failedOnce {
				failedOnce = true
				s.Relays[r.ID] = RelayResult{Done: true, Err: "Validation failed"}
				continue
			}
			s.Relays[r.ID] = RelayResult{Done: true}
		}
	}
	o := s.Operations[id].GetOperation()
	if o.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		t.Fatalf("repair ended %v: %s / %v", o.GetPhase(), o.GetError(), o.GetSteps())
	}
	if !paused {
		t.Errorf("the repair never paused for the topology operation")
	}
	retried := false
	for _, sg := range s.Segments[id] {
		g := sg.GetSegment()
		if g.GetPhase() == segDone {
			doneSpans = append(doneSpans, segmentSpans(g.GetStartToken(), g.GetEndToken())...)
			if g.GetAttempts() > 1 {
				retried = true
			}
		}
	}
	if !retried {
		t.Errorf("no segment was retried after the injected failure")
	}
	checkExact(t, doneSpans)
	if s.Rings["demo"].GetStatus().GetLastRepairTime() == nil {
		t.Errorf("no last repair time on the ring")
	}
	if pr := o.GetProgress(); pr.GetDone() != pr.GetTotal() {
		t.Errorf("progress %d/%d at the end", pr.GetDone(), pr.GetTotal())
	}
}

func TestRepairPauseResumeCancel(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := unRing(3, now)
	p := New(Config{}, &seqIDs{})
	acc, err := p.Submit(s, RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	id := acc.Operation.GetOperation().GetId()
	pl := step(p, s)
	s.Relays[relaysOf(pl, RelayDescribeRing)[0].ID] = RelayResult{Done: true, Ranges: ringRanges(rand.New(rand.NewPCG(1, 1)), 3, 2, 3)}
	step(p, s)
	acc, err = p.Submit(s, PauseRepair{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	pl = step(p, s)
	if ph := s.Operations[id].GetOperation().GetPhase(); ph != cassmesosv1.OperationPhase_OPERATION_PHASE_PAUSED {
		t.Fatalf("phase %v after pause", ph)
	}
	// The running segment finishes; no new one starts while paused.
	for _, r := range relaysOf(pl, RelayRepair) {
		s.Relays[r.ID] = RelayResult{Done: true}
	}
	pl = step(p, s)
	if n := len(relaysOf(pl, RelayRepair)); n != 0 {
		t.Fatalf("%d segments relayed while paused", n)
	}
	acc, err = p.Submit(s, ResumeRepair{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	pl = step(p, s)
	if n := len(relaysOf(pl, RelayRepair)); n != 1 {
		t.Fatalf("%d segments relayed after resume, want 1", n)
	}
	acc, err = p.Submit(s, CancelOperation{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	step(p, s)
	if ph := s.Operations[id].GetOperation().GetPhase(); ph == cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED {
		t.Fatalf("cancelled while a segment runs")
	}
	for _, r := range relaysOf(p.Reconcile(s), RelayRepair) {
		s.Relays[r.ID] = RelayResult{Done: true}
	}
	step(p, s)
	if ph := s.Operations[id].GetOperation().GetPhase(); ph != cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED {
		t.Fatalf("phase %v after cancel with nothing running", ph)
	}
}

func TestScheduleStartsRunAndSkipsWhileRunning(t *testing.T) {
	now := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	s := unRing(3, now)
	p := New(Config{Location: time.UTC}, &seqIDs{})
	acc, err := p.Submit(s, CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "0 2 * * *", Window: "01:30-05:00",
		Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	sid := acc.Schedule.GetId()
	if got := s.Schedules[sid].GetSchedule().GetNextRunTime().AsTime(); !got.Equal(now.Add(time.Hour)) {
		t.Fatalf("next run %s", got)
	}
	if pl := step(p, s); pl.Wake.After(now.Add(time.Hour)) || len(s.Operations) != 0 {
		t.Fatalf("not due yet: wake %s, ops %d", pl.Wake, len(s.Operations))
	}
	s.Now = now.Add(time.Hour)
	step(p, s)
	var runID string
	for id, o := range s.Operations {
		if o.GetOperation().GetOrigin() == "schedule/"+sid {
			runID = id
		}
	}
	if runID == "" || s.Operations[runID].GetState().GetWindow() != "01:30-05:00" {
		t.Fatalf("no scheduled run started: %v", s.Operations)
	}
	// The next day the run is still going: skipped, and said so.
	s.Now = now.Add(25 * time.Hour)
	step(p, s)
	sc := s.Schedules[sid].GetSchedule()
	if !strings.Contains(sc.GetLastSkipReason(), "still running") || len(s.Operations) != 1 {
		t.Fatalf("skip reason %q, %d ops", sc.GetLastSkipReason(), len(s.Operations))
	}
	// Bad schedules are refused.
	for _, bad := range []*cassmesosv1.RepairSchedule{
		{Ring: "demo", Cron: "61 * * * *", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}},
		{Ring: "demo", Cron: "@every 10s", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}},
		{Ring: "demo", Cron: "@daily", Window: "9-5", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}},
	} {
		if _, err := p.Submit(s, CreateSchedule{Schedule: bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("schedule %v: %v, want ErrInvalid", bad, err)
		}
	}
	acc, err = p.Submit(s, DeleteSchedule{ID: sid})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	if len(s.Schedules) != 0 {
		t.Errorf("schedule not deleted")
	}
	if _, err := p.Submit(s, DeleteSchedule{ID: sid}); !errors.Is(err, ErrScheduleNotFound) {
		t.Errorf("deleting again: %v", err)
	}
}

func TestCleanupNodeByNodeAndGCGraceWarning(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := unRing(3, now)
	p := New(Config{}, &seqIDs{})
	acc, err := p.Submit(s, RunCleanup{Ring: "demo", Params: &cassmesosv1.CleanupParams{Keyspace: "ks"}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	id := acc.Operation.GetOperation().GetId()
	var order []string
	for range 20 {
		pl := step(p, s)
		rs := relaysOf(pl, RelayCleanup)
		if len(rs) > 1 {
			t.Fatalf("%d cleanups at once", len(rs))
		}
		for _, r := range rs {
			if _, ok := s.Relays[r.ID]; !ok {
				order = append(order, r.Node)
				s.Relays[r.ID] = RelayResult{Done: true}
			}
		}
	}
	if ph := s.Operations[id].GetOperation().GetPhase(); ph != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED || strings.Join(order, ",") != "demo-0,demo-1,demo-2" {
		t.Fatalf("cleanup %v, order %v", ph, order)
	}
	// No repair for more than gc_grace: a warning on the ring.
	s.Now = now.Add(DefaultGCGrace + time.Hour)
	step(p, s)
	ws := s.Rings["demo"].GetStatus().GetWarnings()
	if len(ws) != 1 || !strings.Contains(ws[0], "gc_grace_seconds") {
		t.Fatalf("warnings %v", ws)
	}
}
