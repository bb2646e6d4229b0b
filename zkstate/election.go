package zkstate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// Leader election. Each candidate creates an ephemeral sequential znode /leader/member-<seq>
// holding its gRPC address; the lowest sequence number leads. A candidate that is not the leader
// watches only the member just before it (no herd effect when the leader goes). Leadership ends
// when the session expires or the member znode is deleted; the leader's writes are fenced by that
// znode, so a deposed leader cannot write even before it notices.
//
// Each new leadership also raises the leader epoch, a counter in the persistent znode
// /leader_epoch, by one, in a transaction fenced by the new leader's member znode (see bumpEpoch).
// The epoch is strictly increasing over successive leaderships and survives ZooKeeper restarts (it
// is an ordinary persistent znode); the daemon sends it with everything that has side effects
// outside ZooKeeper, so that those who receive it can refuse a deposed leader.

// Leadership is held by the daemon that won Campaign.
type Leadership struct {
	base    *Store
	member  string // absolute path of the election znode
	version int32
	session int64
	epoch   uint64
	fenced  *Store
	done    chan struct{}
	stop    chan struct{} // closed by Resign
	once    sync.Once
	mu      sync.Mutex
	err     error
}

// Campaign enters the election with addr (the daemon's gRPC address, which standbys read with
// LeaderAddress) and blocks until this store's session leads, or ctx ends (then its member znode
// is deleted). If the session expires while campaigning, it enters again with a new member znode.
// A member znode of this session with the same address left over from an earlier attempt (a
// create whose reply was lost) is adopted rather than duplicated. Run one campaign per store at a
// time; the unfenced store campaigns, and the returned Leadership's Store writes.
func (s *Store) Campaign(ctx context.Context, addr string) (*Leadership, error) {
	if addr == "" {
		return nil, &PathError{Op: "campaign", Path: s.sess.root + LeaderPath(), Kind: ErrInvalid, Err: errors.New("empty address")}
	}
	if s.fence != nil {
		return nil, &PathError{Op: "campaign", Path: s.sess.root + LeaderPath(), Kind: ErrInvalid, Err: errors.New("campaign with the unfenced store")}
	}
	dir := s.sess.root + LeaderPath()
	backoff := retryBackoff{}
	for {
		l, err := s.campaignOnce(ctx, dir, addr)
		if err == nil {
			return l, nil
		}
		if ctx.Err() != nil {
			return nil, &PathError{Op: "campaign", Path: dir, Kind: ctxKind(ctx.Err()), Err: ctx.Err()}
		}
		if s.sess.isClosed() {
			return nil, &PathError{Op: "campaign", Path: dir, Kind: ErrClosed}
		}
		if errors.Is(err, ErrNoAuth) || errors.Is(err, ErrInvalid) {
			return nil, err
		}
		s.sess.log.Info("campaign interrupted; entering again", "err", err)
		if err := backoff.wait(ctx, s.sess.closed); err != nil {
			return nil, &PathError{Op: "campaign", Path: dir, Kind: ctxKind(err), Err: err}
		}
	}
}

