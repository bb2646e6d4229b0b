package mesossim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/extras/store"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// report is the test executor's RUNNING data (see internal/testexec).
type report struct {
	Env      map[string]string `json:"env"`
	Read     string            `json:"read"`
	ReadErr  string            `json:"read_err"`
	Listen   string            `json:"listen"`
	Hostname string            `json:"hostname"`
	Cwd      string            `json:"cwd"`
}

func parseReport(t *testing.T, st mesos.TaskStatus) report {
	t.Helper()
	var r report
	if err := json.Unmarshal(st.Data, &r); err != nil {
		t.Fatalf("RUNNING data of %s: %v (%q)", st.TaskID.Value, err, st.Data)
	}
	return r
}

func hasVolume(o mesos.Offer, id string) bool {
	for _, r := range o.Resources {
		if r.IsPersistentVolume() && r.Disk.Persistence.ID == id {
			return true
		}
	}
	return false
}

func findVolume(o mesos.Offer, id string) mesos.Resource {
	for _, r := range o.Resources {
		if r.IsPersistentVolume() && r.Disk.Persistence.ID == id {
			return r
		}
	}
	return mesos.Resource{}
}

// The first "done when": a mesos-go scheduler registers, gets offers,
// reserves, creates a persistent volume, launches a custom executor whose
// tasks run and report back, and survives a master restart and its own
// restart.
func TestEndToEndReserveVolumeExecutorAndRestarts(t *testing.T) {
	sim := startSim(t, fastConfig(t, 2))
	fid := store.NewInMemorySingleton()
	info := frameworkInfo("e2e", 3600, mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT, mesos.FrameworkInfo_Capability_PARTITION_AWARE)
	sched := startSched(t, sim, info, fid, codecs.MediaTypeProtobuf)
	fwID := sched.waitSubscribed(0)

	// Offers: one per agent for role "cass", with the default resources and attributes.
	agent0 := sim.Agents()[0]
	o := sched.waitOffer(0, "on agent 0", onAgent(agent0.ID))
	if o.Hostname != "127.0.0.2" {
		t.Errorf("offer hostname %q, want 127.0.0.2", o.Hostname)
	}
	if cpus, _ := resourcesJSON(o.Resources)["cpus"].(float64); cpus != 4 {
		t.Errorf("offered cpus %v, want 4", cpus)
	}
	if len(o.Attributes) == 0 || o.Attributes[0].Name != "rack" || o.Attributes[0].GetText().GetValue() != "r1" {
		t.Errorf("attributes %v, want rack:r1 first", o.Attributes)
	}

	// RESERVE + CREATE in one ACCEPT.
	res := []mesos.Resource{reserved(scalar("cpus", 1), "cass", "cass-principal"), reserved(scalar("mem", 512), "cass", "cass-principal"), reserved(scalar("disk", 100), "cass", "cass-principal")}
	vol := volume(reserved(scalar("disk", 100), "cass", "cass-principal"), "vol-1", "data")
	m := sched.mark()
	sched.mustCall(calls.Accept(calls.OfferOperations{calls.OpReserve(res...), calls.OpCreate(vol)}.WithOffers(o.ID)).With(calls.RefuseSeconds(0)))
	o = sched.waitOffer(m, "with volume vol-1", func(o mesos.Offer) bool { return hasVolume(o, "vol-1") })
	snap := sim.State()
	if len(snap.Agents[0].Volumes) != 1 || snap.Agents[0].Volumes[0].PersistenceID != "vol-1" || len(snap.Agents[0].Reservations) == 0 {
		t.Fatalf("agent 0 volumes %+v reservations %v", snap.Agents[0].Volumes, snap.Agents[0].Reservations)
	}
	offVol := findVolume(o, "vol-1")

	// Launch a custom executor (fetched by URI) whose task writes on the volume.
	ex1 := executorInfo("exec-1")
	t1 := customTask("task-1", o, ex1, `{"do":"run","write":"data/hello.txt","content":"v1","listen":true}`,
		reserved(scalar("cpus", 0.5), "cass", "cass-principal"), reserved(scalar("mem", 128), "cass", "cass-principal"), offVol)
	m = sched.mark()
	sched.mustCall(launch(o, t1))
	running := sched.waitUpdate(m, "task-1", mesos.TASK_RUNNING)
	if len(running.UUID) != 16 || running.GetSource() != mesos.SOURCE_EXECUTOR {
		t.Errorf("RUNNING uuid %x source %s, want a 16-byte uuid from SOURCE_EXECUTOR", running.UUID, running.GetSource())
	}
	rep := parseReport(t, running)
	for k, want := range map[string]string{
		"MESOS_FRAMEWORK_ID": fwID, "MESOS_EXECUTOR_ID": "exec-1", "MESOS_AGENT_ENDPOINT": agent0.Endpoint,
		"MESOS_CHECKPOINT": "1", "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": "2secs", "MESOS_RECOVERY_TIMEOUT": "15mins",
		"MESOS_SUBSCRIPTION_BACKOFF_MAX": "2secs", "MESOS_SLAVE_ID": agent0.ID,
	} {
		if rep.Env[k] != want {
			t.Errorf("executor env %s=%q, want %q", k, rep.Env[k], want)
		}
	}
	if rep.Env["MESOS_SANDBOX"] == "" || rep.Env["MESOS_SANDBOX"] != rep.Env["MESOS_DIRECTORY"] || rep.Cwd != rep.Env["MESOS_SANDBOX"] {
		t.Errorf("sandbox env %q/%q cwd %q", rep.Env["MESOS_SANDBOX"], rep.Env["MESOS_DIRECTORY"], rep.Cwd)
	}
	if rep.Hostname != "127.0.0.2" || !strings.HasPrefix(rep.Listen, "127.0.0.2:") {
		t.Errorf("executor saw hostname %q and listened on %q, want 127.0.0.2", rep.Hostname, rep.Listen)
	}
	hostFile := filepath.Join(sim.State().Agents[0].Volumes[0].HostPath, "hello.txt")
	if b, err := os.ReadFile(hostFile); err != nil || string(b) != "v1" {
		t.Errorf("volume file %s: %q %v, want v1", hostFile, b, err)
	}

	// The executor stops; a new executor's task on the same volume sees the data.
	m = sched.mark()
	sched.mustCall(calls.Shutdown(ex1.ExecutorID.Value, agent0.ID))
	sched.waitUpdate(m, "task-1", mesos.TASK_KILLED)
	sched.waitEvent(m, 10*time.Second, "FAILURE of exec-1", func(e *scheduler.Event) bool {
		return e.Type == scheduler.Event_FAILURE && e.Failure.GetExecutorID().GetValue() == "exec-1"
	})
	o = sched.freshOffer("with vol-1 again", func(o mesos.Offer) bool { return hasVolume(o, "vol-1") && len(o.ExecutorIDs) == 0 })
	t2 := customTask("task-2", o, executorInfo("exec-2"), `{"do":"run","read":"data/hello.txt"}`,
		reserved(scalar("cpus", 0.5), "cass", "cass-principal"), findVolume(o, "vol-1"))
	m = sched.mark()
	sched.mustCall(launch(o, t2))
	if rep := parseReport(t, sched.waitUpdate(m, "task-2", mesos.TASK_RUNNING)); rep.Read != "v1" {
		t.Fatalf("task-2 read %q (%s) from the volume, want v1", rep.Read, rep.ReadErr)
	}

	// Master restart: the stream drops, the scheduler re-subscribes with its ID.
	m = sched.mark()
	sim.RestartMaster()
	if got := sched.waitSubscribed(m); got != fwID {
		t.Fatalf("re-subscribed as %s, want %s", got, fwID)
	}
	m = sched.mark()
	sched.mustCall(calls.Reconcile(nil))
	e := sched.waitEvent(m, 10*time.Second, "reconciliation of task-2", func(e *scheduler.Event) bool {
		return e.Type == scheduler.Event_UPDATE && e.Update.Status.GetReason() == mesos.REASON_RECONCILIATION
	})
	if st := e.Update.Status; st.TaskID.Value != "task-2" || st.GetState() != mesos.TASK_RUNNING || len(st.UUID) != 0 || st.GetSource() != mesos.SOURCE_MASTER {
		t.Errorf("reconcile: %s %s source %s uuid %x, want task-2 TASK_RUNNING from the master without uuid", st.TaskID.Value, st.GetState(), st.GetSource(), st.UUID)
	}

	// The scheduler's own restart: a new process with the stored framework ID.
	sched.stop()
	sched2 := startSched(t, sim, frameworkInfo("e2e", 3600, mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT, mesos.FrameworkInfo_Capability_PARTITION_AWARE), fid, codecs.MediaTypeJSON)
	if got := sched2.waitSubscribed(0); got != fwID {
		t.Fatalf("scheduler restart subscribed as %s, want %s", got, fwID)
	}
	m = sched2.mark()
	sched2.mustCall(calls.Reconcile(calls.ReconcileTasks(map[string]string{"task-2": agent0.ID})))
	sched2.waitUpdate(m, "task-2", mesos.TASK_RUNNING)
	if ex := sim.State().Agents[0].Executors; len(ex) != 1 || ex[0] != fwID+"/exec-2" {
		t.Fatalf("executors on agent 0: %v, want exec-2 still running", ex)
	}

	// Kill, then destroy the volume and unreserve.
	m = sched2.mark()
	sched2.mustCall(calls.Kill("task-2", agent0.ID))
	sched2.waitUpdate(m, "task-2", mesos.TASK_KILLED)
	// Outstanding offers hold part of the reservation: give them all back.
	o = sched2.freshOffer("with vol-1 and all reserved memory", func(o mesos.Offer) bool {
		return hasVolume(o, "vol-1") && resourcesJSON(o.Resources)["mem"].(float64) >= 512
	})
	var toUnreserve []mesos.Resource
	for _, r := range o.Resources {
		if r.IsReserved("cass") && !r.IsPersistentVolume() {
			toUnreserve = append(toUnreserve, r)
		}
	}
	v := findVolume(o, "vol-1")
	plain := v
	plain.Disk = nil
	toUnreserve = append(toUnreserve, plain)
	sched2.mustCall(calls.Accept(calls.OfferOperations{calls.OpDestroy(v), calls.OpUnreserve(toUnreserve...)}.WithOffers(o.ID)))
	eventually(t, 5*time.Second, "volume destroyed and resources unreserved", func() bool {
		a := sim.State().Agents[0]
		return len(a.Volumes) == 0 && len(a.Reservations) == 0
	})
}
