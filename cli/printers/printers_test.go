package printers

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNodeState(t *testing.T) {
	for _, tc := range []struct {
		l    pb.Liveness
		m    pb.CassandraMode
		want string
	}{
		{pb.Liveness_LIVENESS_UP, pb.CassandraMode_CASSANDRA_MODE_NORMAL, "UN"},
		{pb.Liveness_LIVENESS_UP, pb.CassandraMode_CASSANDRA_MODE_JOINING, "UJ"},
		{pb.Liveness_LIVENESS_DOWN, pb.CassandraMode_CASSANDRA_MODE_NORMAL, "DN"},
		{pb.Liveness_LIVENESS_UP, pb.CassandraMode_CASSANDRA_MODE_LEAVING, "UL"},
		{pb.Liveness_LIVENESS_UP, pb.CassandraMode_CASSANDRA_MODE_MOVING, "UM"},
		{pb.Liveness_LIVENESS_DOWN, pb.CassandraMode_CASSANDRA_MODE_UNSPECIFIED, "D?"},
		{pb.Liveness_LIVENESS_UNSPECIFIED, pb.CassandraMode_CASSANDRA_MODE_NORMAL, "?N"},
		{pb.Liveness_LIVENESS_UNSPECIFIED, pb.CassandraMode_CASSANDRA_MODE_UNSPECIFIED, "-"},
	} {
		if got := NodeState(&pb.Node{Liveness: tc.l, Mode: tc.m}); got != tc.want {
			t.Errorf("%v %v: %s, want %s", tc.l, tc.m, got, tc.want)
		}
	}
}

func TestFormatting(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{-time.Second: "0s", 90 * time.Second: "90s", 5 * time.Minute: "5m", 3 * time.Hour: "3h", 50 * time.Hour: "2d"} {
		if got := Age(timestamppb.New(now.Add(-d)), now); got != want {
			t.Errorf("Age(%v) = %s, want %s", d, got, want)
		}
	}
	if Age(nil, now) != "-" {
		t.Error("Age(nil) is not -")
	}
	for n, want := range map[int64]string{-1: "-", 0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 3 << 30: "3.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %s, want %s", n, got, want)
		}
	}
	if got := Clean(" a\n\tb \x1b[31m c\x00"); got != "a b [31m c" {
		t.Errorf("Clean = %q", got)
	}
	if got := OperationKind(pb.OperationKind_OPERATION_KIND_DECOMMISSION_NODE); got != "decommission-node" {
		t.Errorf("OperationKind = %s", got)
	}
}

func TestYAMLKeepsStringsStrings(t *testing.T) {
	// Strings that read as other YAML types keep their quotes; int64 is a string in protojson.
	m := &pb.Ring{Spec: &pb.RingSpec{Name: "true", ClusterName: "123", CassandraYaml: map[string]string{"k": "null"}}, Generation: 7}
	got, err := YAML(m)
	if err != nil {
		t.Fatal(err)
	}
	want := "spec:\n  name: \"true\"\n  clusterName: \"123\"\n  cassandraYaml:\n    k: \"null\"\ngeneration: \"7\"\n"
	if string(got) != want {
		t.Fatalf("YAML:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderTable(t *testing.T) {
	var b bytes.Buffer
	if err := RenderTable(&b, Table{Header: []string{"NAME", "HOST ID"}, Rows: [][]string{{"a", ""}, {"bbbb", "x y"}}}); err != nil {
		t.Fatal(err)
	}
	if want := "NAME   HOST ID\na\nbbbb   x y\n"; b.String() != want {
		t.Fatalf("table %q, want %q", b.String(), want)
	}
}
