package mesossim

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// Cases follow Mesos' src/tests/scheduler_http_api_tests.cpp.
func TestSchedulerHTTPConformance(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	url := sim.URL() + "/api/v1/scheduler"
	_, fwID, streamID := rawSubscribe(t, sim, mediaProtobuf, frameworkInfo("conf", 3600))
	fid := &mesos.FrameworkID{Value: fwID}
	teardown := &scheduler.Call{Type: scheduler.Call_TEARDOWN, FrameworkID: fid}
	sub := calls.Subscribe(frameworkInfo("conf2", 0))
	pb := func(c *scheduler.Call) []byte { return marshalCall(t, mediaProtobuf, c) }
	js := func(c *scheduler.Call) []byte { return marshalCall(t, mediaJSON, c) }
	withStream := map[string]string{"Mesos-Stream-Id": streamID}
	updated := frameworkInfo("conf-renamed", 3600)
	updated.ID = fid
	cases := []struct {
		name        string
		method      string
		contentType string
		accept      string
		body        []byte
		hdr         map[string]string
		want        int
		wantBody    string
	}{
		{"NoContentType", "POST", "", "", pb(sub), nil, 400, "Expecting 'Content-Type' to be present"},
		{"UnsupportedContentMediaType", "POST", "application/foo", "", pb(sub), nil, 415, "Expecting 'Content-Type' of application/json or application/x-protobuf"},
		{"ContentTypeWithParameters", "POST", "application/json; charset=utf-8", "", js(sub), nil, 415, ""},
		{"MalformedProtobuf", "POST", mediaProtobuf, "", []byte{0xff, 0xff, 0xff}, nil, 400, "Failed to parse body into Call protobuf"},
		{"MalformedJSON", "POST", mediaJSON, "", []byte(`{"type":`), nil, 400, "Failed to convert JSON into Call protobuf"},
		{"GetRequest", "GET", "", "", nil, nil, 405, ""},
		{"NotAcceptable", "POST", mediaProtobuf, "foo/bar", pb(sub), nil, 406, ""},
		{"SubscribeWithStreamId", "POST", mediaProtobuf, mediaProtobuf, pb(sub), withStream, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header"},
		{"MissingType", "POST", mediaJSON, "", []byte(`{"framework_id":{"value":"x"}}`), nil, 400, "Expecting 'type' to be present"},
		{"SubscribeWithoutSubscribe", "POST", mediaJSON, "", []byte(`{"type":"SUBSCRIBE"}`), nil, 400, "Expecting 'subscribe' to be present"},
		{"FrameworkIDDiffers", "POST", mediaProtobuf, "", pb(&scheduler.Call{Type: scheduler.Call_SUBSCRIBE, FrameworkID: &mesos.FrameworkID{Value: "a"}, Subscribe: &scheduler.Call_Subscribe{FrameworkInfo: frameworkInfo("x", 0)}}), nil, 400, "'framework_id' differs from 'subscribe.framework_info.id'"},
		{"TeardownWithoutFrameworkID", "POST", mediaProtobuf, "", pb(&scheduler.Call{Type: scheduler.Call_TEARDOWN}), nil, 400, "Expecting 'framework_id' to be present"},
		{"TeardownWithoutStreamId", "POST", mediaProtobuf, "", pb(teardown), nil, 400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header"},
		{"TeardownWrongStreamId", "POST", mediaProtobuf, "", pb(teardown), map[string]string{"Mesos-Stream-Id": "not-it"}, 400, "didn't match"},
		{"UnknownFramework", "POST", mediaProtobuf, "", pb(&scheduler.Call{Type: scheduler.Call_TEARDOWN, FrameworkID: &mesos.FrameworkID{Value: "nope"}}), withStream, 400, "Framework cannot be found"},
		{"MalformedUUID", "POST", mediaProtobuf, "", pb(&scheduler.Call{Type: scheduler.Call_ACKNOWLEDGE, FrameworkID: fid, Acknowledge: &scheduler.Call_Acknowledge{UUID: []byte("short")}}), withStream, 400, "Failed to validate scheduler::Call"},
		{"AcceptWithoutAccept", "POST", mediaProtobuf, "", pb(&scheduler.Call{Type: scheduler.Call_ACCEPT, FrameworkID: fid}), withStream, 400, "Expecting 'accept' to be present"},
		{"UnknownCallType", "POST", mediaProtobuf, "", pb(&scheduler.Call{Type: scheduler.Call_UNKNOWN, FrameworkID: fid}), withStream, 501, ""},
		{"StaleOfferDeclineAccepted", "POST", mediaJSON, "", js(calls.Decline(mesos.OfferID{Value: "stale"}).With(calls.Framework(fwID))), withStream, 202, ""},
		{"ReconcileJSONWithNulls", "POST", mediaJSON, "", []byte(`{"type":"RECONCILE","framework_id":{"value":"` + fwID + `"},"reconcile":{"tasks":null}}`), withStream, 202, ""},
		{"UpdateFramework", "POST", mediaProtobuf, "", pb(&scheduler.Call{Type: scheduler.Call_UPDATE_FRAMEWORK, FrameworkID: fid, UpdateFramework: &scheduler.Call_UpdateFramework{FrameworkInfo: *updated}}), withStream, 200, ""},
		{"UpdateFrameworkIDDiffers", "POST", mediaProtobuf, "", pb(&scheduler.Call{Type: scheduler.Call_UPDATE_FRAMEWORK, FrameworkID: fid, UpdateFramework: &scheduler.Call_UpdateFramework{FrameworkInfo: *frameworkInfo("x", 0)}}), withStream, 400, "'framework_id' differs"},
		{"ReviveUnknownRole", "POST", mediaProtobuf, "", pb(calls.ReviveWith([]string{"other"}).With(calls.Framework(fwID))), withStream, 400, "not one of the framework's roles"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var resp *http.Response
			var body string
			if tc.method == "GET" {
				r, err := http.Get(url)
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				resp = r
			} else {
				resp, body = post(t, url, tc.contentType, tc.accept, tc.body, tc.hdr)
			}
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.want)
			}
			if !strings.Contains(body, tc.wantBody) {
				t.Errorf("body %q, want it to contain %q", body, tc.wantBody)
			}
			if tc.want >= 400 && resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" && tc.method != "GET" {
				t.Errorf("error Content-Type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

// SUBSCRIBE: chunked stream, exact Content-Type, stream id, SUBSCRIBED then
// an immediate HEARTBEAT then one per interval; Accept picks the encoding.
func TestSubscribeStreamFraming(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	for _, tc := range []struct{ name, contentType, accept, want string }{
		{"Protobuf", mediaProtobuf, mediaProtobuf, mediaProtobuf},
		{"JSON", mediaJSON, mediaJSON, mediaJSON},
		{"NoAcceptHeader", mediaProtobuf, "", mediaJSON},
		{"DefaultAccept", mediaProtobuf, "*/*", mediaJSON},
		{"ProtobufPreferred", mediaJSON, "application/x-protobuf, text/html", mediaProtobuf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, sim.URL()+"/api/v1/scheduler", tc.contentType, tc.accept, marshalCall(t, tc.contentType, calls.Subscribe(frameworkInfo("f", 60))), nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != tc.want {
				t.Errorf("Content-Type %q, want %q", ct, tc.want)
			}
			if resp.ContentLength != -1 || len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
				t.Errorf("want a chunked stream, got length %d encoding %v", resp.ContentLength, resp.TransferEncoding)
			}
			if id := resp.Header.Get("Mesos-Stream-Id"); len(id) != 36 {
				t.Errorf("Mesos-Stream-Id %q", id)
			}
			rs := newRawStream(t, resp)
			e := rs.next(t, 5*time.Second)
			if e.Type != scheduler.Event_SUBSCRIBED || e.Subscribed.GetHeartbeatIntervalSeconds() != 0.3 || e.Subscribed.MasterInfo.GetVersion() != "1.11.0" {
				t.Fatalf("first event %s %+v", e.Type, e.Subscribed)
			}
			if !strings.HasPrefix(e.Subscribed.FrameworkID.Value, e.Subscribed.MasterInfo.ID+"-") {
				t.Errorf("framework id %q not <master id>-NNNN", e.Subscribed.FrameworkID.Value)
			}
			if e := rs.next(t, time.Second); e.Type != scheduler.Event_HEARTBEAT {
				t.Fatalf("second event %s, want HEARTBEAT", e.Type)
			}
			rs.nextOf(t, 5*time.Second, scheduler.Event_OFFERS)
			start := time.Now()
			rs.nextOf(t, 5*time.Second, scheduler.Event_HEARTBEAT)
			rs.nextOf(t, 5*time.Second, scheduler.Event_HEARTBEAT)
			if d := time.Since(start); d < 300*time.Millisecond {
				t.Errorf("two heartbeats in %s, want one per 300ms", d)
			}
		})
	}
}

func TestSubscribeRefusedWithErrorEvent(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	multi := frameworkInfo("m", 0, mesos.FrameworkInfo_Capability_MULTI_ROLE) // role set with MULTI_ROLE
	noMulti := frameworkInfo("n", 0)
	noMulti.Roles = []string{"a"}
	for _, tc := range []struct {
		name string
		info *mesos.FrameworkInfo
		want string
	}{
		{"RoleWithMultiRole", multi, "must not be set"},
		{"RolesWithoutMultiRole", noMulti, "must be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := post(t, sim.URL()+"/api/v1/scheduler", mediaJSON, mediaJSON, marshalCall(t, mediaJSON, calls.Subscribe(tc.info)), nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d, want 200 then ERROR", resp.StatusCode)
			}
			rs := newRawStream(t, resp)
			e := rs.next(t, 5*time.Second)
			if e.Type != scheduler.Event_ERROR || !strings.Contains(e.Error.Message, tc.want) {
				t.Fatalf("event %s %v, want ERROR containing %q", e.Type, e.Error, tc.want)
			}
			if e := rs.next(t, 5*time.Second); e != nil {
				t.Fatalf("stream not closed after ERROR: %s", e.Type)
			}
		})
	}
}

