package mesossim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/backoff"
	"github.com/mesos/mesos-go/api/v1/lib/encoding"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/callrules"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/controller"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/eventrules"
	"github.com/mesos/mesos-go/api/v1/lib/extras/store"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpsched"
	"github.com/mesos/mesos-go/api/v1/lib/recordio"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// testexecPath is the test executor binary built by TestMain.
var testexecPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mesossim-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testexecPath = filepath.Join(dir, "testexec")
	cmd := exec.Command("go", "build", "-o", testexecPath, "github.com/cassmesos/cassmesos/internal/mesossim/internal/testexec")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building the test executor failed (needs the go tool): %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects the simulator's log; it is printed when a test fails.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fastConfig is a Config with timings shrunk for tests.
func fastConfig(t *testing.T, agents int) Config {
	t.Helper()
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("simulator log:\n%s", logs.String())
		}
	})
	return Config{
		Agents:                      DefaultAgents(agents),
		WorkDir:                     t.TempDir(),
		HeartbeatInterval:           300 * time.Millisecond,
		AllocationInterval:          50 * time.Millisecond,
		AgentUnreachableTimeout:     300 * time.Millisecond,
		AgentGoneTimeout:            600 * time.Millisecond,
		StatusUpdateRetryMin:        200 * time.Millisecond,
		StatusUpdateRetryMax:        400 * time.Millisecond,
		ExecutorRegistrationTimeout: 10 * time.Second,
		ExecutorShutdownGracePeriod: 2 * time.Second,
		MasterRecoveryPeriod:        200 * time.Millisecond,
		Logger:                      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func startSim(t *testing.T, cfg Config) *Sim {
	t.Helper()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// --- a scheduler built on mesos-go httpsched + controller ---

type testSched struct {
	t       *testing.T
	caller  calls.Caller
	fid     store.Singleton
	noAck   atomic.Bool
	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	events  []*scheduler.Event
	changed chan struct{}
}

func frameworkInfo(name string, failover float64, caps ...mesos.FrameworkInfo_Capability_Type) *mesos.FrameworkInfo {
	info := &mesos.FrameworkInfo{
		User: "nobody", Name: name, Role: proto.String("cass"), Principal: proto.String("cass-principal"),
		FailoverTimeout: proto.Float64(failover), Checkpoint: proto.Bool(true),
	}
	for _, c := range caps {
		info.Capabilities = append(info.Capabilities, mesos.FrameworkInfo_Capability{Type: c})
	}
	return info
}

func startSched(t *testing.T, sim *Sim, info *mesos.FrameworkInfo, fid store.Singleton, media encoding.MediaType) *testSched {
	t.Helper()
	if fid == nil {
		fid = store.NewInMemorySingleton()
	}
	cli := httpcli.New(
		httpcli.Endpoint(sim.URL()+"/api/v1/scheduler"),
		httpcli.Codec(codecs.ByMediaType[media]),
		httpcli.Do(httpcli.With(httpcli.Timeout(5*time.Second))),
	)
	ts := &testSched{t: t, fid: fid, done: make(chan struct{}), changed: make(chan struct{})}
	ts.caller = callrules.New(callrules.WithFrameworkID(store.GetIgnoreErrors(fid))).Caller(httpsched.NewCaller(cli))
	record := eventrules.Rule(func(ctx context.Context, e *scheduler.Event, err error, ch eventrules.Chain) (context.Context, *scheduler.Event, error) {
		ts.mu.Lock()
		ts.events = append(ts.events, e)
		close(ts.changed)
		ts.changed = make(chan struct{})
		ts.mu.Unlock()
		return ch(ctx, e, err)
	})
	ack := controller.AckStatusUpdates(ts.caller)
	maybeAck := eventrules.Rule(func(ctx context.Context, e *scheduler.Event, err error, ch eventrules.Chain) (context.Context, *scheduler.Event, error) {
		if ts.noAck.Load() {
			return ch(ctx, e, err)
		}
		return ack(ctx, e, err, ch)
	})
	handler := eventrules.New(
		record,
		controller.LiftErrors().DropOnError(),
		controller.TrackSubscription(fid, time.Duration(info.GetFailoverTimeout()*float64(time.Second))),
		maybeAck,
	)
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	go func() {
		defer close(ts.done)
		_ = controller.Run(ctx, info, ts.caller,
			controller.WithEventHandler(handler),
			controller.WithFrameworkID(store.GetIgnoreErrors(fid)),
			controller.WithRegistrationTokens(backoff.Notifier(20*time.Millisecond, 200*time.Millisecond, ctx.Done())),
		)
	}()
	t.Cleanup(ts.stop)
	return ts
}

// stop ends the scheduler process (its stream closes; it does not tear down).
func (ts *testSched) stop() {
	ts.cancel()
	<-ts.done
}

func (ts *testSched) mark() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.events)
}

