package plan

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cassmesos/cassmesos/daemon/placement"
	"github.com/cassmesos/cassmesos/internal/specrules"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func (p *Planner) reconcile(s *State, offers []Offer) Plan {
	ps := p.newPass(s)
	ps.mintRingUIDs()
	ps.mintRingRoles()
	ps.observe()
	ps.runSchedules()
	ps.runOps()
	ps.renewCerts()
	ps.reconcileUnknown()
	if offers != nil {
		ps.matchOffers(offers)
	}
	ps.refreshRings()
	ps.repairWarnings()
	roles := ps.roleWarnings()
	ps.rackWarnings()
	ps.markPendingReleases()
	pl := ps.finish()
	pl.RoleProblems = roles
	return pl
}

// reconcileUnknown asks Mesos about recorded tasks the runtime has no status for.
func (ps *pass) reconcileUnknown() {
	if !ps.s.Reconciled {
		return
	}
	var refs []TaskRef
	for _, name := range sortedKeys(ps.nodes) {
		n := ps.nodes[name]
		if c, st := ps.task(n); c == condUnknown && st.TaskID == "" && n.GetPhaseTime() != nil && ps.now.Sub(n.GetPhaseTime().AsTime()) > time.Minute {
			refs = append(refs, TaskRef{TaskID: n.GetTaskId(), AgentID: n.GetAgentId()})
		}
	}
	if len(refs) > 0 {
		ps.act(ReconcileTasks{Tasks: refs})
	}
}

// staticPorts returns a ring's static ports: storage, ssl storage, JMX and native, without JMX
// when each node takes its JMX port from its offer (ports.jmx_from_offer).
func staticPorts(spec *cassmesosv1.RingSpec) []uint64 {
	p := spec.GetPorts()
	if p.GetJmxFromOffer() {
		return []uint64{uint64(p.GetStorage()), uint64(p.GetSslStorage()), uint64(p.GetNative())}
	}
	return []uint64{uint64(p.GetStorage()), uint64(p.GetSslStorage()), uint64(p.GetJmx()), uint64(p.GetNative())}
}

// dynamicPorts is how many offered ports a node of the ring takes besides its static ports: the
// executor's gRPC port (Use.DynamicPorts[0]), and its JMX port (Use.DynamicPorts[1]) when the
// ring's ports.jmx_from_offer is set.
func dynamicPorts(spec *cassmesosv1.RingSpec) int {
	if spec.GetPorts().GetJmxFromOffer() {
		return 2
	}
	return 1
}

// jmxPort is the JMX port a node launched on a match binds: the offered one when the ring's
// ports.jmx_from_offer is set, the ring's static port otherwise.
func jmxPort(spec *cassmesosv1.RingSpec, m placement.Match) uint32 {
	if spec.GetPorts().GetJmxFromOffer() {
		return uint32(m.Use.DynamicPorts[1])
	}
	return spec.GetPorts().GetJmx()
}

func compileConstraints(spec *cassmesosv1.RingSpec) []placement.Constraint {
	var out []placement.Constraint
	for _, c := range spec.GetConstraints() {
		pc := placement.Constraint{Attribute: c.GetAttribute()}
		switch c.GetOperator() {
		case cassmesosv1.ConstraintOperator_CONSTRAINT_OPERATOR_SPREAD:
			pc.Operator = placement.OpSpread
		case cassmesosv1.ConstraintOperator_CONSTRAINT_OPERATOR_LIKE:
			pc.Operator = placement.OpLike
		case cassmesosv1.ConstraintOperator_CONSTRAINT_OPERATOR_UNLIKE:
			pc.Operator = placement.OpUnlike
		default:
			continue
		}
		if pc.Operator != placement.OpSpread {
			re, err := regexp.Compile("^(?:" + c.GetValue() + ")$")
			if err != nil {
				// ValidateSpec refuses these; a record that has one matches nothing for LIKE.
				re = regexp.MustCompile(`^\b$`)
			}
			pc.Pattern = re
		}
		out = append(out, pc)
	}
	return append(out, rackDCConstraints(spec)...)
}

