package nodeagent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// EpochMetadataKey is the gRPC metadata key that carries the leader epoch with every call (the
// executor's agent.EpochMetadataKey); the executor refuses an epoch older than one it has seen.
const EpochMetadataKey = "cassmesos-leader-epoch"

// RingMetadataKey and NodeMetadataKey name the node a call is meant for (the executor's
// agent.RingMetadataKey and agent.NodeMetadataKey); the executor refuses a call naming another.
const (
	RingMetadataKey = "cassmesos-ring"
	NodeMetadataKey = "cassmesos-node"
)

// Client relays calls to executors. The zero value is ready to use.
type Client struct {
	// DialOptions are added to every connection (tests inject a dialer).
	DialOptions []grpc.DialOption
	// TLS, when set, gives each connection's TLS config (the daemon's CA as the root, its
	// certificate as the client certificate); nil dials plaintext (--insecure).
	TLS func() *tls.Config
	// BackupCredentials, when set, gives the backup store's access and secret key for each
	// backup or restore relay (read from the daemon's credentials file at that time).
	BackupCredentials func() (access, secret string, err error)
	// IssueCassandraCert issues a new Cassandra certificate for the node a RelayRenewCert names
	// (PEM certificate, key and CA bundle), in memory. Nil makes RelayRenewCert fail.
	IssueCassandraCert func(r plan.Relay) (cert, key, ca []byte, err error)
}

func (c *Client) dial(address string, port uint32) (*grpc.ClientConn, error) {
	if address == "" || port == 0 {
		return nil, fmt.Errorf("node agent address %q port %d: incomplete", address, port)
	}
	creds := insecure.NewCredentials()
	if c.TLS != nil {
		creds = credentials.NewTLS(c.TLS())
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(creds)}, c.DialOptions...)
	return grpc.NewClient(net.JoinHostPort(address, strconv.Itoa(int(port))), opts...)
}

// outgoing adds the task's bearer secret, the ring and node the call is meant for and the leader
// epoch (when above zero) to ctx.
func outgoing(ctx context.Context, secret, ring, node string, epoch uint64) context.Context {
	kv := []string{"authorization", "Bearer " + secret, RingMetadataKey, ring, NodeMetadataKey, node}
	if epoch > 0 {
		kv = append(kv, EpochMetadataKey, strconv.FormatUint(epoch, 10))
	}
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

// NodeStatus asks the executor of ring's node for its node's view (nodetool status), under leader
// epoch epoch.
func (c *Client) NodeStatus(ctx context.Context, epoch uint64, ring, node, address string, port uint32, secret string) (*cassmesosv1.GetNodeStatusResponse, error) {
	conn, err := c.dial(address, port)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return cassmesosv1.NewNodeAgentServiceClient(conn).GetNodeStatus(outgoing(ctx, secret, ring, node, epoch), &cassmesosv1.GetNodeStatusRequest{})
}

// describeRing asks one executor for a keyspace's token ranges and replicas (nodetool
// describering). An unknown keyspace gives an error wrapping plan.ErrKeyspaceNotFound.
func describeRing(ctx context.Context, cli cassmesosv1.NodeAgentServiceClient, keyspace string) ([]plan.TokenRange, error) {
	resp, err := cli.DescribeRing(ctx, &cassmesosv1.DescribeRingRequest{Keyspace: keyspace})
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return nil, fmt.Errorf("%w: %s (%s)", plan.ErrKeyspaceNotFound, keyspace, status.Convert(err).Message())
		}
		return nil, err
	}
	out := make([]plan.TokenRange, 0, len(resp.GetRanges()))
	for _, r := range resp.GetRanges() {
		out = append(out, plan.TokenRange{Start: r.GetStartToken(), End: r.GetEndToken(), Endpoints: append([]string(nil), r.GetEndpoints()...)})
	}
	return out, nil
}

// Relay carries out one relayed action under leader epoch epoch and returns when it has ended,
// with the token ranges of a RelayDescribeRing (nil for the other kinds). An unknown keyspace
// gives an error wrapping plan.ErrKeyspaceNotFound; an executor that has seen a newer leader
// refuses the call (FailedPrecondition).
func (c *Client) Relay(ctx context.Context, epoch uint64, r plan.Relay) ([]plan.TokenRange, error) {
	if r.Ring == "" || r.Node == "" {
		return nil, fmt.Errorf("%s to %s:%d names no ring and node (ring %q, node %q)", r.Kind, r.Address, r.AgentPort, r.Ring, r.Node)
	}
	conn, err := c.dial(r.Address, r.AgentPort)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", r.Kind, r.Node, err)
	}
	defer conn.Close()
	cli := cassmesosv1.NewNodeAgentServiceClient(conn)
	ctx = outgoing(ctx, r.Secret, r.Ring, r.Node, epoch)
	var ranges []plan.TokenRange
	switch r.Kind {
	case plan.RelayDrain:
		_, err = cli.Drain(ctx, &cassmesosv1.DrainRequest{})
	case plan.RelayDecommission:
		_, err = cli.Decommission(ctx, &cassmesosv1.DecommissionRequest{})
	case plan.RelayRemovePeer:
		if r.HostID == "" {
			return nil, errors.New("removenode without a host ID")
		}
		_, err = cli.RemovePeer(ctx, &cassmesosv1.RemovePeerRequest{HostId: r.HostID})
	case plan.RelayCleanup:
		_, err = cli.Cleanup(ctx, &cassmesosv1.CleanupRequest{Keyspace: r.Keyspace, Tables: r.Tables})
	case plan.RelayRestartCassandra:
		_, err = cli.RestartCassandra(ctx, &cassmesosv1.RestartCassandraRequest{})
	case plan.RelayRepair:
		err = repair(ctx, cli, r)
	case plan.RelayDescribeRing:
		ranges, err = describeRing(ctx, cli, r.Keyspace)
	case plan.RelayAutoRepair:
		_, err = cli.SetAutoRepair(ctx, &cassmesosv1.SetAutoRepairRequest{RepairTypes: r.RepairTypes, Enabled: r.Enable})
	case plan.RelayReloadSeeds:
		err = reloadSeeds(ctx, cli, r)
	case plan.RelayRenewCert:
		err = c.renewCert(ctx, cli, r)
	case plan.RelayRebuild:
		_, err = cli.Rebuild(ctx, &cassmesosv1.RebuildRequest{SourceDatacenter: r.SourceDatacenter})
	default:
		return nil, fmt.Errorf("unknown relay kind %s", r.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", r.Kind, r.Node, err)
	}
	return ranges, nil
}

