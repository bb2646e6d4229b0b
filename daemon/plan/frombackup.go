package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/internal/specrules"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Token-aligned restore into a new ring (issue 16). CreateRing with FromBackup makes the ring in
// the backed-up ring's shape and gives node <ring>-<i> the tokens node <source>-<i> owned at backup
// time (NodeRecord.initial_tokens, rendered as initial_token), so that a later RESTORE with
// source_ring imports every node's files into a node that owns exactly their ranges.

// backupShape is what a ring created from a backup copies: its shape and each ordinal's tokens.
type backupShape struct {
	// source is the backed-up ring.
	source string
	// spec holds the shape fields only: nodes, seeds, num_tokens, datacenter, data_centers.
	spec *cassmesosv1.RingSpec
	// tokens[i] are the tokens of node <source>-<i>.
	tokens [][]string
	// dcs[i] is the data centre of node <source>-<i> when its record is still known, else "".
	dcs []string
}

// shapeFromBackup reads backup id's shape. The backup must have succeeded, not be deleted, and
// have a done step with tokens for each of its nodes, whose ordinals are 0..n-1. The data centres
// and seeds are those of the source ring's spec when the ring is still known (and its node count is
// the backup's), else one data centre of n nodes with the default seeds.
func (ps *pass) shapeFromBackup(id string) (*backupShape, error) {
	b := ps.ops[id]
	if id == "" || b == nil || b.GetOperation().GetKind() != opBackup {
		return nil, fmt.Errorf("%w: from_backup: %q is not a backup (list them with cassmesos backup list)", ErrOperationNotFound, id)
	}
	bo := b.GetOperation()
	if d := bo.GetParams().GetBackup().GetDeletedBy(); d != "" {
		return nil, refused("backup %s was deleted (operation %s)", bo.GetId(), d)
	}
	if bo.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		return nil, refused("backup %s is %s; only a backup that succeeded can shape a new ring", bo.GetId(), bo.GetPhase())
	}
	src := bo.GetRing()
	byOrd := map[int][]string{}
	for _, s := range bo.GetSteps() {
		if stepKind(s) != stepBackupNode {
			continue
		}
		ord, err := strconv.Atoi(strings.TrimPrefix(s.GetNode(), src+"-"))
		if err != nil || !strings.HasPrefix(s.GetNode(), src+"-") || ord < 0 {
			return nil, refused("backup %s has node %s, not a node of ring %s", bo.GetId(), s.GetNode(), src)
		}
		toks := s.GetBackup().GetTokens()
		if s.GetPhase() != cassmesosv1.StepPhase_STEP_PHASE_DONE || len(toks) == 0 {
			return nil, refused("backup %s recorded no tokens for node %s (a backup taken before tokens were recorded, or its step did not finish); take a new backup", bo.GetId(), s.GetNode())
		}
		if err := specrules.InitialTokens("tokens of "+s.GetNode(), toks); err != nil {
			return nil, refused("backup %s: %v", bo.GetId(), err)
		}
		byOrd[ord] = toks
	}
	n := len(byOrd)
	if n == 0 {
		return nil, refused("backup %s has no node", bo.GetId())
	}
	sh := &backupShape{source: src, tokens: make([][]string, n), dcs: make([]string, n)}
	for i := range n {
		t, ok := byOrd[i]
		if !ok {
			return nil, refused("backup %s has no node %s-%d: its nodes are not ordinals 0 to %d, a shape a new ring cannot reproduce", bo.GetId(), src, i, n-1)
		}
		if len(t) != len(sh.tokens[0]) && i > 0 {
			return nil, refused("backup %s: node %s-%d has %d tokens, node %s-0 has %d; a new ring has one num_tokens", bo.GetId(), src, i, len(t), src, len(sh.tokens[0]))
		}
		sh.tokens[i] = t
		sh.dcs[i] = ps.node(NodeName(src, int32(i))).GetDatacenter()
	}
	sh.spec = &cassmesosv1.RingSpec{Nodes: int32(n), NumTokens: int32(len(sh.tokens[0]))}
	if old := ps.ring(src); old != nil {
		ospec := old.GetSpec()
		switch {
		case len(ospec.GetDataCenters()) > 0:
			var sum int32
			for _, dc := range ospec.GetDataCenters() {
				sum += dc.GetNodes()
			}
			if sum == int32(n) {
				sh.spec.DataCenters = cloneDCs(ospec.GetDataCenters())
				sh.spec.Nodes = 0
			}
		case ospec.GetNodes() == int32(n):
			sh.spec.Seeds = ospec.GetSeeds()
			sh.spec.Datacenter = ospec.GetDatacenter()
		}
	}
	return sh, nil
}

