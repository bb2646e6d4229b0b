package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/internal/failpoint"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Planner is the pure planning core (daemon/plan.Planner satisfies it; tests use fakes).
type Planner interface {
	Submit(s *plan.State, req plan.Request) (plan.Accepted, error)
	Reconcile(s *plan.State) plan.Plan
	MatchOffers(s *plan.State, offers []plan.Offer) plan.Plan
}

// Store persists the planner's writes (fenced by leadership) and loads the records on start.
type Store interface {
	// Load reads every ring, node and operation record.
	Load(ctx context.Context) (rings map[string]*statev1.RingRecord, nodes map[string]*statev1.NodeRecord, ops map[string]*statev1.OperationRecord, err error)
	// Persist stores writes as one fenced transaction: on error none of them is stored. An error
	// wrapping ErrNotLeader means leadership is gone (or a large transaction was committed but
	// not applied: the next Load completes it), and the engine stops.
	Persist(ctx context.Context, writes []plan.Write) error
}

// ErrNotLeader is wrapped by Store.Persist errors when the write was fenced off: the engine stops.
var ErrNotLeader = errors.New("no longer the leader")

// ErrPersist wraps a failure to persist a plan's writes (nothing was done).
var ErrPersist = errors.New("persisting state failed")

// ErrStopped is returned by requests made while the engine is not running.
var ErrStopped = errors.New("engine not running")

// ErrPlannerPanicked wraps the error of a planning pass that panicked: nothing it decided was
// persisted or carried out, and the engine goes on (the panic is in the daemon's log).
var ErrPlannerPanicked = errors.New("the planning pass failed (a bug; see the daemon's log)")

// Mesos carries out scheduler calls (daemon/mesos.Driver satisfies it).
type Mesos interface {
	Accept(ctx context.Context, sub uint64, a plan.Accept) error
	Decline(ctx context.Context, sub uint64, d plan.Decline) error
	Kill(ctx context.Context, sub uint64, k plan.Kill) error
	Reconcile(ctx context.Context, sub uint64, tasks []plan.TaskRef) error
	Acknowledge(ctx context.Context, sub uint64, a mesosadapter.Ack) error
	Suppress(ctx context.Context, sub uint64) error
	Revive(ctx context.Context, sub uint64) error
}

// Relayer talks to executors' NodeAgentService (daemon/nodeagent.Client satisfies it). Every call
// carries the leader epoch the engine was started with; an executor that has seen a newer one
// refuses it.
type Relayer interface {
	// Relay carries out one relayed nodetool action and returns when it has ended, with the token
	// ranges of a RelayDescribeRing (nil for the other kinds). An unknown keyspace is an error
	// wrapping plan.ErrKeyspaceNotFound.
	Relay(ctx context.Context, epoch uint64, r plan.Relay) ([]plan.TokenRange, error)
	// ListKeyspaces asks the executor r names (Ring, Node, Address, AgentPort, Secret) for the
	// ring's keyspaces; with tables, their table counts too.
	ListKeyspaces(ctx context.Context, epoch uint64, r plan.Relay, tables bool) ([]*cassmesosv1.Keyspace, error)
	// NodeStatus asks one executor for its node's view of the ring.
	NodeStatus(ctx context.Context, epoch uint64, ring, node, address string, port uint32, secret string) (*cassmesosv1.GetNodeStatusResponse, error)
}

// MinPollTimeout is the least time a status poll is given. GetNodeStatus runs nodetool netstats,
// info, status and version, a JVM each: about 5 s on a quiet 2-core host, 27 s measured at load
// 20. Cut at the poll interval (10 s), every poll failed on such a host and a replaced node's
// view stayed DN while its task was healthy and NORMAL, so its replacement never ended.
const MinPollTimeout = time.Minute

