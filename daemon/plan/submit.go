package plan

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/internal/specrules"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func refused(f string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrPrecondition, fmt.Sprintf(f, a...))
}

// NodeName is the name of a ring's node slot.
func NodeName(ring string, ordinal int32) string { return ring + "-" + strconv.Itoa(int(ordinal)) }

func (p *Planner) submit(s *State, req Request) (Accepted, error) {
	ps := p.newPass(s)
	var acc Accepted
	var err error
	rid, digest := "", ""
	if req != nil {
		rid = requestIDOf(req)
	}
	if rid != "" {
		if err := ValidateRequestID("request_id", rid); err != nil {
			return Accepted{}, err
		}
		digest = requestDigest(req)
		if cr, ok := req.(CreateRing); !ok || !cr.ValidateOnly {
			if acc, found, err := ps.replay(rid, digest); found {
				return acc, err
			}
		}
	}
	switch r := req.(type) {
	case CreateRing:
		acc, err = ps.createRing(r)
		if err != nil || r.ValidateOnly || !acc.Created {
			acc.Plan = Plan{}
			return acc, err
		}
	case DeleteRing:
		acc, err = ps.deleteRingReq(r)
	case ScaleRing:
		acc, err = ps.scaleRing(r)
	case ReplaceNode:
		acc, err = ps.replaceNode(r)
	case RestartNode:
		acc, err = ps.restartNode(r)
	case RestartRing:
		acc, err = ps.restartRing(r)
	case DecommissionNode:
		acc, err = ps.decommissionNode(r)
	case RemoveNode:
		acc, err = ps.removeNode(r)
	case UpdateRing:
		acc, err = ps.updateRing(r)
	case CancelOperation:
		acc, err = ps.cancel(r)
	case AddDataCenter:
		acc, err = ps.addDataCenter(r)
	case RemoveDataCenter:
		acc, err = ps.removeDataCenter(r)
	case maintenanceRequest:
		acc, err = ps.submitMaintenance(r)
	case nil:
		return Accepted{}, fmt.Errorf("%w: no request", ErrInvalid)
	default:
		return Accepted{}, fmt.Errorf("%w: unknown request %T", ErrInvalid, req)
	}
	if err != nil {
		return Accepted{}, err
	}
	if rid != "" && (acc.Created || acc.Operation != nil) {
		ps.recordRequest(req, rid, digest, acc)
	}
	acc.Plan = ps.finish()
	if len(ps.dropped) > 0 {
		return Accepted{}, ps.refuseDropped()
	}
	if acc.Operation != nil {
		acc.Operation = ps.ops[acc.Operation.GetOperation().GetId()]
	}
	return acc, nil
}

func (ps *pass) liveRing(name string) (*statev1.RingRecord, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: ring name is empty", ErrInvalid)
	}
	r := ps.ring(name)
	if r == nil {
		return nil, fmt.Errorf("%w: %s", ErrRingNotFound, name)
	}
	if r.GetDeleting() {
		return nil, refused("ring %s is being deleted", name)
	}
	return r, nil
}

// heldRing is liveRing for requests that change the ring's nodes: the ring's Mesos role must
// be one the daemon holds, or nothing of it could be placed again (roles.go).
func (ps *pass) heldRing(name string) (*statev1.RingRecord, error) {
	r, err := ps.liveRing(name)
	if err != nil {
		return nil, err
	}
	if !ps.roleHeld(name) {
		return nil, refused("ring %s: its Mesos role %q is not one the daemon subscribed with (%s); restart cassmesosd with --role %s first",
			name, ps.ringRole(name), strings.Join(ps.p.cfg.Roles, ", "), ps.ringRole(name))
	}
	return r, nil
}

func (ps *pass) findNode(ring, node string) (*statev1.NodeRecord, *statev1.RingRecord, error) {
	if node == "" {
		return nil, nil, fmt.Errorf("%w: node name is empty", ErrInvalid)
	}
	n := ps.node(node)
	if n == nil || (ring != "" && n.GetRing() != ring) {
		if ring != "" {
			return nil, nil, fmt.Errorf("%w: %s in ring %s", ErrNodeNotFound, node, ring)
		}
		return nil, nil, fmt.Errorf("%w: %s", ErrNodeNotFound, node)
	}
	r, err := ps.heldRing(n.GetRing())
	if err != nil {
		return nil, nil, err
	}
	return n, r, nil
}

