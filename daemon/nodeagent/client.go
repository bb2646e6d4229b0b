package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Client relays calls to executors. The zero value is ready to use.
type Client struct {
	// DialOptions are added to every connection (tests inject a dialer).
	DialOptions []grpc.DialOption
}

func (c *Client) dial(address string, port uint32) (*grpc.ClientConn, error) {
	if address == "" || port == 0 {
		return nil, fmt.Errorf("node agent address %q port %d: incomplete", address, port)
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, c.DialOptions...)
	return grpc.NewClient(net.JoinHostPort(address, strconv.Itoa(int(port))), opts...)
}

func authorized(ctx context.Context, secret string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+secret)
}

// NodeStatus asks one executor for its node's view (nodetool status).
func (c *Client) NodeStatus(ctx context.Context, address string, port uint32, secret string) (*cassmesosv1.GetNodeStatusResponse, error) {
	conn, err := c.dial(address, port)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return cassmesosv1.NewNodeAgentServiceClient(conn).GetNodeStatus(authorized(ctx, secret), &cassmesosv1.GetNodeStatusRequest{})
}

// DescribeRing asks one executor for a keyspace's token ranges and replicas (nodetool
// describering). An unknown keyspace gives an error wrapping plan.ErrKeyspaceNotFound.
func (c *Client) DescribeRing(ctx context.Context, address string, port uint32, secret, keyspace string) ([]plan.TokenRange, error) {
	conn, err := c.dial(address, port)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	resp, err := cassmesosv1.NewNodeAgentServiceClient(conn).DescribeRing(authorized(ctx, secret), &cassmesosv1.DescribeRingRequest{Keyspace: keyspace})
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return nil, fmt.Errorf("%w: %s (%s)", plan.ErrKeyspaceNotFound, keyspace, status.Convert(err).Message())
		}
		return nil, fmt.Errorf("describering %s on %s: %w", keyspace, address, err)
	}
	out := make([]plan.TokenRange, 0, len(resp.GetRanges()))
	for _, r := range resp.GetRanges() {
		out = append(out, plan.TokenRange{Start: r.GetStartToken(), End: r.GetEndToken(), Endpoints: append([]string(nil), r.GetEndpoints()...)})
	}
	return out, nil
}

// Relay carries out one relayed action and returns when it has ended.
func (c *Client) Relay(ctx context.Context, r plan.Relay) error {
	conn, err := c.dial(r.Address, r.AgentPort)
	if err != nil {
		return err
	}
	defer conn.Close()
	cli := cassmesosv1.NewNodeAgentServiceClient(conn)
	ctx = authorized(ctx, r.Secret)
	switch r.Kind {
	case plan.RelayDrain:
		_, err = cli.Drain(ctx, &cassmesosv1.DrainRequest{})
	case plan.RelayDecommission:
		_, err = cli.Decommission(ctx, &cassmesosv1.DecommissionRequest{})
	case plan.RelayRemovePeer:
		if r.HostID == "" {
			return errors.New("removenode without a host ID")
		}
		_, err = cli.RemovePeer(ctx, &cassmesosv1.RemovePeerRequest{HostId: r.HostID})
	case plan.RelayCleanup:
		_, err = cli.Cleanup(ctx, &cassmesosv1.CleanupRequest{Keyspace: r.Keyspace, Tables: r.Tables})
	case plan.RelayRestartCassandra:
		_, err = cli.RestartCassandra(ctx, &cassmesosv1.RestartCassandraRequest{})
	case plan.RelayRepair:
		err = repair(ctx, cli, r)
	case plan.RelayDescribeRing:
		_, err = c.DescribeRing(ctx, r.Address, r.AgentPort, r.Secret, r.Keyspace)
	default:
		return fmt.Errorf("unknown relay kind %d", r.Kind)
	}
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kindName(r.Kind), r.Node, err)
	}
	return nil
}

func repair(ctx context.Context, cli cassmesosv1.NodeAgentServiceClient, r plan.Relay) error {
	stream, err := cli.RepairRange(ctx, &cassmesosv1.RepairRangeRequest{
		Keyspace: r.Keyspace, Tables: r.Tables, Full: r.Full, PrimaryRange: r.PrimaryRange,
		StartToken: r.StartToken, EndToken: r.EndToken,
	})
	if err != nil {
		return err
	}
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return errors.New("repair stream ended without a final message")
		}
		if err != nil {
			return err
		}
		if m.GetDone() {
			if m.GetError() != "" {
				return errors.New(m.GetError())
			}
			return nil
		}
	}
}

func kindName(k plan.RelayKind) string {
	switch k {
	case plan.RelayDrain:
		return "drain"
	case plan.RelayDecommission:
		return "decommission"
	case plan.RelayRemovePeer:
		return "removenode"
	case plan.RelayCleanup:
		return "cleanup"
	case plan.RelayRestartCassandra:
		return "restart"
	case plan.RelayRepair:
		return "repair"
	case plan.RelayDescribeRing:
		return "describering"
	}
	return fmt.Sprintf("relay(%d)", k)
}