// rackDCConstraints keep a ring off agents whose rack (or, without spec.datacenter, dc) attribute
// would write a value cassandra-rackdc.properties cannot hold (issue 13): such an agent is not
// used for the ring, and the node's message names it (rackDCRefusals).
func rackDCConstraints(spec *cassmesosv1.RingSpec) []placement.Constraint {
	var out []placement.Constraint
	if a := spec.GetRackAttribute(); a != "" {
		out = append(out, placement.Constraint{Attribute: a, Operator: placement.OpUnlike, Pattern: invalidRackDC{"rack"}})
	}
	if spec.GetDatacenter() == "" && !multiDC(spec) {
		out = append(out, placement.Constraint{Attribute: "dc", Operator: placement.OpUnlike, Pattern: invalidRackDC{"dc"}})
	}
	return out
}

// invalidRackDC matches an attribute value specrules.RackDC refuses (an empty one takes the default).
type invalidRackDC struct{ field string }

func (m invalidRackDC) MatchString(v string) bool {
	return v != "" && specrules.RackDC(m.field, v) != nil
}

// rackDCRefusals says which offered agents a ring cannot use because of an invalid rack or dc
// attribute ("" when none).
func rackDCRefusals(spec *cassmesosv1.RingSpec, offers []Offer) string {
	var out []string
	seen := map[string]bool{}
	for _, o := range offers {
		if seen[o.AgentID] {
			continue
		}
		seen[o.AgentID] = true
		for _, c := range rackDCConstraints(spec) {
			v, ok := o.Attributes[c.Attribute]
			if !ok || !c.Pattern.MatchString(v) {
				continue
			}
			err := specrules.RackDC("attribute "+c.Attribute, v)
			out = append(out, fmt.Sprintf("agent %s (%s) not used: %v", o.AgentID, o.Hostname, err))
		}
	}
	return strings.Join(out, "; ")
}

func (ps *pass) request(w *launchWant, cons map[string][]placement.Constraint) placement.Request {
	n := ps.node(w.node)
	spec := ps.ring(n.GetRing()).GetSpec()
	c, ok := cons[n.GetRing()]
	if !ok {
		c = compileConstraints(spec)
		cons[n.GetRing()] = c
	}
	if rc, ok := regionConstraint(spec, n); ok {
		c = append(append([]placement.Constraint(nil), c...), rc)
	}
	cfg := ps.p.cfg
	req := placement.Request{
		Key:           w.node,
		Group:         placementGroup(spec, n),
		Role:          ps.ringRole(n.GetRing()),
		CPUs:          spec.GetResources().GetCpus() + cfg.ExecutorCPUs,
		MemMB:         float64(spec.GetResources().GetMemMb() + cfg.ExecutorMemMB),
		DiskMB:        float64(spec.GetResources().GetDiskMb()),
		StaticPorts:   staticPorts(spec),
		DynamicPorts:  dynamicPorts(spec),
		Constraints:   c,
		RackAttribute: spec.GetRackAttribute(),
		Ephemeral:     spec.GetEphemeralData(),
	}
	if w.inPlace {
		if res := n.GetReservation(); res.GetAgentId() != "" {
			req.Agent = res.GetAgentId()
			req.PersistenceID = res.GetPersistenceId()
		} else {
			req.Agent = n.GetAgentId()
		}
		ps.resizeInPlace(&req, n)
	}
	return req
}

// placedNodes lists where the framework's nodes are (live tasks or held reservations).
func (ps *pass) placedNodes() []placement.Placed {
	var out []placement.Placed
	for _, name := range sortedKeys(ps.nodes) {
		n := ps.nodes[name]
		agent := n.GetReservation().GetAgentId()
		if agent == "" && ps.live(n) {
			agent = n.GetAgentId()
		}
		if agent == "" {
			continue
		}
		r := ps.ring(n.GetRing())
		out = append(out, placement.Placed{
			Key:         name,
			Group:       placementGroup(r.GetSpec(), n),
			AgentID:     agent,
			Attributes:  ps.s.Agents[agent].Attributes,
			StaticPorts: staticPorts(r.GetSpec()),
		})
	}
	return out
}

// agentOps collects the offer operations for one agent's offers of one role: Mesos makes an
// offer per agent and role, and an ACCEPT may combine only offers of one agent and one role.
type agentOps struct {
	agentID  string
	role     string
	offerIDs []string
	release  []OfferOp
	launch   []OfferOp
}

