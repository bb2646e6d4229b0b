package mesos

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
)

// bodyless returns one event of every type that carries a body, without it.
func bodyless() []scheduler.Event {
	var out []scheduler.Event
	for _, typ := range []scheduler.Event_Type{
		scheduler.Event_SUBSCRIBED, scheduler.Event_OFFERS, scheduler.Event_INVERSE_OFFERS, scheduler.Event_RESCIND,
		scheduler.Event_RESCIND_INVERSE_OFFER, scheduler.Event_UPDATE, scheduler.Event_UPDATE_OPERATION_STATUS,
		scheduler.Event_MESSAGE, scheduler.Event_FAILURE, scheduler.Event_ERROR,
	} {
		out = append(out, scheduler.Event{Type: typ})
	}
	return out
}

func TestTranslateMalformedEvents(t *testing.T) {
	events := bodyless()
	events = append(events,
		scheduler.Event{Type: scheduler.Event_OFFERS, Offers: &scheduler.Event_Offers{}},
		scheduler.Event{Type: scheduler.Event_OFFERS, Offers: &scheduler.Event_Offers{Offers: []mesos.Offer{{AgentID: mesos.AgentID{Value: "a1"}}}}},
		scheduler.Event{Type: scheduler.Event_RESCIND, Rescind: &scheduler.Event_Rescind{}},
		scheduler.Event{Type: scheduler.Event_UPDATE, Update: &scheduler.Event_Update{}},
		scheduler.Event{Type: scheduler.Event_FAILURE, Failure: &scheduler.Event_Failure{}},
		scheduler.Event{Type: scheduler.Event_FAILURE, Failure: &scheduler.Event_Failure{ExecutorID: &mesos.ExecutorID{Value: "e1"}}},
	)
	for _, e := range events {
		t.Run(e.GetType().String(), func(t *testing.T) {
			ev, err := translate(&e, time.Now())
			if !errors.Is(err, ErrMalformedEvent) {
				t.Errorf("err %v, want ErrMalformedEvent", err)
			}
			if ev.Update != nil || ev.Failure != nil || ev.Message != nil || len(ev.Offers) > 0 || ev.Rescinded != "" || ev.Other != "" {
				t.Errorf("a malformed %s became %+v", e.GetType(), ev)
			}
		})
	}
	// The well-formed offers of an OFFERS event are kept.
	ev, err := translate(&scheduler.Event{Type: scheduler.Event_OFFERS, Offers: &scheduler.Event_Offers{Offers: []mesos.Offer{
		{ID: mesos.OfferID{Value: "o1"}, AgentID: mesos.AgentID{Value: "a1"}}, {ID: mesos.OfferID{Value: "o2"}},
	}}}, time.Now())
	if !errors.Is(err, ErrMalformedEvent) || len(ev.Offers) != 1 || ev.Offers[0].ID != "o1" {
		t.Errorf("offers %+v, err %v", ev.Offers, err)
	}
	// Well-formed events still translate.
	for _, e := range []scheduler.Event{
		{Type: scheduler.Event_FAILURE, Failure: &scheduler.Event_Failure{AgentID: &mesos.AgentID{Value: "a1"}}},
		{Type: scheduler.Event_UPDATE, Update: &scheduler.Event_Update{Status: mesos.TaskStatus{TaskID: mesos.TaskID{Value: "t1"}}}},
		{Type: scheduler.Event_RESCIND, Rescind: &scheduler.Event_Rescind{OfferID: mesos.OfferID{Value: "o1"}}},
		{Type: scheduler.Event_MESSAGE, Message: &scheduler.Event_Message{}},
		{Type: scheduler.Event_INVERSE_OFFERS, InverseOffers: &scheduler.Event_InverseOffers{}},
	} {
		if _, err := translate(&e, time.Now()); err != nil {
			t.Errorf("%s: %v", e.GetType(), err)
		}
	}
}

// fakeMaster answers SUBSCRIBE with the next script: a stream of events, held open until the
// test ends. Other calls are accepted and counted by type.
type fakeMaster struct {
	mu         sync.Mutex
	scripts    [][]scheduler.Event
	subscribes int
	calls      map[scheduler.Call_Type]int
}

// count is how many calls of typ the master received (SUBSCRIBE: subscribes).
func (m *fakeMaster) count(typ scheduler.Call_Type) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if typ == scheduler.Call_SUBSCRIBE {
		return m.subscribes
	}
	return m.calls[typ]
}

func (m *fakeMaster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var call scheduler.Call
	buf, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := call.Unmarshal(buf); err != nil || call.GetType() != scheduler.Call_SUBSCRIBE {
		if err == nil {
			m.mu.Lock()
			if m.calls == nil {
				m.calls = map[scheduler.Call_Type]int{}
			}
			m.calls[call.GetType()]++
			m.mu.Unlock()
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	m.mu.Lock()
	m.subscribes++
	var script []scheduler.Event
	if len(m.scripts) > 0 {
		script, m.scripts = m.scripts[0], m.scripts[1:]
	}
	m.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Header().Set("Mesos-Stream-Id", "stream-1")
	w.WriteHeader(http.StatusOK)
	for _, e := range script {
		b, err := e.Marshal()
		if err != nil {
			panic(err)
		}
		_, _ = w.Write(append([]byte(strconv.Itoa(len(b))+"\n"), b...))
		w.(http.Flusher).Flush()
	}
	<-r.Context().Done()
}

func subscribed() scheduler.Event {
	hb := 60.0
	port := uint32(5050)
	version := "1.11.0"
	return scheduler.Event{Type: scheduler.Event_SUBSCRIBED, Subscribed: &scheduler.Event_Subscribed{
		FrameworkID: &mesos.FrameworkID{Value: "fw-1"}, HeartbeatIntervalSeconds: &hb,
		MasterInfo: &mesos.MasterInfo{ID: "m1", Port: &port, Version: &version},
	}}
}

// A SUBSCRIBED without its body is retried (it used to be taken for a master too old, which
// stops the daemon), and body-less events on a subscription are dropped (a FAILURE without its
// body crashed the daemon), while the next good event gets through.
func TestConnIgnoresMalformedEvents(t *testing.T) {
	good := scheduler.Event{Type: scheduler.Event_UPDATE, Update: &scheduler.Event_Update{Status: mesos.TaskStatus{
		TaskID: mesos.TaskID{Value: "t1"}, State: mesos.TASK_RUNNING.Enum()}}}
	stream := append([]scheduler.Event{subscribed()}, bodyless()...)
	stream = append(stream, good)
	m := &fakeMaster{scripts: [][]scheduler.Event{{{Type: scheduler.Event_SUBSCRIBED}}, stream}}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)

	r := runConn(t, &memStore{}, srv.URL+"/api/v1/scheduler")
	r.next(t, "SUBSCRIBED", isConnected)
	ev := r.next(t, "an event", func(Event) bool { return true })
	if ev.Update == nil || ev.Update.TaskID != "t1" {
		t.Fatalf("first event after SUBSCRIBED: %+v, want the UPDATE of t1", ev)
	}
	m.mu.Lock()
	n := m.subscribes
	m.mu.Unlock()
	if n != 2 {
		t.Errorf("%d subscriptions, want 2", n)
	}
	select {
	case <-r.done:
		t.Fatalf("Run ended: %v", r.err)
	default:
	}
}
