package endpoints

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"gopkg.in/yaml.v3"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdEndpoints(t *testing.T) {
	e := clitest.New(t)
	var got *Options
	if code := e.Run(NewCmdEndpoints(e.F, func(o *Options) error { got = o; return nil }), "ring/demo --dns-domain mesos.example"); code != 0 || got.Name != "demo" || got.Domain != "mesos.example" {
		t.Fatalf("exit %d, opts %+v", code, got)
	}
	for _, args := range []string{"", "demo extra", "demo --dns-domain ''", "demo --dns-domain Bad_Domain", "demo --dns-domain a..b"} {
		if code := e.Run(NewCmdEndpoints(e.F, func(*Options) error { return nil }), args); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage)", args, code)
		}
	}
}

func withServer(e *clitest.Env, framework string, nodes []*pb.Node, native uint32) {
	e.Srv.GetRingFn = func(_ context.Context, in *pb.GetRingRequest) (*pb.GetRingResponse, error) {
		if in.Name != "demo" {
			return nil, status.Errorf(codes.NotFound, "ring %s not found", in.Name)
		}
		r := clitest.Ring()
		r.Spec.Ports = &pb.Ports{Native: native}
		return &pb.GetRingResponse{Ring: r, Nodes: nodes}, nil
	}
	e.Srv.GetVersionFn = func(context.Context, *pb.GetVersionRequest) (*pb.GetVersionResponse, error) {
		return &pb.GetVersionResponse{FrameworkName: framework}, nil
	}
}

func TestEndpointsTable(t *testing.T) {
	e := clitest.New(t)
	withServer(e, "cassmesos", clitest.Nodes(), 0)
	if code := e.Run(NewCmdEndpoints(e.F, nil), "demo"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
	// demo-2 is DN: not a contact point. The native port defaults to 9042.
	clitest.Diff(t, "stdout", e.Out.String(), `NODE     DC    CONTACT POINT    SEED   MESOS-DNS
demo-0   dc1   127.0.0.2:9042   yes    demo-0.demo.cassmesos.mesos:9042
demo-1   dc1   127.0.0.3:9042   yes    demo-1.demo.cassmesos.mesos:9042
`)
}

func TestEndpointsJSONAndYAML(t *testing.T) {
	nodes := clitest.Nodes()
	nodes[1].Address = "fd00::3"
	for _, format := range []string{"json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			e := clitest.New(t)
			e.F.Globals.Output = format
			withServer(e, "Prod_Cassandra.eu", nodes, 19042)
			if code := e.Run(NewCmdEndpoints(e.F, nil), "demo --dns-domain mesos.example"); code != 0 {
				t.Fatalf("exit %d: %s", code, e.ErrOut)
			}
			var res Result
			var err error
			if format == "json" {
				err = json.Unmarshal(e.Out.Bytes(), &res)
			} else {
				err = yaml.Unmarshal(e.Out.Bytes(), &res)
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, e.Out)
			}
			if res.ContactPoints != "127.0.0.2:19042,[fd00::3]:19042" || res.NativePort != 19042 || res.Framework != "Prod_Cassandra.eu" {
				t.Errorf("result %+v", res)
			}
			if len(res.Endpoints) != 3 || res.Endpoints[2].Up || !res.Endpoints[0].Up || res.Endpoints[2].State != "DN" {
				t.Errorf("endpoints %+v", res.Endpoints)
			}
			if got := res.Endpoints[0].DNSName; got != "demo-0.demo.prod-cassandra.eu.mesos.example" {
				t.Errorf("dns name %q", got)
			}
			if res.SeedNames != "demo-0.demo.prod-cassandra.eu.mesos.example,demo-1.demo.prod-cassandra.eu.mesos.example" {
				t.Errorf("seed names %q", res.SeedNames)
			}
		})
	}
}

func TestEndpointsErrors(t *testing.T) {
	e := clitest.New(t)
	withServer(e, "cassmesos", clitest.Nodes(), 0)
	if code := e.Run(NewCmdEndpoints(e.F, nil), "nope"); code == 0 || !strings.Contains(e.ErrOut.String(), "ring nope") {
		t.Errorf("unknown ring: exit %d, %q", code, e.ErrOut)
	}
	e = clitest.New(t)
	down := clitest.Nodes()
	for _, n := range down {
		n.Liveness = pb.Liveness_LIVENESS_DOWN
	}
	withServer(e, "cassmesos", down, 0)
	if code := e.Run(NewCmdEndpoints(e.F, nil), "demo"); code == 0 || !strings.Contains(e.ErrOut.String(), "no node that is up") {
		t.Errorf("no UN node: exit %d, %q", code, e.ErrOut)
	}
}

func TestMesosDNSName(t *testing.T) {
	for _, tc := range []struct{ fw, want string }{
		{"cassmesos", "demo-1.demo.cassmesos.mesos"},
		{"Cass_Prod", "demo-1.demo.cass-prod.mesos"},
		{"-x-.y", "demo-1.demo.x.y.mesos"},
		{"a*b", "demo-1.demo.ab.mesos"},
	} {
		if got := MesosDNSName("demo-1", "demo", tc.fw, "mesos"); got != tc.want {
			t.Errorf("framework %q: %q, want %q", tc.fw, got, tc.want)
		}
	}
}
