package plantest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Counter is a deterministic IDSource.
type Counter struct{ n int }

// NewID returns "id1", "id2", ...
func (c *Counter) NewID() string { c.n++; return fmt.Sprintf("id%d", c.n) }

// group is a reservation on an agent for one node.
type group struct {
	node      string
	cpus, mem float64
	disk      float64
	volume    string // persistence ID, "" when none
	labels    map[string]string
}

// Agent is a simulated Mesos agent.
type Agent struct {
	ID, Hostname, Address string
	Attrs                 map[string]string
	CPUs, Mem, Disk       float64
	Ports                 []placement.Range
	Reachable, Gone       bool
	groups                []*group
}

// Proc is a simulated task with its Cassandra process.
type Proc struct {
	TaskID, Node, Ring, AgentID string
	Seed, AutoBootstrap         bool
	Replace                     string
	State                       plan.TaskState
	Mode                        cassmesosv1.CassandraMode
	HostID                      string
	cpus, mem, disk             float64
	reservedGroup               *group
	ports                       []uint64
	joinTicks                   int
	leaving                     int // ticks left of a decommission, 0 when none
	relayID                     string
	// The task's executor: its resources (reserved from the node's group when execReserved)
	// stay in use until it exits, at the first Tick after the task ended, as a real executor
	// exits shortly after its only task.
	execCPUs, execMem float64
	execReserved      bool
	execUp            bool
	// Config is what the task was launched with.
	Config *cassmesosv1.NodeTaskConfig
	// AutoRepairPaused: Auto Repair was paused on the node (setautorepairconfig ... enabled false);
	// a new task starts with it on when its config carries auto_repair.
	AutoRepairPaused bool
	// Seeds is the seed list the node uses: Config.Seeds, then what the last reloadseeds set.
	Seeds []string
}

// Ports returns the ports the task was launched with (its port resources).
func (p *Proc) Ports() []uint64 { return append([]uint64(nil), p.ports...) }

// World is the simulated cluster plus the daemon's runtime loop.
type World struct {
	T       interface{ Fatalf(string, ...any) }
	Planner *plan.Planner
	IDs     *Counter
	Now     time.Time
	// FrameworkID is the Mesos framework ID the daemon subscribed with (State.FrameworkID;
	// "fw-1" unless a test changes it).
	FrameworkID string

	// State is the daemon's in-memory view; Store is "ZooKeeper".
	State *plan.State
	Store *plan.State

	Agents []*Agent
	Procs  map[string]*Proc // by task ID, every task ever launched
	offers map[string]bool  // outstanding offer IDs
	// storedBefore are the stored node records before the plan being carried out was persisted
	// (the plan that destroys a volume also drops the intent that named it).
	storedBefore map[string]*statev1.NodeRecord
	nextOf       int
	hostN        int

	// JoinTicks is how many ticks a bootstrapping node stays UJ.
	JoinTicks int
	// Steps counts planner calls.
	Steps int
	// Log of actions, for failure messages.
	Log []string
	// Violations found by the checks run inside the runtime loop (launch-time invariants).
	Violations []string
	// HoldRelay, when set, leaves a relay it returns true for without a result (in flight), as
	// an executor that has not answered yet.
	HoldRelay func(plan.Relay) bool
	// AutoRepairLog lists the Auto Repair calls carried out: "pause demo-1", "resume demo-0".
	AutoRepairLog []string
	// CertLog lists the certificate renewals carried out: "demo-1 <relay ID>".
	CertLog []string
	// FailCertRenewal, when set, makes a renewal it returns true for fail (as an executor whose
	// nodetool reloadssl failed).
	FailCertRenewal func(plan.Relay) bool
	// Rebuilds lists the rebuilds carried out: "demo-3 from dc1".
	Rebuilds []string
	// Keyspaces is what a node answers a RelayListKeyspaces with.
	Keyspaces []plan.KeyspaceInfo
	// CrashAfterPersist makes the next planner call's plan persisted and applied to the
	// daemon's memory but none of its actions carried out, as a daemon killed between its
	// ZooKeeper write and its Mesos calls; the offers it answered are gone (a master removes a
	// disconnected framework's offers). Follow it with Restart.
	CrashAfterPersist bool
}

// NewWorld builds a world with n agents spread over three racks.
func NewWorld(t interface{ Fatalf(string, ...any) }, agents int, cfg plan.Config) *World {
	ids := &Counter{}
	w := &World{
		T: t, IDs: ids, Planner: plan.New(cfg, ids),
		Now:         time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		State:       plan.NewState(),
		Store:       plan.NewState(),
		Procs:       map[string]*Proc{},
		offers:      map[string]bool{},
		JoinTicks:   2,
		FrameworkID: "fw-1",
	}
	w.State.FrameworkID = w.FrameworkID
	for i := 1; i <= agents; i++ {
		w.AddAgent(fmt.Sprintf("r%d", i%3))
	}
	w.State.Reconciled = true
	return w
}

// AddAgent adds an agent in a rack.
func (w *World) AddAgent(rack string) *Agent {
	w.hostN++
	a := &Agent{
		ID: fmt.Sprintf("a%d", w.hostN), Hostname: fmt.Sprintf("host%d", w.hostN), Address: fmt.Sprintf("10.0.0.%d", w.hostN),
		Attrs: map[string]string{"rack": rack},
		CPUs:  8, Mem: 32768, Disk: 200000,
		Ports:     []placement.Range{{Begin: 7000, End: 7001}, {Begin: 7199, End: 7199}, {Begin: 9042, End: 9042}, {Begin: 31000, End: 31010}},
		Reachable: true,
	}
	w.Agents = append(w.Agents, a)
	w.State.Agents[a.ID] = plan.Agent{ID: a.ID, Hostname: a.Hostname, Attributes: a.Attrs, Reachable: true}
	return a
}

