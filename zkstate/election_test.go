package zkstate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cassmesos/cassmesos/internal/zktest"
)

type campaignResult struct {
	l   *Leadership
	err error
}

func campaignAsync(ctx context.Context, s *Store, addr string) <-chan campaignResult {
	ch := make(chan campaignResult, 1)
	go func() {
		l, err := s.Campaign(ctx, addr)
		ch <- campaignResult{l, err}
	}()
	return ch
}

func waitLeader(t *testing.T, ch <-chan campaignResult, what string) *Leadership {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("%s: Campaign = %v", what, r.err)
		}
		return r.l
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not become leader", what)
	}
	return nil
}

func assertStandingBy(t *testing.T, ch <-chan campaignResult, what string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s became leader (or failed: %v) while another leads", what, r.err)
	default:
	}
}

func waitDone(t *testing.T, l *Leadership, what string) {
	t.Helper()
	select {
	case <-l.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: leadership not reported lost", what)
	}
	if err := l.Err(); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("%s: Err = %v; want ErrNotLeader", what, err)
	}
}

func TestElectionHandOverWhenLeaderSessionEnds(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	fw := uniqueFramework(t)
	a := openStore(t, storeOpts{framework: fw})
	b := openStore(t, storeOpts{framework: fw})
	c := openStore(t, storeOpts{framework: fw})

	if _, err := a.LeaderAddress(ctx); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("LeaderAddress with no candidates = %v; want ErrNoLeader", err)
	}
	la := waitLeader(t, campaignAsync(ctx, a, "10.0.0.1:7000"), "a")
	bch := campaignAsync(ctx, b, "10.0.0.2:7000")
	// b's member znode exists before c's, so b is next in line.
	zktest.WaitFor(t, 10*time.Second, func() bool {
		names, _ := a.List(ctx, LeaderPath())
		return len(names) == 2
	}, "b's member znode")
	cch := campaignAsync(ctx, c, "10.0.0.3:7000")
	zktest.WaitFor(t, 10*time.Second, func() bool {
		names, _ := a.List(ctx, LeaderPath())
		return len(names) == 3
	}, "c's member znode")

	for _, s := range []*Store{a, b, c} {
		if addr, err := s.LeaderAddress(ctx); err != nil || addr != "10.0.0.1:7000" {
			t.Fatalf("LeaderAddress = %q, %v; want a's", addr, err)
		}
	}
	assertStandingBy(t, bch, "b")
	assertStandingBy(t, cch, "c")

	// a's session ends: b, and only b, takes over.
	zktest.ExpireSession(t, a.Conn())
	waitDone(t, la, "a")
	lb := waitLeader(t, bch, "b")
	assertStandingBy(t, cch, "c")
	if addr, err := c.LeaderAddress(ctx); err != nil || addr != "10.0.0.2:7000" {
		t.Fatalf("LeaderAddress after hand-over = %q, %v; want b's", addr, err)
	}
	// b resigns: c takes over.
	if err := lb.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	waitDone(t, lb, "b")
	lc := waitLeader(t, cch, "c")
	if addr, err := a.LeaderAddress(ctx); err != nil || addr != "10.0.0.3:7000" {
		t.Fatalf("LeaderAddress after resign = %q, %v; want c's", addr, err)
	}
	select {
	case <-lc.Done():
		t.Fatal("c's leadership ended")
	default:
	}
}

