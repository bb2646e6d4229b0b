package zkstate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/proto"
)

// DefaultSessionTimeout is the session timeout a Store asks for unless Config says otherwise.
const DefaultSessionTimeout = 10 * time.Second

// Config says where the store lives and how to reach it.
type Config struct {
	// Servers are ZooKeeper's client addresses ("host:port"); see ParseConnectString.
	Servers []string
	// Chroot, optional, is a path under which everything lives ("/prod"); the root is then
	// <chroot>/cassmesos/<framework>.
	Chroot string
	// Framework is the framework's name, the last component of the root. Required.
	Framework string
	// SessionTimeout is the session timeout asked for (the server may clamp it).
	// Zero: DefaultSessionTimeout.
	SessionTimeout time.Duration
	// Credentials, "user:password", turn on digest authentication: the session authenticates with
	// them and every znode the store creates gets an ACL that lets only that user in. Empty: no
	// authentication, and znodes are open to everyone (world:anyone, all permissions).
	Credentials string
	// Logger receives session events. Nil: slog.Default().
	Logger *slog.Logger
	// Dialer opens connections to the servers. Nil: net.DialTimeout. (Tests pass zktest.Dialer.)
	Dialer zk.Dialer
}

// Version is a znode's data version, which compare-and-set writes check.
type Version int32

const (
	// Absent, as the expected version of Put, means the record must not exist yet: Put creates it.
	Absent Version = -2
	// AnyVersion skips the version comparison. The daemon never uses it; repair tools may.
	AnyVersion Version = -1
)

// Store reads and writes records under one framework root. A Store from Open is unfenced; the
// Store of a Leadership fences every write with the leader's election znode. Both share one
// ZooKeeper session. Methods are safe for concurrent use.
type Store struct {
	sess  *session
	fence *fence // nil: unfenced
}

// fence makes writes conditional on the writer's election znode still being there.
type fence struct {
	path    string // absolute path of the election znode
	version int32  // its data version, which never changes (it is written once)
	lost    <-chan struct{}
}

// session is the ZooKeeper connection shared by a Store and its fenced views.
type session struct {
	conn    *zk.Conn
	root    string
	acl     []zk.ACL
	user    string // the digest user of Config.Credentials; empty without credentials
	log     *slog.Logger
	mu      sync.Mutex
	expired chan struct{} // closed when the current session expires, then replaced
	closed  chan struct{}
	once    sync.Once

	txnBudget int                     // 0: TxnBudget (tests lower it)
	failpoint func(name string) error // nil: none (tests set it; see Store.failpoint)
}

func (s *session) onEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	switch ev.State {
	case zk.StateExpired:
		s.mu.Lock()
		close(s.expired)
		s.expired = make(chan struct{})
		s.mu.Unlock()
		s.log.Warn("ZooKeeper session expired: ephemeral znodes and leadership are lost; a new session follows", "server", ev.Server)
	case zk.StateDisconnected:
		s.log.Info("disconnected from ZooKeeper; reconnecting within the session", "server", ev.Server)
	case zk.StateHasSession:
		s.log.Debug("ZooKeeper session established", "server", ev.Server)
	}
}

// expiry returns a channel closed when the current session expires.
func (s *session) expiry() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expired
}

func (s *session) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

type zkLogger struct{ log *slog.Logger }

func (l zkLogger) Printf(format string, args ...any) {
	l.log.Debug("zk client: " + fmt.Sprintf(format, args...))
}

