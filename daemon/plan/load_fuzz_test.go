package plan_test

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// FuzzPlannerLoad builds the state a new leader loads from ZooKeeper out of records that decode
// but need not agree with each other (a baseline taken from a simulated cluster, then mutated
// field by field: operations whose steps, cursor or parameters name nodes or rings that do not
// exist, nodes of missing rings, reservations without agents, empty names, negative or huge
// counts, repairs without segments, duplicate task IDs, records under another name's key...)
// and runs planner passes, offers and requests on it. Nothing may panic, and no plan may write a
// record plan.CheckRecords reports (skipped records are never rewritten).
//
// The input is a list of decisions (which baseline, which record, which field, which value), so
// the inputs kept in testdata/fuzz/FuzzPlannerLoad mean what they found only as long as the
// simulated run that makes the baselines does not change; the table tests in
// consistency_test.go pin the cases down independently.
func FuzzPlannerLoad(f *testing.F) {
	for i := range 24 {
		f.Add([]byte{byte(i)})
		f.Add([]byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	}
	f.Add([]byte("\x03\x02\x00\x05\x07\x01\x00\x09\x02\x03\x00\x02\x04\x01\x08"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &fuzzInput{b: data}
		bases := fuzzBaselines()
		b := bases[in.intn(len(bases))]
		s := b.load(in.bool())
		mutateState(in, s)
		p := plan.New(plan.Config{RestartBackoffMin: 5 * time.Second, RestartBackoffMax: 20 * time.Second}, &plantest.Counter{})
		apply := func(pl plan.Plan) plan.Plan {
			checkNoSkippedWrites(t, s, pl)
			s.Apply(pl.Writes)
			return pl
		}
		for range 3 {
			apply(p.Reconcile(s))
			apply(p.MatchOffers(s, fuzzOffers(s)))
			for _, req := range fuzzRequests(in, s) {
				if acc, err := p.Submit(s, req); err == nil {
					apply(acc.Plan)
				}
			}
			answerRelays(s, apply(p.Reconcile(s)))
			s.Now = s.Now.Add(time.Duration(in.intn(4)) * time.Minute)
		}
	})
}

// checkNoSkippedWrites fails when pl writes a record that CheckRecords reports for s.
func checkNoSkippedWrites(t *testing.T, s *plan.State, pl plan.Plan) {
	t.Helper()
	skipped := map[string]bool{}
	for _, p := range plan.CheckRecords(s) {
		skipped[p.Record] = true
	}
	for _, w := range pl.Writes {
		var rec string
		switch w.Kind {
		case plan.RecordRing:
			rec = "ring " + w.Name
		case plan.RecordNode:
			rec = "node " + w.Name
		case plan.RecordOperation:
			rec = "operation " + w.Name
		case plan.RecordSegment:
			rec = fmt.Sprintf("segment %s/%d", w.Name, w.Segment.GetSegment().GetIndex())
		case plan.RecordSchedule:
			rec = "schedule " + w.Name
		}
		if skipped[rec] {
			t.Fatalf("a plan writes the skipped record %s (delete %v)", rec, w.Delete)
		}
	}
}

// baseline is the records (and what the daemon had observed) at one moment of a simulated run.
type baseline struct {
	now       time.Time
	rings     map[string]*statev1.RingRecord
	nodes     map[string]*statev1.NodeRecord
	ops       map[string]*statev1.OperationRecord
	segments  map[string]map[int32]*statev1.SegmentRecord
	schedules map[string]*statev1.ScheduleRecord
	tasks     map[string]plan.TaskStatus
	agents    map[string]plan.Agent
	views     map[string]plan.NodeView
}

// load returns a fresh State holding copies of the records; observed is false for a daemon that
// has just become the leader (no task statuses yet, not reconciled).
func (b *baseline) load(observed bool) *plan.State {
	s := plan.NewState()
	s.Now = b.now
	for k, v := range b.rings {
		s.Rings[k] = proto.Clone(v).(*statev1.RingRecord)
	}
	for k, v := range b.nodes {
		s.Nodes[k] = proto.Clone(v).(*statev1.NodeRecord)
	}
	for k, v := range b.ops {
		s.Operations[k] = proto.Clone(v).(*statev1.OperationRecord)
	}
	for k, m := range b.segments {
		s.Segments[k] = map[int32]*statev1.SegmentRecord{}
		for i, v := range m {
			s.Segments[k][i] = proto.Clone(v).(*statev1.SegmentRecord)
		}
	}
	for k, v := range b.schedules {
		s.Schedules[k] = proto.Clone(v).(*statev1.ScheduleRecord)
	}
	for k, v := range b.agents {
		s.Agents[k] = v
	}
	if observed {
		s.Reconciled = true
		for k, v := range b.tasks {
			s.Tasks[k] = v
		}
		for k, v := range b.views {
			s.Views[k] = v
		}
	}
	return s
}

var (
	baselinesOnce sync.Once
	baselines     []*baseline
)

type fatalPanic struct{}

func (fatalPanic) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// fuzzBaselines runs a simulated cluster through creation, scaling, replacement, restarts,
// repairs, cleanups and schedules, with crashes and partitions, and keeps the records every few
// steps.
func fuzzBaselines() []*baseline {
	baselinesOnce.Do(func() {
		w := plantest.NewWorld(fatalPanic{}, 8, plan.Config{RestartBackoffMin: 5 * time.Second, RestartBackoffMax: 20 * time.Second})
		keep := func() {
			baselines = append(baselines, snapshot(w))
		}
		keep() // empty
		ringSpec := func(name string, nodes, seeds int32) *cassmesosv1.RingSpec {
			return &cassmesosv1.RingSpec{Name: name, Nodes: nodes, Seeds: seeds, Resources: &cassmesosv1.Resources{Cpus: 1, MemMb: 2048, DiskMb: 1024}}
		}
		_, _ = w.Submit(plan.CreateRing{Spec: ringSpec("demo", 4, 2)})
		for i := range 30 {
			w.OfferRound()
			w.Tick(10 * time.Second)
			w.Reconcile()
			if i%6 == 1 {
				keep()
			}
		}
		// Node operations, one at a time, kept mid-way.
		settle := func(rounds int) {
			for range rounds {
				w.OfferRound()
				w.Tick(10 * time.Second)
				answerRelays(w.State, w.Reconcile())
			}
		}
		for _, req := range []plan.Request{plan.RestartNode{Node: "demo-0"}, plan.DecommissionNode{Node: "demo-3"},
			plan.ScaleRing{Ring: "demo", Nodes: 5}} {
			_, _ = w.Submit(req)
			settle(2)
			keep()
			settle(25)
		}
		// A node lost with its agent: removed from the ring, then one replaced.
		for _, node := range []string{"demo-1", "demo-2"} {
			n := w.Store.Nodes[node]
			w.Partition(n.GetAgentId(), true)
			w.Tick(2 * time.Minute)
			w.Reconcile()
			if node == "demo-1" {
				_, _ = w.Submit(plan.RemoveNode{Node: node})
			} else {
				_, _ = w.Submit(plan.ReplaceNode{Node: node})
			}
			settle(2)
			keep()
			settle(4)
			keep()
			w.HealAll()
			settle(25)
		}
		_, _ = w.Submit(plan.CreateRing{Spec: ringSpec("other", 2, 1)})
		w.OfferRound()
		keep()
		_, _ = w.Submit(plan.CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "@every 2m", Window: "00:00-23:00",
			Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}})
		_, _ = w.Submit(plan.RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks", Parallel: 2, SegmentsPerNode: 2}})
		for range 4 {
			answerRelays(w.State, w.Reconcile())
			keep()
		}
		_, _ = w.Submit(plan.RunCleanup{Ring: "demo", Params: &cassmesosv1.CleanupParams{Keyspace: "ks"}})
		rng := rand.New(rand.NewSource(7))
		for i := range 160 {
			live := w.LiveTaskIDs()
			agents := w.AgentIDs()
			switch x := rng.Intn(100); {
			case x < 35:
				w.OfferRound()
			case x < 60:
				w.Tick(10 * time.Second)
				answerRelays(w.State, w.Reconcile())
			case x < 66 && len(live) > 0:
				w.Crash(live[rng.Intn(len(live))])
				w.Reconcile()
			case x < 70 && len(live) > 0:
				w.Lose(live[rng.Intn(len(live))])
				w.Reconcile()
			case x < 74:
				w.Partition(agents[rng.Intn(len(agents))], true)
				w.Reconcile()
			case x < 80:
				w.HealAll()
				w.Reconcile()
			case x < 90:
				nodes := make([]string, 0, len(w.Store.Nodes))
				for n := range w.Store.Nodes {
					nodes = append(nodes, n)
				}
				sort.Strings(nodes)
				node := ""
				if len(nodes) > 0 {
					node = nodes[rng.Intn(len(nodes))]
				}
				reqs := []plan.Request{plan.RestartNode{Node: node}, plan.ReplaceNode{Node: node}, plan.ScaleRing{Ring: "demo", Nodes: int32(2 + rng.Intn(4))},
					plan.DecommissionNode{Node: node}, plan.RemoveNode{Node: node}, plan.RestartRing{Ring: "other"},
					plan.RunRepair{Ring: "other", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}},
					plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{Resources: &cassmesosv1.Resources{Cpus: 2, MemMb: 2048, DiskMb: 1024}}, Paths: []string{"resources.cpus"}},
					plan.DeleteRing{Ring: "other"}}
				_, _ = w.Submit(reqs[rng.Intn(len(reqs))])
				w.Reconcile()
			default:
				w.Tick(time.Minute)
				answerRelays(w.State, w.Reconcile())
			}
			if i%8 == 7 {
				keep()
			}
		}
	})
	return baselines
}