// Options configure an Engine.
type Options struct {
	Planner Planner
	Store   Store
	Mesos   Mesos
	Relayer Relayer // nil: relays fail and no node status is polled
	// TaskSecret gives the bearer secret of a node's current task (plan.Config.TaskSecret).
	// Nil: the record's stored task_secret (tests).
	TaskSecret func(ring *statev1.RingRecord, n *statev1.NodeRecord) string
	// Epoch is the leader epoch of the leadership the engine runs under (zkstate.Leadership.Epoch),
	// sent with every relayed call.
	Epoch uint64
	// Events from the Mesos adapter.
	Events <-chan mesosadapter.Event
	// Clock (default time.Now).
	Clock func() time.Time
	// ReconcileTimeout bounds the wait for answers to explicit reconciliation (default 30s).
	ReconcileTimeout time.Duration
	// Tick is the period of the level-triggered Reconcile (default 10s).
	Tick time.Duration
	// PollInterval is how often a live node of each ring is asked for nodetool status (default
	// 10s); RelayTimeout bounds a relayed call (default 30m).
	PollInterval, RelayTimeout time.Duration
	// PollTimeout bounds one status poll (default and floor: the larger of PollInterval and
	// MinPollTimeout). A poll runs four nodetool JVMs on the node, tens of seconds on a loaded
	// host; one cut short leaves every view of the ring as it was.
	PollTimeout time.Duration
	// DeclineRefuse is the refuse filter for offers declined because persisting failed (5s).
	DeclineRefuse time.Duration
	Logger        *slog.Logger
	Metrics       Metrics
}

// taskSecret is the secret relays to n's executor carry.
func (e *Engine) taskSecret(n *statev1.NodeRecord) string {
	if e.opts.TaskSecret == nil {
		return n.GetTaskSecret()
	}
	return e.opts.TaskSecret(e.state.Rings[n.GetRing()], n)
}

// Metrics observes the engine (daemon/metrics implements it; nil is fine).
type Metrics interface {
	OffersReceived(n int)
	OffersDeclined(n int)
	OffersAccepted(n int)
	PersistFailed()
	StateChanged(s *plan.State)
	// PlannerPanicked counts planning passes that panicked (recovered; nothing persisted).
	PlannerPanicked()
	// InconsistentRecords is how many records the last planning pass skipped as inconsistent.
	InconsistentRecords(n int)
	// UnclaimedReservation counts one reservation of this framework that no record names
	// (plan.Plan.Unclaimed), once per agent and persistence ID per daemon run.
	UnclaimedReservation()
}

// Info is what the engine knows about its Mesos connection.
type Info struct {
	FrameworkID   string
	MasterVersion string
	MasterURL     string
	Connected     bool
}

// Snapshot is one state of a watched operation and its ring's nodes.
type Snapshot struct {
	Operation *statev1.OperationRecord
	Nodes     []*statev1.NodeRecord
	// Terminal is true when the operation has ended (the last snapshot sent).
	Terminal bool
	// Gone is true when the operation record was deleted.
	Gone bool
}

// Engine is the event loop: one goroutine owns the State; every input arrives on a channel.
type Engine struct {
	opts Options
	log  *slog.Logger

	nothingPending atomic.Bool // see NothingPending

	requests chan func()
	relays   chan relayDone
	views    chan viewResult

	infoMu  sync.Mutex
	info    Info
	running bool

	// Owned by the loop goroutine:
	ctx          context.Context
	state        *plan.State
	sub          uint64 // current subscription, 0 while disconnected
	offersWanted *bool  // what Mesos was last told (nil: unknown, e.g. after subscribing)
	work         bool   // the last plan had work needing offers (plan.WantOffers)
	pendingRecon map[string]bool
	reconDeadln  time.Time
	inflight     map[string]bool // relay IDs in flight
	polling      map[string]bool // rings with a status poll in flight
	lastPoll     time.Time
	wake         time.Time
	watchers     map[string][]*watcher
	offerAgent   map[string]string // agent of each offer of the batch being answered
	offersAt     time.Time         // when the batch being answered arrived
	fatal        error             // set when leadership is lost; the loop ends
	lastPanic    string            // the last planner panic logged with its stack
	problems     string            // the inconsistent records last logged
	roleProblems string            // the rings with a role not held, last logged
	unclaimed    map[string]bool   // unclaimed reservations logged, by agent and persistence ID
	out          *outbox           // scheduler calls, made off the loop (outbox.go)
	stopped      chan struct{}
}

type relayDone struct {
	id        string
	err       error
	ranges    []plan.TokenRange
	keyspaces []plan.KeyspaceInfo
	backup    *cassmesosv1.BackupNodeResult
}

type viewResult struct {
	ring string
	resp *cassmesosv1.GetNodeStatusResponse
	err  error
}

type watcher struct {
	ch   chan Snapshot
	last string // fingerprint of the last snapshot sent
}

