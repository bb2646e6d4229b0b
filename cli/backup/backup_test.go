package backup

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdCreateAndRestore(t *testing.T) {
	e := clitest.New(t)
	var got *CreateOptions
	if code := e.Run(NewCmdCreate(e.F, func(o *CreateOptions) error { got = o; return nil }), "demo --keyspaces shop,,logs --store file:///mnt/b --wait"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if got.Ring != "demo" || !slices.Equal(got.Params.Keyspaces, []string{"shop", "logs"}) || got.Params.StoreUrl != "file:///mnt/b" || !got.Wait {
		t.Fatalf("create opts %+v", got)
	}
	var r *RestoreOptions
	if code := e.Run(NewCmdRestore(e.F, func(o *RestoreOptions) error { r = o; return nil }), "demo --backup b1 --keyspaces shop --tables a,b --source-ring old"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if r.Params.BackupId != "b1" || r.Params.SourceRing != "old" || !slices.Equal(r.Params.Tables, []string{"a", "b"}) {
		t.Fatalf("restore opts %+v", r.Params)
	}
	for _, bad := range []string{"demo", "demo --backup b1 --tables a", "demo --backup b1 --keyspaces a,b --tables t", ""} {
		if code := e.Run(NewCmdRestore(e.F, nil), bad); code != 2 {
			t.Errorf("restore %q: exit %d", bad, code)
		}
	}
	var s *ScheduleOptions
	if code := e.Run(NewCmdScheduleCreate(e.F, func(o *ScheduleOptions) error { s = o; return nil }), "demo --every 1d --at 02:30 --keyspaces shop --keep 7"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	if s.Schedule.GetCron() != "30 2 * * *" || s.Schedule.GetBackup().GetKeyspaces()[0] != "shop" || s.Schedule.GetParams() != nil || s.Schedule.GetKeepBackups() != 7 {
		t.Fatalf("schedule %v", s.Schedule)
	}
	if code := e.Run(NewCmdScheduleCreate(e.F, nil), "demo"); code != 2 {
		t.Errorf("schedule without --every or --cron: exit %d", code)
	}
}

func TestTableTotals(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	op := &pb.Operation{Id: "b1", Ring: "demo", Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, CreateTime: timestamppb.New(now.Add(-time.Hour)),
		Params: &pb.OperationParams{Backup: &pb.BackupParams{StoreUrl: "file:///b"}},
		Steps: []*pb.Step{
			{Node: "demo-0", Backup: &pb.BackupNodeResult{Files: 4, Bytes: 3 << 20, TransferredBytes: 1 << 20}},
			{Node: "demo-1", Backup: &pb.BackupNodeResult{Files: 4, Bytes: 1 << 20, TransferredBytes: 1 << 20}},
			{Node: "demo-2"},
		}}
	tb := Table([]*pb.Operation{op}, now, true)
	row := strings.Join(tb.Rows[0], "|")
	if row != "b1|demo|succeeded|2/3|8|4.0Mi|2.0Mi|60m|-|file:///b|-" {
		t.Fatalf("row %q", row)
	}
}