// agentRoleKey keys what is per agent and role.
func agentRoleKey(agentID, role string) string { return agentID + "\x00" + role }

// offerRole is an offer's allocation role: Offer.Role, else (a master or test that leaves the
// offer's allocation_info out) the role of its first resource that names one.
func offerRole(o Offer) string {
	if o.Role != "" {
		return o.Role
	}
	for _, r := range o.Resources {
		if r.Role != "" && r.Role != "*" {
			return r.Role
		}
	}
	return ""
}

// hasReservation reports whether any of rs is reserved.
func hasReservation(rs []Resource) bool {
	for _, r := range rs {
		if r.Reservation != nil {
			return true
		}
	}
	return false
}

func (ps *pass) matchOffers(offers []Offer) {
	cfg := ps.p.cfg
	offers = slices.Clone(offers)
	for i := range offers {
		offers[i].Role = offerRole(offers[i])
	}
	// Sized once: one entry per agent and role at most per offer; the agentOps live in one block
	// (never appended past its capacity, so the pointers stay valid).
	byAgent := make(map[string]*agentOps, len(offers)) // by agentRoleKey
	agentOrder := make([]string, 0, len(offers))
	opsBlock := make([]agentOps, 0, len(offers))
	for _, o := range offers {
		k := agentRoleKey(o.AgentID, o.Role)
		a := byAgent[k]
		if a == nil {
			opsBlock = append(opsBlock, agentOps{agentID: o.AgentID, role: o.Role})
			a = &opsBlock[len(opsBlock)-1]
			byAgent[k] = a
			agentOrder = append(agentOrder, k)
		}
		a.offerIDs = append(a.offerIDs, o.ID)
	}

	// 1. Sort the offered reservations out by owner (reservations.go): destroy and unreserve
	//    those a persisted intent names (a REMOVED node's, a node's release entries), report
	//    ours that nothing names, and leave every other alone. Placement gets the unreserved
	//    resources and the reservations our nodes hold now, nothing else.
	// Every offer goes to trimmed once, in order, after it was read: trimmed reuses the clone.
	trimmed := offers[:0]
	released := map[string]map[int]bool{}
	for _, o := range offers {
		if !hasReservation(o.Resources) {
			trimmed = append(trimmed, o) // nothing to sort out: keep the offer's own slice
			continue
		}
		keep := make([]Resource, 0, len(o.Resources))
		var destroy, unreserve []Resource
		for _, r := range o.Resources {
			if r.Reservation == nil {
				keep = append(keep, r)
				continue
			}
			switch c := ps.claim(o.AgentID, r); c.kind {
			case claimKeep:
				keep = append(keep, r)
			case claimUnclaimed:
				ps.noteUnclaimed(o.AgentID, r, c)
			case claimRelease:
				ps.noteReleased(r, c)
				if released[c.node] == nil {
					released[c.node] = map[int]bool{}
				}
				released[c.node][c.entry] = true
				if r.Volume != nil {
					destroy = append(destroy, r)
					u := r
					u.Volume = nil
					unreserve = append(unreserve, u)
				} else {
					unreserve = append(unreserve, r)
				}
			}
		}
		if len(destroy)+len(unreserve) > 0 {
			a := byAgent[agentRoleKey(o.AgentID, o.Role)]
			if len(destroy) > 0 {
				a.release = append(a.release, OfferOp{Kind: OpDestroyVolume, Resources: destroy})
			}
			a.release = append(a.release, OfferOp{Kind: OpUnreserve, Resources: unreserve})
		}
		o.Resources = keep
		trimmed = append(trimmed, o)
	}

	offered := make(map[string]bool, len(byAgent)) // by agentRoleKey: reserved resources are offered only to their role
	for k := range byAgent {
		offered[k] = true
	}
	ps.settleReleases(released, offered)

	ps.noteUnreserved(trimmed)

	ps.dropUnmadeReservations(offered, trimmed)

	// 2. Place wanted launches: seeds first, then by ring and ordinal.
	var wants []*launchWant
	for _, name := range sortedKeys(ps.want) {
		n := ps.node(name)
		if n == nil || ps.live(n) || ps.ring(n.GetRing()) == nil || !ps.roleHeld(n.GetRing()) {
			delete(ps.want, name)
			continue
		}
		wants = append(wants, ps.want[name])
	}
	sort.SliceStable(wants, func(i, j int) bool {
		a, b := ps.node(wants[i].node), ps.node(wants[j].node)
		if a.GetSeed() != b.GetSeed() {
			return a.GetSeed()
		}
		if a.GetRing() != b.GetRing() {
			return a.GetRing() < b.GetRing()
		}
		return a.GetOrdinal() < b.GetOrdinal()
	})
	// Launch-time guards (invariants 1 and 2), re-checked here because several steps may have
	// asked for launches in the same pass: a non-seed needs a seed UN, and a ring gets at most
	// one joining node (first start, bootstrap or replacement) at a time.
	joining := map[string]bool{}
	kept := wants[:0]
	for _, w := range wants {
		n := ps.node(w.node)
		if !n.GetSeed() && !ps.anySeedUN(n.GetRing(), "") {
			continue
		}
		if ps.joins(n) {
			if joining[n.GetRing()] || ps.topologyChange(n.GetRing(), n.GetName()) != "" {
				continue
			}
			joining[n.GetRing()] = true
		}
		kept = append(kept, w)
	}
	wants = kept
	if len(wants) > 0 {
		cons := map[string][]placement.Constraint{}
		reqs := make([]placement.Request, len(wants))
		for i, w := range wants {
			reqs[i] = ps.request(w, cons)
		}
		res := placeByRole(trimmed, reqs, ps.placedNodes())
		for _, m := range res.Matches {
			w := ps.want[m.Key]
			a := byAgent[agentRoleKey(m.AgentID, m.Use.Role)]
			a.launch = append(a.launch, ps.launch(w, m)...)
			delete(ps.want, m.Key)
		}
		for _, w := range wants {
			why, ok := res.Unplaced[w.node]
			if ok {
				if bad := rackDCRefusals(ps.ring(ps.node(w.node).GetRing()).GetSpec(), trimmed); bad != "" {
					why += "; " + bad
				}
			}
			if ok && ps.node(w.node).GetMessage() != why {
				ps.mutNode(w.node).Message = why
			}
		}
	}

	// 3. Accept what is used (one ACCEPT per agent and role), decline the rest.
	refuse := cfg.RefuseIdle
	if len(ps.want) > 0 || len(ps.releases) > 0 {
		refuse = cfg.RefuseUnneeded
	}
	declined := make([]string, 0, len(offers))
	for _, id := range agentOrder {
		a := byAgent[id]
		if len(a.release)+len(a.launch) == 0 {
			declined = append(declined, a.offerIDs...)
			continue
		}
		ops := append(append([]OfferOp(nil), a.release...), a.launch...)
		ps.act(Accept{AgentID: a.agentID, Role: a.role, OfferIDs: a.offerIDs, Operations: ops, Refuse: refuse})
	}
	if len(declined) > 0 {
		ps.act(Decline{OfferIDs: declined, Refuse: refuse})
	}
}

