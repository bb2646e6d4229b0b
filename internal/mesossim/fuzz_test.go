package mesossim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

func fuzzSim(f *testing.F) *Sim {
	cfg := Config{Agents: DefaultAgents(1), WorkDir: f.TempDir(), HeartbeatInterval: time.Hour,
		Logger: discardLogger()}
	s, err := Start(t0(), cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	return s
}

// FuzzSchedulerCall feeds arbitrary bodies, in both media types, to the
// master's scheduler endpoint: any answer but a panic (500) is fine.
func FuzzSchedulerCall(f *testing.F) {
	sim := fuzzSim(f)
	sub, _ := calls.Subscribe(frameworkInfo("fuzz", 0)).Marshal()
	subJSON, _ := calls.Subscribe(frameworkInfo("fuzz", 0)).MarshalJSON()
	acc, _ := calls.Accept(calls.OfferOperations{calls.OpLaunch(mesos.TaskInfo{Name: "x"})}.WithOffers(mesos.OfferID{Value: "o"})).With(calls.Framework("f")).MarshalJSON()
	for _, seed := range [][]byte{sub, subJSON, acc, []byte(`{"type":"ACKNOWLEDGE","framework_id":{"value":"f"},"acknowledge":{"uuid":"!!"}}`), {0x10, 0x01, 0x1a, 0xff}, []byte(`{"type":null}`), nil} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		ct := mediaProtobuf
		if asJSON {
			ct = mediaJSON
		}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/scheduler", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Mesos-Stream-Id", "s")
		// A SUBSCRIBE that succeeds streams until the request ends.
		ctx, cancel := contextWithTimeout(50 * time.Millisecond)
		defer cancel()
		rec := httptest.NewRecorder()
		sim.handleScheduler(rec, req.WithContext(ctx))
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("500 for %q: %s", body, rec.Body.String())
		}
	})
}

// FuzzExecutorCall does the same for an agent's executor endpoint.
func FuzzExecutorCall(f *testing.F) {
	sim := fuzzSim(f)
	a := sim.agents[0]
	u, _ := (&executor.Call{Type: executor.Call_UPDATE, FrameworkID: mesos.FrameworkID{Value: "f"}, ExecutorID: mesos.ExecutorID{Value: "e"},
		Update: &executor.Call_Update{Status: mesos.TaskStatus{State: mesos.TASK_RUNNING.Enum()}}}).MarshalJSON()
	for _, seed := range [][]byte{u, []byte(`{"type":"SUBSCRIBE"}`), {0x18, 0x01}, nil} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		ct := mediaProtobuf
		if asJSON {
			ct = mediaJSON
		}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/executor", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		a.handleExecutor(rec, req)
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("500 for %q: %s", body, rec.Body.String())
		}
	})
}

// FuzzRecordIOEvents checks that what the simulator frames, mesos-go's
// reader reads back, for arbitrary event payloads.
func FuzzRecordIOEvents(f *testing.F) {
	f.Add([]byte("hello"), "m")
	f.Fuzz(func(t *testing.T, data []byte, msg string) {
		ev := &scheduler.Event{Type: scheduler.Event_ERROR, Error: &scheduler.Event_Error{Message: msg}}
		for _, media := range []string{mediaJSON, mediaProtobuf} {
			b, err := encode(media, ev)
			if err != nil {
				continue
			}
			framed := append(frameRecord(b), frameRecord(data)...)
			if got := readFrames(t, framed); len(data) > 0 && (len(got) != 2 || !bytes.Equal(got[0], b) || !bytes.Equal(got[1], data)) {
				t.Fatalf("frames %q, want %q and %q", got, b, data)
			}
		}
	})
}

// FuzzTextParsers covers the flag and credential-file parsers.
func FuzzTextParsers(f *testing.F) {
	for _, s := range []string{DefaultAgentResources, "cpus(role):2;ports:[1-2,5-9]", "rack:r1;zone:z1;level:3", `{"credentials":[{"principal":"p","secret":"s"}]}`, "p s\nq t", "a:{x,y}", "*/*;q=0, application/json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseResources(s)
		_, _ = parseAttributes(s)
		_, _ = parseCredentials([]byte(s))
		_, _ = negotiate(s)
	})
}
