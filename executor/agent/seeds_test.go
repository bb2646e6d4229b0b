package agent

import (
	"context"
	"errors"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestReloadSeeds(t *testing.T) {
	fake := nodetoolfake.New()
	var written [][]string
	var writeErr error
	cli := serve(t, Config{Controller: fake, Secret: secret, RewriteSeeds: func(s []string) error {
		if writeErr != nil {
			return writeErr
		}
		written = append(written, slices.Clone(s))
		fake.SetSeeds(s[1:]) // Cassandra reports what the file now says, without itself
		return nil
	}})
	resp, err := cli.ReloadSeeds(authed(), &cassmesosv1.ReloadSeedsRequest{Seeds: []string{"10.0.0.1", "10.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 1 || !slices.Equal(written[0], []string{"10.0.0.1", "10.0.0.2"}) {
		t.Fatalf("written %v", written)
	}
	if !slices.Equal(resp.GetSeeds(), []string{"10.0.0.2"}) {
		t.Fatalf("answer %v", resp.GetSeeds())
	}
	if n := len(fake.CallsOf("ReloadSeeds")); n != 1 {
		t.Fatalf("%d nodetool reloadseeds", n)
	}
	// Bad lists are refused before anything is written or run.
	for _, bad := range [][]string{nil, {"10.0.0.1", "not-an-ip"}, {"10.0.0.1,10.0.0.2"}} {
		_, err := cli.ReloadSeeds(authed(), &cassmesosv1.ReloadSeedsRequest{Seeds: bad})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("seeds %q: %v, want InvalidArgument", bad, err)
		}
	}
	if len(written) != 1 || len(fake.CallsOf("ReloadSeeds")) != 1 {
		t.Fatalf("a refused request wrote %v or ran nodetool", written)
	}
	// A mutating call: refused without a leader epoch.
	noEpoch := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+secret,
		RingMetadataKey, testRing, NodeMetadataKey, testNode)
	if _, err := cli.ReloadSeeds(noEpoch, &cassmesosv1.ReloadSeedsRequest{Seeds: []string{"10.0.0.1"}}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("without an epoch: %v", err)
	}
	// A failed write is reported and nodetool is not run.
	writeErr = errors.New("disk full")
	if _, err := cli.ReloadSeeds(authed(), &cassmesosv1.ReloadSeedsRequest{Seeds: []string{"10.0.0.1"}}); err == nil {
		t.Errorf("failed write not reported")
	}
	if len(fake.CallsOf("ReloadSeeds")) != 1 {
		t.Errorf("nodetool reloadseeds ran after a failed write")
	}
	// Without a rewrite hook: Unimplemented.
	bare := serve(t, Config{Controller: fake, Secret: secret})
	if _, err := bare.ReloadSeeds(authed(), &cassmesosv1.ReloadSeedsRequest{Seeds: []string{"10.0.0.1"}}); status.Code(err) != codes.Unimplemented {
		t.Errorf("without a hook: %v", err)
	}
}
