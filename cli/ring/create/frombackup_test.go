package create

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Issue 16: --from-backup leaves the shape to the server (no --nodes needed), sends the backup ID,
// and prints the restore to run next.
func TestCreateFromBackup(t *testing.T) {
	for _, tc := range []struct {
		args, wantErr string
		want          *pb.RingSpec
	}{
		{args: "neo --from-backup 20260101-020000-ab12 --cpus 2", want: &pb.RingSpec{Name: "neo", Resources: &pb.Resources{Cpus: 2},
			Distribution: &pb.Distribution{}, Ports: &pb.Ports{}}},
		{args: "neo --from-backup 20260101-020000-ab12 --nodes 3 --num-tokens 4", want: &pb.RingSpec{Name: "neo", Nodes: 3, NumTokens: 4,
			Resources: &pb.Resources{}, Distribution: &pb.Distribution{}, Ports: &pb.Ports{}}},
		{args: "neo --from-backup ''", wantErr: "--from-backup: want a backup ID"},
		{args: "neo --from-backup 20260101-020000-ab12 --seeds -1", wantErr: "--seeds: want a positive number"},
	} {
		e := clitest.New(t)
		var got *CreateOptions
		err := clitest.Exec(NewCmdCreate(e.F, func(o *CreateOptions) error { got = o; return nil }), clitest.Split(tc.args)...)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
				t.Errorf("%s: err = %v, want usage error %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.args, err)
		}
		if !proto.Equal(got.Spec, tc.want) || got.FromBackup != "20260101-020000-ab12" {
			t.Errorf("%s: spec %v from %q", tc.args, got.Spec, got.FromBackup)
		}
	}

	e := clitest.New(t)
	var gotReq *pb.CreateRingRequest
	e.Srv.CreateRingFn = func(_ context.Context, in *pb.CreateRingRequest) (*pb.CreateRingResponse, error) {
		gotReq = in
		return &pb.CreateRingResponse{Ring: &pb.Ring{Spec: in.Spec}, Operation: op(pb.OperationPhase_OPERATION_PHASE_PENDING), Created: true}, nil
	}
	if err := clitest.Exec(NewCmdCreate(e.F, nil), "neo", "--from-backup", "20260101-020000-ab12"); err != nil {
		t.Fatal(err)
	}
	if gotReq.GetFromBackup() != "20260101-020000-ab12" || gotReq.GetSpec().GetName() != "neo" {
		t.Fatalf("request %v", gotReq)
	}
	clitest.Diff(t, "stderr", e.ErrOut.String(),
		"once the ring is created, restore the backup into it: cassmesos backup restore neo --backup 20260101-020000-ab12 --source-ring <the backed-up ring>\n")
}
