package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/daemon/engine"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// memStore keeps nothing: every write succeeds.
type memStore struct{}

func (memStore) Load(context.Context) (map[string]*statev1.RingRecord, map[string]*statev1.NodeRecord, map[string]*statev1.OperationRecord, error) {
	return nil, map[string]*statev1.NodeRecord{
		"demo-0": {Ring: "demo", Name: "demo-0", TaskId: "t1", Phase: cassmesosv1.NodePhase_NODE_PHASE_RUNNING},
	}, nil, nil
}

func (memStore) Persist(context.Context, []plan.Write) error { return nil }

// fakeRelayer records every call with its epoch; a describering answers with one range.
type fakeRelayer struct {
	mu     sync.Mutex
	relays []string // "<kind>@<epoch>"
	polls  []uint64
}

func (f *fakeRelayer) Relay(_ context.Context, epoch uint64, r plan.Relay) ([]plan.TokenRange, error) {
	f.mu.Lock()
	f.relays = append(f.relays, fmt.Sprintf("%s@%d", r.Kind, epoch))
	f.mu.Unlock()
	if r.Kind == plan.RelayDescribeRing {
		return []plan.TokenRange{{Start: "-1", End: "1", Endpoints: []string{"127.0.0.1"}}}, nil
	}
	return nil, nil
}

func (f *fakeRelayer) ListKeyspaces(_ context.Context, epoch uint64, r plan.Relay, _ bool) ([]*cassmesosv1.Keyspace, error) {
	f.mu.Lock()
	f.relays = append(f.relays, fmt.Sprintf("%s@%d", r.Kind, epoch))
	f.mu.Unlock()
	return []*cassmesosv1.Keyspace{{Name: "ks"}, {Name: "system", System: true}}, nil
}

func (f *fakeRelayer) NodeStatus(_ context.Context, epoch uint64, _, _, _ string, _ uint32, _ string) (*cassmesosv1.GetNodeStatusResponse, error) {
	f.mu.Lock()
	f.polls = append(f.polls, epoch)
	f.mu.Unlock()
	return &cassmesosv1.GetNodeStatusResponse{}, nil
}

func (f *fakeRelayer) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.relays...)
}

// opPlanner: each Submit starts an operation; a running operation relays one drain (a
// describering for operations whose ID starts with "describe") and succeeds once the result is in.
type opPlanner struct {
	mu     sync.Mutex
	n      int
	ranges map[string][]plan.TokenRange // describe results seen, by operation
}

func (p *opPlanner) Submit(*plan.State, plan.Request) (plan.Accepted, error) {
	p.mu.Lock()
	p.n++
	id := fmt.Sprintf("op-%d", p.n)
	if p.n%2 == 0 {
		id = fmt.Sprintf("describe-%d", p.n)
	}
	p.mu.Unlock()
	rec := &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: id, Ring: "demo",
		Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING}}
	return plan.Accepted{Operation: rec, Plan: plan.Plan{Writes: []plan.Write{{Kind: plan.RecordOperation, Name: id, Operation: rec}}}}, nil
}

func (p *opPlanner) Reconcile(s *plan.State) plan.Plan {
	var out plan.Plan
	for id, rec := range s.Operations {
		if rec.GetOperation().GetPhase() != cassmesosv1.OperationPhase_OPERATION_PHASE_RUNNING {
			continue
		}
		rid := id + "/0/0"
		if res, ok := s.Relays[rid]; ok && res.Done {
			if strings.HasPrefix(id, "describe") {
				p.mu.Lock()
				p.ranges[id] = res.Ranges
				p.mu.Unlock()
			}
			done := &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: id, Ring: "demo",
				Phase: cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED}}
			out.Writes = append(out.Writes, plan.Write{Kind: plan.RecordOperation, Name: id, Operation: done})
			continue
		}
		kind := plan.RelayDrain
		if strings.HasPrefix(id, "describe") {
			kind = plan.RelayDescribeRing
		}
		out.Actions = append(out.Actions, plan.Relay{ID: rid, Kind: kind, Node: "demo-0", Address: "127.0.0.1", AgentPort: 1, Keyspace: "ks"})
	}
	return out
}

