package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// FuzzAgentRequests sends every RPC of the executor's NodeAgentService, its request decoded from
// the fuzzer's bytes (byte 0 picks the method, byte 1 the credentials: the right bearer secret,
// none, or a wrong one; an authenticated call names the executor's ring and node and leader
// epoch 1; the rest is proto.Unmarshal'ed into the request type), through the real
// gRPC server (bufconn, with its recovering and authenticating interceptors) to a fresh fake
// nodetool holding a healthy node (a new one for every input). Nothing may panic; a call without
// the right secret is Unauthenticated and runs no nodetool command; an authenticated call is OK
// or refused as InvalidArgument, NotFound or FailedPrecondition (or Aborted for a repair the
// fake reports failed) — never Internal, Unknown or a timeout.
func FuzzAgentRequests(f *testing.F) {
	sd := cassmesosv1.File_cassmesos_v1_agent_proto.Services().ByName("NodeAgentService")
	if sd == nil {
		f.Fatal("no NodeAgentService in the descriptors")
	}
	type method struct {
		full      string
		in, out   proto.Message
		streaming bool
	}
	var methods []method
	for i := range sd.Methods().Len() {
		md := sd.Methods().Get(i)
		in, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
		if err != nil {
			f.Fatal(err)
		}
		out, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
		if err != nil {
			f.Fatal(err)
		}
		methods = append(methods, method{full: fmt.Sprintf("/%s/%s", sd.FullName(), md.Name()), in: in.New().Interface(),
			out: out.New().Interface(), streaming: md.IsStreamingServer()})
	}
	seeds := map[string][]proto.Message{
		"GetNodeStatus": {&cassmesosv1.GetNodeStatusRequest{}, &cassmesosv1.GetNodeStatusRequest{Keyspace: "ks"}},
		"DescribeRing":  {&cassmesosv1.DescribeRingRequest{Keyspace: "ks"}, &cassmesosv1.DescribeRingRequest{Keyspace: "nope"}},
		"RepairRange": {&cassmesosv1.RepairRangeRequest{Keyspace: "ks", Tables: []string{"t"}, StartToken: "-9", EndToken: "9"},
			&cassmesosv1.RepairRangeRequest{Keyspace: "ks", PrimaryRange: true, Full: true}},
		"Cleanup":          {&cassmesosv1.CleanupRequest{Keyspace: "ks", Tables: []string{"t"}}},
		"RemovePeer":       {&cassmesosv1.RemovePeerRequest{HostId: "11111111-1111-1111-1111-111111111111"}},
		"Drain":            {&cassmesosv1.DrainRequest{}},
		"Decommission":     {&cassmesosv1.DecommissionRequest{}},
		"RestartCassandra": {&cassmesosv1.RestartCassandraRequest{}},
	}
	for i, m := range methods {
		name := m.full[len("/"+string(sd.FullName())+"/"):]
		for _, req := range seeds[name] {
			b, err := proto.Marshal(req)
			if err != nil {
				f.Fatal(err)
			}
			for auth := range byte(3) {
				f.Add(append([]byte{byte(i), auth}, b...))
			}
		}
	}

	ctl := &swapController{}
	srv, err := NewGRPCServer(Config{Controller: ctl, Secret: secret, Ring: testRing, Node: testNode, Restart: func(ctx context.Context) error {
		return ctl.Drain(ctx)
	}})
	if err != nil {
		f.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	f.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		m := methods[int(data[0])%len(methods)]
		req := proto.Clone(m.in)
		proto.Reset(req)
		if err := proto.Unmarshal(data[2:], req); err != nil {
			return
		}
		fake := healthyNode(data)
		ctl.Controller = fake
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		authed := false
		switch data[1] % 3 {
		case 0:
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+secret, EpochMetadataKey, "1",
				RingMetadataKey, testRing, NodeMetadataKey, testNode)
			authed = true
		case 2:
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", fmt.Sprintf("Bearer %x", data[2:min(len(data), 14)]))
		}
		out := proto.Clone(m.out)
		if m.streaming {
			err = callStream(ctx, conn, m.full, req, out)
		} else {
			err = conn.Invoke(ctx, m.full, req, out)
		}
		st := status.Convert(err)
		if !authed {
			if st.Code() != codes.Unauthenticated {
				t.Fatalf("%s(%v) without the secret: %s: %s, want Unauthenticated", m.full, req, st.Code(), st.Message())
			}
			if calls := fake.Calls(); len(calls) != 0 {
				t.Fatalf("%s(%v) without the secret ran nodetool: %v", m.full, req, calls)
			}
			return
		}
		switch st.Code() {
		case codes.OK, codes.InvalidArgument, codes.NotFound, codes.FailedPrecondition:
		case codes.Aborted:
			if m.full != cassmesosv1.NodeAgentService_RepairRange_FullMethodName {
				t.Fatalf("%s(%v): Aborted: %s", m.full, req, st.Message())
			}
		default:
			t.Fatalf("%s(%v): %s: %s", m.full, req, st.Code(), st.Message())
		}
		if st.Code() == codes.InvalidArgument {
			if calls := fake.Calls(); len(calls) != 0 {
				t.Fatalf("%s(%v) refused as invalid (%s) but ran nodetool: %v", m.full, req, st.Message(), calls)
			}
		}
	})
}

// swapController is the server's nodetool: a fresh fake for every input.
type swapController struct{ nodetool.Controller }

// healthyNode is a fake nodetool answering for a normal node with keyspace "ks"; a repair
// reports a failure when the input's length is odd.
func healthyNode(data []byte) *nodetoolfake.Fake {
	fake := nodetoolfake.New()
	id := "11111111-1111-1111-1111-111111111111"
	fake.SetMode(nodetool.ModeNormal)
	fake.SetInfo(&nodetool.Info{ID: id, NativeTransportActive: true})
	fake.SetVersion("5.0.2")
	fake.SetStatus(nodetoolfake.StatusOf("dc1", nodetoolfake.Node("UN", "127.0.0.2:7000", id),
		nodetoolfake.Node("DN", "127.0.0.3:7000", "22222222-2222-2222-2222-222222222222")))
	fake.SetDescribeRing("ks", &nodetool.RingDescription{Ranges: []nodetool.TokenRange{{Start: "-9", End: "9", Endpoints: []string{"127.0.0.2"}}}})
	evs := []nodetool.RepairEvent{{Line: "[2026-01-01 00:00:00,000] Starting repair command #1", Progress: 0}}
	if len(data)%2 == 1 {
		evs = append(evs, nodetool.RepairEvent{Line: "[2026-01-01 00:00:01,000] Repair command #1 failed with error boom", Message: "boom",
			Progress: -1})
	}
	fake.SetRepairEvents(evs)
	return fake
}

// callStream runs a server-streaming call to its end.
func callStream(ctx context.Context, conn *grpc.ClientConn, full string, req, out proto.Message) error {
	cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, full)
	if err != nil {
		return err
	}
	if err := cs.SendMsg(req); err != nil {
		return err
	}
	if err := cs.CloseSend(); err != nil {
		return err
	}
	for {
		if err := cs.RecvMsg(out); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
