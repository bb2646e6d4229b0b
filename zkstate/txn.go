package zkstate

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/internal/failpoint"
)

// Transactions. Store.Txn writes a set of records all or nothing. One that fits in one
// ZooKeeper multi-op (TxnBudget) is one multi, preceded by the fence check. A larger one goes
// through a write-ahead journal in ZooKeeper:
//
//  1. stage: the writes, encoded, in chunk znodes /journal/txn-<seq>/chunk-<n> (fenced);
//  2. verify: every compare-and-set of the transaction still holds (creates: the record is
//     absent; updates and deletes: the version is the expected one), in read-only fenced multis;
//  3. commit: one small fenced multi that checks /journal/txn-<seq> is untouched and creates
//     /journal/txn-<seq>/commit;
//  4. apply: the writes in bounded fenced multis, the last of which also deletes the commit
//     marker;
//  5. clean up: delete the chunks and /journal/txn-<seq>.
//
// A transaction is decided at step 3. RecoverJournals (which the daemon runs on every load, before
// reading records, so every new leader does it) rolls a committed journal forward, writing the
// journalled values whatever the records' versions are (the caller holds the fence, so nobody
// else writes), and deletes uncommitted ones. Between verify and commit only the fence holder
// can write, so the checks hold at the commit.

// TxnBudget bounds the encoded size of one multi-op a transaction sends, and of one journal
// chunk (ZooKeeper's request limit, jute.maxbuffer, is 1 MiB by default). A single write larger
// than this (a record may be up to MaxRecordBytes) travels alone.
const TxnBudget = 512 * 1024

// budget is the session's TxnBudget (tests lower it).
func (s *Store) budget() int {
	if s.sess.txnBudget > 0 {
		return s.sess.txnBudget
	}
	return TxnBudget
}

// txnOpOverhead estimates the jute encoding of one op besides its path and data (header, ACL,
// lengths, version, flags).
const txnOpOverhead = 100

// TxnOp is one write of a transaction (Store.Txn).
type TxnOp struct {
	// Path is the record's root-relative path (from schema.go).
	Path string
	// Record is the record to write. Nil, with Delete false and Expected Absent, creates an
	// empty znode.
	Record proto.Message
	// Delete removes the record (with its collections) instead.
	Delete bool
	// Expected: Absent creates the record (with its "nodes" or "segments" collection); a version
	// updates or deletes it only if it still has that version; AnyVersion skips the comparison.
	Expected Version
}

// PutOp is a TxnOp that creates (expected Absent) or replaces the record at rel.
func PutOp(rel string, msg proto.Message, expected Version) TxnOp {
	return TxnOp{Path: rel, Record: msg, Expected: expected}
}

// DeleteOp is a TxnOp that deletes the record at rel (and its empty collections).
func DeleteOp(rel string, expected Version) TxnOp {
	return TxnOp{Path: rel, Delete: true, Expected: expected}
}

// zop kinds (also the journal's entry tags).
const (
	zCreate      = 'c' // create with data
	zCreateEmpty = 'n' // create an empty znode (a collection)
	zSet         = 's'
	zDelete      = 'd'
)

// zop is one ZooKeeper write of a compiled transaction.
type zop struct {
	kind    byte
	rel     string // root-relative path
	data    []byte
	version int32 // expected version of a set or delete (-1: any)
}

func (o zop) size() int { return txnOpOverhead + len(o.rel) + len(o.data) }

// failpoint is called at the named points between a journal's steps (internal/failpoint names:
// zkstate/journal-after-stage, zkstate/journal-after-commit, zkstate/journal-after-apply-batch,
// zkstate/journal-before-cleanup); an error stops the transaction there, as a crash would (the
// journal is left as it is).
func (s *Store) failpoint(name string) error {
	if h := s.sess.failpoint; h != nil {
		if err := h(name); err != nil {
			return err
		}
	}
	return failpoint.Inject(name)
}

