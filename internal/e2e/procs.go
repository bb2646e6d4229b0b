package e2e

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

type procInfo struct {
	pid     int
	cmdline string
}

// markedProcesses lists live processes whose environment carries the marker with the given prefix
// (a run ID, or "<run ID>/<world ID>"). Zombies are not counted.
func markedProcesses(prefix string) []procInfo {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := []byte(markerEnv + "=" + prefix)
	self := os.Getpid()
	var out []procInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		found := false
		for kv := range bytes.SplitSeq(env, []byte{0}) {
			if bytes.HasPrefix(kv, want) && (len(kv) == len(want) || kv[len(want)] == '/') {
				found = true
				break
			}
		}
		if !found {
			continue
		}
		if stat, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && bytes.HasPrefix(stat[i+1:], []byte(" Z")) {
				continue
			}
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		out = append(out, procInfo{pid: pid, cmdline: strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))})
	}
	return out
}

func killAll(ps []procInfo) {
	for _, p := range ps {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
}
