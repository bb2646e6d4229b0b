package mesossim

import (
	"bytes"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// Issue 17 item 3: with the duplicate fault on, an agent re-registering after the master marked its
// task lost makes the master send its own UUID-less TASK_FAILED first, then the agent's own update
// (with its UUID) arrives twice. A naive scheduler (mesos-go's AckStatusUpdates) acknowledges both
// copies: the simulator counts two ACKs for the UUID, and the second finds no stream, as on a real
// agent ("Cannot find the status update stream").
func TestDuplicateStatusUpdatesOnReregistration(t *testing.T) {
	cfg := fastConfig(t, 1)
	cfg.AgentGoneTimeout = time.Minute
	cfg.StatusUpdateRetryMin, cfg.StatusUpdateRetryMax = 10*time.Second, 20*time.Second
	sim := startSim(t, cfg)
	s := startSched(t, sim, frameworkInfo("dup", 60), nil, mediaProtobuf)
	fwID := s.waitSubscribed(0)
	a := sim.Agents()[0]
	running := runTask(t, s, a.ID, "t", "e", `{"do":"run"}`)
	eventually(t, 5*time.Second, "TASK_RUNNING acknowledged", func() bool { return sim.Acknowledgements(running.UUID) == 1 })
	sim.DuplicateStatusUpdates(true)

	m := s.mark()
	if err := sim.PartitionAgent(a.ID); err != nil {
		t.Fatal(err)
	}
	s.waitUpdate(m, "t", mesos.TASK_LOST)
	if err := sim.KillExecutor(fwID, "e"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the task failed on the agent", func() bool {
		for _, tk := range sim.State().Agents[0].Tasks {
			if tk.ID == "t" && tk.State == "TASK_FAILED" {
				return true
			}
		}
		return false
	})
	if n := sim.UnknownAcknowledgements(); n != 0 {
		t.Fatalf("%d unknown acknowledgements before the heal", n)
	}

	m = s.mark()
	if err := sim.HealAgent(a.ID); err != nil {
		t.Fatal(err)
	}
	var got []mesos.TaskStatus
	eventually(t, 10*time.Second, "three TASK_FAILED updates", func() bool {
		got = got[:0]
		for _, e := range s.eventsFrom(m) {
			if e.Type == scheduler.Event_UPDATE && e.Update.Status.TaskID.Value == "t" && e.Update.Status.GetState() == mesos.TASK_FAILED {
				got = append(got, e.Update.Status)
			}
		}
		return len(got) >= 3
	})
	for _, st := range got {
		t.Logf("update %s uuid %x reason %s source %s msg %q", st.GetState(), st.UUID, st.GetReason(), st.GetSource(), st.GetMessage())
	}
	if st := got[0]; len(st.UUID) != 0 || st.GetReason() != mesos.REASON_AGENT_REREGISTERED || st.GetSource() != mesos.SOURCE_MASTER {
		t.Errorf("first update: uuid %x reason %s source %s, want the master's own, UUID-less, REASON_AGENT_REREGISTERED", st.UUID, st.GetReason(), st.GetSource())
	}
	if len(got[1].UUID) != 16 || !bytes.Equal(got[1].UUID, got[2].UUID) || got[1].GetSource() != mesos.SOURCE_AGENT {
		t.Fatalf("agent's update not delivered twice with one UUID: %x, %x", got[1].UUID, got[2].UUID)
	}
	eventually(t, 5*time.Second, "both copies acknowledged", func() bool { return sim.Acknowledgements(got[1].UUID) == 2 })
	if n := sim.UnknownAcknowledgements(); n != 1 {
		t.Errorf("%d unknown acknowledgements, want 1 (the second ACK of the terminal update)", n)
	}
	if n := sim.Acknowledgements(nil); n != 0 {
		t.Errorf("%d acknowledgements without a UUID", n)
	}
}

