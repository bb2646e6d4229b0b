package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// runRelays steps the planner until the operation ends, answering each relay of kind with res(node).
func runRelays(t *testing.T, p *Planner, s *State, id string, kind RelayKind, res func(Relay) RelayResult) []Relay {
	t.Helper()
	var seen []Relay
	for range 30 {
		pl := step(p, s)
		rs := relaysOf(pl, kind)
		if len(rs) > 1 {
			t.Fatalf("%d %s relays at once", len(rs), kind)
		}
		for _, r := range rs {
			if _, ok := s.Relays[r.ID]; !ok {
				seen = append(seen, r)
				s.Relays[r.ID] = res(r)
			}
		}
		if opFinished(s.Operations[id].GetOperation().GetPhase()) {
			return seen
		}
	}
	t.Fatalf("operation %s did not end: %v", id, s.Operations[id].GetOperation().GetPhase())
	return nil
}

func TestBackupThenRestoreSameRing(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := unRing(3, now)
	p := New(Config{BackupStore: "file:///mnt/backups"}, &seqIDs{})
	acc, err := p.Submit(s, RunBackup{Ring: "demo", Params: &cassmesosv1.BackupParams{Keyspaces: []string{"shop"}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	id := acc.Operation.GetOperation().GetId()
	if got := s.Operations[id].GetOperation().GetParams().GetBackup(); got.GetBackupId() != id || got.GetStoreUrl() != "file:///mnt/backups" {
		t.Fatalf("params %v", got)
	}
	fails := 1
	seen := runRelays(t, p, s, id, RelayBackup, func(r Relay) RelayResult {
		if r.Node == "demo-1" && fails > 0 {
			fails--
			return RelayResult{Done: true, Err: "store full"}
		}
		return RelayResult{Done: true, Backup: &cassmesosv1.BackupNodeResult{Files: 4, Bytes: 1 << 20, TransferredFiles: 4, TransferredBytes: 1 << 20,
			ManifestSha256: fmt.Sprintf("%064d", len(r.Node)+int(r.Node[len(r.Node)-1])), Tokens: []string{"-1" + r.Node[len(r.Node)-1:], "7"}}}
	})
	var nodes []string
	for _, r := range seen {
		nodes = append(nodes, r.Node)
		if r.BackupNode.GetBackupId() != id || r.BackupNode.GetKeyspaces()[0] != "shop" || r.BackupNode.GetAccessKey() != "" {
			t.Fatalf("relay request %v", r.BackupNode)
		}
	}
	op := s.Operations[id].GetOperation()
	if op.GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED || strings.Join(nodes, ",") != "demo-0,demo-1,demo-1,demo-2" {
		t.Fatalf("backup %v, relays to %v", op.GetPhase(), nodes)
	}
	for _, st := range op.GetSteps() {
		// The catalogue keeps each node's tokens (for a token-aligned restore).
		if st.GetBackup().GetManifestSha256() == "" || !strings.Contains(st.GetMessage(), "4 files") ||
			strings.Join(st.GetBackup().GetTokens(), ",") != "-1"+st.GetNode()[len(st.GetNode())-1:]+",7" {
			t.Fatalf("step %s: %v %q", st.GetName(), st.GetBackup(), st.GetMessage())
		}
	}

	// Restore: each node loads its own manifest, checked against the recorded SHA-256.
	racc, err := p.Submit(s, RunRestore{Ring: "demo", Params: &cassmesosv1.RestoreParams{BackupId: id}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(racc.Plan.Writes)
	rid := racc.Operation.GetOperation().GetId()
	seen = runRelays(t, p, s, rid, RelayRestore, func(r Relay) RelayResult {
		res := &cassmesosv1.BackupNodeResult{Files: 4, Tables: 1}
		if r.Node == "demo-0" { // the first node recreated a dropped table
			res.Created = []string{"shop.orders"}
		}
		return RelayResult{Done: true, Backup: res}
	})
	if m := s.Operations[rid].GetOperation().GetSteps()[0].GetMessage(); !strings.Contains(m, "created from the backup's schema: shop.orders") {
		t.Errorf("first restore step's message %q does not say what it created", m)
	}
	if m := s.Operations[rid].GetOperation().GetSteps()[1].GetMessage(); strings.Contains(m, "created") {
		t.Errorf("second restore step's message %q", m)
	}
	if len(seen) != 3 || s.Operations[rid].GetOperation().GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		t.Fatalf("restore: %d relays, %v", len(seen), s.Operations[rid].GetOperation().GetPhase())
	}
	for _, r := range seen {
		rq := r.RestoreNode
		want := op.GetSteps()[int(r.Node[len(r.Node)-1]-'0')].GetBackup().GetManifestSha256()
		if rq.GetSourceNode() != r.Node || rq.GetManifestSha256() != want || rq.GetStoreUrl() != "file:///mnt/backups" {
			t.Fatalf("restore request to %s: %v", r.Node, rq)
		}
	}
}

func TestBackupRestoreRefusals(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := unRing(3, now)
	noStore := New(Config{}, &seqIDs{})
	if _, err := noStore.Submit(s, RunBackup{Ring: "demo"}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "no backup store") {
		t.Fatalf("no store: %v", err)
	}
	p := New(Config{BackupStore: "file:///b"}, &seqIDs{})
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{RunBackup{Ring: "demo", Params: &cassmesosv1.BackupParams{StoreUrl: "ftp://x/y"}}, "scheme must be file or s3"},
		{RunBackup{Ring: "demo", Params: &cassmesosv1.BackupParams{Keyspaces: []string{"a b"}}}, "params.keyspaces[0]"},
		{RunBackup{Ring: "demo", Params: &cassmesosv1.BackupParams{BackupId: "mine"}}, "chosen by the daemon"},
		{RunBackup{Ring: "nope"}, "not found"},
		{RunRestore{Ring: "demo", Params: &cassmesosv1.RestoreParams{BackupId: "nope"}}, "is not a backup"},
		{RunRestore{Ring: "demo", Params: &cassmesosv1.RestoreParams{BackupId: "x", Tables: []string{"t"}}}, "exactly one keyspace"},
	} {
		if _, err := p.Submit(s, tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%#v: %v, want %q", tc.req, err, tc.want)
		}
	}
	// A backup that has not succeeded cannot be restored.
	acc, err := p.Submit(s, RunBackup{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	if _, err := p.Submit(s, RunRestore{Ring: "demo", Params: &cassmesosv1.RestoreParams{BackupId: acc.Operation.GetOperation().GetId()}}); !errors.Is(err, ErrPrecondition) {
		t.Fatalf("restore of a pending backup: %v", err)
	}
}

func TestBackupSchedule(t *testing.T) {
	now := time.Unix(1_700_000_000, 0).UTC()
	s := unRing(3, now)
	p := New(Config{BackupStore: "file:///b", Location: time.UTC}, &seqIDs{})
	if _, err := p.Submit(s, CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "@every 1h",
		Backup: &cassmesosv1.BackupParams{StoreUrl: "gopher://x"}}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("schedule with a bad store: %v", err)
	}
	acc, err := p.Submit(s, CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "@every 1h",
		Backup: &cassmesosv1.BackupParams{Keyspaces: []string{"shop"}}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	sid := acc.Schedule.GetId()
	if got := s.Schedules[sid].GetSchedule().GetBackup().GetStoreUrl(); got != "file:///b" {
		t.Fatalf("schedule store %q, want the daemon's default", got)
	}
	backups := func() []*cassmesosv1.Operation {
		var out []*cassmesosv1.Operation
		for _, o := range s.Operations {
			if o.GetOperation().GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_BACKUP {
				out = append(out, o.GetOperation())
			}
		}
		return out
	}
	step(p, s)
	if n := len(backups()); n != 0 {
		t.Fatalf("%d backups before the schedule is due", n)
	}
	s.Now = now.Add(61 * time.Minute)
	step(p, s)
	bs := backups()
	if len(bs) != 1 || bs[0].GetOrigin() != "schedule/"+sid || bs[0].GetParams().GetBackup().GetKeyspaces()[0] != "shop" {
		t.Fatalf("after an hour: %v", bs)
	}
	// Due again while that backup still runs: skipped, with the reason.
	s.Now = now.Add(122 * time.Minute)
	step(p, s)
	if n := len(backups()); n != 1 || !strings.Contains(s.Schedules[sid].GetSchedule().GetLastSkipReason(), "still running") {
		t.Fatalf("%d backups, skip reason %q", n, s.Schedules[sid].GetSchedule().GetLastSkipReason())
	}
}

func TestDeleteBackup(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := unRing(3, now)
	p := New(Config{BackupStore: "file:///b"}, &seqIDs{})
	acc, err := p.Submit(s, RunBackup{Ring: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	id := acc.Operation.GetOperation().GetId()
	if _, err := p.Submit(s, RunDeleteBackup{BackupID: id}); !errors.Is(err, ErrPrecondition) {
		t.Fatalf("delete of a running backup: %v", err)
	}
	runRelays(t, p, s, id, RelayBackup, func(r Relay) RelayResult {
		return RelayResult{Done: true, Backup: &cassmesosv1.BackupNodeResult{Files: 1, ManifestSha256: strings.Repeat("a", 64)}}
	})
	dacc, err := p.Submit(s, RunDeleteBackup{BackupID: id})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(dacc.Plan.Writes)
	did := dacc.Operation.GetOperation().GetId()
	seen := runRelays(t, p, s, did, RelayDeleteBackup, func(Relay) RelayResult {
		return RelayResult{Done: true, Backup: &cassmesosv1.BackupNodeResult{Files: 3, Bytes: 1 << 20, TransferredFiles: 3}}
	})
	if len(seen) != 1 || seen[0].DeleteBackup.GetBackupId() != id || seen[0].DeleteBackup.GetStoreUrl() != "file:///b" {
		t.Fatalf("delete relays %+v", seen)
	}
	if s.Operations[did].GetOperation().GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		t.Fatalf("delete: %v", s.Operations[did].GetOperation())
	}
	if got := s.Operations[id].GetOperation().GetParams().GetBackup().GetDeletedBy(); got != did {
		t.Fatalf("backup deleted_by %q, want %q", got, did)
	}
	if _, err := p.Submit(s, RunRestore{Ring: "demo", Params: &cassmesosv1.RestoreParams{BackupId: id}}); !errors.Is(err, ErrPrecondition) || !strings.Contains(err.Error(), "was deleted") {
		t.Fatalf("restore of a deleted backup: %v", err)
	}
	if _, err := p.Submit(s, RunDeleteBackup{BackupID: id}); !errors.Is(err, ErrPrecondition) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := p.Submit(s, RunDeleteBackup{BackupID: "nope"}); !errors.Is(err, ErrOperationNotFound) {
		t.Fatalf("delete of nothing: %v", err)
	}
}

func TestBackupScheduleRetention(t *testing.T) {
	now := time.Unix(1_700_000_000, 0).UTC()
	s := unRing(3, now)
	p := New(Config{BackupStore: "file:///b", Location: time.UTC}, &seqIDs{})
	if _, err := p.Submit(s, CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "@every 1h", KeepBackups: 2}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("keep_backups on a repair schedule: %v", err)
	}
	acc, err := p.Submit(s, CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "@every 1h", KeepBackups: 1, Backup: &cassmesosv1.BackupParams{}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(acc.Plan.Writes)
	ok := func(r Relay) RelayResult {
		return RelayResult{Done: true, Backup: &cassmesosv1.BackupNodeResult{Files: 1, ManifestSha256: strings.Repeat("b", 64)}}
	}
	var ids []string
	for i := 1; i <= 2; i++ {
		s.Now = now.Add(time.Duration(i)*time.Hour + time.Minute)
		step(p, s)
		var id string
		for oid, o := range s.Operations {
			if o.GetOperation().GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_BACKUP && !slicesContains(ids, oid) {
				id = oid
			}
		}
		if id == "" {
			t.Fatalf("run %d: no backup started", i)
		}
		ids = append(ids, id)
		runRelays(t, p, s, id, RelayBackup, ok)
	}
	// Two succeeded, one is kept: the oldest is deleted.
	step(p, s)
	var del *cassmesosv1.Operation
	for _, o := range s.Operations {
		if o.GetOperation().GetKind() == cassmesosv1.OperationKind_OPERATION_KIND_DELETE_BACKUP {
			del = o.GetOperation()
		}
	}
	if del == nil || del.GetParams().GetDeleteBackup().GetBackupId() != ids[0] || del.GetOrigin() != "schedule/"+acc.Schedule.GetId() {
		t.Fatalf("retention: %v (backups %v)", del, ids)
	}
}

func slicesContains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