// Open connects to ZooKeeper, waits for a session (until ctx ends), authenticates if
// credentials are configured, and creates the root and its fixed children (/leader, /rings,
// /operations, /schedules) when they are missing.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("zkstate: %w: no ZooKeeper servers configured", ErrInvalid)
	}
	root, err := RootPath(cfg.Chroot, cfg.Framework)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("zk_root", root)
	acl, ancestorACL := zk.WorldACL(zk.PermAll), zk.WorldACL(zk.PermAll)
	user := ""
	if cfg.Credentials != "" {
		var pass string
		var ok bool
		user, pass, ok = strings.Cut(cfg.Credentials, ":")
		if !ok || user == "" || pass == "" {
			return nil, fmt.Errorf("zkstate: %w: credentials must be \"user:password\"", ErrInvalid)
		}
		acl = zk.DigestACL(zk.PermAll, user, pass)
		// Shared ancestors (the chroot, /cassmesos) stay listable and open to other frameworks'
		// roots; only this user may delete or change them.
		ancestorACL = append(zk.WorldACL(zk.PermRead|zk.PermCreate), acl...)
	}
	timeout := cfg.SessionTimeout
	if timeout <= 0 {
		timeout = DefaultSessionTimeout
	}
	dialer := cfg.Dialer
	if dialer == nil {
		dialer = net.DialTimeout
	}
	dialer = capHandshake(dialer, timeout)
	sess := &session{root: root, acl: acl, user: user, log: log, expired: make(chan struct{}), closed: make(chan struct{})}
	conn, _, err := zk.Connect(cfg.Servers, timeout,
		zk.WithDialer(dialer), zk.WithLogger(zkLogger{log}), zk.WithLogInfo(false), zk.WithEventCallback(sess.onEvent))
	if err != nil {
		return nil, fmt.Errorf("zkstate: connect to %v: %w: %v", cfg.Servers, ErrUnavailable, err)
	}
	sess.conn = conn
	st := &Store{sess: sess}
	if err := waitSession(ctx, conn); err != nil {
		st.Close()
		return nil, fmt.Errorf("zkstate: connect to %v: %w: %v", cfg.Servers, ErrUnavailable, err)
	}
	if cfg.Credentials != "" {
		if err := conn.AddAuth("digest", []byte(cfg.Credentials)); err != nil {
			st.Close()
			return nil, fmt.Errorf("zkstate: authenticate: %w: %v", ErrNoAuth, err)
		}
	}
	if err := st.ensureLayout(ctx, cfg.Chroot, ancestorACL); err != nil {
		st.Close()
		return nil, err
	}
	log.Debug("zkstate opened", "session", fmt.Sprintf("0x%x", conn.SessionID()))
	return st, nil
}

// capHandshake shortens the connect handshake's deadline. The client waits for the server's
// connect response for about 6.7 session timeouts; a ZooKeeper 3.8 server that is still starting
// may accept a connection and then neither answer nor close it (it fails with an internal error
// while closing), so a client reconnecting to a restarted server could hang long enough to lose
// its session. Deadlines further out than 5 session timeouts (only the handshake's) are cut to a
// third of the session timeout; the client then tries again. Ordinary read deadlines (2/3 of the
// negotiated timeout) are left alone.
func capHandshake(dial zk.Dialer, sessionTimeout time.Duration) zk.Dialer {
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		c, err := dial(network, address, timeout)
		if err != nil {
			return nil, err
		}
		return &cappedConn{Conn: c, limit: 5 * sessionTimeout, cap: max(sessionTimeout/3, 500*time.Millisecond)}, nil
	}
}

type cappedConn struct {
	net.Conn
	limit, cap time.Duration
}

func (c *cappedConn) clamp(t time.Time) time.Time {
	if !t.IsZero() && time.Until(t) > c.limit {
		return time.Now().Add(c.cap)
	}
	return t
}

func (c *cappedConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.clamp(t)) }
func (c *cappedConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(t)) }

