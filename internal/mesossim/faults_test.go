package mesossim

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/extras/store"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// runTask launches a test-executor task on agent `agent` and waits for RUNNING.
func runTask(t *testing.T, sched *testSched, agentID, taskID, execID, data string) mesos.TaskStatus {
	t.Helper()
	o := sched.freshOffer("on "+agentID, onAgent(agentID))
	m := sched.mark()
	sched.mustCall(launch(o, customTask(taskID, o, executorInfo(execID), data)))
	return sched.waitUpdate(m, taskID, mesos.TASK_RUNNING)
}

// Done when: a partitioned agent's task goes TASK_UNREACHABLE and comes back
// after the heal; a lost agent's task goes TASK_GONE after the timeout.
func TestPartitionHealAndGone(t *testing.T) {
	sim := startSim(t, fastConfig(t, 2))
	pa := startSched(t, sim, frameworkInfo("pa", 60, mesos.FrameworkInfo_Capability_PARTITION_AWARE), nil, mediaProtobuf)
	pa.waitSubscribed(0)
	agents := sim.Agents()
	runTask(t, pa, agents[0].ID, "t-part", "e-part", `{"do":"run"}`)
	runTask(t, pa, agents[1].ID, "t-gone", "e-gone", `{"do":"run"}`)

	m := pa.mark()
	if err := sim.PartitionAgent(agents[0].ID); err != nil {
		t.Fatal(err)
	}
	st := pa.waitUpdate(m, "t-part", mesos.TASK_UNREACHABLE)
	if st.GetReason() != mesos.REASON_AGENT_REMOVED || st.GetSource() != mesos.SOURCE_MASTER || len(st.UUID) != 0 || st.UnreachableTime == nil {
		t.Errorf("unreachable update: reason %s source %s uuid %x unreachable_time %v", st.GetReason(), st.GetSource(), st.UUID, st.UnreachableTime)
	}
	pa.waitEvent(m, 5*time.Second, "FAILURE for the agent", func(e *scheduler.Event) bool {
		return e.Type == scheduler.Event_FAILURE && e.Failure.GetAgentID().GetValue() == agents[0].ID && e.Failure.ExecutorID == nil
	})
	// The task's process keeps running during the partition.
	if ex := sim.State().Agents[0].Executors; len(ex) != 1 {
		t.Fatalf("executors on the partitioned agent: %v", ex)
	}
	m = pa.mark()
	pa.mustCall(calls.Reconcile(calls.ReconcileTasks(map[string]string{"t-part": agents[0].ID})))
	pa.waitUpdate(m, "t-part", mesos.TASK_UNREACHABLE)
	if err := sim.HealAgent(agents[0].ID); err != nil {
		t.Fatal(err)
	}
	if st := pa.waitUpdate(m, "t-part", mesos.TASK_RUNNING); st.GetReason() != mesos.REASON_AGENT_REREGISTERED {
		t.Errorf("after heal: reason %s, want REASON_AGENT_REREGISTERED", st.GetReason())
	}

	// A killed agent: its processes die, the task goes UNREACHABLE then GONE.
	m = pa.mark()
	if err := sim.KillAgent(agents[1].ID); err != nil {
		t.Fatal(err)
	}
	pa.waitUpdate(m, "t-gone", mesos.TASK_UNREACHABLE)
	pa.waitUpdate(m, "t-gone", mesos.TASK_GONE)
	// Healing a removed agent brings it back as a new, empty agent.
	if err := sim.HealAgent(agents[1].Hostname); err != nil {
		t.Fatal(err)
	}
	a := sim.State().Agents[1]
	if a.ID == agents[1].ID || a.State != "registered" || len(a.Tasks) != 0 {
		t.Errorf("agent after heal of a removed agent: %+v", a)
	}
}

