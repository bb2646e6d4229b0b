package plan

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Adding and removing a data centre (issue 16).
//
// ADD_DATACENTER: the new data centre's node slots are created with rebuild_join set (persisted
// with the operation), then "bootstrap <node>" for each (its seeds first): a rebuild_join node
// starts with auto_bootstrap false, so it joins at once without streaming. Then "rebuild <node>"
// for each, one at a time: nodetool rebuild -- <source dc> relayed to the node (relay ID per step
// attempt, the attempt count persisted in the step; Cassandra skips ranges a rebuild has already
// streamed, so a relay sent again after a daemon restart does no harm); when it succeeds the
// node's rebuild_join is cleared.
//
// REMOVE_DATACENTER: the gRPC edge first asks a node for the keyspaces' replication and refuses
// while any keyspace replicates to the data centre; the operation then decommissions the data
// centre's nodes one by one (non-seeds first; a seed first hands its role on, "reseed").

const stepRebuild = cassmesosv1.StepKind_STEP_KIND_REBUILD

// RelayRebuild streams a node's data from Relay.SourceDatacenter (nodetool rebuild -- <dc>).
const RelayRebuild RelayKind = 60

// AddDataCenter adds a data centre to a running ring. Source is the data centre the new nodes
// rebuild from ("" means the ring's first).
type AddDataCenter struct {
	Ring       string
	DataCenter *cassmesosv1.DataCenter
	Source     string
	// RequestID is the client's request ID ("": none); see requestid.go.
	RequestID string
}

// RemoveDataCenter decommissions a data centre's nodes. The caller has checked that no keyspace
// replicates to it.
type RemoveDataCenter struct {
	Ring, DataCenter string
	// RequestID is the client's request ID ("": none); see requestid.go.
	RequestID string
}

func (AddDataCenter) isRequest()    {}
func (RemoveDataCenter) isRequest() {}

func init() {
	// handlers is filled by ops.go's init, which runs first (files initialise in name order).
	if handlers == nil {
		panic("plan: steps_dc.go initialised before ops.go")
	}
	handlers[stepRebuild] = (*pass).stepRebuild
	stepWords[stepRebuild] = "rebuild"
	legacyStepKinds["rebuild"] = stepRebuild
	opRules[cassmesosv1.OperationKind_OPERATION_KIND_ADD_DATACENTER] = opRule{exclusive: true}
	opRules[cassmesosv1.OperationKind_OPERATION_KIND_REMOVE_DATACENTER] = opRule{exclusive: true}
}

// asMultiDC returns the spec with data_centers filled in: a copy of spec when it names them, or
// for a one-data-centre ring the one data centre its placed nodes are in. Refused when its
// nodes are in several data centres, or when none is placed.
func (ps *pass) asMultiDC(ring string, spec *cassmesosv1.RingSpec) (*cassmesosv1.RingSpec, error) {
	s := proto.Clone(spec).(*cassmesosv1.RingSpec)
	if multiDC(s) {
		return s, nil
	}
	dc := s.GetDatacenter()
	for _, n := range ps.ringNodes(ring) {
		d := n.GetDatacenter()
		if d == "" {
			return nil, refused("%s has not been placed yet; its data centre is not known", n.GetName())
		}
		if dc == "" {
			dc = d
		} else if d != dc {
			return nil, refused("%s's nodes are in data centres %s and %s (from their agents' dc attribute); name them in the spec first", ring, dc, d)
		}
	}
	if dc == "" {
		return nil, refused("%s has no node; its data centre is not known", ring)
	}
	s.DataCenters = []*cassmesosv1.DataCenter{{Name: dc, Nodes: s.GetNodes(), Seeds: s.GetSeeds()}}
	s.Datacenter = ""
	return s, nil
}

