package zkstate

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func auditRec(who, ring string, t time.Time) *statev1.AuditRecord {
	return &statev1.AuditRecord{Event: &cassmesosv1.AuditEvent{Identity: who, Ring: ring, Time: timestamppb.New(t), Method: "/m", Code: "OK"}}
}

func TestAuditAppendListTrim(t *testing.T) {
	s := openStore(t, storeOpts{})
	ctx := testCtx(t)
	if got, next, err := s.ListAudit(ctx, AuditFilter{}); err != nil || len(got) != 0 || next != "" {
		t.Fatalf("empty log: %v %q %v", got, next, err)
	}
	base := time.Now().Add(-time.Hour)
	const keep = 10
	var names []string
	for i := range 25 {
		who, ring := "alice", "a"
		if i%2 == 1 {
			who, ring = "bob", "b"
		}
		n, err := s.AppendAudit(ctx, auditRec(who, ring, base.Add(time.Duration(i)*time.Minute)), keep)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	// keep 10 trims every append whose sequence is a multiple of 1: never more than keep.
	all, _, err := s.ListAudit(ctx, AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != keep || all[0].Name != names[24] || all[keep-1].Name != names[15] {
		t.Fatalf("after trim: %d records, newest %s oldest %s; want %d, %s..%s", len(all), all[0].Name, all[len(all)-1].Name, keep, names[24], names[15])
	}
	// Filters and paging.
	page, next, err := s.ListAudit(ctx, AuditFilter{Identity: "bob", Limit: 2})
	if err != nil || len(page) != 2 || page[0].Name != names[23] || page[1].Name != names[21] || next != names[21] {
		t.Fatalf("bob page 1: %v next %q err %v", page, next, err)
	}
	page, _, err = s.ListAudit(ctx, AuditFilter{Identity: "bob", Limit: 2, Before: next})
	if err != nil || len(page) != 2 || page[0].Name != names[19] {
		t.Fatalf("bob page 2: %v err %v", page, err)
	}
	page, _, err = s.ListAudit(ctx, AuditFilter{Ring: "a", Since: base.Add(20 * time.Minute)})
	if err != nil || len(page) != 3 { // 20, 22, 24
		t.Fatalf("ring a since +20m: %d records, err %v", len(page), err)
	}
	if _, _, err := s.ListAudit(ctx, AuditFilter{Before: "../x"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad page token: %v", err)
	}
}

func TestAuditTrimBatched(t *testing.T) {
	s := openStore(t, storeOpts{})
	ctx := testCtx(t)
	// keep 1000: trimmed every 100 appends, so the log never exceeds keep+100.
	if got := auditTrimEvery(1000); got != 100 {
		t.Fatalf("auditTrimEvery(1000) = %d", got)
	}
	if got := auditTrimEvery(DefaultAuditKeep); got != 100 {
		t.Fatalf("auditTrimEvery(default) = %d", got)
	}
	for i := range 30 {
		if _, err := s.AppendAudit(ctx, auditRec(fmt.Sprint(i), "r", time.Now()), 20); err != nil {
			t.Fatal(err)
		}
	}
	names, err := s.auditNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// keep 20 trims when the sequence is a multiple of 2: at most 21 remain.
	if len(names) > 21 || len(names) < 20 {
		t.Fatalf("%d records kept, want 20 or 21", len(names))
	}
}

// BenchmarkListAuditScan: a filter that matches nothing reads every record (1,000 here).
func BenchmarkListAuditScan(b *testing.B) {
	s := openStore(b, storeOpts{})
	ctx := testCtx(b)
	for i := range 1000 {
		if _, err := s.AppendAudit(ctx, auditRec(fmt.Sprint(i), "r", time.Now()), 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		if got, _, err := s.ListAudit(ctx, AuditFilter{Identity: "nobody"}); err != nil || len(got) != 0 {
			b.Fatal(got, err)
		}
	}
}
