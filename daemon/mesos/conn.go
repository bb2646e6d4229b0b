package mesos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/encoding"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpsched"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/internal/failpoint"
	"github.com/cassmesos/cassmesos/internal/retry"
)

// MinMasterVersion is the oldest Mesos master the daemon subscribes to. mesos-go v0.0.11 carries
// Mesos 1.10's protos; 1.9.0 is the oldest release line with everything the daemon relies on
// (multi-role frameworks with reservation refinement and partition awareness are all ≥ 1.4, and
// 1.9 added the UPDATE_FRAMEWORK call and the agent-draining task reason the protos know), and
// older lines are end-of-life. Nothing older is tested.
var MinMasterVersion = Version{1, 9, 0}

// SupportedMasters names the masters the daemon supports, for messages and docs.
const SupportedMasters = "Apache Mesos 1.9–1.11 and ClusterD (1.11 API)"

// StoreAttempts is how many times a newly assigned framework ID is stored (with backoff) before
// the framework is torn down.
const StoreAttempts = 5

// storeNewFrameworkID stores fid, retrying failures with the subscription backoff.
func (c *Conn) storeNewFrameworkID(ctx context.Context, fid string) error {
	b := retry.Backoff{Initial: c.opts.BackoffMin, Max: c.opts.BackoffMax, Attempts: StoreAttempts}
	return retry.Do(ctx, b, func(ctx context.Context, attempt int) error {
		err := c.opts.Store.StoreFrameworkID(ctx, fid)
		if err != nil {
			c.log.Warn("storing the new framework ID failed", "framework_id", fid, "attempt", attempt, "err", err)
		}
		return err
	})
}

// Errors that end Run: retrying cannot fix them.
var (
	// ErrMasterTooOld: the master's version is below MinMasterVersion.
	ErrMasterTooOld = errors.New("mesos master is too old")
	// ErrFrameworkRemoved: the stored framework ID was torn down or its failover timeout expired.
	ErrFrameworkRemoved = errors.New("framework has been removed by mesos")
)

// ErrNotConnected is returned by calls made while no subscription is up (or for a subscription
// that has since ended).
var ErrNotConnected = errors.New("not subscribed to a mesos master")

// ErrFenced wraps the Fence error of a call that was not sent because the leadership the Conn
// runs under has ended. Run ends with it too rather than subscribe again.
var ErrFenced = errors.New("not sent: leadership lost")

// FrameworkIDStore persists the framework ID (in ZooKeeper). The adapter reads it before every
// SUBSCRIBE and stores a newly assigned ID before it delivers any event.
type FrameworkIDStore interface {
	// FrameworkID returns the stored ID, or "" when none is stored.
	FrameworkID(ctx context.Context) (string, error)
	// StoreFrameworkID persists a newly assigned ID. It must fail (not overwrite) if another ID
	// is already stored.
	StoreFrameworkID(ctx context.Context, id string) error
}