func TestDeposedLeaderCannotWrite(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	fw := uniqueFramework(t)
	a := openStore(t, storeOpts{framework: fw})
	b := openStore(t, storeOpts{framework: fw})

	la := waitLeader(t, campaignAsync(ctx, a, "a:1"), "a")
	fa := la.Store()
	if !fa.Fenced() || a.Fenced() {
		t.Fatal("Leadership.Store should be fenced, Open's store not")
	}
	if err := fa.Create(ctx, "/schedules/s", wrapperspb.String("by a")); err != nil {
		t.Fatalf("fenced write by the leader: %v", err)
	}
	// Keep a copy of a's fence whose local "lost" signal never fires, to prove the server
	// refuses the write on its own.
	blind := &Store{sess: a.sess, fence: &fence{path: la.member, version: la.version, lost: make(chan struct{})}}

	zktest.ExpireSession(t, a.Conn())
	waitDone(t, la, "a")
	lb := waitLeader(t, campaignAsync(ctx, b, "b:1"), "b")

	if _, err := fa.Update(ctx, "/schedules/s", wrapperspb.String("by deposed a"), 0); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("deposed leader's write = %v; want ErrNotLeader", err)
	}
	if _, err := blind.Update(ctx, "/schedules/s", wrapperspb.String("by deposed a"), 0); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("deposed leader's write past the local check = %v; want ErrNotLeader from the server", err)
	}
	if err := blind.Create(ctx, "/schedules/t", wrapperspb.String("by deposed a")); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("deposed leader's create = %v; want ErrNotLeader", err)
	}
	if err := blind.Delete(ctx, "/schedules/s", AnyVersion); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("deposed leader's delete = %v; want ErrNotLeader", err)
	}
	got := &wrapperspb.StringValue{}
	if _, err := b.Get(ctx, "/schedules/s", got); err != nil || got.Value != "by a" {
		t.Fatalf("record = %q, %v; want a's write only", got.Value, err)
	}
	if _, err := lb.Store().Update(ctx, "/schedules/s", wrapperspb.String("by b"), 0); err != nil {
		t.Fatalf("new leader's write: %v", err)
	}
	// a campaigns again on its new session and stands by behind b.
	ach := campaignAsync(ctx, a, "a:1")
	if addr, err := a.LeaderAddress(ctx); err != nil || addr != "b:1" {
		t.Fatalf("LeaderAddress = %q, %v; want b:1", addr, err)
	}
	assertStandingBy(t, ach, "a")
}

