package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

const secret = "s3cret-token"

type harness struct {
	fake     *nodetoolfake.Fake
	client   cassmesosv1.NodeAgentServiceClient
	restarts int
	restartE error
}

func start(t *testing.T) *harness {
	t.Helper()
	h := &harness{fake: nodetoolfake.New()}
	h.client = serve(t, Config{Controller: h.fake, Secret: secret,
		Restart: func(context.Context) error { h.restarts++; return h.restartE }})
	return h
}

// serve runs the API with cfg on a loopback port for the test and returns a client to it.
func serve(t *testing.T, cfg Config) cassmesosv1.NodeAgentServiceClient {
	t.Helper()
	if cfg.Ring == "" && cfg.Node == "" {
		cfg.Ring, cfg.Node = testRing, testNode
	}
	srv, err := NewGRPCServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return cassmesosv1.NewNodeAgentServiceClient(conn)
}

// The ring and node the test executor runs.
const testRing, testNode = "demo", "demo-0"

// authed carries the secret, the test node's ring and name, and leader epoch 1.
func authed() context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+secret, EpochMetadataKey, "1",
		RingMetadataKey, testRing, NodeMetadataKey, testNode)
}

// Issue 13: a call must name this executor's ring and node; one naming another (or none) is
// refused with FailedPrecondition and never reaches nodetool.
func TestCallForAnotherRingOrNodeRefused(t *testing.T) {
	h := start(t)
	h.fake.SetMode(nodetool.ModeNormal)
	base := func(kv ...string) context.Context {
		return metadata.AppendToOutgoingContext(context.Background(), append([]string{"authorization", "Bearer " + secret, EpochMetadataKey, "1"}, kv...)...)
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want codes.Code
		msg  string
	}{
		{"no ring or node", base(), codes.FailedPrecondition, "names no ring and node"},
		{"no node", base(RingMetadataKey, testRing), codes.FailedPrecondition, "names no ring and node"},
		{"another node", base(RingMetadataKey, testRing, NodeMetadataKey, "demo-1"), codes.FailedPrecondition, `meant for node "demo-1"`},
		{"another ring", base(RingMetadataKey, "other", NodeMetadataKey, testNode), codes.FailedPrecondition, `of ring "other"`},
		{"two nodes", base(RingMetadataKey, testRing, NodeMetadataKey, testNode, NodeMetadataKey, "demo-1"), codes.FailedPrecondition, "names no ring and node"},
		{"this node", authed(), codes.OK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Decommission(tc.ctx, &cassmesosv1.DecommissionRequest{})
			if code(err) != tc.want || !strings.Contains(status.Convert(err).Message(), tc.msg) {
				t.Errorf("Decommission: %v, want %s naming %q", err, tc.want, tc.msg)
			}
			// Reads are refused alike (the fake has no status to give: any other error passed the check).
			_, err = h.client.GetNodeStatus(tc.ctx, &cassmesosv1.GetNodeStatusRequest{})
			if (code(err) == codes.FailedPrecondition) != (tc.want == codes.FailedPrecondition) {
				t.Errorf("GetNodeStatus: %v, want %s", err, tc.want)
			}
		})
	}
	if n := len(h.fake.CallsOf("Decommission")); n != 1 {
		t.Errorf("Decommission ran %d times; only the call naming this node may reach nodetool", n)
	}
}

func code(err error) codes.Code { return status.Code(err) }