func (ps *pass) newNode(ring string, ordinal int32, seed bool) *statev1.NodeRecord {
	return &statev1.NodeRecord{
		Ring: ring, Name: NodeName(ring, ordinal), Ordinal: ordinal, Seed: seed,
		Phase: cassmesosv1.NodePhase_NODE_PHASE_PENDING, PhaseTime: ps.ts(), CreateTime: ps.ts(), LoadBytes: -1,
	}
}

func (ps *pass) createRing(req CreateRing) (Accepted, error) {
	spec := req.Spec
	var shape *backupShape
	if req.FromBackup != "" {
		var err error
		if shape, err = ps.shapeFromBackup(req.FromBackup); err != nil {
			return Accepted{}, err
		}
		if spec, err = applyBackupShape(spec, shape); err != nil {
			return Accepted{}, err
		}
	}
	spec = ApplyDefaults(spec)
	if err := ValidateSpec(spec); err != nil {
		return Accepted{}, err
	}
	for i, dc := range spec.GetDataCenters() {
		if err := checkDCSeeds(fmt.Sprintf("data_centers[%d]", i), dc); err != nil {
			return Accepted{}, err
		}
	}
	if err := ps.checkEncryption(nil, spec); err != nil {
		return Accepted{}, err
	}
	if err := ps.p.cfg.checkRole("role", spec.GetRole()); err != nil {
		return Accepted{}, err
	}
	if spec.GetRole() == "" {
		spec.Role = ps.p.cfg.Role
	}
	if old := ps.ring(spec.GetName()); old != nil {
		if old.GetDeleting() {
			return Accepted{}, fmt.Errorf("%w: %s is being deleted", ErrRingExists, spec.GetName())
		}
		if !proto.Equal(old.GetSpec(), spec) {
			return Accepted{}, fmt.Errorf("%w: %s exists with a different spec", ErrRingExists, spec.GetName())
		}
		acc := Accepted{Ring: old}
		for _, id := range ps.opsByAge() {
			o := ps.ops[id]
			if o.GetOperation().GetRing() == spec.GetName() && o.GetOperation().GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_CREATE_RING {
				acc.Operation = o
			}
		}
		return acc, nil
	}
	ring := &statev1.RingRecord{
		Spec:        spec,
		Status:      &cassmesosv1.RingStatus{Phase: cassmesosv1.RingPhase_RING_PHASE_CREATING, TotalNodes: spec.GetNodes()},
		CreateTime:  ps.ts(),
		Generation:  1,
		NextOrdinal: spec.GetNodes(),
	}
	var steps, later []*cassmesosv1.Step
	var nodes []*statev1.NodeRecord
	for i, slot := range createSlots(spec) {
		n := ps.newNode(spec.GetName(), int32(i), slot.seed)
		n.Tokens = spec.GetNumTokens()
		n.Datacenter = slot.dc
		if shape != nil {
			if err := shape.checkSlotDC(spec.GetName(), i, slot.dc); err != nil {
				return Accepted{}, err
			}
			n.InitialTokens = append([]string(nil), shape.tokens[i]...)
		}
		nodes = append(nodes, n)
		if slot.seed {
			steps = append(steps, newStep(stepBootstrap, n.GetName()))
		} else {
			later = append(later, newStep(stepBootstrap, n.GetName()))
		}
	}
	steps = append(steps, later...)
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_CREATE_RING, spec.GetName(), "cli", &cassmesosv1.OperationParams{}, steps)
	ring.Status.ActiveOperationId = op.GetOperation().GetId()
	acc := Accepted{Ring: ring, Operation: op, Created: true}
	if req.ValidateOnly {
		return acc, nil
	}
	ring.Uid = newRingUID(ps.p.ids)
	ps.putRing(ring)
	for _, n := range nodes {
		ps.putNode(n)
	}
	ps.putOp(op)
	return acc, nil
}