// Options configure a Conn.
type Options struct {
	// Masters are scheduler endpoint URLs (…/api/v1/scheduler), tried in order.
	Masters []string
	// FrameworkInfo is sent on SUBSCRIBE; its ID is filled in from Store. Build it with
	// FrameworkInfo.
	FrameworkInfo *mesos.FrameworkInfo
	// Store holds the framework ID.
	Store FrameworkIDStore
	// Principal and Secret enable HTTP basic authentication when both are set.
	Principal, Secret string
	// HeartbeatMisses is how many heartbeat intervals without any event end a subscription
	// (default 5).
	HeartbeatMisses int
	// BackoffMin and BackoffMax bound the wait between subscription attempts (default 500ms, 15s).
	BackoffMin, BackoffMax time.Duration
	// CallTimeout bounds every non-SUBSCRIBE call and the wait for SUBSCRIBED (default 15s).
	CallTimeout time.Duration
	// Fence is asked right before every call is sent to a master (SUBSCRIBE included). A non-nil
	// error (the daemon's: leadership lost, wrapping engine.ErrNotLeader) means the call is not
	// sent and fails with an error wrapping ErrFenced and it; Run ends with such an error instead
	// of subscribing. Nil: no fence (tests, tools).
	Fence func() error
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Metrics observes subscriptions and calls (optional).
	Metrics Observer
	// SubscribeSuppressed is asked before every SUBSCRIBE. When it returns true (nothing pending
	// that needs offers), the SUBSCRIBE lists every role of FrameworkInfo in
	// Call.Subscribe.suppressed_roles (Mesos >= 1.9), so the master sends no offer until a REVIVE;
	// otherwise a master sends offers before a SUPPRESS sent after SUBSCRIBED can arrive. nil (the
	// default) subscribes unsuppressed. Connected.Suppressed tells the engine which it was. It
	// must be safe to call from the adapter's goroutine.
	SubscribeSuppressed func() bool
	// DuplicateWindow is how long an acknowledged (or, on the same subscription, delivered)
	// status update UUID counts as seen: a copy of it arriving within the window is dropped and
	// not acknowledged again (default 5s, below the agent's 10s first retry, so a genuine retry
	// after a lost acknowledgement is delivered and acknowledged again).
	DuplicateWindow time.Duration
}

// Observer is told about connection life and calls (for Prometheus).
type Observer interface {
	Subscribed(masterVersion string)
	Disconnected(reason string)
	Called(callType string, err error)
}

// Event is one input from Mesos for the engine, tagged with the subscription it came on. Exactly
// one of the pointer/slice fields (or Rescinded/Other) is set.
type Event struct {
	// Subscription counts subscriptions from 1; calls are tied to one.
	Subscription uint64
	// Connected is set on the first event of a subscription (after the framework ID is stored).
	Connected *Connected
	// Disconnected is set on the last event of a subscription.
	Disconnected *Disconnected
	// Offers from an OFFERS event.
	Offers []plan.Offer
	// Rescinded is the offer ID of a RESCIND event.
	Rescinded string
	// Update is a task status (UPDATE); Ack is set when it must be acknowledged (it has a UUID).
	Update *plan.TaskStatus
	Ack    *Ack
	// Failure is a FAILURE event.
	Failure *Failure
	// Message is a MESSAGE event.
	Message *Message
	// Other names any other event type (logged and ignored).
	Other string
}

// Connected describes a new subscription.
type Connected struct {
	FrameworkID       string
	NewFramework      bool
	MasterVersion     string
	MasterURL         string
	HeartbeatInterval time.Duration
	// Suppressed: the SUBSCRIBE listed the framework's roles as suppressed (Options.
	// SubscribeSuppressed), so no offers come until a REVIVE.
	Suppressed bool
}

// Disconnected says why a subscription ended.
type Disconnected struct {
	Reason string
}

// Conn is a scheduler's subscription to the leading Mesos master: it finds the leader, subscribes
// (re-subscribing with the stored framework ID after every disconnect, with backoff), watches
// heartbeats, and sends calls on the current subscription.
type Conn struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	cur    *subscription // nil while disconnected
	leader string        // best guess of the leading master's endpoint
	nextID uint64

	dedup *updateDedup // recent status update UUIDs per task
}

type subscription struct {
	id          uint64
	caller      calls.Caller
	frameworkID string
	endpoint    string
	cancel      context.CancelFunc
}