// New returns an engine; Run starts it.
func New(opts Options) *Engine {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.ReconcileTimeout <= 0 {
		opts.ReconcileTimeout = 30 * time.Second
	}
	if opts.Tick <= 0 {
		opts.Tick = 10 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 10 * time.Second
	}
	if opts.RelayTimeout <= 0 {
		opts.RelayTimeout = 30 * time.Minute
	}
	opts.PollTimeout = max(opts.PollTimeout, opts.PollInterval, MinPollTimeout)
	if opts.DeclineRefuse <= 0 {
		opts.DeclineRefuse = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Engine{
		opts:     opts,
		log:      opts.Logger.With("component", "engine"),
		requests: make(chan func()),
		relays:   make(chan relayDone, 16),
		views:    make(chan viewResult, 16),
		stopped:  make(chan struct{}),
	}
}

// Info returns what the engine knows about its Mesos connection (safe from any goroutine).
func (e *Engine) Info() Info {
	e.infoMu.Lock()
	defer e.infoMu.Unlock()
	return e.info
}

// Run loads the records and runs the loop until ctx ends (returns ctx.Err()) or leadership is
// lost (returns an error wrapping ErrNotLeader).
func (e *Engine) Run(ctx context.Context) error {
	defer close(e.stopped)
	rings, nodes, ops, err := e.opts.Store.Load(ctx)
	if err != nil {
		return fmt.Errorf("loading state: %w", err)
	}
	e.ctx = ctx
	e.state = plan.NewState()
	e.state.Rings, e.state.Nodes, e.state.Operations = rings, nodes, ops
	if e.state.Rings == nil {
		e.state.Rings = map[string]*statev1.RingRecord{}
	}
	if e.state.Nodes == nil {
		e.state.Nodes = map[string]*statev1.NodeRecord{}
	}
	if e.state.Operations == nil {
		e.state.Operations = map[string]*statev1.OperationRecord{}
	}
	e.state.Now = e.opts.Clock()
	e.inflight = map[string]bool{}
	e.polling = map[string]bool{}
	e.watchers = map[string][]*watcher{}
	if err := e.loadMaintenance(ctx); err != nil {
		return fmt.Errorf("loading repair segments and schedules: %w", err)
	}
	e.log.Info("state loaded", "rings", len(rings), "nodes", len(nodes), "operations", len(ops))
	e.out = newOutbox()
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	go e.sendLoop(sendCtx)
	e.setRunning(true)
	defer e.setRunning(false)
	defer e.closeWatchers()

	tick := time.NewTicker(e.opts.Tick)
	defer tick.Stop()
	wakeTimer := time.NewTimer(time.Hour)
	defer wakeTimer.Stop()
	step := func() { _ = e.reconcile() }
	step()
	for e.fatal == nil {
		e.armWake(wakeTimer)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-e.opts.Events:
			if !ok {
				e.opts.Events = nil
				continue
			}
			_ = e.onMesos(ev)
		case fn := <-e.requests:
			fn()
		case <-e.out.back:
			e.takeOutcomes()
		case r := <-e.relays:
			delete(e.inflight, r.id)
			res := plan.RelayResult{Done: true, At: e.opts.Clock(), Ranges: r.ranges, Keyspaces: r.keyspaces, Backup: r.backup}
			if r.err != nil {
				res.Err = r.err.Error()
				res.NotFound = errors.Is(r.err, plan.ErrKeyspaceNotFound)
			}
			e.state.Relays[r.id] = res
			_ = failpoint.Inject("engine/relay-outcome")
			step()
		case v := <-e.views:
			delete(e.polling, v.ring)
			e.onView(v)
			step()
		case <-tick.C:
			e.checkReconciliation()
			e.poll()
			step()
			e.forget()
		case <-wakeTimer.C:
			e.wake = time.Time{}
			e.checkReconciliation()
			step()
		}
		if e.opts.Metrics != nil {
			e.opts.Metrics.StateChanged(e.state)
		}
		e.notifyWatchers()
	}
	e.log.Warn("stopping: leadership lost", "err", e.fatal)
	return e.fatal
}

func (e *Engine) setRunning(v bool) {
	e.infoMu.Lock()
	e.running = v
	if !v {
		e.info.Connected = false
	}
	e.infoMu.Unlock()
}

func (e *Engine) armWake(t *time.Timer) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	d := time.Hour
	if !e.wake.IsZero() {
		d = e.wake.Sub(e.opts.Clock())
		if d < 0 {
			d = 0
		}
	}
	if !e.reconDeadln.IsZero() {
		if r := e.reconDeadln.Sub(e.opts.Clock()); r < d {
			d = max(r, 0)
		}
	}
	t.Reset(d)
}