// Without PARTITION_AWARE the task is reported TASK_LOST.
func TestPartitionNotPartitionAware(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	s := startSched(t, sim, frameworkInfo("npa", 60), nil, mediaJSON)
	s.waitSubscribed(0)
	a := sim.Agents()[0]
	runTask(t, s, a.ID, "t", "e", `{"do":"run"}`)
	m := s.mark()
	if err := sim.PartitionAgent(a.ID); err != nil {
		t.Fatal(err)
	}
	if st := s.waitUpdate(m, "t", mesos.TASK_LOST); st.GetReason() != mesos.REASON_AGENT_REMOVED {
		t.Errorf("reason %s", st.GetReason())
	}
	m = s.mark()
	s.mustCall(calls.Reconcile(calls.ReconcileTasks(map[string]string{"unknown-task": a.ID})))
	s.waitUpdate(m, "unknown-task", mesos.TASK_LOST)
}

// Done when: a task with a plain command runs through the built-in command
// executor; URIs are fetched over HTTP and archives extracted.
func TestCommandExecutor(t *testing.T) {
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	script := "#!/bin/sh\necho \"$1\" > result.txt\n"
	_ = tw.WriteHeader(&tar.Header{Name: "bin/hello.sh", Mode: 0o755, Size: int64(len(script)), Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte(script))
	_ = tw.Close()
	_ = gz.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(tgz.Bytes()) }))
	defer srv.Close()

	sim := startSim(t, fastConfig(t, 1))
	s := startSched(t, sim, frameworkInfo("cmd", 60, mesos.FrameworkInfo_Capability_TASK_KILLING_STATE), nil, mediaJSON)
	s.waitSubscribed(0)
	cmdTask := func(o mesos.Offer, id, cmd string, uris ...mesos.CommandInfo_URI) mesos.TaskInfo {
		return mesos.TaskInfo{Name: id, TaskID: mesos.TaskID{Value: id}, AgentID: o.AgentID,
			Command:   &mesos.CommandInfo{Value: proto.String(cmd), URIs: uris},
			Resources: []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)}}
	}
	o := s.waitOffer(0, "any", anyOffer)
	m := s.mark()
	s.mustCall(calls.Accept(calls.OfferOperations{calls.OpLaunch(
		cmdTask(o, "ok", `bin/hello.sh hi && test "$(cat result.txt)" = hi && test -n "$MESOS_SANDBOX"`, mesos.CommandInfo_URI{Value: srv.URL + "/app.tgz"}),
		cmdTask(o, "bad", "exit 3"),
		cmdTask(o, "long", "sleep 60"),
	)}.WithOffers(o.ID)))
	s.waitUpdate(m, "ok", mesos.TASK_STARTING)
	s.waitUpdate(m, "ok", mesos.TASK_RUNNING)
	if st := s.waitUpdate(m, "ok", mesos.TASK_FINISHED); st.GetMessage() != "Command exited with status 0" {
		t.Errorf("FINISHED message %q", st.GetMessage())
	}
	if st := s.waitUpdate(m, "bad", mesos.TASK_FAILED); st.GetMessage() != "Command exited with status 3" {
		t.Errorf("FAILED message %q", st.GetMessage())
	}
	s.waitUpdate(m, "long", mesos.TASK_RUNNING)
	s.mustCall(calls.Kill("long", o.AgentID.Value))
	s.waitUpdate(m, "long", mesos.TASK_KILLING)
	s.waitUpdate(m, "long", mesos.TASK_KILLED)
	// Command executors produce no FAILURE event.
	for _, e := range s.eventsFrom(m) {
		if e.Type == scheduler.Event_FAILURE {
			t.Errorf("unexpected FAILURE for a command task: %+v", e.Failure)
		}
	}
}