func (w *World) agent(id string) *Agent {
	for _, a := range w.Agents {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func (w *World) logf(f string, a ...any) {
	w.Log = append(w.Log, fmt.Sprintf("[%d] ", w.Steps)+fmt.Sprintf(f, a...))
	if len(w.Log) > 400 {
		w.Log = w.Log[len(w.Log)-300:]
	}
}

func (w *World) violate(f string, a ...any) {
	w.Violations = append(w.Violations, fmt.Sprintf("step %d: ", w.Steps)+fmt.Sprintf(f, a...))
}

// Submit sends a request through the planner and persists its writes.
func (w *World) Submit(req plan.Request) (plan.Accepted, error) {
	w.State.Now = w.Now
	acc, err := w.Planner.Submit(w.State, req)
	if err != nil {
		return acc, err
	}
	w.execute(acc.Plan)
	return acc, nil
}

// Reconcile runs a planning pass without offers.
func (w *World) Reconcile() plan.Plan {
	w.refreshViews()
	w.State.Now = w.Now
	w.Steps++
	p := w.Planner.Reconcile(w.State)
	w.execute(p)
	return p
}

// OfferRound makes every reachable agent offer what it has free, and runs MatchOffers.
func (w *World) OfferRound() plan.Plan {
	w.refreshViews()
	w.State.Now = w.Now
	offers := w.makeOffers()
	w.Steps++
	p := w.Planner.MatchOffers(w.State, offers)
	seen := map[string]int{}
	for _, a := range p.Actions {
		switch a := a.(type) {
		case plan.Accept:
			for _, id := range a.OfferIDs {
				seen[id]++
			}
		case plan.Decline:
			for _, id := range a.OfferIDs {
				seen[id]++
			}
		}
	}
	for _, o := range offers {
		if seen[o.ID] != 1 {
			w.violate("offer %s answered %d times", o.ID, seen[o.ID])
		}
	}
	w.execute(p)
	return p
}

// execute follows the runtime contract: persist every write, apply it, then act.
func (w *World) execute(p plan.Plan) {
	for _, wr := range p.Writes {
		w.checkWrite(wr)
	}
	// "ZooKeeper": store clones, as a real store would serialize.
	stored := make([]plan.Write, len(p.Writes))
	for i, wr := range p.Writes {
		c := wr
		if wr.Ring != nil {
			c.Ring = proto.Clone(wr.Ring).(*statev1.RingRecord)
		}
		if wr.Node != nil {
			c.Node = proto.Clone(wr.Node).(*statev1.NodeRecord)
		}
		if wr.Operation != nil {
			c.Operation = proto.Clone(wr.Operation).(*statev1.OperationRecord)
		}
		stored[i] = c
	}
	w.storedBefore = make(map[string]*statev1.NodeRecord, len(w.Store.Nodes))
	for k, v := range w.Store.Nodes {
		w.storedBefore[k] = v
	}
	w.Store.Apply(stored)
	w.State.Apply(p.Writes)
	if w.CrashAfterPersist {
		w.CrashAfterPersist = false
		w.logf("daemon killed after persisting, before %d actions", len(p.Actions))
		for _, a := range p.Actions {
			switch a := a.(type) {
			case plan.Accept:
				for _, id := range a.OfferIDs {
					delete(w.offers, id)
				}
			case plan.Decline:
				for _, id := range a.OfferIDs {
					delete(w.offers, id)
				}
			}
		}
		return
	}
	for _, a := range p.Actions {
		w.act(a)
	}
}

func (w *World) checkWrite(wr plan.Write) {
	switch wr.Kind {
	case plan.RecordNode:
		if !wr.Delete && wr.Node.GetName() != wr.Name {
			w.violate("node write named %s holds %s", wr.Name, wr.Node.GetName())
		}
	}
}

// Restart drops the daemon's memory: only the persisted records survive; the runtime reloads
// them and reconciles every recorded task with "Mesos".
func (w *World) Restart() {
	s := plan.NewState()
	for k, v := range w.Store.Rings {
		s.Rings[k] = proto.Clone(v).(*statev1.RingRecord)
	}
	for k, v := range w.Store.Nodes {
		s.Nodes[k] = proto.Clone(v).(*statev1.NodeRecord)
	}
	for k, v := range w.Store.Operations {
		s.Operations[k] = proto.Clone(v).(*statev1.OperationRecord)
	}
	for _, a := range w.Agents {
		s.Agents[a.ID] = plan.Agent{ID: a.ID, Hostname: a.Hostname, Attributes: a.Attrs, Reachable: a.Reachable, Gone: a.Gone, Since: w.Now}
	}
	s.FrameworkID = w.FrameworkID
	w.State = s
	w.logf("daemon restarted")
	// Explicit reconciliation of every recorded task, then implicit for the rest.
	for _, n := range s.Nodes {
		if n.GetTaskId() == "" {
			continue
		}
		p := w.Procs[n.GetTaskId()]
		if p == nil {
			s.Tasks[n.GetTaskId()] = plan.TaskStatus{TaskID: n.GetTaskId(), AgentID: n.GetAgentId(), State: plan.TaskGone, Reason: "REASON_RECONCILIATION", At: w.Now}
			continue
		}
		w.report(p)
	}
	for _, p := range w.sortedProcs() {
		if !w.dead(p) {
			w.report(p)
		}
	}
	s.Reconciled = true
}

func (w *World) sortedProcs() []*Proc {
	out := make([]*Proc, 0, len(w.Procs))
	for _, p := range w.Procs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TaskID < out[j].TaskID })
	return out
}

