package authz

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	v1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func writeTokens(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

const (
	tokAlice = "alice-token-0123456789"
	tokBob   = "bob-token-0123456789ab"
)

func TestTokensFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	writeTokens(t, path, "# comment\n"+tokAlice+",alice,admin\n\n"+tokBob+", bob , viewer\n", 0o600)
	toks, err := LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	if name, role, err := toks.Lookup(tokAlice); err != nil || name != "alice" || role != Admin {
		t.Fatalf("alice: %q %v %v", name, role, err)
	}
	if name, role, err := toks.Lookup(tokBob); err != nil || name != "bob" || role != Viewer {
		t.Fatalf("bob: %q %v %v", name, role, err)
	}
	for _, bad := range []string{"", "alice", tokAlice + "x", strings.ToUpper(tokAlice)} {
		if _, _, err := toks.Lookup(bad); err == nil {
			t.Errorf("token %q accepted", bad)
		}
	}
	for _, e := range toks.entries {
		if strings.Contains(string(e.hash[:]), "token") {
			t.Fatal("a token is kept in clear")
		}
	}

	// Reloaded on change: bob becomes operator, alice is gone.
	writeTokens(t, path, tokBob+",bob,operator\n", 0o600)
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	if _, role, err := toks.Lookup(tokBob); err != nil || role != Operator {
		t.Fatalf("bob after reload: %v %v", role, err)
	}
	if _, _, err := toks.Lookup(tokAlice); err == nil {
		t.Fatal("removed token still accepted")
	}

	// A file opened to others refuses every token until fixed.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := toks.Lookup(tokBob); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("0644 file: %v", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := toks.Lookup(tokBob); err != nil {
		t.Fatalf("fixed file: %v", err)
	}
}

func TestTokensFileRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"open mode", tokAlice + ",alice,admin\n", 0o640, "mode 0640"},
		{"two fields", tokAlice + ",alice\n", 0o600, "line 1: want token,name,role"},
		{"short token", "short,alice,admin\n", 0o600, "shorter than 16"},
		{"bad role", "# c\n" + tokAlice + ",alice,root\n", 0o600, `line 2: unknown role "root"`},
		{"empty name", tokAlice + ",,admin\n", 0o600, "empty name"},
		{"repeated", tokAlice + ",a,admin\n" + tokAlice + ",b,viewer\n", 0o600, "line 2: token repeated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			writeTokens(t, path, tc.content, tc.mode)
			if _, err := LoadTokens(path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := LoadTokens(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestAuthenticateToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	writeTokens(t, path, tokAlice+",alice,operator\n", 0o600)
	toks, err := LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	a := &Authorizer{Tokens: toks}
	in := func(vals ...string) context.Context {
		return metadata.NewIncomingContext(context.Background(), metadata.Pairs(vals...))
	}
	id, err := a.Authenticate(in("authorization", "Bearer "+tokAlice))
	if err != nil || id != (Identity{Name: "alice", Role: Operator, Via: ViaToken}) {
		t.Fatalf("%+v %v", id, err)
	}
	for name, ctx := range map[string]context.Context{
		"none":          context.Background(),
		"unknown token": in("authorization", "Bearer nope-nope-nope-nope"),
		"basic":         in("authorization", "Basic "+tokAlice),
		"empty bearer":  in("authorization", "Bearer "),
		"two headers":   in("authorization", "Bearer "+tokAlice, "authorization", "Bearer "+tokAlice),
	} {
		if _, err := a.Authenticate(ctx); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: %v, want Unauthenticated", name, err)
		}
	}
	if _, err := (&Authorizer{}).Authenticate(in("authorization", "Bearer "+tokAlice)); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no tokens file: %v", err)
	}
	id, err = (&Authorizer{Disabled: true}).Authenticate(context.Background())
	if err != nil || id.Role != Admin || id.Via != ViaInsecure {
		t.Fatalf("disabled: %+v %v", id, err)
	}
}

