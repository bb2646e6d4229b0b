package mesosexec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/encoding"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
	"github.com/mesos/mesos-go/api/v1/lib/executor/calls"
	"github.com/mesos/mesos-go/api/v1/lib/executor/config"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpexec"

	"github.com/cassmesos/cassmesos/internal/failpoint"
	"github.com/cassmesos/cassmesos/internal/retry"
)

// Status is one status update the task wants sent.
type Status struct {
	State   mesos.TaskState
	Healthy *bool
	Message string
	Reason  *mesos.TaskStatus_Reason
	// Labels are sent as TaskStatus.labels, in this order.
	Labels []mesos.Label
}

// Task is the one running task.
type Task interface {
	// Kill stops the task and returns its terminal status (normally TASK_KILLED). grace is the
	// KILL event's kill policy grace period, 0 when it carried none (the task then uses its own).
	// ctx bounds the whole stop sequence.
	Kill(ctx context.Context, grace time.Duration) Status
}

// LaunchFunc starts the task described by info. report sends a status update (it never blocks);
// a terminal state reported through it ends the executor once acknowledged. An error ends the
// task before it started: ErrInvalidTask (wrapped) gives TASK_ERROR, anything else TASK_FAILED.
type LaunchFunc func(ctx context.Context, info mesos.TaskInfo, report func(Status)) (Task, error)

// ErrInvalidTask marks a launch error caused by the TaskInfo itself (TASK_ERROR).
var ErrInvalidTask = errors.New("invalid task")

// Config configures Run.
type Config struct {
	// Env is the agent-given environment (config.FromEnv()).
	Env config.Config
	// Launch starts the task. Required.
	Launch LaunchFunc
	// HTTPTimeout bounds each non-streaming call (default 10s).
	HTTPTimeout time.Duration
	// AckWait bounds the wait for the agent to acknowledge the terminal update (default 15s).
	AckWait time.Duration
	// ResendInterval is how often updates whose UPDATE call failed are sent again (default 5s).
	ResendInterval time.Duration
	Logger         *slog.Logger
}

// ErrRecoveryTimeout is returned when the agent could not be reached again in time.
var ErrRecoveryTimeout = errors.New("agent not reachable within the recovery timeout")

type pendingUpdate struct {
	upd  executor.Call_Update
	sent bool
}

type exec struct {
	cfg        Config
	log        *slog.Logger
	sender     calls.Sender
	subscriber calls.Sender

	// reports from the task, from any goroutine
	qmu     sync.Mutex
	queue   []Status
	queueID []mesos.TaskID
	signal  chan struct{}

	// owned by the Run goroutine
	connected   bool
	executorID  mesos.ExecutorID
	task        Task
	taskInfo    *mesos.TaskInfo
	unackTasks  map[string]mesos.TaskInfo
	unacked     []*pendingUpdate // in the order generated
	killing     bool
	terminal    []byte // UUID of the task's terminal update
	terminalAt  time.Time
	termAcked   bool
	shutdown    bool
	killPending chan struct{}
}

// Run serves the executor API until the task is done (nil), the agent is lost for longer than
// the recovery timeout or checkpointing is off (an error), or ctx ends (the task is killed
// first). It never leaves the task running when it returns.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Launch == nil {
		return errors.New("mesosexec: Config.Launch is nil")
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = 10 * time.Second
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 15 * time.Second
	}
	if cfg.ResendInterval <= 0 {
		cfg.ResendInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	endpoint := url.URL{Scheme: "http", Host: cfg.Env.AgentEndpoint, Path: "/api/v1/executor"}
	cli := httpcli.New(
		httpcli.Endpoint(endpoint.String()),
		httpcli.Codec(codecs.ByMediaType[codecs.MediaTypeProtobuf]),
		httpcli.Do(httpcli.With(httpcli.Timeout(cfg.HTTPTimeout))),
	)
	opts := executor.CallOptions{calls.Framework(cfg.Env.FrameworkID), calls.Executor(cfg.Env.ExecutorID)}
	e := &exec{
		cfg:        cfg,
		log:        cfg.Logger.With("executor_id", cfg.Env.ExecutorID, "framework_id", cfg.Env.FrameworkID),
		sender:     calls.SenderWith(httpexec.NewSender(cli.Send), opts...),
		subscriber: calls.SenderWith(httpexec.NewSender(cli.Send, httpcli.Close(true)), opts...),
		signal:     make(chan struct{}, 1),
		executorID: mesos.ExecutorID{Value: cfg.Env.ExecutorID},
		unackTasks: map[string]mesos.TaskInfo{},
	}
	return e.run(ctx)
}

