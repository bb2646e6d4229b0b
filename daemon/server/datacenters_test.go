package server

import (
	"strings"
	"testing"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestReplicatingTo(t *testing.T) {
	ks := []*cassmesosv1.Keyspace{
		{Name: "app", ReplicationClass: "NetworkTopologyStrategy", Replication: map[string]string{"dc1": "3", "dc2": "2"}},
		{Name: "old", ReplicationClass: "NetworkTopologyStrategy", Replication: map[string]string{"dc1": "3", "dc2": "0"}},
		{Name: "simple", ReplicationClass: "SimpleStrategy", Replication: map[string]string{"replication_factor": "3"}},
		{Name: "b", ReplicationClass: "NetworkTopologyStrategy", Replication: map[string]string{"dc2": "1"}},
	}
	got := replicatingTo(ks, "dc2")
	if len(got) != 2 || !strings.HasPrefix(got[0], "app (NetworkTopologyStrategy {dc1=3, dc2=2})") || !strings.HasPrefix(got[1], "b ") {
		t.Fatalf("replicatingTo dc2 = %q", got)
	}
	if got := replicatingTo(ks, "dc3"); len(got) != 0 {
		t.Fatalf("replicatingTo dc3 = %q", got)
	}
}