// Issue 17 item 6: an agent restarted on the same work dir keeps its executors, and gives each
// ExecutorReregistrationTimeout (2s by default) to SUBSCRIBE again. The test executor retries every
// MESOS_SUBSCRIPTION_BACKOFF_MAX/2 = 1s: inside the default window its task stays RUNNING; with a
// 300ms window it is shut down and its task fails with REASON_EXECUTOR_REREGISTRATION_TIMEOUT.
func TestAgentRestartExecutorReregistration(t *testing.T) {
	t.Run("InTime", func(t *testing.T) {
		cfg := fastConfig(t, 1)
		cfg.AgentUnreachableTimeout = 10 * time.Second
		sim := startSim(t, cfg)
		s := startSched(t, sim, frameworkInfo("rereg", 60), nil, mediaProtobuf)
		fwID := s.waitSubscribed(0)
		a := sim.Agents()[0]
		runTask(t, s, a.ID, "t", "e", `{"do":"run"}`)
		m := s.mark()
		start := time.Now()
		if err := sim.RestartAgent(a.ID, 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		var after time.Duration
		eventually(t, 5*time.Second, "the executor re-subscribed", func() bool {
			var ok bool
			after, ok = sim.ExecutorReregistration(fwID, "e")
			return ok
		})
		if after >= 2*time.Second {
			t.Errorf("re-subscribed %s after the recovery, outside the 2s window", after)
		}
		t.Logf("executor re-subscribed %s after the agent recovered (window 2s)", after.Round(time.Millisecond))
		// Past the window: the task still runs, on the same agent ID, and nothing failed.
		time.Sleep(time.Until(start.Add(2500 * time.Millisecond)))
		st := sim.State().Agents[0]
		if st.ID != a.ID || len(st.Executors) != 1 || len(st.Tasks) != 1 || st.Tasks[0].State != "TASK_RUNNING" {
			t.Errorf("agent after the restart: %+v", st)
		}
		for _, e := range s.eventsFrom(m) {
			if e.Type == scheduler.Event_UPDATE && e.Update.Status.GetState() != mesos.TASK_RUNNING {
				t.Errorf("update %s (%s) after an in-time re-subscription", e.Update.Status.GetState(), e.Update.Status.GetReason())
			}
		}
	})
	t.Run("TooLate", func(t *testing.T) {
		cfg := fastConfig(t, 1)
		cfg.AgentUnreachableTimeout = 10 * time.Second
		cfg.ExecutorReregistrationTimeout = 300 * time.Millisecond
		sim := startSim(t, cfg)
		s := startSched(t, sim, frameworkInfo("rereg-late", 60), nil, mediaProtobuf)
		s.waitSubscribed(0)
		a := sim.Agents()[0]
		runTask(t, s, a.ID, "t", "e", `{"do":"run"}`)
		m := s.mark()
		if err := sim.RestartAgent(a.ID, 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		st := s.waitUpdate(m, "t", mesos.TASK_FAILED)
		if st.GetReason() != mesos.REASON_EXECUTOR_REREGISTRATION_TIMEOUT || len(st.UUID) == 0 {
			t.Errorf("failed update: reason %s uuid %x", st.GetReason(), st.UUID)
		}
	})
}

// The product's executor adapter (executor/mesosexec, built into prodexec) against a restarted
// agent: it re-subscribes within 500ms of the agent's recovery, whatever the down time.
func TestAgentRestartProductExecutorReregistration(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "prodexec")
	build := exec.Command("go", "build", "-o", bin, "github.com/cassmesos/cassmesos/internal/mesossim/internal/prodexec")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building prodexec: %v\n%s", err, out)
	}
	cfg := fastConfig(t, 1)
	cfg.AgentUnreachableTimeout = 10 * time.Second
	sim := startSim(t, cfg)
	s := startSched(t, sim, frameworkInfo("rereg-product", 60), nil, mediaProtobuf)
	fwID := s.waitSubscribed(0)
	a := sim.Agents()[0]
	ex := executorInfo("pe")
	ex.Command = &mesos.CommandInfo{Value: proto.String("./prodexec"),
		URIs: []mesos.CommandInfo_URI{{Value: "file://" + bin, Executable: proto.Bool(true)}}}
	o := s.freshOffer("on "+a.ID, onAgent(a.ID))
	m := s.mark()
	s.mustCall(launch(o, customTask("pt", o, ex, "")))
	s.waitUpdate(m, "pt", mesos.TASK_RUNNING)
	for _, down := range []time.Duration{0, 1200 * time.Millisecond} {
		m = s.mark()
		if err := sim.RestartAgent(a.ID, down); err != nil {
			t.Fatal(err)
		}
		var after time.Duration
		eventually(t, 5*time.Second, "the executor re-subscribed", func() bool {
			var ok bool
			after, ok = sim.ExecutorReregistration(fwID, "pe")
			return ok
		})
		t.Logf("agent down %s: the product executor re-subscribed %s after the recovery (window 2s)", down, after.Round(time.Millisecond))
		// At most 500ms by the backoff; 1s leaves room for a loaded test machine, still well inside
		// the 2s window.
		if after > time.Second {
			t.Errorf("agent down %s: re-subscribed %s after the recovery, want <= 500ms", down, after)
		}
		for _, e := range s.eventsFrom(m) {
			if e.Type == scheduler.Event_UPDATE && e.Update.Status.GetState() != mesos.TASK_RUNNING {
				t.Errorf("update %s (%s) after an in-time re-subscription", e.Update.Status.GetState(), e.Update.Status.GetReason())
			}
		}
	}
	if st := sim.State().Agents[0]; len(st.Tasks) != 1 || st.Tasks[0].State != "TASK_RUNNING" {
		t.Errorf("tasks after the restarts: %+v", st.Tasks)
	}
}

