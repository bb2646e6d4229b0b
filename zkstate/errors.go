package zkstate

import (
	"errors"
	"fmt"
)

// Errors returned by the store, usable with errors.Is. Each comes wrapped in a *PathError naming
// the znode.
var (
	// ErrNotFound: the record (or, for a create, its parent) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the znode version did not match (someone else wrote first), or a create found
	// the record already there. Re-read and retry.
	ErrConflict = errors.New("version conflict")
	// ErrNotLeader: the write was fenced and the writer is no longer the leader (its election
	// znode is gone); nothing was written.
	ErrNotLeader = errors.New("not the leader")
	// ErrCorrupt: the znode does not hold a valid record of the expected kind. It is left as it is.
	ErrCorrupt = errors.New("corrupt record")
	// ErrUnknownSchema: the record was written with a newer schema than this program knows (a
	// higher schema version, or fields it does not know). It is left as it is.
	ErrUnknownSchema = errors.New("unknown record schema")
	// ErrNoAuth: ZooKeeper's ACL refused the request (missing or wrong credentials).
	ErrNoAuth = errors.New("not authorised by the znode's ACL")
	// ErrUnprotected: a znode of the framework's tree does not carry the store's digest ACL (it
	// was created without credentials, or others may read it); Store.Protect fixes it.
	ErrUnprotected = errors.New("not protected by the framework's digest ACL")
	// ErrNotEmpty: a delete found children under the record (a ring's nodes, for example).
	ErrNotEmpty = errors.New("has children")
	// ErrNoLeader: no daemon holds leadership right now.
	ErrNoLeader = errors.New("no leader")
	// ErrUnavailable: ZooKeeper could not be reached, or the session or connection ended while
	// the request was in flight. A write that failed this way may or may not have been applied:
	// re-read before retrying.
	ErrUnavailable = errors.New("ZooKeeper unavailable")
	// ErrInDoubt: a transaction too large for one multi-op was (or may have been) committed to
	// its journal but not completely applied. It is not lost: RecoverJournals, which every load
	// runs first, completes it. The writer must stop writing and reload.
	ErrInDoubt = errors.New("transaction committed but not applied")
	// ErrTooLarge: the encoded record exceeds what a znode may hold.
	ErrTooLarge = errors.New("record too large")
	// ErrInvalid: a name, path or argument is not acceptable (no request was sent).
	ErrInvalid = errors.New("invalid argument")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
)

// PathError is an error about one znode.
type PathError struct {
	Op   string // "get", "create", "update", "delete", "list", "watch", "campaign", ...
	Path string // the absolute znode path
	Kind error  // one of the ErrXxx values
	Err  error  // the cause, if any (a ZooKeeper or decoding error)
}

func (e *PathError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("zkstate: %s %s: %v: %v", e.Op, e.Path, e.Kind, e.Err)
	}
	return fmt.Sprintf("zkstate: %s %s: %v", e.Op, e.Path, e.Kind)
}

// Unwrap returns the kind and the cause, so errors.Is matches both.
func (e *PathError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