func (ps *pass) addDataCenter(req AddDataCenter) (Accepted, error) {
	r, err := ps.heldRing(req.Ring)
	if err != nil {
		return Accepted{}, err
	}
	if req.DataCenter == nil {
		return Accepted{}, fmt.Errorf("%w: datacenter is missing", ErrInvalid)
	}
	dc := proto.Clone(req.DataCenter).(*cassmesosv1.DataCenter)
	if err := validateDataCenter("datacenter", dc); err != nil {
		return Accepted{}, err
	}
	if err := checkDCSeeds("datacenter", dc); err != nil {
		return Accepted{}, err
	}
	if dc.Seeds == 0 {
		dc.Seeds = dcSeedsDefault(dc.Nodes)
	}
	if id := ps.topologyOpOn(req.Ring); id != "" {
		return Accepted{}, refused("%s has operation %s running; add the data centre when it has finished", req.Ring, id)
	}
	spec, err := ps.asMultiDC(req.Ring, r.GetSpec())
	if err != nil {
		return Accepted{}, err
	}
	if dataCenter(spec, dc.GetName()) != nil {
		return Accepted{}, refused("%s already has data centre %s", req.Ring, dc.GetName())
	}
	src := req.Source
	if src == "" {
		src = spec.GetDataCenters()[0].GetName()
	}
	if dataCenter(spec, src) == nil {
		return Accepted{}, fmt.Errorf("%w: source_datacenter: %s has no data centre %q (it has %s)", ErrInvalid, req.Ring, src, dcNames(spec))
	}
	if !ps.anyDCNodeUN(req.Ring, src) {
		return Accepted{}, refused("no node of %s in data centre %s is UN to rebuild from", req.Ring, src)
	}
	spec.DataCenters = append(spec.DataCenters, dc)
	sumDataCenters(spec)
	if spec.GetNodes() > MaxNodes {
		return Accepted{}, fmt.Errorf("%w: datacenter.nodes: the ring would have %d nodes, at most %d", ErrInvalid, spec.GetNodes(), MaxNodes)
	}
	if err := ValidateSpec(spec); err != nil {
		return Accepted{}, err
	}
	w := ps.mutRing(req.Ring)
	w.Spec = spec
	var boots, rebuilds []*cassmesosv1.Step
	for i := int32(0); i < dc.GetNodes(); i++ {
		n := ps.newNode(req.Ring, w.NextOrdinal, i < dc.GetSeeds())
		w.NextOrdinal++
		n.Tokens = spec.GetNumTokens()
		n.Datacenter = dc.GetName()
		n.RebuildJoin = true
		ps.putNode(n)
		boots = append(boots, newStep(stepBootstrap, n.GetName()))
		rebuilds = append(rebuilds, newStep(stepRebuild, n.GetName()))
	}
	// Last, every running node gets the ring's seed list, which now names the new seeds too
	// (a "reseed" step on no node only pushes the lists; see seeds.go).
	steps := append(append(boots, rebuilds...), namedStep(stepMoveSeed, "reseed: push the seed lists", ""))
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_ADD_DATACENTER, req.Ring, "cli",
		&cassmesosv1.OperationParams{Datacenter: dc.GetName(), SourceDatacenter: src}, steps)
	ps.putOp(op)
	return Accepted{Operation: op, Ring: ps.ring(req.Ring), Created: true}, nil
}

func (ps *pass) removeDataCenter(req RemoveDataCenter) (Accepted, error) {
	r, err := ps.heldRing(req.Ring)
	if err != nil {
		return Accepted{}, err
	}
	spec := r.GetSpec()
	if dataCenter(spec, req.DataCenter) == nil {
		return Accepted{}, fmt.Errorf("%w: datacenter: %s has no data centre %q (it has %s)", ErrInvalid, req.Ring, req.DataCenter, dcNames(spec))
	}
	if len(spec.GetDataCenters()) < 2 {
		return Accepted{}, refused("%s is the only data centre of %s; delete the ring instead", req.DataCenter, req.Ring)
	}
	if id := ps.topologyOpOn(req.Ring); id != "" {
		return Accepted{}, refused("%s has operation %s running; remove the data centre when it has finished", req.Ring, id)
	}
	var first, seeds []*cassmesosv1.Step
	var nodes []string
	for _, n := range ps.ringNodes(req.Ring) {
		if n.GetDatacenter() != req.DataCenter || n.GetPhase() == cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			continue
		}
		if op := ps.activeOnNode(n.GetName()); op != nil {
			return Accepted{}, refused("%s is busy with operation %s", n.GetName(), op.GetOperation().GetId())
		}
		kind := stepDecommission
		if !ps.isUN(n) && n.GetHostId() != "" || !n.GetBootstrapped() {
			kind = stepRemove
		}
		nodes = append(nodes, n.GetName())
		if n.GetSeed() {
			seeds = append(seeds, append(seedSteps(n), newStep(kind, n.GetName()))...)
		} else {
			first = append(first, newStep(kind, n.GetName()))
		}
	}
	w := ps.mutRing(req.Ring)
	var keep []*cassmesosv1.DataCenter
	for _, d := range w.Spec.DataCenters {
		if d.GetName() != req.DataCenter {
			keep = append(keep, d)
		}
	}
	w.Spec.DataCenters = keep
	sumDataCenters(w.Spec)
	op := ps.newOperation(cassmesosv1.OperationKind_OPERATION_KIND_REMOVE_DATACENTER, req.Ring, "cli",
		&cassmesosv1.OperationParams{Datacenter: req.DataCenter, Nodes: nodes}, append(first, seeds...))
	ps.putOp(op)
	return Accepted{Operation: op, Ring: ps.ring(req.Ring), Created: true}, nil
}

// dcNames lists the spec's data centres for messages.
func dcNames(spec *cassmesosv1.RingSpec) string {
	out := ""
	for i, d := range spec.GetDataCenters() {
		if i > 0 {
			out += ", "
		}
		out += d.GetName()
	}
	if out == "" {
		out = "none named"
	}
	return out
}