func waitSession(ctx context.Context, conn *zk.Conn) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for conn.State() != zk.StateHasSession {
		select {
		case <-ctx.Done():
			return fmt.Errorf("no session established: %w", ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// ensureLayout creates the chroot, /cassmesos, the root and the fixed collections if missing.
func (s *Store) ensureLayout(ctx context.Context, chroot string, ancestorACL []zk.ACL) error {
	var paths []string
	var acls [][]zk.ACL
	p := ""
	for _, c := range strings.Split(strings.Trim(chroot+TopNode, "/"), "/") {
		p += "/" + c
		paths, acls = append(paths, p), append(acls, ancestorACL)
	}
	paths, acls = append(paths, s.sess.root), append(acls, s.sess.acl)
	for _, l := range layoutPaths() {
		paths, acls = append(paths, s.sess.root+l), append(acls, s.sess.acl)
	}
	for i, p := range paths {
		ok, err := call(ctx, func() (bool, error) {
			ok, _, err := s.sess.conn.Exists(p)
			return ok, err
		})
		if err != nil {
			return s.mapErr("open", p, err)
		}
		if ok {
			continue
		}
		_, err = call(ctx, func() (string, error) { return s.sess.conn.Create(p, nil, 0, acls[i]) })
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return s.mapErr("open", p, err)
		}
	}
	return nil
}

// Close ends the session (its ephemeral znodes, hence any leadership, go with it). It closes the
// session for every view of the store.
func (s *Store) Close() {
	s.sess.once.Do(func() {
		close(s.sess.closed)
		if s.sess.conn != nil {
			s.sess.conn.Close()
		}
	})
}

// Root is the absolute path of the framework root.
func (s *Store) Root() string { return s.sess.root }

// Conn is the underlying ZooKeeper connection (for tests and diagnostics).
func (s *Store) Conn() *zk.Conn { return s.sess.conn }

// Fenced reports whether writes through this store are fenced by a leadership.
func (s *Store) Fenced() bool { return s.fence != nil }

// abs checks a root-relative path and returns its absolute form.
func (s *Store) abs(op, rel string) (string, error) {
	if err := checkPath(rel); err != nil || rel == "/" {
		if err == nil {
			err = fmt.Errorf("%w: the root itself holds no record", ErrInvalid)
		}
		return "", &PathError{Op: op, Path: s.sess.root + rel, Kind: ErrInvalid, Err: err}
	}
	return s.sess.root + rel, nil
}

// call runs a blocking ZooKeeper request and returns early (leaving it to finish on its own) when
// ctx ends first.
func call[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	if ctx.Done() == nil {
		return fn()
	}
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// mapErr translates a ZooKeeper (or context) error about abs into a *PathError.
func (s *Store) mapErr(op, abs string, err error) error {
	var kind error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		kind = ctxKind(err)
	case errors.Is(err, zk.ErrNoNode):
		kind = ErrNotFound
	case errors.Is(err, zk.ErrNodeExists), errors.Is(err, zk.ErrBadVersion):
		kind = ErrConflict
	case errors.Is(err, zk.ErrNotEmpty):
		kind = ErrNotEmpty
	case errors.Is(err, zk.ErrNoAuth), errors.Is(err, zk.ErrAuthFailed), errors.Is(err, zk.ErrInvalidACL):
		kind = ErrNoAuth
	case errors.Is(err, zk.ErrInvalidPath):
		kind = ErrInvalid
	case s.sess.isClosed():
		kind = ErrClosed
	default: // connection closed, no server, session expired or moved, closing, unknown
		kind = ErrUnavailable
	}
	return &PathError{Op: op, Path: abs, Kind: kind, Err: err}
}

func ctxKind(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return context.Canceled
}

// Get reads the record at rel into msg and returns its version. A znode that does not hold a
// valid record of msg's kind gives ErrCorrupt or ErrUnknownSchema (with its version, so a repair
// tool can overwrite it deliberately).
func (s *Store) Get(ctx context.Context, rel string, msg proto.Message) (Version, error) {
	abs, err := s.abs("get", rel)
	if err != nil {
		return 0, err
	}
	type got struct {
		data []byte
		stat *zk.Stat
	}
	g, err := call(ctx, func() (got, error) {
		data, stat, err := s.sess.conn.Get(abs)
		return got{data, stat}, err
	})
	if err != nil {
		return 0, s.mapErr("get", abs, err)
	}
	if err := decodeAt("get", abs, g.data, msg); err != nil {
		return Version(g.stat.Version), err
	}
	return Version(g.stat.Version), nil
}

func decodeAt(op, abs string, data []byte, msg proto.Message) error {
	err := Decode(data, msg)
	if err == nil {
		return nil
	}
	var de *decodeError
	if errors.As(err, &de) {
		return &PathError{Op: op, Path: abs, Kind: de.kind, Err: errors.New(de.detail)}
	}
	return &PathError{Op: op, Path: abs, Kind: ErrCorrupt, Err: err}
}

// Create writes a new record at rel; ErrConflict if it exists, ErrNotFound if its parent does
// not. A ring's "nodes" and an operation's "segments" znodes are created with it.
func (s *Store) Create(ctx context.Context, rel string, msg proto.Message) error {
	_, err := s.Put(ctx, rel, msg, Absent)
	return err
}

// Update replaces the record at rel if its version is still expected (compare-and-set) and
// returns the new version; ErrConflict if someone wrote in between, ErrNotFound if it is gone.
func (s *Store) Update(ctx context.Context, rel string, msg proto.Message, expected Version) (Version, error) {
	if expected == Absent {
		return 0, &PathError{Op: "update", Path: s.sess.root + rel, Kind: ErrInvalid, Err: errors.New("expected version Absent: use Create")}
	}
	return s.Put(ctx, rel, msg, expected)
}

// Put is Create when expected is Absent and Update otherwise; it returns the record's new version.
func (s *Store) Put(ctx context.Context, rel string, msg proto.Message, expected Version) (Version, error) {
	op := "update"
	if expected == Absent {
		op = "create"
	}
	abs, err := s.abs(op, rel)
	if err != nil {
		return 0, err
	}
	if expected < Absent {
		return 0, &PathError{Op: op, Path: abs, Kind: ErrInvalid, Err: fmt.Errorf("expected version %d", expected)}
	}
	data, err := Encode(msg)
	if err != nil {
		kind := ErrInvalid
		if errors.Is(err, ErrTooLarge) {
			kind = ErrTooLarge
		}
		return 0, &PathError{Op: op, Path: abs, Kind: kind, Err: err}
	}
	var ops []any
	if expected == Absent {
		ops = append(ops, &zk.CreateRequest{Path: abs, Data: data, Acl: s.sess.acl})
		for _, c := range collectionsOf(rel) {
			ops = append(ops, &zk.CreateRequest{Path: s.sess.root + c, Acl: s.sess.acl})
		}
	} else {
		ops = append(ops, &zk.SetDataRequest{Path: abs, Data: data, Version: int32(expected)})
	}
	res, err := s.multi(ctx, op, ops)
	if err != nil {
		return 0, err
	}
	if expected == Absent || len(res) == 0 || res[0].Stat == nil {
		return 0, nil
	}
	return Version(res[0].Stat.Version), nil
}

// Delete removes the record at rel if its version is still expected (ErrConflict otherwise),
// together with its empty "nodes" or "segments" znode (ErrNotEmpty if that has children).
func (s *Store) Delete(ctx context.Context, rel string, expected Version) error {
	abs, err := s.abs("delete", rel)
	if err != nil {
		return err
	}
	if expected < AnyVersion {
		return &PathError{Op: "delete", Path: abs, Kind: ErrInvalid, Err: fmt.Errorf("expected version %d", expected)}
	}
	var ops []any
	for _, c := range collectionsOf(rel) {
		ops = append(ops, &zk.DeleteRequest{Path: s.sess.root + c, Version: -1})
	}
	ops = append(ops, &zk.DeleteRequest{Path: abs, Version: int32(expected)})
	_, err = s.multi(ctx, "delete", ops)
	var pe *PathError
	if errors.As(err, &pe) && pe.Kind == ErrNotFound && pe.Path != abs && !strings.HasPrefix(abs, pe.Path+"/") {
		pe.Path = abs // a missing collection znode means the record is missing
	}
	return err
}

// List returns the names of rel's children, sorted.
func (s *Store) List(ctx context.Context, rel string) ([]string, error) {
	abs, err := s.abs("list", rel)
	if err != nil {
		return nil, err
	}
	names, err := call(ctx, func() ([]string, error) {
		names, _, err := s.sess.conn.Children(abs)
		return names, err
	})
	if err != nil {
		return nil, s.mapErr("list", abs, err)
	}
	slices.Sort(names)
	return names, nil
}

// Record is one record read by a list: its znode name, version and value.
type Record[M proto.Message] struct {
	Name    string
	Version Version
	Value   M
}

// listConcurrency bounds the reads a list keeps in flight (the client pipelines them).
const listConcurrency = 32

// ListRecords reads every child of rel as a record made by newMsg, sorted by name. Children that
// disappear while it reads are left out; one that is corrupt fails the whole list with an error
// naming it.
func ListRecords[M proto.Message](ctx context.Context, s *Store, rel string, newMsg func() M) ([]Record[M], error) {
	names, err := s.List(ctx, rel)
	if err != nil {
		return nil, err
	}
	abs := s.sess.root + rel
	out := make([]Record[M], len(names))
	found := make([]bool, len(names))
	errs := make([]error, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(listConcurrency, len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := abs + "/" + names[i]
				data, stat, err := s.sess.conn.Get(p)
				if errors.Is(err, zk.ErrNoNode) {
					continue
				}
				if err != nil {
					errs[i] = s.mapErr("list", p, err)
					continue
				}
				m := newMsg()
				if err := decodeAt("list", p, data, m); err != nil {
					errs[i] = err
					continue
				}
				out[i], found[i] = Record[M]{Name: names[i], Version: Version(stat.Version), Value: m}, true
			}
		}()
	}
feed:
	for i := range names {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, &PathError{Op: "list", Path: abs, Kind: ctxKind(err), Err: err}
	}
	for _, e := range errs {
		if e != nil {
			return nil, e // the first failure, in name order
		}
	}
	res := make([]Record[M], 0, len(names))
	for i := range out {
		if found[i] {
			res = append(res, out[i])
		}
	}
	return res, nil
}

// multi runs ops as one transaction, preceded by the fence check when the store is fenced, and
// maps a failure to the op that caused it.
func (s *Store) multi(ctx context.Context, op string, ops []any) ([]zk.MultiResponse, error) {
	target := opPath(ops[len(ops)-1])
	if s.sess.isClosed() {
		return nil, &PathError{Op: op, Path: target, Kind: ErrClosed}
	}
	all := ops
	if f := s.fence; f != nil {
		select {
		case <-f.lost:
			return nil, &PathError{Op: op, Path: target, Kind: ErrNotLeader, Err: fmt.Errorf("leadership (%s) was lost", f.path)}
		default:
		}
		all = append([]any{&zk.CheckVersionRequest{Path: f.path, Version: f.version}}, ops...)
	}
	res, err := call(ctx, func() ([]zk.MultiResponse, error) { return s.sess.conn.Multi(all...) })
	if err == nil {
		if s.fence != nil && len(res) > 0 {
			res = res[1:]
		}
		return res, nil
	}
	// The failing op carries its error; ops before it report success and ops after it a
	// "runtime inconsistency".
	failed, opErr := -1, error(nil)
	if len(res) == len(all) {
		for i, r := range res {
			if r.Error != nil {
				failed, opErr = i, r.Error
				break
			}
		}
	}
	if failed < 0 {
		return nil, s.mapErr(op, target, err)
	}
	if s.fence != nil {
		if failed == 0 {
			return nil, &PathError{Op: op, Path: target, Kind: ErrNotLeader,
				Err: fmt.Errorf("election znode %s: %w", s.fence.path, opErr)}
		}
		failed--
	}
	p := opPath(ops[failed])
	if _, isCreate := ops[failed].(*zk.CreateRequest); isCreate && errors.Is(opErr, zk.ErrNoNode) {
		return nil, &PathError{Op: op, Path: path.Dir(p), Kind: ErrNotFound, Err: fmt.Errorf("parent of %s does not exist", p)}
	}
	return nil, s.mapErr(op, p, opErr)
}

func opPath(op any) string {
	switch o := op.(type) {
	case *zk.CreateRequest:
		return o.Path
	case *zk.SetDataRequest:
		return o.Path
	case *zk.DeleteRequest:
		return o.Path
	case *zk.CheckVersionRequest:
		return o.Path
	}
	return ""
}