// Txn writes ops as one transaction: all of them or none. Each op is a compare-and-set as with
// Put and Delete, and a fenced store fences the whole. It returns the records' new versions (0
// for creates and deletes), in op order. Errors are *PathError values naming the znode that
// failed; nothing is written then, except with ErrInDoubt (a large transaction that was or may
// have been committed: RecoverJournals completes it).
func (s *Store) Txn(ctx context.Context, ops []TxnOp) ([]Version, error) {
	zops, main, err := s.compile(ops)
	if err != nil {
		return nil, err
	}
	if len(zops) == 0 {
		return make([]Version, len(ops)), nil
	}
	total := 0
	for _, o := range zops {
		total += o.size()
	}
	var vs []int32
	if total <= s.budget() {
		vs, err = s.multiVersions(ctx, "txn", s.requests(zops))
	} else {
		vs, err = s.journalTxn(ctx, zops)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Version, len(ops))
	for i, m := range main {
		out[i] = Version(vs[m])
	}
	return out, nil
}

// compile validates and encodes ops into ZooKeeper writes; main[i] is the index of op i's own
// write (creates add their collections after it, deletes remove them before it).
func (s *Store) compile(ops []TxnOp) ([]zop, []int, error) {
	var zops []zop
	main := make([]int, len(ops))
	for i, o := range ops {
		op := "update"
		switch {
		case o.Delete:
			op = "delete"
		case o.Expected == Absent:
			op = "create"
		}
		abs, err := s.abs(op, o.Path)
		if err != nil {
			return nil, nil, err
		}
		if o.Expected < Absent || (o.Delete && o.Expected == Absent) || (!o.Delete && o.Record == nil && o.Expected != Absent) {
			return nil, nil, &PathError{Op: op, Path: abs, Kind: ErrInvalid, Err: fmt.Errorf("expected version %d", o.Expected)}
		}
		if o.Delete {
			for _, c := range collectionsOf(o.Path) {
				zops = append(zops, zop{kind: zDelete, rel: c, version: -1})
			}
			main[i] = len(zops)
			zops = append(zops, zop{kind: zDelete, rel: o.Path, version: int32(o.Expected)})
			continue
		}
		if o.Record == nil {
			main[i] = len(zops)
			zops = append(zops, zop{kind: zCreateEmpty, rel: o.Path})
			continue
		}
		data, err := Encode(o.Record)
		if err != nil {
			kind := ErrInvalid
			if errors.Is(err, ErrTooLarge) {
				kind = ErrTooLarge
			}
			return nil, nil, &PathError{Op: op, Path: abs, Kind: kind, Err: err}
		}
		main[i] = len(zops)
		if o.Expected == Absent {
			zops = append(zops, zop{kind: zCreate, rel: o.Path, data: data})
			for _, c := range collectionsOf(o.Path) {
				zops = append(zops, zop{kind: zCreateEmpty, rel: c})
			}
		} else {
			zops = append(zops, zop{kind: zSet, rel: o.Path, data: data, version: int32(o.Expected)})
		}
	}
	return zops, main, nil
}

// requests turns writes into multi-op requests as they are meant (compare-and-set).
func (s *Store) requests(zops []zop) []any {
	reqs := make([]any, 0, len(zops))
	for _, o := range zops {
		abs := s.sess.root + o.rel
		switch o.kind {
		case zCreate, zCreateEmpty:
			reqs = append(reqs, &zk.CreateRequest{Path: abs, Data: o.data, Acl: s.sess.acl})
		case zSet:
			reqs = append(reqs, &zk.SetDataRequest{Path: abs, Data: o.data, Version: o.version})
		case zDelete:
			reqs = append(reqs, &zk.DeleteRequest{Path: abs, Version: o.version})
		}
	}
	return reqs
}