// report sends a task's status to the daemon (lost if its agent is unreachable).
func (w *World) report(p *Proc) {
	a := w.agent(p.AgentID)
	st := p.State
	if a != nil && !a.Reachable && !w.dead(p) {
		st = plan.TaskUnreachable
	}
	if a != nil && a.Gone && !w.dead(p) {
		st = plan.TaskGoneByOperator
	}
	w.State.Tasks[p.TaskID] = plan.TaskStatus{
		TaskID: p.TaskID, AgentID: p.AgentID, State: st,
		Healthy: st == plan.TaskRunning && p.Mode == cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL,
		Mode:    p.Mode, HostID: p.HostID, At: w.Now,
	}
}

func (w *World) refreshViews() {
	w.State.Views = map[string]plan.NodeView{}
	// Every UN node reports on every node it knows.
	var reporters int
	for _, p := range w.Procs {
		if w.procUN(p) {
			reporters++
		}
	}
	if reporters == 0 {
		return
	}
	for name, n := range w.State.Nodes {
		p := w.Procs[n.GetTaskId()]
		v := plan.NodeView{Reporters: reporters, At: w.Now, Liveness: cassmesosv1.Liveness_LIVENESS_DOWN}
		if p != nil && w.procAlive(p) && p.Mode != cassmesosv1.CassandraMode_CASSANDRA_MODE_STARTING && p.Mode != cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED {
			v.Liveness, v.Mode, v.HostID, v.Up = cassmesosv1.Liveness_LIVENESS_UP, p.Mode, p.HostID, reporters
		}
		w.State.Views[name] = v
	}
}

func (w *World) procAlive(p *Proc) bool {
	a := w.agent(p.AgentID)
	return p.State == plan.TaskRunning && a != nil && a.Reachable && !a.Gone
}

func (w *World) procUN(p *Proc) bool {
	return w.procAlive(p) && p.Mode == cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL
}

// makeOffers builds one offer per reachable agent with its free resources.
func (w *World) makeOffers() []plan.Offer {
	w.offers = map[string]bool{}
	var out []plan.Offer
	for _, a := range w.Agents {
		if !a.Reachable || a.Gone {
			continue
		}
		cpus, mem, disk := a.CPUs, a.Mem, a.Disk
		usedPorts := map[uint64]bool{}
		inUse := map[*group]bool{}
		heldCPUs, heldMem := map[*group]float64{}, map[*group]float64{}
		for _, g := range a.groups {
			cpus -= g.cpus
			mem -= g.mem
			disk -= g.disk
		}
		for _, p := range w.Procs {
			if p.AgentID == a.ID && p.execUp {
				if p.execReserved && p.reservedGroup != nil {
					heldCPUs[p.reservedGroup] += p.execCPUs
					heldMem[p.reservedGroup] += p.execMem
				} else if !p.execReserved {
					cpus -= p.execCPUs
					mem -= p.execMem
				}
			}
			if p.AgentID != a.ID || w.dead(p) {
				continue
			}
			if p.reservedGroup != nil {
				inUse[p.reservedGroup] = true
			} else {
				cpus -= p.cpus
				mem -= p.mem
				disk -= p.disk
			}
			for _, port := range p.ports {
				usedPorts[port] = true
			}
		}
		w.nextOf++
		o := plan.Offer{ID: fmt.Sprintf("o%d", w.nextOf), AgentID: a.ID, Hostname: a.Hostname, Address: a.Address, Attributes: a.Attrs}
		o.Resources = append(o.Resources,
			placement.Resource{Name: placement.CPUs, Scalar: cpus, Role: "cassmesos"},
			placement.Resource{Name: placement.Mem, Scalar: mem, Role: "cassmesos"},
			placement.Resource{Name: placement.Disk, Scalar: disk, Role: "cassmesos"})
		var ranges []placement.Range
		for _, r := range a.Ports {
			for p := r.Begin; p <= r.End; p++ {
				if !usedPorts[p] {
					ranges = append(ranges, placement.Range{Begin: p, End: p})
				}
			}
		}
		o.Resources = append(o.Resources, placement.Resource{Name: placement.Ports, Ranges: ranges, Role: "cassmesos"})
		for _, g := range a.groups {
			if inUse[g] {
				continue
			}
			rv := &placement.Reservation{Role: "cassmesos", Labels: g.labels}
			if c := g.cpus - heldCPUs[g]; c > 1e-9 {
				o.Resources = append(o.Resources, placement.Resource{Name: placement.CPUs, Scalar: c, Role: "cassmesos", Reservation: rv, Raw: g})
			}
			if m := g.mem - heldMem[g]; m > 1e-9 {
				o.Resources = append(o.Resources, placement.Resource{Name: placement.Mem, Scalar: m, Role: "cassmesos", Reservation: rv, Raw: g})
			}
			if g.disk > 1e-9 {
				d := placement.Resource{Name: placement.Disk, Scalar: g.disk, Role: "cassmesos", Reservation: rv, Raw: g}
				if g.volume != "" {
					d.Volume = &placement.Volume{PersistenceID: g.volume, ContainerPath: "data"}
				}
				o.Resources = append(o.Resources, d)
			}
		}
		w.offers[o.ID] = true
		out = append(out, o)
	}
	return out
}

