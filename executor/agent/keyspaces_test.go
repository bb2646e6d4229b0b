package agent

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestListKeyspaces(t *testing.T) {
	h := start(t)
	h.fake.SetDescribeCluster(&nodetool.ClusterDescription{Keyspaces: []nodetool.KeyspaceReplication{
		{Name: "ks", Replication: "SimpleStrategy {replication_factor=3}"},
		{Name: "system_auth", Replication: "SimpleStrategy {replication_factor=1}"},
		{Name: "app", Replication: "NetworkTopologyStrategy {dc1=3, dc2=2}"},
		{Name: "system", Replication: "LocalStrategy {}"},
	}})
	resp, err := h.client.ListKeyspaces(authed(), &cassmesosv1.ListKeyspacesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range resp.GetKeyspaces() {
		names = append(names, k.GetName())
		if k.GetTables() != -1 {
			t.Errorf("%s: tables %d, want -1 (unknown)", k.GetName(), k.GetTables())
		}
	}
	if len(names) != 4 || names[0] != "app" || names[3] != "system_auth" {
		t.Fatalf("keyspaces %v", names)
	}
	app, sys := resp.GetKeyspaces()[0], resp.GetKeyspaces()[2]
	if app.GetReplicationClass() != "NetworkTopologyStrategy" || app.GetReplication()["dc2"] != "2" || app.GetSystem() {
		t.Errorf("app = %v", app)
	}
	if sys.GetName() != "system" || !sys.GetSystem() || sys.GetReplicationClass() != "LocalStrategy" {
		t.Errorf("system = %v", sys)
	}

	// With tables: each keyspace's count from tablestats, 0 for one it does not list.
	h.fake.SetTableCounts(map[string]int{"ks": 2, "app": 7, "system": 31, "gone": 1})
	resp, err = h.client.ListKeyspaces(authed(), &cassmesosv1.ListKeyspacesRequest{Tables: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int32{}
	for _, k := range resp.GetKeyspaces() {
		got[k.GetName()] = k.GetTables()
	}
	if len(got) != 4 || got["ks"] != 2 || got["app"] != 7 || got["system"] != 31 || got["system_auth"] != 0 {
		t.Errorf("table counts %v", got)
	}
	// A failing tablestats is an error, not counts of 0.
	h.fake.SetError("TableCounts", &nodetool.Error{Cmd: "tablestats -F json", Kind: nodetool.ErrBadOutput, Err: errors.New("garbage")})
	if _, err := h.client.ListKeyspaces(authed(), &cassmesosv1.ListKeyspacesRequest{Tables: true}); err == nil {
		t.Fatal("a failing tablestats answered")
	}
	if _, err := h.client.ListKeyspaces(authed(), &cassmesosv1.ListKeyspacesRequest{}); err != nil {
		t.Fatalf("without tables tablestats is not run: %v", err)
	}

	// Garbage replication is an error naming the keyspace, not a half answer.
	h.fake.SetDescribeCluster(&nodetool.ClusterDescription{Keyspaces: []nodetool.KeyspaceReplication{{Name: "bad", Replication: "Simple"}}})
	if _, err := h.client.ListKeyspaces(authed(), &cassmesosv1.ListKeyspacesRequest{}); err == nil || code(err) == codes.OK {
		t.Fatalf("garbage replication: %v", err)
	}
	// 3.x: no Keyspaces section.
	h.fake.SetDescribeCluster(&nodetool.ClusterDescription{Name: "old"})
	if _, err := h.client.ListKeyspaces(authed(), &cassmesosv1.ListKeyspacesRequest{}); err == nil {
		t.Fatal("describecluster without keyspaces answered")
	}
}