func (ps *pass) deleteRingReq(req DeleteRing) (Accepted, error) {
	r := ps.ring(req.Ring)
	if r == nil {
		return Accepted{}, fmt.Errorf("%w: %s", ErrRingNotFound, req.Ring)
	}
	if !r.GetDeleting() {
		if _, err := ps.heldRing(req.Ring); err != nil {
			return Accepted{}, err
		}
	}
	if r.GetDeleting() {
		for _, id := range ps.opsByAge() {
			o := ps.ops[id]
			if o.GetOperation().GetRing() == req.Ring && o.GetOperation().GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_DELETE_RING && opActive(o.GetOperation()) {
				return Accepted{Operation: o, Ring: r}, nil
			}
		}
	}
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_DELETE_RING, req.Ring, "cli", &cassmesosv1.OperationParams{},
		[]*cassmesosv1.Step{
			namedStep(stepStop, "stop all nodes", ""),
			namedStep(stepRelease, "release volumes and reservations", ""),
			namedStep(stepDelete, "delete ring records", ""),
		})
	for _, id := range sortedKeys(ps.ops) {
		o := ps.ops[id].GetOperation()
		if o.GetRing() == req.Ring && opActive(o) {
			ps.finishOp(ps.mutOp(id), cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED, "ring deleted by "+op.GetOperation().GetId())
		}
	}
	w := ps.mutRing(req.Ring)
	w.Deleting = true
	if w.Status == nil {
		w.Status = &cassmesosv1.RingStatus{}
	}
	w.Status.Phase = cassmesosv1.RingPhase_RING_PHASE_DELETING
	ps.putOp(op)
	return Accepted{Operation: op, Ring: w, Created: true}, nil
}

// pendingOpFor returns an active operation of one of the kinds on the node, if any.
func (ps *pass) activeOnNode(node string) *statev1.OperationRecord {
	for _, id := range ps.opsByAge() {
		o := ps.ops[id].GetOperation()
		if !opActive(o) || !exclusive(o.GetKind()) {
			continue
		}
		for _, s := range o.GetSteps() {
			if s.GetNode() == node && !stepFinished(s.GetPhase()) {
				return ps.ops[id]
			}
		}
	}
	return nil
}

func (ps *pass) scaleRing(req ScaleRing) (Accepted, error) {
	r, err := ps.heldRing(req.Ring)
	if err != nil {
		return Accepted{}, err
	}
	spec := r.GetSpec()
	nodes := ps.ringNodes(req.Ring)
	cur := int32(len(nodes))
	switch {
	case req.Nodes < 1:
		return Accepted{}, fmt.Errorf("%w: nodes: %d: a ring needs at least 1 node", ErrInvalid, req.Nodes)
	case req.Nodes > MaxNodes:
		return Accepted{}, fmt.Errorf("%w: nodes: %d: at most %d", ErrInvalid, req.Nodes, MaxNodes)
	case req.Nodes < spec.GetSeeds():
		return Accepted{}, refused("%s has %d seeds; it cannot shrink below them to %d nodes", req.Ring, spec.GetSeeds(), req.Nodes)
	case req.Nodes == cur && len(req.Remove) == 0:
		return Accepted{}, refused("%s already has %d nodes", req.Ring, cur)
	}
	if len(spec.GetDataCenters()) > 1 {
		return Accepted{}, refused("%s has %d data centres; scale one of them with cassmesos dc add/remove or node decommission", req.Ring, len(spec.GetDataCenters()))
	}
	var steps []*cassmesosv1.Step
	if req.Nodes > cur {
		if len(req.Remove) > 0 {
			return Accepted{}, fmt.Errorf("%w: remove: only when shrinking", ErrInvalid)
		}
		// Nodes left unstarted by a failed or cancelled operation come first.
		for _, n := range nodes {
			if !n.GetBootstrapped() && ps.activeOnNode(n.GetName()) == nil && n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_PENDING {
				steps = append(steps, newStep(stepBootstrap, n.GetName()))
			}
		}
		w := ps.mutRing(req.Ring)
		for i := cur; i < req.Nodes; i++ {
			n := ps.newNode(req.Ring, w.NextOrdinal, false)
			n.Tokens = spec.GetNumTokens()
			if multiDC(spec) {
				n.Datacenter = spec.GetDataCenters()[0].GetName()
			}
			w.NextOrdinal++
			ps.putNode(n)
			steps = append(steps, newStep(stepBootstrap, n.GetName()))
		}
		w.Spec.Nodes = req.Nodes
		if multiDC(w.Spec) {
			w.Spec.DataCenters[0].Nodes = req.Nodes
		}
	} else {
		remove := req.Remove
		if len(remove) == 0 {
			for i := len(nodes) - 1; i >= 0 && int32(len(remove)) < cur-req.Nodes; i-- {
				if !nodes[i].GetSeed() {
					remove = append(remove, nodes[i].GetName())
				}
			}
		}
		if int32(len(remove)) != cur-req.Nodes {
			return Accepted{}, fmt.Errorf("%w: remove: %d nodes named, %d needed to go from %d to %d", ErrInvalid, len(remove), cur-req.Nodes, cur, req.Nodes)
		}
		seen := map[string]bool{}
		for _, name := range remove {
			n := ps.node(name)
			switch {
			case n == nil || n.GetRing() != req.Ring:
				return Accepted{}, fmt.Errorf("%w: remove: %s is not a node of %s", ErrNodeNotFound, name, req.Ring)
			case n.GetSeed():
				return Accepted{}, refused("%s is a seed; seeds are not removed by scaling", name)
			case seen[name]:
				return Accepted{}, fmt.Errorf("%w: remove: %s named twice", ErrInvalid, name)
			}
			seen[name] = true
			if op := ps.activeOnNode(name); op != nil {
				return Accepted{}, refused("%s is busy with operation %s", name, op.GetOperation().GetId())
			}
			kind := stepDecommission
			if !ps.isUN(n) && n.GetHostId() != "" || !n.GetBootstrapped() {
				kind = stepRemove
			}
			steps = append(steps, newStep(kind, name))
		}
		ps.mutRing(req.Ring).Spec.Nodes = req.Nodes
		if w := ps.mutRing(req.Ring); multiDC(w.Spec) {
			w.Spec.DataCenters[0].Nodes = req.Nodes
			w.Spec.DataCenters[0].Seeds = min(w.Spec.DataCenters[0].Seeds, req.Nodes)
		}
	}
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_SCALE_RING, req.Ring, "cli",
		&cassmesosv1.OperationParams{TargetNodes: req.Nodes, Nodes: req.Remove}, steps)
	ps.putOp(op)
	return Accepted{Operation: op, Ring: ps.ring(req.Ring), Created: true}, nil
}