func (w *World) act(a plan.Action) {
	switch a := a.(type) {
	case plan.Accept:
		w.accept(a)
	case plan.Decline:
		for _, id := range a.OfferIDs {
			delete(w.offers, id)
		}
	case plan.Kill:
		p := w.Procs[a.TaskID]
		if p == nil || w.dead(p) {
			return
		}
		ag := w.agent(p.AgentID)
		if ag == nil || !ag.Reachable || ag.Gone {
			return
		}
		w.logf("kill %s (drain first)", a.TaskID)
		p.Mode = cassmesosv1.CassandraMode_CASSANDRA_MODE_DRAINED
		p.State = plan.TaskKilled
		w.report(p)
	case plan.Relay:
		w.relay(a)
	case plan.ReconcileTasks:
		for _, t := range a.Tasks {
			if p := w.Procs[t.TaskID]; p != nil {
				w.report(p)
			} else {
				w.State.Tasks[t.TaskID] = plan.TaskStatus{TaskID: t.TaskID, AgentID: t.AgentID, State: plan.TaskGone, At: w.Now}
			}
		}
	}
}

func (w *World) relay(r plan.Relay) {
	if res, ok := w.State.Relays[r.ID]; ok && res.Done {
		return
	}
	var target *Proc
	for _, p := range w.Procs {
		if p.Node == r.Node && w.procAlive(p) {
			target = p
		}
	}
	if target == nil {
		w.logf("relay %s to %s: executor unreachable", r.ID, r.Node)
		w.State.Relays[r.ID] = plan.RelayResult{Done: true, Err: "executor unreachable", At: w.Now}
		return
	}
	if r.Secret == "" || r.Secret != target.Config.GetAgentSecret() {
		// The executor's API refuses a call without the secret its task was launched with.
		w.violate("relay %s to %s carries secret %q; its task %s was launched with %q", r.ID, r.Node, r.Secret, target.TaskID, target.Config.GetAgentSecret())
		w.State.Relays[r.ID] = plan.RelayResult{Done: true, Err: "Unauthenticated", At: w.Now}
		return
	}
	if w.HoldRelay != nil && w.HoldRelay(r) {
		return
	}
	switch r.Kind {
	case plan.RelayAutoRepair:
		op, _, _ := strings.Cut(r.ID, "/")
		if w.Store.Operations[op].GetState().GetAutoRepair() == nil {
			w.violate("auto repair call %s before its intent was persisted in operation %s", r.ID, op)
		}
		if target.Config.GetAutoRepair() == nil {
			w.State.Relays[r.ID] = plan.RelayResult{Done: true, Err: "auto repair is not enabled on this node", At: w.Now}
			return
		}
		verb := "pause"
		if r.Enable {
			verb = "resume"
		}
		w.logf("relay %s: %s auto repair on %s (%v)", r.ID, verb, r.Node, r.RepairTypes)
		w.AutoRepairLog = append(w.AutoRepairLog, verb+" "+r.Node)
		target.AutoRepairPaused = !r.Enable
		w.State.Relays[r.ID] = plan.RelayResult{Done: true, At: w.Now}
	case plan.RelayDecommission:
		w.logf("relay %s decommission %s (stored phase %v)", r.ID, r.Node, w.Store.Nodes[r.Node].GetPhase())
		if st := w.Store.Nodes[r.Node]; st.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING {
			w.violate("decommission of %s relayed before its intent was persisted (phase %v)", r.Node, st.GetPhase())
		}
		if target.leaving == 0 && target.Mode == cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
			w.logf("decommission %s", r.Node)
			target.leaving = 2
			target.Mode = cassmesosv1.CassandraMode_CASSANDRA_MODE_LEAVING
			target.relayID = r.ID
			w.report(target)
		}
	case plan.RelayRenewCert:
		w.logf("relay %s renew certificate of %s", r.ID, r.Node)
		if st := w.Store.Nodes[r.Node]; st.GetCertRenewalId() != r.ID {
			w.violate("certificate renewal %s of %s relayed before its intent was persisted (stored %q)", r.ID, r.Node, st.GetCertRenewalId())
		}
		if r.Address != target.Config.GetAddress() || r.Hostname != target.Config.GetHostname() {
			w.violate("certificate renewal of %s for %s/%s, its task runs on %s/%s", r.Node, r.Address, r.Hostname, target.Config.GetAddress(), target.Config.GetHostname())
		}
		if w.FailCertRenewal != nil && w.FailCertRenewal(r) {
			w.State.Relays[r.ID] = plan.RelayResult{Done: true, Err: "nodetool reloadssl failed", At: w.Now}
			return
		}
		w.CertLog = append(w.CertLog, r.Node+" "+r.ID)
		w.State.Relays[r.ID] = plan.RelayResult{Done: true, At: w.Now}
	case plan.RelayListKeyspaces:
		w.State.Relays[r.ID] = plan.RelayResult{Done: true, At: w.Now, Keyspaces: append([]plan.KeyspaceInfo(nil), w.Keyspaces...)}
	case plan.RelayRebuild:
		w.logf("relay %s rebuild %s from %s", r.ID, r.Node, r.SourceDatacenter)
		if st := w.Store.Nodes[r.Node]; !st.GetRebuildJoin() {
			w.violate("rebuild of %s, which is not a new data centre's node", r.Node)
		}
		if target.Mode != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
			w.violate("rebuild of %s while it is %v", r.Node, target.Mode)
		}
		w.Rebuilds = append(w.Rebuilds, r.Node+" from "+r.SourceDatacenter)
		w.State.Relays[r.ID] = plan.RelayResult{Done: true, At: w.Now}
	case plan.RelayReloadSeeds:
		w.logf("relay %s reloadseeds %s %v", r.ID, r.Node, r.Seeds)
		if len(r.Seeds) == 0 {
			w.violate("reloadseeds of %s without seeds", r.Node)
		}
		target.Seeds = append([]string(nil), r.Seeds...)
		w.State.Relays[r.ID] = plan.RelayResult{Done: true, At: w.Now}
	case plan.RelayRemovePeer:
		found := false
		for _, n := range w.Store.Nodes {
			if n.GetHostId() == r.HostID {
				found = true
				if n.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_DECOMMISSIONING {
					w.violate("removenode of %s relayed before its intent was persisted", n.GetName())
				}
			}
		}
		if !found {
			w.violate("removenode of unknown host ID %s", r.HostID)
		}
		w.State.Relays[r.ID] = plan.RelayResult{Done: true, At: w.Now}
	default:
		w.State.Relays[r.ID] = plan.RelayResult{Done: true, At: w.Now}
	}
}