// Issue 17 item 4: a framework that subscribes with suppressed_roles gets no offer for those roles
// (a real master otherwise allocates at once, before a SUPPRESS sent after SUBSCRIBED arrives) until
// it sends REVIVE.
func TestSubscribeSuppressedRoles(t *testing.T) {
	sim := startSim(t, fastConfig(t, 2))
	c := calls.Subscribe(frameworkInfo("suppressed", 60))
	c.Subscribe.SuppressedRoles = []string{"cass"}
	resp, body := post(t, sim.URL()+"/api/v1/scheduler", mediaProtobuf, mediaProtobuf, marshalCall(t, mediaProtobuf, c), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SUBSCRIBE: %d %s", resp.StatusCode, body)
	}
	rs := newRawStream(t, resp)
	sub := rs.nextOf(t, 5*time.Second, scheduler.Event_SUBSCRIBED)
	fwID, streamID := sub.Subscribed.FrameworkID.Value, resp.Header.Get("Mesos-Stream-Id")
	quiet := time.After(500 * time.Millisecond) // 10 allocation rounds
	for waiting := true; waiting; {
		select {
		case b, ok := <-rs.ch:
			if !ok {
				t.Fatal("stream ended")
			}
			var e scheduler.Event
			if err := e.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			if e.Type == scheduler.Event_OFFERS {
				t.Fatalf("%d offers to a framework subscribed with its role suppressed", len(e.Offers.Offers))
			}
		case <-quiet:
			waiting = false
		}
	}
	if n := sim.State().Frameworks[0].Offers; n != 0 {
		t.Fatalf("%d outstanding offers", n)
	}
	revive := calls.Revive()
	revive.FrameworkID = &mesos.FrameworkID{Value: fwID}
	if r, b := post(t, sim.URL()+"/api/v1/scheduler", mediaProtobuf, "", marshalCall(t, mediaProtobuf, revive), map[string]string{"Mesos-Stream-Id": streamID}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("REVIVE: %d %s", r.StatusCode, b)
	}
	rs.nextOf(t, 5*time.Second, scheduler.Event_OFFERS)
}

// Issue 17 item 1: a failed-over master forgets its agents until they re-register
// (AgentReregisterDelay after its recovery): meanwhile reconciliation of their tasks answers
// TASK_UNKNOWN with REASON_RECONCILIATION, the agent shows "recovering" and offers nothing; once it
// re-registers the same reconciliation answers TASK_RUNNING.
func TestMasterFailoverForgetsAgentsUntilTheyReregister(t *testing.T) {
	cfg := fastConfig(t, 1)
	cfg.AgentReregisterDelay = 1500 * time.Millisecond
	sim := startSim(t, cfg)
	s := startSched(t, sim, frameworkInfo("failover", 60, mesos.FrameworkInfo_Capability_PARTITION_AWARE), nil, mediaProtobuf)
	fwID := s.waitSubscribed(0)
	a := sim.Agents()[0]
	runTask(t, s, a.ID, "t", "e", `{"do":"run"}`)

	m := s.mark()
	restarted := time.Now()
	sim.RestartMaster()
	if got := s.waitSubscribed(m); got != fwID {
		t.Fatalf("re-subscribed as %s, want %s", got, fwID)
	}
	if st := sim.State().Agents[0].State; st != "recovering" {
		t.Fatalf("agent state %q after the failover, want recovering", st)
	}
	m = s.mark()
	s.mustCall(calls.Reconcile(calls.ReconcileTasks(map[string]string{"t": a.ID})))
	st := s.waitUpdate(m, "t", mesos.TASK_UNKNOWN)
	if st.GetReason() != mesos.REASON_RECONCILIATION || len(st.UUID) != 0 || st.GetSource() != mesos.SOURCE_MASTER {
		t.Errorf("answer during the failover: reason %s source %s uuid %x", st.GetReason(), st.GetSource(), st.UUID)
	}
	if n := sim.State().Frameworks[0].Offers; n != 0 {
		t.Errorf("%d offers from an agent that has not re-registered", n)
	}
	eventually(t, 5*time.Second, "the agent re-registered", func() bool { return sim.State().Agents[0].State == "registered" })
	if d := time.Since(restarted); d < cfg.MasterRecoveryPeriod+cfg.AgentReregisterDelay {
		t.Errorf("re-registered %s after the failover, before the %s delay", d, cfg.MasterRecoveryPeriod+cfg.AgentReregisterDelay)
	}
	m = s.mark()
	s.mustCall(calls.Reconcile(calls.ReconcileTasks(map[string]string{"t": a.ID})))
	if st := s.waitUpdate(m, "t", mesos.TASK_RUNNING); st.GetReason() != mesos.REASON_RECONCILIATION {
		t.Errorf("answer after the re-registration: reason %s", st.GetReason())
	}
	if st := sim.State().Agents[0]; st.ID != a.ID || len(st.Tasks) != 1 || st.Tasks[0].State != "TASK_RUNNING" {
		t.Errorf("agent after the failover: %+v", st)
	}
}

