package update

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdUpdate(t *testing.T) {
	for _, tc := range []struct {
		args     string
		wantCode int
		wantMask []string
		wantSpec *pb.RingSpec
	}{
		{args: "demo --heap 6Gi --mem 12Gi --jvm-opt -Da=1 --cassandra-version 4.1.6", wantMask: []string{"heap_mb", "jvm_options", "distribution.version", "resources.mem_mb"},
			wantSpec: &pb.RingSpec{HeapMb: 6144, JvmOptions: []string{"-Da=1"}, Distribution: &pb.Distribution{Version: "4.1.6"}, Resources: &pb.Resources{MemMb: 12288}}},
		{args: "demo --jvm-opt ''", wantMask: []string{"jvm_options"}, wantSpec: &pb.RingSpec{Distribution: &pb.Distribution{}, Resources: &pb.Resources{}}},
		{args: "demo --cpus 3 --cleanup-after-grow", wantMask: []string{"resources.cpus", "cleanup_after_grow"},
			wantSpec: &pb.RingSpec{CleanupAfterGrow: true, Distribution: &pb.Distribution{}, Resources: &pb.Resources{Cpus: 3}}},
		{args: "demo --client-encryption required", wantMask: []string{"encryption.client"},
			wantSpec: &pb.RingSpec{Encryption: &pb.Encryption{Client: pb.ClientEncryption_CLIENT_ENCRYPTION_REQUIRED}, Distribution: &pb.Distribution{}, Resources: &pb.Resources{}}},
		{args: "demo --client-encryption maybe", wantCode: 2},
		{args: "demo --internode-encryption all", wantCode: 2},
		{args: "demo", wantCode: 2},
		{args: "demo --heap 6G", wantCode: 2},
		{args: "demo --cpus 0", wantCode: 2},
		{args: "demo --cassandra-version 4 --cassandra-url http://x", wantCode: 2},
		{args: "demo --nodes 3", wantCode: 2},
	} {
		e := clitest.New(t)
		var got *UpdateOptions
		code := e.Run(NewCmdUpdate(e.F, func(o *UpdateOptions) error { got = o; return nil }), tc.args)
		if code != tc.wantCode {
			t.Fatalf("%s: exit %d: %s", tc.args, code, e.ErrOut)
		}
		if code != 0 {
			continue
		}
		if !slices.Equal(got.Mask, tc.wantMask) || !proto.Equal(got.Spec, tc.wantSpec) {
			t.Fatalf("%s: mask %v spec %v", tc.args, got.Mask, got.Spec)
		}
	}
}

func TestUpdateRun(t *testing.T) {
	for _, output := range []string{"", "name"} {
		e := clitest.New(t).TTY(output == "")
		e.F.Globals.Output = output
		var req *pb.UpdateRingRequest
		e.Srv.UpdateRingFn = func(_ context.Context, in *pb.UpdateRingRequest) (*pb.UpdateRingResponse, error) {
			req = in
			return &pb.UpdateRingResponse{Operation: clitest.Started(pb.OperationKind_OPERATION_KIND_UPDATE_RING)}, nil
		}
		if code := e.Run(NewCmdUpdate(e.F, nil), "demo --heap 6Gi"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.ErrOut)
		}
		if req.Name != "demo" || !slices.Equal(req.UpdateMask.GetPaths(), []string{"heap_mb"}) || req.Spec.HeapMb != 6144 {
			t.Fatalf("request %v", req)
		}
		want := map[string]string{"": "operation 0001 (update-ring demo) started; follow it with `cassmesos op watch 0001`\n", "name": "operation/0001\n"}[output]
		clitest.Diff(t, "stdout", e.Out.String(), want)
	}
}