// reconcile runs a level-triggered planning pass.
func (e *Engine) reconcile() error {
	_ = failpoint.Inject("engine/before-plan")
	e.state.Now = e.opts.Clock()
	p, err := e.safely("reconcile", func() plan.Plan { return e.opts.Planner.Reconcile(e.state) })
	if err != nil {
		return err
	}
	_ = failpoint.Inject("engine/after-plan")
	e.reportProblems(p.Problems)
	e.reportRoleProblems(p.RoleProblems)
	return e.execute(p, nil)
}

// safely runs one planner call. A panic in it is logged with its stack (once per distinct
// panic; repeats get one line), counted, and returned as an error wrapping ErrPlannerPanicked:
// nothing of the pass is persisted or done, and the loop goes on.
func (e *Engine) safely(pass string, fn func() plan.Plan) (p plan.Plan, err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if e.opts.Metrics != nil {
			e.opts.Metrics.PlannerPanicked()
		}
		msg := fmt.Sprint(r)
		if msg != e.lastPanic {
			e.lastPanic = msg
			e.log.Error("planning pass panicked; nothing of it was persisted or done", "pass", pass, "panic", msg, "stack", string(debug.Stack()))
		} else {
			e.log.Error("planning pass panicked again; nothing of it was persisted or done", "pass", pass, "panic", msg)
		}
		p, err = plan.Plan{}, ErrPlannerPanicked
	}()
	return fn(), nil
}

// reportProblems logs the records a level-triggered pass skipped as inconsistent, when they
// change, and exports how many there are.
func (e *Engine) reportProblems(problems []plan.Problem) {
	if e.opts.Metrics != nil {
		e.opts.Metrics.InconsistentRecords(len(problems))
	}
	var b strings.Builder
	for _, p := range problems {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	if b.String() == e.problems {
		return
	}
	e.problems = b.String()
	for _, p := range problems {
		e.log.Warn("inconsistent record skipped: repair or delete it in ZooKeeper", "record", p.Record, "ring", p.Ring, "reason", p.Reason)
	}
	if len(problems) == 0 {
		e.log.Info("no inconsistent records left")
	}
}

// reportRoleProblems logs the rings whose Mesos role the daemon does not hold, when they change.
func (e *Engine) reportRoleProblems(ps []plan.RoleProblem) {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Ring + "\x00" + p.Role + "\n")
	}
	if b.String() == e.roleProblems {
		return
	}
	e.roleProblems = b.String()
	for _, p := range ps {
		e.log.Warn("ring's Mesos role is not one the daemon subscribed with: its nodes are left alone", "ring", p.Ring, "role", p.Role, "roles", p.Allowed)
	}
}

// reportUnclaimed logs each reservation of this framework that no record names, once per agent
// and persistence ID (or node, without a volume) per daemon run, and counts it. Nothing is done
// to it: an operator checks and releases it by hand (docs/operations.md).
func (e *Engine) reportUnclaimed(us []plan.UnclaimedReservation) {
	for _, u := range us {
		key := u.AgentID + "/" + u.PersistenceID
		if u.PersistenceID == "" {
			key = u.AgentID + "/" + u.RingUID + "/" + u.Node
		}
		if e.unclaimed[key] {
			continue
		}
		if e.unclaimed == nil {
			e.unclaimed = map[string]bool{}
		}
		e.unclaimed[key] = true
		if e.opts.Metrics != nil {
			e.opts.Metrics.UnclaimedReservation()
		}
		e.log.Warn("unclaimed reservation: it carries this framework's ID but no record names it; left alone (see docs/operations.md to release it by hand)",
			"agent_id", u.AgentID, "persistence_id", u.PersistenceID, "ring", u.Ring, "ring_uid", u.RingUID, "node", u.Node)
	}
}