// dropUnmadeReservations forgets the reservation intent of a node about to join whose
// reservation was never confirmed (its launch was persisted, but the ACCEPT that would have made
// the reservation may never have reached the master: a daemon killed in between, a call that
// failed) when an offer from that agent, in this pass, holds no volume with its persistence ID.
// Reserved resources are offered only to their role, and a node waiting for a launch has no live
// task using them, so the volume's absence proves the reservation was not made; waiting for it
// would wait forever. Whatever part of it was offered (a RESERVE without its CREATE) moves to
// the node's release list, so it is released rather than left unclaimed; the node is placed anew.
// Data is never at stake: only a node that joins (never bootstrapped, or a replacement) is
// concerned, and a confirmed reservation is never dropped.
// Only an offer of the reservation's role proves it: another role's offer from the same agent
// never holds it. offered holds the agent and role pairs (agentRoleKey) that offered this pass.
func (ps *pass) dropUnmadeReservations(offered map[string]bool, offers []Offer) {
	for _, name := range sortedKeys(ps.want) {
		w := ps.want[name]
		n := ps.node(name)
		res := n.GetReservation()
		if n == nil || res == nil || res.GetConfirmed() || res.GetPersistenceId() == "" || ps.live(n) || !ps.joins(n) {
			continue
		}
		role := ps.reservationRole(n, res)
		if !offered[agentRoleKey(res.GetAgentId(), role)] || volumeOffered(offers, res.GetAgentId(), role, res.GetPersistenceId()) {
			continue
		}
		m := ps.mutNode(name)
		if reservedOffered(offers, res) {
			m.Release = append(m.Release, proto.Clone(res).(*statev1.Reservation))
		}
		m.Reservation = nil
		m.Message = "its reservation on agent " + res.GetAgentId() + " was never made (the agent's offer holds no volume " +
			res.GetPersistenceId() + "); placing " + name + " anew"
		w.inPlace = false
	}
}