func TestAuth(t *testing.T) {
	h := start(t)
	h.fake.SetMode(nodetool.ModeNormal)
	tests := []struct {
		name string
		ctx  context.Context
		want codes.Code
	}{
		{"no header", context.Background(), codes.Unauthenticated},
		{"wrong secret", metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer nope"), codes.Unauthenticated},
		{"no Bearer prefix", metadata.AppendToOutgoingContext(context.Background(), "authorization", secret), codes.Unauthenticated},
		{"prefix of the secret", metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer s3cret"), codes.Unauthenticated},
		{"two headers", metadata.AppendToOutgoingContext(authed(), "authorization", "Bearer x"), codes.Unauthenticated},
		{"right secret", authed(), codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.client.Drain(tt.ctx, &cassmesosv1.DrainRequest{})
			if code(err) != tt.want {
				t.Errorf("Drain: %v, want %s", err, tt.want)
			}
			stream, err := h.client.RepairRange(tt.ctx, &cassmesosv1.RepairRangeRequest{Keyspace: "ks"})
			if err == nil {
				for err == nil {
					_, err = stream.Recv()
				}
				if err == io.EOF {
					err = nil
				}
			}
			if code(err) != tt.want {
				t.Errorf("RepairRange: %v, want %s", err, tt.want)
			}
		})
	}
	if n := len(h.fake.CallsOf("Drain")); n != 1 {
		t.Errorf("Drain ran %d times; unauthenticated calls must not reach nodetool", n)
	}
}

func TestNewGRPCServerValidates(t *testing.T) {
	if _, err := NewGRPCServer(Config{Controller: nodetoolfake.New()}); err == nil {
		t.Error("empty secret accepted")
	}
	if _, err := NewGRPCServer(Config{Secret: "x"}); err == nil {
		t.Error("nil controller accepted")
	}
	if _, err := NewGRPCServer(Config{Controller: nodetoolfake.New(), Secret: "x"}); err == nil {
		t.Error("no ring and node accepted")
	}
}

func TestGetNodeStatus(t *testing.T) {
	h := start(t)
	h.fake.SetMode(nodetool.ModeNormal)
	h.fake.SetInfo(&nodetool.Info{ID: "11111111-1111-1111-1111-111111111111", NativeTransportActive: true})
	h.fake.SetVersion("4.1.5")
	down := nodetoolfake.Node("DN", "127.0.0.3", "22222222-2222-2222-2222-222222222222")
	down.Load = nodetool.Load{}
	h.fake.SetStatus(nodetoolfake.StatusOf("dc1", nodetoolfake.Node("UN", "127.0.0.2:7000", "11111111-1111-1111-1111-111111111111"), down))
	resp, err := h.client.GetNodeStatus(authed(), &cassmesosv1.GetNodeStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetMode() != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL || resp.GetHostId() != "11111111-1111-1111-1111-111111111111" ||
		!resp.GetNativeTransport() || resp.GetReleaseVersion() != "4.1.5" || len(resp.GetPeers()) != 2 {
		t.Fatalf("resp = %v", resp)
	}
	p0, p1 := resp.GetPeers()[0], resp.GetPeers()[1]
	if p0.GetAddress() != "127.0.0.2" || p0.GetLiveness() != cassmesosv1.Liveness_LIVENESS_UP ||
		p0.GetMode() != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL || p0.GetDatacenter() != "dc1" ||
		p0.GetTokens() != 16 || p0.GetLoadBytes() != 100<<10 || p0.GetOwnsPercent() != 100 {
		t.Errorf("peer 0 = %v", p0)
	}
	if p1.GetLiveness() != cassmesosv1.Liveness_LIVENESS_DOWN || p1.GetLoadBytes() != -1 {
		t.Errorf("peer 1 = %v", p1)
	}

	h.fake.SetStatusKeyspace("ks1", nodetoolfake.StatusOf("dc1"))
	if _, err := h.client.GetNodeStatus(authed(), &cassmesosv1.GetNodeStatusRequest{Keyspace: "ks1"}); err != nil {
		t.Errorf("with keyspace: %v", err)
	}
	if _, err := h.client.GetNodeStatus(authed(), &cassmesosv1.GetNodeStatusRequest{Keyspace: "bad ks"}); code(err) != codes.InvalidArgument {
		t.Errorf("bad keyspace: %v", err)
	}
}

func TestErrorCodes(t *testing.T) {
	tests := []struct {
		err  error
		want codes.Code
	}{
		{&nodetool.Error{Cmd: "drain", Kind: nodetool.ErrConnectionRefused}, codes.Unavailable},
		{&nodetool.Error{Cmd: "drain", Kind: nodetool.ErrNotReady}, codes.Unavailable},
		{&nodetool.Error{Cmd: "drain", Kind: nodetool.ErrTimeout}, codes.DeadlineExceeded},
		{&nodetool.Error{Cmd: "drain", Kind: nodetool.ErrUnknownKeyspace}, codes.NotFound},
		{&nodetool.Error{Cmd: "drain", Kind: nodetool.ErrUnknownCommand}, codes.Unimplemented},
		{&nodetool.Error{Cmd: "drain", ExitCode: 1}, codes.Unknown},
		{fmt.Errorf("wrapped: %w", ErrNotRunning), codes.FailedPrecondition},
		{errors.New("something else"), codes.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			h := start(t)
			h.fake.SetError("Drain", tt.err)
			_, err := h.client.Drain(authed(), &cassmesosv1.DrainRequest{})
			if code(err) != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func TestMutatingRPCs(t *testing.T) {
	h := start(t)
	ctx := authed()
	if _, err := h.client.Cleanup(ctx, &cassmesosv1.CleanupRequest{Keyspace: "ks", Tables: []string{"t1", "t2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Cleanup(ctx, &cassmesosv1.CleanupRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Decommission(ctx, &cassmesosv1.DecommissionRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.RemovePeer(ctx, &cassmesosv1.RemovePeerRequest{HostId: "22222222-2222-2222-2222-222222222222"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.RestartCassandra(ctx, &cassmesosv1.RestartCassandraRequest{}); err != nil || h.restarts != 1 {
		t.Fatalf("restart: %v (%d)", err, h.restarts)
	}
	h.restartE = fmt.Errorf("%w: stopped", ErrNotRunning)
	if _, err := h.client.RestartCassandra(ctx, &cassmesosv1.RestartCassandraRequest{}); code(err) != codes.FailedPrecondition {
		t.Errorf("restart when stopped: %v", err)
	}
	var got []string
	for _, c := range h.fake.Calls() {
		got = append(got, c.String())
	}
	// Decommission is confirmed by the node's own mode (Netstats) before it answers.
	want := "Cleanup ks t1 t2|Cleanup|Decommission|Netstats|RemoveNode 22222222-2222-2222-2222-222222222222"
	if strings.Join(got, "|") != want {
		t.Errorf("calls %q, want %q", strings.Join(got, "|"), want)
	}

	for name, call := range map[string]func() error{
		"removenode not uuid": func() error {
			_, err := h.client.RemovePeer(ctx, &cassmesosv1.RemovePeerRequest{HostId: "-h evil"})
			return err
		},
		"cleanup tables no ks": func() error {
			_, err := h.client.Cleanup(ctx, &cassmesosv1.CleanupRequest{Tables: []string{"t"}})
			return err
		},
		"cleanup bad table": func() error {
			_, err := h.client.Cleanup(ctx, &cassmesosv1.CleanupRequest{Keyspace: "ks", Tables: []string{"t;x"}})
			return err
		},
		"describering no ks": func() error { _, err := h.client.DescribeRing(ctx, &cassmesosv1.DescribeRingRequest{}); return err },
		"repair half a subrange": func() error {
			return drain(h.client.RepairRange(ctx, &cassmesosv1.RepairRangeRequest{Keyspace: "ks", StartToken: "1"}))
		},
		"repair pr and subrange": func() error {
			return drain(h.client.RepairRange(ctx, &cassmesosv1.RepairRangeRequest{Keyspace: "ks", StartToken: "1", EndToken: "2", PrimaryRange: true}))
		},
		"repair bad token": func() error {
			return drain(h.client.RepairRange(ctx, &cassmesosv1.RepairRangeRequest{Keyspace: "ks", StartToken: "1 2", EndToken: "3"}))
		},
	} {
		if err := call(); code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}

func drain(stream cassmesosv1.NodeAgentService_RepairRangeClient, err error) error {
	_, err = collect(stream, err)
	return err
}

func collect(stream cassmesosv1.NodeAgentService_RepairRangeClient, err error) ([]*cassmesosv1.RepairRangeResponse, error) {
	if err != nil {
		return nil, err
	}
	var out []*cassmesosv1.RepairRangeResponse
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

func TestDescribeRing(t *testing.T) {
	h := start(t)
	h.fake.SetDescribeRing("ks", &nodetool.RingDescription{Ranges: []nodetool.TokenRange{
		{Start: "-9", End: "0", Endpoints: []string{"127.0.0.2", "127.0.0.3"}},
		{Start: "0", End: "-9", Endpoints: []string{"127.0.0.3", "127.0.0.2"}},
	}})
	resp, err := h.client.DescribeRing(authed(), &cassmesosv1.DescribeRingRequest{Keyspace: "ks"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetRanges()) != 2 || resp.GetRanges()[0].GetEndToken() != "0" || resp.GetRanges()[1].GetEndpoints()[0] != "127.0.0.3" {
		t.Errorf("resp = %v", resp)
	}
	h.fake.SetError("DescribeRing", &nodetool.Error{Cmd: "describering nope", Kind: nodetool.ErrUnknownKeyspace})
	if _, err := h.client.DescribeRing(authed(), &cassmesosv1.DescribeRingRequest{Keyspace: "nope"}); code(err) != codes.NotFound {
		t.Errorf("unknown keyspace: %v", err)
	}
}

func TestRepairStreams(t *testing.T) {
	lines := []string{
		"[2024-01-01 10:00:00,000] Starting repair command #1 (abc), repairing keyspace ks with repair options (...)",
		"[2024-01-01 10:00:01,000] Repair session s1 for range [(0,10]] finished (progress: 50%)",
		"[2024-01-01 10:00:02,000] Repair completed successfully",
		"[2024-01-01 10:00:02,000] Repair command #1 finished in 2 seconds",
	}
	var evs []nodetool.RepairEvent
	for _, l := range lines {
		ev, err := nodetool.ParseRepairLine(l)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	h := start(t)
	h.fake.SetRepairEvents(evs)
	msgs, err := collect(h.client.RepairRange(authed(), &cassmesosv1.RepairRangeRequest{Keyspace: "ks", Tables: []string{"t"},
		Full: true, StartToken: "-5", EndToken: "10"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 5 {
		t.Fatalf("got %d messages: %v", len(msgs), msgs)
	}
	if msgs[1].GetMessage() != lines[1] || msgs[1].GetPercent() != 50 || msgs[0].GetPercent() != -1 || msgs[1].GetDone() {
		t.Errorf("progress message = %v / %v", msgs[0], msgs[1])
	}
	if last := msgs[4]; !last.GetDone() || last.GetError() != "" {
		t.Errorf("last = %v", last)
	}
	if c := h.fake.CallsOf("Repair"); len(c) != 1 || c[0].String() != "Repair repair --full -st -5 -et 10 ks t" {
		t.Errorf("calls = %v", c)
	}

	failed, _ := nodetool.ParseRepairLine("[2024-01-01 10:00:01,000] Repair session s1 for range [(0,10]] failed with error Endpoint died (progress: 50%)")
	h.fake.SetRepairEvents(append(evs[:1:1], failed))
	msgs, err = collect(h.client.RepairRange(authed(), &cassmesosv1.RepairRangeRequest{Keyspace: "ks", PrimaryRange: true}))
	if code(err) != codes.Aborted {
		t.Fatalf("failed repair: %v", err)
	}
	if len(msgs) != 3 || !msgs[2].GetDone() || !strings.Contains(msgs[2].GetError(), "Endpoint died") {
		t.Errorf("messages = %v", msgs)
	}

	h.fake.SetError("Repair", &nodetool.Error{Cmd: "repair", Kind: nodetool.ErrConnectionRefused})
	msgs, err = collect(h.client.RepairRange(authed(), &cassmesosv1.RepairRangeRequest{Keyspace: "ks"}))
	if code(err) != codes.Unavailable || len(msgs) != 1 || !msgs[0].GetDone() || msgs[0].GetError() == "" {
		t.Errorf("unreachable: %v %v", err, msgs)
	}
}

func TestModeProto(t *testing.T) {
	if ModeProto("WHATEVER") != cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED ||
		ModeProto(nodetool.ModeDrained) != cassmesosv1.CassandraMode_CASSANDRA_MODE_DRAINED {
		t.Error("ModeProto")
	}
}