// execute persists a plan's writes, applies them, and only then carries out its actions. When
// persisting fails nothing is done (offers are declined so they are not held) and the error is
// returned.
func (e *Engine) execute(p plan.Plan, offers []plan.Offer) error {
	e.log.Debug("plan", "offers", len(offers), "writes", len(p.Writes), "actions", len(p.Actions), "want_offers", p.WantOffers)
	if len(p.Writes) > 0 {
		// The pass's events (plan.EventWrites) go into the same transaction as its writes.
		writes := append(p.Writes[:len(p.Writes):len(p.Writes)], plan.EventWrites(e.state, p.Writes)...)
		if err := e.opts.Store.Persist(e.ctx, writes); err != nil {
			if e.opts.Metrics != nil {
				e.opts.Metrics.PersistFailed()
			}
			e.log.Error("persisting the plan failed: no action taken", "writes", len(p.Writes), "err", err)
			if errors.Is(err, ErrNotLeader) {
				e.fatal = err
			}
			e.declineAll(offers)
			return fmt.Errorf("%w (%d writes): %w", ErrPersist, len(p.Writes), err)
		}
		_ = failpoint.Inject("engine/after-persist")
		e.state.Apply(p.Writes)
	}
	if !p.Wake.IsZero() && (e.wake.IsZero() || p.Wake.Before(e.wake)) {
		e.wake = p.Wake
	}
	used := map[string]bool{}
	for _, a := range p.Actions {
		e.act(a, used)
	}
	// Every offer must be answered; decline what the plan did not mention.
	var rest []string
	for _, o := range offers {
		if !used[o.ID] {
			rest = append(rest, o.ID)
		}
	}
	if len(rest) > 0 {
		e.decline(plan.Decline{OfferIDs: rest, Refuse: e.opts.DeclineRefuse})
	}
	e.setOffersWanted(p.WantOffers || p.AwaitAgents, p.WantOffers)
	return nil
}

// fencedOff stops the loop when a Mesos call was not sent because leadership is gone.
func (e *Engine) fencedOff(err error) {
	if errors.Is(err, mesosadapter.ErrFenced) && e.fatal == nil {
		e.fatal = fmt.Errorf("%w: %w", ErrNotLeader, err)
	}
}

func (e *Engine) act(a plan.Action, used map[string]bool) {
	switch a := a.(type) {
	case plan.Accept:
		for _, id := range a.OfferIDs {
			used[id] = true
		}
		offersAt := e.offersAt
		e.send(mesosCall{what: "ACCEPT", do: func(ctx context.Context, sub uint64) error {
			sent := time.Now()
			if err := e.opts.Mesos.Accept(ctx, sub, a); err != nil {
				return err
			}
			_ = failpoint.Inject("engine/after-accept")
			for _, op := range a.Operations {
				if op.Task != nil {
					e.log.Info("launched", "task_id", op.Task.TaskID, "node", op.Task.Config.GetNode(), "ring", op.Task.Config.GetRing(), "agent_id", a.AgentID,
						"offer_received", offersAt.Format(time.RFC3339Nano), "accept_sent", sent.Format(time.RFC3339Nano))
				}
			}
			return nil
		}, ok: func() {
			if e.opts.Metrics != nil {
				e.opts.Metrics.OffersAccepted(len(a.OfferIDs))
			}
		}, failed: func(err error) {
			e.log.Warn("ACCEPT failed", "agent_id", a.AgentID, "offers", a.OfferIDs, "err", err)
		}})
	case plan.Decline:
		for _, id := range a.OfferIDs {
			used[id] = true
		}
		e.decline(a)
	case plan.Kill:
		e.send(mesosCall{what: "KILL", do: func(ctx context.Context, sub uint64) error {
			err := e.opts.Mesos.Kill(ctx, sub, a)
			_ = failpoint.Inject("engine/after-kill")
			return err
		}, failed: func(err error) {
			e.log.Warn("KILL failed", "task_id", a.TaskID, "node", a.Node, "err", err)
		}})
	case plan.ReconcileTasks:
		e.send(mesosCall{what: "RECONCILE", do: func(ctx context.Context, sub uint64) error {
			return e.opts.Mesos.Reconcile(ctx, sub, a.Tasks)
		}, failed: func(err error) {
			e.log.Warn("RECONCILE failed", "tasks", len(a.Tasks), "err", err)
		}})
	case plan.Relay:
		e.startRelay(a)
	default:
		e.log.Error("unknown action", "type", fmt.Sprintf("%T", a))
	}
}