// multiVersions runs reqs as one multi and returns each one's new version (that of a set; 0
// for the others).
func (s *Store) multiVersions(ctx context.Context, op string, reqs []any) ([]int32, error) {
	res, err := s.multi(ctx, op, reqs)
	if err != nil {
		return nil, err
	}
	vs := make([]int32, len(reqs))
	for i := range reqs {
		if _, set := reqs[i].(*zk.SetDataRequest); set && i < len(res) && res[i].Stat != nil {
			vs[i] = res[i].Stat.Version
		}
	}
	return vs, nil
}

// batches splits writes into runs whose estimated encoding fits TxnBudget (a larger single
// write makes a run of its own). It returns the end index of each run.
func batches(zops []zop, budget int) []int {
	var ends []int
	size := 0
	for i, o := range zops {
		if size > 0 && size+o.size() > budget {
			ends = append(ends, i)
			size = 0
		}
		size += o.size()
	}
	return append(ends, len(zops))
}

// The journal's chunk format: "CMJ1", then per write its kind byte, the uvarint length and bytes
// of its root-relative path, and the uvarint length and bytes of its data.
var journalMagic = []byte("CMJ1")

const journalHeader = "cassmesos transaction journal v1"

func encodeChunk(zops []zop) []byte {
	n := len(journalMagic)
	for _, o := range zops {
		n += 1 + 2*binary.MaxVarintLen64 + len(o.rel) + len(o.data)
	}
	b := make([]byte, 0, n)
	b = append(b, journalMagic...)
	for _, o := range zops {
		b = append(b, o.kind)
		b = binary.AppendUvarint(b, uint64(len(o.rel)))
		b = append(b, o.rel...)
		b = binary.AppendUvarint(b, uint64(len(o.data)))
		b = append(b, o.data...)
	}
	return b
}

func decodeChunk(b []byte) ([]zop, error) {
	if !bytes.HasPrefix(b, journalMagic) {
		return nil, errors.New("not a journal chunk")
	}
	b = b[len(journalMagic):]
	var zops []zop
	field := func() ([]byte, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, errors.New("truncated journal chunk")
		}
		f := b[k : k+int(n)]
		b = b[k+int(n):]
		return f, nil
	}
	for len(b) > 0 {
		kind := b[0]
		b = b[1:]
		switch kind {
		case zCreate, zCreateEmpty, zSet, zDelete:
		default:
			return nil, fmt.Errorf("unknown journal entry %q", kind)
		}
		p, err := field()
		if err != nil {
			return nil, err
		}
		data, err := field()
		if err != nil {
			return nil, err
		}
		if err := checkPath(string(p)); err != nil || string(p) == "/" {
			return nil, fmt.Errorf("journal entry: bad path %q", p)
		}
		zops = append(zops, zop{kind: kind, rel: string(p), data: slices.Clone(data), version: -1})
	}
	return zops, nil
}