// campaignOnce enters the election with a member znode (a leftover one of this session, or a new
// one) and waits for it to lead. When it gives up (session expiry, a failed request, ctx) it
// deletes its member znode if it can; the next attempt adopts it otherwise.
func (s *Store) campaignOnce(ctx context.Context, dir, addr string) (*Leadership, error) {
	conn := s.sess.conn
	expired := s.sess.expiry()
	member, err := s.findOwnMember(dir, addr, conn.SessionID())
	if err != nil {
		return nil, s.mapErr("campaign", dir, err)
	}
	if member == "" {
		member, err = call(ctx, func() (string, error) {
			return conn.Create(dir+"/"+MemberPrefix, []byte(addr), zk.FlagEphemeral|zk.FlagSequence, s.sess.acl)
		})
		if err != nil {
			// The create may have been applied without its reply reaching us; the next attempt
			// (or Close) takes care of such a leftover.
			return nil, s.mapErr("campaign", dir, err)
		}
	}
	ok, stat, err := conn.Exists(member)
	switch {
	case err != nil:
		return nil, s.mapErr("campaign", member, err)
	case !ok:
		return nil, &PathError{Op: "campaign", Path: member, Kind: ErrNotLeader, Err: errors.New("member znode disappeared")}
	case stat.EphemeralOwner != conn.SessionID():
		// Created on a session that has since been replaced: drop it and start over.
		s.withdraw(member)
		return nil, &PathError{Op: "campaign", Path: member, Kind: ErrNotLeader, Err: errors.New("member znode belongs to an older session")}
	}
	session, version := stat.EphemeralOwner, stat.Version
	giveUp := func(err error) (*Leadership, error) {
		s.withdraw(member)
		return nil, err
	}
	for {
		names, _, err := conn.Children(dir)
		if err != nil {
			return giveUp(s.mapErr("campaign", dir, err))
		}
		members := sortMembers(names)
		me := slices.Index(members, path2name(member))
		if me < 0 {
			// Our member znode is gone: the session expired (or someone deleted it).
			return nil, &PathError{Op: "campaign", Path: member, Kind: ErrNotLeader, Err: errors.New("member znode disappeared")}
		}
		if me == 0 {
			select {
			case <-expired:
				return giveUp(&PathError{Op: "campaign", Path: member, Kind: ErrNotLeader, Err: zk.ErrSessionExpired})
			default:
			}
			epoch, err := s.bumpEpoch(ctx, member, version)
			if err != nil {
				return giveUp(err)
			}
			return s.newLeadership(member, version, session, epoch, expired), nil
		}
		pred := dir + "/" + members[me-1]
		ok, _, events, err := conn.ExistsW(pred)
		if err != nil {
			return giveUp(s.mapErr("campaign", pred, err))
		}
		if !ok {
			continue
		}
		s.sess.log.Info("standing by", "member", member, "watching", pred)
		select {
		case <-events:
		case <-expired:
			return giveUp(&PathError{Op: "campaign", Path: member, Kind: ErrNotLeader, Err: zk.ErrSessionExpired})
		case <-ctx.Done():
			return giveUp(ctx.Err())
		case <-s.sess.closed:
			return nil, ErrClosed
		}
	}
}

// findOwnMember looks for a member znode this session created with addr.
func (s *Store) findOwnMember(dir, addr string, session int64) (string, error) {
	names, _, err := s.sess.conn.Children(dir)
	if err != nil {
		return "", err
	}
	for _, n := range sortMembers(names) {
		data, stat, err := s.sess.conn.Get(dir + "/" + n)
		if err == nil && stat.EphemeralOwner == session && string(data) == addr {
			return dir + "/" + n, nil
		}
	}
	return "", nil
}

// withdraw deletes a member znode, best effort (it is ephemeral: it goes with the session anyway).
func (s *Store) withdraw(member string) {
	if err := s.sess.conn.Delete(member, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		s.sess.log.Warn("could not withdraw election member; it goes when the session ends", "member", member, "err", err)
	}
}

