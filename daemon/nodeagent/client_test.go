package nodeagent

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/executor/agent"
	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
)

const secret = "task-secret"

// serveAgent runs the executor's NodeAgentService (over a nodetool fake) on a loopback port.
func serveAgent(t *testing.T, fake *nodetoolfake.Fake, epochFile string, node string) (string, uint32) {
	t.Helper()
	srv, err := agent.NewGRPCServer(agent.Config{Controller: fake, Secret: secret, EpochFile: epochFile, Ring: "demo", Node: node})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	host, port, _ := net.SplitHostPort(lis.Addr().String())
	p, _ := strconv.Atoi(port)
	return host, uint32(p)
}

func TestEpochMetadataKeyMatchesTheExecutor(t *testing.T) {
	if EpochMetadataKey != agent.EpochMetadataKey {
		t.Fatalf("daemon sends %q, executor reads %q", EpochMetadataKey, agent.EpochMetadataKey)
	}
	if RingMetadataKey != agent.RingMetadataKey || NodeMetadataKey != agent.NodeMetadataKey {
		t.Fatalf("daemon sends %q/%q, executor reads %q/%q", RingMetadataKey, NodeMetadataKey, agent.RingMetadataKey, agent.NodeMetadataKey)
	}
}

// Issue 13: the relay names its ring and node; an executor now running another node (its address
// and port reused) refuses it with FailedPrecondition before nodetool runs, and NodeStatus names
// them too.
func TestRelayToAnotherNodeRefused(t *testing.T) {
	fake := nodetoolfake.New()
	fake.SetMode(nodetool.ModeNormal)
	host, port := serveAgent(t, fake, "", "demo-1")
	c := &Client{}
	r := plan.Relay{Kind: plan.RelayDecommission, Ring: "demo", Node: "demo-2", Address: host, AgentPort: port, Secret: secret}
	if _, err := c.Relay(context.Background(), 1, r); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("relay meant for demo-2 to demo-1's executor: %v, want FailedPrecondition", err)
	}
	r.Ring, r.Node = "other", "demo-1"
	if _, err := c.Relay(context.Background(), 1, r); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("relay meant for ring other: %v, want FailedPrecondition", err)
	}
	if n := len(fake.CallsOf("Decommission")); n != 0 {
		t.Fatalf("a refused relay reached nodetool %d times", n)
	}
	if _, err := c.NodeStatus(context.Background(), 1, "demo", "demo-2", host, port, secret); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("NodeStatus naming demo-2 at demo-1's executor: %v", err)
	}
	r.Ring, r.Node = "demo", "demo-1"
	if _, err := c.Relay(context.Background(), 1, r); err != nil {
		t.Fatalf("relay naming the executor's own node: %v", err)
	}
}

// After a new leader (epoch 2) has relayed something to a node, the deposed leader's (epoch 1)
// decommission of it is refused and never reaches nodetool.
func TestStaleLeaderDecommissionRelayRefused(t *testing.T) {
	fake := nodetoolfake.New()
	fake.SetMode(nodetool.ModeNormal)
	host, port := serveAgent(t, fake, filepath.Join(t.TempDir(), agent.EpochFileName), "demo-2")
	c := &Client{}
	node := plan.Relay{Ring: "demo", Node: "demo-2", Address: host, AgentPort: port, Secret: secret}
	ctx := context.Background()

	drain := node
	drain.Kind = plan.RelayDrain
	if _, err := c.Relay(ctx, 2, drain); err != nil {
		t.Fatalf("the new leader's drain: %v", err)
	}
	dec := node
	dec.Kind = plan.RelayDecommission
	_, err := c.Relay(ctx, 1, dec)
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("the deposed leader's decommission: %v; want FailedPrecondition", err)
	}
	if n := len(fake.CallsOf("Decommission")); n != 0 {
		t.Fatalf("nodetool decommission ran %d times for the deposed leader", n)
	}
	// Without an epoch (0) a mutating relay is refused too.
	if _, err := c.Relay(ctx, 0, drain); err == nil {
		t.Fatal("a drain without a leader epoch was accepted")
	}
	if n := len(fake.CallsOf("Drain")); n != 1 {
		t.Fatalf("nodetool drain ran %d times; want 1", n)
	}
}

// Relay returns a describering's ranges; an unknown keyspace wraps plan.ErrKeyspaceNotFound.
func TestRelayReturnsDescribeRing(t *testing.T) {
	fake := nodetoolfake.New()
	fake.SetDescribeRing("ks", &nodetool.RingDescription{Ranges: []nodetool.TokenRange{
		{Start: "-10", End: "10", Endpoints: []string{"127.0.0.1", "127.0.0.2"}},
		{Start: "10", End: "-10", Endpoints: []string{"127.0.0.2", "127.0.0.1"}},
	}})
	host, port := serveAgent(t, fake, "", "demo-0")
	c := &Client{}
	r := plan.Relay{Kind: plan.RelayDescribeRing, Ring: "demo", Node: "demo-0", Address: host, AgentPort: port, Secret: secret, Keyspace: "ks"}
	ranges, err := c.Relay(context.Background(), 3, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(ranges) != 2 || ranges[0].Start != "-10" || ranges[0].End != "10" || len(ranges[1].Endpoints) != 2 {
		t.Fatalf("ranges = %+v", ranges)
	}
	r.Keyspace = "nope"
	if _, err := c.Relay(context.Background(), 3, r); !errors.Is(err, plan.ErrKeyspaceNotFound) {
		t.Fatalf("unknown keyspace: %v; want ErrKeyspaceNotFound", err)
	}
}

func TestRelayReloadSeedsChecksWhatCassandraUses(t *testing.T) {
	fake := nodetoolfake.New()
	var written []string
	srv, err := agent.NewGRPCServer(agent.Config{Controller: fake, Secret: secret, Ring: "demo", Node: "demo-0",
		RewriteSeeds: func(s []string) error { written = s; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	host, port, _ := net.SplitHostPort(lis.Addr().String())
	p, _ := strconv.Atoi(port)
	c := &Client{}
	// The node's own address (127.0.0.1) is left out of what Cassandra reports.
	r := plan.Relay{Kind: plan.RelayReloadSeeds, Ring: "demo", Node: "demo-0", Address: host, AgentPort: uint32(p), Secret: secret,
		Seeds: []string{"127.0.0.1", "10.0.0.2"}}
	fake.SetSeeds([]string{"10.0.0.2"})
	if _, err := c.Relay(context.Background(), 1, r); err != nil {
		t.Fatal(err)
	}
	if len(written) != 2 || written[1] != "10.0.0.2" {
		t.Fatalf("written %v", written)
	}
	// Cassandra still using another list is an error naming both.
	fake.SetSeeds([]string{"10.0.0.9"})
	if _, err := c.Relay(context.Background(), 1, r); err == nil {
		t.Fatal("a mismatching reload accepted")
	}
	r.Seeds = nil
	if _, err := c.Relay(context.Background(), 1, r); err == nil {
		t.Fatal("a reload without seeds accepted")
	}
}