func (w *World) accept(acc plan.Accept) {
	for _, id := range acc.OfferIDs {
		if !w.offers[id] {
			w.violate("accept of offer %s that is not outstanding", id)
			return
		}
		delete(w.offers, id)
	}
	a := w.agent(acc.AgentID)
	for _, op := range acc.Operations {
		switch op.Kind {
		case plan.OpReserve:
			g := &group{labels: op.Resources[0].Reservation.Labels}
			g.node = g.labels[placement.LabelNode]
			for _, r := range op.Resources {
				switch r.Name {
				case placement.CPUs:
					g.cpus += r.Scalar
				case placement.Mem:
					g.mem += r.Scalar
				case placement.Disk:
					g.disk += r.Scalar
				}
			}
			a.groups = append(a.groups, g)
			w.logf("reserve on %s for %s", a.ID, g.node)
		case plan.OpCreateVolume:
			node := op.Resources[0].Reservation.Labels[placement.LabelNode]
			var g *group
			for _, x := range a.groups {
				if x.node == node && x.volume == "" {
					g = x
				}
			}
			if g == nil {
				w.violate("create volume for %s without a reservation", node)
				continue
			}
			g.volume = op.Resources[0].Volume.PersistenceID
		case plan.OpLaunch:
			w.launch(a, op.Task)
		case plan.OpDestroyVolume:
			for _, r := range op.Resources {
				g, _ := r.Raw.(*group)
				if g == nil || g.volume != r.Volume.PersistenceID {
					w.violate("destroy of a volume not offered")
					continue
				}
				w.checkDestroy(a, g)
				w.logf("destroy volume %s of %s on %s", g.volume, g.node, a.ID)
				g.volume = ""
			}
		case plan.OpUnreserve:
			for _, r := range op.Resources {
				g, _ := r.Raw.(*group)
				if g == nil {
					w.violate("unreserve of resources not offered")
					continue
				}
				switch r.Name {
				case placement.CPUs:
					g.cpus -= r.Scalar
				case placement.Mem:
					g.mem -= r.Scalar
				case placement.Disk:
					if g.volume != "" {
						w.violate("unreserve of %s's disk before its volume is destroyed", g.node)
					}
					g.disk -= r.Scalar
				}
				if g.cpus < -1e-9 || g.mem < -1e-9 || g.disk < -1e-9 {
					w.violate("unreserve of more of %s's reservation than it holds", g.node)
				}
				if g.cpus < 1e-9 && g.mem < 1e-9 && g.disk < 1e-9 {
					for i, x := range a.groups {
						if x == g {
							a.groups = append(a.groups[:i], a.groups[i+1:]...)
							break
						}
					}
				}
			}
		}
	}
}

// checkDestroy: a volume is destroyed only when a persisted intent names it (invariant 7): the
// reservation of its node's REMOVED record, or an entry of its node record's release list, as
// stored when the planner decided (the same plan may drop the intent it fulfils).
func (w *World) checkDestroy(a *Agent, g *group) {
	for _, n := range []*statev1.NodeRecord{w.storedBefore[g.node], w.Store.Nodes[g.node]} {
		if n != nil && n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REMOVED &&
			n.GetReservation().GetAgentId() == a.ID && n.GetReservation().GetPersistenceId() == g.volume {
			return
		}
		for _, e := range n.GetRelease() {
			if e.GetAgentId() == a.ID && e.GetPersistenceId() == g.volume {
				return
			}
		}
	}
	w.violate("volume %s of %s on %s destroyed though no persisted record names it for release", g.volume, g.node, a.ID)
}