// NewConn checks the options and returns a Conn; Run starts it.
func NewConn(opts Options) (*Conn, error) {
	if len(opts.Masters) == 0 {
		return nil, errors.New("mesos: no master given")
	}
	if opts.FrameworkInfo == nil || opts.Store == nil {
		return nil, errors.New("mesos: FrameworkInfo and Store are required")
	}
	if opts.HeartbeatMisses <= 0 {
		opts.HeartbeatMisses = 5
	}
	if opts.BackoffMin <= 0 {
		opts.BackoffMin = 500 * time.Millisecond
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 15 * time.Second
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 15 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.DuplicateWindow <= 0 {
		opts.DuplicateWindow = 5 * time.Second
	}
	return &Conn{opts: opts, log: opts.Logger.With("component", "mesos"), leader: opts.Masters[0], dedup: newUpdateDedup(opts.DuplicateWindow)}, nil
}

// redirectRecorder remembers the Location of the last 307 a client saw, resolved against the
// request URL (masters answer with a protocol-relative "//host:port/api/v1/scheduler").
type redirectRecorder struct {
	mu       sync.Mutex
	location string
}

func (r *redirectRecorder) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		res, err := rt.RoundTrip(req)
		if err == nil && res.StatusCode == http.StatusTemporaryRedirect {
			if loc, perr := req.URL.Parse(res.Header.Get("Location")); perr == nil && loc.Host != "" {
				// Keep the configured path: the leader serves the same endpoint.
				u := *req.URL
				u.Host = loc.Host
				if loc.Scheme != "" {
					u.Scheme = loc.Scheme
				}
				r.mu.Lock()
				r.location = u.String()
				r.mu.Unlock()
			}
		}
		return res, err
	})
}

func (r *redirectRecorder) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.location
	r.location = ""
	return l
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// newCaller builds a fresh HTTP client and httpsched caller aimed at one endpoint. A fresh client
// per subscription attempt is how the daemon re-points at a new leader: httpsched v0.0.11 follows
// a 307 only for the SUBSCRIBE request itself and never updates its endpoint (see
// docs/daemon.md), so redirects are not followed inside httpsched (MaxRedirects(0)); the
// recorder catches the Location and the next attempt dials the leader directly.
func (c *Conn) newCaller(endpoint string, rec *redirectRecorder) (calls.Caller, *http.Transport) {
	var transport *http.Transport
	cfg := []httpcli.ConfigOpt{
		httpcli.Timeout(c.opts.CallTimeout),
		httpcli.Transport(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 2
			transport = t
		}),
	}
	if c.opts.Principal != "" && c.opts.Secret != "" {
		cfg = append(cfg, httpcli.BasicAuth(c.opts.Principal, c.opts.Secret))
	}
	cfg = append(cfg, httpcli.WrapRoundTripper(rec.wrap))
	cli := httpcli.New(
		httpcli.Endpoint(endpoint),
		httpcli.Codec(codecs.ByMediaType[codecs.MediaTypeProtobuf]),
		httpcli.Do(httpcli.With(cfg...)),
	)
	caller := httpsched.NewCaller(cli,
		httpsched.MaxRedirects(0),
		// Without a candidate selector httpsched turns ANY failed call into a "no master"
		// response that tears the subscription down; an empty candidate passes errors through.
		httpsched.EndpointCandidates(func() string { return "" }),
	)
	return caller, transport
}

// Run keeps a subscription up until ctx ends or a fatal error (ErrMasterTooOld,
// ErrFrameworkRemoved) occurs, sending every event to out. It returns ctx.Err() on a normal stop.
func (c *Conn) Run(ctx context.Context, out chan<- Event) error {
	backoff := retry.Backoff{Initial: c.opts.BackoffMin, Max: c.opts.BackoffMax}.Start()
	candidate := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.mu.Lock()
		endpoint := c.leader
		c.mu.Unlock()

		if err := c.fenced("SUBSCRIBE"); err != nil {
			return err
		}
		res := c.subscribeOnce(ctx, endpoint, out)
		switch {
		case res.fatal != nil:
			return res.fatal
		case res.redirect != "":
			c.log.Info("master redirected to its leader", "from", endpoint, "to", res.redirect)
			c.setLeader(res.redirect)
			if res.redirectHops < 3 {
				continue // dial the leader at once
			}
		case res.subscribed:
			backoff.Reset() // a subscription came up: start backoff afresh
		case res.dialFailed && len(c.opts.Masters) > 1:
			// Try the next configured master.
			candidate = (candidate + 1) % len(c.opts.Masters)
			c.setLeader(c.opts.Masters[candidate])
		}
		if res.err != nil {
			c.log.Warn("mesos subscription ended", "master", endpoint, "err", res.err)
		}
		if err := backoff.Wait(ctx); err != nil {
			return err
		}
	}
}