func cloneDCs(in []*cassmesosv1.DataCenter) []*cassmesosv1.DataCenter {
	out := make([]*cassmesosv1.DataCenter, len(in))
	for i, dc := range in {
		out[i] = proto.Clone(dc).(*cassmesosv1.DataCenter)
	}
	return out
}

// applyBackupShape fills the request's spec with the shape; a shape field the request sets to
// something else is refused (ErrInvalid, every such field named).
func applyBackupShape(spec *cassmesosv1.RingSpec, sh *backupShape) (*cassmesosv1.RingSpec, error) {
	out := proto.Clone(spec).(*cassmesosv1.RingSpec)
	var bad []string
	want := sh.spec
	if spec.GetNodes() != 0 && spec.GetNodes() != int32(len(sh.tokens)) {
		bad = append(bad, fmt.Sprintf("spec.nodes (%d; the backup has %d)", spec.GetNodes(), len(sh.tokens)))
	}
	if spec.GetSeeds() != 0 && want.GetSeeds() != 0 && spec.GetSeeds() != want.GetSeeds() {
		bad = append(bad, fmt.Sprintf("spec.seeds (%d; ring %s has %d)", spec.GetSeeds(), sh.source, want.GetSeeds()))
	}
	if spec.GetNumTokens() != 0 && spec.GetNumTokens() != want.GetNumTokens() {
		bad = append(bad, fmt.Sprintf("spec.num_tokens (%d; the backup's nodes have %d tokens)", spec.GetNumTokens(), want.GetNumTokens()))
	}
	if len(spec.GetDataCenters()) > 0 && !slices.EqualFunc(spec.GetDataCenters(), want.GetDataCenters(), func(a, b *cassmesosv1.DataCenter) bool { return proto.Equal(a, b) }) {
		bad = append(bad, "spec.data_centers (the shape comes from ring "+sh.source+")")
	}
	if spec.GetDatacenter() != "" && len(want.GetDataCenters()) > 0 {
		bad = append(bad, "spec.datacenter (ring "+sh.source+" names its data centres)")
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: from_backup: these fields conflict with the backed-up ring's shape: %s", ErrInvalid, strings.Join(bad, ", "))
	}
	out.Nodes, out.NumTokens, out.DataCenters = want.GetNodes(), want.GetNumTokens(), cloneDCs(want.GetDataCenters())
	if out.Seeds == 0 {
		out.Seeds = want.GetSeeds()
	}
	if out.Datacenter == "" {
		out.Datacenter = want.GetDatacenter()
	}
	return out, nil
}

// restoreTokenCheck compares, for a restore from sourceRing into n, the tokens n was created with
// and those its source node had at backup time. It returns a refusal when both are known and
// differ, and ok=false when n has no recorded initial tokens (the daemon cannot tell).
func restoreTokenCheck(bo *cassmesosv1.Operation, src string, n *statev1.NodeRecord) (ok bool, err error) {
	mine := n.GetInitialTokens()
	if len(mine) == 0 {
		return false, nil
	}
	for _, s := range bo.GetSteps() {
		if stepKind(s) != stepBackupNode || s.GetNode() != src {
			continue
		}
		theirs := s.GetBackup().GetTokens()
		if len(theirs) == 0 {
			return false, nil
		}
		a, b := slices.Clone(mine), slices.Clone(theirs)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			return true, refused("%s was created with other tokens than %s had in backup %s (%d tokens vs %d); restore the backup the ring was created from", n.GetName(), src, bo.GetId(), len(mine), len(theirs))
		}
		return true, nil
	}
	return false, nil
}

// checkSlotDC refuses a slot whose data centre is not the one its source node was in (a ring
// whose data centres were added or removed after creation numbers its nodes differently).
func (sh *backupShape) checkSlotDC(ring string, i int, dc string) error {
	if i < len(sh.dcs) && sh.dcs[i] != "" && dc != "" && sh.dcs[i] != dc {
		return refused("%s would be in data centre %s but %s-%d, whose tokens it takes, was in %s; ring %s's shape cannot be reproduced",
			NodeName(ring, int32(i)), dc, sh.source, i, sh.dcs[i], sh.source)
	}
	return nil
}