func (w *World) launch(a *Agent, t *plan.TaskLaunch) {
	cfg := t.Config
	// Invariant 3: no other live task for the slot, unless it is on an unreachable agent and
	// this launch replaces it.
	for _, p := range w.Procs {
		if p.Node != cfg.GetNode() || w.dead(p) {
			continue
		}
		pa := w.agent(p.AgentID)
		if pa.Reachable && !pa.Gone {
			w.violate("launch of %s while task %s of the same node is %v", t.TaskID, p.TaskID, p.State)
		}
	}
	// Invariant 2: a non-seed starts only when a seed is UN: a node launched as one, or one
	// that took over as seed later (its address on the new node's seed list).
	if !cfg.GetSeed() {
		ok := false
		for _, p := range w.Procs {
			seed := p.Seed || slices.Contains(cfg.GetSeeds(), w.Store.Nodes[p.Node].GetAddress())
			if p.Ring == cfg.GetRing() && seed && w.procUN(p) {
				ok = true
			}
		}
		if !ok {
			w.violate("non-seed %s launched with no seed UN", cfg.GetNode())
		}
	}
	// A task and its executor must not ask for more than the node's reservation: an offered
	// resource (Raw set) is sent as offered, so a split of it must not carry Raw.
	for _, r := range append(append([]plan.Resource(nil), t.Resources...), t.ExecutorResources...) {
		if g, ok := r.Raw.(*group); ok && (r.Name == placement.CPUs && r.Scalar != g.cpus || r.Name == placement.Mem && r.Scalar != g.mem) {
			w.violate("launch of %s uses %s %g of an offered %s that the runtime sends whole", t.TaskID, r.Name, r.Scalar, r.Name)
		}
	}
	if st := w.Store.Nodes[cfg.GetNode()]; st.GetTaskId() != t.TaskID {
		w.violate("launch of %s before it was persisted (stored task %q)", t.TaskID, st.GetTaskId())
	}
	if !strings.HasPrefix(t.TaskID, cfg.GetNode()+".") {
		w.violate("task ID %s does not start with the node name", t.TaskID)
	}
	p := &Proc{TaskID: t.TaskID, Node: cfg.GetNode(), Ring: cfg.GetRing(), AgentID: a.ID, Seed: cfg.GetSeed(),
		AutoBootstrap: cfg.GetAutoBootstrap(), Replace: cfg.GetReplaceAddress(), State: plan.TaskStaging, joinTicks: w.JoinTicks,
		Config: cfg, Seeds: append([]string(nil), cfg.GetSeeds()...)}
	for _, r := range t.Resources {
		switch r.Name {
		case placement.Ports:
			for _, rg := range r.Ranges {
				for q := rg.Begin; q <= rg.End; q++ {
					p.ports = append(p.ports, q)
				}
			}
		case placement.Disk:
			if r.Volume != nil {
				var g *group
				for _, x := range a.groups {
					if x.volume == r.Volume.PersistenceID {
						g = x
					}
				}
				if g == nil {
					w.violate("launch of %s with volume %s not on agent %s", t.TaskID, r.Volume.PersistenceID, a.ID)
				}
				p.reservedGroup = g
			} else {
				p.disk += r.Scalar
			}
		case placement.CPUs:
			if r.Reservation == nil {
				p.cpus += r.Scalar
			}
		case placement.Mem:
			if r.Reservation == nil {
				p.mem += r.Scalar
			}
		}
	}
	for _, r := range t.ExecutorResources {
		switch r.Name {
		case placement.CPUs:
			p.execCPUs += r.Scalar
		case placement.Mem:
			p.execMem += r.Scalar
		}
		if r.Reservation != nil {
			p.execReserved = true
		}
	}
	p.execUp = true
	// Host ID: kept by a restart in place (same volume), new otherwise.
	p.HostID = "host-" + t.TaskID
	for _, q := range w.Procs {
		if q.Node == p.Node && q.reservedGroup != nil && q.reservedGroup == p.reservedGroup && q.HostID != "" {
			p.HostID = q.HostID
		}
	}
	w.checkPorts(a, p)
	w.Procs[t.TaskID] = p
	w.logf("launch %s on %s (seed=%v auto_bootstrap=%v replace=%q seeds=%v)", t.TaskID, a.ID, cfg.GetSeed(), cfg.GetAutoBootstrap(), cfg.GetReplaceAddress(), cfg.GetSeeds())
}

// Tick advances time by d and every process by one stage, and reports changes.
func (w *World) Tick(d time.Duration) {
	w.Now = w.Now.Add(d)
	for _, p := range w.sortedProcs() {
		if a := w.agent(p.AgentID); p.execUp && (w.dead(p) || a == nil || a.Gone) {
			p.execUp = false
		}
		if !w.procAliveOrStarting(p) {
			continue
		}
		before := *p
		switch {
		case p.State == plan.TaskStaging:
			p.State = plan.TaskRunning
			p.Mode = cassmesosv1.CassandraMode_CASSANDRA_MODE_STARTING
		case p.Mode == cassmesosv1.CassandraMode_CASSANDRA_MODE_STARTING:
			if (p.AutoBootstrap && !p.Seed) || p.Replace != "" {
				p.Mode = cassmesosv1.CassandraMode_CASSANDRA_MODE_JOINING
			} else {
				p.Mode = cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL
			}
		case p.Mode == cassmesosv1.CassandraMode_CASSANDRA_MODE_JOINING:
			p.joinTicks--
			if p.joinTicks <= 0 {
				p.Mode = cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL
			}
		case p.leaving > 0:
			p.leaving--
			if p.leaving == 0 {
				p.Mode = cassmesosv1.CassandraMode_CASSANDRA_MODE_DECOMMISSIONED
				w.State.Relays[p.relayID] = plan.RelayResult{Done: true, At: w.Now}
			}
		}
		if before.State != p.State || before.Mode != p.Mode {
			w.report(p)
		}
	}
}