// decline declines offers, one DECLINE per agent: a master may validate a DECLINE like an ACCEPT
// without operations, and offers of one call must then come from one agent.
func (e *Engine) decline(d plan.Decline) {
	if len(d.OfferIDs) == 0 {
		return
	}
	var order []string
	byAgent := map[string][]string{}
	for _, id := range d.OfferIDs {
		a := e.offerAgent[id]
		if _, ok := byAgent[a]; !ok {
			order = append(order, a)
		}
		byAgent[a] = append(byAgent[a], id)
	}
	for _, a := range order {
		ids := byAgent[a]
		agent, refuse := a, d.Refuse
		e.send(mesosCall{what: "DECLINE", do: func(ctx context.Context, sub uint64) error {
			return e.opts.Mesos.Decline(ctx, sub, plan.Decline{OfferIDs: ids, Refuse: refuse})
		}, ok: func() {
			if e.opts.Metrics != nil {
				e.opts.Metrics.OffersDeclined(len(ids))
			}
		}, failed: func(err error) {
			e.log.Warn("DECLINE failed", "agent_id", agent, "offers", len(ids), "err", err)
		}})
	}
}

func (e *Engine) declineAll(offers []plan.Offer) {
	var ids []string
	for _, o := range offers {
		ids = append(ids, o.ID)
	}
	e.decline(plan.Decline{OfferIDs: ids, Refuse: e.opts.DeclineRefuse})
}

// setOffersWanted REVIVEs when offers become wanted, and again when work appears while offers
// were only listened for (REVIVE clears the idle refuse filters of the agents that declined);
// it SUPPRESSes when they are not wanted.
// NothingPending reports whether the last planner pass wanted no offers: the Mesos adapter then
// subscribes with the framework's roles suppressed (Call.Subscribe.suppressed_roles), so the
// master sends no offers before the engine's own SUPPRESS would reach it. False until the first
// pass. Safe from any goroutine.
func (e *Engine) NothingPending() bool { return e.nothingPending.Load() }

func (e *Engine) setOffersWanted(want, work bool) {
	e.nothingPending.Store(!want)
	newWork := work && !e.work
	e.work = work
	if e.sub == 0 || (e.offersWanted != nil && *e.offersWanted == want && !(want && newWork)) {
		return
	}
	call := mesosCall{what: "SUPPRESS", do: e.opts.Mesos.Suppress}
	if want {
		call = mesosCall{what: "REVIVE", do: e.opts.Mesos.Revive}
	}
	// Taken as told at once (the next pass must not send it again); a failure makes it unknown,
	// so the next pass tells Mesos again.
	e.offersWanted = &want
	e.log.Debug("offers wanted changed", "want_offers", want)
	sub := e.sub
	call.failed = func(err error) {
		e.log.Warn("REVIVE/SUPPRESS failed", "want_offers", want, "err", err)
		if e.sub == sub {
			e.offersWanted = nil
		}
	}
	e.send(call)
}

func (e *Engine) startRelay(r plan.Relay) {
	if e.inflight[r.ID] {
		return
	}
	if _, done := e.state.Relays[r.ID]; done {
		return
	}
	e.inflight[r.ID] = true
	log := e.log.With("relay_id", r.ID, "node", r.Node, "kind", r.Kind.String(), "epoch", e.opts.Epoch)
	if e.opts.Relayer == nil {
		e.relays <- relayDone{id: r.ID, err: errors.New("no relay client configured")}
		return
	}
	go func() {
		timeout := e.opts.RelayTimeout
		if r.Timeout > 0 && r.Timeout < timeout {
			timeout = r.Timeout
		}
		ctx, cancel := context.WithTimeout(e.ctx, timeout)
		defer cancel()
		log.Info("relaying nodetool action")
		_ = failpoint.Inject("engine/mid-relay")
		var ranges []plan.TokenRange
		var keyspaces []plan.KeyspaceInfo
		var err error
		var backup *cassmesosv1.BackupNodeResult
		if r.Kind == plan.RelayBackup || r.Kind == plan.RelayRestore || r.Kind == plan.RelayDeleteBackup {
			backup, err = relayBackup(ctx, e.opts.Relayer, e.opts.Epoch, r)
		} else if r.Kind == plan.RelayListKeyspaces {
			var ks []*cassmesosv1.Keyspace
			ks, err = e.opts.Relayer.ListKeyspaces(ctx, e.opts.Epoch, r, false)
			for _, k := range ks {
				keyspaces = append(keyspaces, plan.KeyspaceInfo{Name: k.GetName(), System: k.GetSystem(), Replication: k.GetReplication()})
			}
		} else {
			ranges, err = e.opts.Relayer.Relay(ctx, e.opts.Epoch, r)
		}
		if err != nil {
			log.Warn("relayed action failed", "err", err)
		} else {
			log.Info("relayed action done")
		}
		_ = failpoint.Inject("engine/after-relay")
		select {
		case e.relays <- relayDone{id: r.ID, err: err, ranges: ranges, keyspaces: keyspaces, backup: backup}:
		case <-e.ctx.Done():
		}
	}()
}