func TestCampaignCancelWithdraws(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	fw := uniqueFramework(t)
	a := openStore(t, storeOpts{framework: fw})
	b := openStore(t, storeOpts{framework: fw})
	waitLeader(t, campaignAsync(ctx, a, "a:1"), "a")
	bctx, cancel := context.WithCancel(ctx)
	bch := campaignAsync(bctx, b, "b:1")
	zktest.WaitFor(t, 10*time.Second, func() bool {
		names, _ := a.List(ctx, LeaderPath())
		return len(names) == 2
	}, "b's member znode")
	cancel()
	select {
	case r := <-bch:
		if !errors.Is(r.err, context.Canceled) {
			t.Fatalf("cancelled Campaign = %v; want context.Canceled", r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled Campaign did not return")
	}
	names, err := a.List(ctx, LeaderPath())
	if err != nil || len(names) != 1 {
		t.Fatalf("members after withdrawal = %v, %v; want only a's", names, err)
	}
}

func TestLeadershipLostWhenMemberDeleted(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := openStore(t, storeOpts{})
	la := waitLeader(t, campaignAsync(ctx, a, "a:1"), "a")
	raw := zktest.Connect(t, zktest.Shared(t).Servers())
	if err := raw.Delete(la.Member(), -1); err != nil {
		t.Fatal(err)
	}
	waitDone(t, la, "a")
	if err := la.Store().Create(ctx, "/schedules/x", wrapperspb.String("x")); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("write after losing the member znode = %v; want ErrNotLeader", err)
	}
}

func TestCampaignAdoptsLeftoverMember(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	fw := uniqueFramework(t)
	a := openStore(t, storeOpts{framework: fw})
	b := openStore(t, storeOpts{framework: fw})
	// A create whose reply never arrived left a member znode of a's session behind.
	leftover, err := a.Conn().Create(a.Root()+LeaderPath()+"/"+MemberPrefix, []byte("a:1"),
		zk.FlagEphemeral|zk.FlagSequence, a.sess.acl)
	if err != nil {
		t.Fatal(err)
	}
	bch := campaignAsync(ctx, b, "b:1")
	zktest.WaitFor(t, 10*time.Second, func() bool {
		names, _ := a.List(ctx, LeaderPath())
		return len(names) == 2
	}, "b's member znode")
	la := waitLeader(t, campaignAsync(ctx, a, "a:1"), "a")
	if la.Member() != leftover {
		t.Fatalf("a leads with %s; want the leftover %s adopted", la.Member(), leftover)
	}
	if names, _ := a.List(ctx, LeaderPath()); len(names) != 2 {
		t.Fatalf("members = %v; want a's leftover and b's", names)
	}
	assertStandingBy(t, bch, "b")
	if err := la.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	waitLeader(t, bch, "b")
}

// The leader epoch rises with every new leadership (expiry, resignation, a re-campaign of the
// same store), is kept in /leader_epoch, and continues from what is stored there.
func TestLeaderEpochRisesWithEachLeadership(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	fw := uniqueFramework(t)
	a := openStore(t, storeOpts{framework: fw})
	b := openStore(t, storeOpts{framework: fw})

	la := waitLeader(t, campaignAsync(ctx, a, "a:1"), "a")
	if la.Epoch() != 1 {
		t.Fatalf("first leadership's epoch = %d; want 1", la.Epoch())
	}
	bch := campaignAsync(ctx, b, "b:1")
	zktest.WaitFor(t, 10*time.Second, func() bool {
		names, _ := a.List(ctx, LeaderPath())
		return len(names) == 2
	}, "b's member znode")
	zktest.ExpireSession(t, a.Conn())
	waitDone(t, la, "a")
	lb := waitLeader(t, bch, "b")
	if lb.Epoch() <= la.Epoch() {
		t.Fatalf("epoch after hand-over = %d; want above %d", lb.Epoch(), la.Epoch())
	}
	if err := lb.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	waitDone(t, lb, "b")
	// The same store campaigns again: a new leadership, a new epoch.
	lb2 := waitLeader(t, campaignAsync(ctx, b, "b:1"), "b again")
	if lb2.Epoch() <= lb.Epoch() {
		t.Fatalf("epoch of b's second leadership = %d; want above %d", lb2.Epoch(), lb.Epoch())
	}
	data, _, err := b.Conn().Get(b.Root() + LeaderEpochPath())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ParseEpoch(data); err != nil || n != lb2.Epoch() {
		t.Fatalf("/leader_epoch = %q (%v); want %d", data, err, lb2.Epoch())
	}

	// An operator raises the stored epoch (say after restoring ZooKeeper from a backup): the
	// next leader continues above it.
	if err := lb2.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	waitDone(t, lb2, "b again")
	if _, err := b.Conn().Set(b.Root()+LeaderEpochPath(), []byte("41"), -1); err != nil {
		t.Fatal(err)
	}
	lb3 := waitLeader(t, campaignAsync(ctx, b, "b:1"), "b after the raise")
	if lb3.Epoch() != 42 {
		t.Fatalf("epoch after /leader_epoch was set to 41 = %d; want 42", lb3.Epoch())
	}
}

// A deposed leader's member znode cannot raise the epoch.
func TestDeposedMemberCannotRaiseEpoch(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	a := openStore(t, storeOpts{})
	la := waitLeader(t, campaignAsync(ctx, a, "a:1"), "a")
	if err := la.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.bumpEpoch(ctx, la.member, la.version); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("bumpEpoch with a deleted member znode = %v; want ErrNotLeader", err)
	}
	data, _, err := a.Conn().Get(a.Root() + LeaderEpochPath())
	if err != nil || string(data) != "1" {
		t.Fatalf("/leader_epoch = %q, %v; want 1, untouched", data, err)
	}
}
