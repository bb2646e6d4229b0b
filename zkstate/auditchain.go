package zkstate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/proto"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
)

// The audit log is a hash chain. Each record carries its index (1, 2, ...) and the SHA-256 of
// the previous record's stored bytes (32 zero bytes for the first: GenesisHash). /audit's own
// data is the AuditHead: the newest record's index and hash, and the anchor, the index and hash
// of the newest record trimmed away. An append creates its record and moves the head in one
// ZooKeeper transaction that compares the head's version, so records are chained in the order
// they are stored whichever daemon writes them; a trim deletes records and moves the anchor in
// one transaction the same way. VerifyAudit walks the log: editing a record breaks its
// successor's link (or the head's, for the newest), removing one leaves a gap in the indexes (or
// the oldest no longer chains to the anchor, or the newest is not the head), and reordering
// breaks the indexes. Whoever can write ZooKeeper can still rewrite the whole chain and the head
// together: keep the head hash VerifyAudit reports somewhere else to detect that.

// GenesisHash is what the first chained record's prev_hash holds.
var GenesisHash = make([]byte, sha256.Size)

// auditAppendTries bounds the compare-and-set retries of one append or trim step (each retry
// means another daemon appended in between).
const auditAppendTries = 100

// auditTrimBatch is how many records one trim transaction deletes.
const auditTrimBatch = 50

func hashOf(data []byte) []byte {
	h := sha256.Sum256(data)
	return h[:]
}

// auditHead reads /audit's head and its version. The directory is created when absent; a
// directory without data (written before the chain) reads as an empty head.
func (s *Store) auditHead(ctx context.Context) (*statev1.AuditHead, int32, error) {
	dir := s.sess.root + AuditPath()
	for range 2 {
		type got struct {
			data []byte
			stat *zk.Stat
		}
		g, err := call(ctx, func() (got, error) {
			data, stat, err := s.sess.conn.Get(dir)
			return got{data, stat}, err
		})
		if errors.Is(err, zk.ErrNoNode) {
			_, err = call(ctx, func() (string, error) { return s.sess.conn.Create(dir, nil, 0, s.sess.acl) })
			if err != nil && !errors.Is(err, zk.ErrNodeExists) {
				return nil, 0, s.mapErr("create", dir, err)
			}
			continue
		}
		if err != nil {
			return nil, 0, s.mapErr("get", dir, err)
		}
		head := &statev1.AuditHead{}
		if len(g.data) > 0 {
			if err := decodeAt("get", dir, g.data, head); err != nil {
				return nil, 0, err
			}
		}
		return head, g.stat.Version, nil
	}
	return nil, 0, &PathError{Op: "get", Path: dir, Kind: ErrUnavailable, Err: errors.New("the audit directory vanished twice")}
}

// multiFailed reports whether a transaction failed because another writer got in first (a
// changed head, a record already deleted): the caller re-reads and tries again.
func multiFailed(res []zk.MultiResponse, err error) bool {
	if errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNoNode) {
		return true
	}
	for _, r := range res {
		if errors.Is(r.Error, zk.ErrBadVersion) || errors.Is(r.Error, zk.ErrNoNode) {
			return true
		}
	}
	return false
}

