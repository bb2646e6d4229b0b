package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/engine"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// pollStore loads one ring with one running node.
type pollStore struct{}

func (pollStore) Load(context.Context) (map[string]*statev1.RingRecord, map[string]*statev1.NodeRecord, map[string]*statev1.OperationRecord, error) {
	return map[string]*statev1.RingRecord{"demo": {Spec: &cassmesosv1.RingSpec{Name: "demo"}}},
		map[string]*statev1.NodeRecord{"demo-0": {Ring: "demo", Name: "demo-0", TaskId: "t1", Address: "127.0.0.1", AgentPort: 7199,
			Phase: cassmesosv1.NodePhase_NODE_PHASE_RUNNING}}, nil, nil
}

func (pollStore) Persist(context.Context, []plan.Write) error { return nil }

// slowPoller answers a status poll as a loaded host does: only after the time a poll of four
// nodetool JVMs takes there (27 s measured at load 20; here scaled by the test), and not at all
// when the poll's context ends first.
type slowPoller struct {
	fakeRelayer
	took   time.Duration
	mu     sync.Mutex
	budget []time.Duration // each poll's time to its deadline
}

func (f *slowPoller) NodeStatus(ctx context.Context, _ uint64, _, _, _ string, _ uint32, _ string) (*cassmesosv1.GetNodeStatusResponse, error) {
	dl, ok := ctx.Deadline()
	f.mu.Lock()
	if ok {
		f.budget = append(f.budget, time.Until(dl))
	} else {
		f.budget = append(f.budget, -1)
	}
	f.mu.Unlock()
	// Fails exactly when the poll's deadline is shorter than the node needs.
	if ok && time.Until(dl) < f.took {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &cassmesosv1.GetNodeStatusResponse{Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL,
		Peers: []*cassmesosv1.PeerStatus{{Address: "127.0.0.1", Liveness: cassmesosv1.Liveness_LIVENESS_UP,
			Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL}}}, nil
}

// A status poll gets at least MinPollTimeout, however short the poll interval: a node whose
// nodetool calls take longer than the interval (a loaded host) still reports, and the ring's
// views follow Cassandra. Before, each poll was cut at the interval and the views never changed.
func TestStatusPollOutlastsItsInterval(t *testing.T) {
	rl := &slowPoller{took: 30 * time.Second}
	events := make(chan mesosadapter.Event, 4)
	eng := engine.New(engine.Options{Planner: &opPlanner{ranges: map[string][]plan.TokenRange{}}, Store: pollStore{},
		Mesos: &fakeMesos{check: func() bool { return true }}, Relayer: rl, Epoch: 3, Events: events,
		Tick: 10 * time.Millisecond, PollInterval: 20 * time.Millisecond, ReconcileTimeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	events <- mesosadapter.Event{Subscription: 1, Connected: &mesosadapter.Connected{FrameworkID: "fw"}}
	events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t1", AgentID: "a1", State: plan.TaskRunning,
		Healthy: true, Mode: cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL}}
	var view plan.NodeView
	waitFor(t, "a status poll to report demo-0", func() bool {
		err := eng.Read(context.Background(), func(s *plan.State) { view = s.Views["demo-0"] })
		return err == nil && view.Reporters > 0
	})
	if view.Liveness != cassmesosv1.Liveness_LIVENESS_UP || view.Mode != cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL {
		t.Errorf("demo-0's view is %s/%s, want UP/NORMAL", view.Liveness, view.Mode)
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	for i, b := range rl.budget {
		if b < engine.MinPollTimeout-5*time.Second {
			t.Errorf("poll %d had %v to its deadline, want about %v", i, b.Round(time.Millisecond), engine.MinPollTimeout)
		}
	}
}
