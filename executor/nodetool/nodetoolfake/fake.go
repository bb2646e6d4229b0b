// Package nodetoolfake is an in-memory nodetool.Controller for unit tests of the executor: tests
// set the answers (status, mode, ...), inject errors per method, script repair progress, and
// read back the calls made.
//
// It must not import anything of cassmesos but executor/nodetool.
package nodetoolfake

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// Call is one method call on the Fake: the method name ("Status", "Repair", ...) and its
// arguments rendered as strings (keyspace, tables, host ID, "force", repair arguments).
type Call struct {
	Method string
	Args   []string
}

// String returns "Method arg1 arg2".
func (c Call) String() string { return strings.TrimSpace(c.Method + " " + strings.Join(c.Args, " ")) }

// Fake implements nodetool.Controller in memory. The zero value is not ready: use New. It is
// safe for concurrent use.
type Fake struct {
	mu             sync.Mutex
	calls          []Call
	errs           map[string]error
	hook           func(ctx context.Context, c Call) error
	status         *nodetool.Status
	statusKS       map[string]*nodetool.Status
	info           *nodetool.Info
	rings          map[string]*nodetool.RingDescription
	ring           *nodetool.Ring
	netstats       *nodetool.Netstats
	cluster        *nodetool.ClusterDescription
	binary, gossip bool
	version        string
	removalStatus  string
	repairEvents   []nodetool.RepairEvent
	// autoRepair: repair type -> enabled; nil when the node has no Auto Repair.
	autoRepair map[string]bool
	seeds      []string
	// tables: keyspace -> table count; nil until set.
	tables   map[string]int
	rebuilds []string
}

var _ nodetool.Controller = (*Fake)(nil)

// New returns a Fake of a healthy single node: mode NORMAL, gossip and binary running,
// version 4.1.3, drain moving the mode to DRAINED and decommission to DECOMMISSIONED. Status,
// Info, DescribeRing, Ring and DescribeCluster fail with an error until set.
func New() *Fake {
	return &Fake{
		errs:          map[string]error{},
		statusKS:      map[string]*nodetool.Status{},
		rings:         map[string]*nodetool.RingDescription{},
		netstats:      &nodetool.Netstats{Mode: nodetool.ModeNormal},
		binary:        true,
		gossip:        true,
		version:       "4.1.3",
		removalStatus: "RemovalStatus: No removals in process.",
	}
}

// SetError makes every later call of method (e.g. "Status", "Repair") fail with err; nil clears
// it. Use the nodetool sentinels (wrapped in *nodetool.Error or not) to mimic real failures.
func (f *Fake) SetError(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.errs, method)
		return
	}
	f.errs[method] = err
}

// SetHook installs a function run at the start of every call, before the canned answer; a
// non-nil error is returned instead of the answer. It may block (honouring ctx) to simulate a
// slow nodetool.
func (f *Fake) SetHook(hook func(ctx context.Context, c Call) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = hook
}

// SetStatus sets the answer of Status, and of StatusKeyspace for keyspaces without their own.
func (f *Fake) SetStatus(s *nodetool.Status) { f.locked(func() { f.status = s }) }

// SetStatusKeyspace sets the answer of StatusKeyspace(keyspace).
func (f *Fake) SetStatusKeyspace(keyspace string, s *nodetool.Status) {
	f.locked(func() { f.statusKS[keyspace] = s })
}

// SetInfo sets the answer of Info.
func (f *Fake) SetInfo(in *nodetool.Info) { f.locked(func() { f.info = in }) }

// SetDescribeRing sets the answer of DescribeRing(keyspace).
func (f *Fake) SetDescribeRing(keyspace string, rd *nodetool.RingDescription) {
	f.locked(func() { f.rings[keyspace] = rd })
}

// SetRing sets the answer of Ring.
func (f *Fake) SetRing(r *nodetool.Ring) { f.locked(func() { f.ring = r }) }

