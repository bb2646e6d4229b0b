package zkstate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cassmesos/cassmesos/internal/zktest"
)

// getString reads a StringValue record, failing the test on errors other than ErrNotFound.
func getString(t *testing.T, s *Store, rel string) (string, Version, bool) {
	t.Helper()
	v := &wrapperspb.StringValue{}
	ver, err := s.Get(context.Background(), rel, v)
	if errors.Is(err, ErrNotFound) {
		return "", 0, false
	}
	if err != nil {
		t.Fatalf("Get %s: %v", rel, err)
	}
	return v.Value, ver, true
}

func journals(t *testing.T, s *Store) []string {
	t.Helper()
	names, err := s.List(context.Background(), JournalPath())
	if err != nil {
		t.Fatalf("List /journal: %v", err)
	}
	return names
}

func TestTxnOneMultiAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})
	for _, p := range []string{"/schedules/a", "/schedules/b"} {
		if err := s.Create(ctx, p, wrapperspb.String("old")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Update(ctx, "/schedules/b", wrapperspb.String("old"), 0); err != nil {
		t.Fatal(err)
	}
	ops := []TxnOp{
		PutOp(RingPath("r"), wrapperspb.String("ring"), Absent),
		PutOp(NodePath("r", "r-0"), wrapperspb.String("node"), Absent),
		PutOp("/schedules/a", wrapperspb.String("new"), 0),
		PutOp("/schedules/b", wrapperspb.String("new"), 0), // stale: b is at version 1
	}
	_, err := s.Txn(ctx, ops)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), s.Root()+"/schedules/b") {
		t.Fatalf("Txn with a stale version = %v; want ErrConflict naming /schedules/b", err)
	}
	if _, _, ok := getString(t, s, RingPath("r")); ok {
		t.Fatal("the ring was created by a failed transaction")
	}
	if v, ver, _ := getString(t, s, "/schedules/a"); v != "old" || ver != 0 {
		t.Fatalf("/schedules/a = %q v%d after a failed transaction; want old v0", v, ver)
	}
	ops[3].Expected = 1
	vs, err := s.Txn(ctx, ops)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Version{0, 0, 1, 2}; !equalVersions(vs, want) {
		t.Fatalf("versions = %v; want %v", vs, want)
	}
	if names, err := s.List(ctx, NodesPath("r")); err != nil || len(names) != 1 {
		t.Fatalf("nodes of r = %v, %v; want the one node (the collection created with the ring)", names, err)
	}
	if _, err := s.Txn(ctx, []TxnOp{DeleteOp(NodePath("r", "r-0"), 0), DeleteOp(RingPath("r"), 0)}); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.Conn().Exists(s.Root() + NodesPath("r")); ok {
		t.Fatal("the ring's nodes collection survived its delete")
	}
	if _, err := s.Txn(ctx, []TxnOp{{Path: "/schedules/a", Delete: true, Expected: Absent}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("delete expecting Absent = %v; want ErrInvalid", err)
	}
}

func equalVersions(a, b []Version) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// bigTxn is a transaction of n creates under /schedules plus an update of /schedules/u (at
// version uv) and a delete of /schedules/d, with a budget that makes it go through the journal.
func bigTxn(n int, uv Version) []TxnOp {
	var ops []TxnOp
	for i := range n {
		ops = append(ops, PutOp(fmt.Sprintf("/schedules/s-%03d", i), wrapperspb.String(strings.Repeat("x", 100)+fmt.Sprint(i)), Absent))
	}
	ops = append(ops, PutOp("/schedules/u", wrapperspb.String("updated"), uv))
	// A record larger than the budget travels alone.
	ops = append(ops, PutOp("/schedules/large", wrapperspb.String(strings.Repeat("L", 5000)), Absent))
	return append(ops, DeleteOp("/schedules/d", 0))
}

func seedBig(t *testing.T, s *Store) {
	t.Helper()
	ctx := testCtx(t)
	for _, p := range []string{"/schedules/u", "/schedules/d"} {
		if err := s.Create(ctx, p, wrapperspb.String("before")); err != nil {
			t.Fatal(err)
		}
	}
}

func assertBigApplied(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := range n {
		p := fmt.Sprintf("/schedules/s-%03d", i)
		if v, _, ok := getString(t, s, p); !ok || v != strings.Repeat("x", 100)+fmt.Sprint(i) {
			t.Fatalf("%s = %q, %v after the transaction", p, v, ok)
		}
	}
	if v, _, _ := getString(t, s, "/schedules/u"); v != "updated" {
		t.Fatalf("/schedules/u = %q; want updated", v)
	}
	if _, _, ok := getString(t, s, "/schedules/d"); ok {
		t.Fatal("/schedules/d survived the transaction")
	}
	if v, _, _ := getString(t, s, "/schedules/large"); len(v) != 5000 {
		t.Fatalf("/schedules/large holds %d bytes; want 5000", len(v))
	}
	if j := journals(t, s); len(j) != 0 {
		t.Fatalf("journals left: %v", j)
	}
}