// Re-subscription backoff. A real agent restarted on the same work dir (recovery) gives a
// checkpointed executor --executor_reregistration_timeout (2s by default) to subscribe again, then
// shuts it down and its task goes LOST/FAILED. So after the connection drops the executor
// re-subscribes at once, then every resubscribeMin doubling up to resubscribeMax (and never above
// MESOS_SUBSCRIPTION_BACKOFF_MAX): attempts at +0, +0.1, +0.3, +0.7, +1.2, +1.7 s... are well inside
// the window.
const (
	resubscribeMin = 100 * time.Millisecond
	resubscribeMax = 500 * time.Millisecond
)

func (e *exec) run(ctx context.Context) error {
	disconnectedAt := time.Now()
	backoffMax := resubscribeMax
	if m := e.cfg.Env.SubscriptionBackoffMax; m > 0 && m < backoffMax {
		backoffMax = max(m, 10*time.Millisecond)
	}
	backoff := retry.Backoff{Initial: min(resubscribeMin, backoffMax), Max: backoffMax}.Start()
	retryNow := false // the first attempt after a dropped connection is immediate
	for {
		e.absorb()
		sub := calls.Subscribe(e.unacknowledgedTasks(), e.unacknowledgedUpdates())
		e.log.Info("subscribing to agent", "endpoint", e.cfg.Env.AgentEndpoint,
			"unacked_tasks", len(sub.Subscribe.UnacknowledgedTasks), "unacked_updates", len(sub.Subscribe.UnacknowledgedUpdates))
		resp, err := e.subscriber.Send(ctx, calls.NonStreaming(sub))
		if err == nil {
			backoff.Reset()
			retryNow = true
			for _, p := range e.unacked {
				p.sent = true // the agent replays what SUBSCRIBE carried
			}
			e.connected = true
			err = e.serve(ctx, resp)
			e.connected = false
			resp.Close()
			disconnectedAt = time.Now()
		}
		if resp != nil && err != nil {
			resp.Close()
		}
		if e.done() {
			e.log.Info("executor finished")
			return nil
		}
		if ctx.Err() != nil {
			e.stopTask(context.Background(), "executor interrupted")
			return ctx.Err()
		}
		e.log.Warn("disconnected from agent", "err", err)
		if !e.cfg.Env.Checkpoint {
			e.stopTask(ctx, "lost the agent and the framework does not checkpoint")
			return fmt.Errorf("disconnected from the agent and checkpointing is off: %v", err)
		}
		if time.Since(disconnectedAt) > e.cfg.Env.RecoveryTimeout {
			e.stopTask(ctx, "agent not back within the recovery timeout")
			return fmt.Errorf("%w (%s): %v", ErrRecoveryTimeout, e.cfg.Env.RecoveryTimeout, err)
		}
		if retryNow {
			retryNow = false
			continue
		}
		_ = backoff.Wait(ctx) // an ended ctx is handled at the top of the next round
	}
}

// done reports whether the executor may exit.
func (e *exec) done() bool {
	if e.termAcked {
		return true
	}
	if e.terminal != nil && time.Since(e.terminalAt) > e.cfg.AckWait {
		e.log.Warn("terminal update not acknowledged in time; exiting", "wait", e.cfg.AckWait.String())
		return true
	}
	return e.shutdown && e.task == nil
}

type decoded struct {
	ev  *executor.Event
	err error
}