// bumpEpoch raises the leader epoch at /leader_epoch by one (creating it at 1) in a multi-op that
// also checks member's version, so only the holder of the lowest member znode can raise it, and
// that compares /leader_epoch's own version, so two raises never both apply. It returns the new
// epoch. A lost reply is retried with a fresh read: a raise applied without its reply skips a
// number, which keeps the epoch strictly increasing.
func (s *Store) bumpEpoch(ctx context.Context, member string, version int32) (uint64, error) {
	p := s.sess.root + LeaderEpochPath()
	conn := s.sess.conn
	type got struct {
		data []byte
		stat *zk.Stat
	}
	for {
		g, err := call(ctx, func() (got, error) {
			data, stat, err := conn.Get(p)
			return got{data, stat}, err
		})
		check := &zk.CheckVersionRequest{Path: member, Version: version}
		var next uint64
		var ops []any
		switch {
		case errors.Is(err, zk.ErrNoNode):
			next = 1
			ops = []any{check, &zk.CreateRequest{Path: p, Data: []byte("1"), Acl: s.sess.acl}}
		case err != nil:
			return 0, s.mapErr("campaign", p, err)
		default:
			cur, perr := ParseEpoch(g.data)
			if perr != nil {
				return 0, &PathError{Op: "campaign", Path: p, Kind: ErrCorrupt, Err: perr}
			}
			if cur == math.MaxUint64 {
				return 0, &PathError{Op: "campaign", Path: p, Kind: ErrCorrupt, Err: errors.New("leader epoch at its maximum")}
			}
			next = cur + 1
			ops = []any{check, &zk.SetDataRequest{Path: p, Data: []byte(strconv.FormatUint(next, 10)), Version: g.stat.Version}}
		}
		res, err := call(ctx, func() ([]zk.MultiResponse, error) { return conn.Multi(ops...) })
		if err == nil {
			return next, nil
		}
		if len(res) == len(ops) && res[0].Error != nil {
			return 0, &PathError{Op: "campaign", Path: member, Kind: ErrNotLeader, Err: fmt.Errorf("raising the leader epoch: %w", res[0].Error)}
		}
		if len(res) == len(ops) && (errors.Is(res[1].Error, zk.ErrBadVersion) || errors.Is(res[1].Error, zk.ErrNodeExists)) {
			continue // raised by someone else in between (an operator): read again
		}
		return 0, s.mapErr("campaign", p, err)
	}
}

// ParseEpoch reads the data of /leader_epoch: a decimal number above zero.
func ParseEpoch(data []byte) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("leader epoch %q is not a decimal number above zero", data)
	}
	return n, nil
}

func (s *Store) newLeadership(member string, version int32, session int64, epoch uint64, expired <-chan struct{}) *Leadership {
	l := &Leadership{
		base: s, member: member, version: version, session: session, epoch: epoch,
		done: make(chan struct{}), stop: make(chan struct{}),
	}
	l.fenced = &Store{sess: s.sess, fence: &fence{path: member, version: version, lost: l.done}}
	s.sess.log.Info("leadership acquired", "member", member, "epoch", epoch)
	go l.monitor(expired)
	return l
}

// monitor ends the leadership when the session expires or the member znode goes.
func (l *Leadership) monitor(expired <-chan struct{}) {
	conn := l.base.sess.conn
	backoff := retryBackoff{}
	for {
		ok, stat, events, err := conn.ExistsW(l.member)
		switch {
		case err == nil && (!ok || stat.EphemeralOwner != l.session):
			l.lose(fmt.Errorf("election znode %s was deleted", l.member))
			return
		case err != nil:
			select {
			case <-expired:
				l.lose(fmt.Errorf("ZooKeeper session expired"))
				return
			default:
			}
			if l.base.sess.isClosed() {
				l.lose(ErrClosed)
				return
			}
			if backoff.wait(context.Background(), l.stop) != nil || isClosed(l.stop) {
				return
			}
			continue
		}
		backoff = retryBackoff{}
		select {
		case ev := <-events:
			if ev.Type == zk.EventNodeDeleted {
				l.lose(fmt.Errorf("election znode %s was deleted", l.member))
				return
			}
			if ev.Type == zk.EventNotWatching {
				if errors.Is(ev.Err, zk.ErrClosing) {
					l.lose(ErrClosed)
				} else {
					l.lose(fmt.Errorf("ZooKeeper session expired"))
				}
				return
			}
		case <-expired:
			l.lose(fmt.Errorf("ZooKeeper session expired"))
			return
		case <-l.base.sess.closed:
			l.lose(ErrClosed)
			return
		case <-l.stop:
			return
		}
	}
}

