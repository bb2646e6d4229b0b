package plan_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/daemon/plan/plantest"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// autoRepairRing is a healthy ring of nodes whose repair engine is Cassandra's Auto Repair.
func autoRepairRing(t *testing.T, agents int, nodes, seeds int32) *plantest.World {
	t.Helper()
	w := plantest.NewWorld(t, agents, plan.Config{RestartBackoffMin: 10 * time.Second, RestartBackoffMax: time.Minute})
	sp := spec("demo", nodes, seeds)
	sp.RepairEngine = cassmesosv1.RepairEngine_REPAIR_ENGINE_CASSANDRA
	sp.AutoRepair = &cassmesosv1.AutoRepairSpec{RepairTypes: []string{"full", "incremental"}}
	acc, err := w.Submit(plan.CreateRing{Spec: sp})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 100, func() bool { return w.UN("demo") == int(nodes) && opDone(w, acc.Operation.GetOperation().GetId()) })
	return w
}

func autoRepairState(w *plantest.World, id string) *statev1.AutoRepairPause {
	return w.Store.Operations[id].GetState().GetAutoRepair()
}

// pausedProcs names the nodes whose current task (the one the node record names; not a task cut
// off on a partitioned agent) has Auto Repair paused, and those where it runs.
func pausedProcs(w *plantest.World) (paused, running []string) {
	for _, name := range sortedNodeNames(w) {
		for _, p := range w.LiveProcs(name) {
			if p.TaskID != w.Store.Nodes[name].GetTaskId() {
				continue
			}
			if p.AutoRepairPaused {
				paused = append(paused, name)
			} else {
				running = append(running, name)
			}
		}
	}
	return paused, running
}

