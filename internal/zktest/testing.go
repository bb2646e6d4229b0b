package zktest

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// DefaultSessionTimeout is the session timeout Connect asks for.
const DefaultSessionTimeout = 4 * time.Second

// Start runs a standalone server for the test in a directory under t.TempDir(); it is killed when
// the test ends. When the test failed, the tail of the server's log is logged. Start fails the
// test (never skips it) when ZooKeeper is not installed, naming `make deps`.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartConfig(t, Config{})
}

// StartConfig is Start with a configuration; an empty cfg.Dir becomes a directory under
// t.TempDir().
func StartConfig(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	srv, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("zktest: tail of ZooKeeper log %s:\n%s", srv.LogPath(), srv.LogTail(60))
		}
		_ = srv.Close()
	})
	return srv
}

// StartEnsemble runs an ensemble of n servers (odd, at least 3) for the test; every member is
// killed when the test ends.
func StartEnsemble(t testing.TB, n int) *Ensemble {
	t.Helper()
	e, err := RunEnsemble(n, Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, m := range e.Members {
				t.Logf("zktest: tail of member %d's log:\n%s", m.ID, m.LogTail(20))
			}
		}
		_ = e.Close()
	})
	return e
}

var shared struct {
	sync.Mutex
	inMain bool
	srv    *Server
	err    error
}

// Main runs a test binary's tests (call it from TestMain) and afterwards stops the server that
// Shared started, if any. It does not start a server itself: packages pay for the JVM only when
// a test asks for it.
func Main(m *testing.M) {
	shared.Lock()
	shared.inMain = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	if shared.srv != nil {
		_ = shared.srv.Close()
	}
	shared.Unlock()
	os.Exit(code)
}

// Shared returns the server shared by every test of the binary, starting it on first use. The
// package must call Main from TestMain. Tests sharing it must keep to their own znodes (for
// example under a unique root) and must not stop it; use Start for tests that stop or restart
// their server.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if !shared.inMain {
		t.Fatal("zktest.Shared needs `func TestMain(m *testing.M) { zktest.Main(m) }` in the package")
	}
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = Run(Config{})
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.srv
}

// Connect opens a client session to servers through Dialer (so ExpireSession works on it), waits
// until the session is established, and closes it when the test ends.
func Connect(t testing.TB, servers []string) *zk.Conn {
	t.Helper()
	conn, _, err := zk.Connect(servers, DefaultSessionTimeout, zk.WithDialer(Dialer), zk.WithLogger(NopLogger{}))
	if err != nil {
		t.Fatalf("zktest: connect to %v: %v", servers, err)
	}
	t.Cleanup(conn.Close)
	WaitFor(t, 20*time.Second, func() bool { return conn.State() == zk.StateHasSession },
		"session with %v", servers)
	return conn
}

// ExpireSession ends conn's session on purpose and waits until conn has noticed (it then holds a
// new session). The connection must have been opened through Dialer (Connect does).
func ExpireSession(t testing.TB, conn *zk.Conn) {
	t.Helper()
	old := conn.SessionID()
	if old == 0 {
		t.Fatal("zktest: ExpireSession: the connection has no session")
	}
	if err := CloseSession(conn.Server(), old); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 20*time.Second, func() bool {
		id := conn.SessionID()
		return id != 0 && id != old && conn.State() == zk.StateHasSession
	}, "the client to notice that session 0x%x expired", old)
}

// WaitFor polls cond every 10 ms until it holds, failing the test after timeout with a message
// built from what.
func WaitFor(t testing.TB, timeout time.Duration, cond func() bool, what string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("zktest: timed out after %v waiting for %s", timeout, fmt.Sprintf(what, args...))
		}
		<-tick.C
	}
}

// NopLogger is a zk.Logger that drops the client's messages (zk.WithLogger(zktest.NopLogger{})).
type NopLogger struct{}

// Printf discards its arguments.
func (NopLogger) Printf(string, ...any) {}
