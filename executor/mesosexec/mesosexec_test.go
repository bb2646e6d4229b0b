package mesosexec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
	"github.com/mesos/mesos-go/api/v1/lib/executor/config"
)

type fakeTask struct {
	mu     sync.Mutex
	report func(Status)
	kills  []time.Duration
}

func (f *fakeTask) Kill(_ context.Context, grace time.Duration) Status {
	f.mu.Lock()
	f.kills = append(f.kills, grace)
	f.mu.Unlock()
	return Status{State: mesos.TASK_KILLED, Message: "drained and stopped"}
}

func (f *fakeTask) killCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.kills)
}

type harness struct {
	agent  *fakeAgent
	task   *fakeTask
	done   chan error
	cancel context.CancelFunc
}

func startExec(t *testing.T, checkpoint bool, launchErr error) *harness {
	t.Helper()
	return startExecWith(t, checkpoint, launchErr, nil)
}

func startExecWith(t *testing.T, checkpoint bool, launchErr error, edit func(*Config)) *harness {
	t.Helper()
	h := &harness{agent: newFakeAgent(t), task: &fakeTask{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	t.Cleanup(cancel)
	cfg := Config{
		Env: config.Config{FrameworkID: "fw-1", ExecutorID: "exec-1", AgentEndpoint: h.agent.endpoint(),
			ExecutorShutdownGracePeriod: 5 * time.Second, Checkpoint: checkpoint,
			RecoveryTimeout: 3 * time.Second, SubscriptionBackoffMax: 200 * time.Millisecond},
		Launch: func(ctx context.Context, info mesos.TaskInfo, report func(Status)) (Task, error) {
			if launchErr != nil {
				return nil, launchErr
			}
			h.task.mu.Lock()
			h.task.report = report
			h.task.mu.Unlock()
			report(Status{State: mesos.TASK_RUNNING, Healthy: ptr(false), Labels: []mesos.Label{{Key: "mode", Value: ptr("STARTING")}}})
			return h.task, nil
		},
		AckWait:        2 * time.Second,
		ResendInterval: 50 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	go func() { h.done <- Run(ctx, cfg) }()
	waitFor(t, "SUBSCRIBE", func() bool { return h.agent.subscribeCount() == 1 })
	return h
}

func (h *harness) report(s Status) {
	h.task.mu.Lock()
	r := h.task.report
	h.task.mu.Unlock()
	r(s)
}

func (h *harness) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("executor did not exit")
		return nil
	}
}

func launchEvent(id string) *executor.Event {
	return &executor.Event{Type: executor.Event_LAUNCH, Launch: &executor.Event_Launch{Task: mesos.TaskInfo{
		Name: "node-0", TaskID: mesos.TaskID{Value: id}, AgentID: mesos.AgentID{Value: "agent-1"}}}}
}

func TestLaunchReportKill(t *testing.T) {
	h := startExec(t, true, nil)
	h.agent.send(launchEvent("t1"))
	waitFor(t, "RUNNING", func() bool { return len(h.agent.updates("t1")) == 2 })
	h.report(Status{State: mesos.TASK_RUNNING, Healthy: ptr(true), Labels: []mesos.Label{
		{Key: "mode", Value: ptr("NORMAL")}, {Key: "host_id", Value: ptr("abc")}}})
	waitFor(t, "healthy update", func() bool { return len(h.agent.updates("t1")) == 3 })

	// Unknown events, MESSAGE and HEARTBEAT are ignored; a second task and a task group are refused.
	h.agent.send(&executor.Event{Type: executor.Event_Type(77)})
	h.agent.send(&executor.Event{Type: executor.Event_MESSAGE, Message: &executor.Event_Message{Data: []byte("hi")}})
	h.agent.send(&executor.Event{Type: executor.Event_HEARTBEAT})
	h.agent.send(launchEvent("t2"))
	h.agent.send(&executor.Event{Type: executor.Event_LAUNCH_GROUP, LaunchGroup: &executor.Event_LaunchGroup{
		TaskGroup: mesos.TaskGroupInfo{Tasks: []mesos.TaskInfo{{TaskID: mesos.TaskID{Value: "g1"}}}}}})
	h.agent.send(launchEvent("t1")) // a replay of the running task changes nothing
	waitFor(t, "refusals", func() bool { return len(h.agent.updates("t2")) == 1 && len(h.agent.updates("g1")) == 1 })
	for _, id := range []string{"t2", "g1"} {
		u := h.agent.updates(id)[0]
		if u.GetState() != mesos.TASK_ERROR || u.GetReason() != mesos.REASON_TASK_INVALID || !strings.Contains(u.GetMessage(), "one task") {
			t.Errorf("%s: %v", id, u)
		}
	}

	h.agent.send(&executor.Event{Type: executor.Event_KILL, Kill: &executor.Event_Kill{TaskID: mesos.TaskID{Value: "t1"},
		KillPolicy: &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: int64(7 * time.Second)}}}})
	if err := h.wait(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := states(h.agent.updates("t1"))
	want := []string{"TASK_STARTING", "TASK_RUNNING", "TASK_RUNNING", "TASK_KILLED"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("updates %v, want %v", got, want)
	}
	u := h.agent.updates("t1")
	if !u[2].GetHealthy() || labelString(u[2].GetLabels().Labels) != "mode=NORMAL,host_id=abc" || u[2].GetExecutorID().Value != "exec-1" {
		t.Errorf("running update = %v", u[2])
	}
	if h.task.kills[0] != 7*time.Second {
		t.Errorf("kill grace %v", h.task.kills)
	}
}