// A replacement on a ring with Auto Repair: every live node is paused before the replacement is
// launched (a node that does not answer holds the operation back), the replacement is paused
// once it is UN, and all are resumed when the operation has ended.
func TestAutoRepairPausedAroundReplace(t *testing.T) {
	w := autoRepairRing(t, 6, 3, 2)
	for _, name := range sortedNodeNames(w) {
		for _, p := range w.LiveProcs(name) {
			ar := p.Config.GetAutoRepair()
			if strings.Join(ar.GetRepairTypes(), ",") != "full,incremental" || ar.GetMinRepairInterval().AsDuration() != 24*time.Hour || p.AutoRepairPaused {
				t.Fatalf("%s launched with auto_repair %v (paused %v)", name, ar, p.AutoRepairPaused)
			}
		}
	}
	if len(w.AutoRepairLog) != 0 {
		t.Fatalf("creating the ring paused Auto Repair: %v", w.AutoRepairLog)
	}
	old := w.Store.Nodes["demo-2"]
	w.Partition(old.GetAgentId(), true)
	w.Reconcile()
	// demo-0's executor does not answer the pause yet.
	w.HoldRelay = func(r plan.Relay) bool { return r.Kind == plan.RelayAutoRepair && r.Node == "demo-0" && !r.Enable }
	acc, err := w.Submit(plan.ReplaceNode{Node: "demo-2"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	for range 5 {
		w.OfferRound()
		check(t, w)
		w.Tick(10 * time.Second)
		w.Reconcile()
	}
	if w.Store.Nodes["demo-2"].GetTaskId() != old.GetTaskId() {
		t.Fatalf("replacement launched before Auto Repair was paused on demo-0\n%s", w.Dump())
	}
	ar := autoRepairState(w, id)
	if ar.GetPhase() != statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSING {
		t.Fatalf("pause state %v", ar)
	}
	if msg := w.Store.Operations[id].GetOperation().GetSteps()[0].GetMessage(); !strings.Contains(msg, "pausing Cassandra Auto Repair") || !strings.Contains(msg, "demo-0") {
		t.Errorf("step message %q", msg)
	}
	if got := strings.Join(w.AutoRepairLog, ","); got != "pause demo-1" {
		t.Errorf("auto repair calls %q, want pause demo-1", got)
	}

	w.HoldRelay = nil
	pausedBeforeLaunch := false
	cooperate(t, w, 60, func() bool {
		if w.Store.Nodes["demo-2"].GetTaskId() != old.GetTaskId() && !pausedBeforeLaunch {
			paused, _ := pausedProcs(w)
			// The first time the replacement is seen: demo-0 and demo-1 are paused.
			pausedBeforeLaunch = strings.Join(paused, ",") == "demo-0,demo-1"
			if !pausedBeforeLaunch {
				t.Fatalf("replacement launched while Auto Repair runs; paused: %v", paused)
			}
		}
		return w.UN("demo") == 3 && opDone(w, id) && autoRepairState(w, id).GetPhase() == statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMED
	})
	ar = autoRepairState(w, id)
	if ar.GetPausedTime() == nil || ar.GetResumedTime() == nil || !ar.GetResumedTime().AsTime().After(ar.GetPausedTime().AsTime()) {
		t.Errorf("times: %v", ar)
	}
	if !ar.GetResumedTime().AsTime().After(w.Store.Operations[id].GetOperation().GetEndTime().AsTime().Add(-time.Nanosecond)) {
		t.Errorf("resumed %v before the operation ended %v", ar.GetResumedTime().AsTime(), w.Store.Operations[id].GetOperation().GetEndTime().AsTime())
	}
	paused, running := pausedProcs(w)
	if len(paused) != 0 || len(running) != 3 {
		t.Errorf("after the replacement: paused %v running %v", paused, running)
	}
	log := strings.Join(w.AutoRepairLog, ",")
	if !strings.Contains(log, "pause demo-2") {
		t.Errorf("the replacement was not paused while the operation ran: %s", log)
	}
	iResume := strings.Index(log, "resume")
	if iResume < strings.LastIndex(log, "pause ") || strings.Count(log, "resume") != 3 {
		t.Errorf("auto repair calls %s: want every pause before three resumes", log)
	}
	pauses := plan.AutoRepairPauses(w.Store, "demo")
	if len(pauses) != 1 || pauses[0].GetOperationId() != id || pauses[0].GetPhase() != "RESUMED" {
		t.Errorf("AutoRepairPauses: %v", pauses)
	}
}

// The daemon is killed after the operation ended and before the nodes answered the resume: the
// restarted daemon, with nothing in memory, resumes them from the persisted intent. Killed while
// pausing, it pauses again and the operation goes on.
func TestAutoRepairSurvivesDaemonRestart(t *testing.T) {
	w := autoRepairRing(t, 6, 3, 2)
	old := w.Store.Nodes["demo-2"]
	w.Partition(old.GetAgentId(), true)
	w.Reconcile()
	w.HoldRelay = func(r plan.Relay) bool { return r.Kind == plan.RelayAutoRepair && r.Node == "demo-1" }
	acc, err := w.Submit(plan.ReplaceNode{Node: "demo-2"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	w.Reconcile()
	if autoRepairState(w, id).GetPhase() != statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_PAUSING {
		t.Fatalf("pause state %v", autoRepairState(w, id))
	}
	w.Restart()
	w.HoldRelay = func(r plan.Relay) bool { return r.Kind == plan.RelayAutoRepair && r.Enable }
	cooperate(t, w, 60, func() bool { return w.UN("demo") == 3 && opDone(w, id) })
	for range 3 {
		w.Reconcile()
	}
	if st := autoRepairState(w, id); st.GetPhase() != statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMING {
		t.Fatalf("after the operation, resumes held: %v", st)
	}
	if paused, _ := pausedProcs(w); len(paused) != 3 {
		t.Fatalf("paused %v, want all three until the resume answers", paused)
	}
	w.Restart()
	w.HoldRelay = nil
	for range 3 {
		w.Reconcile()
	}
	if st := autoRepairState(w, id); st.GetPhase() != statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMED {
		t.Fatalf("after the restart: %v\n%s", st, w.Dump())
	}
	if paused, running := pausedProcs(w); len(paused) != 0 || len(running) != 3 {
		t.Errorf("paused %v running %v", paused, running)
	}
}

// A cancelled topology operation resumes what it paused; a node without Auto Repair (refusing
// the call) blocks the operation, which can be cancelled.
func TestAutoRepairCancelledWhilePausing(t *testing.T) {
	w := autoRepairRing(t, 6, 3, 2)
	old := w.Store.Nodes["demo-2"]
	w.Partition(old.GetAgentId(), true)
	w.Reconcile()
	w.HoldRelay = func(r plan.Relay) bool { return r.Kind == plan.RelayAutoRepair && r.Node == "demo-0" && !r.Enable }
	acc, err := w.Submit(plan.ReplaceNode{Node: "demo-2"})
	if err != nil {
		t.Fatal(err)
	}
	id := acc.Operation.GetOperation().GetId()
	w.Reconcile()
	if _, err := w.Submit(plan.CancelOperation{ID: id}); err != nil {
		t.Fatal(err)
	}
	w.HoldRelay = nil
	for range 3 {
		w.Reconcile()
	}
	if ph := opPhase(w, id); ph != cassmesosv1.OperationPhase_OPERATION_PHASE_CANCELLED {
		t.Fatalf("phase %v", ph)
	}
	if st := autoRepairState(w, id); st.GetPhase() != statev1.AutoRepairPausePhase_AUTO_REPAIR_PAUSE_PHASE_RESUMED {
		t.Fatalf("pause state %v", st)
	}
	if paused, _ := pausedProcs(w); len(paused) != 0 {
		t.Errorf("still paused after the cancel: %v", paused)
	}
}

func TestAutoRepairRefusesCassmesosRepair(t *testing.T) {
	w := autoRepairRing(t, 4, 3, 2)
	if _, err := w.Submit(plan.RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}); !errors.Is(err, plan.ErrPrecondition) || !strings.Contains(err.Error(), "Auto Repair") {
		t.Errorf("repair run: %v", err)
	}
	if _, err := w.Submit(plan.CreateSchedule{Schedule: &cassmesosv1.RepairSchedule{Ring: "demo", Cron: "0 2 * * *", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}}); !errors.Is(err, plan.ErrPrecondition) {
		t.Errorf("schedule: %v", err)
	}
	// Switching back to cassmesos: a rolling update renders the nodes without Auto Repair, and
	// repair runs are accepted again.
	acc, err := w.Submit(plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{RepairEngine: cassmesosv1.RepairEngine_REPAIR_ENGINE_CASSMESOS}, Paths: []string{"repair_engine", "auto_repair"}})
	if err != nil {
		t.Fatal(err)
	}
	cooperate(t, w, 100, func() bool { return opDone(w, acc.Operation.GetOperation().GetId()) })
	for _, name := range sortedNodeNames(w) {
		for _, p := range w.LiveProcs(name) {
			if p.Config.GetAutoRepair() != nil {
				t.Errorf("%s still launched with auto_repair after switching to cassmesos", name)
			}
		}
	}
	if _, err := w.Submit(plan.RunRepair{Ring: "demo", Params: &cassmesosv1.RepairParams{Keyspace: "ks"}}); err != nil {
		t.Errorf("repair run after switching back: %v", err)
	}
	// Switching to Auto Repair while a cassmesos repair is queued or running is refused.
	if _, err := w.Submit(plan.UpdateRing{Ring: "demo", Spec: &cassmesosv1.RingSpec{RepairEngine: cassmesosv1.RepairEngine_REPAIR_ENGINE_CASSANDRA}, Paths: []string{"repair_engine"}}); !errors.Is(err, plan.ErrPrecondition) {
		t.Errorf("switch with a repair running: %v", err)
	}
}

func TestRepairEngineSpecValidation(t *testing.T) {
	base := func() *cassmesosv1.RingSpec {
		s := spec("demo", 3, 1)
		s.RepairEngine = cassmesosv1.RepairEngine_REPAIR_ENGINE_CASSANDRA
		return s
	}
	if err := plan.ValidateSpec(plan.ApplyDefaults(base())); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	for name, mut := range map[string]func(s *cassmesosv1.RingSpec){
		"auto_repair without the engine": func(s *cassmesosv1.RingSpec) {
			s.RepairEngine, s.AutoRepair = cassmesosv1.RepairEngine_REPAIR_ENGINE_CASSMESOS, &cassmesosv1.AutoRepairSpec{}
		},
		"unknown engine": func(s *cassmesosv1.RingSpec) { s.RepairEngine = 7 },
		"unknown type": func(s *cassmesosv1.RingSpec) {
			s.AutoRepair = &cassmesosv1.AutoRepairSpec{RepairTypes: []string{"quick"}}
		},
		"interval too low": func(s *cassmesosv1.RingSpec) {
			s.AutoRepair = &cassmesosv1.AutoRepairSpec{MinRepairInterval: durpb(time.Second)}
		},
		"old cassandra": func(s *cassmesosv1.RingSpec) { s.Distribution = &cassmesosv1.Distribution{Version: "5.0.6"} },
		"4.1":           func(s *cassmesosv1.RingSpec) { s.Distribution = &cassmesosv1.Distribution{Version: "4.1.5"} },
		"jvm property":  func(s *cassmesosv1.RingSpec) { s.JvmOptions = []string{"-Dcassandra.autorepair.enable=true"} },
		"yaml key":      func(s *cassmesosv1.RingSpec) { s.CassandraYaml = map[string]string{"auto_repair": "{enabled: true}"} },
	} {
		s := base()
		mut(s)
		if err := plan.ValidateSpec(plan.ApplyDefaults(s)); !errors.Is(err, plan.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	for _, v := range []string{"5.0.7", "5.0.8", "5.1.0", "6.0-alpha1"} {
		s := base()
		s.Distribution = &cassmesosv1.Distribution{Version: v}
		if err := plan.ValidateSpec(plan.ApplyDefaults(s)); err != nil {
			t.Errorf("version %s: %v", v, err)
		}
	}
}
