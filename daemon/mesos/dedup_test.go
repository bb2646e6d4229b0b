package mesos

import (
	"context"
	"fmt"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/internal/mesossim"
)

// Issue 17 item 3: a master delivering every status update twice. Each update reaches the engine
// once, each UUID is acknowledged once (the simulator counts ACKs per UUID), and no ACK reaches an
// agent that has no such update (the real agent's "Cannot find the status update stream").
func TestDuplicateStatusUpdatesHandledAndAckedOnce(t *testing.T) {
	sim := startSim(t, mesossim.Config{})
	r := runConn(t, &memStore{}, endpoint(t, sim.URL()))
	d := &Driver{Conn: r.conn, Roles: []string{"cassandra"}}
	sub := r.next(t, "SUBSCRIBED", isConnected).Subscription
	o := r.next(t, "offers", hasOffers).Offers[0]
	sim.DuplicateStatusUpdates(true)

	ti := mesos.TaskInfo{
		Name: "dup", TaskID: mesos.TaskID{Value: "dup"}, AgentID: mesos.AgentID{Value: o.AgentID},
		Command: &mesos.CommandInfo{Value: strPtr("sleep 60")},
		Resources: []mesos.Resource{
			ToMesos(plan.Resource{Name: "cpus", Scalar: 0.1}, "cassandra"),
			ToMesos(plan.Resource{Name: "mem", Scalar: 32}, "cassandra"),
		},
	}
	ctx := context.Background()
	accept := calls.Accept(calls.OfferOperations{calls.OpLaunch(ti)}.WithOffers(mesos.OfferID{Value: o.ID}))
	if err := r.conn.Call(ctx, sub, accept); err != nil {
		t.Fatal(err)
	}

	seen := map[string]int{}
	var uuids [][]byte
	ackAll := func(until plan.TaskState) {
		t.Helper()
		for {
			ev := r.next(t, "update", func(e Event) bool { return e.Update != nil && e.Update.TaskID == "dup" })
			if ev.Ack == nil {
				t.Fatalf("update %s without a UUID", ev.Update.State)
			}
			key := fmt.Sprintf("%x", ev.Ack.UUID)
			seen[key]++
			uuids = append(uuids, ev.Ack.UUID)
			if err := d.Acknowledge(ctx, sub, *ev.Ack); err != nil {
				t.Fatal(err)
			}
			// The engine may acknowledge again (a retried pass): still one ACK.
			if err := d.Acknowledge(ctx, sub, *ev.Ack); err != nil {
				t.Fatal(err)
			}
			if ev.Update.State == until {
				return
			}
		}
	}
	ackAll(plan.TaskRunning)
	if err := d.Kill(ctx, sub, plan.Kill{TaskID: "dup", AgentID: o.AgentID}); err != nil {
		t.Fatal(err)
	}
	ackAll(plan.TaskKilled)
	// Let any late copy arrive.
	time.Sleep(300 * time.Millisecond)
	for {
		select {
		case e := <-r.events:
			if e.Update != nil && e.Update.TaskID == "dup" {
				t.Errorf("update %s delivered again", e.Update.State)
			}
			continue
		default:
		}
		break
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("update %s delivered %d times", k, n)
		}
	}
	for _, u := range uuids {
		if n := sim.Acknowledgements(u); n != 1 {
			t.Errorf("UUID %x acknowledged %d times, want 1", u, n)
		}
	}
	if n := sim.UnknownAcknowledgements(); n != 0 {
		t.Errorf("%d acknowledgements the agent could not match", n)
	}
}

func TestUpdateDedupWindowAndBounds(t *testing.T) {
	d := newUpdateDedup(5 * time.Second)
	t0 := time.Unix(1000, 0)
	u := []byte("uuid-1")
	if !d.deliver("a", "t", u, 1, t0) {
		t.Fatal("first copy not delivered")
	}
	if d.deliver("a", "t", u, 1, t0.Add(time.Second)) {
		t.Error("copy on the same subscription delivered while the first is unacknowledged")
	}
	if !d.deliver("a", "t", u, 2, t0.Add(time.Second)) {
		t.Error("copy on a new subscription (the ACK on the old one may have failed) not delivered")
	}
	d.markAcked("a", "t", u, t0.Add(2*time.Second))
	if d.deliver("a", "t", u, 2, t0.Add(3*time.Second)) || !d.acked("a", "t", u, t0.Add(3*time.Second)) {
		t.Error("copy of an acknowledged update delivered, or not seen as acknowledged")
	}
	// After the window: the agent's retry (our ACK was lost) is delivered and acknowledged again.
	if !d.deliver("a", "t", u, 2, t0.Add(8*time.Second)) || d.acked("a", "t", u, t0.Add(8*time.Second)) {
		t.Error("retry after the window not delivered again")
	}
	// Bounds.
	for i := 0; i < 3*dedupPerTask; i++ {
		d.deliver("a", "t", []byte(fmt.Sprint(i)), 1, t0)
	}
	if n := len(d.tasks[dedupKey{"a", "t"}].entries); n != dedupPerTask {
		t.Errorf("%d UUIDs kept for a task, want %d", n, dedupPerTask)
	}
	for i := 0; i < maxDedupTasks+100; i++ {
		d.deliver("a", fmt.Sprint("task-", i), u, 1, t0.Add(time.Duration(i)))
	}
	if n := len(d.tasks); n > maxDedupTasks {
		t.Errorf("%d tasks remembered, want at most %d", n, maxDedupTasks)
	}
}

