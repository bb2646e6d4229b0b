package agent

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// withEpoch carries the secret and the given leader epoch.
func withEpoch(epoch uint64) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+secret,
		EpochMetadataKey, strconv.FormatUint(epoch, 10), RingMetadataKey, testRing, NodeMetadataKey, testNode)
}

func bearerOnly() context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+secret,
		RingMetadataKey, testRing, NodeMetadataKey, testNode)
}

func TestEpochAcceptsNewerRefusesOlder(t *testing.T) {
	fake := nodetoolfake.New()
	fake.SetMode(nodetool.ModeNormal)
	cli := serve(t, Config{Controller: fake, Secret: secret, EpochFile: filepath.Join(t.TempDir(), EpochFileName)})

	if _, err := cli.Drain(withEpoch(5), &cassmesosv1.DrainRequest{}); err != nil {
		t.Fatalf("Drain at epoch 5: %v", err)
	}
	_, err := cli.Drain(withEpoch(4), &cassmesosv1.DrainRequest{})
	if code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "4") || !strings.Contains(err.Error(), "5") {
		t.Fatalf("Drain at epoch 4 after 5: %v; want FailedPrecondition naming epochs 4 and 5", err)
	}
	if _, err := cli.Drain(withEpoch(5), &cassmesosv1.DrainRequest{}); err != nil {
		t.Fatalf("Drain at epoch 5 again: %v", err)
	}
	if _, err := cli.Drain(withEpoch(6), &cassmesosv1.DrainRequest{}); err != nil {
		t.Fatalf("Drain at epoch 6: %v", err)
	}
	if _, err := cli.Drain(withEpoch(5), &cassmesosv1.DrainRequest{}); code(err) != codes.FailedPrecondition {
		t.Fatalf("Drain at epoch 5 after 6: %v; want FailedPrecondition", err)
	}
	if n := len(fake.CallsOf("Drain")); n != 3 {
		t.Fatalf("nodetool drain ran %d times; want 3 (refused calls must not reach nodetool)", n)
	}
}

// A deposed leader's decommission is refused once the new leader has relayed anything, even a
// read, and across an executor restart.
func TestStaleLeaderDecommissionRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), EpochFileName)
	fake := nodetoolfake.New()
	fake.SetMode(nodetool.ModeNormal)
	fake.SetInfo(&nodetool.Info{ID: "11111111-1111-1111-1111-111111111111"})
	fake.SetStatus(nodetoolfake.StatusOf("dc1", nodetoolfake.Node("UN", "127.0.0.2:7000", "11111111-1111-1111-1111-111111111111")))
	cli := serve(t, Config{Controller: fake, Secret: secret, EpochFile: file})

	// The old leader (epoch 3) polls, then the new leader (epoch 4) polls.
	for _, e := range []uint64{3, 4} {
		if _, err := cli.GetNodeStatus(withEpoch(e), &cassmesosv1.GetNodeStatusRequest{}); err != nil {
			t.Fatalf("GetNodeStatus at epoch %d: %v", e, err)
		}
	}
	_, err := cli.Decommission(withEpoch(3), &cassmesosv1.DecommissionRequest{})
	if code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "epoch 3 is older than epoch 4") {
		t.Fatalf("stale Decommission: %v; want FailedPrecondition naming epochs 3 and 4", err)
	}
	if n := len(fake.CallsOf("Decommission")); n != 0 {
		t.Fatalf("nodetool decommission ran %d times for a deposed leader", n)
	}
	if b, err := os.ReadFile(file); err != nil || strings.TrimSpace(string(b)) != "4" {
		t.Fatalf("epoch file = %q, %v; want 4", b, err)
	}

	// A restarted executor (a new server on the same data directory) still refuses epoch 3.
	cli2 := serve(t, Config{Controller: fake, Secret: secret, EpochFile: file})
	if _, err := cli2.Decommission(withEpoch(3), &cassmesosv1.DecommissionRequest{}); code(err) != codes.FailedPrecondition {
		t.Fatalf("stale Decommission after an executor restart: %v; want FailedPrecondition", err)
	}
	if n := len(fake.CallsOf("Decommission")); n != 0 {
		t.Fatalf("nodetool decommission ran %d times for a deposed leader", n)
	}
}