// reservedOffered reports whether an offer holds a reserved resource that res names.
func reservedOffered(offers []Offer, res *statev1.Reservation) bool {
	for _, o := range offers {
		for _, r := range o.Resources {
			if r.Reservation != nil && holds(res, o.AgentID, r) {
				return true
			}
		}
	}
	return false
}

// volumeOffered reports whether an offer of role from agentID holds the persistent volume pid.
func volumeOffered(offers []Offer, agentID, role, pid string) bool {
	for _, o := range offers {
		if o.AgentID != agentID || o.Role != role {
			continue
		}
		for _, r := range o.Resources {
			if r.Volume != nil && r.Volume.PersistenceID == pid {
				return true
			}
		}
	}
	return false
}

// joins reports whether launching the node makes it join the ring (a topology change): a
// first start, a bootstrap, a replacement, or an ephemeral node that lost its data.
func (ps *pass) joins(n *statev1.NodeRecord) bool {
	return !n.GetBootstrapped() || n.GetReplacesAddress() != "" || ps.ring(n.GetRing()).GetSpec().GetEphemeralData()
}

func scalar(name string, v float64, role string, rv *placement.Reservation) Resource {
	return Resource{Name: name, Scalar: v, Role: role, Reservation: rv}
}

// launch records the launch of a node on a match (new incarnation, task ID, agent,
// reservation) and returns the offer operations.
func (ps *pass) launch(w *launchWant, m placement.Match) []OfferOp {
	cfg := ps.p.cfg
	name := w.node
	old := ps.node(name)
	ring := ps.ring(old.GetRing())
	spec := ring.GetSpec()
	ps.setPhase(name, cassmesosv1.NodePhase_NODE_PHASE_LAUNCHING)
	n := ps.mutNode(name)
	if n.GetBootstrapped() {
		n.Restarts++
	}
	n.Incarnation++
	taskID := fmt.Sprintf("%s.%d.%s", name, n.Incarnation, strings.ToLower(ps.p.ids.NewID()))
	n.TaskId = taskID
	n.ExecutorId = fmt.Sprintf("%s.%d", name, n.Incarnation)
	n.AgentId = m.AgentID
	n.Hostname = m.Hostname
	n.Address = m.Address
	n.Rack = attrOr(m.Attributes, spec.GetRackAttribute(), DefaultRack)
	if !multiDC(spec) || n.Datacenter == "" {
		n.Datacenter = spec.GetDatacenter()
	}
	if n.Datacenter == "" {
		n.Datacenter = attrOr(m.Attributes, "dc", DefaultDatacenter)
	}
	n.AgentPort = uint32(m.Use.DynamicPorts[0])
	n.JmxPort = jmxPort(spec, m)
	n.TaskSecret = "" // derived from the key (Config.TaskSecret), never stored; clears an older daemon's
	n.Generation = ring.GetGeneration()
	n.TaskState = ""
	n.Message = ""
	n.Mode = cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED
	n.Liveness = cassmesosv1.Liveness_LIVENESS_UNSPECIFIED
	n.Tokens = spec.GetNumTokens()
	ps.markCertIssued(n)
	if n.CreateTime == nil {
		n.CreateTime = ps.ts()
	}

	if rec := ps.mutOp(w.opID); rec != nil && w.step < len(rec.Operation.Steps) {
		st := rec.Operation.Steps[w.step]
		st.Attempts++
		st.Message = "launching task " + taskID + " on " + m.Hostname
		if c := rec.GetState().GetSteps()[int32(w.step)]; c != nil {
			c.OfferWaitSince = nil
		}
	}

	pid := n.GetReservation().GetPersistenceId()
	fresh := !spec.GetEphemeralData() && len(m.Use.Reserved) == 0
	if fresh {
		pid = name + "-" + strings.ToLower(ps.p.ids.NewID())
	}
	ringRole := ps.ringRole(n.GetRing())
	rv := &placement.Reservation{Role: ringRole, Principal: cfg.Principal, Labels: ps.reservationLabels(n, pid)}
	cpus, mem, disk := spec.GetResources().GetCpus(), float64(spec.GetResources().GetMemMb()), float64(spec.GetResources().GetDiskMb())
	ecpus, emem := cfg.ExecutorCPUs, float64(cfg.ExecutorMemMB)
	role := m.Use.Role
	var ops []OfferOp
	var taskRes, execRes []Resource
	switch {
	case spec.GetEphemeralData():
		taskRes = []Resource{scalar(placement.CPUs, cpus, role, nil), scalar(placement.Mem, mem, role, nil), scalar(placement.Disk, disk, role, nil)}
		execRes = []Resource{scalar(placement.CPUs, ecpus, role, nil), scalar(placement.Mem, emem, role, nil)}
	case fresh:
		// A reservation the node held elsewhere is given up: the record written before this
		// launch names it for release (never a volume nothing names).
		ps.giveUpReservation(n)
		n.Reservation = &statev1.Reservation{
			AgentId: m.AgentID, Role: ringRole, PersistenceId: pid, ContainerPath: cfg.VolumePath,
			Resources: &cassmesosv1.Resources{Cpus: cpus + ecpus, MemMb: int64(mem + emem), DiskMb: int64(disk)},
		}
		vol := scalar(placement.Disk, disk, role, rv)
		vol.Volume = &placement.Volume{PersistenceID: pid, ContainerPath: cfg.VolumePath}
		ops = append(ops,
			OfferOp{Kind: OpReserve, Resources: []Resource{scalar(placement.CPUs, cpus+ecpus, role, rv), scalar(placement.Mem, mem+emem, role, rv), scalar(placement.Disk, disk, role, rv)}},
			OfferOp{Kind: OpCreateVolume, Resources: []Resource{vol}})
		taskRes = []Resource{scalar(placement.CPUs, cpus, role, rv), scalar(placement.Mem, mem, role, rv), vol}
		execRes = []Resource{scalar(placement.CPUs, ecpus, role, rv), scalar(placement.Mem, emem, role, rv)}
	default:
		// Restart in place: split the reserved cpus and mem between task and executor.
		var cpuT, memT *Resource
		for i := range m.Use.Reserved {
			r := m.Use.Reserved[i]
			switch r.Name {
			case placement.CPUs:
				if cpuT == nil {
					cpuT = &r
				}
			case placement.Mem:
				if memT == nil {
					memT = &r
				}
			case placement.Disk:
				taskRes = append(taskRes, r)
			}
		}
		// A part is a new amount: drop the offered original (Raw), which the runtime would
		// otherwise send as offered, giving task and executor the whole reservation each.
		part := func(t *Resource, v float64) Resource { c := *t; c.Scalar = v; c.Raw = nil; return c }
		taskRes = append([]Resource{part(cpuT, cpus), part(memT, mem)}, taskRes...)
		execRes = []Resource{part(cpuT, ecpus), part(memT, emem)}
		// The ring's cpus or mem grew (ring update): reserve the difference first.
		ops = append(ops, ps.resizeOps(n, m, rv, cpus+ecpus, mem+emem, disk)...)
		if n.Reservation != nil && !n.Reservation.Confirmed {
			n.Reservation.Confirmed = true
		}
	}
	var ranges []placement.Range
	for _, p := range append(append([]uint64(nil), m.Use.StaticPorts...), m.Use.DynamicPorts...) {
		ranges = append(ranges, placement.Range{Begin: p, End: p})
	}
	taskRes = append(taskRes, Resource{Name: placement.Ports, Ranges: ranges, Role: role})

	cfgLaunch := ps.taskConfig(n)
	n.Seeds = append([]string(nil), cfgLaunch.GetSeeds()...)
	tl := &TaskLaunch{
		TaskID:            taskID,
		Name:              "cassandra " + name,
		AgentID:           m.AgentID,
		ExecutorID:        n.ExecutorId,
		Resources:         taskRes,
		ExecutorResources: execRes,
		Command:           cfg.ExecutorCommand,
		URIs:              ps.uris(spec),
		Config:            cfgLaunch,
		Labels:            map[string]string{"ring": n.Ring, "node": name, "incarnation": strconv.Itoa(int(n.Incarnation))},
		KillGrace:         cfg.KillGrace,
	}
	return append(ops, OfferOp{Kind: OpLaunch, Task: tl})
}