func (c *Conn) setLeader(endpoint string) {
	c.mu.Lock()
	c.leader = endpoint
	c.mu.Unlock()
}

type attempt struct {
	subscribed   bool
	dialFailed   bool
	redirect     string
	redirectHops int
	err          error
	fatal        error
}

// subscribeOnce runs one subscription from SUBSCRIBE to its end.
func (c *Conn) subscribeOnce(ctx context.Context, endpoint string, out chan<- Event) (res attempt) {
	storedID, err := c.opts.Store.FrameworkID(ctx)
	if err != nil {
		res.err = fmt.Errorf("reading the framework ID: %w", err)
		return res
	}
	_ = failpoint.Inject("mesos/before-subscribe")
	rec := &redirectRecorder{}
	caller, transport := c.newCaller(endpoint, rec)
	defer func() {
		if transport != nil {
			transport.CloseIdleConnections()
		}
	}()

	info := *c.opts.FrameworkInfo
	call := calls.Subscribe(&info).With(calls.SubscribeTo(storedID))
	suppressed := false
	if c.opts.SubscribeSuppressed != nil && c.opts.SubscribeSuppressed() {
		roles := info.GetRoles()
		if len(roles) == 0 && info.GetRole() != "" {
			roles = []string{info.GetRole()}
		}
		if len(roles) > 0 {
			call.Subscribe.SuppressedRoles = append([]string(nil), roles...)
			suppressed = true
		}
	}
	// The subscription ends with ctx, through an AfterFunc the new-framework path can hold off
	// while it stores the ID (or tears the framework down over the still open subscription).
	subCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	endWithCtx := context.AfterFunc(ctx, cancel)
	defer endWithCtx()
	if err := c.fenced("SUBSCRIBE"); err != nil {
		res.fatal = err
		return res
	}
	resp, err := caller.Call(subCtx, call)
	if err != nil {
		if loc := rec.take(); loc != "" {
			res.redirect = loc
			return res
		}
		res.err = fmt.Errorf("SUBSCRIBE to %s: %w", endpoint, err)
		res.dialFailed = true // unreachable, no leader (503), or refused: try the next master
		return res
	}
	defer resp.Close()

	// The first event must be SUBSCRIBED (or ERROR, e.g. "Framework has been removed").
	var first scheduler.Event
	timer := time.AfterFunc(c.opts.CallTimeout, cancel)
	err = decodeEvent(resp, &first)
	timer.Stop()
	if err != nil {
		res.err = fmt.Errorf("reading SUBSCRIBED from %s: %w", endpoint, err)
		return res
	}
	switch first.GetType() {
	case scheduler.Event_SUBSCRIBED:
		if first.GetSubscribed() == nil {
			// Not the master's word on its version or the framework: retry, never give up on it.
			res.err = fmt.Errorf("%w: SUBSCRIBED from %s without its body", ErrMalformedEvent, endpoint)
			return res
		}
	case scheduler.Event_ERROR:
		msg := first.GetError().GetMessage()
		if strings.Contains(msg, "Framework has been removed") {
			res.fatal = fmt.Errorf("%w: framework %s: %s (its tasks are gone; delete the stored framework ID to register anew)", ErrFrameworkRemoved, storedID, msg)
			return res
		}
		res.err = fmt.Errorf("master refused the subscription: %s", msg)
		return res
	default:
		res.err = fmt.Errorf("first event from %s was %s, want SUBSCRIBED", endpoint, first.GetType())
		return res
	}
	sub := first.GetSubscribed()
	fid := sub.GetFrameworkID().GetValue()
	version := sub.GetMasterInfo().GetVersion()
	if err := checkVersion(version); err != nil {
		if storedID == "" && fid != "" {
			// A framework registered only now on a master we refuse: tear it down rather than
			// leave it waiting out the failover timeout.
			teardown := &scheduler.Call{Type: scheduler.Call_TEARDOWN}
			if c.fenced("TEARDOWN") == nil {
				_ = calls.CallNoData(ctx, caller, teardown.With(calls.Framework(fid)))
			}
		}
		res.fatal = err
		return res
	}
	if fid == "" {
		res.err = errors.New("SUBSCRIBED without a framework ID")
		return res
	}
	newFramework := storedID == ""
	if newFramework {
		// Store the new ID before anything else happens: a crash after this point re-subscribes
		// with it instead of registering a second framework. If it cannot be stored, nothing
		// acts for it and it is torn down: left registered it would be an orphan holding offers
		// until its failover timeout, and the next SUBSCRIBE would register yet another.
		held := endWithCtx()
		if err := c.storeNewFrameworkID(ctx, fid); err != nil {
			// Fenced like every call: once leadership is lost a new leader may already use fid
			// (if a failed store landed unseen); an orphan is then the lesser harm.
			terr := c.fenced("TEARDOWN")
			if terr == nil {
				teardown := &scheduler.Call{Type: scheduler.Call_TEARDOWN}
				tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.CallTimeout)
				terr = calls.CallNoData(tctx, caller, teardown.With(calls.Framework(fid)))
				tcancel()
			}
			if terr != nil {
				c.log.Error("could not tear down the framework whose ID could not be stored", "framework_id", fid, "err", terr)
				res.err = fmt.Errorf("storing new framework ID %s: %w (tearing it down failed too: %v)", fid, err, terr)
				return res
			}
			res.err = fmt.Errorf("storing new framework ID %s: %w (the framework was torn down)", fid, err)
			return res
		}
		if held {
			endWithCtx = context.AfterFunc(ctx, cancel)
			defer endWithCtx()
		}
		c.log.Info("registered a new framework", "framework_id", fid)
	} else if fid != storedID {
		res.err = fmt.Errorf("master answered with framework ID %s, stored is %s", fid, storedID)
		return res
	}
	hb := 15 * time.Second
	if s := sub.GetHeartbeatIntervalSeconds(); s > 0 {
		hb = time.Duration(s * float64(time.Second))
	}
	res.subscribed = true

	c.mu.Lock()
	c.nextID++
	s := &subscription{id: c.nextID, caller: caller, frameworkID: fid, endpoint: endpoint, cancel: cancel}
	c.cur = s
	c.leader = endpoint
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.cur == s {
			c.cur = nil
		}
		c.mu.Unlock()
	}()
	if c.opts.Metrics != nil {
		c.opts.Metrics.Subscribed(version)
	}
	c.log.Info("subscribed", "master", endpoint, "framework_id", fid, "master_version", version, "heartbeat", hb, "suppressed", suppressed)
	if note := versionNote(version); note != "" {
		c.log.Warn(note, "master_version", version)
	}

	reason := "stream ended"
	defer func() {
		if c.opts.Metrics != nil {
			c.opts.Metrics.Disconnected(reason)
		}
		// Tell the engine even while ctx is ending, but never block forever.
		select {
		case out <- Event{Subscription: s.id, Disconnected: &Disconnected{Reason: reason}}:
		case <-time.After(time.Second):
		}
	}()

	if !send(ctx, out, Event{Subscription: s.id, Connected: &Connected{
		FrameworkID: fid, NewFramework: newFramework, MasterVersion: version, MasterURL: endpoint, HeartbeatInterval: hb,
		Suppressed: suppressed,
	}}) {
		reason = "stopped"
		return res
	}

	// Heartbeat watchdog: any event resets it; HeartbeatMisses intervals of silence cancel the
	// subscription's context, which ends the blocked Decode.
	window := time.Duration(c.opts.HeartbeatMisses) * hb
	var mu sync.Mutex
	missed := false
	watchdog := time.AfterFunc(window, func() {
		mu.Lock()
		missed = true
		mu.Unlock()
		cancel()
	})
	defer watchdog.Stop()
	for {
		var e scheduler.Event
		err := decodeEvent(resp, &e)
		if err != nil {
			mu.Lock()
			m := missed
			mu.Unlock()
			switch {
			case m:
				reason = fmt.Sprintf("no event for %s (%d heartbeat intervals): connection presumed lost", window, c.opts.HeartbeatMisses)
			case ctx.Err() != nil:
				reason = "stopped"
			default:
				reason = "stream error: " + err.Error()
			}
			res.err = errors.New(reason)
			return res
		}
		if !watchdog.Stop() {
			// Fired concurrently: the context is cancelled; the next Decode fails.
			continue
		}
		switch {
		case e.GetType() == scheduler.Event_HEARTBEAT:
		case e.GetType() == scheduler.Event_ERROR && e.GetError() != nil:
			reason = "ERROR event: " + e.GetError().GetMessage()
			res.err = errors.New(reason)
			return res
		default:
			ev, err := translate(&e, time.Now())
			if err != nil {
				c.log.Warn("malformed event from the master ignored", "type", e.GetType().String(), "err", err)
			}
			if err == nil && ev.Ack != nil && !c.dedup.deliver(ev.Ack.AgentID, ev.Ack.TaskID, ev.Ack.UUID, s.id, time.Now()) {
				// The same update (same UUID) again, e.g. the master sending an agent's update
				// twice after the agent re-registered: handled and acknowledged once.
				c.log.Info("duplicate status update ignored", "task_id", ev.Ack.TaskID, "agent_id", ev.Ack.AgentID,
					"state", ev.Update.State.String(), "uuid", fmt.Sprintf("%x", ev.Ack.UUID))
				err = errDuplicate
			}
			// A malformed event yields nothing, bar the well-formed offers of an OFFERS event.
			if err == nil || (len(ev.Offers) > 0 && err != errDuplicate) {
				ev.Subscription = s.id
				if !send(ctx, out, ev) {
					reason = "stopped"
					return res
				}
			}
		}
		watchdog.Reset(window)
	}
}