func (e *exec) serve(ctx context.Context, dec encoding.Decoder) error {
	events := make(chan decoded)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			var ev executor.Event
			err := decodeEvent(dec, &ev)
			select {
			case events <- decoded{&ev, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	resend := time.NewTicker(e.cfg.ResendInterval)
	defer resend.Stop()
	ackCheck := time.NewTicker(250 * time.Millisecond)
	defer ackCheck.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case d := <-events:
			if d.err != nil {
				return d.err
			}
			if err := e.handle(ctx, d.ev); err != nil {
				return err
			}
		case <-e.signal:
			e.absorb()
			e.sendUnsent(ctx)
		case <-resend.C:
			e.sendUnsent(ctx)
		case <-ackCheck.C:
		}
		if e.done() {
			return nil
		}
	}
}

var errAbort = errors.New("agent sent ERROR")

// errUndecodable is what decodeEvent returns when the decoder panicked.
var errUndecodable = errors.New("the agent's event stream cannot be decoded")

// decodeEvent reads the next event of the agent's stream. mesos-go's RecordIO reader and its
// generated protobuf decoders panic on some malformed input (a frame length near 2^63, a field
// length that overflows): such a stream is malformed, not a reason to crash the executor (and
// leave its task unsupervised). The panic becomes an error wrapping errUndecodable, which ends
// the connection like any other decode error.
func decodeEvent(dec encoding.Decoder, ev *executor.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errUndecodable, r)
		}
	}()
	return dec.Decode(ev)
}

func (e *exec) handle(ctx context.Context, ev *executor.Event) error {
	if why := malformed(ev); why != "" {
		e.log.Warn("malformed event from the agent ignored", "type", ev.GetType().String(), "why", why)
		return nil
	}
	switch ev.GetType() {
	case executor.Event_SUBSCRIBED:
		s := ev.GetSubscribed()
		agent, fw, ei := s.GetAgentInfo(), s.GetFrameworkInfo(), s.GetExecutorInfo()
		e.log.Info("subscribed", "agent_id", agent.GetID().GetValue(), "framework", fw.GetName())
		if id := ei.GetExecutorID(); id.Value != "" {
			e.executorID = id
		}
		e.sendUnsent(ctx)
	case executor.Event_LAUNCH:
		e.launch(ctx, ev.GetLaunch().GetTask())
	case executor.Event_LAUNCH_GROUP:
		g := ev.GetLaunchGroup().GetTaskGroup()
		for _, t := range g.GetTasks() {
			if t.GetTaskID().Value == "" {
				e.log.Warn("a task of a LAUNCH_GROUP without a task ID ignored", "name", t.GetName())
				continue
			}
			e.refuse(t, "cassmesos-executor runs one task per executor; LAUNCH_GROUP is not supported")
		}
	case executor.Event_KILL:
		e.kill(ctx, ev.GetKill())
	case executor.Event_ACKNOWLEDGED:
		a := ev.GetAcknowledged()
		delete(e.unackTasks, a.GetTaskID().Value)
		for i, p := range e.unacked {
			if string(p.upd.Status.UUID) == string(a.GetUUID()) {
				e.unacked = append(e.unacked[:i], e.unacked[i+1:]...)
				break
			}
		}
		if e.terminal != nil && string(a.GetUUID()) == string(e.terminal) {
			e.termAcked = true
		}
	case executor.Event_MESSAGE:
		e.log.Info("message from the framework ignored", "bytes", len(ev.GetMessage().GetData()))
	case executor.Event_SHUTDOWN:
		e.log.Info("shutdown requested")
		e.shutdown = true
		if e.task != nil && e.terminal == nil {
			grace := e.cfg.Env.ExecutorShutdownGracePeriod
			e.startKill(ctx, grace/2, grace*4/5)
		}
	case executor.Event_ERROR:
		e.log.Error("agent error", "message", ev.GetError().GetMessage())
		return fmt.Errorf("%w: %s", errAbort, ev.GetError().GetMessage())
	case executor.Event_HEARTBEAT:
	default:
		e.log.Warn("unknown event ignored", "type", ev.GetType().String())
	}
	e.absorb()
	return nil
}