// onMesos handles one event from the Mesos adapter.
func (e *Engine) onMesos(ev mesosadapter.Event) error {
	now := e.opts.Clock()
	e.state.Now = now
	switch {
	case ev.Connected != nil:
		e.sub = ev.Subscription
		e.offersWanted = nil
		e.infoMu.Lock()
		e.info = Info{FrameworkID: ev.Connected.FrameworkID, MasterVersion: ev.Connected.MasterVersion, MasterURL: ev.Connected.MasterURL, Connected: true}
		e.infoMu.Unlock()
		// The planner labels reservations with it and owns only those that carry it.
		e.state.FrameworkID = ev.Connected.FrameworkID
		e.startReconciliation()
		return e.reconcile()
	case ev.Disconnected != nil:
		if ev.Subscription == e.sub {
			e.sub = 0
			e.state.Reconciled = false
			e.pendingRecon = nil
			e.reconDeadln = time.Time{}
			e.infoMu.Lock()
			e.info.Connected = false
			e.infoMu.Unlock()
		}
		return nil
	case ev.Subscription != e.sub:
		e.log.Debug("dropping an event of an old subscription", "subscription", ev.Subscription)
		return nil
	case len(ev.Offers) > 0:
		if e.opts.Metrics != nil {
			e.opts.Metrics.OffersReceived(len(ev.Offers))
		}
		for _, o := range ev.Offers {
			a := e.state.Agents[o.AgentID]
			if !a.Reachable || a.Gone || a.Hostname != o.Hostname {
				a = plan.Agent{ID: o.AgentID, Hostname: o.Hostname, Attributes: o.Attributes, Reachable: true, Since: now}
			}
			a.Attributes = o.Attributes
			e.state.Agents[o.AgentID] = a
		}
		e.offersAt = now
		e.offerAgent = make(map[string]string, len(ev.Offers))
		for _, o := range ev.Offers {
			e.offerAgent[o.ID] = o.AgentID
		}
		defer func() { e.offerAgent = nil }()
		p, err := e.safely("offers", func() plan.Plan { return e.opts.Planner.MatchOffers(e.state, ev.Offers) })
		if err != nil {
			e.declineAll(ev.Offers) // every offer is answered, even now
			return err
		}
		e.reportProblems(p.Problems)
		e.reportRoleProblems(p.RoleProblems)
		e.reportUnclaimed(p.Unclaimed)
		return e.execute(p, ev.Offers)
	case ev.Update != nil:
		return e.onUpdate(*ev.Update, ev.Ack)
	case ev.Failure != nil:
		if ev.Failure.ExecutorID == "" {
			a := e.state.Agents[ev.Failure.AgentID]
			a.ID = ev.Failure.AgentID
			a.Reachable = false
			a.Since = now
			e.state.Agents[a.ID] = a
			e.log.Warn("agent failed", "agent_id", a.ID)
		} else {
			e.log.Warn("executor failed", "agent_id", ev.Failure.AgentID, "executor_id", ev.Failure.ExecutorID)
		}
		return e.reconcile()
	case ev.Rescinded != "":
		return nil // offers are answered at once; nothing is held
	default:
		return nil
	}
}

