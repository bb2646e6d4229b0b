package verify

import (
	"context"
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdVerify(t *testing.T) {
	e := clitest.New(t)
	called := false
	if code := e.Run(NewCmdVerify(e.F, func(*VerifyOptions) error { called = true; return nil }), ""); code != 0 || !called {
		t.Fatalf("exit %d called %v: %s", code, called, e.ErrOut)
	}
	for _, bad := range []string{"extra", "-o name"} {
		if code := e.Run(NewCmdVerify(e.F, func(*VerifyOptions) error { return nil }), bad); code != 2 {
			t.Errorf("%s: exit %d, want 2", bad, code)
		}
	}
}

func TestVerifyRunIntact(t *testing.T) {
	for _, tty := range []bool{true, false} {
		e := clitest.New(t).TTY(tty)
		e.Srv.VerifyAuditLogFn = func(context.Context, *pb.VerifyAuditLogRequest) (*pb.VerifyAuditLogResponse, error) {
			return &pb.VerifyAuditLogResponse{Ok: true, Checked: 40, HeadIndex: 55, HeadHash: "ab12", AnchorIndex: 15}, nil
		}
		if code := e.Run(NewCmdVerify(e.F, nil), ""); code != 0 {
			t.Fatalf("exit %d: %s", code, e.ErrOut)
		}
		want := "chain:      intact\nchecked:    40 records\nhead:       index 55, sha256 ab12\nanchor:     index 15 (older records were trimmed)\n"
		clitest.Diff(t, "stdout", e.Out.String(), want)
	}
}

func TestVerifyRunBroken(t *testing.T) {
	e := clitest.New(t)
	e.Srv.VerifyAuditLogFn = func(context.Context, *pb.VerifyAuditLogRequest) (*pb.VerifyAuditLogResponse, error) {
		return &pb.VerifyAuditLogResponse{Checked: 3, BrokenId: "e-0000000004", Reason: "index 6 follows 4\x1b[31m", HeadIndex: 9, HeadHash: "ff"}, nil
	}
	if code := e.Run(NewCmdVerify(e.F, nil), ""); code != 12 {
		t.Fatalf("exit %d, want 12 (audit-broken): %s", code, e.ErrOut)
	}
	if !strings.Contains(e.Out.String(), "BROKEN at e-0000000004: index 6 follows 4") || strings.Contains(e.Out.String(), "\x1b") {
		t.Fatalf("stdout %q", e.Out.String())
	}
	if !strings.Contains(e.ErrOut.String(), "e-0000000004") {
		t.Fatalf("stderr does not name the broken record: %q", e.ErrOut.String())
	}
	e = clitest.New(t)
	e.Srv.VerifyAuditLogFn = func(context.Context, *pb.VerifyAuditLogRequest) (*pb.VerifyAuditLogResponse, error) {
		return &pb.VerifyAuditLogResponse{BrokenId: "head", Reason: "records were removed"}, nil
	}
	e.F.Globals.Output = "json"
	if code := e.Run(NewCmdVerify(e.F, nil), ""); code != 12 || !strings.Contains(e.Out.String(), `"brokenId": "head"`) {
		t.Fatalf("json: exit %d out %s", code, e.Out.String())
	}
}