// malformed says what an event lacks that its type needs: its body, or the IDs in it ("" when
// it is well-formed). Such an event is logged and ignored.
func malformed(ev *executor.Event) string {
	switch ev.GetType() {
	case executor.Event_SUBSCRIBED:
		if ev.GetSubscribed() == nil {
			return "no body"
		}
	case executor.Event_LAUNCH:
		if ev.GetLaunch() == nil {
			return "no body"
		}
		if t := ev.GetLaunch().GetTask(); t.GetTaskID().Value == "" {
			return "no task ID"
		}
	case executor.Event_LAUNCH_GROUP:
		if ev.GetLaunchGroup() == nil {
			return "no body"
		}
		if g := ev.GetLaunchGroup().GetTaskGroup(); len(g.GetTasks()) == 0 {
			return "no tasks"
		}
	case executor.Event_KILL:
		if ev.GetKill() == nil {
			return "no body"
		}
		if ev.GetKill().GetTaskID().Value == "" {
			return "no task ID"
		}
	case executor.Event_ACKNOWLEDGED:
		if ev.GetAcknowledged() == nil {
			return "no body"
		}
		if a := ev.GetAcknowledged(); a.GetTaskID().Value == "" || len(a.GetUUID()) == 0 {
			return "no task ID or UUID"
		}
	case executor.Event_MESSAGE:
		if ev.GetMessage() == nil {
			return "no body"
		}
	case executor.Event_ERROR:
		if ev.GetError() == nil {
			return "no body"
		}
	}
	return ""
}

func (e *exec) launch(ctx context.Context, info mesos.TaskInfo) {
	if e.taskInfo != nil {
		if e.taskInfo.TaskID.Value == info.TaskID.Value {
			return // a replay of our own task
		}
		e.refuse(info, fmt.Sprintf("cassmesos-executor already runs task %s; one task per executor", e.taskInfo.TaskID.Value))
		return
	}
	if e.shutdown {
		e.refuse(info, "executor is shutting down")
		return
	}
	e.taskInfo = &info
	e.unackTasks[info.TaskID.Value] = info
	log := e.log.With("task_id", info.TaskID.Value)
	log.Info("launching task", "name", info.Name)
	e.enqueue(info.TaskID, Status{State: mesos.TASK_STARTING})
	id := info.TaskID
	task, err := e.cfg.Launch(ctx, info, func(s Status) { e.enqueue(id, s) })
	if err != nil {
		log.Error("launch failed", "err", err)
		st := Status{State: mesos.TASK_FAILED, Message: err.Error()}
		if errors.Is(err, ErrInvalidTask) {
			st = Status{State: mesos.TASK_ERROR, Message: err.Error(), Reason: mesos.REASON_TASK_INVALID.Enum()}
		}
		e.enqueue(id, st)
		return
	}
	e.task = task
}

// refuse answers a task this executor will not run with TASK_ERROR.
func (e *exec) refuse(info mesos.TaskInfo, why string) {
	e.log.Warn("refusing task", "task_id", info.TaskID.Value, "why", why)
	e.unackTasks[info.TaskID.Value] = info
	e.enqueue(info.TaskID, Status{State: mesos.TASK_ERROR, Message: why, Reason: mesos.REASON_TASK_INVALID.Enum()})
}

func (e *exec) kill(ctx context.Context, k *executor.Event_Kill) {
	id := k.GetTaskID().Value
	if e.taskInfo == nil || e.taskInfo.TaskID.Value != id {
		e.log.Warn("KILL for a task this executor does not run", "task_id", id)
		return
	}
	if e.task == nil || e.terminal != nil {
		return // never started, or already over
	}
	var grace time.Duration
	if g := k.GetKillPolicy().GetGracePeriod(); g != nil {
		grace = time.Duration(g.GetNanoseconds())
	}
	e.startKill(ctx, grace, 0)
}

// startKill runs the task's stop sequence in the background; its terminal status comes back
// through the report queue. bound > 0 limits the whole sequence (SHUTDOWN).
func (e *exec) startKill(ctx context.Context, grace, bound time.Duration) {
	if e.killing {
		return
	}
	e.killing = true
	task, id := e.task, e.taskInfo.TaskID
	e.killPending = make(chan struct{})
	done := e.killPending
	go func() {
		defer close(done)
		kctx := context.WithoutCancel(ctx)
		if bound > 0 {
			var cancel context.CancelFunc
			kctx, cancel = context.WithTimeout(kctx, bound)
			defer cancel()
		}
		st := task.Kill(kctx, grace)
		e.enqueue(id, st)
	}()
}