// A second SUBSCRIBE with the framework ID fails the first stream over;
// TEARDOWN removes the framework and its ID can never subscribe again.
func TestFailoverAndTeardown(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	info := frameworkInfo("fo", 3600)
	old, fwID, _ := rawSubscribe(t, sim, mediaProtobuf, info)
	info.ID = &mesos.FrameworkID{Value: fwID}
	cur, again, streamID := rawSubscribe(t, sim, mediaJSON, info)
	if again != fwID {
		t.Fatalf("re-subscribed as %s, want %s", again, fwID)
	}
	e := old.nextOf(t, 5*time.Second, scheduler.Event_ERROR)
	if e.Error.Message != "Framework failed over" {
		t.Fatalf("old stream ERROR %q", e.Error.Message)
	}
	for e := old.next(t, 5*time.Second); e != nil; e = old.next(t, 5*time.Second) {
	}
	resp, body := post(t, sim.URL()+"/api/v1/scheduler", mediaJSON, "", marshalCall(t, mediaJSON, &scheduler.Call{Type: scheduler.Call_TEARDOWN, FrameworkID: &mesos.FrameworkID{Value: fwID}}), map[string]string{"Mesos-Stream-Id": streamID})
	if resp.StatusCode != 202 || body != "" {
		t.Fatalf("TEARDOWN: %d %q, want 202 and no body", resp.StatusCode, body)
	}
	for e := cur.next(t, 5*time.Second); e != nil; e = cur.next(t, 5*time.Second) {
	}
	resp, _ = post(t, sim.URL()+"/api/v1/scheduler", mediaJSON, mediaJSON, marshalCall(t, mediaJSON, calls.Subscribe(info).With(calls.SubscribeTo(fwID))), nil)
	rs := newRawStream(t, resp)
	if e := rs.next(t, 5*time.Second); e.Type != scheduler.Event_ERROR || e.Error.Message != "Framework has been removed" {
		t.Fatalf("subscribe after teardown: %s %v", e.Type, e.Error)
	}
	// Non-subscribe calls of a removed framework.
	resp, body = post(t, sim.URL()+"/api/v1/scheduler", mediaJSON, "", marshalCall(t, mediaJSON, calls.Revive().With(calls.Framework(fwID))), map[string]string{"Mesos-Stream-Id": streamID})
	if resp.StatusCode != 400 || body != "Framework cannot be found" {
		t.Fatalf("call after teardown: %d %q", resp.StatusCode, body)
	}
}

