package e2e

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/zktest"
)

// run is the state of this test binary's run.
var run struct {
	mu     sync.Mutex
	inMain bool
	id     string // marker value in every spawned process's environment
	binDir string
	zk     *zktest.Server
	zkErr  error
}

// markerEnv is set in the environment of every process the harness starts (and so inherited by
// the executors, stand-in nodes and nodetool runs below them): "<run id>/<world id>".
const markerEnv = "CASSMESOS_E2E_MARKER"

// Main runs the test binary's tests (call it from TestMain), then stops the shared ZooKeeper
// server, removes the built binaries and fails the run if any process the harness spawned (or any
// of their descendants) is still alive; survivors are listed and killed.
func Main(m *testing.M) {
	run.mu.Lock()
	run.inMain = true
	run.id = fmt.Sprintf("run-%d-%d", os.Getpid(), time.Now().UnixNano())
	run.mu.Unlock()
	code := m.Run()
	if build.took > 0 && testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: building the binaries took %v\n", build.took.Round(time.Millisecond))
	}
	if left := markedProcesses(run.id); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: %d spawned processes survived the tests:\n", len(left))
		for _, p := range left {
			fmt.Fprintf(os.Stderr, "  pid %d: %s\n", p.pid, p.cmdline)
		}
		killAll(left)
		if code == 0 {
			code = 1
		}
	}
	run.mu.Lock()
	if run.zk != nil {
		_ = run.zk.Close()
	}
	if run.binDir != "" {
		_ = os.RemoveAll(run.binDir)
	}
	run.mu.Unlock()
	os.Exit(code)
}

// sharedZK is the ZooKeeper server of this test binary, started on first use.
func sharedZK(t testing.TB) *zktest.Server {
	t.Helper()
	run.mu.Lock()
	defer run.mu.Unlock()
	if !run.inMain {
		t.Fatal("e2e: the package needs `func TestMain(m *testing.M) { e2e.Main(m) }`")
	}
	if run.zk == nil && run.zkErr == nil {
		run.zk, run.zkErr = zktest.Run(zktest.Config{})
	}
	if run.zkErr != nil {
		t.Fatalf("e2e: ZooKeeper: %v", run.zkErr)
	}
	return run.zk
}
