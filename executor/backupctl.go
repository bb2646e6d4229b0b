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

func (f *fallbackController) InfoTokens(ctx context.Context) (*nodetool.Info, error) {
	return try(f, func(c *nodetool.Client) (*nodetool.Info, error) { return c.InfoTokens(ctx) })
}
func (f *fallbackController) Tables(ctx context.Context) (map[string][]string, error) {
	return try(f, func(c *nodetool.Client) (map[string][]string, error) { return c.Tables(ctx) })
}