func snapshot(w *plantest.World) *baseline {
	b := &baseline{now: w.Now, rings: map[string]*statev1.RingRecord{}, nodes: map[string]*statev1.NodeRecord{},
		ops: map[string]*statev1.OperationRecord{}, segments: map[string]map[int32]*statev1.SegmentRecord{},
		schedules: map[string]*statev1.ScheduleRecord{}, tasks: map[string]plan.TaskStatus{}, agents: map[string]plan.Agent{},
		views: map[string]plan.NodeView{}}
	for k, v := range w.Store.Rings {
		b.rings[k] = proto.Clone(v).(*statev1.RingRecord)
	}
	for k, v := range w.Store.Nodes {
		b.nodes[k] = proto.Clone(v).(*statev1.NodeRecord)
	}
	for k, v := range w.Store.Operations {
		b.ops[k] = proto.Clone(v).(*statev1.OperationRecord)
	}
	for k, m := range w.Store.Segments {
		b.segments[k] = map[int32]*statev1.SegmentRecord{}
		for i, v := range m {
			b.segments[k][i] = proto.Clone(v).(*statev1.SegmentRecord)
		}
	}
	for k, v := range w.Store.Schedules {
		b.schedules[k] = proto.Clone(v).(*statev1.ScheduleRecord)
	}
	for k, v := range w.State.Tasks {
		b.tasks[k] = v
	}
	for k, v := range w.State.Agents {
		b.agents[k] = v
	}
	for k, v := range w.State.Views {
		b.views[k] = v
	}
	return b
}