func attrOr(attrs map[string]string, key, def string) string {
	if v, ok := attrs[key]; ok && v != "" {
		return v
	}
	return def
}

// CassandraURL is the tarball a spec runs: distribution.url, else the version under the mirror,
// else the daemon's default.
func (c Config) CassandraURLFor(spec *cassmesosv1.RingSpec) string {
	d := spec.GetDistribution()
	switch {
	case d.GetUrl() != "":
		return d.GetUrl()
	case d.GetVersion() != "":
		v := d.GetVersion()
		return strings.TrimSuffix(c.CassandraMirror, "/") + "/" + v + "/apache-cassandra-" + v + "-bin.tar.gz"
	}
	return c.CassandraURL
}

func isArchive(u string) bool {
	for _, s := range []string{".tar.gz", ".tgz", ".tar", ".zip", ".tar.bz2", ".tar.xz", ".txz"} {
		if strings.HasSuffix(u, s) {
			return true
		}
	}
	return false
}

func (ps *pass) uris(spec *cassmesosv1.RingSpec) []URI {
	cfg := ps.p.cfg
	var out []URI
	if cfg.ExecutorURI != "" {
		out = append(out, URI{Value: cfg.ExecutorURI, Executable: true, Cache: true})
	}
	if u := cfg.CassandraURLFor(spec); u != "" {
		out = append(out, URI{Value: u, Extract: true, Cache: true})
	}
	if u := spec.GetDistribution().GetJavaUrl(); u != "" {
		out = append(out, URI{Value: u, Extract: true, Cache: true})
	}
	for _, u := range cfg.ExtraURIs {
		out = append(out, URI{Value: u, Extract: isArchive(u), Cache: true})
	}
	return out
}

