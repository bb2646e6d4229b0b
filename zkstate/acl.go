package zkstate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"
)

// Protected reports whether the store authenticates with digest credentials, so that the znodes
// it creates are readable by that identity only.
func (s *Store) Protected() bool { return s.sess.user != "" }

// CheckProtected verifies that the framework root and its fixed children (/leader, /rings,
// /operations, /schedules, /journal, and /framework_id and /leader_epoch when they exist) carry
// the store's ACL: every permission for its digest identity and nothing for anyone
// unauthenticated (no world or ip entry). A tree created by a daemon without credentials, or
// re-ACLed by hand to be world-readable, fails with ErrUnprotected naming the first such znode
// and its ACL; a tree owned by other credentials fails with ErrNoAuth or ErrUnprotected. A store
// without credentials fails with ErrUnprotected. Store.Protect repairs the first case.
func (s *Store) CheckProtected(ctx context.Context) error {
	root := s.sess.root
	if !s.Protected() {
		return &PathError{Op: "check acl", Path: root, Kind: ErrUnprotected, Err: errors.New("no ZooKeeper credentials configured")}
	}
	paths := []string{root}
	for _, l := range append(layoutPaths(), FrameworkIDPath(), LeaderEpochPath()) {
		paths = append(paths, root+l)
	}
	for _, p := range paths {
		acl, err := call(ctx, func() ([]zk.ACL, error) {
			acl, _, err := s.sess.conn.GetACL(p)
			return acl, err
		})
		if errors.Is(err, zk.ErrNoNode) {
			continue // created with the right ACL when first written
		}
		if err != nil {
			return s.mapErr("check acl", p, err)
		}
		if why := s.aclProblem(acl); why != "" {
			return &PathError{Op: "check acl", Path: p, Kind: ErrUnprotected, Err: fmt.Errorf("ACL %s: %s", FormatACL(acl), why)}
		}
	}
	return nil
}

// aclProblem says what is wrong with acl for a znode of this store ("" when nothing is).
func (s *Store) aclProblem(acl []zk.ACL) string {
	want := s.sess.acl[0] // digest:<user>:<hash>, all permissions
	mine := false
	for _, a := range acl {
		switch {
		case a.Scheme == "world" || a.Scheme == "ip":
			if a.Perms != 0 {
				return fmt.Sprintf("%s:%s may access it without credentials", a.Scheme, a.ID)
			}
		case a.Scheme == want.Scheme && a.ID == want.ID:
			mine = a.Perms == zk.PermAll
		}
	}
	if !mine {
		return fmt.Sprintf("digest user %q lacks all permissions (the tree was made with other credentials?)", s.sess.user)
	}
	return ""
}

// FormatACL renders an ACL as zkCli.sh does: "scheme:id:perms" entries separated by commas.
func FormatACL(acl []zk.ACL) string {
	parts := make([]string, 0, len(acl))
	for _, a := range acl {
		perms := ""
		for _, p := range []struct {
			bit int32
			c   string
		}{{zk.PermCreate, "c"}, {zk.PermDelete, "d"}, {zk.PermRead, "r"}, {zk.PermWrite, "w"}, {zk.PermAdmin, "a"}} {
			if a.Perms&p.bit != 0 {
				perms += p.c
			}
		}
		parts = append(parts, a.Scheme+":"+a.ID+":"+perms)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// protectConcurrency bounds the ACL changes Protect keeps in flight.
const protectConcurrency = 32

// Protect sets the store's ACL (every permission for its digest identity, nothing for anyone
// else) on the framework root and every znode under it, ephemeral ones included, and returns
// how many znodes it set. It is for a tree created without credentials (or by hand): the
// store's session must be allowed to change each znode's ACL (ADMIN permission: world:anyone
// has it on a tree made without credentials). The shared ancestors (the chroot, /cassmesos) are
// left as they are: they hold no data and may belong to other frameworks. Run it with the
// daemons stopped: a daemon without the credentials can no longer read the tree afterwards.
// Znodes deleted while it walks are skipped; a failure stops the walk with an error naming the
// znode (running it again is harmless).
func (s *Store) Protect(ctx context.Context) (int, error) {
	if !s.Protected() {
		return 0, &PathError{Op: "protect", Path: s.sess.root, Kind: ErrInvalid, Err: errors.New("no ZooKeeper credentials configured")}
	}
	var (
		mu    sync.Mutex
		count int
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, protectConcurrency)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
	}
	var visit func(p string)
	visit = func(p string) {
		defer wg.Done()
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			fail(&PathError{Op: "protect", Path: p, Kind: ctxKind(ctx.Err()), Err: ctx.Err()})
			return
		}
		// Parent first: once set, nobody without the credentials reads below it.
		_, err := s.sess.conn.SetACL(p, s.sess.acl, -1)
		var kids []string
		if err == nil {
			kids, _, err = s.sess.conn.Children(p)
		}
		<-sem
		if errors.Is(err, zk.ErrNoNode) {
			return
		}
		if err != nil {
			fail(s.mapErr("protect", p, err))
			return
		}
		mu.Lock()
		count++
		stop := first != nil
		mu.Unlock()
		if stop {
			return
		}
		for _, k := range kids {
			wg.Add(1)
			go visit(p + "/" + k)
		}
	}
	wg.Add(1)
	visit(s.sess.root)
	wg.Wait()
	return count, first
}