func TestAuthorize(t *testing.T) {
	op := Identity{Name: "olga", Role: Operator}
	if _, err := authorize(op, v1.RingService_ScaleRing_FullMethodName, &v1.ScaleRingRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err := authorize(op, v1.RingService_DeleteRing_FullMethodName, &v1.DeleteRingRequest{})
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "needs role admin") {
		t.Fatalf("operator DeleteRing: %v", err)
	}
	if _, err := authorize(Identity{Role: Admin}, "/x.Y/Z", nil); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("unknown method: %v", err)
	}
	// A spec touching security settings needs admin.
	for _, spec := range []*v1.RingSpec{
		{Name: "r", CassandraYaml: map[string]string{"authenticator": "AllowAllAuthenticator"}},
		{Name: "r", CassandraYaml: map[string]string{"client_encryption_options.enabled": "false"}},
		{Name: "r", JvmOptions: []string{"-Dcom.sun.management.jmxremote.authenticate=false"}},
	} {
		_, err := authorize(op, v1.RingService_UpdateRing_FullMethodName, &v1.UpdateRingRequest{Name: "r", Spec: spec})
		if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "security setting") {
			t.Errorf("spec %v: %v", spec, err)
		}
		if _, err := authorize(Identity{Role: Admin}, v1.RingService_CreateRing_FullMethodName, &v1.CreateRingRequest{Spec: spec}); err != nil {
			t.Errorf("admin: %v", err)
		}
	}
	// Changing Cassandra's TLS on a running ring needs admin; creating an encrypted ring does not.
	enc := &v1.RingSpec{Encryption: &v1.Encryption{Client: v1.ClientEncryption_CLIENT_ENCRYPTION_NONE}}
	_, err = authorize(op, v1.RingService_UpdateRing_FullMethodName, &v1.UpdateRingRequest{Name: "r", Spec: enc, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"encryption.client"}}})
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "encryption.client") {
		t.Errorf("operator UpdateRing encryption.client: %v", err)
	}
	enc.Name = "r"
	if _, err := authorize(op, v1.RingService_CreateRing_FullMethodName, &v1.CreateRingRequest{Spec: enc}); err != nil {
		t.Errorf("operator CreateRing with encryption: %v", err)
	}
	plain := &v1.RingSpec{Name: "r", CassandraYaml: map[string]string{"concurrent_reads": "64"}, JvmOptions: []string{"-XX:+UseG1GC"}}
	if _, err := authorize(op, v1.RingService_CreateRing_FullMethodName, &v1.CreateRingRequest{Spec: plain}); err != nil {
		t.Fatalf("plain spec: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	check := func(method string, req proto.Message, ring, node, target string) {
		t.Helper()
		ev := &v1.AuditEvent{}
		describe(ev, method, req.ProtoReflect())
		if ev.Ring != ring || ev.Node != node || ev.TargetId != target {
			t.Errorf("%s: ring %q node %q target %q; want %q %q %q", method, ev.Ring, ev.Node, ev.TargetId, ring, node, target)
		}
	}
	check(v1.RingService_CreateRing_FullMethodName, &v1.CreateRingRequest{Spec: &v1.RingSpec{Name: "demo"}}, "demo", "", "")
	check(v1.RingService_DeleteRing_FullMethodName, &v1.DeleteRingRequest{Name: "demo"}, "demo", "", "")
	check(v1.NodeService_ReplaceNode_FullMethodName, &v1.ReplaceNodeRequest{Ref: &v1.NodeRef{Ring: "demo", Node: "demo-1"}}, "demo", "demo-1", "")
	check(v1.OperationService_CancelOperation_FullMethodName, &v1.CancelOperationRequest{Id: "op7"}, "", "", "op7")
	check(v1.RepairService_RunRepair_FullMethodName, &v1.RunRepairRequest{Ring: "demo"}, "demo", "", "")
	check(v1.RepairService_CreateRepairSchedule_FullMethodName, &v1.CreateRepairScheduleRequest{Schedule: &v1.RepairSchedule{Ring: "demo"}}, "demo", "", "")
}