func assertBigNotApplied(t *testing.T, s *Store, n int) {
	t.Helper()
	names, err := s.List(context.Background(), SchedulesPath())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "d,u" {
		t.Fatalf("schedules = %v; want only d and u (nothing of the transaction)", names)
	}
	if v, ver, _ := getString(t, s, "/schedules/u"); v != "before" || ver != 0 {
		t.Fatalf("/schedules/u = %q v%d; want it untouched", v, ver)
	}
}

func TestTxnJournalAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})
	s.sess.txnBudget = 2048
	seedBig(t, s)
	const n = 60

	// A stale version at the end of a journalled transaction: nothing is written.
	if _, err := s.Txn(ctx, bigTxn(n, 5)); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "/schedules/u") {
		t.Fatalf("journalled Txn with a stale version = %v; want ErrConflict naming /schedules/u", err)
	}
	assertBigNotApplied(t, s, n)
	if j := journals(t, s); len(j) != 0 {
		t.Fatalf("journal left after a refused transaction: %v", j)
	}
	// A create of a record that exists: nothing is written.
	if err := s.Create(ctx, "/schedules/s-030", wrapperspb.String("someone else's")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Txn(ctx, bigTxn(n, 0)); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "/schedules/s-030") {
		t.Fatalf("journalled Txn creating an existing record = %v; want ErrConflict naming it", err)
	}
	if err := s.Delete(ctx, "/schedules/s-030", 0); err != nil {
		t.Fatal(err)
	}
	assertBigNotApplied(t, s, n)
	// A create under a missing parent: ErrNotFound naming the parent.
	if _, err := s.Txn(ctx, append(bigTxn(n, 0), PutOp(NodePath("nope", "nope-0"), wrapperspb.String("x"), Absent))); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), NodesPath("nope")) {
		t.Fatalf("journalled Txn under a missing parent = %v; want ErrNotFound naming it", err)
	}
	assertBigNotApplied(t, s, n)

	vs, err := s.Txn(ctx, bigTxn(n, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != n+3 || vs[n] != 1 {
		t.Fatalf("versions = %v; want %d with /schedules/u at 1", vs, n+3)
	}
	assertBigApplied(t, s, n)
}

func TestTxnJournalLeadershipLostBeforeCommit(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := openStore(t, storeOpts{})
	seedBig(t, a)
	la := waitLeader(t, campaignAsync(ctx, a, "a:1"), "a")
	fa := la.Store()
	a.sess.txnBudget = 2048
	raw := zktest.Connect(t, zktest.Shared(t).Servers())
	a.sess.failpoint = func(name string) error {
		if name == "zkstate/journal-after-stage" {
			return raw.Delete(la.Member(), -1) // deposed between staging and commit
		}
		return nil
	}
	if _, err := fa.Txn(ctx, bigTxn(40, 0)); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("Txn of a deposed leader = %v; want ErrNotLeader", err)
	}
	assertBigNotApplied(t, a, 40)
	// Its journal (the deposed leader cannot delete it: that is fenced too) is discarded by the
	// next load.
	rep, err := a.RecoverJournals(ctx)
	if err != nil || len(rep.Discarded) != 1 || len(rep.RolledForward) != 0 {
		t.Fatalf("RecoverJournals = %+v, %v; want one journal discarded", rep, err)
	}
	assertBigNotApplied(t, a, 40)
	if j := journals(t, a); len(j) != 0 {
		t.Fatalf("journals left: %v", j)
	}
}

var errCrash = errors.New("crash here")