func (p *opPlanner) MatchOffers(s *plan.State, _ []plan.Offer) plan.Plan { return p.Reconcile(s) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// After N tasks die and N relays finish, the engine's memory holds only what is live: the
// statuses of tasks no record names are forgotten once terminal, relay results once their
// operation has ended. No relay runs twice for it. Every relay carries the leader epoch, and a
// describering's ranges reach the planner; relay kinds are logged by name.
func TestEngineForgetsDeadTasksAndFinishedRelays(t *testing.T) {
	const n = 40
	rl := &fakeRelayer{}
	pl := &opPlanner{ranges: map[string][]plan.TokenRange{}}
	logs := &syncBuffer{}
	events := make(chan mesosadapter.Event, 2*n+4)
	eng := engine.New(engine.Options{Planner: pl, Store: memStore{}, Mesos: &fakeMesos{check: func() bool { return true }},
		Relayer: rl, Epoch: 7, Events: events, Tick: 10 * time.Millisecond, PollInterval: time.Hour,
		ReconcileTimeout: time.Second, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	events <- mesosadapter.Event{Subscription: 1, Connected: &mesosadapter.Connected{FrameworkID: "fw"}}
	events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "t1", AgentID: "a1", State: plan.TaskFailed}}
	events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: "stray", AgentID: "a1", State: plan.TaskRunning}}
	for i := range n {
		events <- mesosadapter.Event{Subscription: 1, Update: &plan.TaskStatus{TaskID: fmt.Sprintf("dead-%d", i), AgentID: "a1", State: plan.TaskFailed}}
	}
	waitFor(t, "the engine to run", func() bool {
		return eng.Read(context.Background(), func(*plan.State) {}) == nil
	})
	for range n {
		if _, err := eng.Submit(context.Background(), plan.CreateRing{}); err != nil {
			t.Fatal(err)
		}
	}
	var tasks, relays, ops int
	var kept []string
	waitFor(t, "every operation to end and the maps to shrink to what is live", func() bool {
		if err := eng.Read(context.Background(), func(s *plan.State) {
			tasks, relays, ops = len(s.Tasks), len(s.Relays), 0
			kept = kept[:0]
			for id := range s.Tasks {
				kept = append(kept, id)
			}
			for _, rec := range s.Operations {
				if rec.GetOperation().GetPhase() == cassmesosv1.OperationPhase_OPERATION_PHASE_SUCCEEDED {
					ops++
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
		return ops == n && tasks == 2 && relays == 0
	})
	// Kept: the named task t1 (terminal, but its record names it) and the live stray (the planner
	// must still kill it).
	if len(kept) != 2 || !(kept[0] == "t1" || kept[1] == "t1") {
		t.Errorf("tasks kept %v; want t1 and stray", kept)
	}
	calls := rl.calls()
	if len(calls) != n {
		t.Errorf("%d relays for %d operations: a forgotten result must not run its action again", len(calls), n)
	}
	for _, c := range calls {
		if !strings.HasSuffix(c, "@7") {
			t.Errorf("relay %s without the leader epoch 7", c)
		}
	}
	pl.mu.Lock()
	for id, r := range pl.ranges {
		if len(r) != 1 || r[0].End != "1" {
			t.Errorf("describering result of %s reached the planner as %v", id, r)
		}
	}
	if len(pl.ranges) != n/2 {
		t.Errorf("%d describering results reached the planner; want %d", len(pl.ranges), n/2)
	}
	pl.mu.Unlock()
	out := logs.String()
	if !strings.Contains(out, "kind=drain") || !strings.Contains(out, "kind=describering") || strings.Contains(out, "kind=1 ") {
		t.Errorf("relay kinds not logged by name:\n%.2000s", out)
	}
}

var _ engine.Relayer = (*fakeRelayer)(nil)
