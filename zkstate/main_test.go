package zkstate

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/zktest"
)

// One ZooKeeper server serves the package's tests; each test works under its own framework root.
func TestMain(m *testing.M) { zktest.Main(m) }

var frameworkSeq atomic.Int64

type storeOpts struct {
	framework   string
	chroot      string
	credentials string
	servers     []string
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// uniqueFramework is a framework name no other test uses.
func uniqueFramework(t testing.TB) string {
	name := strings.NewReplacer("/", "-", "#", "-").Replace(t.Name())
	return fmt.Sprintf("%s-%d", name, frameworkSeq.Add(1))
}

// openStore opens a store on the shared server (or o.servers) and closes it at the end.
func openStore(t testing.TB, o storeOpts) *Store {
	t.Helper()
	if o.servers == nil {
		o.servers = zktest.Shared(t).Servers()
	}
	if o.framework == "" {
		o.framework = uniqueFramework(t)
	}
	s, err := Open(testCtx(t), Config{
		Servers:        o.servers,
		Chroot:         o.chroot,
		Framework:      o.framework,
		SessionTimeout: zktest.DefaultSessionTimeout,
		Credentials:    o.credentials,
		Logger:         slog.New(slog.DiscardHandler),
		Dialer:         zktest.Dialer,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// recv waits for a value on ch, failing the test after timeout.
func recv(t testing.TB, ch <-chan struct{}, timeout time.Duration, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
	case <-time.After(timeout):
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// drain empties a coalescing notification channel.
func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}