// waitEvent waits for an event from index `from` on that matches.
func (ts *testSched) waitEvent(from int, timeout time.Duration, what string, match func(*scheduler.Event) bool) *scheduler.Event {
	ts.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ts.mu.Lock()
		for i := from; i < len(ts.events); i++ {
			if match(ts.events[i]) {
				e := ts.events[i]
				ts.mu.Unlock()
				return e
			}
		}
		ch := ts.changed
		ts.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			ts.t.Fatalf("timed out after %s waiting for %s; events: %s", timeout, what, ts.summary())
		}
	}
}

func (ts *testSched) summary() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var parts []string
	for _, e := range ts.events {
		s := e.Type.String()
		switch e.Type {
		case scheduler.Event_UPDATE:
			st := e.Update.Status
			s += fmt.Sprintf("(%s %s %s %q)", st.TaskID.Value, st.GetState(), st.GetReason(), st.GetMessage())
		case scheduler.Event_ERROR:
			s += "(" + e.Error.Message + ")"
		case scheduler.Event_OFFERS:
			for _, o := range e.Offers.Offers {
				s += fmt.Sprintf("(%s: %s)", o.Hostname, mesos.Resources(o.Resources))
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func (ts *testSched) waitUpdate(from int, taskID string, state mesos.TaskState) mesos.TaskStatus {
	ts.t.Helper()
	e := ts.waitEvent(from, 20*time.Second, fmt.Sprintf("%s %s", taskID, state), func(e *scheduler.Event) bool {
		return e.Type == scheduler.Event_UPDATE && e.Update.Status.TaskID.Value == taskID && e.Update.Status.GetState() == state
	})
	return e.Update.Status
}

func (ts *testSched) waitSubscribed(from int) string {
	ts.t.Helper()
	e := ts.waitEvent(from, 20*time.Second, "SUBSCRIBED", func(e *scheduler.Event) bool { return e.Type == scheduler.Event_SUBSCRIBED })
	id := e.Subscribed.FrameworkID.Value
	// The event is recorded before the controller stores the ID the next calls carry.
	eventually(ts.t, 5*time.Second, "the framework ID stored", func() bool {
		got, err := ts.fid.Get()
		return err == nil && got == id
	})
	return id
}

// waitOffer waits for an offer from index `from` on that matches.
func (ts *testSched) waitOffer(from int, what string, match func(mesos.Offer) bool) mesos.Offer {
	ts.t.Helper()
	var found mesos.Offer
	ts.waitEvent(from, 20*time.Second, "offer "+what, func(e *scheduler.Event) bool {
		if e.Type != scheduler.Event_OFFERS {
			return false
		}
		for _, o := range e.Offers.Offers {
			if match(o) {
				found = o
				return true
			}
		}
		return false
	})
	return found
}

// offerIDs lists every offer received from index `from` on.
func (ts *testSched) offerIDs(from int) []mesos.OfferID {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var ids []mesos.OfferID
	for _, e := range ts.events[from:] {
		if e.Type == scheduler.Event_OFFERS {
			for _, o := range e.Offers.Offers {
				ids = append(ids, o.ID)
			}
		}
	}
	return ids
}

// freshOffer gives back every offer held (outstanding offers hold their
// resources, as in Mesos), revives, and waits for a new matching offer. An
// offer made between the decline and the revive may hold what is wanted, so
// it tries again a few times.
func (ts *testSched) freshOffer(what string, match func(mesos.Offer) bool) mesos.Offer {
	ts.t.Helper()
	for attempt := 0; attempt < 5; attempt++ {
		m := ts.mark()
		if ids := ts.offerIDs(0); len(ids) > 0 {
			_ = ts.call(calls.Decline(ids...).With(calls.RefuseSeconds(0)))
		}
		ts.mustCall(calls.Revive())
		if o, ok := ts.tryWaitOffer(m, 3*time.Second, match); ok {
			return o
		}
	}
	ts.t.Fatalf("no fresh offer %s; events: %s", what, ts.summary())
	return mesos.Offer{}
}

func (ts *testSched) tryWaitOffer(from int, timeout time.Duration, match func(mesos.Offer) bool) (mesos.Offer, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ts.mu.Lock()
		for i := from; i < len(ts.events); i++ {
			if e := ts.events[i]; e.Type == scheduler.Event_OFFERS {
				for _, o := range e.Offers.Offers {
					if match(o) {
						ts.mu.Unlock()
						return o, true
					}
				}
			}
		}
		ch := ts.changed
		ts.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return mesos.Offer{}, false
		}
	}
}

func (ts *testSched) call(c *scheduler.Call) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return calls.CallNoData(ctx, ts.caller, c)
}

func (ts *testSched) mustCall(c *scheduler.Call) {
	ts.t.Helper()
	if err := ts.call(c); err != nil {
		ts.t.Fatalf("%s call: %v", c.Type, err)
	}
}

// --- resources and task builders ---

func scalar(name string, v float64) mesos.Resource {
	return mesos.Resource{Name: name, Type: mesos.SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: v}}
}

func reserved(r mesos.Resource, role, principal string) mesos.Resource {
	r.Reservations = []mesos.Resource_ReservationInfo{{Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(), Role: proto.String(role), Principal: proto.String(principal)}}
	return r
}

