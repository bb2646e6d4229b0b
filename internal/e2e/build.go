package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/cassmesos/cassmesos/internal/cassandrasim"
)

// Binaries are the paths of the built programs and the stand-in's tarball.
type Binaries struct {
	Dir      string // the directory holding them
	CLI      string // cassmesos
	Daemon   string // cassmesosd
	Executor string // cassmesos-executor
	MesosSim string // mesos-sim
	Tarball  string // apache-cassandra-4.1-sim-bin.tar.gz
	Race     bool   // built with -race
}

var build struct {
	once sync.Once
	bins Binaries
	err  error
	took time.Duration
}

// benchmarksOnly reports a `go test -run '^$' -bench ...` run (make bench): the binaries are then
// built without -race, so that timings are the product's, not the race detector's.
func benchmarksOnly() bool {
	b, r := flag.Lookup("test.bench"), flag.Lookup("test.run")
	return b != nil && b.Value.String() != "" && r != nil && r.Value.String() == "^$"
}

// Build compiles the binaries once per test binary (Main removes them at the end). NewWorld calls
// it; tests rarely need to.
func Build() (Binaries, error) {
	build.once.Do(func() {
		begin := time.Now()
		build.bins, build.err = buildAll()
		build.took = time.Since(begin)
	})
	return build.bins, build.err
}

func buildAll() (Binaries, error) {
	root, err := cassandrasim.ModuleRoot()
	if err != nil {
		return Binaries{}, err
	}
	if src := os.Getenv("CASSMESOS_E2E_SRC"); src != "" {
		root = src
	}
	dir, err := os.MkdirTemp("", "cassmesos-e2e-bin-")
	if err != nil {
		return Binaries{}, err
	}
	run.mu.Lock()
	run.binDir = dir
	run.mu.Unlock()
	b := Binaries{
		Dir: dir, CLI: filepath.Join(dir, "cassmesos"), Daemon: filepath.Join(dir, "cassmesosd"),
		Executor: filepath.Join(dir, "cassmesos-executor"), MesosSim: filepath.Join(dir, "mesos-sim"),
		Tarball: filepath.Join(dir, cassandrasim.DistDirName+"-bin.tar.gz"),
		Race:    os.Getenv("CASSMESOS_E2E_NORACE") != "1" && !benchmarksOnly(),
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return b, fmt.Errorf("e2e: building the binaries needs the go tool on PATH: %w", err)
	}
	args := []string{"build"}
	if b.Race {
		args = append(args, "-race")
	}
	args = append(args, "-o", dir+string(filepath.Separator),
		"./cmd/cassmesos", "./cmd/cassmesosd", "./cmd/cassmesos-executor", "./cmd/mesos-sim")
	cmd := exec.Command(goTool, args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return b, fmt.Errorf("e2e: go %v: %v\n%s", args, err, out)
	}
	sim := filepath.Join(dir, "cassandra-sim")
	cmd = exec.Command(goTool, "build", "-o", sim, "./cmd/cassandra-sim")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return b, fmt.Errorf("e2e: go build ./cmd/cassandra-sim: %v\n%s", err, out)
	}
	var tgz bytes.Buffer
	if err := cassandrasim.WriteTarball(&tgz, sim); err != nil {
		return b, fmt.Errorf("e2e: writing the stand-in tarball: %w", err)
	}
	if err := os.WriteFile(b.Tarball, tgz.Bytes(), 0o644); err != nil {
		return b, fmt.Errorf("e2e: %w", err)
	}
	return b, nil
}
