package mesossim

import (
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
)

// The test plays the executor over raw HTTP: SUBSCRIBED then LAUNCH,
// ACKNOWLEDGED for every update (duplicates included), duplicates not
// forwarded, a second SUBSCRIBE replacing the first stream, and
// unacknowledged updates replayed.
func TestExecutorAPIRaw(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	s := startSched(t, sim, frameworkInfo("raw-exec", 60), nil, mediaProtobuf)
	fwID := s.waitSubscribed(0)
	o := s.waitOffer(0, "any", anyOffer)
	ex := &mesos.ExecutorInfo{Type: mesos.ExecutorInfo_CUSTOM, ExecutorID: mesos.ExecutorID{Value: "raw"}, Command: &mesos.CommandInfo{Value: proto.String("sleep 30")}}
	m := s.mark()
	s.mustCall(launch(o, customTask("raw-task", o, ex, "")))
	eventually(t, 5*time.Second, "executor launched", func() bool { return len(sim.State().Agents[0].Executors) == 1 })
	url := "http://" + sim.Agents()[0].Endpoint + "/api/v1/executor"
	fid, eid := mesos.FrameworkID{Value: fwID}, mesos.ExecutorID{Value: "raw"}

	subscribe := func(media string, updates ...executor.Call_Update) *rawStream {
		c := &executor.Call{Type: executor.Call_SUBSCRIBE, FrameworkID: fid, ExecutorID: eid, Subscribe: &executor.Call_Subscribe{UnacknowledgedUpdates: updates}}
		resp, body := post(t, url, media, media, marshalCall(t, media, c), nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != media || resp.Header.Get("Mesos-Stream-Id") != "" {
			t.Fatalf("executor SUBSCRIBE: %d %q %v", resp.StatusCode, body, resp.Header)
		}
		return newRawStream(t, resp)
	}
	nextExec := func(rs *rawStream) *executor.Event {
		t.Helper()
		select {
		case b, ok := <-rs.ch:
			if !ok {
				return nil
			}
			var e executor.Event
			var err error
			if rs.media == mediaJSON {
				err = e.UnmarshalJSON(b)
			} else {
				err = e.Unmarshal(b)
			}
			if err != nil {
				t.Fatal(err)
			}
			return &e
		case <-time.After(5 * time.Second):
			t.Fatal("no executor event")
		}
		return nil
	}
	rs := subscribe(mediaJSON)
	e := nextExec(rs)
	if e.Type != executor.Event_SUBSCRIBED || e.Subscribed.AgentInfo.Hostname != "127.0.0.2" || e.Subscribed.FrameworkInfo.ID.GetValue() != fwID || e.Subscribed.ContainerID == nil {
		t.Fatalf("first executor event %s %+v", e.Type, e.Subscribed)
	}
	if e := nextExec(rs); e.Type != executor.Event_LAUNCH || e.Launch.Task.TaskID.Value != "raw-task" {
		t.Fatalf("second executor event %s", e.Type)
	}
	u := []byte("0123456789abcdef")
	running := mesos.TaskStatus{TaskID: mesos.TaskID{Value: "raw-task"}, State: mesos.TASK_RUNNING.Enum(), Source: mesos.SOURCE_EXECUTOR.Enum(), UUID: u}
	update := marshalCall(t, mediaProtobuf, &executor.Call{Type: executor.Call_UPDATE, FrameworkID: fid, ExecutorID: eid, Update: &executor.Call_Update{Status: running}})
	for i := 0; i < 2; i++ {
		if resp, body := post(t, url, mediaProtobuf, "", update, nil); resp.StatusCode != 202 {
			t.Fatalf("UPDATE: %d %q", resp.StatusCode, body)
		}
		if e := nextExec(rs); e.Type != executor.Event_ACKNOWLEDGED || string(e.Acknowledged.UUID) != string(u) {
			t.Fatalf("want ACKNOWLEDGED, got %s", e.Type)
		}
	}
	s.waitUpdate(m, "raw-task", mesos.TASK_RUNNING)
	// The acknowledged update is not delivered again.
	eventually(t, 5*time.Second, "RUNNING acknowledged", func() bool {
		_, ok := sim.agents[0].streamPending(fwID, "raw-task")
		return !ok
	})
	count := 0
	for _, e := range s.eventsFrom(m) {
		if e.Type == scheduler.Event_UPDATE && e.Update.Status.GetState() == mesos.TASK_RUNNING {
			count++
		}
	}
	if count != 1 {
		t.Errorf("RUNNING delivered %d times, want once", count)
	}

	// A second subscription closes the first and replays unacknowledged updates.
	fin := mesos.TaskStatus{TaskID: mesos.TaskID{Value: "raw-task"}, State: mesos.TASK_FINISHED.Enum(), Source: mesos.SOURCE_EXECUTOR.Enum(), UUID: []byte("fedcba9876543210")}
	rs2 := subscribe(mediaProtobuf, executor.Call_Update{Status: fin})
	for e := nextExec(rs); e != nil; e = nextExec(rs) {
	}
	if e := nextExec(rs2); e.Type != executor.Event_SUBSCRIBED {
		t.Fatalf("re-subscribe: %s", e.Type)
	}
	if e := nextExec(rs2); e.Type != executor.Event_ACKNOWLEDGED {
		t.Fatalf("replayed update: %s", e.Type)
	}
	s.waitUpdate(m, "raw-task", mesos.TASK_FINISHED)

	// Scheduler MESSAGE reaches the executor; SHUTDOWN sends SHUTDOWN.
	s.mustCall(&scheduler.Call{Type: scheduler.Call_MESSAGE, FrameworkID: &fid, Message: &scheduler.Call_Message{AgentID: o.AgentID, ExecutorID: eid, Data: []byte("hi")}})
	if e := nextExec(rs2); e.Type != executor.Event_MESSAGE || string(e.Message.Data) != "hi" {
		t.Fatalf("want MESSAGE, got %s", e.Type)
	}
	s.mustCall(&scheduler.Call{Type: scheduler.Call_SHUTDOWN, FrameworkID: &fid, Shutdown: &scheduler.Call_Shutdown{AgentID: o.AgentID, ExecutorID: eid}})
	if e := nextExec(rs2); e.Type != executor.Event_SHUTDOWN {
		t.Fatalf("want SHUTDOWN, got %s", e.Type)
	}
	// The process ignores it (it is `sleep 30`): it is killed after the grace period.
	e2 := s.waitEvent(m, 10*time.Second, "FAILURE", func(e *scheduler.Event) bool { return e.Type == scheduler.Event_FAILURE })
	if e2.Failure.GetStatus() != 9 {
		t.Errorf("FAILURE status %d, want SIGKILL (9)", e2.Failure.GetStatus())
	}
}
