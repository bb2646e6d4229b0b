package list

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func keyspaces() []*pb.Keyspace {
	return []*pb.Keyspace{
		{Name: "system_auth", ReplicationClass: "SimpleStrategy", Replication: map[string]string{"replication_factor": "1"}, Tables: -1, System: true},
		{Name: "shop", ReplicationClass: "NetworkTopologyStrategy", Replication: map[string]string{"dc2": "2", "dc1": "3"}, Tables: 4},
		{Name: "audit", ReplicationClass: "SimpleStrategy", Replication: map[string]string{"replication_factor": "3"}, Tables: 0},
		{Name: "system", ReplicationClass: "LocalStrategy", Replication: map[string]string{}, Tables: 31, System: true},
	}
}

func TestNewCmdList(t *testing.T) {
	e := clitest.New(t)
	var got *Options
	if code := e.Run(NewCmdList(e.F, func(o *Options) error { got = o; return nil }), "ring/demo --system"); code != 0 || got.Ring != "demo" || !got.System {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	if code := e.Run(NewCmdList(e.F, func(*Options) error { return nil }), ""); code != 2 {
		t.Fatalf("no ring: exit %d", code)
	}
}

func TestListRun(t *testing.T) {
	for _, tc := range []struct {
		name, args, output, want string
	}{
		{name: "table", args: "demo", want: `NAME    REPLICATION                           TABLES
audit   SimpleStrategy rf=3                   0
shop    NetworkTopologyStrategy dc1=3 dc2=2   4
`},
		{name: "wide with system", args: "demo --system", output: "wide", want: `NAME          REPLICATION                           TABLES   CLASS                     SYSTEM
audit         SimpleStrategy rf=3                   0        SimpleStrategy            no
shop          NetworkTopologyStrategy dc1=3 dc2=2   4        NetworkTopologyStrategy   no
system        LocalStrategy                         31       LocalStrategy             yes
system_auth   SimpleStrategy rf=1                   ?        SimpleStrategy            yes
`},
		{name: "name", args: "demo", output: "name", want: "keyspace/audit\nkeyspace/shop\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			e.F.Globals.Output = tc.output
			var req *pb.RingServiceListKeyspacesRequest
			e.Srv.ListKeyspacesFn = func(_ context.Context, in *pb.RingServiceListKeyspacesRequest) (*pb.RingServiceListKeyspacesResponse, error) {
				req = in
				return &pb.RingServiceListKeyspacesResponse{Keyspaces: keyspaces(), Node: "demo-0"}, nil
			}
			if code := e.Run(NewCmdList(e.F, nil), tc.args); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			if req.GetRing() != "demo" || !req.GetTables() {
				t.Errorf("request %v", req)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.want)
		})
	}
}

func TestListJSON(t *testing.T) {
	e := clitest.New(t)
	e.F.Globals.Output = "json"
	e.Srv.ListKeyspacesFn = func(context.Context, *pb.RingServiceListKeyspacesRequest) (*pb.RingServiceListKeyspacesResponse, error) {
		return &pb.RingServiceListKeyspacesResponse{Keyspaces: keyspaces()[1:2], Node: "demo-0"}, nil
	}
	if code := e.Run(NewCmdList(e.F, nil), "demo"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	for _, want := range []string{`"name": "shop"`, `"replicationClass": "NetworkTopologyStrategy"`, `"dc1": "3"`, `"tables": 4`, `"node": "demo-0"`} {
		if !strings.Contains(e.Out.String(), want) {
			t.Errorf("json lacks %s:\n%s", want, e.Out)
		}
	}
}

func TestListErrors(t *testing.T) {
	e := clitest.New(t)
	e.Srv.ListKeyspacesFn = func(context.Context, *pb.RingServiceListKeyspacesRequest) (*pb.RingServiceListKeyspacesResponse, error) {
		return nil, status.Error(codes.FailedPrecondition, "ring demo: no node is up and normal to ask for its keyspaces")
	}
	if code := e.Run(NewCmdList(e.F, nil), "demo"); code == 0 || !strings.Contains(e.ErrOut.String(), "no node is up") {
		t.Errorf("exit %d, stderr %q", code, e.ErrOut)
	}
}

// -o yaml: the keyspaces with their table counts and the node asked; a count of 0 is left out
// (proto3 JSON/YAML mapping: absent means 0); an unknown count (-1, an older executor) stays -1.
func TestListYAML(t *testing.T) {
	e := clitest.New(t)
	e.F.Globals.Output = "yaml"
	e.Srv.ListKeyspacesFn = func(context.Context, *pb.RingServiceListKeyspacesRequest) (*pb.RingServiceListKeyspacesResponse, error) {
		return &pb.RingServiceListKeyspacesResponse{Keyspaces: keyspaces(), Node: "demo-1"}, nil
	}
	if code := e.Run(NewCmdList(e.F, nil), "demo --system"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	out := e.Out.String()
	for _, want := range []string{"name: audit", "name: shop", "tables: 4", "name: system", "tables: 31", "tables: -1", "node: demo-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("yaml lacks %q:\n%s", want, out)
		}
	}
	audit, shop := strings.Index(out, "name: audit"), strings.Index(out, "name: shop")
	if audit < 0 || shop < audit {
		t.Fatalf("yaml not sorted by name:\n%s", out)
	}
	if strings.Contains(out[audit:shop], "tables:") {
		t.Errorf("audit's 0 tables printed:\n%s", out[audit:shop])
	}
}
