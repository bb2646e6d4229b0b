package mesossim

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// killSession sends SIGKILL to every process whose session ID is sid (read from /proc; without
// /proc it does nothing). Executors run as session leaders, so this reaches processes that left
// the executor's process group, the way a real agent's containerizer destroys a whole container.
func killSession(sid int) {
	if sid <= 0 {
		return
	}
	for _, pid := range sessionMembers(sid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// sessionMembers lists the processes in session sid.
func sessionMembers(sid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if s, ok := statSession(string(b)); ok && s == sid {
			out = append(out, pid)
		}
	}
	return out
}

// statSession reads the session ID from the text of /proc/<pid>/stat: "pid (comm) state ppid pgrp
// session ...", where comm may itself contain spaces and parentheses.
func statSession(stat string) (int, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 4 {
		return 0, false
	}
	sid, err := strconv.Atoi(f[3])
	return sid, err == nil
}