// anyDCNodeUN reports whether a node of the ring in data centre dc is UN.
func (ps *pass) anyDCNodeUN(ring, dc string) bool {
	for _, n := range ps.ringNodes(ring) {
		if n.GetDatacenter() == dc && ps.isUN(n) {
			return true
		}
	}
	return false
}

// stepRebuild streams a new data centre's node's data from the source data centre (nodetool
// rebuild -- <dc>) once it is UN, then clears its rebuild_join.
func (ps *pass) stepRebuild(r *opRun) result {
	name := r.step.GetNode()
	n := ps.node(name)
	if n == nil {
		return failed("node %s no longer exists", name)
	}
	src := r.op().GetParams().GetSourceDatacenter()
	if !n.GetRebuildJoin() {
		return done("rebuilt from " + src)
	}
	if !ps.isUN(n) {
		return blocked(true, "%s is %s; rebuild needs it UN", name, ps.statusLetters(n))
	}
	if !ps.anyDCNodeUN(n.GetRing(), src) {
		return blocked(true, "waiting for a node of data centre %s to be UN to rebuild %s from", src, name)
	}
	rid := r.op().GetId() + "/" + strconv.Itoa(r.idx) + "/" + strconv.Itoa(int(r.step.GetAttempts()))
	if r.peek().GetRelayId() != rid {
		// Not relayed yet for this attempt: a rebuild streams only what is replicated to the
		// data centre, so it waits until a keyspace is.
		if res, ok := ps.replicatedTo(r, n); !ok {
			return res
		}
	}
	ps.hold(r)
	rl := ps.relayTo(n, RelayRebuild)
	rl.SourceDatacenter = src
	res, ok := ps.relay(r, rl)
	if !ok {
		return wait(false, "rebuilding %s from data centre %s", name, src)
	}
	if res.Err == "" {
		ps.mutNode(name).RebuildJoin = false
		r.step.LastError = ""
		return done("rebuilt from " + src)
	}
	if r.peek().GetRelayTime() != nil {
		r.step.Attempts++
	}
	r.step.LastError = res.Err
	if r.step.GetAttempts() >= maxRelayAttempts {
		return failed("rebuild of %s from %s failed %d times: %s", name, src, r.step.GetAttempts(), res.Err)
	}
	return wait(false, "rebuild of %s from %s failed (%s); retrying", name, src, res.Err)
}

// replicaCheckEvery is how often a rebuild step asks whether a keyspace replicates to its data
// centre yet.
const replicaCheckEvery = 10 * time.Second

// replicatedTo reports whether a keyspace replicates to n's data centre, as n lists them
// (nodetool describecluster). The question's relay ID and time are kept in the step's cursor; it
// is asked again every replicaCheckEvery while no keyspace does. Otherwise it returns the step's
// result: waiting for the answer, or blocked with what the operator has to do.
func (ps *pass) replicatedTo(r *opRun, n *statev1.NodeRecord) (result, bool) {
	dc := n.GetDatacenter()
	prefix := r.op().GetId() + "/" + strconv.Itoa(r.idx) + "/keyspaces/"
	rl := ps.relayTo(n, RelayListKeyspaces)
	rl.Timeout = time.Minute
	c := r.peek()
	if !strings.HasPrefix(c.GetRelayId(), prefix) || c.GetRelayTime() == nil {
		rl.ID = prefix + strconv.FormatInt(ps.now.UnixNano(), 10)
		w := r.cur()
		w.RelayId, w.RelayTime = rl.ID, ps.ts()
		ps.act(rl)
		return wait(true, "asking %s which keyspaces replicate to data centre %s", n.GetName(), dc), false
	}
	rl.ID = c.GetRelayId()
	asked := c.GetRelayTime().AsTime()
	res, ok := ps.s.Relays[rl.ID]
	if !ok || !res.Done {
		if ps.now.Sub(asked) < time.Minute {
			ps.act(rl) // again after a daemon restart; the runtime ignores an ID in flight
			ps.wakeAt(asked.Add(time.Minute))
			return wait(true, "asking %s which keyspaces replicate to data centre %s", n.GetName(), dc), false
		}
		res = RelayResult{Done: true, Err: "no answer within a minute"}
	}
	if res.Err == "" {
		for _, k := range res.Keyspaces {
			if v, ok := k.Replication[dc]; ok && v != "0" {
				return result{}, true
			}
		}
	}
	next := asked.Add(replicaCheckEvery)
	if !ps.now.Before(next) {
		r.cur().RelayTime = nil // ask again on this pass's successor
		ps.wakeAt(ps.now)
	} else {
		ps.wakeAt(next)
	}
	if res.Err != "" {
		return wait(true, "listing keyspaces through %s failed (%s); asking again", n.GetName(), res.Err), false
	}
	return blocked(true, "no keyspace replicates to data centre %s yet; ALTER KEYSPACE <keyspace> WITH replication = "+
		"{'class': 'NetworkTopologyStrategy', ..., '%s': <n>} and the rebuild of %s starts", dc, dc, n.GetName()), false
}