func volume(r mesos.Resource, id, containerPath string) mesos.Resource {
	mode := mesos.RW
	r.Disk = &mesos.Resource_DiskInfo{
		Persistence: &mesos.Resource_DiskInfo_Persistence{ID: id, Principal: proto.String("cass-principal")},
		Volume:      &mesos.Volume{ContainerPath: containerPath, Mode: &mode},
	}
	return r
}

func executorInfo(id string) *mesos.ExecutorInfo {
	return &mesos.ExecutorInfo{
		Type:       mesos.ExecutorInfo_CUSTOM,
		ExecutorID: mesos.ExecutorID{Value: id},
		Command: &mesos.CommandInfo{
			Value: proto.String("./testexec"),
			URIs:  []mesos.CommandInfo_URI{{Value: "file://" + testexecPath, Executable: proto.Bool(true)}},
		},
		Resources: []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)},
	}
}

func customTask(id string, o mesos.Offer, ex *mesos.ExecutorInfo, data string, res ...mesos.Resource) mesos.TaskInfo {
	if len(res) == 0 {
		res = []mesos.Resource{scalar("cpus", 0.5), scalar("mem", 64)}
	}
	return mesos.TaskInfo{Name: id, TaskID: mesos.TaskID{Value: id}, AgentID: o.AgentID, Executor: ex, Resources: res, Data: []byte(data)}
}

func launch(o mesos.Offer, tasks ...mesos.TaskInfo) *scheduler.Call {
	return calls.Accept(calls.OfferOperations{calls.OpLaunch(tasks...)}.WithOffers(o.ID)).With(calls.RefuseSeconds(0))
}

func anyOffer(mesos.Offer) bool { return true }

func onAgent(id string) func(mesos.Offer) bool {
	return func(o mesos.Offer) bool { return o.AgentID.Value == id }
}

// --- raw HTTP for conformance tests ---

func post(t *testing.T, url, contentType, accept string, body []byte, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	if resp.StatusCode == http.StatusOK && resp.ContentLength == -1 {
		return resp, "" // a stream: the caller reads it
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// rawStream reads a scheduler or executor event stream.
type rawStream struct {
	resp  *http.Response
	media string
	ch    chan []byte
}

func newRawStream(t *testing.T, resp *http.Response) *rawStream {
	rs := &rawStream{resp: resp, media: resp.Header.Get("Content-Type"), ch: make(chan []byte, 1024)}
	t.Cleanup(func() { resp.Body.Close() })
	go func() {
		defer close(rs.ch)
		r := recordio.NewReader(resp.Body)
		for {
			b, err := r.ReadFrame()
			if err != nil {
				return
			}
			rs.ch <- append([]byte(nil), b...)
		}
	}()
	return rs
}

// next returns the next scheduler event, or nil when the stream ends.
func (rs *rawStream) next(t *testing.T, timeout time.Duration) *scheduler.Event {
	t.Helper()
	select {
	case b, ok := <-rs.ch:
		if !ok {
			return nil
		}
		var e scheduler.Event
		var err error
		if rs.media == mediaJSON {
			err = e.UnmarshalJSON(b)
		} else {
			err = e.Unmarshal(b)
		}
		if err != nil {
			t.Fatalf("decode event: %v (%q)", err, b)
		}
		return &e
	case <-time.After(timeout):
		t.Fatalf("no event within %s", timeout)
	}
	return nil
}

func (rs *rawStream) nextOf(t *testing.T, timeout time.Duration, typ scheduler.Event_Type) *scheduler.Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		e := rs.next(t, time.Until(deadline))
		if e == nil {
			t.Fatalf("stream ended waiting for %s", typ)
		}
		if e.Type == typ {
			return e
		}
	}
}

func marshalCall(t *testing.T, media string, c interface {
	Marshal() ([]byte, error)
	MarshalJSON() ([]byte, error)
}) []byte {
	t.Helper()
	b, err := encode(media, c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawSubscribe subscribes a framework over plain HTTP.
func rawSubscribe(t *testing.T, sim *Sim, media string, info *mesos.FrameworkInfo) (*rawStream, string, string) {
	t.Helper()
	c := calls.Subscribe(info)
	if info.ID != nil {
		c.FrameworkID = info.ID
	}
	resp, body := post(t, sim.URL()+"/api/v1/scheduler", media, media, marshalCall(t, media, c), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SUBSCRIBE: %d %s", resp.StatusCode, body)
	}
	rs := newRawStream(t, resp)
	e := rs.next(t, 5*time.Second)
	if e == nil || e.Type != scheduler.Event_SUBSCRIBED {
		t.Fatalf("first event %v, want SUBSCRIBED", e)
	}
	return rs, e.Subscribed.FrameworkID.Value, resp.Header.Get("Mesos-Stream-Id")
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func t0() context.Context { return context.Background() }

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

func readFrames(t *testing.T, b []byte) [][]byte {
	t.Helper()
	r := recordio.NewReader(bytes.NewReader(b))
	var out [][]byte
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return out
		}
		out = append(out, append([]byte(nil), f...))
	}
}

// eventsFrom copies the events recorded from index `from` on.
func (ts *testSched) eventsFrom(from int) []*scheduler.Event {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]*scheduler.Event(nil), ts.events[from:]...)
}