// ListKeyspaces asks the executor r names for the ring's keyspaces (nodetool describecluster;
// with tables, their table counts too) under leader epoch epoch.
func (c *Client) ListKeyspaces(ctx context.Context, epoch uint64, r plan.Relay, tables bool) ([]*cassmesosv1.Keyspace, error) {
	if r.Ring == "" || r.Node == "" {
		return nil, fmt.Errorf("describecluster to %s:%d names no ring and node (ring %q, node %q)", r.Address, r.AgentPort, r.Ring, r.Node)
	}
	conn, err := c.dial(r.Address, r.AgentPort)
	if err != nil {
		return nil, fmt.Errorf("describecluster on %s: %w", r.Node, err)
	}
	defer conn.Close()
	resp, err := cassmesosv1.NewNodeAgentServiceClient(conn).ListKeyspaces(outgoing(ctx, r.Secret, r.Ring, r.Node, epoch), &cassmesosv1.ListKeyspacesRequest{Tables: tables})
	if err != nil {
		return nil, fmt.Errorf("describecluster on %s: %w", r.Node, err)
	}
	return resp.GetKeyspaces(), nil
}

func repair(ctx context.Context, cli cassmesosv1.NodeAgentServiceClient, r plan.Relay) error {
	stream, err := cli.RepairRange(ctx, &cassmesosv1.RepairRangeRequest{
		Keyspace: r.Keyspace, Tables: r.Tables, Full: r.Full, PrimaryRange: r.PrimaryRange,
		StartToken: r.StartToken, EndToken: r.EndToken, Datacenter: r.Datacenter,
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

// AutoRepair reads one node's Cassandra Auto Repair state (engine.AutoRepairReader). It changes
// nothing.
func (c *Client) AutoRepair(ctx context.Context, epoch uint64, ring, node, address string, port uint32, secret string) (*cassmesosv1.GetAutoRepairResponse, error) {
	conn, err := c.dial(address, port)
	if err != nil {
		return nil, fmt.Errorf("auto repair status of %s: %w", node, err)
	}
	defer conn.Close()
	resp, err := cassmesosv1.NewNodeAgentServiceClient(conn).GetAutoRepair(outgoing(ctx, secret, ring, node, epoch), &cassmesosv1.GetAutoRepairRequest{})
	if err != nil {
		return nil, fmt.Errorf("auto repair status of %s: %w", node, err)
	}
	return resp, nil
}

// reloadSeeds sends the node its new seed list and checks that Cassandra uses it: nodetool
// reloadseeds answers with the seeds other than the node's own address.
func reloadSeeds(ctx context.Context, cli cassmesosv1.NodeAgentServiceClient, r plan.Relay) error {
	if len(r.Seeds) == 0 {
		return errors.New("reloadseeds without seeds")
	}
	resp, err := cli.ReloadSeeds(ctx, &cassmesosv1.ReloadSeedsRequest{Seeds: r.Seeds})
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, s := range r.Seeds {
		if s != r.Address {
			want[s] = true
		}
	}
	got := map[string]bool{}
	for _, s := range resp.GetSeeds() {
		got[s] = true
	}
	if !maps.Equal(want, got) {
		return fmt.Errorf("after reloadseeds Cassandra uses seeds [%s], want [%s]", strings.Join(resp.GetSeeds(), " "), strings.Join(r.Seeds, " "))
	}
	return nil
}

// renewCert issues the node a new Cassandra certificate and sends it (RenewCertificate); the
// executor answers with the serial it wrote, which must be the one issued.
func (c *Client) renewCert(ctx context.Context, cli cassmesosv1.NodeAgentServiceClient, r plan.Relay) error {
	if c.IssueCassandraCert == nil {
		return errors.New("no CA to issue Cassandra certificates from (the daemon runs with --insecure)")
	}
	cert, key, ca, err := c.IssueCassandraCert(r)
	if err != nil {
		return err
	}
	blk, _ := pem.Decode(cert)
	if blk == nil {
		return errors.New("the issued certificate is not PEM")
	}
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return err
	}
	resp, err := cli.RenewCertificate(ctx, &cassmesosv1.RenewCertificateRequest{Cert: cert, Key: key, Ca: ca})
	if err != nil {
		return err
	}
	if want := leaf.SerialNumber.Text(16); resp.GetSerial() != want {
		return fmt.Errorf("the executor wrote certificate %s, want %s", resp.GetSerial(), want)
	}
	return nil
}