// decodeEvent reads the next event of the master's stream. mesos-go's RecordIO reader and its
// generated protobuf decoders panic on some malformed input (a frame length near 2^63, a field
// length that overflows): such a stream is malformed, not a reason to crash the daemon. The panic
// becomes an error wrapping ErrMalformedEvent, which ends the subscription.
func decodeEvent(dec encoding.Decoder, e *scheduler.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the event stream cannot be decoded: %v", ErrMalformedEvent, r)
		}
	}()
	return dec.Decode(e)
}

// errDuplicate marks a duplicated status update (not delivered).
var errDuplicate = errors.New("duplicate status update")

// Acknowledge acknowledges a status update on the given subscription, once per UUID: an update
// without a UUID is never acknowledged (Mesos' rule: the master made it itself), and a UUID
// already acknowledged within Options.DuplicateWindow is not acknowledged again (a second ACK makes
// the agent log "Cannot find the status update stream" once the stream ended).
func (c *Conn) Acknowledge(ctx context.Context, subscription uint64, a Ack) error {
	if len(a.UUID) == 0 {
		return nil
	}
	if c.dedup.acked(a.AgentID, a.TaskID, a.UUID, time.Now()) {
		c.log.Debug("status update already acknowledged", "task_id", a.TaskID, "uuid", fmt.Sprintf("%x", a.UUID))
		return nil
	}
	if err := c.Call(ctx, subscription, calls.Acknowledge(a.AgentID, a.TaskID, a.UUID)); err != nil {
		return err
	}
	c.dedup.markAcked(a.AgentID, a.TaskID, a.UUID, time.Now())
	return nil
}