func (l *Leadership) lose(cause error) {
	l.once.Do(func() {
		l.mu.Lock()
		l.err = &PathError{Op: "lead", Path: l.member, Kind: ErrNotLeader, Err: cause}
		l.mu.Unlock()
		close(l.done)
		l.base.sess.log.Warn("leadership lost", "member", l.member, "cause", cause)
		// If the session still holds the znode (say it was lost to a local error), let go of it,
		// or nobody else could lead until the session ends.
		if !l.base.sess.isClosed() {
			go l.base.withdrawIfOwned(l.member, l.session)
		}
	})
}

func (s *Store) withdrawIfOwned(member string, session int64) {
	if ok, stat, err := s.sess.conn.Exists(member); err == nil && ok && stat.EphemeralOwner == session {
		s.withdraw(member)
	}
}

// Done is closed when leadership is lost: session expiry, the election znode deleted, Resign, or
// the store closed. The daemon must stop acting as leader then; its fenced writes already fail
// with ErrNotLeader.
func (l *Leadership) Done() <-chan struct{} { return l.done }

// Err is nil while leading; afterwards an error wrapping ErrNotLeader that says why.
func (l *Leadership) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Store is the fenced store: every write is a multi-op that also checks this leadership's
// election znode, so it fails with ErrNotLeader, writing nothing, once leadership is gone.
func (l *Leadership) Store() *Store { return l.fenced }

// Epoch is this leadership's leader epoch: above zero, and above the epoch of every earlier
// leadership of the framework (it never changes while leading).
func (l *Leadership) Epoch() uint64 { return l.epoch }

// Member is the absolute path of the election znode.
func (l *Leadership) Member() string { return l.member }

// Resign gives leadership up: it deletes the election znode (so a standby takes over at once)
// and closes Done.
func (l *Leadership) Resign(ctx context.Context) error {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.lose(errors.New("resigned"))
	_, err := call(ctx, func() (struct{}, error) {
		return struct{}{}, l.base.sess.conn.Delete(l.member, l.version)
	})
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return l.base.mapErr("resign", l.member, err)
	}
	return nil
}

// LeaderAddress returns the gRPC address of the current leader (the lowest member), or
// ErrNoLeader.
func (s *Store) LeaderAddress(ctx context.Context) (string, error) {
	dir := s.sess.root + LeaderPath()
	for range 5 { // the lowest member may go between listing and reading it
		names, err := call(ctx, func() ([]string, error) {
			names, _, err := s.sess.conn.Children(dir)
			return names, err
		})
		if err != nil {
			return "", s.mapErr("leader", dir, err)
		}
		members := sortMembers(names)
		if len(members) == 0 {
			return "", &PathError{Op: "leader", Path: dir, Kind: ErrNoLeader}
		}
		p := dir + "/" + members[0]
		data, err := call(ctx, func() ([]byte, error) {
			data, _, err := s.sess.conn.Get(p)
			return data, err
		})
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return "", s.mapErr("leader", p, err)
		}
		if len(data) == 0 {
			return "", &PathError{Op: "leader", Path: p, Kind: ErrCorrupt, Err: errors.New("no address")}
		}
		return string(data), nil
	}
	return "", &PathError{Op: "leader", Path: dir, Kind: ErrNoLeader, Err: errors.New("leaders kept changing")}
}

// sortMembers keeps the election znode names and orders them by sequence number.
func sortMembers(names []string) []string {
	var ms []string
	for _, n := range names {
		if _, ok := memberSeq(n); ok {
			ms = append(ms, n)
		}
	}
	slices.SortFunc(ms, func(a, b string) int {
		x, _ := memberSeq(a)
		y, _ := memberSeq(b)
		return cmp.Compare(x, y)
	})
	return ms
}

func path2name(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// retryBackoff waits 50 ms, doubling up to 2 s.
type retryBackoff struct{ d time.Duration }

func (b *retryBackoff) wait(ctx context.Context, stop <-chan struct{}) error {
	b.d = min(max(2*b.d, 50*time.Millisecond), 2*time.Second)
	t := time.NewTimer(b.d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return ErrClosed
	}
}
