package nodetool

import "context"

// Snapshot runs `nodetool snapshot -t <tag> [keyspaces...]` (every keyspace when none is given).
// Cassandra refuses a tag that already exists ("Snapshot <tag> already exists.").
func (c *Client) Snapshot(ctx context.Context, tag string, keyspaces ...string) error {
	if err := checkArg("snapshot tag", tag); err != nil {
		return err
	}
	args := []string{"snapshot", "-t", tag}
	for _, ks := range keyspaces {
		if err := checkArg("keyspace", ks); err != nil {
			return err
		}
		args = append(args, ks)
	}
	return c.plain(ctx, args...)
}

// ClearSnapshot runs `nodetool clearsnapshot -t <tag>` (that snapshot of every keyspace).
func (c *Client) ClearSnapshot(ctx context.Context, tag string) error {
	if err := checkArg("snapshot tag", tag); err != nil {
		return err
	}
	return c.plain(ctx, "clearsnapshot", "-t", tag)
}

// Import runs `nodetool import <keyspace> <table> <dir>` (Cassandra 4.0+): the sstables in dir are
// verified (and their tokens checked against the node's ranges) and moved into the table. It
// exits 1 when a directory failed to import ("Some directories failed to import, check server
// logs for details:").
func (c *Client) Import(ctx context.Context, keyspace, table, dir string) error {
	for _, a := range [][2]string{{"keyspace", keyspace}, {"table", table}, {"directory", dir}} {
		if err := checkArg(a[0], a[1]); err != nil {
			return err
		}
	}
	return c.plain(ctx, "import", "--", keyspace, table, dir)
}
