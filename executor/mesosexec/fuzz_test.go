package mesosexec

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/framing"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
	"github.com/mesos/mesos-go/api/v1/lib/executor/config"
	"github.com/mesos/mesos-go/api/v1/lib/recordio"
)

// FuzzExecutorEvents decodes the fuzzer's bytes as the agent's RecordIO-framed stream of
// protobuf executor events (decodeEvent: mesos-go's decoders panic on some input, which must end
// the connection, not the executor) and hands them to the executor. With the first byte even, each event
// goes through handle on its own and is checked: a malformed event (malformed() names what it
// lacks) changes nothing; an ERROR event ends the stream with errAbort; at most one task is ever
// launched, and only one with a task ID; every status update queued names a task and has a UUID.
// With it odd, the whole stream goes through serve, the executor's event loop (which must end,
// with the decoder's error, errAbort or nil). The task is a fake (a launch named "fail" fails)
// and there is no agent to send updates to. Nothing may panic.
func FuzzExecutorEvents(f *testing.F) {
	grace := int64(time.Second)
	events := []executor.Event{
		{Type: executor.Event_SUBSCRIBED, Subscribed: &executor.Event_Subscribed{ExecutorInfo: mesos.ExecutorInfo{ExecutorID: mesos.ExecutorID{Value: "exec-2"}},
			FrameworkInfo: mesos.FrameworkInfo{Name: "fw"}, AgentInfo: mesos.AgentInfo{Hostname: "h1"}}},
		{Type: executor.Event_LAUNCH, Launch: &executor.Event_Launch{Task: mesos.TaskInfo{Name: "demo-0", TaskID: mesos.TaskID{Value: "t1"},
			AgentID: mesos.AgentID{Value: "a1"}}}},
		{Type: executor.Event_LAUNCH, Launch: &executor.Event_Launch{Task: mesos.TaskInfo{Name: "fail", TaskID: mesos.TaskID{Value: "t2"},
			AgentID: mesos.AgentID{Value: "a1"}}}},
		{Type: executor.Event_LAUNCH_GROUP, LaunchGroup: &executor.Event_LaunchGroup{TaskGroup: mesos.TaskGroupInfo{Tasks: []mesos.TaskInfo{
			{Name: "g", TaskID: mesos.TaskID{Value: "t3"}, AgentID: mesos.AgentID{Value: "a1"}}}}}},
		{Type: executor.Event_KILL, Kill: &executor.Event_Kill{TaskID: mesos.TaskID{Value: "t1"},
			KillPolicy: &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: grace}}}},
		{Type: executor.Event_ACKNOWLEDGED, Acknowledged: &executor.Event_Acknowledged{TaskID: mesos.TaskID{Value: "t1"}, UUID: []byte("0123456789abcdef")}},
		{Type: executor.Event_MESSAGE, Message: &executor.Event_Message{Data: []byte("x")}},
		{Type: executor.Event_SHUTDOWN},
		{Type: executor.Event_HEARTBEAT},
		{Type: executor.Event_ERROR, Error: &executor.Event_Error{Message: "boom"}},
	}
	for _, tail := range [][]executor.Event{events, events[1:2], {events[1], events[4]}, {events[1], events[7]}, {events[0], events[2], events[5]}} {
		var stream bytes.Buffer
		w := recordio.NewWriter(&stream)
		for _, e := range tail {
			b, err := e.Marshal()
			if err != nil {
				f.Fatal(err)
			}
			if err := w.WriteFrame(b); err != nil {
				f.Fatal(err)
			}
		}
		f.Add(append([]byte{0}, stream.Bytes()...))
		f.Add(append([]byte{1}, stream.Bytes()...))
	}
	for _, typ := range executor.Event_Type_value {
		b, err := (&executor.Event{Type: executor.Event_Type(typ)}).Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{0, byte('0' + len(b))}, append([]byte("\n"), b...)...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		var launches atomic.Int32
		e := &exec{
			cfg: Config{Launch: func(_ context.Context, info mesos.TaskInfo, report func(Status)) (Task, error) {
				launches.Add(1)
				if info.GetName() == "fail" {
					return nil, errors.New("fuzz: launch failed")
				}
				report(Status{State: mesos.TASK_RUNNING})
				return &fakeTask{}, nil
			}, ResendInterval: time.Hour, AckWait: time.Hour, Env: fuzzEnv()},
			log:        slog.New(slog.DiscardHandler),
			signal:     make(chan struct{}, 1),
			executorID: mesos.ExecutorID{Value: "exec-1"},
			unackTasks: map[string]mesos.TaskInfo{},
		}
		r := recordio.NewReader(bytes.NewReader(data[1:]), recordio.MaxMessageSize(1<<20))
		dec := codecs.ByMediaType[codecs.MediaTypeProtobuf].NewDecoder(func() framing.Reader { return r })
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		defer func() {
			if e.killPending != nil {
				<-e.killPending
			}
		}()
		if data[0]%2 == 1 {
			err := e.serve(ctx, dec)
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("serve did not end: %v", err)
			}
			checkExec(t, e, launches.Load())
			return
		}
		for range 32 {
			var ev executor.Event
			if err := decodeEvent(dec, &ev); err != nil {
				return // the stream ends at its first undecodable frame
			}
			type snap struct {
				launches          int32
				task              string
				unacked, unackTsk int
				executorID        string
			}
			take := func() snap {
				s := snap{launches: launches.Load(), unacked: len(e.unacked), unackTsk: len(e.unackTasks), executorID: e.executorID.Value}
				if e.taskInfo != nil {
					s.task = e.taskInfo.TaskID.Value
				}
				return s
			}
			before := take()
			err := e.handle(ctx, &ev)
			if why := malformed(&ev); why != "" {
				if err != nil {
					t.Fatalf("a malformed %s (%s) ended the stream: %v", ev.GetType(), why, err)
				}
				if after := take(); after != before {
					t.Fatalf("a malformed %s (%s) was acted on: %+v, was %+v", ev.GetType(), why, after, before)
				}
			}
			checkExec(t, e, launches.Load())
			if err != nil {
				if !errors.Is(err, errAbort) || ev.GetType() != executor.Event_ERROR {
					t.Fatalf("handle(%s): %v", ev.GetType(), err)
				}
				return
			}
		}
	})
}

func fuzzEnv() (c config.Config) {
	c.ExecutorShutdownGracePeriod = 2 * time.Second
	return c
}

// checkExec checks what the executor holds after some events.
func checkExec(t *testing.T, e *exec, launches int32) {
	t.Helper()
	if launches > 1 {
		t.Fatalf("%d tasks launched; one executor runs one task", launches)
	}
	if e.taskInfo != nil && e.taskInfo.TaskID.Value == "" {
		t.Fatal("a task without an ID was launched")
	}
	e.absorb()
	for _, p := range e.unacked {
		st := p.upd.Status
		if st.TaskID.Value == "" || len(st.UUID) == 0 {
			t.Fatalf("a status update without a task ID or UUID: %v", st)
		}
		if strings.TrimSpace(st.GetState().String()) == "" {
			t.Fatalf("a status update without a state: %v", st)
		}
	}
}
