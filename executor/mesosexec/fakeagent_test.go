package mesosexec

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
)

// fakeAgent is a minimal agent executor endpoint: it streams events pushed by the test in RecordIO
// over protobuf, records calls, and acknowledges updates when autoAck is set.
type fakeAgent struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	calls      []*executor.Call
	subscribes []*executor.Call
	stream     chan *executor.Event
	drop       chan struct{}
	autoAck    bool
	refuse     bool
	attempts   int
	attemptAt  []time.Time // when each SUBSCRIBE attempt arrived
}

func newFakeAgent(t *testing.T) *fakeAgent {
	a := &fakeAgent{t: t, autoAck: true}
	a.srv = httptest.NewServer(http.HandlerFunc(a.handle))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *fakeAgent) endpoint() string { return a.srv.Listener.Addr().String() }

func (a *fakeAgent) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/executor" || r.Method != http.MethodPost ||
		r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var c executor.Call
	if err := c.Unmarshal(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if c.ExecutorID.Value != "exec-1" || c.FrameworkID.Value != "fw-1" {
		http.Error(w, "Executor cannot be found", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	if c.Type == executor.Call_SUBSCRIBE {
		a.attempts++
		a.attemptAt = append(a.attemptAt, time.Now())
	}
	if a.refuse {
		a.mu.Unlock()
		http.Error(w, "Agent has not finished recovery", http.StatusServiceUnavailable)
		return
	}
	a.calls = append(a.calls, &c)
	switch c.Type {
	case executor.Call_SUBSCRIBE:
		a.subscribes = append(a.subscribes, &c)
		stream := make(chan *executor.Event, 100)
		drop := make(chan struct{})
		a.stream, a.drop = stream, drop
		a.mu.Unlock()
		a.serveStream(w, r, stream, drop, &c)
		return
	case executor.Call_UPDATE:
		if c.Update.Status.GetSource() != mesos.SOURCE_EXECUTOR || len(c.Update.Status.UUID) != 16 {
			a.mu.Unlock()
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		if a.autoAck && a.stream != nil {
			a.stream <- ack(c.Update.Status)
		}
	}
	a.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func ack(s mesos.TaskStatus) *executor.Event {
	return &executor.Event{Type: executor.Event_ACKNOWLEDGED,
		Acknowledged: &executor.Event_Acknowledged{TaskID: s.TaskID, UUID: s.UUID}}
}

func (a *fakeAgent) serveStream(w http.ResponseWriter, r *http.Request, stream chan *executor.Event, drop chan struct{}, sub *executor.Call) {
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	write := func(ev *executor.Event) bool {
		b, err := ev.Marshal()
		if err != nil {
			a.t.Errorf("marshal: %v", err)
			return false
		}
		if _, err := fmt.Fprintf(w, "%d\n%s", len(b), b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	write(&executor.Event{Type: executor.Event_SUBSCRIBED, Subscribed: &executor.Event_Subscribed{
		ExecutorInfo:  mesos.ExecutorInfo{ExecutorID: mesos.ExecutorID{Value: "exec-1"}},
		FrameworkInfo: mesos.FrameworkInfo{Name: "cassmesos", User: "root"},
		AgentInfo:     mesos.AgentInfo{ID: &mesos.AgentID{Value: "agent-1"}, Hostname: "h"},
	}})
	// The agent replays the unacknowledged updates a SUBSCRIBE carries.
	a.mu.Lock()
	if a.autoAck {
		for _, u := range sub.Subscribe.UnacknowledgedUpdates {
			stream <- ack(u.Status)
		}
	}
	a.mu.Unlock()
	for {
		select {
		case ev := <-stream:
			if !write(ev) {
				return
			}
		case <-drop:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// send pushes an event on the current stream.
func (a *fakeAgent) send(ev *executor.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stream == nil {
		a.t.Fatal("no subscription")
	}
	a.stream <- ev
}

// disconnect closes the current stream.
func (a *fakeAgent) disconnect() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.drop != nil {
		close(a.drop)
		a.drop, a.stream = nil, nil
	}
}

func (a *fakeAgent) setAutoAck(v bool) { a.mu.Lock(); a.autoAck = v; a.mu.Unlock() }
func (a *fakeAgent) setRefuse(v bool)  { a.mu.Lock(); a.refuse = v; a.mu.Unlock() }

func (a *fakeAgent) subscribeCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.subscribes)
}

func (a *fakeAgent) attemptCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.attempts
}

func (a *fakeAgent) lastSubscribe() *executor.Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.subscribes[len(a.subscribes)-1]
}

// updates returns the states of the UPDATE calls (and SUBSCRIBE replays are not included) for task.
func (a *fakeAgent) updates(task string) []mesos.TaskStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []mesos.TaskStatus
	for _, c := range a.calls {
		if c.Type == executor.Call_UPDATE && c.Update.Status.TaskID.Value == task {
			out = append(out, c.Update.Status)
		}
	}
	return out
}

func states(ss []mesos.TaskStatus) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.GetState().String())
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