func (w *World) procAliveOrStarting(p *Proc) bool {
	a := w.agent(p.AgentID)
	return (p.State == plan.TaskRunning || p.State == plan.TaskStaging) && a != nil && a.Reachable && !a.Gone
}

// Crash makes a running task fail.
func (w *World) Crash(taskID string) {
	p := w.Procs[taskID]
	if p == nil || !w.procAliveOrStarting(p) {
		return
	}
	w.logf("crash %s", taskID)
	p.State = plan.TaskFailed
	p.Mode = cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED
	w.report(p)
}

// Partition makes an agent unreachable (its tasks keep running, unseen) or heals it.
func (w *World) Partition(agentID string, cut bool) {
	a := w.agent(agentID)
	if a == nil || a.Gone || a.Reachable == !cut {
		return
	}
	a.Reachable = !cut
	w.logf("agent %s reachable=%v", agentID, a.Reachable)
	w.State.Agents[a.ID] = plan.Agent{ID: a.ID, Hostname: a.Hostname, Attributes: a.Attrs, Reachable: a.Reachable, Since: w.Now}
	for _, p := range w.sortedProcs() {
		if p.AgentID == agentID && !w.dead(p) {
			w.report(p)
		}
	}
}

// RemoveAgent makes an agent gone for good: its tasks and reservations are lost.
func (w *World) RemoveAgent(agentID string) {
	a := w.agent(agentID)
	if a == nil || a.Gone {
		return
	}
	w.logf("agent %s gone", agentID)
	a.Gone, a.Reachable = true, false
	a.groups = nil
	w.State.Agents[a.ID] = plan.Agent{ID: a.ID, Hostname: a.Hostname, Attributes: a.Attrs, Gone: true, Since: w.Now}
	for _, p := range w.sortedProcs() {
		if p.AgentID == agentID && !w.dead(p) {
			p.State = plan.TaskGoneByOperator
			w.report(p)
		}
	}
}

// UN returns how many nodes of the ring are UN in the world (truth, not the daemon's view).
func (w *World) UN(ring string) int {
	n := 0
	for _, rec := range w.Store.Nodes {
		if rec.GetRing() != ring {
			continue
		}
		if p := w.Procs[rec.GetTaskId()]; p != nil && w.procUN(p) {
			n++
		}
	}
	return n
}

// LiveProcs returns the live tasks of a node in the world.
func (w *World) LiveProcs(node string) []*Proc {
	var out []*Proc
	for _, p := range w.sortedProcs() {
		if p.Node == node && !w.dead(p) {
			out = append(out, p)
		}
	}
	return out
}

// checkPorts: a task uses only ports its agent offers and no other live task on the agent
// holds; every port its configuration binds (storage, ssl storage, native, JMX, the executor's)
// is among them; and no live task on another agent of the same host binds the same JMX port
// (Cassandra binds JMX on 127.0.0.1 or the wildcard address, not on the node's address).
func (w *World) checkPorts(a *Agent, p *Proc) {
	have := map[uint64]bool{}
	for _, port := range p.ports {
		have[port] = true
		offered := false
		for _, r := range a.Ports {
			offered = offered || port >= r.Begin && port <= r.End
		}
		if !offered {
			w.violate("launch of %s uses port %d that agent %s does not have", p.TaskID, port, a.ID)
		}
		for _, q := range w.sortedProcs() {
			if q.AgentID == a.ID && !w.dead(q) && containsPort(q.ports, port) {
				w.violate("launch of %s uses port %d held by %s", p.TaskID, port, q.TaskID)
			}
		}
	}
	c := p.Config
	for _, e := range []struct {
		name string
		port uint32
	}{{"storage", c.GetPorts().GetStorage()}, {"ssl storage", c.GetPorts().GetSslStorage()}, {"native", c.GetPorts().GetNative()},
		{"jmx", c.GetPorts().GetJmx()}, {"agent", c.GetAgentPort()}} {
		if e.port == 0 || !have[uint64(e.port)] {
			w.violate("launch of %s binds %s port %d that is not among its resources %v", p.TaskID, e.name, e.port, p.ports)
		}
	}
	for _, q := range w.sortedProcs() {
		qa := w.agent(q.AgentID)
		if q.AgentID != a.ID && qa.Hostname == a.Hostname && !w.dead(q) && q.Config.GetPorts().GetJmx() == c.GetPorts().GetJmx() {
			w.violate("launch of %s binds JMX port %d on host %s, as %s does", p.TaskID, c.GetPorts().GetJmx(), a.Hostname, q.TaskID)
		}
	}
}

