package zkstate

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	msgs := []proto.Message{
		&statev1.RingRecord{Spec: &cassmesosv1.RingSpec{Name: "demo", Nodes: 3}, NextOrdinal: 3},
		&statev1.NodeRecord{Ring: "demo", Name: "demo-0", Seed: true},
		wrapperspb.String("x"),
		&structpb.Struct{},
	}
	for _, m := range msgs {
		data, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), `{"schemaVersion":1,"kind":"`+Kind(m)+`","record":`) {
			t.Fatalf("envelope = %s", data)
		}
		got := m.ProtoReflect().New().Interface()
		if err := Decode(data, got); err != nil || !proto.Equal(got, m) {
			t.Fatalf("Decode(%s) = %v, %v", data, got, err)
		}
	}
	// Field names as in the .proto are accepted too (hand-edited records).
	n := &statev1.NodeRecord{}
	if err := Decode([]byte(`{"schemaVersion":1,"kind":"cassmesos.state.v1.NodeRecord","record":{"host_id":"h"}}`), n); err != nil || n.HostId != "h" {
		t.Fatalf("Decode with proto names = %v, %v", n, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		data string
		want error
	}{
		{"", ErrCorrupt},
		{"   ", ErrCorrupt},
		{"[]", ErrCorrupt},
		{`{"schemaVersion":"1"}`, ErrCorrupt},
		{`{"schemaVersion":0,"kind":"google.protobuf.StringValue","record":"x"}`, ErrCorrupt},
		{`{"schemaVersion":-1,"kind":"google.protobuf.StringValue","record":"x"}`, ErrCorrupt},
		{`{"schemaVersion":1,"kind":"google.protobuf.StringValue"}`, ErrCorrupt},
		{`{"schemaVersion":1,"kind":"google.protobuf.StringValue","record":5}`, ErrCorrupt},
		{`{"schemaVersion":1,"kind":"x","record":"x"}`, ErrCorrupt},
		{`{"schemaVersion":3,"kind":"x","record":"x"}`, ErrUnknownSchema},
	}
	for _, tt := range tests {
		err := Decode([]byte(tt.data), &wrapperspb.StringValue{})
		if !errors.Is(err, tt.want) {
			t.Errorf("Decode(%q) = %v; want %v", tt.data, err, tt.want)
		}
	}
}

func TestRootPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		chroot, framework, want string
		ok                      bool
	}{
		{"", "prod", "/cassmesos/prod", true},
		{"/", "prod", "/cassmesos/prod", true},
		{"/team/a", "prod", "/team/a/cassmesos/prod", true},
		{"team", "prod", "", false},
		{"/team/", "prod", "", false},
		{"", "", "", false},
		{"", "a/b", "", false},
		{"", "..", "", false},
	}
	for _, tt := range tests {
		got, err := RootPath(tt.chroot, tt.framework)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("RootPath(%q, %q) = %q, %v; want %q (ok=%v)", tt.chroot, tt.framework, got, err, tt.want, tt.ok)
		}
	}
}

func TestSchemaPaths(t *testing.T) {
	t.Parallel()
	got := []string{
		FrameworkIDPath(), LeaderPath(), RingPath("r"), NodePath("r", "r-0"),
		OperationPath("o"), SegmentPath("o", 7), SchedulePath("s"),
	}
	want := []string{
		"/framework_id", "/leader", "/rings/r", "/rings/r/nodes/r-0",
		"/operations/o", "/operations/o/segments/7", "/schedules/s",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paths = %v; want %v", got, want)
	}
	if c := collectionsOf("/rings/r"); !slices.Equal(c, []string{"/rings/r/nodes"}) {
		t.Fatalf("collectionsOf(ring) = %v", c)
	}
	if c := collectionsOf("/operations/o"); !slices.Equal(c, []string{"/operations/o/segments"}) {
		t.Fatalf("collectionsOf(operation) = %v", c)
	}
	for _, p := range []string{"/schedules/s", "/rings/r/nodes/n", "/framework_id"} {
		if c := collectionsOf(p); c != nil {
			t.Fatalf("collectionsOf(%s) = %v; want none", p, c)
		}
	}
}