// onUpdate records a task status, plans, persists, and acknowledges the update only after its
// effect is persisted (if persisting fails the update stays unacknowledged and Mesos resends it).
func (e *Engine) onUpdate(st plan.TaskStatus, ack *mesosadapter.Ack) error {
	// Statuses the master generates (reconciliation, TASK_UNKNOWN during a failover) carry no
	// labels: a missing label is never a change, keep what the executor last reported for the
	// task (and its health across the master's TASK_UNKNOWN).
	prev, seen := e.state.Tasks[st.TaskID]
	if seen && st.Mode == cassmesosv1.CassandraMode_CASSANDRA_MODE_UNSPECIFIED && st.HostID == "" {
		st.Mode, st.HostID = prev.Mode, prev.HostID
		if prev.State == st.State || prev.State == plan.TaskUnknown || st.State == plan.TaskUnknown {
			st.Healthy = prev.Healthy || st.Healthy
		}
	}
	st.Since = st.At
	if seen && prev.State == st.State && !prev.Since.IsZero() {
		st.Since = prev.Since
	}
	e.state.Tasks[st.TaskID] = st
	if st.AgentID != "" {
		a := e.state.Agents[st.AgentID]
		a.ID = st.AgentID
		switch st.State {
		case plan.TaskUnreachable:
			if a.Reachable || a.Since.IsZero() {
				a.Reachable, a.Since = false, st.At
			}
		case plan.TaskGone, plan.TaskGoneByOperator:
			if st.State == plan.TaskGone && st.Reason == "REASON_RECONCILIATION" {
				// The master's answer for a task its registered agent does not know (a task
				// killed before a failover, asked about by the new leader): the task is gone,
				// the agent is not. Marking the agent gone here left a restart blocked on
				// "agent ... is gone" until an offer from it came (found by the chaos suite).
				break
			}
			// TASK_GONE: the master removed the agent (unreachable past its timeout, or
			// shut down) or an operator marked it gone; an agent that returns re-registers
			// under a new ID.
			a.Gone, a.Reachable, a.Since = true, false, st.At
		default:
			// Running, or any update the agent sent itself (it has a UUID to acknowledge, e.g.
			// the TASK_FAILED a killed agent re-sends when it comes back): the agent is reachable.
			if (st.State == plan.TaskRunning || st.State == plan.TaskStarting || ack != nil) && !a.Reachable {
				if !a.Since.IsZero() {
					a.Returned = st.At // known unreachable before: it came back
				}
				a.Reachable, a.Since = true, st.At
			}
		}
		e.state.Agents[a.ID] = a
	}
	log := e.log.With("task_id", st.TaskID, "state", st.State, "reason", st.Reason)
	log.Debug("status update", "healthy", st.Healthy, "mode", st.Mode)
	if e.pendingRecon != nil && e.pendingRecon[st.TaskID] {
		delete(e.pendingRecon, st.TaskID)
		e.checkReconciliation()
	}
	if err := e.reconcile(); err != nil {
		log.Warn("status update not acknowledged: its effect was not persisted", "err", err)
		return err
	}
	if ack != nil {
		a := *ack
		e.send(mesosCall{what: "ACKNOWLEDGE", do: func(ctx context.Context, sub uint64) error {
			return e.opts.Mesos.Acknowledge(ctx, sub, a)
		}, failed: func(err error) {
			log.Warn("ACKNOWLEDGE failed", "err", err)
		}})
	}
	return nil
}

// startReconciliation asks Mesos for every task the records name (explicit); implicit
// reconciliation follows when all have answered or the timeout passes.
func (e *Engine) startReconciliation() {
	e.state.Reconciled = false
	var refs []plan.TaskRef
	e.pendingRecon = map[string]bool{}
	names := make([]string, 0, len(e.state.Nodes))
	for name := range e.state.Nodes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		n := e.state.Nodes[name]
		if n.GetTaskId() == "" {
			continue
		}
		refs = append(refs, plan.TaskRef{TaskID: n.GetTaskId(), AgentID: n.GetAgentId()})
		e.pendingRecon[n.GetTaskId()] = true
	}
	if len(refs) > 0 {
		e.send(mesosCall{what: "RECONCILE", do: func(ctx context.Context, sub uint64) error {
			return e.opts.Mesos.Reconcile(ctx, sub, refs)
		}, failed: func(err error) {
			e.log.Warn("explicit reconciliation failed", "err", err)
		}})
	}
	e.reconDeadln = e.opts.Clock().Add(e.opts.ReconcileTimeout)
	e.log.Info("reconciling", "tasks", len(refs))
	e.checkReconciliation()
}

func (e *Engine) checkReconciliation() {
	if e.pendingRecon == nil {
		return
	}
	timedOut := !e.reconDeadln.IsZero() && !e.opts.Clock().Before(e.reconDeadln)
	if len(e.pendingRecon) > 0 && !timedOut {
		return
	}
	if len(e.pendingRecon) > 0 {
		e.log.Warn("explicit reconciliation timed out; carrying on", "unanswered", len(e.pendingRecon))
	}
	e.pendingRecon = nil
	e.reconDeadln = time.Time{}
	e.state.Reconciled = true
	e.send(mesosCall{what: "RECONCILE", do: func(ctx context.Context, sub uint64) error {
		return e.opts.Mesos.Reconcile(ctx, sub, nil)
	}, failed: func(err error) {
		e.log.Warn("implicit reconciliation failed", "err", err)
	}})
	e.log.Info("reconciled")
}
