package plan

import (
	"slices"
	"strconv"
	"strings"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Seeds that move. A seed that is decommissioned, removed or replaced first hands its seed role
// to another node (STEP_KIND_MOVE_SEED, the operation's first step): the node is no longer a
// seed, a UN node of the same datacenter (on a rack with no seed yet, when there is one) becomes
// one while the ring has fewer seeds than its spec asks for, and every running UN node is sent
// the ring's new seed list one at a time (RelayReloadSeeds: the executor rewrites cassandra.yaml
// and runs nodetool reloadseeds; Cassandra 4.0+ re-reads the list without a restart). A node
// that is not UN then gets the list at its next launch (NodeTaskConfig.seeds).

// seedSteps is the step that moves n's seed role away, when n is a seed.
func seedSteps(n *statev1.NodeRecord) []*cassmesosv1.Step {
	if !n.GetSeed() {
		return nil
	}
	return []*cassmesosv1.Step{newStep(stepMoveSeed, n.GetName())}
}

// seedCandidate is the node that should take over the seed role from leaving: a UN,
// bootstrapped non-seed of the ring other than leaving that no other operation holds,
// preferring leaving's datacenter, then a rack without a seed, then the lowest ordinal. Nil
// when there is none.
func (ps *pass) seedCandidate(leaving *statev1.NodeRecord) *statev1.NodeRecord {
	seedRacks := map[string]bool{}
	for _, o := range ps.ringNodes(leaving.GetRing()) {
		if o.GetSeed() && o.GetName() != leaving.GetName() {
			seedRacks[o.GetDatacenter()+"/"+o.GetRack()] = true
		}
	}
	var best *statev1.NodeRecord
	score := func(o *statev1.NodeRecord) int {
		s := 0
		if o.GetDatacenter() == leaving.GetDatacenter() {
			s += 2
		}
		if !seedRacks[o.GetDatacenter()+"/"+o.GetRack()] {
			s++
		}
		return s
	}
	for _, o := range ps.ringNodes(leaving.GetRing()) {
		if o.GetName() == leaving.GetName() || o.GetSeed() || !o.GetBootstrapped() || !ps.isUN(o) ||
			o.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_RUNNING {
			continue
		}
		if id := ps.claimed[o.GetName()]; id != "" {
			continue
		}
		if best == nil || score(o) > score(best) {
			best = o
		}
	}
	return best
}

// liveSeeds counts the ring's seeds other than except that are not removed.
func (ps *pass) liveSeeds(ring, except string) int {
	c := 0
	for _, o := range ps.ringNodes(ring) {
		if o.GetSeed() && o.GetName() != except && o.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			c++
		}
	}
	return c
}

// stepMoveSeed (STEP_KIND_MOVE_SEED): moves the seed role away from the step's node, then sends
// every running UN node other than it the ring's seed list, one node per relay.
func (ps *pass) stepMoveSeed(r *opRun) result {
	name := r.step.GetNode()
	ring := r.op().GetRing()
	if n := ps.node(name); n != nil && n.GetSeed() {
		cand := ps.seedCandidate(n)
		left := ps.liveSeeds(ring, name)
		want := int(ps.ring(ring).GetSpec().GetSeeds())
		if left == 0 && cand == nil {
			return blocked(true, "%s is the last seed of %s and no other node is UN to take over as seed", name, ring)
		}
		ps.mutNode(name).Seed = false
		if cand != nil && left < max(want, 1) {
			ps.mutNode(cand.GetName()).Seed = true
			r.step.Message = cand.GetName() + " takes over as seed from " + name
		}
	}
	// Push the list to the first node that runs with another one.
	for _, o := range ps.ringNodes(ring) {
		if o.GetName() == name || o.GetAddress() == "" {
			continue
		}
		if c, _ := ps.task(o); c != condRunning || !ps.isUN(o) {
			continue
		}
		seeds := ps.seedAddresses(o)
		if slices.Equal(seeds, o.GetSeeds()) {
			continue
		}
		rl := ps.relayTo(o, RelayReloadSeeds)
		rl.Seeds = seeds
		res, ok := ps.relayAs(r, rl, r.op().GetId()+"/"+strconv.Itoa(r.idx)+"/seeds/"+o.GetName()+"/"+strconv.Itoa(int(r.step.GetAttempts())))
		if !ok {
			return wait(false, "sending %s its seed list [%s]", o.GetName(), strings.Join(seeds, " "))
		}
		if res.Err != "" {
			if r.peek().GetRelayTime() != nil {
				r.step.Attempts++
			}
			r.step.LastError = res.Err
			if r.step.GetAttempts() >= maxRelayAttempts {
				return failed("reloading the seed list of %s failed %d times: %s", o.GetName(), r.step.GetAttempts(), res.Err)
			}
			return wait(false, "reloading the seed list of %s failed (%s); retrying", o.GetName(), res.Err)
		}
		ps.mutNode(o.GetName()).Seeds = seeds
		r.step.Attempts = 0
		r.cur().RelayTime = nil
	}
	return done("every running node uses the seed list [" + strings.Join(ps.ringSeedList(ring, name), " ") + "]")
}

// ringSeedList is the ring's seed addresses, by ordinal, without except.
func (ps *pass) ringSeedList(ring, except string) []string {
	var out []string
	for _, o := range ps.ringNodes(ring) {
		if o.GetSeed() && o.GetName() != except && o.GetAddress() != "" && o.GetPhase() != cassmesosv1.NodePhase_NODE_PHASE_REMOVED {
			out = append(out, o.GetAddress())
		}
	}
	return out
}
