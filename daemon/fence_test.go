package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"

	"github.com/cassmesos/cassmesos/daemon/engine"
	mesosadapter "github.com/cassmesos/cassmesos/daemon/mesos"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/internal/zktest"
	"github.com/cassmesos/cassmesos/zkstate"
)

func TestMain(m *testing.M) { zktest.Main(m) }

// countingMaster answers SUBSCRIBE with SUBSCRIBED and holds the stream open; it counts the other
// calls by type.
type countingMaster struct {
	mu    sync.Mutex
	calls map[scheduler.Call_Type]int
}

func (m *countingMaster) count(typ scheduler.Call_Type) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[typ]
}

func (m *countingMaster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var call scheduler.Call
	buf, _ := io.ReadAll(r.Body)
	if err := call.Unmarshal(buf); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	m.mu.Lock()
	m.calls[call.GetType()]++
	m.mu.Unlock()
	if call.GetType() != scheduler.Call_SUBSCRIBE {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	hb, port, version := 60.0, uint32(5050), "1.11.0"
	ev := scheduler.Event{Type: scheduler.Event_SUBSCRIBED, Subscribed: &scheduler.Event_Subscribed{
		FrameworkID: &mesos.FrameworkID{Value: "fw-1"}, HeartbeatIntervalSeconds: &hb,
		MasterInfo: &mesos.MasterInfo{ID: "m1", Port: &port, Version: &version}}}
	b, _ := ev.Marshal()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Header().Set("Mesos-Stream-Id", "stream-1")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(strconv.Itoa(len(b))+"\n"), b...))
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

type fidStore struct{}

func (fidStore) FrameworkID(context.Context) (string, error)    { return "fw-1", nil }
func (fidStore) StoreFrameworkID(context.Context, string) error { return nil }

// With the daemon's fence, once the ZooKeeper session that held leadership expires, ACCEPT, KILL
// and ACKNOWLEDGE are not sent to the master; the error says why (engine.ErrNotLeader).
func TestMesosCallsNotSentAfterLeadershipExpires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	zs, err := zkstate.Open(ctx, zkstate.Config{Servers: zktest.Shared(t).Servers(), Framework: "daemon-fence",
		SessionTimeout: zktest.DefaultSessionTimeout, Logger: slog.New(slog.DiscardHandler), Dialer: zktest.Dialer})
	if err != nil {
		t.Fatal(err)
	}
	defer zs.Close()
	lead, err := zs.Campaign(ctx, "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if lead.Epoch() == 0 {
		t.Fatal("leadership without an epoch")
	}

	m := &countingMaster{calls: map[scheduler.Call_Type]int{}}
	srv := httptest.NewServer(m)
	defer srv.Close()
	conn, err := mesosadapter.NewConn(mesosadapter.Options{Masters: []string{srv.URL + "/api/v1/scheduler"},
		FrameworkInfo: mesosadapter.FrameworkInfo("fw", []string{"cassandra"}, "nobody", "", "", time.Hour), Store: fidStore{},
		Fence: fence(lead), Logger: slog.New(slog.DiscardHandler), BackoffMin: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan mesosadapter.Event, 16)
	runErr := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { runErr <- conn.Run(runCtx, events) }()
	defer func() { stop(); <-runErr }() // before the master closes: it waits for the stream
	var sub uint64
	select {
	case ev := <-events:
		sub = ev.Subscription
	case <-time.After(15 * time.Second):
		t.Fatal("no subscription")
	}
	d := &mesosadapter.Driver{Conn: conn, Roles: []string{"cassandra"}}
	send := map[scheduler.Call_Type]func(uuid string) error{
		scheduler.Call_ACCEPT: func(string) error {
			return d.Accept(ctx, sub, plan.Accept{AgentID: "a1", OfferIDs: []string{"o1"}})
		},
		scheduler.Call_KILL: func(string) error { return d.Kill(ctx, sub, plan.Kill{TaskID: "t1", AgentID: "a1"}) },
		scheduler.Call_ACKNOWLEDGE: func(uuid string) error {
			return d.Acknowledge(ctx, sub, mesosadapter.Ack{AgentID: "a1", TaskID: "t1", UUID: []byte(uuid)})
		},
	}
	for typ, call := range send {
		if err := call("0123456789abcdef"); err != nil || m.count(typ) != 1 {
			t.Fatalf("%s while leading: %v, %d sent", typ, err, m.count(typ))
		}
	}

	zktest.ExpireSession(t, zs.Conn())
	select {
	case <-lead.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("leadership not lost after the session expired")
	}
	for typ, call := range send {
		err := call("fedcba9876543210")
		if !errors.Is(err, engine.ErrNotLeader) || !errors.Is(err, mesosadapter.ErrFenced) {
			t.Errorf("%s after leadership expired: %v; want ErrFenced wrapping engine.ErrNotLeader", typ, err)
		}
		if n := m.count(typ); n != 1 {
			t.Errorf("%s after leadership expired reached the master (%d in all)", typ, n)
		}
	}
}