// appendChained writes rec as the next record of the chain and returns its znode name.
func (s *Store) appendChained(ctx context.Context, rec *statev1.AuditRecord) (string, error) {
	dir := s.sess.root + AuditPath()
	for range auditAppendTries {
		head, ver, err := s.auditHead(ctx)
		if err != nil {
			return "", err
		}
		r := proto.Clone(rec).(*statev1.AuditRecord)
		r.Index = head.GetIndex() + 1
		r.PrevHash = GenesisHash
		if head.GetIndex() > 0 {
			r.PrevHash = head.GetHash()
		}
		data, err := Encode(r)
		if err != nil {
			return "", &PathError{Op: "create", Path: dir, Kind: ErrInvalid, Err: err}
		}
		next := proto.Clone(head).(*statev1.AuditHead)
		next.Index, next.Hash = r.Index, hashOf(data)
		headData, err := Encode(next)
		if err != nil {
			return "", &PathError{Op: "update", Path: dir, Kind: ErrInvalid, Err: err}
		}
		res, err := call(ctx, func() ([]zk.MultiResponse, error) {
			return s.sess.conn.Multi(
				&zk.CreateRequest{Path: dir + "/" + auditPrefix, Data: data, Acl: s.sess.acl, Flags: zk.FlagSequence},
				&zk.SetDataRequest{Path: dir, Data: headData, Version: ver})
		})
		if err == nil && len(res) == 2 {
			return res[0].String[strings.LastIndex(res[0].String, "/")+1:], nil
		}
		if multiFailed(res, err) {
			continue
		}
		if err == nil {
			err = errors.New("short transaction response")
		}
		return "", s.mapErr("create", dir+"/"+auditPrefix, err)
	}
	return "", &PathError{Op: "create", Path: dir, Kind: ErrConflict, Err: fmt.Errorf("the audit head changed %d times in a row", auditAppendTries)}
}

// trimChained deletes names (the oldest records, oldest first) and moves the anchor to the
// newest chained one deleted, auditTrimBatch records per transaction.
func (s *Store) trimChained(ctx context.Context, names []string) error {
	dir := s.sess.root + AuditPath()
	for len(names) > 0 {
		batch := names[:min(auditTrimBatch, len(names))]
		done := false
		for range auditAppendTries {
			head, ver, err := s.auditHead(ctx)
			if err != nil {
				return err
			}
			next := proto.Clone(head).(*statev1.AuditHead)
			ops := make([]any, 0, len(batch)+1)
			for _, n := range batch {
				abs := dir + "/" + n
				data, err := s.getRaw(ctx, abs)
				if errors.Is(err, zk.ErrNoNode) {
					continue // trimmed by another daemon meanwhile
				}
				if err != nil {
					return s.mapErr("get", abs, err)
				}
				rec := &statev1.AuditRecord{}
				if Decode(data, rec) == nil && rec.GetIndex() > next.GetAnchorIndex() {
					next.AnchorIndex, next.AnchorHash = rec.GetIndex(), hashOf(data)
				}
				ops = append(ops, &zk.DeleteRequest{Path: abs, Version: -1})
			}
			if len(ops) == 0 {
				done = true
				break
			}
			headData, err := Encode(next)
			if err != nil {
				return &PathError{Op: "update", Path: dir, Kind: ErrInvalid, Err: err}
			}
			ops = append(ops, &zk.SetDataRequest{Path: dir, Data: headData, Version: ver})
			res, err := call(ctx, func() ([]zk.MultiResponse, error) { return s.sess.conn.Multi(ops...) })
			if err == nil {
				done = true
				break
			}
			if multiFailed(res, err) {
				continue
			}
			return s.mapErr("delete", dir, err)
		}
		if !done {
			return &PathError{Op: "delete", Path: dir, Kind: ErrConflict, Err: fmt.Errorf("the audit head changed %d times in a row", auditAppendTries)}
		}
		names = names[len(batch):]
	}
	return nil
}

// getRaw reads a znode's bytes (ZooKeeper errors unmapped).
func (s *Store) getRaw(ctx context.Context, abs string) ([]byte, error) {
	return call(ctx, func() ([]byte, error) {
		data, _, err := s.sess.conn.Get(abs)
		return data, err
	})
}

// AuditVerification is the outcome of VerifyAudit.
type AuditVerification struct {
	// OK: every chained record follows its predecessor, the oldest chains to the anchor (or the
	// genesis hash) and the newest is the head.
	OK bool
	// Checked is how many chained records were checked; Unchained how many records were written
	// before the chain existed (older than every chained one, not covered).
	Checked, Unchained int
	// BrokenName is the first record where the chain breaks ("head" when the newest records are
	// missing or the head does not match); Reason says how.
	BrokenName, Reason string
	// Head is the head read (HeadHash hex-encoded).
	HeadIndex   uint64
	HeadHash    string
	AnchorIndex uint64
}