// Issue 17 item 2: with no gone timeout (the default) an unreachable agent stays unreachable, its
// task TASK_UNREACHABLE, and no TASK_GONE comes.
func TestUnreachableAgentIsNeverGoneByDefault(t *testing.T) {
	cfg := fastConfig(t, 1)
	cfg.AgentGoneTimeout = 0
	sim := startSim(t, cfg)
	s := startSched(t, sim, frameworkInfo("never-gone", 60, mesos.FrameworkInfo_Capability_PARTITION_AWARE), nil, mediaProtobuf)
	s.waitSubscribed(0)
	a := sim.Agents()[0]
	runTask(t, s, a.ID, "t", "e", `{"do":"run"}`)
	m := s.mark()
	if err := sim.PartitionAgent(a.ID); err != nil {
		t.Fatal(err)
	}
	s.waitUpdate(m, "t", mesos.TASK_UNREACHABLE)
	// fastConfig's gone timeout would have fired after 600ms; wait three times that.
	time.Sleep(1800 * time.Millisecond)
	if st := sim.State().Agents[0].State; st != "unreachable" {
		t.Errorf("agent %q, want still unreachable", st)
	}
	for _, e := range s.eventsFrom(m) {
		if e.Type == scheduler.Event_UPDATE && e.Update.Status.GetState() == mesos.TASK_GONE {
			t.Errorf("TASK_GONE with the gone timeout off")
		}
	}
	m = s.mark()
	if err := sim.HealAgent(a.ID); err != nil {
		t.Fatal(err)
	}
	s.waitUpdate(m, "t", mesos.TASK_RUNNING)
}

// Issue 17 item 5: reconciliation answers carry the task's state and healthy, but none of the
// executor's labels; the executor's own update had both.
func TestReconciliationCarriesNoLabels(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	s := startSched(t, sim, frameworkInfo("labels", 60, mesos.FrameworkInfo_Capability_PARTITION_AWARE), nil, mediaProtobuf)
	s.waitSubscribed(0)
	a := sim.Agents()[0]
	own := runTask(t, s, a.ID, "t", "e", `{"do":"run"}`)
	if len(own.GetLabels().GetLabels()) == 0 || !own.GetHealthy() {
		t.Fatalf("the executor's own update has labels %v healthy %v", own.GetLabels(), own.GetHealthy())
	}
	for _, c := range []*scheduler.Call{calls.Reconcile(calls.ReconcileTasks(map[string]string{"t": a.ID})), calls.Reconcile(nil)} {
		m := s.mark()
		s.mustCall(c)
		st := s.waitUpdate(m, "t", mesos.TASK_RUNNING)
		if st.GetReason() != mesos.REASON_RECONCILIATION || st.Labels != nil || len(st.Data) != 0 || !st.GetHealthy() {
			t.Errorf("reconciliation answer: reason %s labels %v data %q healthy %v; want no labels, no data, healthy", st.GetReason(), st.Labels, st.Data, st.GetHealthy())
		}
	}
}