// SetMode sets the Mode that Netstats reports (keeping the rest of the netstats answer).
func (f *Fake) SetMode(m nodetool.Mode) {
	f.locked(func() {
		ns := *f.netstats
		ns.Mode = m
		f.netstats = &ns
	})
}

// Mode returns the mode Netstats currently reports.
func (f *Fake) Mode() nodetool.Mode {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.netstats.Mode
}

// SetNetstats sets the whole answer of Netstats.
func (f *Fake) SetNetstats(ns *nodetool.Netstats) { f.locked(func() { f.netstats = ns }) }

// SetDescribeCluster sets the answer of DescribeCluster.
func (f *Fake) SetDescribeCluster(cd *nodetool.ClusterDescription) {
	f.locked(func() { f.cluster = cd })
}

// SetBinary sets what StatusBinary reports.
func (f *Fake) SetBinary(running bool) { f.locked(func() { f.binary = running }) }

// SetGossip sets what StatusGossip reports.
func (f *Fake) SetGossip(running bool) { f.locked(func() { f.gossip = running }) }

// SetVersion sets what Version reports.
func (f *Fake) SetVersion(v string) { f.locked(func() { f.version = v }) }

// SetRemovalStatus sets what RemoveNodeStatus reports.
func (f *Fake) SetRemovalStatus(s string) { f.locked(func() { f.removalStatus = s }) }

// SetRepairEvents sets the events every Repair call delivers to its progress function, in
// order. If one of them is a failure (RepairFailed, RepairSessionFailed), Repair then returns an
// error matching nodetool.ErrRepairFailed, as the real client does.
func (f *Fake) SetRepairEvents(evs []nodetool.RepairEvent) {
	f.locked(func() { f.repairEvents = append([]nodetool.RepairEvent(nil), evs...) })
}

// Calls returns the calls made so far, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// CallsOf returns the calls of one method.
func (f *Fake) CallsOf(method string) []Call {
	var out []Call
	for _, c := range f.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *Fake) locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// begin records the call and returns the injected error, if any.
func (f *Fake) begin(ctx context.Context, method string, args ...string) error {
	c := Call{Method: method, Args: args}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	hook := f.hook
	err := f.errs[method]
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return ctxErr(method, err)
	}
	if hook != nil {
		if herr := hook(ctx, c); herr != nil {
			return herr
		}
	}
	return err
}

func ctxErr(method string, err error) error {
	e := &nodetool.Error{Cmd: strings.ToLower(method), ExitCode: -1, Err: err}
	if errors.Is(err, context.DeadlineExceeded) {
		e.Kind = nodetool.ErrTimeout
	}
	return e
}

func notSet(method string) error {
	return fmt.Errorf("nodetoolfake: no answer set for %s", method)
}