// An executor that exits turns its tasks TASK_FAILED and produces FAILURE;
// so does the KillExecutor fault.
func TestExecutorExitAndKill(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	s := startSched(t, sim, frameworkInfo("crash", 60), nil, mediaProtobuf)
	fwID := s.waitSubscribed(0)
	a := sim.Agents()[0]
	for _, tc := range []struct {
		name, data string
		fault      func()
		status     int32
	}{
		{"ExecutorExits", `{"do":"exit"}`, nil, 3 << 8},
		{"KillExecutor", `{"do":"run"}`, func() {
			if err := sim.KillExecutor(fwID, "e-KillExecutor"); err != nil {
				t.Fatal(err)
			}
		}, int32(syscall.SIGKILL)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := s.mark()
			runTask(t, s, a.ID, "t-"+tc.name, "e-"+tc.name, tc.data)
			if tc.fault != nil {
				tc.fault()
			}
			st := s.waitUpdate(m, "t-"+tc.name, mesos.TASK_FAILED)
			if st.GetReason() != mesos.REASON_EXECUTOR_TERMINATED || st.GetSource() != mesos.SOURCE_AGENT || len(st.UUID) != 16 {
				t.Errorf("failed update: reason %s source %s uuid %x", st.GetReason(), st.GetSource(), st.UUID)
			}
			e := s.waitEvent(m, 5*time.Second, "FAILURE", func(e *scheduler.Event) bool {
				return e.Type == scheduler.Event_FAILURE && e.Failure.GetExecutorID().GetValue() == "e-"+tc.name
			})
			if e.Failure.GetStatus() != tc.status {
				t.Errorf("FAILURE status %d, want %d", e.Failure.GetStatus(), tc.status)
			}
		})
	}
}

// Status updates: one outstanding per task, retried until acknowledged (same
// UUID), later ones wait; dropped and delayed updates still arrive.
func TestStatusUpdateReliability(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	s := startSched(t, sim, frameworkInfo("rel", 60), nil, mediaProtobuf)
	s.waitSubscribed(0)
	a := sim.Agents()[0]
	s.noAck.Store(true)
	m := s.mark()
	o := s.waitOffer(0, "any", anyOffer)
	s.mustCall(launch(o, customTask("t1", o, executorInfo("e1"), `{"do":"finish"}`)))
	first := s.waitUpdate(m, "t1", mesos.TASK_RUNNING)
	n := 0
	s.waitEvent(m, 10*time.Second, "RUNNING retried", func(e *scheduler.Event) bool {
		if e.Type == scheduler.Event_UPDATE && e.Update.Status.GetState() == mesos.TASK_RUNNING {
			if !bytes.Equal(e.Update.Status.UUID, first.UUID) {
				t.Fatalf("retry with another uuid")
			}
			n++
		}
		return n >= 3
	})
	for _, e := range s.eventsFrom(m) {
		if e.Type == scheduler.Event_UPDATE && e.Update.Status.GetState() == mesos.TASK_FINISHED {
			t.Fatal("TASK_FINISHED delivered before TASK_RUNNING was acknowledged")
		}
	}
	m = s.mark()
	s.mustCall(calls.Acknowledge(a.ID, "t1", first.UUID))
	fin := s.waitUpdate(m, "t1", mesos.TASK_FINISHED)
	s.mustCall(calls.Acknowledge(a.ID, "t1", fin.UUID))
	eventually(t, 5*time.Second, "t1 gone from the agent", func() bool {
		for _, tk := range sim.State().Agents[0].Tasks {
			if tk.ID == "t1" {
				return false
			}
		}
		return true
	})
	s.noAck.Store(false)

	// Dropped updates arrive once the drop ends.
	sim.DropStatusUpdates(true)
	o = s.freshOffer("any", anyOffer)
	m = s.mark()
	s.mustCall(launch(o, customTask("t2", o, executorInfo("e2"), `{"do":"run"}`)))
	eventually(t, 10*time.Second, "t2 running on the agent", func() bool {
		for _, tk := range sim.State().Agents[0].Tasks {
			if tk.ID == "t2" && tk.State == "TASK_RUNNING" {
				return true
			}
		}
		return false
	})
	for _, e := range s.eventsFrom(m) {
		if e.Type == scheduler.Event_UPDATE {
			t.Fatal("update delivered while updates are dropped")
		}
	}
	sim.DropStatusUpdates(false)
	s.waitUpdate(m, "t2", mesos.TASK_RUNNING)

	// Delayed updates arrive late.
	sim.DelayStatusUpdates(500 * time.Millisecond)
	m = s.mark()
	start := time.Now()
	s.mustCall(calls.Kill("t2", a.ID))
	s.waitUpdate(m, "t2", mesos.TASK_KILLED)
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("delayed update arrived after %s, want >= 500ms", d)
	}
	sim.DelayStatusUpdates(0)
}