// downReason explains why a node counts as down, or returns an error naming why it is not.
func (ps *pass) requireDown(n *statev1.NodeRecord, what string) error {
	v := ps.s.Views[n.GetName()]
	if v.Reporters > 0 && v.Liveness == cassmesosv1.Liveness_LIVENESS_UP {
		if c, st := ps.task(n); c != condStarting && c != condRunning && n.GetPhaseTime() != nil && v.At.Before(n.GetPhaseTime().AsTime()) {
			return refused("%s's task is %s, but the ring's last view of it (taken %s ago, before that) still shows it up; %s needs it down as the other nodes see it: try again after the next status poll",
				n.GetName(), taskStateOr(st, n), ps.now.Sub(v.At).Round(time.Second), what)
		}
		return refused("%s is U%s on %d of %d live nodes; %s needs it down", n.GetName(), ps.statusLetters(n)[1:], v.Up, v.Reporters, what)
	}
	if ps.isUN(n) {
		return refused("%s is UN (its executor reports it healthy and NORMAL); %s needs it down", n.GetName(), what)
	}
	return nil
}

func (ps *pass) replaceNode(req ReplaceNode) (Accepted, error) {
	n, _, err := ps.findNode(req.Ring, req.Node)
	if err != nil {
		return Accepted{}, err
	}
	if id := ps.activeOpFor(cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE, n.GetName()); id != "" {
		return Accepted{}, refused("%s is already being replaced by operation %s", n.GetName(), id)
	}
	if op := ps.activeOnNode(n.GetName()); op != nil {
		return Accepted{}, refused("%s is busy with operation %s", n.GetName(), op.GetOperation().GetId())
	}
	if err := ps.requireDown(n, "replace"); err != nil {
		return Accepted{}, err
	}
	if n.GetHostId() == "" || n.GetAddress() == "" || !n.GetBootstrapped() {
		return Accepted{}, refused("%s never joined the ring (no host ID recorded); nothing to replace", n.GetName())
	}
	if !ps.anyOtherUN(n.GetRing(), n.GetName()) {
		return Accepted{}, refused("no other node of %s is UN; a replacement needs a live node to stream from", n.GetRing())
	}
	if n.GetSeed() && ps.liveSeeds(n.GetRing(), n.GetName()) == 0 && ps.seedCandidate(n) == nil {
		return Accepted{}, refused("%s is the ring's only seed and no other node is UN to take over as seed", n.GetName())
	}
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_REPLACE_NODE, n.GetRing(), "cli",
		&cassmesosv1.OperationParams{Nodes: []string{n.GetName()}},
		append(seedSteps(n), newStep(stepPrepareReplace, n.GetName()), newStep(stepReplace, n.GetName())))
	ps.putOp(op)
	return Accepted{Operation: op, Ring: ps.ring(n.GetRing()), Created: true}, nil
}

