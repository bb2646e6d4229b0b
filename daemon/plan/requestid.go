package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"regexp"

	"google.golang.org/protobuf/proto"
)

// Client request IDs make every mutating request idempotent. A request carrying one is recorded
// on what it created or changed — OperationRecord.request_id (or change_requests for cancel,
// pause and resume), ScheduleRecord.request_id — in the same write as that record. A repeat of
// the request with the same ID answers with the original result (the same operation, even if the
// ring has moved on since) and writes nothing; the same ID with a different request is refused
// with ErrRequestIDReused. Requests without an ID behave as before. A DeleteSchedule leaves no
// record to remember its ID by: its repeat answers ErrScheduleNotFound.

// ErrRequestIDReused is returned when a request ID was already used for a different request (the
// gRPC edge maps it to AlreadyExists).
var ErrRequestIDReused = errors.New("request ID already used")

// MaxRequestIDLen bounds a client request ID.
const MaxRequestIDLen = 64

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// ValidateRequestID checks a client request ID ("" is allowed: no ID); errors wrap ErrInvalid and
// name field.
func ValidateRequestID(field, id string) error {
	switch {
	case id == "":
		return nil
	case len(id) > MaxRequestIDLen:
		return fmt.Errorf("%w: %s: %d characters; at most %d", ErrInvalid, field, len(id), MaxRequestIDLen)
	case !requestIDRE.MatchString(id):
		return fmt.Errorf("%w: %s: %q: only letters, digits, '.', '_' and '-' are allowed", ErrInvalid, field, id)
	}
	return nil
}

// requestIDOf returns the request's client request ID ("" when it has none).
func requestIDOf(req Request) string {
	v := reflect.ValueOf(req)
	if v.Kind() != reflect.Struct {
		return ""
	}
	f := v.FieldByName("RequestID")
	if !f.IsValid() || f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

// requestDigest is a digest of everything the request asks for except its ID.
func requestDigest(req Request) string {
	h := sha256.New()
	fmt.Fprintf(h, "%T\x00", req)
	v := reflect.ValueOf(req)
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "RequestID" || !f.IsExported() {
			continue
		}
		x := v.Field(i).Interface()
		if m, ok := x.(proto.Message); ok {
			b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
			fmt.Fprintf(h, "%s=%x\x00", f.Name, b)
			continue
		}
		fmt.Fprintf(h, "%s=%#v\x00", f.Name, x)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// replay looks the request ID up. found reports whether it was used before; then acc is the
// original result, or err says the ID belongs to a different request.
func (ps *pass) replay(id, digest string) (acc Accepted, found bool, err error) {
	for _, opID := range sortedKeys(ps.ops) {
		rec := ps.ops[opID]
		d, ok := rec.GetChangeRequests()[id]
		if rec.GetRequestId() == id {
			d, ok = rec.GetRequestDigest(), true
		}
		if !ok {
			continue
		}
		if d != digest {
			return Accepted{}, true, fmt.Errorf("%w: request ID %s was used for a different request (operation %s)", ErrRequestIDReused, id, opID)
		}
		return Accepted{Operation: rec, Ring: ps.ring(rec.GetOperation().GetRing())}, true, nil
	}
	scheds := ps.s.Schedules
	if ps.mnt != nil {
		scheds = ps.mnt.scheds
	}
	for _, sid := range sortedKeys(scheds) {
		rec := ps.schedule(sid)
		if rec.GetRequestId() != id {
			continue
		}
		if rec.GetRequestDigest() != digest {
			return Accepted{}, true, fmt.Errorf("%w: request ID %s was used for a different request (schedule %s)", ErrRequestIDReused, id, sid)
		}
		return Accepted{Schedule: rec.GetSchedule(), Ring: ps.ring(rec.GetSchedule().GetRing())}, true, nil
	}
	return Accepted{}, false, nil
}

// recordRequest stores the request ID on what the accepted request created or changed, in the
// same pass (so the same write) as that record. A request that started an operation is its
// request_id; one that changed an existing operation (cancel, pause, resume, or a delete that
// joined the deletion under way) goes into its change_requests.
func (ps *pass) recordRequest(req Request, id, digest string, acc Accepted) {
	switch req.(type) {
	case DeleteSchedule:
		// The record is gone; nothing to remember the ID by.
		return
	case CreateSchedule:
		if w := ps.mutSchedule(acc.Schedule.GetId()); w != nil {
			w.RequestId, w.RequestDigest = id, digest
		}
		return
	}
	w := ps.mutOp(acc.Operation.GetOperation().GetId())
	if w == nil {
		return
	}
	switch req.(type) {
	case CancelOperation, PauseRepair, ResumeRepair, DeleteRing:
		if _, del := req.(DeleteRing); !del || !acc.Created {
			if w.ChangeRequests == nil {
				w.ChangeRequests = map[string]string{}
			}
			w.ChangeRequests[id] = digest
			return
		}
	}
	w.RequestId, w.RequestDigest = id, digest
}