// stopTask kills the task when the executor has to go without the agent.
func (e *exec) stopTask(ctx context.Context, why string) {
	if e.task == nil || e.terminal != nil {
		return
	}
	e.log.Warn("stopping the task", "why", why)
	e.startKill(ctx, 0, 0)
	<-e.killPending
	e.absorb()
}

func (e *exec) enqueue(id mesos.TaskID, s Status) {
	e.qmu.Lock()
	e.queue = append(e.queue, s)
	e.queueID = append(e.queueID, id)
	e.qmu.Unlock()
	select {
	case e.signal <- struct{}{}:
	default:
	}
}

// absorb turns queued reports into pending updates (with fresh UUIDs).
func (e *exec) absorb() {
	e.qmu.Lock()
	q, ids := e.queue, e.queueID
	e.queue, e.queueID = nil, nil
	e.qmu.Unlock()
	for i, s := range q {
		if e.taskInfo != nil && ids[i].Value == e.taskInfo.TaskID.Value && e.terminal != nil {
			continue // nothing after the terminal update
		}
		st := mesos.TaskStatus{
			TaskID:     ids[i],
			State:      s.State.Enum(),
			Source:     mesos.SOURCE_EXECUTOR.Enum(),
			ExecutorID: &mesos.ExecutorID{Value: e.executorID.Value},
			UUID:       newUUID(),
			Healthy:    s.Healthy,
			Reason:     s.Reason,
			Timestamp:  ptr(float64(time.Now().UnixNano()) / 1e9),
		}
		if s.Message != "" {
			st.Message = ptr(s.Message)
		}
		if len(s.Labels) > 0 {
			st.Labels = &mesos.Labels{Labels: s.Labels}
		}
		if e.taskInfo != nil && ids[i].Value == e.taskInfo.TaskID.Value && isTerminal(s.State) {
			e.terminal = st.UUID
			e.terminalAt = time.Now()
		}
		e.log.Info("status update", "task_id", ids[i].Value, "state", s.State.String(), "healthy", fmtBool(s.Healthy),
			"labels", labelString(s.Labels))
		e.unacked = append(e.unacked, &pendingUpdate{upd: executor.Call_Update{Status: st}})
	}
}

func (e *exec) sendUnsent(ctx context.Context) {
	if !e.connected {
		return
	}
	for _, p := range e.unacked {
		if p.sent {
			continue
		}
		_ = failpoint.Inject("executor/before-update")
		resp, err := e.sender.Send(ctx, calls.NonStreaming(calls.Update(p.upd.Status)))
		if resp != nil {
			resp.Close()
		}
		if err != nil {
			e.log.Warn("UPDATE failed; will resend", "err", err)
			return // keep the order: later updates wait
		}
		p.sent = true
	}
}

func (e *exec) unacknowledgedTasks() []mesos.TaskInfo {
	out := make([]mesos.TaskInfo, 0, len(e.unackTasks))
	for _, t := range e.unackTasks {
		out = append(out, t)
	}
	return out
}

func (e *exec) unacknowledgedUpdates() []executor.Call_Update {
	out := make([]executor.Call_Update, 0, len(e.unacked))
	for _, p := range e.unacked {
		out = append(out, p.upd)
	}
	return out
}

func isTerminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TASK_FINISHED, mesos.TASK_FAILED, mesos.TASK_KILLED, mesos.TASK_ERROR, mesos.TASK_DROPPED, mesos.TASK_GONE:
		return true
	}
	return false
}

func newUUID() []byte {
	u := uuid.New()
	return u[:]
}

func ptr[T any](v T) *T { return &v }

func fmtBool(b *bool) string {
	if b == nil {
		return "-"
	}
	return fmt.Sprint(*b)
}

func labelString(ls []mesos.Label) string {
	s := ""
	for _, l := range ls {
		if s != "" {
			s += ","
		}
		s += l.Key + "=" + l.GetValue()
	}
	return s
}