// A framework whose stream is gone gets 403 until it re-subscribes; when its
// failover timeout expires it is removed.
func TestFailoverTimeout(t *testing.T) {
	sim := startSim(t, fastConfig(t, 1))
	info := frameworkInfo("ft", 0.3)
	rs, fwID, streamID := rawSubscribe(t, sim, mediaProtobuf, info)
	rs.resp.Body.Close()
	eventually(t, 5*time.Second, "framework disconnected", func() bool {
		resp, body := post(t, sim.URL()+"/api/v1/scheduler", mediaJSON, "", marshalCall(t, mediaJSON, calls.Revive().With(calls.Framework(fwID))), map[string]string{"Mesos-Stream-Id": streamID})
		return resp.StatusCode == 403 && body == "Framework is not subscribed"
	})
	eventually(t, 5*time.Second, "framework removed", func() bool {
		for _, f := range sim.State().Frameworks {
			if f.ID == fwID && f.Removed {
				return true
			}
		}
		return false
	})
}

func TestMasterHTTPEndpoints(t *testing.T) {
	cfg := fastConfig(t, 2)
	cfg.Credentials = []Credential{{Principal: "cass-principal", Secret: "s3cret"}}
	sim := startSim(t, cfg)
	body := marshalCall(t, mediaJSON, calls.Subscribe(frameworkInfo("auth", 0)))
	if resp, _ := post(t, sim.URL()+"/api/v1/scheduler", mediaJSON, "", body, nil); resp.StatusCode != 401 {
		t.Errorf("no credentials: %d, want 401", resp.StatusCode)
	}
	basic := func(u, p string) map[string]string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(u, p)
		return map[string]string{"Authorization": r.Header.Get("Authorization")}
	}
	if resp, _ := post(t, sim.URL()+"/api/v1/scheduler", mediaJSON, "", body, basic("cass-principal", "wrong")); resp.StatusCode != 401 {
		t.Errorf("wrong secret: %d, want 401", resp.StatusCode)
	}
	other := frameworkInfo("auth", 0)
	other.Principal = proto.String("someone-else")
	if resp, b := post(t, sim.URL()+"/api/v1/scheduler", mediaJSON, "", marshalCall(t, mediaJSON, calls.Subscribe(other)), basic("cass-principal", "s3cret")); resp.StatusCode != 400 || !strings.Contains(b, "does not match principal") {
		t.Errorf("principal mismatch: %d %q, want 400", resp.StatusCode, b)
	}
	resp, _ := post(t, sim.URL()+"/api/v1/scheduler", mediaJSON, mediaJSON, body, basic("cass-principal", "s3cret"))
	if resp.StatusCode != 200 {
		t.Fatalf("authenticated subscribe: %d", resp.StatusCode)
	}
	resp.Body.Close()

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := noRedirect.Get(sim.URL() + "/master/redirect")
	if err != nil || r.StatusCode != 307 || r.Header.Get("Location") != "//"+sim.Addr() {
		t.Errorf("/master/redirect: %v %v", r, err)
	}
	if r, err := http.Get(sim.URL() + "/health"); err != nil || r.StatusCode != 200 {
		t.Errorf("/health: %v %v", r, err)
	}
	r, err = http.Get(sim.URL() + "/master/state")
	if err != nil || r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("/master/state: %v %v", r, err)
	}
	r.Body.Close()

	// A standby answers 307 to the leader, protocol-relative.
	scfg := fastConfig(t, 0)
	scfg.Leader = sim.Addr()
	standby := startSim(t, scfg)
	req, _ := http.NewRequest("POST", standby.URL()+"/api/v1/scheduler", strings.NewReader("{}"))
	req.Header.Set("Content-Type", mediaJSON)
	r, err = noRedirect.Do(req)
	if err != nil || r.StatusCode != 307 || r.Header.Get("Location") != "//"+sim.Addr()+"/api/v1/scheduler" {
		t.Fatalf("standby: %v %v", r, err)
	}

	// A restarted master answers 503 while it recovers.
	sim.RestartMaster()
	if resp, b := post(t, sim.URL()+"/api/v1/scheduler", mediaJSON, "", body, basic("cass-principal", "s3cret")); resp.StatusCode != 503 || b != "Master has not finished recovery" {
		t.Errorf("during recovery: %d %q", resp.StatusCode, b)
	}
}

