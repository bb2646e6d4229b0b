package zkstate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
)

// chainLog appends n records to a fresh store and returns it with the records' names.
func chainLog(t *testing.T, n, keep int) (*Store, []string) {
	t.Helper()
	s := openStore(t, storeOpts{})
	ctx := testCtx(t)
	var names []string
	for i := range n {
		name, err := s.AppendAudit(ctx, auditRec("alice", "r", time.Now().Add(time.Duration(i)*time.Second)), keep)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return s, names
}

func rawGet(t *testing.T, s *Store, name string) []byte {
	t.Helper()
	data, err := s.getRaw(context.Background(), s.sess.root+AuditPath()+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func rawSet(t *testing.T, s *Store, name string, data []byte) {
	t.Helper()
	if _, err := s.sess.conn.Set(s.sess.root+AuditPath()+"/"+name, data, -1); err != nil {
		t.Fatal(err)
	}
}

func rawDelete(t *testing.T, s *Store, name string) {
	t.Helper()
	if err := s.sess.conn.Delete(s.sess.root+AuditPath()+"/"+name, -1); err != nil {
		t.Fatal(err)
	}
}

func verify(t *testing.T, s *Store) AuditVerification {
	t.Helper()
	v, err := s.VerifyAudit(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAuditChainIntact(t *testing.T) {
	s, names := chainLog(t, 6, 0)
	v := verify(t, s)
	if !v.OK || v.Checked != 6 || v.HeadIndex != 6 || v.Unchained != 0 || len(v.HeadHash) != 64 {
		t.Fatalf("intact log: %+v", v)
	}
	rec := &statev1.AuditRecord{}
	if err := Decode(rawGet(t, s, names[0]), rec); err != nil || rec.GetIndex() != 1 || string(rec.GetPrevHash()) != string(GenesisHash) {
		t.Fatalf("first record: index %d prev %x err %v", rec.GetIndex(), rec.GetPrevHash(), err)
	}
	if err := Decode(rawGet(t, s, names[1]), rec); err != nil || string(rec.GetPrevHash()) != string(hashOf(rawGet(t, s, names[0]))) {
		t.Fatalf("second record does not chain to the first: %x", rec.GetPrevHash())
	}
}

func TestAuditChainDetectsTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, s *Store, names []string)
		broken func(names []string) string
		reason string
	}{
		{"edit a middle record", func(t *testing.T, s *Store, names []string) {
			rawSet(t, s, names[2], []byte(strings.Replace(string(rawGet(t, s, names[2])), "alice", "mallory", 1)))
		}, func(n []string) string { return n[2] }, "edited"},
		{"edit the newest record", func(t *testing.T, s *Store, names []string) {
			rawSet(t, s, names[5], []byte(strings.Replace(string(rawGet(t, s, names[5])), "alice", "mallory", 1)))
		}, func(n []string) string { return n[5] }, "does not hash to the head"},
		{"remove a middle record", func(t *testing.T, s *Store, names []string) {
			rawDelete(t, s, names[3])
		}, func(n []string) string { return n[4] }, "removed"},
		{"remove the oldest record", func(t *testing.T, s *Store, names []string) {
			rawDelete(t, s, names[0])
		}, func(n []string) string { return n[1] }, "want 1"},
		{"remove the newest record", func(t *testing.T, s *Store, names []string) {
			rawDelete(t, s, names[5])
		}, func([]string) string { return "head" }, "removed"},
		{"swap two records", func(t *testing.T, s *Store, names []string) {
			a, b := rawGet(t, s, names[1]), rawGet(t, s, names[2])
			rawSet(t, s, names[1], b)
			rawSet(t, s, names[2], a)
		}, func(n []string) string { return n[1] }, "reordered"},
		{"garbage in a record", func(t *testing.T, s *Store, names []string) {
			rawSet(t, s, names[4], []byte("{"))
		}, func(n []string) string { return n[4] }, "not a valid audit record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, names := chainLog(t, 6, 0)
			c.tamper(t, s, names)
			v := verify(t, s)
			if v.OK || v.BrokenName != c.broken(names) || !strings.Contains(v.Reason, c.reason) {
				t.Fatalf("got ok=%v broken=%q reason=%q; want broken %q, reason with %q", v.OK, v.BrokenName, v.Reason, c.broken(names), c.reason)
			}
		})
	}
}

// Trimming moves the anchor: the log still verifies, and removing the oldest kept record (or
// rewinding the anchor) is detected.
func TestAuditChainTrimKeepsAnchor(t *testing.T) {
	s, names := chainLog(t, 25, 10)
	v := verify(t, s)
	if !v.OK || v.Checked != 10 || v.AnchorIndex != 15 || v.HeadIndex != 25 {
		t.Fatalf("after trims: %+v", v)
	}
	rawDelete(t, s, names[15])
	v = verify(t, s)
	if v.OK || v.BrokenName != names[16] || !strings.Contains(v.Reason, "anchor is 15") {
		t.Fatalf("oldest kept record removed: %+v", v)
	}
}

// Records written before the chain existed are counted, not checked; one written after a
// chained record is an insertion.
func TestAuditChainUnchainedRecords(t *testing.T) {
	s := openStore(t, storeOpts{})
	ctx := testCtx(t)
	dir := s.sess.root + AuditPath()
	if _, err := s.sess.conn.Create(dir, nil, 0, s.sess.acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		t.Fatal(err)
	}
	legacy, err := Encode(auditRec("old", "r", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.sess.conn.Create(dir+"/"+auditPrefix, legacy, zk.FlagSequence, s.sess.acl); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if _, err := s.AppendAudit(ctx, auditRec("new", "r", time.Now()), 0); err != nil {
			t.Fatal(err)
		}
	}
	v := verify(t, s)
	if !v.OK || v.Unchained != 2 || v.Checked != 3 {
		t.Fatalf("legacy then chained: %+v", v)
	}
	p, err := s.sess.conn.Create(dir+"/"+auditPrefix, legacy, zk.FlagSequence, s.sess.acl)
	if err != nil {
		t.Fatal(err)
	}
	v = verify(t, s)
	if v.OK || v.BrokenName != p[strings.LastIndex(p, "/")+1:] || !strings.Contains(v.Reason, "inserted") {
		t.Fatalf("unchained record after chained ones: %+v", v)
	}
}

// Concurrent appends (two daemons, many calls) still form one chain.
func TestAuditChainConcurrentAppends(t *testing.T) {
	s := openStore(t, storeOpts{})
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if _, err := s.AppendAudit(ctx, auditRec("w", "r", time.Now().Add(time.Duration(w*10+i))), 25); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	v := verify(t, s)
	if !v.OK || v.HeadIndex != 40 || v.Checked+int(v.AnchorIndex) != 40 {
		t.Fatalf("after concurrent appends: %+v", v)
	}
}