func (ps *pass) restartNode(req RestartNode) (Accepted, error) {
	n, _, err := ps.findNode(req.Ring, req.Node)
	if err != nil {
		return Accepted{}, err
	}
	if !n.GetBootstrapped() {
		return Accepted{}, refused("%s has never been UN; nothing to restart", n.GetName())
	}
	if op := ps.activeOnNode(n.GetName()); op != nil {
		return Accepted{}, refused("%s is busy with operation %s", n.GetName(), op.GetOperation().GetId())
	}
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_RESTART_NODE, n.GetRing(), "cli",
		&cassmesosv1.OperationParams{Nodes: []string{n.GetName()}}, []*cassmesosv1.Step{newStep(stepRestart, n.GetName())})
	ps.putOp(op)
	return Accepted{Operation: op, Ring: ps.ring(n.GetRing()), Created: true}, nil
}

func (ps *pass) restartRing(req RestartRing) (Accepted, error) {
	if _, err := ps.heldRing(req.Ring); err != nil {
		return Accepted{}, err
	}
	var steps []*cassmesosv1.Step
	for _, n := range ps.ringNodes(req.Ring) {
		if n.GetBootstrapped() {
			steps = append(steps, newStep(stepRestart, n.GetName()))
		}
	}
	if len(steps) == 0 {
		return Accepted{}, refused("%s has no node that has been UN", req.Ring)
	}
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_RESTART_RING, req.Ring, "cli", &cassmesosv1.OperationParams{}, steps)
	ps.putOp(op)
	return Accepted{Operation: op, Ring: ps.ring(req.Ring), Created: true}, nil
}

func (ps *pass) decommissionNode(req DecommissionNode) (Accepted, error) {
	n, r, err := ps.findNode(req.Ring, req.Node)
	if err != nil {
		return Accepted{}, err
	}
	if n.GetSeed() && ps.liveSeeds(n.GetRing(), n.GetName()) == 0 && ps.seedCandidate(n) == nil {
		return Accepted{}, refused("%s is the ring's only seed and no other node is UN to take over as seed", n.GetName())
	}
	if !ps.isUN(n) {
		return Accepted{}, refused("%s is %s; decommission needs it UN (use remove for a dead node)", n.GetName(), ps.statusLetters(n))
	}
	if op := ps.activeOnNode(n.GetName()); op != nil {
		return Accepted{}, refused("%s is busy with operation %s", n.GetName(), op.GetOperation().GetId())
	}
	if r.GetSpec().GetNodes() <= 1 {
		return Accepted{}, refused("%s is the ring's last node", n.GetName())
	}
	shrinkSpec(ps.mutRing(n.GetRing()).Spec, n.GetDatacenter())
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_DECOMMISSION_NODE, n.GetRing(), "cli",
		&cassmesosv1.OperationParams{Nodes: []string{n.GetName()}}, append(seedSteps(n), newStep(stepDecommission, n.GetName())))
	ps.putOp(op)
	return Accepted{Operation: op, Ring: ps.ring(n.GetRing()), Created: true}, nil
}

func (ps *pass) removeNode(req RemoveNode) (Accepted, error) {
	n, r, err := ps.findNode(req.Ring, req.Node)
	if err != nil {
		return Accepted{}, err
	}
	if n.GetSeed() && ps.liveSeeds(n.GetRing(), n.GetName()) == 0 && ps.seedCandidate(n) == nil {
		return Accepted{}, refused("%s is the ring's only seed and no other node is UN to take over as seed", n.GetName())
	}
	if err := ps.requireDown(n, "remove"); err != nil {
		return Accepted{}, err
	}
	if op := ps.activeOnNode(n.GetName()); op != nil {
		return Accepted{}, refused("%s is busy with operation %s", n.GetName(), op.GetOperation().GetId())
	}
	if r.GetSpec().GetNodes() <= 1 {
		return Accepted{}, refused("%s is the ring's last node", n.GetName())
	}
	shrinkSpec(ps.mutRing(n.GetRing()).Spec, n.GetDatacenter())
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_REMOVE_NODE, n.GetRing(), "cli",
		&cassmesosv1.OperationParams{Nodes: []string{n.GetName()}}, append(seedSteps(n), newStep(stepRemove, n.GetName())))
	ps.putOp(op)
	return Accepted{Operation: op, Ring: ps.ring(n.GetRing()), Created: true}, nil
}