func TestMutatingCallsNeedAnEpoch(t *testing.T) {
	fake := nodetoolfake.New()
	fake.SetMode(nodetool.ModeNormal)
	fake.SetInfo(&nodetool.Info{ID: "11111111-1111-1111-1111-111111111111"})
	fake.SetStatus(nodetoolfake.StatusOf("dc1", nodetoolfake.Node("UN", "127.0.0.2:7000", "11111111-1111-1111-1111-111111111111")))
	cli := serve(t, Config{Controller: fake, Secret: secret, Restart: func(context.Context) error { return nil }})
	ctx := bearerOnly()
	checks := map[string]func() error{
		"Drain":            func() error { _, err := cli.Drain(ctx, &cassmesosv1.DrainRequest{}); return err },
		"Decommission":     func() error { _, err := cli.Decommission(ctx, &cassmesosv1.DecommissionRequest{}); return err },
		"Cleanup":          func() error { _, err := cli.Cleanup(ctx, &cassmesosv1.CleanupRequest{}); return err },
		"RestartCassandra": func() error { _, err := cli.RestartCassandra(ctx, &cassmesosv1.RestartCassandraRequest{}); return err },
		"RemovePeer": func() error {
			_, err := cli.RemovePeer(ctx, &cassmesosv1.RemovePeerRequest{HostId: "11111111-1111-1111-1111-111111111111"})
			return err
		},
		"RepairRange": func() error {
			s, err := cli.RepairRange(ctx, &cassmesosv1.RepairRangeRequest{Keyspace: "ks"})
			if err != nil {
				return err
			}
			_, err = s.Recv()
			return err
		},
	}
	for name, call := range checks {
		if err := call(); code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "no leader epoch") {
			t.Errorf("%s without an epoch: %v; want FailedPrecondition (no leader epoch)", name, err)
		}
	}
	if calls := fake.Calls(); len(calls) != 0 {
		t.Errorf("nodetool ran %v for calls without an epoch", calls)
	}
	// Reads need none.
	if _, err := cli.GetNodeStatus(ctx, &cassmesosv1.GetNodeStatusRequest{}); err != nil {
		t.Errorf("GetNodeStatus without an epoch: %v", err)
	}
	// A malformed epoch is refused.
	bad := metadata.AppendToOutgoingContext(bearerOnly(), EpochMetadataKey, "x7")
	if _, err := cli.Drain(bad, &cassmesosv1.DrainRequest{}); code(err) != codes.InvalidArgument {
		t.Errorf("Drain with epoch x7: %v; want InvalidArgument", err)
	}
	two := metadata.AppendToOutgoingContext(withEpoch(2), EpochMetadataKey, "3")
	if _, err := cli.Drain(two, &cassmesosv1.DrainRequest{}); code(err) != codes.InvalidArgument {
		t.Errorf("Drain with two epochs: %v; want InvalidArgument", err)
	}
}

// Without a usable file the epoch is kept in memory; a corrupt file does not stop the executor.
func TestEpochFileFallbacks(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt")
	if err := os.WriteFile(corrupt, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := nodetoolfake.New()
	cli := serve(t, Config{Controller: fake, Secret: secret, EpochFile: corrupt})
	if _, err := cli.Drain(withEpoch(2), &cassmesosv1.DrainRequest{}); err != nil {
		t.Fatalf("Drain with a corrupt epoch file: %v", err)
	}
	if b, _ := os.ReadFile(corrupt); strings.TrimSpace(string(b)) != "2" {
		t.Fatalf("epoch file = %q; want it rewritten to 2", b)
	}
	unwritable := filepath.Join(dir, "no-such-dir", EpochFileName)
	cli2 := serve(t, Config{Controller: fake, Secret: secret, EpochFile: unwritable})
	if _, err := cli2.Drain(withEpoch(7), &cassmesosv1.DrainRequest{}); err != nil {
		t.Fatalf("Drain with an unwritable epoch file: %v", err)
	}
	if _, err := cli2.Drain(withEpoch(6), &cassmesosv1.DrainRequest{}); code(err) != codes.FailedPrecondition {
		t.Fatalf("Drain at 6 after 7 with the epoch in memory: %v; want FailedPrecondition", err)
	}
}