// answerRelays records a result for every relay of the plan: describering gets token ranges
// over the ring's node addresses; everything else succeeds.
func answerRelays(s *plan.State, pl plan.Plan) {
	for _, a := range pl.Actions {
		r, ok := a.(plan.Relay)
		if !ok {
			continue
		}
		res := plan.RelayResult{Done: true, At: s.Now}
		if r.Kind == plan.RelayDescribeRing {
			var addrs []string
			for _, n := range s.Nodes {
				if n.GetAddress() != "" {
					addrs = append(addrs, n.GetAddress())
				}
			}
			sort.Strings(addrs)
			for i := range len(addrs) {
				start := int64(math.MinInt64/2) + int64(i)*(1<<40)
				res.Ranges = append(res.Ranges, plan.TokenRange{Start: strconv.FormatInt(start, 10), End: strconv.FormatInt(start+(1<<40), 10),
					Endpoints: []string{addrs[i], addrs[(i+1)%len(addrs)]}})
			}
		}
		s.Relays[r.ID] = res
	}
}

// fuzzOffers offers every agent the state knows some unreserved resources and, for each node
// recorded on it, a reservation labelled for that node (with its volume).
func fuzzOffers(s *plan.State) []plan.Offer {
	var out []plan.Offer
	ids := make([]string, 0, len(s.Agents))
	for id := range s.Agents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	nodes := make([]string, 0, len(s.Nodes))
	for n := range s.Nodes {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for i, id := range ids {
		a := s.Agents[id]
		o := plan.Offer{ID: fmt.Sprintf("fo%d", i), AgentID: id, Hostname: a.Hostname, Address: "10.1.0." + strconv.Itoa(i+1), Attributes: a.Attributes}
		o.Resources = append(o.Resources,
			placement.Resource{Name: placement.CPUs, Scalar: 4, Role: "cassmesos"},
			placement.Resource{Name: placement.Mem, Scalar: 8192, Role: "cassmesos"},
			placement.Resource{Name: placement.Disk, Scalar: 8192, Role: "cassmesos"},
			placement.Resource{Name: placement.Ports, Ranges: []placement.Range{{Begin: 7000, End: 7001}, {Begin: 7199, End: 7199}, {Begin: 9042, End: 9042}, {Begin: 31000, End: 31010}}, Role: "cassmesos"})
		for _, name := range nodes {
			n := s.Nodes[name]
			if n.GetReservation().GetAgentId() != id && n.GetAgentId() != id {
				continue
			}
			rv := &placement.Reservation{Role: "cassmesos", Labels: map[string]string{placement.LabelFramework: "cassmesos",
				placement.LabelRing: n.GetRing(), placement.LabelNode: n.GetName()}}
			res := n.GetReservation().GetResources()
			o.Resources = append(o.Resources,
				placement.Resource{Name: placement.CPUs, Scalar: res.GetCpus(), Role: "cassmesos", Reservation: rv},
				placement.Resource{Name: placement.Mem, Scalar: float64(res.GetMemMb()), Role: "cassmesos", Reservation: rv})
			d := placement.Resource{Name: placement.Disk, Scalar: float64(res.GetDiskMb()), Role: "cassmesos", Reservation: rv}
			if v := n.GetReservation().GetPersistenceId(); v != "" {
				d.Volume = &placement.Volume{PersistenceID: v, ContainerPath: n.GetReservation().GetContainerPath()}
			}
			o.Resources = append(o.Resources, d)
		}
		out = append(out, o)
	}
	return out
}

// fuzzRequests picks a few operator requests naming what the state holds (or not).
func fuzzRequests(in *fuzzInput, s *plan.State) []plan.Request {
	var out []plan.Request
	for range in.intn(3) {
		ring, node, op := in.pick(stateNames(s, 'r')), in.pick(stateNames(s, 'n')), in.pick(stateNames(s, 'o'))
		reqs := []plan.Request{
			plan.CancelOperation{ID: op}, plan.PauseRepair{ID: op}, plan.ResumeRepair{ID: op},
			plan.RestartNode{Ring: ring, Node: node}, plan.ReplaceNode{Node: node}, plan.DecommissionNode{Node: node},
			plan.RemoveNode{Node: node}, plan.RestartRing{Ring: ring}, plan.ScaleRing{Ring: ring, Nodes: int32(in.intn(7))},
			plan.ScaleRing{Ring: ring, Nodes: 1, Remove: []string{node}},
			plan.DeleteRing{Ring: ring}, plan.RunRepair{Ring: ring, Params: &cassmesosv1.RepairParams{Keyspace: "ks"}},
			plan.RunCleanup{Ring: ring, Params: &cassmesosv1.CleanupParams{Keyspace: "ks"}},
			plan.UpdateRing{Ring: ring, Spec: &cassmesosv1.RingSpec{Resources: &cassmesosv1.Resources{Cpus: 2}}, Paths: []string{"resources.cpus"}},
			plan.CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: ring, Cron: "@daily", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}},
			plan.DeleteSchedule{ID: in.pick(stateNames(s, 's'))},
			plan.CreateRing{Spec: &cassmesosv1.RingSpec{Name: ring, Nodes: 3}},
		}
		out = append(out, reqs[in.intn(len(reqs))])
	}
	return out
}