// The sequence a real 1.11 master produced when an agent re-registered: its own UUID-less
// TASK_FAILED (REASON_AGENT_REREGISTERED) first, then the agent's update twice. The UUID-less one
// reaches the engine without an Ack (never acknowledged); the agent's reaches it once and is
// acknowledged once, so the agent never sees an ACK it cannot match.
func TestReregistrationDuplicatesAckedOnce(t *testing.T) {
	sim := startSim(t, mesossim.Config{AgentUnreachableTimeout: 300 * time.Millisecond, AgentGoneTimeout: time.Minute,
		StatusUpdateRetryMin: 10 * time.Second})
	r := runConn(t, &memStore{}, endpoint(t, sim.URL()))
	d := &Driver{Conn: r.conn, Roles: []string{"cassandra"}}
	c := r.next(t, "SUBSCRIBED", isConnected)
	sub, fwID := c.Subscription, c.Connected.FrameworkID
	o := r.next(t, "offers", hasOffers).Offers[0]
	ti := mesos.TaskInfo{
		Name: "rr", TaskID: mesos.TaskID{Value: "rr"}, AgentID: mesos.AgentID{Value: o.AgentID},
		Command: &mesos.CommandInfo{Value: strPtr("sleep 60")},
		Resources: []mesos.Resource{
			ToMesos(plan.Resource{Name: "cpus", Scalar: 0.1}, "cassandra"),
			ToMesos(plan.Resource{Name: "mem", Scalar: 32}, "cassandra"),
		},
	}
	ctx := context.Background()
	if err := r.conn.Call(ctx, sub, calls.Accept(calls.OfferOperations{calls.OpLaunch(ti)}.WithOffers(mesos.OfferID{Value: o.ID}))); err != nil {
		t.Fatal(err)
	}
	isTask := func(e Event) bool { return e.Update != nil && e.Update.TaskID == "rr" }
	for {
		ev := r.next(t, "update", isTask)
		if err := d.Acknowledge(ctx, sub, *ev.Ack); err != nil {
			t.Fatal(err)
		}
		if ev.Update.State == plan.TaskRunning {
			break
		}
	}
	time.Sleep(100 * time.Millisecond) // let the ACK reach the agent before the partition
	sim.DuplicateStatusUpdates(true)
	if err := sim.PartitionAgent(o.AgentID); err != nil {
		t.Fatal(err)
	}
	lost := r.next(t, "UNREACHABLE", isTask)
	if lost.Ack != nil {
		t.Fatalf("the master's %s update carries an Ack", lost.Update.State)
	}
	// The engine never acknowledges a UUID-less update; if asked, nothing is sent.
	if err := d.Acknowledge(ctx, sub, Ack{AgentID: o.AgentID, TaskID: "rr"}); err != nil {
		t.Fatal(err)
	}
	if err := sim.KillExecutor(fwID, "rr"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		failed := false
		for _, a := range sim.State().Agents {
			for _, tk := range a.Tasks {
				failed = failed || (tk.ID == "rr" && tk.State == "TASK_FAILED")
			}
		}
		if failed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the task did not fail on the partitioned agent")
		}
	}
	if err := sim.HealAgent(o.AgentID); err != nil {
		t.Fatal(err)
	}
	first := r.next(t, "the master's TASK_FAILED", isTask)
	if first.Ack != nil || first.Update.State != plan.TaskFailed || first.Update.Reason != "REASON_AGENT_REREGISTERED" {
		t.Fatalf("first update after the re-registration: %+v ack %v", first.Update, first.Ack)
	}
	agents := r.next(t, "the agent's TASK_FAILED", isTask)
	if agents.Ack == nil || agents.Update.State != plan.TaskFailed {
		t.Fatalf("agent's update: %+v ack %v", agents.Update, agents.Ack)
	}
	for i := 0; i < 2; i++ { // the engine acknowledging twice still sends one ACK
		if err := d.Acknowledge(ctx, sub, *agents.Ack); err != nil {
			t.Fatal(err)
		}
	}
	for settle := time.After(500 * time.Millisecond); ; {
		select {
		case e := <-r.events:
			if isTask(e) {
				t.Errorf("update %s delivered again (ack %v)", e.Update.State, e.Ack)
			}
			continue
		case <-settle:
		}
		break
	}
	if n := sim.Acknowledgements(agents.Ack.UUID); n != 1 {
		t.Errorf("UUID acknowledged %d times, want 1", n)
	}
	if n := sim.Acknowledgements(nil); n != 0 {
		t.Errorf("%d acknowledgements without a UUID", n)
	}
	if n := sim.UnknownAcknowledgements(); n != 0 {
		t.Errorf("%d acknowledgements the agent could not match", n)
	}
}