func TestStopHeartbeats(t *testing.T) {
	sim := startSim(t, fastConfig(t, 0))
	rs, _, _ := rawSubscribe(t, sim, mediaJSON, frameworkInfo("hb", 60))
	rs.nextOf(t, time.Second, scheduler.Event_HEARTBEAT)
	sim.StopHeartbeats(true)
	// Drain what may be in flight, then the stream stays open and silent.
	deadline := time.After(1200 * time.Millisecond)
	quiet := time.Now()
loop:
	for {
		select {
		case b, ok := <-rs.ch:
			if !ok {
				t.Fatal("stream closed")
			}
			if strings.Contains(string(b), "HEARTBEAT") && time.Since(quiet) > 400*time.Millisecond {
				t.Fatalf("heartbeat while stopped")
			}
		case <-deadline:
			break loop
		}
	}
	sim.StopHeartbeats(false)
	rs.nextOf(t, 2*time.Second, scheduler.Event_HEARTBEAT)
}

// Offers: declined resources come back only after the filter expires or on
// REVIVE; reservations go only to their role; an agent's offers are
// rescinded when it dies.
func TestOfferSemantics(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	s := startSched(t, sim, frameworkInfo("offers", 60), nil, mediaProtobuf)
	s.waitSubscribed(0)
	o := s.waitOffer(0, "any", anyOffer)

	m := s.mark()
	s.mustCall(calls.Decline(o.ID).With(calls.RefuseSeconds(time.Hour)))
	s.mustCall(calls.Suppress())
	s.mustCall(calls.Revive())
	o = s.waitOffer(m, "after REVIVE", anyOffer)

	m = s.mark()
	declined := time.Now()
	s.mustCall(calls.Decline(o.ID).With(calls.RefuseSeconds(500 * time.Millisecond)))
	s.waitOffer(m, "after the filter expires", anyOffer)
	if d := time.Since(declined); d < 500*time.Millisecond {
		t.Errorf("re-offered after %s, want >= 500ms", d)
	}

	// Reserve for "cass"; a framework of another role never sees it.
	o = s.freshOffer("to reserve", anyOffer)
	s.mustCall(calls.Accept(calls.OfferOperations{calls.OpReserve(reserved(scalar("cpus", 2), "cass", "cass-principal"))}.WithOffers(o.ID)).With(calls.RefuseSeconds(time.Hour)))
	eventually(t, 5*time.Second, "reservation applied", func() bool { return len(sim.State().Agents[0].Reservations) == 1 })
	other := frameworkInfo("other", 60)
	other.Role = proto.String("web")
	s2 := startSched(t, sim, other, nil, mediaJSON)
	s2.waitSubscribed(0)
	o2 := s2.waitOffer(0, "for web", anyOffer)
	for _, r := range o2.Resources {
		if r.GetRole() != "*" {
			t.Errorf("role web was offered %v", mesos.Resources{r})
		}
	}
	if cpus := resourcesJSON(o2.Resources)["cpus"].(float64); cpus != 2 {
		t.Errorf("web was offered %v cpus, want the 2 unreserved", cpus)
	}
	s.freshOffer("with the reservation", func(o mesos.Offer) bool {
		for _, r := range o.Resources {
			if r.GetRole() == "cass" && r.Reservation != nil {
				return true
			}
		}
		return false
	})

	// Offers of a dead agent are rescinded.
	m = s.mark()
	if err := sim.KillAgent(sim.Agents()[0].ID); err != nil {
		t.Fatal(err)
	}
	s.waitEvent(m, 5*time.Second, "RESCIND", func(e *scheduler.Event) bool { return e.Type == scheduler.Event_RESCIND })
}

