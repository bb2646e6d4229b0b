package zkstate

import (
	"bytes"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// SchemaVersion is the envelope version this program writes and reads.
const SchemaVersion = 1

// MaxRecordBytes bounds an encoded record (ZooKeeper's default limit is 1 MiB per request).
const MaxRecordBytes = 1000 * 1000

// envelope is what a record znode holds:
//
//	{"schemaVersion":1,"kind":"cassmesos.state.v1.RingRecord","record":{...protojson...}}
type envelope struct {
	SchemaVersion int             `json:"schemaVersion"`
	Kind          string          `json:"kind"`
	Record        json.RawMessage `json:"record"`
}

// Kind is the name a message is stored under: its protobuf full name.
func Kind(msg proto.Message) string { return string(msg.ProtoReflect().Descriptor().FullName()) }

// Encode renders msg as a record envelope.
func Encode(msg proto.Message) ([]byte, error) {
	rec, err := protojson.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("zkstate: encode %s: %w", Kind(msg), err)
	}
	data, err := json.Marshal(envelope{SchemaVersion: SchemaVersion, Kind: Kind(msg), Record: rec})
	if err != nil {
		return nil, fmt.Errorf("zkstate: encode %s: %w", Kind(msg), err)
	}
	if len(data) > MaxRecordBytes {
		return nil, fmt.Errorf("zkstate: encode %s: %w: %d bytes (at most %d)", Kind(msg), ErrTooLarge, len(data), MaxRecordBytes)
	}
	return data, nil
}

// decodeError is a Decode failure: its kind (ErrCorrupt or ErrUnknownSchema) and what is wrong.
type decodeError struct {
	kind   error
	detail string
}

func (e *decodeError) Error() string { return e.kind.Error() + ": " + e.detail }
func (e *decodeError) Unwrap() error { return e.kind }

func corrupt(format string, args ...any) error {
	return &decodeError{kind: ErrCorrupt, detail: fmt.Sprintf(format, args...)}
}

func unknownSchema(format string, args ...any) error {
	return &decodeError{kind: ErrUnknownSchema, detail: fmt.Sprintf(format, args...)}
}

// Decode parses a record envelope into msg (reset first). The error wraps ErrCorrupt when the
// data is not a valid record of msg's kind, and ErrUnknownSchema when it was written with a newer
// schema (a higher version, or fields msg does not have).
func Decode(data []byte, msg proto.Message) error {
	proto.Reset(msg)
	if len(bytes.TrimSpace(data)) == 0 {
		return corrupt("empty znode")
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return corrupt("not a record envelope: %v", err)
	}
	switch {
	case env.SchemaVersion > SchemaVersion:
		return unknownSchema("schema version %d (this program knows up to %d)", env.SchemaVersion, SchemaVersion)
	case env.SchemaVersion < 1:
		return corrupt("missing or invalid schemaVersion %d", env.SchemaVersion)
	case env.Kind != Kind(msg):
		return corrupt("holds kind %q, want %q", env.Kind, Kind(msg))
	case len(env.Record) == 0 || bytes.Equal(env.Record, []byte("null")):
		return corrupt("no record")
	}
	if err := protojson.Unmarshal(env.Record, msg); err != nil {
		// Would it parse if fields it does not know were dropped? Then a newer program wrote it:
		// refuse, so that a write-back never loses those fields.
		proto.Reset(msg)
		lenient := protojson.UnmarshalOptions{DiscardUnknown: true}
		if lenient.Unmarshal(env.Record, msg) == nil {
			proto.Reset(msg)
			return unknownSchema("%v", err)
		}
		proto.Reset(msg)
		return corrupt("%v", err)
	}
	return nil
}
