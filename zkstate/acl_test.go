package zkstate

import (
	"errors"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cassmesos/cassmesos/internal/zktest"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

const testCreds = "cassmesos:s3cret"

// walk returns every znode at and under root, read through conn.
func walk(t *testing.T, conn *zk.Conn, root string) []string {
	t.Helper()
	out := []string{root}
	for i := 0; i < len(out); i++ {
		kids, _, err := conn.Children(out[i])
		if err != nil {
			t.Fatalf("Children %s: %v", out[i], err)
		}
		for _, k := range kids {
			out = append(out, out[i]+"/"+k)
		}
	}
	return out
}

// kindOf names the kind of a znode under root by its path ("ring", "node", "journal chunk", ...).
func kindOf(root, p string) string {
	rel := strings.TrimPrefix(p, root)
	for _, k := range []struct{ re, kind string }{
		{`^$`, "root"},
		{`^/framework_id$`, "framework_id"},
		{`^/leader$`, "leader"},
		{`^/leader/member-\d+$`, "election member"},
		{`^/leader_epoch$`, "leader_epoch"},
		{`^/rings$`, "rings"},
		{`^/rings/[^/]+$`, "ring"},
		{`^/rings/[^/]+/nodes$`, "nodes"},
		{`^/rings/[^/]+/nodes/[^/]+$`, "node"},
		{`^/operations$`, "operations"},
		{`^/operations/[^/]+$`, "operation"},
		{`^/operations/[^/]+/steps-\d+$`, "step chunk"},
		{`^/operations/[^/]+/segments$`, "segments"},
		{`^/operations/[^/]+/segments/\d+$`, "segment"},
		{`^/schedules$`, "schedules"},
		{`^/schedules/[^/]+$`, "schedule"},
		{`^/journal$`, "journal"},
		{`^/journal/txn-\d+$`, "journal txn"},
		{`^/journal/txn-\d+/chunk-\d+$`, "journal chunk"},
		{`^/journal/txn-\d+/commit$`, "journal commit"},
		{`^/events$`, "events"},
		{`^/events/e-\d{10}$`, "event"},
	} {
		if regexp.MustCompile(k.re).MatchString(rel) {
			return k.kind
		}
	}
	return "unknown: " + rel
}

// populate writes one znode of every kind the daemon creates, through the store as the daemon
// does: the election (member, epoch), the framework ID, a ring with a node, an operation with a
// step chunk and a segment, a schedule, and a journal left behind by a large transaction
// interrupted after its commit.
func populate(t *testing.T, s *Store) {
	t.Helper()
	ctx := testCtx(t)
	lead, err := s.Campaign(ctx, "10.0.0.1:9090")
	if err != nil {
		t.Fatal(err)
	}
	f := lead.Store()
	if _, err := f.SetFrameworkID(ctx, &statev1.FrameworkRecord{FrameworkId: "fw-1"}, Absent); err != nil {
		t.Fatal(err)
	}
	op := &statev1.OperationRecord{Operation: &cassmesosv1.Operation{Id: "op-1", Ring: "r"}, StepChunks: 1, StepCount: 1}
	if _, err := f.Txn(ctx, []TxnOp{
		PutOp(RingPath("r"), ring("r"), Absent),
		PutOp(NodePath("r", "r-0"), node("r", 0), Absent),
		PutOp(OperationPath("op-1"), op, Absent),
		PutOp(StepChunkPath("op-1", 0), &statev1.StepChunkRecord{Steps: []*cassmesosv1.Step{{Node: "r-0"}}}, Absent),
		PutOp(SegmentPath("op-1", 0), &statev1.SegmentRecord{Keyspace: "ks"}, Absent),
		PutOp(SchedulePath("sch-1"), &statev1.ScheduleRecord{}, Absent),
		PutOp(EventPath(0), &cassmesosv1.Event{Reason: "RingCreated", Ring: "r"}, Absent),
	}); err != nil {
		t.Fatal(err)
	}
	f.sess.txnBudget = 2048
	f.sess.failpoint = func(name string) error {
		if name == "zkstate/journal-after-commit" {
			return errCrash
		}
		return nil
	}
	var big []TxnOp
	for i := range 40 {
		big = append(big, PutOp(SchedulePath("big-"+string(rune('a'+i%26))+strings.Repeat("x", i/26)), wrapperspb.String(strings.Repeat("y", 200)), Absent))
	}
	if _, err := f.Txn(ctx, big); !errors.Is(err, ErrInDoubt) {
		t.Fatalf("interrupted Txn = %v; want ErrInDoubt (its journal stays for the test)", err)
	}
	f.sess.failpoint = nil
}

func TestEveryZnodeRefusesReadsWithoutTheDigest(t *testing.T) {
	t.Parallel()
	owner := openStore(t, storeOpts{credentials: testCreds, chroot: "/acl-test"})
	populate(t, owner)
	if err := owner.CheckProtected(testCtx(t)); err != nil {
		t.Fatalf("CheckProtected on a tree the store made: %v", err)
	}

	servers := zktest.Shared(t).Servers()
	anon := zktest.Connect(t, servers)
	wrong := zktest.Connect(t, servers)
	if err := wrong.AddAuth("digest", []byte("cassmesos:wrong")); err != nil {
		t.Fatal(err)
	}
	other := zktest.Connect(t, servers)
	if err := other.AddAuth("digest", []byte("intruder:s3cret")); err != nil {
		t.Fatal(err)
	}
	clients := map[string]*zk.Conn{"no credentials": anon, "wrong password": wrong, "other user": other}

	want := zk.DigestACL(zk.PermAll, "cassmesos", "s3cret")
	kinds := map[string]int{}
	for _, p := range walk(t, owner.Conn(), owner.Root()) {
		kind := kindOf(owner.Root(), p)
		kinds[kind]++
		acl, _, err := owner.Conn().GetACL(p)
		if err != nil || len(acl) != 1 || acl[0] != want[0] {
			t.Errorf("%s (%s): ACL %s, %v; want only %s", p, kind, FormatACL(acl), err, FormatACL(want))
		}
		for name, c := range clients {
			if data, _, err := c.Get(p); !errors.Is(err, zk.ErrNoAuth) {
				t.Errorf("%s (%s): Get with %s = %q, %v; want ErrNoAuth", p, kind, name, data, err)
			}
			if kids, _, err := c.Children(p); !errors.Is(err, zk.ErrNoAuth) {
				t.Errorf("%s (%s): Children with %s = %v, %v; want ErrNoAuth", p, kind, name, kids, err)
			}
			if _, err := c.Set(p, []byte("x"), -1); !errors.Is(err, zk.ErrNoAuth) {
				t.Errorf("%s (%s): Set with %s = %v; want ErrNoAuth", p, kind, name, err)
			}
		}
	}
	var got []string
	for k := range kinds {
		got = append(got, k)
	}
	sort.Strings(got)
	if len(got) != 22 || strings.Contains(strings.Join(got, ","), "unknown") {
		t.Fatalf("znode kinds checked: %v; want the 22 kinds the daemon creates", got)
	}
	// The shared ancestors stay listable (other frameworks put their roots there) but their
	// data and ACL are the owner's to change.
	acl, _, err := owner.Conn().GetACL("/acl-test")
	if err != nil || FormatACL(acl) != FormatACL(append(zk.WorldACL(zk.PermRead|zk.PermCreate), want...)) {
		t.Fatalf("chroot ACL %s, %v", FormatACL(acl), err)
	}
}

func TestCheckProtectedAndProtect(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	fw := uniqueFramework(t)

	// An older install: the tree was made without credentials.
	open := openStore(t, storeOpts{framework: fw})
	if err := open.Create(ctx, SchedulePath("s"), wrapperspb.String("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := open.SetFrameworkID(ctx, &statev1.FrameworkRecord{FrameworkId: "fw-1"}, Absent); err != nil {
		t.Fatal(err)
	}
	if err := open.CheckProtected(ctx); !errors.Is(err, ErrUnprotected) {
		t.Fatalf("CheckProtected without credentials = %v; want ErrUnprotected", err)
	}
	if _, err := open.Protect(ctx); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Protect without credentials = %v; want ErrInvalid", err)
	}

	s := openStore(t, storeOpts{framework: fw, credentials: testCreds})
	err := s.CheckProtected(ctx)
	if !errors.Is(err, ErrUnprotected) || !strings.Contains(err.Error(), s.Root()+":") || !strings.Contains(err.Error(), "world:anyone:cdrwa") {
		t.Fatalf("CheckProtected on an open tree = %v; want ErrUnprotected naming %s and its ACL", err, s.Root())
	}
	anon := zktest.Connect(t, zktest.Shared(t).Servers())
	if _, _, err := anon.Get(s.Root() + SchedulePath("s")); err != nil {
		t.Fatalf("before Protect, an anonymous read = %v; want it to succeed (the tree is open)", err)
	}

	n, err := s.Protect(ctx)
	// root, 6 collections, framework_id, schedules/s
	if err != nil || n != 9 {
		t.Fatalf("Protect = %d, %v; want 9 znodes", n, err)
	}
	if err := s.CheckProtected(ctx); err != nil {
		t.Fatalf("CheckProtected after Protect: %v", err)
	}
	for _, p := range walk(t, s.Conn(), s.Root()) {
		if _, _, err := anon.Get(p); !errors.Is(err, zk.ErrNoAuth) {
			t.Errorf("after Protect, anonymous Get %s = %v; want ErrNoAuth", p, err)
		}
	}
	if v, _, ok := getString(t, s, SchedulePath("s")); !ok || v != "v" {
		t.Fatalf("owner reads %q, %v after Protect", v, ok)
	}
	if _, err := open.Get(ctx, SchedulePath("s"), &wrapperspb.StringValue{}); !errors.Is(err, ErrNoAuth) {
		t.Fatalf("the credential-less store reads after Protect: %v; want ErrNoAuth", err)
	}

	// A top-level znode made world-readable by hand is found, by name.
	rings := s.Root() + RingsPath()
	if _, err := s.Conn().SetACL(rings, append(zk.WorldACL(zk.PermRead), s.sess.acl...), -1); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckProtected(ctx); !errors.Is(err, ErrUnprotected) || !strings.Contains(err.Error(), rings+":") {
		t.Fatalf("CheckProtected with world-readable %s = %v; want ErrUnprotected naming it", rings, err)
	}

	// Other credentials neither pass the check nor can re-ACL the tree.
	intruder := openStore(t, storeOpts{framework: fw, credentials: "intruder:x"})
	if err := intruder.CheckProtected(ctx); err == nil {
		t.Fatal("CheckProtected with other credentials passed")
	}
	if _, err := intruder.Protect(ctx); !errors.Is(err, ErrNoAuth) {
		t.Fatalf("Protect with other credentials = %v; want ErrNoAuth", err)
	}
	if _, err := s.Protect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckProtected(ctx); err != nil {
		t.Fatalf("CheckProtected after a second Protect: %v", err)
	}
}

func TestFormatACL(t *testing.T) {
	got := FormatACL(append(zk.WorldACL(zk.PermRead|zk.PermCreate), zk.ACL{Perms: zk.PermAll, Scheme: "digest", ID: "u:h"}))
	if got != "[world:anyone:cr, digest:u:h:cdrwa]" {
		t.Fatalf("FormatACL = %s", got)
	}
}