// Invalid tasks get TASK_ERROR / TASK_DROPPED with the master's reasons.
func TestTaskValidation(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	s := startSched(t, sim, frameworkInfo("val", 60, mesos.FrameworkInfo_Capability_PARTITION_AWARE), nil, mediaProtobuf)
	s.waitSubscribed(0)
	unknownType := executorInfo("e-unknown")
	unknownType.Type = mesos.ExecutorInfo_UNKNOWN
	cases := []struct {
		name   string
		mutate func(*mesos.TaskInfo, mesos.Offer)
		state  mesos.TaskState
		reason mesos.TaskStatus_Reason
		msg    string
	}{
		{"NoResources", func(ti *mesos.TaskInfo, _ mesos.Offer) { ti.Resources = nil }, mesos.TASK_ERROR, mesos.REASON_TASK_INVALID, "Task uses no resources"},
		{"CommandAndExecutor", func(ti *mesos.TaskInfo, _ mesos.Offer) { ti.Command = &mesos.CommandInfo{Value: proto.String("true")} }, mesos.TASK_ERROR, mesos.REASON_TASK_INVALID, "at least one (but not both)"},
		{"ExecutorTypeUnknown", func(ti *mesos.TaskInfo, _ mesos.Offer) { ti.Executor = unknownType }, mesos.TASK_ERROR, mesos.REASON_TASK_INVALID, "'ExecutorInfo.type' must be 'CUSTOM'"},
		{"TooManyResources", func(ti *mesos.TaskInfo, _ mesos.Offer) { ti.Resources = []mesos.Resource{scalar("cpus", 100)} }, mesos.TASK_ERROR, mesos.REASON_TASK_INVALID, "more than available"},
		{"WrongAgent", func(ti *mesos.TaskInfo, _ mesos.Offer) { ti.AgentID = mesos.AgentID{Value: "elsewhere"} }, mesos.TASK_ERROR, mesos.REASON_TASK_INVALID, "invalid agent"},
		{"SlashInID", func(ti *mesos.TaskInfo, _ mesos.Offer) { ti.TaskID.Value = "a/b" }, mesos.TASK_ERROR, mesos.REASON_TASK_INVALID, "invalid characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := s.freshOffer("any", anyOffer)
			m := s.mark()
			ti := customTask("v-"+tc.name, o, executorInfo("e-"+tc.name), "")
			tc.mutate(&ti, o)
			s.mustCall(launch(o, ti))
			st := s.waitUpdate(m, ti.TaskID.Value, tc.state)
			if st.GetReason() != tc.reason || !strings.Contains(st.GetMessage(), tc.msg) || len(st.UUID) != 0 || st.GetSource() != mesos.SOURCE_MASTER {
				t.Errorf("got %s %s %q source %s uuid %x", st.GetState(), st.GetReason(), st.GetMessage(), st.GetSource(), st.UUID)
			}
		})
	}
	t.Run("StaleOffer", func(t *testing.T) {
		o := s.freshOffer("any", anyOffer)
		m := s.mark()
		s.mustCall(calls.Decline(o.ID).With(calls.RefuseSeconds(0)))
		s.mustCall(launch(o, customTask("stale", o, executorInfo("e-stale"), "")))
		if st := s.waitUpdate(m, "stale", mesos.TASK_DROPPED); st.GetReason() != mesos.REASON_INVALID_OFFERS {
			t.Errorf("reason %s", st.GetReason())
		}
	})
	t.Run("DuplicateID", func(t *testing.T) {
		m := s.mark()
		runTask(t, s, sim.Agents()[0].ID, "dup", "e-dup", `{"do":"run"}`)
		o := s.freshOffer("any", anyOffer)
		s.mustCall(launch(o, customTask("dup", o, executorInfo("e-dup"), "")))
		s.waitEvent(m, 10*time.Second, "duplicate rejected", func(e *scheduler.Event) bool {
			return e.Type == scheduler.Event_UPDATE && e.Update.Status.GetState() == mesos.TASK_ERROR && strings.Contains(e.Update.Status.GetMessage(), "duplicate ID")
		})
	})
	t.Run("ExplicitReconcileUnknown", func(t *testing.T) {
		m := s.mark()
		s.mustCall(calls.Reconcile(calls.ReconcileTasks(map[string]string{"ghost": sim.Agents()[0].ID, "ghost2": "no-such-agent"})))
		s.waitUpdate(m, "ghost", mesos.TASK_GONE)
		s.waitUpdate(m, "ghost2", mesos.TASK_UNKNOWN)
		// KILL of an unknown task is answered by reconciliation.
		s.mustCall(calls.Kill("ghost3", sim.Agents()[0].ID))
		s.waitUpdate(m, "ghost3", mesos.TASK_GONE)
	})
}