func containsPort(ps []uint64, p uint64) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// CheckInvariants checks the world and the persisted records after a step and returns the
// violations found (including those recorded while acting).
func (w *World) CheckInvariants() []string {
	v := append([]string(nil), w.Violations...)
	w.Violations = nil
	// Invariant 1: at most one node per ring joining/leaving (first start counts as joining).
	changing := map[string][]string{}
	for _, p := range w.sortedProcs() {
		if !w.procAliveOrStarting(p) {
			continue
		}
		rec := w.Store.Nodes[p.Node]
		firstStart := rec != nil && !rec.GetBootstrapped() && p.Mode != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL
		if p.Mode == cassmesosv1.CassandraMode_CASSANDRA_MODE_JOINING || p.Mode == cassmesosv1.CassandraMode_CASSANDRA_MODE_LEAVING || firstStart {
			changing[p.Ring] = append(changing[p.Ring], p.Node)
		}
	}
	for ring, ns := range changing {
		if len(ns) > 1 {
			v = append(v, fmt.Sprintf("step %d: ring %s has %d nodes changing topology at once: %v", w.Steps, ring, len(ns), ns))
		}
	}
	// Invariant 3: never two live tasks for one node slot on reachable agents.
	live := map[string][]string{}
	for _, p := range w.sortedProcs() {
		a := w.agent(p.AgentID)
		if !w.dead(p) && a.Reachable && !a.Gone {
			live[p.Node] = append(live[p.Node], p.TaskID)
		}
	}
	for node, ts := range live {
		if len(ts) > 1 {
			v = append(v, fmt.Sprintf("step %d: node %s has %d live tasks: %v", w.Steps, node, len(ts), ts))
		}
	}
	// Records are consistent: a node's ring exists.
	for name, n := range w.Store.Nodes {
		if w.Store.Rings[n.GetRing()] == nil {
			v = append(v, fmt.Sprintf("step %d: node %s stored without its ring %s", w.Steps, name, n.GetRing()))
		}
	}
	return v
}

// Dump describes the world for failure messages.
func (w *World) Dump() string {
	var b strings.Builder
	for _, name := range keys(w.Store.Nodes) {
		n := w.Store.Nodes[name]
		fmt.Fprintf(&b, "node %s phase=%v task=%s state=%s boot=%v agent=%s msg=%q\n", name, n.GetPhase(), n.GetTaskId(), n.GetTaskState(), n.GetBootstrapped(), n.GetAgentId(), n.GetMessage())
	}
	for _, id := range keys(w.Store.Operations) {
		o := w.Store.Operations[id].GetOperation()
		fmt.Fprintf(&b, "op %s %v %v blocked=%q err=%q\n", id, o.GetKind(), o.GetPhase(), o.GetBlockedReason(), o.GetError())
		for _, s := range o.GetSteps() {
			fmt.Fprintf(&b, "   %s %v %q attempts=%d\n", s.GetName(), s.GetPhase(), s.GetMessage(), s.GetAttempts())
		}
	}
	for _, p := range w.sortedProcs() {
		fmt.Fprintf(&b, "proc %s %v %v agent=%s\n", p.TaskID, p.State, p.Mode, p.AgentID)
	}
	tail := w.Log
	if len(tail) > 60 {
		tail = tail[len(tail)-60:]
	}
	b.WriteString(strings.Join(tail, "\n"))
	return b.String()
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lose reports a task as TASK_LOST (the process is gone).
func (w *World) Lose(taskID string) {
	p := w.Procs[taskID]
	if p == nil || !w.procAliveOrStarting(p) {
		return
	}
	w.logf("lost %s", taskID)
	p.State = plan.TaskLost
	p.Mode = cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED
	w.report(p)
}

// LiveTaskIDs returns the IDs of live tasks on reachable agents, sorted.
func (w *World) LiveTaskIDs() []string {
	var out []string
	for _, p := range w.sortedProcs() {
		if w.procAliveOrStarting(p) {
			out = append(out, p.TaskID)
		}
	}
	return out
}

// HealAll makes every partitioned agent reachable again.
func (w *World) HealAll() {
	for _, a := range w.Agents {
		if !a.Reachable && !a.Gone {
			w.Partition(a.ID, false)
		}
	}
}

// AgentIDs returns the IDs of agents that are not gone.
func (w *World) AgentIDs() []string {
	var out []string
	for _, a := range w.Agents {
		if !a.Gone {
			out = append(out, a.ID)
		}
	}
	return out
}

// dead: the process is gone (terminal, or TASK_LOST, which the sim only uses for dead tasks).
func (w *World) dead(p *Proc) bool { return p.State.Terminal() || p.State == plan.TaskLost }

// Reservations lists every reservation still held on an agent, as "agent/node cpus=… mem=…
// disk=… volume=…", sorted.
func (w *World) Reservations() []string {
	var out []string
	for _, a := range w.Agents {
		for _, g := range a.groups {
			out = append(out, fmt.Sprintf("%s/%s cpus=%.4g mem=%.4g disk=%.4g volume=%q", a.ID, g.node, g.cpus, g.mem, g.disk, g.volume))
		}
	}
	sort.Strings(out)
	return out
}

// LegacyLabels drops the ID labels (framework ID, ring UID, persistence ID) from every
// reservation held, as a version before those labels made them.
func (w *World) LegacyLabels() {
	for _, a := range w.Agents {
		for _, g := range a.groups {
			lb := make(map[string]string, len(g.labels))
			for k, v := range g.labels {
				switch k {
				case placement.LabelFrameworkID, placement.LabelRingUID, placement.LabelPersistenceID:
				default:
					lb[k] = v
				}
			}
			g.labels = lb
		}
	}
}

// ReservationLabels returns the labels of the reservations held for a node, one map per
// reservation (copies).
func (w *World) ReservationLabels(node string) []map[string]string {
	var out []map[string]string
	for _, a := range w.Agents {
		for _, g := range a.groups {
			if g.node != node {
				continue
			}
			lb := make(map[string]string, len(g.labels))
			for k, v := range g.labels {
				lb[k] = v
			}
			out = append(out, lb)
		}
	}
	return out
}
