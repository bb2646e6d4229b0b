package mesos

import (
	"bytes"
	"errors"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/encoding"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/framing"
	"github.com/mesos/mesos-go/api/v1/lib/recordio"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
)

// FuzzMesosEvents decodes the fuzzer's bytes as scheduler events the way the subscription does
// (decodeEvent: mesos-go's decoders panic on some input, which must end the stream, not the
// daemon) and translates each one for the engine. The first byte picks the form: one protobuf event, one
// JSON event, or a RecordIO-framed stream of protobuf or JSON events (as the master sends them;
// decoded until the first error). Nothing may panic; an event translate refuses is refused with
// ErrMalformedEvent and yields nothing (the well-formed offers of an OFFERS event aside); an
// event it takes carries the IDs the engine keys on.
func FuzzMesosEvents(f *testing.F) {
	hb := 15.0
	version := "1.11.0"
	port := uint32(5050)
	good := []scheduler.Event{
		{Type: scheduler.Event_SUBSCRIBED, Subscribed: &scheduler.Event_Subscribed{FrameworkID: &mesos.FrameworkID{Value: "fw"},
			HeartbeatIntervalSeconds: &hb, MasterInfo: &mesos.MasterInfo{ID: "m", IP: 1, Port: &port, Version: &version}}},
		{Type: scheduler.Event_OFFERS, Offers: &scheduler.Event_Offers{Offers: []mesos.Offer{{ID: mesos.OfferID{Value: "o1"},
			AgentID: mesos.AgentID{Value: "a1"}, FrameworkID: mesos.FrameworkID{Value: "fw"}, Hostname: "h1",
			Resources: []mesos.Resource{{Name: "cpus", Type: mesos.SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: 2}},
				{Name: "ports", Type: mesos.RANGES.Enum(), Ranges: &mesos.Value_Ranges{Range: []mesos.Value_Range{{Begin: 31000, End: 31010}}}}},
			Attributes: []mesos.Attribute{{Name: "rack", Type: mesos.TEXT, Text: &mesos.Value_Text{Value: "r1"}}}}}}},
		{Type: scheduler.Event_RESCIND, Rescind: &scheduler.Event_Rescind{OfferID: mesos.OfferID{Value: "o1"}}},
		{Type: scheduler.Event_UPDATE, Update: &scheduler.Event_Update{Status: mesos.TaskStatus{TaskID: mesos.TaskID{Value: "t1"},
			State: mesos.TASK_RUNNING.Enum(), UUID: []byte("0123456789abcdef"), AgentID: &mesos.AgentID{Value: "a1"},
			Labels: &mesos.Labels{Labels: []mesos.Label{{Key: LabelMode, Value: strPtr("NORMAL")}}}}}},
		{Type: scheduler.Event_FAILURE, Failure: &scheduler.Event_Failure{AgentID: &mesos.AgentID{Value: "a1"}}},
		{Type: scheduler.Event_MESSAGE, Message: &scheduler.Event_Message{AgentID: mesos.AgentID{Value: "a1"},
			ExecutorID: mesos.ExecutorID{Value: "e1"}, Data: []byte("x")}},
		{Type: scheduler.Event_HEARTBEAT},
		{Type: scheduler.Event_ERROR, Error: &scheduler.Event_Error{Message: "Framework has been removed"}},
	}
	var stream, jsonStream bytes.Buffer
	pw, jw := recordio.NewWriter(&stream), recordio.NewWriter(&jsonStream)
	for _, e := range append(good, bodyless()...) {
		b, err := e.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{0}, b...))
		if err := pw.WriteFrame(b); err != nil {
			f.Fatal(err)
		}
		j, err := e.MarshalJSON()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{1}, j...))
		if err := jw.WriteFrame(j); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(append([]byte{2}, stream.Bytes()...))
	f.Add(append([]byte{3}, jsonStream.Bytes()...))
	f.Add([]byte("\x0299999999999999999999\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		mode, body := data[0]%4, data[1:]
		media := codecs.MediaTypeProtobuf
		if mode%2 == 1 {
			media = codecs.MediaTypeJSON
		}
		var src encoding.Source
		if mode < 2 {
			src = encoding.SourceReader(bytes.NewReader(body))
		} else {
			r := recordio.NewReader(bytes.NewReader(body), recordio.MaxMessageSize(1<<20))
			src = func() framing.Reader { return r }
		}
		dec := codecs.ByMediaType[media].NewDecoder(src)
		for range 16 {
			var e scheduler.Event
			if err := decodeEvent(dec, &e); err != nil {
				return // the subscription ends at its first undecodable event
			}
			checkTranslate(t, &e)
		}
	})
}

func checkTranslate(t *testing.T, e *scheduler.Event) {
	t.Helper()
	ev, err := translate(e, time.Unix(1_700_000_000, 0))
	if err != nil && !errors.Is(err, ErrMalformedEvent) {
		t.Fatalf("translate(%v): %v, want an error wrapping ErrMalformedEvent", e, err)
	}
	if missingBody(e) && err == nil {
		t.Fatalf("translate(%v) took an event without its body: %+v", e, ev)
	}
	if err != nil && (ev.Update != nil || ev.Failure != nil || ev.Message != nil || ev.Rescinded != "" || ev.Other != "" || ev.Ack != nil) {
		t.Fatalf("translate(%v) refused the event (%v) but made %+v of it", e, err, ev)
	}
	for _, o := range ev.Offers {
		if o.ID == "" || o.AgentID == "" {
			t.Fatalf("translate(%v) passed on an offer without IDs: %+v", e, o)
		}
	}
	if ev.Update != nil && ev.Update.TaskID == "" {
		t.Fatalf("translate(%v) passed on an update without a task ID", e)
	}
	if ev.Ack != nil && (ev.Ack.TaskID == "" || len(ev.Ack.UUID) == 0) {
		t.Fatalf("translate(%v) asks to acknowledge %+v", e, ev.Ack)
	}
	if ev.Failure != nil && ev.Failure.AgentID == "" {
		t.Fatalf("translate(%v) passed on a failure without an agent ID", e)
	}
	if e.GetType() == scheduler.Event_RESCIND && err == nil && ev.Rescinded == "" {
		t.Fatalf("translate(%v) passed on a rescind without an offer ID", e)
	}
}
