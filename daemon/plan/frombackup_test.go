package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// backupWithTokens runs a backup of ring demo to success; node demo-i reports tokens(i).
func backupWithTokens(t *testing.T, p *Planner, s *State, tokens func(node string) []string) string {
	t.Helper()
	acc, err := p.Submit(s, RunBackup{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	id := acc.Operation.GetOperation().GetId()
	runRelays(t, p, s, id, RelayBackup, func(r Relay) RelayResult {
		return RelayResult{Done: true, Backup: &cassmesosv1.BackupNodeResult{Files: 1, ManifestSha256: fmt.Sprintf("%064d", len(r.Node)), Tokens: tokens(r.Node)}}
	})
	if ph := s.Operations[id].GetOperation().GetPhase(); ph != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		t.Fatalf("backup %s", ph)
	}
	return id
}

func demoTokens(node string) []string {
	i := node[len(node)-1:]
	return []string{"-1" + i + "00", "7" + i}
}

// Issue 16: ring create --from-backup copies the backed-up ring's shape and gives node <new>-<i>
// the tokens of <old>-<i>, persisted in the node record and sent to the executor (never for a
// replacement); shape fields that conflict, unknown backups and backups without tokens are
// refused with nothing written; a restore into the ring checks the tokens.
func TestCreateRingFromBackup(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := unRing(3, now)
	s.Rings["demo"].Spec.Seeds = 1
	p := New(Config{BackupStore: "file:///b"}, &seqIDs{})
	id := backupWithTokens(t, p, s, demoTokens)

	// Refusals: nothing is written.
	before := len(s.Rings)
	for _, c := range []struct {
		req  CreateRing
		is   error
		want string
	}{
		{CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo", Nodes: 5}, FromBackup: id}, ErrInvalid, "spec.nodes (5; the backup has 3)"},
		{CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo", NumTokens: 16, Seeds: 3}, FromBackup: id}, ErrInvalid,
			"spec.seeds (3; ring demo has 1), spec.num_tokens (16; the backup's nodes have 2 tokens)"},
		{CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo", DataCenters: []*cassmesosv1.DataCenter{{Name: "x", Nodes: 3}}}, FromBackup: id}, ErrInvalid, "spec.data_centers"},
		{CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo"}, FromBackup: "20230101-000000-zz"}, ErrOperationNotFound, `from_backup: "20230101-000000-zz" is not a backup`},
	} {
		acc, err := p.Submit(s, c.req)
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %v containing %q", c.req.Spec, err, c.is, c.want)
		}
		if len(acc.Plan.Writes) != 0 || len(s.Rings) != before {
			t.Errorf("refused request wrote %d records", len(acc.Plan.Writes))
		}
	}

	// A backup that misses a node's tokens is refused, naming the node.
	noTok := backupWithTokens(t, p, s, func(n string) []string {
		if n == "demo-1" {
			return nil
		}
		return demoTokens(n)
	})
	if _, err := p.Submit(s, CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo"}, FromBackup: noTok}); !errors.Is(err, ErrPrecondition) ||
		!strings.Contains(err.Error(), "recorded no tokens for node demo-1") {
		t.Errorf("backup without tokens: %v", err)
	}
	// Tokens that are not Murmur3 tokens are refused, naming the node and the value.
	badTok := backupWithTokens(t, p, s, func(n string) []string { return []string{"1", n} })
	if _, err := p.Submit(s, CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo"}, FromBackup: badTok}); !errors.Is(err, ErrPrecondition) ||
		!strings.Contains(err.Error(), `tokens of demo-0[1]: "demo-0": not a signed 64-bit Murmur3 token`) {
		t.Errorf("backup with bad tokens: %v", err)
	}

	// The ring: the shape of demo, each node with its source's tokens.
	acc, err := p.Submit(s, CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo", NumTokens: 2}, FromBackup: id})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	spec := s.Rings["neo"].GetSpec()
	if spec.GetNodes() != 3 || spec.GetSeeds() != 1 || spec.GetNumTokens() != 2 {
		t.Fatalf("spec nodes %d seeds %d num_tokens %d, want 3 1 2", spec.GetNodes(), spec.GetSeeds(), spec.GetNumTokens())
	}
	for i := range 3 {
		n := s.Nodes[NodeName("neo", int32(i))]
		want := strings.Join(demoTokens(NodeName("demo", int32(i))), ",")
		if got := strings.Join(n.GetInitialTokens(), ","); got != want || n.GetSeed() != (i == 0) {
			t.Errorf("%s: initial tokens %q seed %v, want %q", n.GetName(), got, n.GetSeed(), want)
		}
	}
	// A repeat is the same request: nothing new.
	if again, err := p.Submit(s, CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo"}, FromBackup: id}); err != nil || again.Created {
		t.Errorf("repeat: created %v, %v", again.Created, err)
	}

	// The task config carries the tokens, except for a replacement.
	ps := p.newPass(s)
	n0 := s.Nodes["neo-0"]
	if got := ps.taskConfig(n0).GetInitialTokens(); strings.Join(got, ",") != "-1000,70" {
		t.Errorf("task config initial tokens %q", got)
	}
	rep := proto.Clone(n0).(*statev1.NodeRecord)
	rep.ReplacesAddress = "10.9.9.9"
	if got := ps.taskConfig(rep); len(got.GetInitialTokens()) != 0 || got.GetReplaceAddress() != "10.9.9.9" {
		t.Errorf("replacement task config: initial tokens %q, replace %q", got.GetInitialTokens(), got.GetReplaceAddress())
	}

	// Restore into it: accepted when the tokens match, refused when a node's differ.
	for i := range 3 {
		n := s.Nodes[NodeName("neo", int32(i))]
		n.Bootstrapped, n.Phase, n.TaskId, n.AgentId = true, cassmesosv1.NodePhase_NODE_PHASE_RUNNING, n.GetName()+".1.x", fmt.Sprintf("b%d", i)
		n.PhaseTime = timestamppb.New(now)
		s.Tasks[n.GetTaskId()] = TaskStatus{TaskID: n.GetTaskId(), AgentID: n.GetAgentId(), State: TaskRunning, Healthy: true, Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL}
	}
	s.Rings["neo"].Status.ActiveOperationId = ""
	for _, o := range s.Operations {
		if o.GetOperation().GetRing() == "neo" {
			o.Operation.Phase = cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED
		}
	}
	restore := RunRestore{Ring: "neo", Params: &cassmesosv1.RestoreParams{BackupId: id, SourceRing: "demo"}}
	s.Nodes["neo-1"].InitialTokens = []string{"5", "6"}
	if _, err := p.Submit(s, restore); !errors.Is(err, ErrPrecondition) || !strings.Contains(err.Error(), "neo-1 was created with other tokens than demo-1") {
		t.Errorf("restore with other tokens: %v", err)
	}
	s.Nodes["neo-1"].InitialTokens = []string{"71", "-1100"} // the same set, another order
	racc, err := p.Submit(s, restore)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range racc.Operation.GetOperation().GetSteps() {
		if st.GetMessage() != "" {
			t.Errorf("aligned restore step %s has message %q", st.GetNode(), st.GetMessage())
		}
	}
	// A ring without recorded tokens: today's behaviour, with a warning on every step.
	for i := range 3 {
		s.Nodes[NodeName("neo", int32(i))].InitialTokens = nil
	}
	racc, err = p.Submit(s, restore)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range racc.Operation.GetOperation().GetSteps() {
		if !strings.Contains(st.GetMessage(), "warning: "+st.GetNode()+"'s tokens are not known to be demo-") {
			t.Errorf("unaligned restore step %s: message %q", st.GetNode(), st.GetMessage())
		}
	}
}

// A ring with named data centres: the new ring copies them, each node in its source's data
// centre; a source whose node numbering does not follow the data centres is refused.
func TestCreateRingFromBackupDataCenters(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := unRing(3, now)
	s.Rings["demo"].Spec.DataCenters = []*cassmesosv1.DataCenter{{Name: "east", Nodes: 2, Seeds: 1}, {Name: "west", Nodes: 1, Seeds: 1}}
	for i, dc := range []string{"east", "east", "west"} {
		s.Nodes[NodeName("demo", int32(i))].Datacenter = dc
	}
	p := New(Config{BackupStore: "file:///b"}, &seqIDs{})
	id := backupWithTokens(t, p, s, demoTokens)
	acc, err := p.Submit(s, CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo"}, FromBackup: id, ValidateOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(acc.Plan.Writes) != 0 {
		t.Errorf("validate only wrote %d records", len(acc.Plan.Writes))
	}
	if dcs := acc.Ring.GetSpec().GetDataCenters(); len(dcs) != 2 || dcs[0].GetName() != "east" || dcs[1].GetNodes() != 1 || acc.Ring.GetSpec().GetNodes() != 3 {
		t.Errorf("data centres %v, nodes %d", dcs, acc.Ring.GetSpec().GetNodes())
	}
	s.Nodes["demo-0"].Datacenter = "west"
	if _, err := p.Submit(s, CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo"}, FromBackup: id}); !errors.Is(err, ErrPrecondition) ||
		!strings.Contains(err.Error(), "neo-0 would be in data centre east but demo-0, whose tokens it takes, was in west") {
		t.Errorf("mismatched data centres: %v", err)
	}
	if _, err := p.Submit(s, CreateRing{Spec: &cassmesosv1.RingSpec{Name: "neo", Datacenter: "x"}, FromBackup: id}); !errors.Is(err, ErrInvalid) ||
		!strings.Contains(err.Error(), "spec.datacenter (ring demo names its data centres)") {
		t.Errorf("datacenter with named data centres: %v", err)
	}
}
