package agent

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestRebuild(t *testing.T) {
	fake := nodetoolfake.New()
	cli := serve(t, Config{Controller: fake, Secret: secret})
	if _, err := cli.Rebuild(authed(), &cassmesosv1.RebuildRequest{SourceDatacenter: "dc1"}); err != nil {
		t.Fatal(err)
	}
	if got := fake.Rebuilds(); !slices.Equal(got, []string{"dc1"}) {
		t.Fatalf("rebuilds %v", got)
	}
	// A bad source is refused before nodetool runs; so is a call without a leader epoch.
	for _, bad := range []string{"", "dc 1", "a=b"} {
		if _, err := cli.Rebuild(authed(), &cassmesosv1.RebuildRequest{SourceDatacenter: bad}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("source %q: %v, want InvalidArgument", bad, err)
		}
	}
	noEpoch := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+secret,
		RingMetadataKey, testRing, NodeMetadataKey, testNode)
	if _, err := cli.Rebuild(noEpoch, &cassmesosv1.RebuildRequest{SourceDatacenter: "dc1"}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("without an epoch: %v", err)
	}
	if got := fake.Rebuilds(); len(got) != 1 {
		t.Fatalf("refused calls ran nodetool rebuild: %v", got)
	}
	// A repair segment limited to a data centre reaches nodetool as -dc.
	stream, err := cli.RepairRange(authed(), &cassmesosv1.RepairRangeRequest{Keyspace: "ks", StartToken: "1", EndToken: "2", Datacenter: "dc2"})
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := stream.Recv()
		if err != nil || m.GetDone() {
			break
		}
	}
	reps := fake.CallsOf("Repair")
	if len(reps) != 1 || !strings.Contains(" "+strings.Join(reps[0].Args, " ")+" ", " -dc dc2 ") {
		t.Fatalf("repair calls %+v", reps)
	}
}