func TestRecoverRollsForwardCommittedJournal(t *testing.T) {
	t.Parallel()
	for _, point := range []string{"zkstate/journal-after-commit", "zkstate/journal-after-apply-batch", "zkstate/journal-before-cleanup"} {
		t.Run(strings.TrimPrefix(point, "zkstate/"), func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			s := openStore(t, storeOpts{})
			s.sess.txnBudget = 2048
			seedBig(t, s)
			s.sess.failpoint = func(name string) error {
				if name == point {
					return errCrash
				}
				return nil
			}
			const n = 60
			_, err := s.Txn(ctx, bigTxn(n, 0))
			if point == "zkstate/journal-before-cleanup" {
				if err != nil {
					t.Fatalf("Txn = %v; a transaction stopped before its clean-up is complete", err)
				}
			} else if !errors.Is(err, ErrInDoubt) || !errors.Is(err, errCrash) {
				t.Fatalf("Txn stopped at %s = %v; want ErrInDoubt", point, err)
			}
			if j := journals(t, s); len(j) != 1 {
				t.Fatalf("journals = %v; want the one left by the interrupted transaction", j)
			}
			s.sess.failpoint = nil
			rep, err := s.RecoverJournals(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if point == "zkstate/journal-before-cleanup" {
				// Applied already: its commit marker went with the last batch.
				if len(rep.Discarded) != 1 {
					t.Fatalf("RecoverJournals = %+v; want the applied journal discarded", rep)
				}
			} else if len(rep.RolledForward) != 1 {
				t.Fatalf("RecoverJournals = %+v; want one journal rolled forward", rep)
			}
			assertBigApplied(t, s, n)
			// Rolling forward again changes nothing.
			if rep, err := s.RecoverJournals(ctx); err != nil || len(rep.RolledForward)+len(rep.Discarded) != 0 {
				t.Fatalf("second RecoverJournals = %+v, %v; want nothing to do", rep, err)
			}
			assertBigApplied(t, s, n)
		})
	}
}

func TestRecoverDiscardsUncommittedJournal(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})
	s.sess.txnBudget = 2048
	seedBig(t, s)
	s.sess.failpoint = func(name string) error {
		if name == "zkstate/journal-after-stage" {
			return errCrash
		}
		return nil
	}
	if _, err := s.Txn(ctx, bigTxn(60, 0)); !errors.Is(err, errCrash) || errors.Is(err, ErrInDoubt) {
		t.Fatalf("Txn stopped before its commit = %v; want the crash, not in doubt", err)
	}
	if j := journals(t, s); len(j) != 1 {
		t.Fatalf("journals = %v; want the staged one", j)
	}
	s.sess.failpoint = nil
	rep, err := s.RecoverJournals(ctx)
	if err != nil || len(rep.Discarded) != 1 || len(rep.RolledForward) != 0 {
		t.Fatalf("RecoverJournals = %+v, %v; want one journal discarded", rep, err)
	}
	assertBigNotApplied(t, s, 60)
	if j := journals(t, s); len(j) != 0 {
		t.Fatalf("journals left: %v", j)
	}
}

func TestRecoverRefusesCommittedJournalWithoutItsChunks(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})
	s.sess.txnBudget = 2048
	seedBig(t, s)
	s.sess.failpoint = func(name string) error {
		if name == "zkstate/journal-after-commit" {
			return errCrash
		}
		return nil
	}
	if _, err := s.Txn(ctx, bigTxn(60, 0)); !errors.Is(err, ErrInDoubt) {
		t.Fatalf("Txn = %v; want ErrInDoubt", err)
	}
	txn := journals(t, s)[0]
	chunk := s.Root() + journalChunkPath(txn, 1)
	if err := s.Conn().Delete(chunk, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecoverJournals(ctx); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), chunk) {
		t.Fatalf("RecoverJournals = %v; want ErrCorrupt naming %s", err, chunk)
	}
	if _, err := s.Conn().Create(chunk, []byte("CMJ1c\xff"), 0, s.sess.acl); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecoverJournals(ctx); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), chunk) {
		t.Fatalf("RecoverJournals over a truncated chunk = %v; want ErrCorrupt naming %s", err, chunk)
	}
}

func TestJournalChunkCodec(t *testing.T) {
	in := []zop{
		{kind: zCreate, rel: "/rings/r", data: []byte(`{"x":1}`), version: -1},
		{kind: zCreateEmpty, rel: "/rings/r/nodes", version: -1},
		{kind: zSet, rel: "/schedules/a", data: []byte("y"), version: -1},
		{kind: zDelete, rel: "/schedules/b", version: -1},
	}
	b := encodeChunk(in)
	out, err := decodeChunk(b)
	if err != nil || len(out) != len(in) {
		t.Fatalf("decode = %v, %v", out, err)
	}
	for i := range in {
		if in[i].kind != out[i].kind || in[i].rel != out[i].rel || string(in[i].data) != string(out[i].data) {
			t.Fatalf("entry %d = %+v; want %+v", i, out[i], in[i])
		}
	}
	// No truncation panics.
	for i := range len(b) {
		_, _ = decodeChunk(b[:i])
	}
	for _, bad := range []string{"", "CMJ", "CMJ1x", "CMJ1c\x05/a", "CMJ1c\x02ab\x00", "CMJ1c\x01/\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"} {
		if _, err := decodeChunk([]byte(bad)); err == nil {
			t.Errorf("decodeChunk(%q) accepted", bad)
		}
	}
}
