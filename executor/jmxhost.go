package executor

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// fallbackController tries nodetool against the node's address first and, while that is refused,
// against the loopback address: Cassandra binds JMX to loopback with LOCAL_JMX=yes (the 4.x
// default) but to its listen address when a node shares its host with others. It sticks to the
// first host that answered.
type fallbackController struct {
	clients []*nodetool.Client
	current atomic.Int32
}

func newFallbackController(cfgs ...nodetool.Config) (*fallbackController, error) {
	f := &fallbackController{}
	for _, c := range cfgs {
		cl, err := nodetool.New(c)
		if err != nil {
			return nil, err
		}
		f.clients = append(f.clients, cl)
	}
	if len(f.clients) == 0 {
		return nil, errors.New("no nodetool client")
	}
	return f, nil
}

func try[T any](f *fallbackController, call func(*nodetool.Client) (T, error)) (T, error) {
	first := int(f.current.Load())
	v, err := call(f.clients[first])
	if err == nil || !errors.Is(err, nodetool.ErrConnectionRefused) {
		return v, err
	}
	for i := range f.clients {
		if i == first {
			continue
		}
		v2, err2 := call(f.clients[i])
		if err2 == nil || !errors.Is(err2, nodetool.ErrConnectionRefused) {
			f.current.Store(int32(i))
			return v2, err2
		}
	}
	return v, err
}

func try0(f *fallbackController, call func(*nodetool.Client) error) error {
	_, err := try(f, func(c *nodetool.Client) (struct{}, error) { return struct{}{}, call(c) })
	return err
}

var _ nodetool.Controller = (*fallbackController)(nil)