// Status implements nodetool.Controller.
func (f *Fake) Status(ctx context.Context) (*nodetool.Status, error) {
	if err := f.begin(ctx, "Status"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status == nil {
		return nil, notSet("Status")
	}
	return f.status, nil
}

// StatusKeyspace implements nodetool.Controller.
func (f *Fake) StatusKeyspace(ctx context.Context, keyspace string) (*nodetool.Status, error) {
	if err := f.begin(ctx, "StatusKeyspace", keyspace); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.statusKS[keyspace]; ok {
		return s, nil
	}
	if f.status == nil {
		return nil, notSet("StatusKeyspace")
	}
	return f.status, nil
}

// Info implements nodetool.Controller.
func (f *Fake) Info(ctx context.Context) (*nodetool.Info, error) {
	if err := f.begin(ctx, "Info"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.info == nil {
		return nil, notSet("Info")
	}
	return f.info, nil
}

// DescribeRing implements nodetool.Controller.
func (f *Fake) DescribeRing(ctx context.Context, keyspace string) (*nodetool.RingDescription, error) {
	if err := f.begin(ctx, "DescribeRing", keyspace); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rd, ok := f.rings[keyspace]
	if !ok {
		return nil, &nodetool.Error{Cmd: "describering " + keyspace, ExitCode: 1, Kind: nodetool.ErrUnknownKeyspace,
			Stdout: "nodetool: Keyspace [" + keyspace + "] does not exist.\n"}
	}
	return rd, nil
}

// Ring implements nodetool.Controller.
func (f *Fake) Ring(ctx context.Context) (*nodetool.Ring, error) {
	if err := f.begin(ctx, "Ring"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ring == nil {
		return nil, notSet("Ring")
	}
	return f.ring, nil
}

// Netstats implements nodetool.Controller.
func (f *Fake) Netstats(ctx context.Context) (*nodetool.Netstats, error) {
	if err := f.begin(ctx, "Netstats"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ns := *f.netstats
	return &ns, nil
}

// DescribeCluster implements nodetool.Controller.
func (f *Fake) DescribeCluster(ctx context.Context) (*nodetool.ClusterDescription, error) {
	if err := f.begin(ctx, "DescribeCluster"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cluster == nil {
		return nil, notSet("DescribeCluster")
	}
	return f.cluster, nil
}

// StatusBinary implements nodetool.Controller.
func (f *Fake) StatusBinary(ctx context.Context) (bool, error) {
	if err := f.begin(ctx, "StatusBinary"); err != nil {
		return false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.binary, nil
}

// StatusGossip implements nodetool.Controller.
func (f *Fake) StatusGossip(ctx context.Context) (bool, error) {
	if err := f.begin(ctx, "StatusGossip"); err != nil {
		return false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gossip, nil
}

// Version implements nodetool.Controller.
func (f *Fake) Version(ctx context.Context) (string, error) {
	if err := f.begin(ctx, "Version"); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version, nil
}

// Drain implements nodetool.Controller: the mode becomes DRAINED and binary and gossip stop.
func (f *Fake) Drain(ctx context.Context) error {
	if err := f.begin(ctx, "Drain"); err != nil {
		return err
	}
	f.locked(func() {
		ns := *f.netstats
		ns.Mode = nodetool.ModeDrained
		f.netstats = &ns
		f.binary, f.gossip = false, false
	})
	return nil
}

// Decommission implements nodetool.Controller: the mode becomes DECOMMISSIONED.
func (f *Fake) Decommission(ctx context.Context, force bool) error {
	args := []string{}
	if force {
		args = append(args, "force")
	}
	if err := f.begin(ctx, "Decommission", args...); err != nil {
		return err
	}
	f.locked(func() {
		ns := *f.netstats
		ns.Mode = nodetool.ModeDecommissioned
		f.netstats = &ns
	})
	return nil
}

// RemoveNode implements nodetool.Controller.
func (f *Fake) RemoveNode(ctx context.Context, hostID string) error {
	return f.begin(ctx, "RemoveNode", hostID)
}

// RemoveNodeStatus implements nodetool.Controller.
func (f *Fake) RemoveNodeStatus(ctx context.Context) (string, error) {
	if err := f.begin(ctx, "RemoveNodeStatus"); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.removalStatus, nil
}

// RemoveNodeForce implements nodetool.Controller.
func (f *Fake) RemoveNodeForce(ctx context.Context) error { return f.begin(ctx, "RemoveNodeForce") }

// Cleanup implements nodetool.Controller.
func (f *Fake) Cleanup(ctx context.Context, keyspace string, tables ...string) error {
	return f.begin(ctx, "Cleanup", append([]string{keyspace}, tables...)...)
}

// Flush implements nodetool.Controller.
func (f *Fake) Flush(ctx context.Context, keyspace string, tables ...string) error {
	return f.begin(ctx, "Flush", append([]string{keyspace}, tables...)...)
}

// Repair implements nodetool.Controller: it validates opts as the real client does, records the
// nodetool arguments, and delivers the events set with SetRepairEvents.
func (f *Fake) Repair(ctx context.Context, opts nodetool.RepairOptions, progress func(nodetool.RepairEvent)) error {
	args, err := opts.Args()
	if err != nil {
		return err
	}
	if err := f.begin(ctx, "Repair", args...); err != nil {
		return err
	}
	f.mu.Lock()
	evs := append([]nodetool.RepairEvent(nil), f.repairEvents...)
	f.mu.Unlock()
	var failure *nodetool.RepairEvent
	for i := range evs {
		if err := ctx.Err(); err != nil {
			return ctxErr("Repair", err)
		}
		if progress != nil {
			progress(evs[i])
		}
		if evs[i].Failure() && failure == nil {
			failure = &evs[i]
		}
	}
	if failure != nil {
		return &nodetool.Error{Cmd: strings.Join(args, " "), ExitCode: 2, Kind: nodetool.ErrRepairFailed,
			Err: fmt.Errorf("%s", failure.Message)}
	}
	return nil
}

// EnableBinary implements nodetool.Controller.
func (f *Fake) EnableBinary(ctx context.Context) error {
	if err := f.begin(ctx, "EnableBinary"); err != nil {
		return err
	}
	f.locked(func() { f.binary = true })
	return nil
}

// DisableBinary implements nodetool.Controller.
func (f *Fake) DisableBinary(ctx context.Context) error {
	if err := f.begin(ctx, "DisableBinary"); err != nil {
		return err
	}
	f.locked(func() { f.binary = false })
	return nil
}

// EnableGossip implements nodetool.Controller.
func (f *Fake) EnableGossip(ctx context.Context) error {
	if err := f.begin(ctx, "EnableGossip"); err != nil {
		return err
	}
	f.locked(func() { f.gossip = true })
	return nil
}

// DisableGossip implements nodetool.Controller.
func (f *Fake) DisableGossip(ctx context.Context) error {
	if err := f.begin(ctx, "DisableGossip"); err != nil {
		return err
	}
	f.locked(func() { f.gossip = false })
	return nil
}

// StatusOf builds a one-datacenter Status from nodes (their Datacenter fields are set to dc),
// for SetStatus.
func StatusOf(dc string, nodes ...nodetool.NodeStatus) *nodetool.Status {
	d := nodetool.Datacenter{Name: dc}
	for _, n := range nodes {
		n.Datacenter = dc
		d.Nodes = append(d.Nodes, n)
	}
	return &nodetool.Status{Datacenters: []nodetool.Datacenter{d}, EffectiveOwnership: true}
}

// Node builds a NodeStatus from a status code ("UN", "DN", "UJ", ...), an address and a host ID,
// with 16 tokens and known load and ownership.
func Node(code, address, hostID string) nodetool.NodeStatus {
	n := nodetool.NodeStatus{Address: address, HostID: hostID, Tokens: 16, Rack: "rack1",
		Load: nodetool.Load{Bytes: 100 << 10, Known: true}, Owns: nodetool.Ownership{Percent: 100, Known: true}}
	if len(code) == 2 {
		n.Liveness, n.State = nodetool.Liveness(code[0]), nodetool.State(code[1])
	}
	return n
}

// SetAutoRepair gives the fake Cassandra's Auto Repair with these types enabled (nil: a node
// without Auto Repair, the default).
func (f *Fake) SetAutoRepair(enabled map[string]bool) {
	f.locked(func() {
		if enabled == nil {
			f.autoRepair = nil
			return
		}
		f.autoRepair = map[string]bool{}
		for _, t := range nodetool.AutoRepairTypes {
			f.autoRepair[t] = enabled[t]
		}
	})
}

// GetAutoRepairConfig implements nodetool.Controller.
func (f *Fake) GetAutoRepairConfig(ctx context.Context) (*nodetool.AutoRepairConfig, error) {
	if err := f.begin(ctx, "GetAutoRepairConfig"); err != nil {
		return nil, err
	}
	c := &nodetool.AutoRepairConfig{Global: map[string]string{}}
	f.locked(func() {
		if f.autoRepair == nil {
			return
		}
		c.Enabled = true
		for _, t := range nodetool.AutoRepairTypes {
			c.Types = append(c.Types, nodetool.AutoRepairTypeConfig{Type: t, Enabled: f.autoRepair[t],
				Settings: map[string]string{"enabled": strconv.FormatBool(f.autoRepair[t])}})
		}
	})
	return c, nil
}

// AutoRepairStatus implements nodetool.Controller: no repair in progress.
func (f *Fake) AutoRepairStatus(ctx context.Context, repairType string) (*nodetool.AutoRepairStatus, error) {
	if err := f.begin(ctx, "AutoRepairStatus", repairType); err != nil {
		return nil, err
	}
	st := &nodetool.AutoRepairStatus{}
	f.locked(func() { st.Enabled = f.autoRepair != nil })
	return st, nil
}

// SetAutoRepairEnabled implements nodetool.Controller.
func (f *Fake) SetAutoRepairEnabled(ctx context.Context, repairType string, enabled bool) error {
	if err := f.begin(ctx, "SetAutoRepairEnabled", repairType, strconv.FormatBool(enabled)); err != nil {
		return err
	}
	if !nodetool.ValidAutoRepairType(repairType) {
		return fmt.Errorf("nodetool setautorepairconfig: repair type %q", repairType)
	}
	var err error
	f.locked(func() {
		if f.autoRepair == nil {
			err = &nodetool.Error{Cmd: "setautorepairconfig", Kind: nodetool.ErrBadOutput, Err: nodetool.ErrAutoRepairDisabled}
			return
		}
		f.autoRepair[repairType] = enabled
	})
	return err
}

// SetSeeds sets what GetSeeds and ReloadSeeds answer.
func (f *Fake) SetSeeds(seeds []string) {
	f.locked(func() { f.seeds = append([]string(nil), seeds...) })
}

// GetSeeds implements nodetool.Controller.
func (f *Fake) GetSeeds(ctx context.Context) ([]string, error) {
	if err := f.begin(ctx, "GetSeeds"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.seeds...), nil
}

// ReloadSSL implements nodetool.Controller (it only records the call).
func (f *Fake) ReloadSSL(ctx context.Context) error { return f.begin(ctx, "ReloadSSL") }

// Rebuild implements nodetool.Controller; Rebuilds lists the source data centres asked for.
func (f *Fake) Rebuild(ctx context.Context, dc string) error {
	if err := f.begin(ctx, "Rebuild"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rebuilds = append(f.rebuilds, dc)
	return nil
}

// Rebuilds returns the source data centres Rebuild was called with, in order.
func (f *Fake) Rebuilds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.rebuilds...)
}

// ReloadSeeds implements nodetool.Controller.
func (f *Fake) ReloadSeeds(ctx context.Context) ([]string, error) {
	if err := f.begin(ctx, "ReloadSeeds"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.seeds...), nil
}

// SetTableCounts sets what TableCounts answers (nil: it fails with an error, as before any set).
func (f *Fake) SetTableCounts(counts map[string]int) {
	f.locked(func() {
		f.tables = nil
		if counts != nil {
			f.tables = map[string]int{}
			for k, v := range counts {
				f.tables[k] = v
			}
		}
	})
}

// TableCounts implements nodetool.Controller.
func (f *Fake) TableCounts(ctx context.Context) (map[string]int, error) {
	if err := f.begin(ctx, "TableCounts"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tables == nil {
		return nil, notSet("TableCounts")
	}
	out := make(map[string]int, len(f.tables))
	for k, v := range f.tables {
		out[k] = v
	}
	return out, nil
}
