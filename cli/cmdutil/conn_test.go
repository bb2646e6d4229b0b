package cmdutil

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
)

func TestLeaderFromError(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "standby")
	if got := LeaderFromError(unavailable, metadata.Pairs(LeaderMetadataKey, "l:1")); got != "l:1" {
		t.Errorf("trailer: %q", got)
	}
	p := status.New(codes.Unavailable, "standby").Proto()
	p.Details = append(p.Details, &anypb.Any{TypeUrl: "type.googleapis.com/google.rpc.ErrorInfo",
		Value: AppendErrorInfo("NOT_LEADER", map[string]string{"leader": "l:2", "other": "x"})})
	if got := LeaderFromError(status.FromProto(p).Err(), nil); got != "l:2" {
		t.Errorf("detail: %q", got)
	}
	if got := LeaderFromError(status.Error(codes.NotFound, "x"), metadata.Pairs(LeaderMetadataKey, "l:1")); got != "" {
		t.Errorf("NotFound with a trailer: %q", got)
	}
	if got := LeaderFromError(nil, nil); got != "" {
		t.Errorf("nil: %q", got)
	}
}

func TestTransportReason(t *testing.T) {
	in := `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:9090: connect: connection refused"`
	if got := transportReason(in); got != "connection refused" {
		t.Errorf("got %q", got)
	}
	if got := transportReason("no leader elected yet"); got != "no leader elected yet" {
		t.Errorf("got %q", got)
	}
}

func FuzzErrorInfoMetadata(f *testing.F) {
	f.Add(AppendErrorInfo("r", map[string]string{"leader": "a:1"}))
	f.Add([]byte{0x1a, 0x05, 0x0a, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = errorInfoMetadata(b) })
}