// Cases follow Mesos' src/tests/executor_http_api_tests.cpp.
func TestExecutorHTTPConformance(t *testing.T) {
	cfg := fastConfig(t, 1)
	cfg.ExecutorRegistrationTimeout = 2 * time.Second
	sim := startSim(t, cfg)
	sched := startSched(t, sim, frameworkInfo("exec-conf", 60, mesos.FrameworkInfo_Capability_PARTITION_AWARE), nil, mediaProtobuf)
	fwID := sched.waitSubscribed(0)
	o := sched.waitOffer(0, "any", anyOffer)
	// An executor that never subscribes: REGISTERING until the timeout.
	ex := &mesos.ExecutorInfo{Type: mesos.ExecutorInfo_CUSTOM, ExecutorID: mesos.ExecutorID{Value: "silent"}, Command: &mesos.CommandInfo{Value: proto.String("sleep 30")}}
	m := sched.mark()
	sched.mustCall(launch(o, customTask("silent-task", o, ex, "")))
	url := "http://" + sim.Agents()[0].Endpoint + "/api/v1/executor"
	eventually(t, 5*time.Second, "executor launched", func() bool { return len(sim.State().Agents[0].Executors) == 1 })

	fid, eid := mesos.FrameworkID{Value: fwID}, mesos.ExecutorID{Value: "silent"}
	u := []byte("0123456789abcdef")
	update := func(st mesos.TaskStatus) *executor.Call {
		return &executor.Call{Type: executor.Call_UPDATE, FrameworkID: fid, ExecutorID: eid, Update: &executor.Call_Update{Status: st}}
	}
	good := mesos.TaskStatus{TaskID: mesos.TaskID{Value: "silent-task"}, State: mesos.TASK_RUNNING.Enum(), Source: mesos.SOURCE_EXECUTOR.Enum(), UUID: u}
	badUUID, staging, agentSrc := good, good, good
	badUUID.UUID = []byte("x")
	staging.State = mesos.TASK_STAGING.Enum()
	agentSrc.Source = mesos.SOURCE_AGENT.Enum()
	pb := func(c *executor.Call) []byte { return marshalCall(t, mediaProtobuf, c) }
	cases := []struct {
		name, contentType, accept string
		body                      []byte
		want                      int
		wantBody                  string
	}{
		{"NoContentType", "", "", pb(update(good)), 400, "Expecting 'Content-Type' to be present"},
		{"UnsupportedContentMediaType", "text/plain", "", pb(update(good)), 415, ""},
		{"MalformedContent", mediaJSON, "", []byte("{{"), 400, "Failed to convert JSON"},
		{"MissingExecutorID", mediaProtobuf, "", pb(&executor.Call{Type: executor.Call_HEARTBEAT, FrameworkID: fid}), 400, "Expecting 'executor_id' to be present"},
		{"Heartbeat", mediaProtobuf, "", pb(&executor.Call{Type: executor.Call_HEARTBEAT, FrameworkID: fid, ExecutorID: eid}), 202, ""},
		{"UnknownFramework", mediaProtobuf, "", pb(&executor.Call{Type: executor.Call_UPDATE, FrameworkID: mesos.FrameworkID{Value: "nope"}, ExecutorID: eid, Update: &executor.Call_Update{Status: good}}), 400, "Framework cannot be found"},
		{"UnknownExecutor", mediaProtobuf, "", pb(&executor.Call{Type: executor.Call_UPDATE, FrameworkID: fid, ExecutorID: mesos.ExecutorID{Value: "nope"}, Update: &executor.Call_Update{Status: good}}), 400, "Executor cannot be found"},
		{"StatusUpdateCallFailedValidationUUID", mediaProtobuf, "", pb(update(badUUID)), 400, "UUID"},
		{"StatusUpdateStaging", mediaProtobuf, "", pb(update(staging)), 400, "TASK_STAGING"},
		{"StatusUpdateWrongSource", mediaProtobuf, "", pb(update(agentSrc)), 400, "SOURCE_EXECUTOR"},
		{"NotSubscribed", mediaProtobuf, "", pb(update(good)), 403, "Executor is not subscribed"},
		{"SubscribeNotAcceptable", mediaProtobuf, "foo/bar", pb(&executor.Call{Type: executor.Call_SUBSCRIBE, FrameworkID: fid, ExecutorID: eid, Subscribe: &executor.Call_Subscribe{}}), 406, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, url, tc.contentType, tc.accept, tc.body, nil)
			if resp.StatusCode != tc.want || !strings.Contains(body, tc.wantBody) {
				t.Fatalf("got %d %q, want %d containing %q", resp.StatusCode, body, tc.want, tc.wantBody)
			}
		})
	}
	// The registration timeout fails the task and reports the executor.
	st := sched.waitUpdate(m, "silent-task", mesos.TASK_FAILED)
	if st.GetReason() != mesos.REASON_EXECUTOR_REGISTRATION_TIMEOUT || st.GetSource() != mesos.SOURCE_AGENT {
		t.Errorf("reason %s source %s, want REASON_EXECUTOR_REGISTRATION_TIMEOUT from the agent", st.GetReason(), st.GetSource())
	}
	sched.waitEvent(m, 5*time.Second, "FAILURE", func(e *scheduler.Event) bool {
		return e.Type == scheduler.Event_FAILURE && e.Failure.GetExecutorID().GetValue() == "silent"
	})
}