// seedAddresses are the addresses of the ring's placed seeds other than self, by ordinal; a
// seed with no other seed placed yet lists itself (the first seed).
func (ps *pass) seedAddresses(n *statev1.NodeRecord) []string {
	var out []string
	for _, o := range ps.ringNodes(n.GetRing()) {
		if o.GetSeed() && o.GetName() != n.GetName() && o.GetAddress() != "" &&
			o.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			out = append(out, o.GetAddress())
		}
	}
	if len(out) == 0 {
		out = []string{n.GetAddress()}
	}
	return out
}

// taskConfig is what the executor gets for the node's launch.
func (ps *pass) taskConfig(n *statev1.NodeRecord) *cassmesosv1.NodeTaskConfig {
	spec := ps.ring(n.GetRing()).GetSpec()
	heap, young := HeapFor(spec)
	replace := n.GetReplacesAddress()
	if replace == "" && spec.GetEphemeralData() && n.GetBootstrapped() {
		// The sandbox data died with the old task: take over the node's own tokens.
		replace = n.GetAddress()
	}
	auto := !n.GetSeed() && !n.GetBootstrapped() && !n.GetRebuildJoin()
	if replace != "" {
		auto = true
	}
	yaml := map[string]string{}
	for k, v := range spec.GetCassandraYaml() {
		yaml[k] = v
	}
	return &cassmesosv1.NodeTaskConfig{
		Ring:           n.GetRing(),
		Node:           n.GetName(),
		ClusterName:    spec.GetClusterName(),
		Seeds:          ps.seedAddresses(n),
		Address:        n.GetAddress(),
		Ports:          nodePorts(spec, n),
		NumTokens:      spec.GetNumTokens(),
		Snitch:         spec.GetSnitch(),
		Datacenter:     n.GetDatacenter(),
		Rack:           n.GetRack(),
		HeapMb:         heap,
		HeapNewMb:      young,
		JvmOptions:     append([]string(nil), spec.GetJvmOptions()...),
		ReplaceAddress: replace,
		DataDir:        ps.p.cfg.VolumePath,
		CassandraYaml:  yaml,
		AutoBootstrap:  auto,
		AgentPort:      n.GetAgentPort(),
		AgentSecret:    ps.p.cfg.TaskSecret(ps.ring(n.GetRing()), n),
		KillGrace:      durationpb.New(ps.p.cfg.KillGrace),
		Seed:           n.GetSeed(),
		Generation:     n.GetGeneration(),
		JmxPassword:    ps.jmxPassword(n.GetRing()),
		Hostname:       n.GetHostname(),
		Encryption:     encryptionOf(spec),
		AutoRepair:     autoRepairConfig(spec),
	}
}

