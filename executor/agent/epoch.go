package agent

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// EpochMetadataKey is the gRPC metadata key that carries the daemon's leader epoch, in decimal
// ("cassmesos-leader-epoch: 7"). The leading daemon sends it with every call.
const EpochMetadataKey = "cassmesos-leader-epoch"

// EpochFileName is the file, in the node's data directory, that keeps the highest leader epoch
// the node's executor has accepted.
const EpochFileName = "cassmesos-leader-epoch"

// mutating names the NodeAgentService methods with side effects: each needs a leader epoch no
// older than the highest one seen. The read-only ones (GetNodeStatus, DescribeRing) may come
// without one; with one, it is checked and remembered the same way.
var mutating = map[string]bool{
	cassmesosv1.NodeAgentService_RepairRange_FullMethodName:        true,
	cassmesosv1.NodeAgentService_Cleanup_FullMethodName:            true,
	cassmesosv1.NodeAgentService_Drain_FullMethodName:              true,
	cassmesosv1.NodeAgentService_Decommission_FullMethodName:       true,
	cassmesosv1.NodeAgentService_RemovePeer_FullMethodName:         true,
	cassmesosv1.NodeAgentService_RestartCassandra_FullMethodName:   true,
	cassmesosv1.NodeAgentService_SetAutoRepair_FullMethodName:      true,
	cassmesosv1.NodeAgentService_ReloadSeeds_FullMethodName:        true,
	cassmesosv1.NodeAgentService_RenewCertificate_FullMethodName:   true,
	cassmesosv1.NodeAgentService_BackupNode_FullMethodName:         true,
	cassmesosv1.NodeAgentService_RestoreNode_FullMethodName:        true,
	cassmesosv1.NodeAgentService_DeleteStoredBackup_FullMethodName: true,
	cassmesosv1.NodeAgentService_Rebuild_FullMethodName:            true,
}

// epochGuard keeps the highest leader epoch seen and refuses calls from older leaders, so that a
// deposed daemon that has not noticed yet cannot run a decommission or a repair segment that its
// successor runs too. The epoch is written to a file (in the node's data directory, on its
// persistent volume) before the call that raised it goes ahead, so a restarted executor still
// refuses the old leader; without a file, or when the file cannot be written, it is kept in memory.
type epochGuard struct {
	mu      sync.Mutex
	path    string // "" keeps the epoch in memory only
	highest uint64
	log     *slog.Logger
}

func newEpochGuard(path string, log *slog.Logger) *epochGuard {
	g := &epochGuard{path: path, log: log}
	if path == "" {
		return g
	}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		log.Warn("cannot read the highest leader epoch seen; starting from what the next calls carry", "file", path, "err", err)
	default:
		n, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if perr != nil {
			log.Warn("the file of the highest leader epoch seen is not a number; starting from what the next calls carry", "file", path, "content", string(b))
			break
		}
		g.highest = n
		log.Info("highest leader epoch seen so far", "epoch", n, "file", path)
	}
	return g
}

// Highest is the highest leader epoch accepted so far (0: none).
func (g *epochGuard) Highest() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.highest
}

// admit checks the epoch of one call to method and raises the highest epoch seen to it.
func (g *epochGuard) admit(ctx context.Context, method string) error {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get(EpochMetadataKey)
	if len(vals) == 0 {
		if mutating[method] {
			return status.Errorf(codes.FailedPrecondition, "%s refused: the call carries no leader epoch (metadata %s); only the leading cassmesosd may call it", method, EpochMetadataKey)
		}
		return nil
	}
	if len(vals) > 1 {
		return status.Errorf(codes.InvalidArgument, "%s refused: %d values of %s; want one", method, len(vals), EpochMetadataKey)
	}
	epoch, err := strconv.ParseUint(strings.TrimSpace(vals[0]), 10, 64)
	if err != nil || epoch == 0 {
		return status.Errorf(codes.InvalidArgument, "%s refused: leader epoch %q is not a decimal number above zero", method, vals[0])
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if epoch < g.highest {
		g.log.Warn("refused a call of a deposed leader", "method", method, "epoch", epoch, "highest_epoch", g.highest)
		return status.Errorf(codes.FailedPrecondition, "%s refused: leader epoch %d is older than epoch %d already seen (a newer cassmesosd leads)", method, epoch, g.highest)
	}
	if epoch > g.highest {
		g.store(epoch)
		g.highest = epoch
	}
	return nil
}

// store writes epoch to the file (write, sync, rename), or logs why it cannot: the guard then
// holds it in memory only.
func (g *epochGuard) store(epoch uint64) {
	if g.path == "" {
		return
	}
	if err := writeFileAtomic(g.path, []byte(strconv.FormatUint(epoch, 10)+"\n")); err != nil {
		g.log.Warn("cannot persist the leader epoch; it is kept in memory only", "epoch", epoch, "file", g.path, "err", err)
	}
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func (g *epochGuard) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := g.admit(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (g *epochGuard) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := g.admit(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return h(srv, ss)
}