func TestParseConnectString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		servers []string
		chroot  string
		ok      bool
	}{
		{"127.0.0.1:2181", []string{"127.0.0.1:2181"}, "", true},
		{"a:1,b:2,c:3/cassmesos-demo", []string{"a:1", "b:2", "c:3"}, "/cassmesos-demo", true},
		{"zk1", []string{"zk1:2181"}, "", true},
		{"zk1:2181/", []string{"zk1:2181"}, "", true},
		{"[::1]:2181/x/y", []string{"[::1]:2181"}, "/x/y", true},
		{"", nil, "", false},
		{"/chroot", nil, "", false},
		{"a:0", nil, "", false},
		{"a:99999", nil, "", false},
		{"a:x", nil, "", false},
		{"a:1,,b:2", nil, "", false},
		{"a:1/x//y", nil, "", false},
		{":2181", nil, "", false},
	}
	for _, tt := range tests {
		servers, chroot, err := ParseConnectString(tt.in)
		if (err == nil) != tt.ok || !slices.Equal(servers, tt.servers) || chroot != tt.chroot {
			t.Errorf("ParseConnectString(%q) = %v, %q, %v; want %v, %q (ok=%v)", tt.in, servers, chroot, err, tt.servers, tt.chroot, tt.ok)
		}
	}
}

func TestSortMembers(t *testing.T) {
	t.Parallel()
	got := sortMembers([]string{"member-0000000010", "junk", "member-0000000002", "member-", "member-0000000009"})
	want := []string{"member-0000000002", "member-0000000009", "member-0000000010"}
	if !slices.Equal(got, want) {
		t.Fatalf("sortMembers = %v; want %v", got, want)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":1,"kind":"cassmesos.state.v1.NodeRecord","record":{"ring":"demo","name":"demo-0"}}`))
	f.Add([]byte(`{"schemaVersion":2,"kind":"x","record":{}}`))
	f.Add([]byte(`{"schemaVersion":1,"kind":"cassmesos.state.v1.NodeRecord","record":{"phaseTime":"2025-01-01T00:00:00Z","zz":1}}`))
	f.Add([]byte("\x00garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := &statev1.NodeRecord{}
		err := Decode(data, n)
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownSchema) {
			t.Fatalf("Decode error %v is neither ErrCorrupt nor ErrUnknownSchema", err)
		}
		if err == nil {
			// What decodes encodes again and round-trips.
			again, err := Encode(n)
			if err != nil {
				t.Fatal(err)
			}
			m := &statev1.NodeRecord{}
			if err := Decode(again, m); err != nil || !proto.Equal(m, n) {
				t.Fatalf("round trip: %v, %v", m, err)
			}
		}
	})
}

func FuzzParseConnectString(f *testing.F) {
	for _, s := range []string{"127.0.0.1:2181", "a:1,b:2/x", "[::1]:1/a/b", "", "/", ",,", "a:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		servers, chroot, err := ParseConnectString(s)
		if err != nil {
			return
		}
		if len(servers) == 0 {
			t.Fatalf("%q: no servers and no error", s)
		}
		if chroot != "" {
			if err := checkPath(chroot); err != nil {
				t.Fatalf("%q: chroot %q invalid: %v", s, chroot, err)
			}
		}
	})
}

func TestCappedConnShortensOnlyTheHandshakeDeadline(t *testing.T) {
	c := &cappedConn{limit: 5 * time.Second, cap: time.Second}
	if got := c.clamp(time.Time{}); !got.IsZero() {
		t.Fatalf("zero deadline became %v", got)
	}
	normal := time.Now().Add(2 * time.Second)
	if got := c.clamp(normal); !got.Equal(normal) {
		t.Fatalf("ordinary deadline changed to %v", got)
	}
	handshake := time.Now().Add(40 * time.Second)
	if got := time.Until(c.clamp(handshake)); got > time.Second || got < 0 {
		t.Fatalf("handshake deadline cut to %v from now; want about 1s", got)
	}
}