// MESSAGE round trip and LAUNCH_GROUP with the default and a custom executor.
func TestMessagesAndTaskGroups(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	s := startSched(t, sim, frameworkInfo("grp", 60), nil, mediaProtobuf)
	s.waitSubscribed(0)
	a := sim.Agents()[0]
	runTask(t, s, a.ID, "msg-task", "e-msg", `{"do":"run"}`)
	m := s.mark()
	s.mustCall(calls.Message(a.ID, "e-msg", []byte("ping")))
	s.waitEvent(m, 10*time.Second, "echo", func(e *scheduler.Event) bool {
		return e.Type == scheduler.Event_MESSAGE && string(e.Message.Data) == "echo:ping" && e.Message.ExecutorID.Value == "e-msg"
	})

	o := s.freshOffer("for groups", anyOffer)
	m = s.mark()
	def := mesos.ExecutorInfo{Type: mesos.ExecutorInfo_DEFAULT, ExecutorID: mesos.ExecutorID{Value: "default-1"}, Resources: []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)}}
	group := func(prefix string) mesos.TaskGroupInfo {
		var g mesos.TaskGroupInfo
		for _, n := range []string{"a", "b"} {
			g.Tasks = append(g.Tasks, mesos.TaskInfo{Name: n, TaskID: mesos.TaskID{Value: prefix + n}, AgentID: o.AgentID,
				Command: &mesos.CommandInfo{Value: proto.String("true")}, Resources: []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 16)}})
		}
		return g
	}
	custom := *executorInfo("custom-grp")
	cg := group("c-")
	for i := range cg.Tasks {
		cg.Tasks[i].Command = nil
		cg.Tasks[i].Data = []byte(`{"do":"finish"}`)
	}
	s.mustCall(calls.Accept(calls.OfferOperations{calls.OpLaunchGroup(def, group("d-").Tasks...), calls.OpLaunchGroup(custom, cg.Tasks...)}.WithOffers(o.ID)))
	for _, id := range []string{"d-a", "d-b", "c-a", "c-b"} {
		s.waitUpdate(m, id, mesos.TASK_FINISHED)
	}
}

