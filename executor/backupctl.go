package executor

import (
	"context"

	"github.com/cassmesos/cassmesos/executor/backup"
	"github.com/cassmesos/cassmesos/executor/nodetool"
)

var _ backup.Nodetool = (*fallbackController)(nil)

func (f *fallbackController) Snapshot(ctx context.Context, tag string, keyspaces ...string) error {
	return try0(f, func(c *nodetool.Client) error { return c.Snapshot(ctx, tag, keyspaces...) })
}
func (f *fallbackController) ClearSnapshot(ctx context.Context, tag string) error {
	return try0(f, func(c *nodetool.Client) error { return c.ClearSnapshot(ctx, tag) })
}
func (f *fallbackController) Import(ctx context.Context, keyspace, table, dir string) error {
	return try0(f, func(c *nodetool.Client) error { return c.Import(ctx, keyspace, table, dir) })
}