// updatable are the RingSpec fields UpdateRing may change; restart says whether nodes must be
// restarted to apply them.
var updatable = map[string]bool{
	"heap_mb": true, "heap_new_mb": true, "jvm_options": true, "distribution": true,
	"distribution.version": true, "distribution.url": true, "distribution.java_url": true,
	"cassandra_yaml": true, "resources.cpus": true, "resources.mem_mb": true, "cluster_name": false,
	"replace_after": false, "placement_timeout": false, "cleanup_after_grow": false, "constraints": false,
	"encryption": true, "encryption.client": true,
	"repair_engine": true, "auto_repair": true,
}

func (ps *pass) updateRing(req UpdateRing) (Accepted, error) {
	r, err := ps.heldRing(req.Ring)
	if err != nil {
		return Accepted{}, err
	}
	if req.Spec == nil || len(req.Paths) == 0 {
		return Accepted{}, fmt.Errorf("%w: update_mask: name at least one field", ErrInvalid)
	}
	next := proto.Clone(r.GetSpec()).(*cassmesosv1.RingSpec)
	restart := false
	for _, p := range req.Paths {
		need, ok := updatable[p]
		if !ok || p == "cluster_name" {
			return Accepted{}, fmt.Errorf("%w: update_mask: %q cannot be changed on a running ring (allowed: %s)", ErrInvalid, p, allowedPaths())
		}
		restart = restart || need
		switch p {
		case "heap_mb":
			next.HeapMb = req.Spec.GetHeapMb()
		case "heap_new_mb":
			next.HeapNewMb = req.Spec.GetHeapNewMb()
		case "jvm_options":
			next.JvmOptions = append([]string(nil), req.Spec.GetJvmOptions()...)
		case "distribution":
			next.Distribution = proto.Clone(req.Spec.GetDistribution()).(*cassmesosv1.Distribution)
		case "distribution.version":
			next.Distribution.Version = req.Spec.GetDistribution().GetVersion()
		case "distribution.url":
			next.Distribution.Url = req.Spec.GetDistribution().GetUrl()
		case "distribution.java_url":
			next.Distribution.JavaUrl = req.Spec.GetDistribution().GetJavaUrl()
		case "cassandra_yaml":
			next.CassandraYaml = req.Spec.GetCassandraYaml()
		case "resources.cpus", "resources.mem_mb":
			// The reservation of each node grows or shrinks on its agent at its restart.
			if next.Resources == nil {
				next.Resources = &cassmesosv1.Resources{}
			}
			if p == "resources.cpus" {
				next.Resources.Cpus = req.Spec.GetResources().GetCpus()
			} else {
				next.Resources.MemMb = req.Spec.GetResources().GetMemMb()
			}
		case "replace_after":
			next.ReplaceAfter = req.Spec.GetReplaceAfter()
		case "placement_timeout":
			next.PlacementTimeout = req.Spec.GetPlacementTimeout()
		case "cleanup_after_grow":
			next.CleanupAfterGrow = req.Spec.GetCleanupAfterGrow()
		case "constraints":
			next.Constraints = req.Spec.GetConstraints()
		case "encryption":
			next.Encryption = proto.Clone(req.Spec.GetEncryption()).(*cassmesosv1.Encryption)
		case "encryption.client":
			if next.Encryption == nil {
				next.Encryption = &cassmesosv1.Encryption{}
			}
			next.Encryption.Client = req.Spec.GetEncryption().GetClient()
		case "repair_engine":
			next.RepairEngine = req.Spec.GetRepairEngine()
		case "auto_repair":
			next.AutoRepair = req.Spec.GetAutoRepair()
		}
	}
	next = ApplyDefaults(next)
	if err := ValidateSpec(next); err != nil {
		return Accepted{}, err
	}
	if err := ps.checkEncryption(r.GetSpec(), next); err != nil {
		return Accepted{}, err
	}
	if id := ps.activeRepair(req.Ring); id != "" && UsesAutoRepair(next) && !UsesAutoRepair(r.GetSpec()) {
		return Accepted{}, refused("repair %s of ring %s is running; cancel it (cassmesos repair cancel %s) before switching to Cassandra's Auto Repair", id, req.Ring, id)
	}
	if id := ps.topologyOpOn(req.Ring); id != "" && restart {
		return Accepted{}, refused("%s has operation %s running; update the ring when it has finished (or cancel it: cassmesos op cancel %s)", req.Ring, id, id)
	}
	w := ps.mutRing(req.Ring)
	w.Spec = next
	var steps []*cassmesosv1.Step
	if restart {
		w.Generation++
		for _, n := range ps.ringNodes(req.Ring) {
			if n.GetBootstrapped() {
				steps = append(steps, newStep(stepUpdate, n.GetName()))
			}
		}
	}
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_UPDATE_RING, req.Ring, "cli",
		&cassmesosv1.OperationParams{Spec: proto.Clone(next).(*cassmesosv1.RingSpec)}, steps)
	ps.putOp(op)
	return Accepted{Operation: op, Ring: w, Created: true}, nil
}

