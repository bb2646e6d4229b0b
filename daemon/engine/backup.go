package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/cassmesos/cassmesos/daemon/plan"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// BackupRelayer is a Relayer that can also relay backups and restores to executors
// (daemon/nodeagent.Client has it).
type BackupRelayer interface {
	RelayBackup(ctx context.Context, epoch uint64, r plan.Relay) (*cassmesosv1.BackupNodeResult, error)
}

func relayBackup(ctx context.Context, rl Relayer, epoch uint64, r plan.Relay) (*cassmesosv1.BackupNodeResult, error) {
	br, ok := rl.(BackupRelayer)
	if !ok {
		return nil, errors.New("the relay client cannot relay backups")
	}
	res, err := br.RelayBackup(ctx, epoch, r)
	if err == nil && res == nil {
		return nil, fmt.Errorf("%s on %s: no result", r.Kind, r.Node)
	}
	return res, err
}