// VerifyAudit checks the audit log's hash chain from the anchor to the head.
func (s *Store) VerifyAudit(ctx context.Context) (AuditVerification, error) {
	var v AuditVerification
	var err error
	for range 3 { // a trim between reading the head and the records: read again
		var retry bool
		v, retry, err = s.verifyAuditOnce(ctx)
		if err != nil || !retry {
			return v, err
		}
	}
	return v, err
}

func (s *Store) verifyAuditOnce(ctx context.Context) (AuditVerification, bool, error) {
	head, _, err := s.auditHead(ctx)
	if err != nil {
		return AuditVerification{}, false, err
	}
	v := AuditVerification{HeadIndex: head.GetIndex(), HeadHash: hex.EncodeToString(head.GetHash()), AnchorIndex: head.GetAnchorIndex()}
	names, err := s.auditNames(ctx)
	if err != nil {
		return v, false, err
	}
	broken := func(name, format string, args ...any) (AuditVerification, bool, error) {
		v.BrokenName, v.Reason = name, fmt.Sprintf(format, args...)
		return v, false, nil
	}
	var prevName string
	var prevIndex uint64
	var prevHash []byte
	headSeen := head.GetIndex() == 0
	for _, n := range names {
		abs := s.sess.root + AuditPath() + "/" + n
		data, err := s.getRaw(ctx, abs)
		if errors.Is(err, zk.ErrNoNode) {
			if prevName == "" {
				continue // trimmed meanwhile
			}
			return broken(n, "record vanished while it was read (deleted in the middle of the log)")
		}
		if err != nil {
			return v, false, s.mapErr("get", abs, err)
		}
		rec := &statev1.AuditRecord{}
		if err := Decode(data, rec); err != nil {
			return broken(n, "not a valid audit record: %v", err)
		}
		if rec.GetIndex() == 0 {
			if prevName != "" {
				return broken(n, "record without a chain index after chained record %s (inserted)", prevName)
			}
			v.Unchained++
			continue
		}
		switch {
		case prevName == "":
			anchor := head.GetAnchorIndex()
			switch {
			case rec.GetIndex() <= anchor:
				return v, true, nil // trimmed between reading the head and the records
			case rec.GetIndex() != anchor+1:
				if anchor == 0 {
					return broken(n, "oldest record has index %d, want 1: the records before it were removed", rec.GetIndex())
				}
				return broken(n, "oldest record has index %d, want %d (the anchor is %d): records were removed", rec.GetIndex(), anchor+1, anchor)
			case anchor == 0 && !bytes.Equal(rec.GetPrevHash(), GenesisHash):
				return broken(n, "first record does not chain to the genesis hash")
			case anchor > 0 && !bytes.Equal(rec.GetPrevHash(), head.GetAnchorHash()):
				return broken(n, "oldest record does not chain to the anchor (the last trimmed record, index %d)", anchor)
			}
		case rec.GetIndex() != prevIndex+1:
			return broken(n, "index %d follows %d (record %s): records were removed or reordered", rec.GetIndex(), prevIndex, prevName)
		case !bytes.Equal(rec.GetPrevHash(), prevHash):
			return broken(prevName, "record %s (index %d) does not hash to what its successor %s holds: one of them was edited", prevName, prevIndex, n)
		}
		prevName, prevIndex, prevHash = n, rec.GetIndex(), hashOf(data)
		v.Checked++
		if rec.GetIndex() == head.GetIndex() {
			if !bytes.Equal(prevHash, head.GetHash()) {
				return broken(n, "newest record (index %d) does not hash to the head: it was edited", rec.GetIndex())
			}
			headSeen = true
		}
	}
	if !headSeen {
		if prevName == "" && head.GetIndex() <= head.GetAnchorIndex() {
			v.OK = true // every chained record was trimmed
			return v, false, nil
		}
		return broken("head", "the head is index %d but the newest record is index %d: records were removed", head.GetIndex(), prevIndex)
	}
	v.OK = true
	return v, false, nil
}