// journalTxn writes a transaction too large for one multi through the journal.
func (s *Store) journalTxn(ctx context.Context, zops []zop) ([]int32, error) {
	// Stage.
	res, err := s.multi(ctx, "txn", []any{&zk.CreateRequest{
		Path: s.sess.root + JournalPath() + "/" + journalTxnPrefix, Data: []byte(journalHeader), Acl: s.sess.acl, Flags: zk.FlagSequence,
	}})
	if err != nil {
		return nil, err
	}
	if len(res) == 0 || res[0].String == "" {
		return nil, &PathError{Op: "txn", Path: s.sess.root + JournalPath(), Kind: ErrUnavailable, Err: errors.New("no journal name returned")}
	}
	txn := path.Base(res[0].String)
	ends := batches(zops, s.budget())
	start := 0
	for n, end := range ends {
		data := encodeChunk(zops[start:end])
		start = end
		if _, err := s.multi(ctx, "txn", []any{&zk.CreateRequest{Path: s.sess.root + journalChunkPath(txn, n), Data: data, Acl: s.sess.acl}}); err != nil {
			s.discardJournal(ctx, txn)
			return nil, err
		}
	}
	if err := s.failpoint("zkstate/journal-after-stage"); err != nil {
		return nil, &PathError{Op: "txn", Path: s.sess.root + JournalPath() + "/" + txn, Kind: ErrUnavailable, Err: err}
	}
	// Verify.
	if err := s.verify(ctx, zops); err != nil {
		s.discardJournal(ctx, txn)
		return nil, err
	}
	// Commit.
	txnAbs := s.sess.root + JournalPath() + "/" + txn
	commitAbs := s.sess.root + journalCommitPath(txn)
	_, err = s.multi(ctx, "txn", []any{
		&zk.CheckVersionRequest{Path: txnAbs, Version: 0},
		&zk.CreateRequest{Path: commitAbs, Data: []byte(strconv.Itoa(len(ends))), Acl: s.sess.acl},
	})
	if err != nil {
		if !inDoubt(err) {
			s.discardJournal(ctx, txn)
			return nil, err
		}
		committed, rerr := s.resolveCommit(ctx, txn)
		if rerr != nil {
			return nil, &PathError{Op: "txn", Path: commitAbs, Kind: ErrInDoubt, Err: errors.Join(err, rerr)}
		}
		if !committed {
			s.discardJournal(ctx, txn)
			return nil, err
		}
	}
	if err := s.failpoint("zkstate/journal-after-commit"); err != nil {
		return nil, s.injected(txn, err)
	}
	// Apply, then clean up.
	vs, err := s.applyJournal(ctx, txn, zops, true)
	if err != nil {
		return nil, &PathError{Op: "txn", Path: commitAbs, Kind: ErrInDoubt, Err: err}
	}
	if err := s.failpoint("zkstate/journal-before-cleanup"); err != nil {
		return vs, nil // the transaction is complete; the journal is left for RecoverJournals
	}
	s.discardJournal(ctx, txn)
	return vs, nil
}

// injected is the error of a journal stopped by a failure point: in doubt, as after a crash.
func (s *Store) injected(txn string, err error) error {
	return &PathError{Op: "txn", Path: s.sess.root + JournalPath() + "/" + txn, Kind: ErrInDoubt, Err: err}
}

