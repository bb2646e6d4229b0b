package nodeagent

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// RelayBackup carries out a RelayBackup or RelayRestore under leader epoch epoch, adding the
// backup store's credentials (Credentials, read from the daemon's credentials file; never
// persisted), and returns what the node moved.
func (c *Client) RelayBackup(ctx context.Context, epoch uint64, r plan.Relay) (*cassmesosv1.BackupNodeResult, error) {
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
	var access, secret string
	if c.BackupCredentials != nil {
		if access, secret, err = c.BackupCredentials(); err != nil {
			return nil, fmt.Errorf("%s on %s: backup store credentials: %w", r.Kind, r.Node, err)
		}
	}
	var res *cassmesosv1.BackupNodeResult
	switch {
	case r.Kind == plan.RelayBackup && r.BackupNode != nil:
		req := proto.Clone(r.BackupNode).(*cassmesosv1.BackupNodeRequest)
		req.AccessKey, req.SecretKey = access, secret
		var resp *cassmesosv1.BackupNodeResponse
		resp, err = cli.BackupNode(ctx, req)
		res = resp.GetResult()
	case r.Kind == plan.RelayRestore && r.RestoreNode != nil:
		req := proto.Clone(r.RestoreNode).(*cassmesosv1.RestoreNodeRequest)
		req.AccessKey, req.SecretKey = access, secret
		var resp *cassmesosv1.RestoreNodeResponse
		resp, err = cli.RestoreNode(ctx, req)
		res = resp.GetResult()
	case r.Kind == plan.RelayDeleteBackup && r.DeleteBackup != nil:
		req := proto.Clone(r.DeleteBackup).(*cassmesosv1.DeleteStoredBackupRequest)
		req.AccessKey, req.SecretKey = access, secret
		var resp *cassmesosv1.DeleteStoredBackupResponse
		if resp, err = cli.DeleteStoredBackup(ctx, req); err == nil {
			res = &cassmesosv1.BackupNodeResult{Files: resp.GetFiles(), Bytes: resp.GetBytes(), TransferredFiles: resp.GetManifests()}
		}
	default:
		return nil, fmt.Errorf("%s on %s: the relay carries no request", r.Kind, r.Node)
	}
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", r.Kind, r.Node, err)
	}
	return res, nil
}