func TestResubscribeResendsUnacknowledged(t *testing.T) {
	h := startExec(t, true, nil)
	h.agent.setAutoAck(false)
	h.agent.send(launchEvent("t1"))
	waitFor(t, "RUNNING", func() bool { return len(h.agent.updates("t1")) == 2 })
	h.agent.setRefuse(true)
	h.agent.disconnect()
	// An update made while disconnected is kept for the next SUBSCRIBE.
	h.report(Status{State: mesos.TASK_RUNNING, Healthy: ptr(true)})
	waitFor(t, "a refused SUBSCRIBE", func() bool { return h.agent.attemptCount() >= 2 })
	h.agent.setRefuse(false)
	waitFor(t, "re-SUBSCRIBE", func() bool { return h.agent.subscribeCount() >= 2 })
	sub := h.agent.lastSubscribe().Subscribe
	if len(sub.UnacknowledgedTasks) != 1 || sub.UnacknowledgedTasks[0].TaskID.Value != "t1" {
		t.Errorf("unacknowledged tasks = %v", sub.UnacknowledgedTasks)
	}
	var st []string
	for _, u := range sub.UnacknowledgedUpdates {
		st = append(st, u.Status.GetState().String())
	}
	if strings.Join(st, " ") != "TASK_STARTING TASK_RUNNING TASK_RUNNING" {
		t.Errorf("unacknowledged updates = %v", st)
	}
	// Acknowledge everything, then kill: the executor exits after the terminal ack.
	for _, u := range sub.UnacknowledgedUpdates {
		h.agent.send(ack(u.Status))
	}
	h.agent.setAutoAck(true)
	h.agent.send(&executor.Event{Type: executor.Event_KILL, Kill: &executor.Event_Kill{TaskID: mesos.TaskID{Value: "t1"}}})
	if err := h.wait(t); err != nil {
		t.Fatal(err)
	}
	if h.task.kills[0] != 0 {
		t.Errorf("grace without a kill policy = %v", h.task.kills[0])
	}
}

func TestTaskFailsOnItsOwn(t *testing.T) {
	h := startExec(t, true, nil)
	h.agent.send(launchEvent("t1"))
	waitFor(t, "RUNNING", func() bool { return len(h.agent.updates("t1")) == 2 })
	h.report(Status{State: mesos.TASK_FAILED, Message: "cassandra exited on its own (exit status 3)"})
	h.report(Status{State: mesos.TASK_RUNNING}) // nothing after a terminal update
	if err := h.wait(t); err != nil {
		t.Fatal(err)
	}
	u := h.agent.updates("t1")
	if len(u) != 3 || u[2].GetState() != mesos.TASK_FAILED || !strings.Contains(u[2].GetMessage(), "exit status 3") {
		t.Errorf("updates = %v", states(u))
	}
	if h.task.killCount() != 0 {
		t.Error("killed a failed task")
	}
}

func TestShutdown(t *testing.T) {
	h := startExec(t, true, nil)
	h.agent.send(launchEvent("t1"))
	waitFor(t, "RUNNING", func() bool { return len(h.agent.updates("t1")) == 2 })
	h.agent.send(&executor.Event{Type: executor.Event_SHUTDOWN})
	if err := h.wait(t); err != nil {
		t.Fatal(err)
	}
	if u := h.agent.updates("t1"); u[len(u)-1].GetState() != mesos.TASK_KILLED {
		t.Errorf("updates = %v", states(u))
	}
	if h.task.kills[0] != 2500*time.Millisecond {
		t.Errorf("shutdown grace = %v", h.task.kills[0])
	}
}

func TestShutdownWithoutTask(t *testing.T) {
	h := startExec(t, true, nil)
	h.agent.send(&executor.Event{Type: executor.Event_SHUTDOWN})
	if err := h.wait(t); err != nil {
		t.Fatal(err)
	}
}