// stateNames lists the names of one kind of record: rings (r), nodes (n), operations (o),
// schedules (s), task IDs (t), agents (a).
func stateNames(s *plan.State, kind byte) []string {
	var out []string
	switch kind {
	case 'r':
		for k := range s.Rings {
			out = append(out, k)
		}
	case 'n':
		for k := range s.Nodes {
			out = append(out, k)
		}
	case 'o':
		for k := range s.Operations {
			out = append(out, k)
		}
	case 's':
		for k := range s.Schedules {
			out = append(out, k)
		}
	case 't':
		for _, n := range s.Nodes {
			out = append(out, n.GetTaskId())
		}
	case 'a':
		for k := range s.Agents {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return append(out, "", "ghost")
}

// fuzzInput hands out decisions from the fuzzer's bytes (zeros once they run out).
type fuzzInput struct {
	b []byte
	i int
}

func (in *fuzzInput) byte() byte {
	if in.i >= len(in.b) {
		return 0
	}
	in.i++
	return in.b[in.i-1]
}

func (in *fuzzInput) more() bool { return in.i < len(in.b) }
func (in *fuzzInput) bool() bool { return in.byte()&1 == 1 }

// intn returns a number in [0, n).
func (in *fuzzInput) intn(n int) int {
	if n <= 1 {
		return 0
	}
	v := int(in.byte())
	if n > 256 {
		v = v<<8 | int(in.byte())
	}
	return v % n
}

func (in *fuzzInput) pick(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[in.intn(len(xs))]
}

// recordRef lets the mutator treat the five kinds of records alike.
type recordRef struct {
	kind byte // r, n, o, g (segment), s
	key  string
	seg  int32
}

func recordRefs(s *plan.State) []recordRef {
	var out []recordRef
	for _, k := range sortedKeys(s.Rings) {
		out = append(out, recordRef{kind: 'r', key: k})
	}
	for _, k := range sortedKeys(s.Nodes) {
		out = append(out, recordRef{kind: 'n', key: k})
	}
	for _, k := range sortedKeys(s.Operations) {
		out = append(out, recordRef{kind: 'o', key: k})
	}
	for _, k := range sortedKeys(s.Segments) {
		idx := make([]int32, 0, len(s.Segments[k]))
		for i := range s.Segments[k] {
			idx = append(idx, i)
		}
		sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
		for _, i := range idx {
			out = append(out, recordRef{kind: 'g', key: k, seg: i})
		}
	}
	for _, k := range sortedKeys(s.Schedules) {
		out = append(out, recordRef{kind: 's', key: k})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (r recordRef) get(s *plan.State) proto.Message {
	switch r.kind {
	case 'r':
		return s.Rings[r.key]
	case 'n':
		return s.Nodes[r.key]
	case 'o':
		return s.Operations[r.key]
	case 'g':
		return s.Segments[r.key][r.seg]
	default:
		return s.Schedules[r.key]
	}
}

func (r recordRef) put(s *plan.State, m proto.Message) {
	switch r.kind {
	case 'r':
		s.Rings[r.key] = m.(*statev1.RingRecord)
	case 'n':
		s.Nodes[r.key] = m.(*statev1.NodeRecord)
	case 'o':
		s.Operations[r.key] = m.(*statev1.OperationRecord)
	case 'g':
		if s.Segments[r.key] == nil {
			s.Segments[r.key] = map[int32]*statev1.SegmentRecord{}
		}
		s.Segments[r.key][r.seg] = m.(*statev1.SegmentRecord)
	default:
		s.Schedules[r.key] = m.(*statev1.ScheduleRecord)
	}
}

func (r recordRef) remove(s *plan.State) {
	switch r.kind {
	case 'r':
		delete(s.Rings, r.key)
	case 'n':
		delete(s.Nodes, r.key)
	case 'o':
		delete(s.Operations, r.key)
	case 'g':
		delete(s.Segments[r.key], r.seg)
	default:
		delete(s.Schedules, r.key)
	}
}

// mutateState applies up to 24 mutations chosen by the input.
func mutateState(in *fuzzInput, s *plan.State) {
	for n := 0; n < 24 && in.more(); n++ {
		refs := recordRefs(s)
		if len(refs) == 0 {
			refs = append(refs, recordRef{kind: 'r', key: "demo"})
			s.Rings["demo"] = &statev1.RingRecord{}
		}
		ref := refs[in.intn(len(refs))]
		m := ref.get(s)
		switch in.intn(8) {
		case 0, 1, 2, 3: // change a field
			c := proto.Clone(m)
			mutateMessage(in, s, c.ProtoReflect(), 0)
			ref.put(s, c)
		case 4: // the record under another key (a name that does not match its content)
			ref.remove(s)
			ref.key = in.pick(append(stateNames(s, ref.kind), stateNames(s, 'n')...))
			ref.seg = int32(in.intn(8)) - 2
			ref.put(s, m)
		case 5: // a copy under another key (duplicate task IDs, names, segment indexes)
			ref.key = in.pick(append(stateNames(s, ref.kind), "copy", "demo-9"))
			ref.seg = int32(in.intn(8)) - 2
			ref.put(s, proto.Clone(m))
		case 6: // gone
			ref.remove(s)
		case 7: // an empty record
			c := proto.Clone(m)
			proto.Reset(c)
			ref.put(s, c)
		}
	}
	// Observed state the records may disagree with.
	for range in.intn(4) {
		id := in.pick(stateNames(s, 't'))
		s.Tasks[id] = plan.TaskStatus{TaskID: id, AgentID: in.pick(stateNames(s, 'a')), State: plan.TaskState(in.intn(16)),
			Healthy: in.bool(), Mode: cassmesosv1.CassandraMode(in.intn(12)), HostID: in.pick([]string{"", "h1", "h2"}), At: s.Now}
	}
	for range in.intn(3) {
		id := in.pick(stateNames(s, 'a'))
		s.Agents[id] = plan.Agent{ID: id, Reachable: in.bool(), Gone: in.bool(), Since: s.Now.Add(-time.Duration(in.intn(100)) * time.Minute)}
	}
}

// mutateMessage changes one field of m (recursing into sub-messages) to a value chosen by the
// input: an edge-case number, a name the state uses (or not), an out-of-range enum, a cleared or
// emptied sub-message, a list cut short or grown.
func mutateMessage(in *fuzzInput, s *plan.State, m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	if fields.Len() == 0 {
		return
	}
	fd := fields.Get(in.intn(fields.Len()))
	switch {
	case fd.IsList():
		l := m.Mutable(fd).List()
		switch in.intn(4) {
		case 0:
			m.Clear(fd)
		case 1:
			if l.Len() > 0 {
				l.Truncate(in.intn(l.Len()))
			}
		case 2:
			if fd.Message() != nil {
				e := l.NewElement()
				if l.Len() > 0 && in.bool() {
					e = protoreflect.ValueOfMessage(proto.Clone(l.Get(in.intn(l.Len())).Message().Interface()).ProtoReflect())
				}
				l.Append(e)
			} else {
				l.Append(scalarValue(in, s, fd))
			}
		case 3:
			if l.Len() > 0 {
				i := in.intn(l.Len())
				if fd.Message() != nil {
					if depth < 5 {
						mutateMessage(in, s, l.Get(i).Message(), depth+1)
					}
				} else {
					l.Set(i, scalarValue(in, s, fd))
				}
			}
		}
	case fd.IsMap():
		mp := m.Mutable(fd).Map()
		if in.intn(4) == 0 {
			m.Clear(fd)
			return
		}
		k := in.pick([]string{"0.holds", "1.holds", "2.holds", "safe", "paused", "window", "cleanup_op", "0.relay", "1.relay", "0.attempts", "ring", "node"})
		keys := []string{}
		mp.Range(func(mk protoreflect.MapKey, _ protoreflect.Value) bool {
			keys = append(keys, mk.String())
			return true
		})
		sort.Strings(keys)
		if len(keys) > 0 && in.bool() {
			k = keys[in.intn(len(keys))]
		}
		if fd.MapKey().Kind() != protoreflect.StringKind || fd.MapValue().Kind() != protoreflect.StringKind {
			return
		}
		mp.Set(protoreflect.ValueOfString(k).MapKey(), protoreflect.ValueOfString(in.pick([]string{"", "1", "0", "-1", "99", "x", "01:00-02:00", "9999999999999999999"})))
	case fd.Message() != nil:
		if in.intn(3) == 0 || depth >= 5 {
			m.Clear(fd)
			return
		}
		mutateMessage(in, s, m.Mutable(fd).Message(), depth+1)
	default:
		m.Set(fd, scalarValue(in, s, fd))
	}
}

var (
	ints   = []int64{0, 1, -1, 2, 3, 5, 7, 16, 100, 1 << 31, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64, 1_700_000_000, -62135596801}
	floats = []float64{0, 1, -1, 0.5, 1e300, -1e300, math.NaN(), math.Inf(1), math.Inf(-1)}
)

func scalarValue(in *fuzzInput, s *plan.State, fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(in.bool())
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		if in.intn(5) == 0 {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(in.intn(40) - 2))
		}
		return protoreflect.ValueOfEnum(vals.Get(in.intn(vals.Len())).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(ints[in.intn(len(ints))]))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(ints[in.intn(len(ints))])
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(ints[in.intn(len(ints))]))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(uint64(ints[in.intn(len(ints))]))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(floats[in.intn(len(floats))]))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(floats[in.intn(len(floats))])
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte(in.pick([]string{"", "x"})))
	default:
		var names []string
		for _, k := range []byte("rnotas") {
			names = append(names, stateNames(s, k)...)
		}
		names = append(names, "demo", "demo-0", "demo-1", "demo-7", "x", "10.0.0.1", "-1", "9223372036854775808", "@daily", "TZ=UTC",
			"01:00-02:00", "a/b", "bootstrap", "bootstrap demo-9", "repair", "repair x", "cleanup ghost", "delete", "release", "stop",
			"recover demo-0", "prepare ghost", "replace", "update", "restart demo-0", "decommission", "remove ghost", "data")
		return protoreflect.ValueOfString(in.pick(names))
	}
}