func send(ctx context.Context, out chan<- Event, e Event) bool {
	select {
	case out <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// Call sends a call on the current subscription, filling in the framework ID. subscription (from
// Event.Subscription) ties the call to the subscription the decision was made on; 0 means any.
func (c *Conn) Call(ctx context.Context, subscription uint64, call *scheduler.Call) error {
	c.mu.Lock()
	s := c.cur
	c.mu.Unlock()
	if s == nil || (subscription != 0 && s.id != subscription) {
		return ErrNotConnected
	}
	call = call.With(calls.Framework(s.frameworkID))
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	if err := c.fenced(call.GetType().String()); err != nil {
		if c.opts.Metrics != nil {
			c.opts.Metrics.Called(call.GetType().String(), err)
		}
		return err
	}
	if err := failpoint.Inject("mesos/before-call"); err != nil {
		return fmt.Errorf("%s: %w", call.GetType(), err)
	}
	err := calls.CallNoData(ctx, s.caller, call)
	_ = failpoint.Inject("mesos/after-call")
	if c.opts.Metrics != nil {
		c.opts.Metrics.Called(call.GetType().String(), err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", call.GetType(), err)
	}
	return nil
}

// fenced asks Options.Fence whether a call may still be sent.
func (c *Conn) fenced(call string) error {
	if c.opts.Fence == nil {
		return nil
	}
	if err := c.opts.Fence(); err != nil {
		c.log.Warn("mesos call not sent: leadership lost", "call", call, "err", err)
		return fmt.Errorf("%s %w: %w", call, ErrFenced, err)
	}
	return nil
}

// FrameworkID is the framework ID of the current subscription ("" while disconnected).
func (c *Conn) FrameworkID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return ""
	}
	return c.cur.frameworkID
}

// Disconnect ends the current subscription (the Run loop re-subscribes after backoff). Used when
// the engine decides the connection is unusable.
func (c *Conn) Disconnect() {
	c.mu.Lock()
	s := c.cur
	c.mu.Unlock()
	if s != nil {
		s.cancel()
	}
}

// Version is a Mesos release number.
type Version [3]int

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// ParseVersion parses "1.10.0", "1.11.0-dev" and the like.
func ParseVersion(s string) (Version, error) {
	var v Version
	core, _, _ := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, fmt.Errorf("version %q: want MAJOR.MINOR[.PATCH]", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, fmt.Errorf("version %q: %q is not a number", s, p)
		}
		v[i] = n
	}
	return v, nil
}

// Less reports v < w.
func (v Version) Less(w Version) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

func checkVersion(s string) error {
	if s == "" {
		return fmt.Errorf("%w: the master did not report its version (needs Mesos >= %s; supported: %s)", ErrMasterTooOld, MinMasterVersion, SupportedMasters)
	}
	v, err := ParseVersion(s)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMasterTooOld, err)
	}
	if v.Less(MinMasterVersion) {
		return fmt.Errorf("%w: master version %s is below the minimum %s (supported: %s)", ErrMasterTooOld, s, MinMasterVersion, SupportedMasters)
	}
	return nil
}

// MaxTestedMasterVersion is the newest Mesos API line the daemon is tested against (ClusterD
// speaks the 1.11 API).
var MaxTestedMasterVersion = Version{1, 11, 0}

// versionNote warns about a master newer than the supported range (accepted, not tested).
func versionNote(s string) string {
	v, err := ParseVersion(s)
	if err != nil || v[0] < MaxTestedMasterVersion[0] || v[0] == MaxTestedMasterVersion[0] && v[1] <= MaxTestedMasterVersion[1] {
		return ""
	}
	return fmt.Sprintf("master version %s is newer than the supported range (%s): accepted, but untested", s, SupportedMasters)
}
