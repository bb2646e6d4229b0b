package zkstate

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
)

// The audit log: /audit/e-<10-digit sequence>, one AuditRecord per mutating call. Appends are
// never fenced by leadership (a standby that answers a call audits it too), so they go through
// the plain session whichever Store view they are called on.

// AuditPath holds the audit log's records.
func AuditPath() string { return "/audit" }

// auditPrefix starts every audit record's (sequential) znode name.
const auditPrefix = "e-"

// DefaultAuditKeep is how many audit records are kept when the caller says 0.
const DefaultAuditKeep = 10000

// auditTrimEvery: the log is trimmed when an append's sequence number is a multiple of this (and
// never holds more than keep+auditTrimEvery records).
func auditTrimEvery(keep int) int64 {
	return int64(min(max(keep/10, 1), 100))
}

// AppendAudit writes rec as the newest audit record and returns its name (its ID). keep bounds the
// log: every few appends the oldest records beyond keep are deleted (0: DefaultAuditKeep).
func (s *Store) AppendAudit(ctx context.Context, rec *statev1.AuditRecord, keep int) (string, error) {
	if keep <= 0 {
		keep = DefaultAuditKeep
	}
	name, err := s.appendChained(ctx, rec)
	if err != nil {
		return "", err
	}
	if seq, ok := auditSeq(name); ok && seq%auditTrimEvery(keep) == 0 {
		if err := s.TrimAudit(ctx, keep); err != nil {
			s.sess.log.Warn("audit log: trim failed (next trim retries)", "err", err)
		}
	}
	return name, nil
}

func auditSeq(name string) (int64, bool) {
	if !strings.HasPrefix(name, auditPrefix) {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(name, auditPrefix), 10, 64)
	return n, err == nil
}

// auditNames lists the audit records' names, oldest first (nil when the log was never written).
func (s *Store) auditNames(ctx context.Context) ([]string, error) {
	names, err := s.List(ctx, AuditPath())
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if _, ok := auditSeq(n); ok { // zero-padded: sorted by name is sorted by sequence
			out = append(out, n)
		}
	}
	return out, nil
}

// TrimAudit deletes the oldest audit records beyond the newest keep, moving the chain's anchor
// to the newest record deleted (auditchain.go).
func (s *Store) TrimAudit(ctx context.Context, keep int) error {
	names, err := s.auditNames(ctx)
	if err != nil || len(names) <= keep {
		return err
	}
	return s.trimChained(ctx, names[:len(names)-keep])
}

// AuditFilter selects audit records.
type AuditFilter struct {
	// Since: only records at or after this time (zero: all).
	Since time.Time
	// Identity: only records of this identity name (empty: all).
	Identity string
	// Ring: only records naming this ring (empty: all).
	Ring string
	// Limit: at most this many (<= 0: 100).
	Limit int
	// Before: only records older than this record name (a page token; empty: from the newest).
	Before string
}

// AuditEntry is one audit record and its name.
type AuditEntry struct {
	Name   string
	Record *statev1.AuditRecord
}

// auditClockSkew: records are in sequence order, and two daemons' clocks may disagree by this
// much; a scan for Since stops only at a record this much older.
const auditClockSkew = time.Minute

// ListAudit reads audit records newest first and returns the name to pass as Before for the next
// page ("" when there is none).
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, string, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Before != "" {
		if _, ok := auditSeq(f.Before); !ok {
			return nil, "", &PathError{Op: "list", Path: s.sess.root + AuditPath(), Kind: ErrInvalid,
				Err: errors.New("page token " + strconv.Quote(f.Before) + " is not an audit record name")}
		}
	}
	names, err := s.auditNames(ctx)
	if err != nil {
		return nil, "", err
	}
	var out []AuditEntry
	for i := len(names) - 1; i >= 0; i-- {
		n := names[i]
		if f.Before != "" && n >= f.Before {
			continue
		}
		rec := &statev1.AuditRecord{}
		if _, err := s.Get(ctx, AuditPath()+"/"+n, rec); err != nil {
			if errors.Is(err, ErrNotFound) { // trimmed meanwhile
				continue
			}
			return nil, "", err
		}
		ev := rec.GetEvent()
		if !f.Since.IsZero() && ev.GetTime() != nil {
			t := ev.GetTime().AsTime()
			if t.Before(f.Since.Add(-auditClockSkew)) {
				break
			}
			if t.Before(f.Since) {
				continue
			}
		}
		if (f.Identity != "" && ev.GetIdentity() != f.Identity) || (f.Ring != "" && ev.GetRing() != f.Ring) {
			continue
		}
		if len(out) == f.Limit {
			return out, out[len(out)-1].Name, nil
		}
		out = append(out, AuditEntry{Name: n, Record: rec})
	}
	return out, "", nil
}