// encryptionOf is the spec's encryption for a task, nil when it asks for none (the daemon's
// Mesos adapter issues the node's certificate when it is set).
func encryptionOf(spec *cassmesosv1.RingSpec) *cassmesosv1.Encryption {
	if !specrules.EncryptionOn(spec.GetEncryption()) {
		return nil
	}
	return proto.Clone(spec.GetEncryption()).(*cassmesosv1.Encryption)
}

// jmxPassword is the ring's JMX password (Config.JMXPassword), "" without a key.
func (ps *pass) jmxPassword(ring string) string {
	return ps.p.cfg.JMXPassword(ps.ring(ring))
}

// nodePorts are the ports a node's task binds: the ring's ports, with the node's own JMX port
// when the ring takes JMX ports from offers. The spec is never changed.
func nodePorts(spec *cassmesosv1.RingSpec, n *statev1.NodeRecord) *cassmesosv1.Ports {
	p := spec.GetPorts()
	if !p.GetJmxFromOffer() {
		return p
	}
	c := proto.Clone(p).(*cassmesosv1.Ports)
	c.Jmx = n.GetJmxPort()
	return c
}

func allOneRole(offers []Offer) bool {
	for _, o := range offers[1:] {
		if o.Role != offers[0].Role {
			return false
		}
	}
	return true
}

// placeByRole places each request only on offers allocated to its role: placement runs once per
// role (in order) with that role's offers and requests. Every placement sees every placed node
// (one node per agent per ring, static ports). Unused lists the offers no match used.
func placeByRole(offers []Offer, reqs []placement.Request, placed []placement.Placed) placement.Result {
	byRole := map[string][]Offer{}
	if len(offers) > 0 && allOneRole(offers) {
		byRole[offers[0].Role] = offers // the usual case: no copy
	} else {
		count := map[string]int{}
		for _, o := range offers {
			count[o.Role]++
		}
		for _, o := range offers {
			if byRole[o.Role] == nil {
				byRole[o.Role] = make([]Offer, 0, count[o.Role])
			}
			byRole[o.Role] = append(byRole[o.Role], o)
		}
	}
	reqsByRole := map[string][]placement.Request{}
	for _, r := range reqs {
		reqsByRole[r.Role] = append(reqsByRole[r.Role], r)
	}
	out := placement.Result{Unplaced: map[string]string{}}
	roles := sortedKeys(byRole)
	for _, role := range sortedKeys(reqsByRole) {
		if _, ok := byRole[role]; !ok {
			roles = append(roles, role)
		}
	}
	for _, role := range roles {
		rs := reqsByRole[role]
		if len(rs) == 0 {
			for _, o := range byRole[role] {
				out.Unused = append(out.Unused, o.ID)
			}
			continue
		}
		res := placement.Place(byRole[role], rs, placed)
		for i := range res.Matches {
			res.Matches[i].Use.Role = role // the offers' allocation role, which the ACCEPT is grouped by
		}
		out.Matches = append(out.Matches, res.Matches...)
		out.Unused = append(out.Unused, res.Unused...)
		for k, why := range res.Unplaced {
			if len(byRole[role]) == 0 {
				why = "no offer of role " + role
			}
			out.Unplaced[k] = why
		}
	}
	return out
}
