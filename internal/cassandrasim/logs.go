package cassandrasim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// systemLog writes logs/system.log (and stdout) in Cassandra 4.1's logback pattern:
// "%-5level [%thread] %date{ISO8601} %F:%L - %msg%n".
type systemLog struct {
	mu  sync.Mutex
	out []io.Writer
}

func newSystemLog(dir string, stdout io.Writer) (*systemLog, error) {
	l := &systemLog{}
	if stdout != nil {
		l.out = append(l.out, stdout)
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(dir, "system.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		l.out = append(l.out, f)
	}
	return l, nil
}

const javaTime = "2006-01-02 15:04:05,000"

func (l *systemLog) write(level, thread, file string, line int, format string, args ...any) {
	if l == nil {
		return
	}
	msg := fmt.Sprintf("%-5s [%s] %s %s:%d - %s\n", level, thread, time.Now().Format(javaTime), file, line, fmt.Sprintf(format, args...))
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range l.out {
		_, _ = io.WriteString(w, msg)
	}
}

func (l *systemLog) info(thread, file string, line int, format string, args ...any) {
	l.write("INFO", thread, file, line, format, args...)
}

func (l *systemLog) warn(thread, file string, line int, format string, args ...any) {
	l.write("WARN", thread, file, line, format, args...)
}

func (l *systemLog) error(thread, file string, line int, format string, args ...any) {
	l.write("ERROR", thread, file, line, format, args...)
}

// Action is one line of the action log: something a node did that Cassandra's rules constrain.
type Action struct {
	Time     time.Time    `json:"time"`
	Node     string       `json:"node"` // the node's listen address
	HostID   string       `json:"host_id,omitempty"`
	Action   string       `json:"action"` // start, bootstrap, replace, join, decommission, removenode, drain, repair, cleanup, rebuild, stop, crash, refused
	Status   string       `json:"status"` // started, ok, failed
	Start    time.Time    `json:"start,omitempty"`
	End      time.Time    `json:"end,omitempty"`
	Keyspace string       `json:"keyspace,omitempty"`
	Tables   []string     `json:"tables,omitempty"`
	Ranges   []TokenRange `json:"ranges,omitempty"`
	Replicas []string     `json:"replicas,omitempty"`
	Tokens   []int64      `json:"tokens,omitempty"`
	Target   string       `json:"target,omitempty"` // removenode host ID, replaced address, rebuild source dc
	Command  int          `json:"command,omitempty"`
	Session  string       `json:"session,omitempty"`
	Full     bool         `json:"full,omitempty"`
	Primary  bool         `json:"primary_range,omitempty"`
	Error    string       `json:"error,omitempty"`
}

type actionLog struct {
	mu   sync.Mutex
	path string
}

// record appends one JSON line; a single write with O_APPEND keeps lines whole when several nodes
// share the file.
func (a *actionLog) record(act Action) {
	if a == nil || a.path == "" {
		return
	}
	if act.Time.IsZero() {
		act.Time = time.Now()
	}
	b, err := json.Marshal(act)
	if err != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_ = os.MkdirAll(filepath.Dir(a.path), 0o755)
	f, err := os.OpenFile(a.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	_, _ = f.Write(append(b, '\n'))
	_ = f.Close()
}

// ReadActions reads an action log. A torn last line (a node killed mid-write) is ignored; any other
// malformed line is an error naming its line number.
func ReadActions(path string) ([]Action, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseActions(f)
}

// ParseActions parses action-log lines from r.
func ParseActions(r io.Reader) ([]Action, error) {
	var out []Action
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	n := 0
	var pendingErr error
	for sc.Scan() {
		n++
		if pendingErr != nil {
			return nil, pendingErr
		}
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var a Action
		if err := json.Unmarshal(line, &a); err != nil {
			pendingErr = fmt.Errorf("action log line %d: %w", n, err)
			continue
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// RepairSessions returns the finished repair sessions (status ok or failed) of an action log.
func RepairSessions(actions []Action) []Action {
	var out []Action
	for _, a := range actions {
		if a.Action == "repair" && a.Status != "started" {
			out = append(out, a)
		}
	}
	return out
}

// OverlappingRepairs returns pairs of repair sessions that ran at the same time and shared a replica,
// which Cassandra operators (and cassmesos) must never cause.
func OverlappingRepairs(actions []Action) [][2]Action {
	s := RepairSessions(actions)
	var out [][2]Action
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[i].Start.Before(s[j].End) && s[j].Start.Before(s[i].End) && shareAny(s[i].Replicas, s[j].Replicas) {
				out = append(out, [2]Action{s[i], s[j]})
			}
		}
	}
	return out
}

func shareAny(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}