// inDoubt reports whether a failed request may still have been applied.
func inDoubt(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// resolveCommit settles a commit whose outcome is unknown: it changes the journal znode's data
// version, which makes a commit still in flight fail, and then looks for the commit marker
// (which, if it landed, landed before).
func (s *Store) resolveCommit(ctx context.Context, txn string) (bool, error) {
	txnAbs := s.sess.root + JournalPath() + "/" + txn
	var last error
	for attempt := range 5 {
		if attempt > 0 && !pause(ctx, attempt) {
			break
		}
		_, err := s.multi(ctx, "txn", []any{&zk.SetDataRequest{Path: txnAbs, Data: []byte(journalHeader), Version: -1}})
		if err != nil && !errors.Is(err, ErrConflict) {
			last = err
			if inDoubt(err) {
				continue
			}
			return false, err
		}
		ok, err := call(ctx, func() (bool, error) {
			ok, _, err := s.sess.conn.Exists(s.sess.root + journalCommitPath(txn))
			return ok, err
		})
		if err != nil {
			last = s.mapErr("txn", s.sess.root+journalCommitPath(txn), err)
			continue
		}
		return ok, nil
	}
	if last == nil {
		last = ctx.Err()
	}
	return false, last
}

// pause waits before retry attempt (growing), or until ctx ends (false).
func pause(ctx context.Context, attempt int) bool {
	t := time.NewTimer(time.Duration(50<<min(attempt, 5)) * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// verify checks, before the commit, every compare-and-set of zops against ZooKeeper (a write
// whose path an earlier write of the transaction touches is checked by that one).
func (s *Store) verify(ctx context.Context, zops []zop) error {
	touched, created := map[string]bool{}, map[string]bool{}
	creates := map[string][]string{} // parent → names that must be absent
	var parents []string
	var checks []zop
	for _, o := range zops {
		if !touched[o.rel] {
			switch o.kind {
			case zCreate, zCreateEmpty:
				dir := path.Dir(o.rel)
				if _, seen := creates[dir]; !seen {
					parents = append(parents, dir)
				}
				creates[dir] = append(creates[dir], path.Base(o.rel))
				created[o.rel] = true
			default:
				checks = append(checks, zop{kind: zSet, rel: o.rel, version: o.version})
			}
		}
		touched[o.rel] = true
	}
	for _, dir := range parents {
		if err := s.checkAbsent(ctx, dir, creates[dir], created[dir]); err != nil {
			return err
		}
	}
	start := 0
	for _, end := range batches(checks, s.budget()) {
		reqs := make([]any, 0, end-start)
		for _, c := range checks[start:end] {
			reqs = append(reqs, &zk.CheckVersionRequest{Path: s.sess.root + c.rel, Version: c.version})
		}
		start = end
		if len(reqs) == 0 {
			continue
		}
		if _, err := s.multi(ctx, "txn", reqs); err != nil {
			return err
		}
	}
	return nil
}

// checkAbsent checks that none of names exists under dir, and that dir exists unless the
// transaction creates it.
func (s *Store) checkAbsent(ctx context.Context, dir string, names []string, dirCreated bool) error {
	if dirCreated {
		return nil // created by the transaction (it was checked absent), so are its children
	}
	abs := s.sess.root + dir
	ok, err := s.exists(ctx, abs)
	if err != nil {
		return err
	}
	if !ok {
		return &PathError{Op: "txn", Path: abs, Kind: ErrNotFound, Err: fmt.Errorf("parent of %s/%s does not exist", abs, names[0])}
	}
	rels := make([]string, len(names))
	for i, n := range names {
		rels[i] = dir + "/" + n
	}
	have, err := s.existsAll(ctx, rels)
	if err != nil {
		return err
	}
	for _, rel := range rels {
		if have[rel] {
			return &PathError{Op: "txn", Path: s.sess.root + rel, Kind: ErrConflict, Err: zk.ErrNodeExists}
		}
	}
	return nil
}

func (s *Store) exists(ctx context.Context, abs string) (bool, error) {
	ok, err := call(ctx, func() (bool, error) {
		ok, _, err := s.sess.conn.Exists(abs)
		return ok, err
	})
	if err != nil {
		return false, s.mapErr("txn", abs, err)
	}
	return ok, nil
}

// existsAll looks up which of paths (root-relative) exist, concurrently.
func (s *Store) existsAll(ctx context.Context, rels []string) (map[string]bool, error) {
	out := make(map[string]bool, len(rels))
	var mu sync.Mutex
	errs := make([]error, len(rels))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(listConcurrency, len(rels)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ok, _, err := s.sess.conn.Exists(s.sess.root + rels[i])
				if err != nil {
					errs[i] = s.mapErr("txn", s.sess.root+rels[i], err)
					continue
				}
				mu.Lock()
				out[rels[i]] = ok
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range rels {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, &PathError{Op: "txn", Path: s.sess.root + JournalPath(), Kind: ctxKind(err), Err: err}
	}
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return out, nil
}

// applyJournal writes a committed journal's writes in bounded fenced multis; the last one also
// deletes the commit marker. optimistic: try each batch as the writes were meant first (a
// journal being applied for the first time); otherwise, and when that fails, each batch is
// fitted to what exists (create or replace, delete if present), which makes applying again
// harmless.
func (s *Store) applyJournal(ctx context.Context, txn string, zops []zop, optimistic bool) ([]int32, error) {
	vs := make([]int32, len(zops))
	ends := batches(zops, s.budget())
	start := 0
	for bi, end := range ends {
		batch := zops[start:end]
		last := bi == len(ends)-1
		var res []int32
		var err error
		if optimistic {
			reqs := make([]any, 0, len(batch)+1)
			for _, o := range batch {
				reqs = append(reqs, s.blindRequest(o))
			}
			if last {
				reqs = append(reqs, &zk.DeleteRequest{Path: s.sess.root + journalCommitPath(txn), Version: -1})
			}
			res, err = s.multiVersions(ctx, "txn", reqs)
			if errors.Is(err, ErrNotLeader) {
				return nil, err
			}
		}
		if !optimistic || err != nil {
			res, err = s.applyExact(ctx, txn, batch, last)
		}
		if err != nil {
			return nil, err
		}
		copy(vs[start:end], res)
		start = end
		if !last {
			if err := s.failpoint("zkstate/journal-after-apply-batch"); err != nil {
				return nil, err
			}
		}
	}
	return vs, nil
}

// blindRequest is a write as meant, without its compare-and-set (verified before the commit).
func (s *Store) blindRequest(o zop) any {
	abs := s.sess.root + o.rel
	switch o.kind {
	case zSet:
		return &zk.SetDataRequest{Path: abs, Data: o.data, Version: -1}
	case zDelete:
		return &zk.DeleteRequest{Path: abs, Version: -1}
	default:
		return &zk.CreateRequest{Path: abs, Data: o.data, Acl: s.sess.acl}
	}
}

// applyExact writes a batch fitted to what exists now, retrying while ZooKeeper is unreachable.
func (s *Store) applyExact(ctx context.Context, txn string, batch []zop, last bool) ([]int32, error) {
	var lastErr error
	for attempt := range 5 {
		if attempt > 0 && !pause(ctx, attempt) {
			break
		}
		rels := make([]string, 0, len(batch)+1)
		for _, o := range batch {
			rels = append(rels, o.rel)
		}
		if last {
			rels = append(rels, journalCommitPath(txn))
		}
		have, err := s.existsAll(ctx, rels)
		if err != nil {
			lastErr = err
			if inDoubt(err) {
				continue
			}
			return nil, err
		}
		var reqs []any
		idx := make([]int, len(batch)) // request index of each write, -1 when skipped
		for i, o := range batch {
			abs := s.sess.root + o.rel
			idx[i] = len(reqs)
			switch {
			case o.kind == zDelete && have[o.rel]:
				reqs = append(reqs, &zk.DeleteRequest{Path: abs, Version: -1})
				have[o.rel] = false
			case o.kind == zDelete, o.kind == zCreateEmpty && have[o.rel]:
				idx[i] = -1
			case have[o.rel]:
				reqs = append(reqs, &zk.SetDataRequest{Path: abs, Data: o.data, Version: -1})
			default:
				reqs = append(reqs, &zk.CreateRequest{Path: abs, Data: o.data, Acl: s.sess.acl})
				have[o.rel] = true
			}
		}
		if last && have[journalCommitPath(txn)] {
			reqs = append(reqs, &zk.DeleteRequest{Path: s.sess.root + journalCommitPath(txn), Version: -1})
		}
		vs := make([]int32, len(batch))
		if len(reqs) == 0 {
			return vs, nil
		}
		res, err := s.multi(ctx, "txn", reqs)
		if err != nil {
			lastErr = err
			if inDoubt(err) || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
				continue // look again
			}
			return nil, err
		}
		for i, r := range idx {
			if r >= 0 && r < len(res) && res[r].Stat != nil {
				if _, set := reqs[r].(*zk.SetDataRequest); set {
					vs[i] = res[r].Stat.Version
				}
			}
		}
		return vs, nil
	}
	if lastErr == nil {
		lastErr = &PathError{Op: "txn", Path: s.sess.root + JournalPath() + "/" + txn, Kind: ctxKind(ctx.Err()), Err: ctx.Err()}
	}
	return nil, lastErr
}

// discardJournal deletes a journal (best effort: RecoverJournals deletes what is left).
func (s *Store) discardJournal(ctx context.Context, txn string) {
	if err := s.deleteJournal(ctx, txn); err != nil {
		s.sess.log.Warn("could not delete a transaction journal; the next load deletes it", "journal", txn, "err", err)
	}
}

// deleteJournal deletes journal txn's children (chunks, commit marker) and txn itself.
func (s *Store) deleteJournal(ctx context.Context, txn string) error {
	dir := JournalPath() + "/" + txn
	children, err := s.List(ctx, dir)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// The commit marker goes first, alone: a journal without one is never applied.
	slices.SortStableFunc(children, func(a, b string) int {
		return boolInt(b == "commit") - boolInt(a == "commit")
	})
	var reqs []any
	for _, c := range children {
		reqs = append(reqs, &zk.DeleteRequest{Path: s.sess.root + dir + "/" + c, Version: -1})
		if c == "commit" {
			if _, err := s.multi(ctx, "txn", reqs); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			reqs = nil
		}
	}
	for batch := range slices.Chunk(reqs, deleteBatch) {
		if _, err := s.multi(ctx, "txn", batch); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if _, err := s.multi(ctx, "txn", []any{&zk.DeleteRequest{Path: s.sess.root + dir, Version: -1}}); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// JournalReport says what RecoverJournals did.
type JournalReport struct {
	// RolledForward are the committed journals applied.
	RolledForward []string
	// Discarded are the uncommitted journals deleted.
	Discarded []string
}

// RecoverJournals completes what transactions interrupted by a crash or a lost leadership left in
// /journal, oldest first: a committed journal is applied (its values written whatever the
// records' versions are) and deleted; an uncommitted one is deleted. Run it with the fenced store
// before reading records, and before any transaction of this leadership. A committed journal
// that cannot be read fails with ErrCorrupt naming it, and nothing after it is done.
func (s *Store) RecoverJournals(ctx context.Context) (JournalReport, error) {
	var rep JournalReport
	names, err := s.List(ctx, JournalPath())
	if errors.Is(err, ErrNotFound) {
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	slices.SortFunc(names, func(a, b string) int { return journalSeq(a) - journalSeq(b) })
	for _, txn := range names {
		commitAbs := s.sess.root + journalCommitPath(txn)
		data, err := call(ctx, func() ([]byte, error) {
			d, _, err := s.sess.conn.Get(commitAbs)
			return d, err
		})
		if errors.Is(err, zk.ErrNoNode) {
			if err := s.deleteJournal(ctx, txn); err != nil {
				return rep, err
			}
			rep.Discarded = append(rep.Discarded, txn)
			continue
		}
		if err != nil {
			return rep, s.mapErr("recover", commitAbs, err)
		}
		n, perr := strconv.Atoi(strings.TrimSpace(string(data)))
		if perr != nil || n < 1 {
			return rep, &PathError{Op: "recover", Path: commitAbs, Kind: ErrCorrupt, Err: fmt.Errorf("commit marker %q is not a chunk count", data)}
		}
		var zops []zop
		for i := range n {
			p := s.sess.root + journalChunkPath(txn, i)
			b, err := call(ctx, func() ([]byte, error) {
				d, _, err := s.sess.conn.Get(p)
				return d, err
			})
			if errors.Is(err, zk.ErrNoNode) {
				return rep, &PathError{Op: "recover", Path: p, Kind: ErrCorrupt, Err: fmt.Errorf("committed journal lacks chunk %d of %d", i, n)}
			}
			if err != nil {
				return rep, s.mapErr("recover", p, err)
			}
			z, err := decodeChunk(b)
			if err != nil {
				return rep, &PathError{Op: "recover", Path: p, Kind: ErrCorrupt, Err: err}
			}
			zops = append(zops, z...)
		}
		if _, err := s.applyJournal(ctx, txn, zops, false); err != nil {
			return rep, err
		}
		if err := s.deleteJournal(ctx, txn); err != nil {
			return rep, err
		}
		rep.RolledForward = append(rep.RolledForward, txn)
	}
	return rep, nil
}

// journalSeq is a journal znode's sequence number (-1 when it has none).
func journalSeq(name string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(name, journalTxnPrefix))
	if err != nil || !strings.HasPrefix(name, journalTxnPrefix) {
		return -1
	}
	return n
}