func (f *fallbackController) Status(ctx context.Context) (*nodetool.Status, error) {
	return try(f, func(c *nodetool.Client) (*nodetool.Status, error) { return c.Status(ctx) })
}
func (f *fallbackController) StatusKeyspace(ctx context.Context, ks string) (*nodetool.Status, error) {
	return try(f, func(c *nodetool.Client) (*nodetool.Status, error) { return c.StatusKeyspace(ctx, ks) })
}
func (f *fallbackController) Info(ctx context.Context) (*nodetool.Info, error) {
	return try(f, func(c *nodetool.Client) (*nodetool.Info, error) { return c.Info(ctx) })
}
func (f *fallbackController) DescribeRing(ctx context.Context, ks string) (*nodetool.RingDescription, error) {
	return try(f, func(c *nodetool.Client) (*nodetool.RingDescription, error) { return c.DescribeRing(ctx, ks) })
}
func (f *fallbackController) Ring(ctx context.Context) (*nodetool.Ring, error) {
	return try(f, func(c *nodetool.Client) (*nodetool.Ring, error) { return c.Ring(ctx) })
}
func (f *fallbackController) Netstats(ctx context.Context) (*nodetool.Netstats, error) {
	return try(f, func(c *nodetool.Client) (*nodetool.Netstats, error) { return c.Netstats(ctx) })
}
func (f *fallbackController) DescribeCluster(ctx context.Context) (*nodetool.ClusterDescription, error) {
	return try(f, func(c *nodetool.Client) (*nodetool.ClusterDescription, error) { return c.DescribeCluster(ctx) })
}
func (f *fallbackController) TableCounts(ctx context.Context) (map[string]int, error) {
	return try(f, func(c *nodetool.Client) (map[string]int, error) { return c.TableCounts(ctx) })
}
func (f *fallbackController) StatusBinary(ctx context.Context) (bool, error) {
	return try(f, func(c *nodetool.Client) (bool, error) { return c.StatusBinary(ctx) })
}
func (f *fallbackController) StatusGossip(ctx context.Context) (bool, error) {
	return try(f, func(c *nodetool.Client) (bool, error) { return c.StatusGossip(ctx) })
}
func (f *fallbackController) Version(ctx context.Context) (string, error) {
	return try(f, func(c *nodetool.Client) (string, error) { return c.Version(ctx) })
}
func (f *fallbackController) Drain(ctx context.Context) error {
	return try0(f, func(c *nodetool.Client) error { return c.Drain(ctx) })
}
func (f *fallbackController) Decommission(ctx context.Context, force bool) error {
	return try0(f, func(c *nodetool.Client) error { return c.Decommission(ctx, force) })
}
func (f *fallbackController) RemoveNode(ctx context.Context, hostID string) error {
	return try0(f, func(c *nodetool.Client) error { return c.RemoveNode(ctx, hostID) })
}
func (f *fallbackController) RemoveNodeStatus(ctx context.Context) (string, error) {
	return try(f, func(c *nodetool.Client) (string, error) { return c.RemoveNodeStatus(ctx) })
}
func (f *fallbackController) RemoveNodeForce(ctx context.Context) error {
	return try0(f, func(c *nodetool.Client) error { return c.RemoveNodeForce(ctx) })
}
func (f *fallbackController) Cleanup(ctx context.Context, ks string, tables ...string) error {
	return try0(f, func(c *nodetool.Client) error { return c.Cleanup(ctx, ks, tables...) })
}
func (f *fallbackController) Flush(ctx context.Context, ks string, tables ...string) error {
	return try0(f, func(c *nodetool.Client) error { return c.Flush(ctx, ks, tables...) })
}
func (f *fallbackController) Repair(ctx context.Context, o nodetool.RepairOptions, p func(nodetool.RepairEvent)) error {
	return try0(f, func(c *nodetool.Client) error { return c.Repair(ctx, o, p) })
}
func (f *fallbackController) EnableBinary(ctx context.Context) error {
	return try0(f, func(c *nodetool.Client) error { return c.EnableBinary(ctx) })
}
func (f *fallbackController) DisableBinary(ctx context.Context) error {
	return try0(f, func(c *nodetool.Client) error { return c.DisableBinary(ctx) })
}
func (f *fallbackController) EnableGossip(ctx context.Context) error {
	return try0(f, func(c *nodetool.Client) error { return c.EnableGossip(ctx) })
}
func (f *fallbackController) DisableGossip(ctx context.Context) error {
	return try0(f, func(c *nodetool.Client) error { return c.DisableGossip(ctx) })
}
func (f *fallbackController) GetAutoRepairConfig(ctx context.Context) (*nodetool.AutoRepairConfig, error) {
	return try(f, func(c *nodetool.Client) (*nodetool.AutoRepairConfig, error) { return c.GetAutoRepairConfig(ctx) })
}
func (f *fallbackController) AutoRepairStatus(ctx context.Context, t string) (*nodetool.AutoRepairStatus, error) {
	return try(f, func(c *nodetool.Client) (*nodetool.AutoRepairStatus, error) { return c.AutoRepairStatus(ctx, t) })
}
func (f *fallbackController) SetAutoRepairEnabled(ctx context.Context, t string, enabled bool) error {
	return try0(f, func(c *nodetool.Client) error { return c.SetAutoRepairEnabled(ctx, t, enabled) })
}
func (f *fallbackController) GetSeeds(ctx context.Context) ([]string, error) {
	return try(f, func(c *nodetool.Client) ([]string, error) { return c.GetSeeds(ctx) })
}
func (f *fallbackController) ReloadSSL(ctx context.Context) error {
	return try0(f, func(c *nodetool.Client) error { return c.ReloadSSL(ctx) })
}
func (f *fallbackController) Rebuild(ctx context.Context, dc string) error {
	return try0(f, func(c *nodetool.Client) error { return c.Rebuild(ctx, dc) })
}

func (f *fallbackController) ReloadSeeds(ctx context.Context) ([]string, error) {
	return try(f, func(c *nodetool.Client) ([]string, error) { return c.ReloadSeeds(ctx) })
}