// topologyOpOn returns the oldest active operation of the ring that changes its topology or
// restarts its nodes (everything but RECOVER_NODE, REPAIR and CLEANUP), or "".
func (ps *pass) topologyOpOn(ring string) string {
	for _, id := range ps.opsByAge() {
		o := ps.ops[id].GetOperation()
		if o.GetRing() != ring || !opActive(o) || !ruleOf(o.GetKind()).disruptive() {
			continue
		}
		return id
	}
	return ""
}

func allowedPaths() string {
	var out []string
	for k := range updatable {
		if k != "cluster_name" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func (ps *pass) cancel(req CancelOperation) (Accepted, error) {
	rec := ps.ops[req.ID]
	if rec == nil {
		return Accepted{}, fmt.Errorf("%w: %s", ErrOperationNotFound, req.ID)
	}
	o := rec.GetOperation()
	if !opActive(o) {
		return Accepted{}, refused("operation %s already %s", req.ID, strings.ToLower(strings.TrimPrefix(o.GetPhase().String(), "OPERATION_PHASE_")))
	}
	if o.GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_DELETE_RING {
		return Accepted{}, refused("a ring deletion cannot be cancelled")
	}
	w := ps.mutOp(req.ID)
	w.Operation.CancelRequested = true
	if o.GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_PENDING {
		ps.finishOp(w, cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED, "")
	}
	return Accepted{Operation: w, Ring: ps.ring(o.GetRing()), Created: true}, nil
}

// checkEncryption refuses spec.encryption on a daemon without a CA, and a change of internode
// encryption on a running ring (old != nil): during a rolling restart the restarted nodes would
// refuse the others' plaintext connections (and they the TLS ones), splitting the ring. Client
// encryption changes roll like any other restart.
func (ps *pass) checkEncryption(old, next *cassmesosv1.RingSpec) error {
	if specrules.EncryptionOn(next.GetEncryption()) && !ps.p.cfg.CassandraTLS {
		return refused("spec.encryption: Cassandra's certificates are issued by the daemon's CA, and this daemon runs without TLS (--insecure); start it with --tls-dir (see docs/security.md)")
	}
	if old == nil {
		return nil
	}
	was, now := specrules.InternodeName(old.GetEncryption().GetInternode()), specrules.InternodeName(next.GetEncryption().GetInternode())
	if was != now {
		return fmt.Errorf("%w: spec.encryption.internode: %q -> %q: internode encryption is fixed when the ring is created "+
			"(a rolling change would split the ring while half its nodes refuse the other half); create a new ring with --internode-encryption %s",
			ErrInvalid, was, now, now)
	}
	return nil
}

// shrinkSpec takes one node off a spec (decommission, remove), and a seed when the spec would
// otherwise ask for more seeds than nodes.
func shrinkSpec(s *cassmesosv1.RingSpec, dc string) {
	if multiDC(s) {
		var keep []*cassmesosv1.DataCenter
		for _, d := range s.DataCenters {
			if d.Name == dc {
				d.Nodes--
				d.Seeds = min(d.Seeds, d.Nodes)
			}
			if d.Nodes > 0 {
				keep = append(keep, d)
			}
		}
		s.DataCenters = keep
		sumDataCenters(s)
		return
	}
	s.Nodes--
	if s.Seeds > s.Nodes {
		s.Seeds = s.Nodes
	}
}
