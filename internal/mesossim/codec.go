package mesossim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

const (
	mediaJSON     = "application/json"
	mediaProtobuf = "application/x-protobuf"

	// maxBodyBytes bounds a call body; real calls are far smaller.
	maxBodyBytes = 16 << 20
)

// message is what every mesos-go generated type offers: gogo protobuf and
// ffjson (un)marshalling.
type message interface {
	Marshal() ([]byte, error)
	MarshalJSON() ([]byte, error)
}

type unmessage interface {
	Unmarshal([]byte) error
	UnmarshalJSON([]byte) error
}

// encode serialises m in the given media type.
func encode(media string, m message) ([]byte, error) {
	if media == mediaJSON {
		return m.MarshalJSON()
	}
	return m.Marshal()
}

// frameRecord frames one record: its decimal length, a line feed, the data.
func frameRecord(b []byte) []byte {
	out := make([]byte, 0, len(b)+12)
	out = strconv.AppendInt(out, int64(len(b)), 10)
	out = append(out, '\n')
	return append(out, b...)
}

// httpError answers with a plain text body as libprocess does, and logs why.
func httpError(log *slog.Logger, w http.ResponseWriter, code int, msg string, attrs ...any) {
	log.Warn("rejected request", append([]any{"status", code, "reason", msg}, attrs...)...)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg)
}

// requestError is a rejection with its HTTP status.
type requestError struct {
	code int
	msg  string
}

func (e *requestError) Error() string { return e.msg }

func reqErr(code int, format string, args ...any) *requestError {
	return &requestError{code: code, msg: fmt.Sprintf(format, args...)}
}

// decodeCall checks the method and content type and parses the body into
// call. typeField is the field number of the call's `type` (to tell an
// absent type from UNKNOWN). It returns the request media type and whether
// `type` was present.
func decodeCall(r *http.Request, call unmessage, typeField protowire.Number, what string) (media string, typePresent bool, rerr *requestError) {
	if r.Method != http.MethodPost {
		return "", false, reqErr(http.StatusMethodNotAllowed, "Expecting a 'POST' request, received '%s'", r.Method)
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "", false, reqErr(http.StatusBadRequest, "Expecting 'Content-Type' to be present")
	}
	if ct != mediaJSON && ct != mediaProtobuf {
		return "", false, reqErr(http.StatusUnsupportedMediaType, "Expecting 'Content-Type' of %s or %s", mediaJSON, mediaProtobuf)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return "", false, reqErr(http.StatusBadRequest, "Failed to read body: %v", err)
	}
	if len(body) > maxBodyBytes {
		return "", false, reqErr(http.StatusRequestEntityTooLarge, "Request body larger than %d bytes", maxBodyBytes)
	}
	if err := safeUnmarshal(ct, body, call); err != nil {
		if ct == mediaJSON {
			return "", false, reqErr(http.StatusBadRequest, "Failed to convert JSON into %s protobuf: %v", what, err)
		}
		return "", false, reqErr(http.StatusBadRequest, "Failed to parse body into %s protobuf: %v", what, err)
	}
	if ct == mediaJSON {
		typePresent = jsonHasType(body)
	} else {
		typePresent = protoHasField(body, typeField)
	}
	return ct, typePresent, nil
}

// safeUnmarshal decodes body and turns a panic in a generated decoder into an
// error: no request may crash the simulator.
func safeUnmarshal(media string, body []byte, into unmessage) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed body: %v", p)
		}
	}()
	if media == mediaJSON {
		if !json.Valid(body) {
			return errors.New("invalid JSON")
		}
		return into.UnmarshalJSON(body)
	}
	return into.Unmarshal(body)
}

func jsonHasType(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	v, ok := m["type"]
	return ok && string(v) != "null"
}

func protoHasField(b []byte, field protowire.Number) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		if num == field {
			return true
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return false
		}
		b = b[m:]
	}
	return false
}

// negotiate picks the response media type of a streaming call from Accept:
// JSON when Accept is empty or allows JSON, else protobuf, else none (406).
func negotiate(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON, true
	}
	allowed := map[string]bool{}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f <= 0 {
				continue
			}
		}
		allowed[mt] = true
	}
	switch {
	case allowed[mediaJSON] || allowed["*/*"] || allowed["application/*"]:
		return mediaJSON, true
	case allowed[mediaProtobuf]:
		return mediaProtobuf, true
	}
	return "", false
}

// eventStream is the outgoing half of a streaming subscription. Events are
// queued without blocking (callers hold the simulator lock) and written by the
// HTTP handler goroutine that owns the response.
type eventStream struct {
	media string

	mu      sync.Mutex
	queue   [][]byte
	closing bool
	notify  chan struct{}
	gone    chan struct{} // closed when the writer has returned
}

func newEventStream(media string) *eventStream {
	return &eventStream{media: media, notify: make(chan struct{}, 1), gone: make(chan struct{})}
}

// send queues one event; it is dropped if the stream is closing.
func (s *eventStream) send(log *slog.Logger, ev message) {
	b, err := encode(s.media, ev)
	if err != nil {
		log.Error("cannot encode event", "err", err)
		return
	}
	s.mu.Lock()
	if !s.closing {
		s.queue = append(s.queue, frameRecord(b))
	}
	s.mu.Unlock()
	s.wake()
}

// close ends the stream once everything queued so far is written.
func (s *eventStream) close() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.wake()
}

func (s *eventStream) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// serve writes the stream until it is closed, the client goes away or
// stop is closed. heartbeat, if not nil, is called every interval and returns
// a frame to write or nil.
func (s *eventStream) serve(w http.ResponseWriter, r *http.Request, stop <-chan struct{}, interval time.Duration, heartbeat func() []byte) {
	defer close(s.gone)
	defer s.close()
	flusher, _ := w.(http.Flusher)
	var tick <-chan time.Time
	if heartbeat != nil && interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		s.mu.Lock()
		q := s.queue
		s.queue = nil
		closing := s.closing
		s.mu.Unlock()
		for _, b := range q {
			if _, err := w.Write(b); err != nil {
				return
			}
		}
		if len(q) > 0 && flusher != nil {
			flusher.Flush()
		}
		if closing {
			return
		}
		select {
		case <-s.notify:
		case <-tick:
			if b := heartbeat(); b != nil {
				s.mu.Lock()
				s.queue = append(s.queue, frameRecord(b))
				s.mu.Unlock()
			}
		case <-r.Context().Done():
			return
		case <-stop:
			return
		}
	}
}