// Main runs in-process with flags; bad flags are refused.
func TestMain_Flags(t *testing.T) {
	for _, args := range [][]string{
		{"--agents", "-1"},
		{"--agent-resources", "cpus:x"},
		{"--agent-attributes", "nocolon"},
		{"--first-agent-ip", "10.0.0.1"},
		{"--log-format", "xml"},
		{"--heartbeat-interval", "0s"},
		{"--executor-reregistration-timeout", "0s"},
		{"extra"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	var url string
	code := run([]string{"--listen", "127.0.0.1:0", "--agents", "2", "--agent-port", "0", "--work-dir", t.TempDir(),
		"--agent-resources", "cpus:2;mem:1024;disk:1000;ports:[31000-31100]", "--agent-attributes", "rack:a;zone:b", "--log-level", "warn"},
		&out, &errb, func(s *Sim) context.Context {
			url = s.URL()
			r, err := http.Post(url+"/admin/agents/127.0.0.3/partition", "", nil)
			if err != nil || r.StatusCode != 200 {
				t.Errorf("admin partition: %v %v", r, err)
			}
			if r, _ := http.Post(url+"/admin/agents/nope/kill", "", nil); r == nil || r.StatusCode != 404 {
				t.Errorf("admin unknown agent: %v", r)
			}
			if r, _ := http.Post(url+"/admin/status-updates/delay?duration=bad", "", nil); r == nil || r.StatusCode != 400 {
				t.Errorf("admin bad duration: %v", r)
			}
			if r, _ := http.Post(url+"/admin/agents/0/restart?down=bad", "", nil); r == nil || r.StatusCode != 400 {
				t.Errorf("admin restart with a bad down: %v", r)
			}
			for _, p := range []string{"/admin/master/restart", "/admin/heartbeats/stop?on=false", "/admin/status-updates/drop?on=false", "/admin/status-updates/delay?duration=0s",
				"/admin/status-updates/duplicate?on=false", "/admin/agents/0/restart?down=0s"} {
				if r, err := http.Post(url+p, "", nil); err != nil || r.StatusCode != 200 {
					t.Errorf("admin %s: %v %v", p, r, err)
				}
			}
			snap := s.State()
			if len(snap.Agents) != 2 || !snap.Agents[1].Partitioned || !strings.Contains(snap.Agents[0].Resources, "cpus:2") {
				t.Errorf("state %+v", snap.Agents)
			}
			cancel()
			return ctx
		})
	if code != 0 || !strings.Contains(out.String(), "mesos-sim: master "+url) {
		t.Fatalf("exit %d, stdout %q stderr %q", code, out.String(), errb.String())
	}
}

// DECLINE of offers from several agents in one call is valid (Master::decline discards each offer
// on its own, unlike ACCEPT), and each agent's resources come back only after the filter.
func TestDeclineAcrossAgents(t *testing.T) {
	sim := startSim(t, fastConfig(t, 2))
	s := startSched(t, sim, frameworkInfo("decline", 60), nil, mediaProtobuf)
	s.waitSubscribed(0)
	agents := sim.Agents()
	o1 := s.waitOffer(0, "from agent 1", onAgent(agents[0].ID))
	o2 := s.waitOffer(0, "from agent 2", onAgent(agents[1].ID))

	m := s.mark()
	s.mustCall(calls.Decline(o1.ID, o2.ID, mesos.OfferID{Value: "no-such-offer"}).With(calls.RefuseSeconds(time.Hour)))
	if _, ok := s.tryWaitOffer(m, 1500*time.Millisecond, anyOffer); ok {
		t.Fatal("an offer came back while both agents' resources are filtered for an hour")
	}
	s.mustCall(calls.Revive())
	s.waitOffer(m, "agent 1 after REVIVE", onAgent(agents[0].ID))
	s.waitOffer(m, "agent 2 after REVIVE", onAgent(agents[1].ID))
}

// A framework that disconnects is deactivated and loses its offer filters, as Mesos'
// allocator does (deactivateFramework clears them): after a failover the new instance is offered
// what the old one declined for an hour.
func TestFailoverClearsOfferFilters(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	fid := store.NewInMemorySingleton()
	s := startSched(t, sim, frameworkInfo("filters", 3600), fid, mediaProtobuf)
	id := s.waitSubscribed(0)
	o := s.waitOffer(0, "any", anyOffer)
	s.mustCall(calls.Decline(o.ID).With(calls.RefuseSeconds(time.Hour)))
	s.stop()
	s2 := startSched(t, sim, frameworkInfo("filters", 3600), fid, mediaProtobuf)
	if got := s2.waitSubscribed(0); got != id {
		t.Fatalf("failover subscribed as %s, want %s", got, id)
	}
	if _, ok := s2.tryWaitOffer(0, 3*time.Second, anyOffer); !ok {
		t.Fatalf("no offer after failover within 3s: the old instance's hour-long filter survived the disconnect\n%s", s2.summary())
	}
}

// TestAgentAddresses: agent addresses carry past .254 into the next octet and run out at the top
// of 127/8 with an error.
func TestAgentAddresses(t *testing.T) {
	got, err := agentAddresses(net.ParseIP("127.5.0.253").To4(), 4)
	if err != nil || strings.Join(got, " ") != "127.5.0.253 127.5.0.254 127.5.1.1 127.5.1.2" {
		t.Fatalf("agentAddresses = %v, %v", got, err)
	}
	got, _ = agentAddresses(net.ParseIP("127.1.0.2").To4(), 1000)
	if len(got) != 1000 || got[999] != "127.1.3.239" {
		t.Fatalf("1,000 agents from 127.1.0.2 end at %s, want 127.1.3.239", got[len(got)-1])
	}
	if _, err := agentAddresses(net.ParseIP("127.255.255.250").To4(), 10); err == nil || !strings.Contains(err.Error(), "leaves no room") {
		t.Fatalf("overflow: err = %v", err)
	}
}