func TestLaunchErrors(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want mesos.TaskState
	}{
		{fmt.Errorf("%w: TaskInfo.data: not a NodeTaskConfig", ErrInvalidTask), mesos.TASK_ERROR},
		{errors.New("no bin/cassandra in the sandbox"), mesos.TASK_FAILED},
	} {
		h := startExec(t, true, tt.err)
		h.agent.send(launchEvent("t1"))
		if err := h.wait(t); err != nil {
			t.Fatal(err)
		}
		u := h.agent.updates("t1")
		if len(u) != 2 || u[1].GetState() != tt.want || u[1].GetMessage() != tt.err.Error() {
			t.Errorf("%v: updates %v", tt.err, u)
		}
	}
}

func TestLostAgentWithoutCheckpointKillsTask(t *testing.T) {
	h := startExec(t, false, nil)
	h.agent.send(launchEvent("t1"))
	waitFor(t, "RUNNING", func() bool { return len(h.agent.updates("t1")) == 2 })
	h.agent.disconnect()
	if err := h.wait(t); err == nil || !strings.Contains(err.Error(), "checkpointing is off") {
		t.Fatalf("Run: %v", err)
	}
	if h.task.killCount() != 1 {
		t.Error("task left running")
	}
}

func TestRecoveryTimeoutKillsTask(t *testing.T) {
	h := startExec(t, true, nil)
	h.agent.send(launchEvent("t1"))
	waitFor(t, "RUNNING", func() bool { return len(h.agent.updates("t1")) == 2 })
	h.agent.setRefuse(true)
	h.agent.disconnect()
	start := time.Now()
	if err := h.wait(t); !errors.Is(err, ErrRecoveryTimeout) {
		t.Fatalf("Run: %v", err)
	}
	if el := time.Since(start); el < 3*time.Second {
		t.Errorf("gave up after %v, before the recovery timeout", el)
	}
	if h.task.killCount() != 1 || h.agent.attemptCount() < 3 {
		t.Errorf("kills=%d subscribe attempts=%d", h.task.killCount(), h.agent.attemptCount())
	}
}

func TestCancelKillsTask(t *testing.T) {
	h := startExec(t, true, nil)
	h.agent.send(launchEvent("t1"))
	waitFor(t, "RUNNING", func() bool { return len(h.agent.updates("t1")) == 2 })
	h.cancel()
	if err := h.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if h.task.killCount() != 1 {
		t.Error("task left running")
	}
}

// Issue 17 item 6: a restarted agent gives the executor --executor_reregistration_timeout (2s) to
// re-subscribe. With MESOS_SUBSCRIPTION_BACKOFF_MAX at its default 2s the executor used to retry
// every 1.5s; now it re-subscribes at once after the drop, then every 100ms doubling up to 500ms.
func TestResubscribesQuicklyAfterAgentRestart(t *testing.T) {
	h := startExecWith(t, true, nil, func(c *Config) { c.Env.SubscriptionBackoffMax = 2 * time.Second })
	h.agent.send(launchEvent("t1"))
	waitFor(t, "RUNNING", func() bool { return len(h.agent.updates("t1")) == 2 })
	h.agent.setRefuse(true) // the agent is restarting: 503 "Agent has not finished recovery"
	dropped := time.Now()
	h.agent.disconnect()
	waitFor(t, "attempts for 1.2s", func() bool { return h.agent.attemptCount() >= 6 })
	h.agent.setRefuse(false)
	back := time.Now()
	waitFor(t, "re-SUBSCRIBE", func() bool { return h.agent.subscribeCount() >= 2 })
	resubscribed := time.Now()

	h.agent.mu.Lock()
	at := append([]time.Time(nil), h.agent.attemptAt...)
	h.agent.mu.Unlock()
	if d := at[1].Sub(dropped); d > 100*time.Millisecond {
		t.Errorf("first re-SUBSCRIBE %s after the drop, want at once", d)
	}
	for i := 2; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap > 650*time.Millisecond {
			t.Errorf("gap of %s between attempts %d and %d, want <= 500ms", gap, i-1, i)
		}
	}
	if d := at[5].Sub(dropped); d > 2*time.Second {
		t.Errorf("5 re-SUBSCRIBE attempts took %s, want well inside the 2s window", d)
	}
	if d := resubscribed.Sub(back); d > 700*time.Millisecond {
		t.Errorf("re-subscribed %s after the agent came back, want <= 500ms", d)
	}
	t.Logf("attempts after the drop at %v; re-subscribed %s after the agent came back", offsets(at[1:], dropped), resubscribed.Sub(back).Round(time.Millisecond))
	sub := h.agent.lastSubscribe().Subscribe
	if len(sub.UnacknowledgedTasks) != 0 {
		t.Errorf("unacknowledged tasks = %v (all were acknowledged)", sub.UnacknowledgedTasks)
	}
}

func offsets(ts []time.Time, from time.Time) []time.Duration {
	out := make([]time.Duration, len(ts))
	for i, x := range ts {
		out[i] = x.Sub(from).Round(time.Millisecond)
	}
	return out
}
