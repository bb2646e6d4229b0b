package cmdutil

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

type versionServer struct {
	cassmesosv1.UnimplementedSystemServiceServer
}

func (versionServer) GetVersion(context.Context, *cassmesosv1.GetVersionRequest) (*cassmesosv1.GetVersionResponse, error) {
	return &cassmesosv1.GetVersionResponse{IsLeader: true}, nil
}

// deadAddr is an address nothing listens on (a listener opened and closed).
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func insecureDial(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// A list of daemon addresses: a call the first (dead) daemon does not answer goes to the next.
func TestConnTriesTheNextAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	cassmesosv1.RegisterSystemServiceServer(srv, versionServer{})
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	live, dead := l.Addr().String(), deadAddr(t)

	c, err := NewConn(dead+", "+live, insecureDial)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := cassmesosv1.NewSystemServiceClient(c).GetVersion(ctx, &cassmesosv1.GetVersionRequest{})
	if err != nil || !v.GetIsLeader() {
		t.Fatalf("GetVersion over %q: %v, %v", dead+","+live, v, err)
	}
	if c.Addr() != live {
		t.Errorf("Addr() = %q, want the live daemon %q", c.Addr(), live)
	}

	// Every address dead: the error names the last one tried.
	dead2 := deadAddr(t)
	c2, err := NewConn(dead+","+dead2, insecureDial)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_, err = cassmesosv1.NewSystemServiceClient(c2).GetVersion(ctx, &cassmesosv1.GetVersionRequest{})
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Addr != dead2 {
		t.Errorf("every address dead: %v (%T), want an UnreachableError for %s", err, err, dead2)
	}
	if _, err := NewConn(" , ", insecureDial); err == nil {
		t.Error("an empty list was accepted")
	}
}
