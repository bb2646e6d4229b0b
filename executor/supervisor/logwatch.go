package supervisor

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// stateLines are the markers Cassandra logs (system.log, every version since 2.x) when its mode
// changes: the supervisor probes at once on such a line instead of waiting for its next poll.
var stateLines = []string{
	"state jump to ",                 // Node /a:7000 state jump to NORMAL / shutdown
	"JOINING: ",                      // bootstrap and replacement progress
	"LEAVING: ",                      // decommission progress
	"DECOMMISSIONED",                 // decommission done
	"Startup complete",               // CassandraDaemon, after the native transport
	"listening for CQL clients",      // Starting / Stop listening for CQL clients
	"Bootstrap completed",            // streaming done
	"Announcing shutdown",            // drain and stop
	"DRAINED",                        // nodetool drain finished
	"Node is not joined to the ring", // 5.0 join_ring=false
}

// isStateLine reports whether a log line marks a change of the node's mode.
func isStateLine(line []byte) bool {
	for _, m := range stateLines {
		if bytes.Contains(line, []byte(m)) {
			return true
		}
	}
	return false
}

// LogState is what one line of Cassandra's system.log says about the node itself, applied at
// once (before nodetool confirms it). Lines of Cassandra 5.0.8 (executor/supervisor/testdata):
//
//	INFO  [main] ... StorageService.java:2086 - JOINING: waiting for ring information
//	INFO  [main] ... StorageService.java:3320 - Node /10.0.0.1:7000 state jump to NORMAL
//	INFO  [main] ... PipelineConfigurator.java:148 - Starting listening for CQL clients on /10.0.0.1:9042 (unencrypted)...
//	INFO  [RMI TCP Connection(4)-127.0.0.1] Server.java:203 - Stop listening for CQL clients
//
// A "state jump to" line names the node it is about: gossip logs the same line for every peer,
// so only the node's own address counts.
type LogState struct {
	// Mode is the mode the line shows (modeUnknown: none).
	Mode nodetool.Mode
	// Native is +1 when the native transport started, -1 when it stopped, 0 when not said.
	Native int
}

func (LogState) isEvent() {}

// parseLogState reads what line says about the node at address (its listen address).
func parseLogState(line []byte, address string) (LogState, bool) {
	switch {
	case bytes.Contains(line, []byte(" state jump to NORMAL")):
		if address == "" || !bytes.Contains(line, []byte("Node /"+address+":")) {
			return LogState{}, false
		}
		return LogState{Mode: nodetool.ModeNormal}, true
	case bytes.Contains(line, []byte(" - JOINING: ")):
		// "JOINING: Finish joining ring" is logged by every node (seeds too) just before NORMAL.
		return LogState{Mode: nodetool.ModeJoining}, true
	case bytes.Contains(line, []byte("Starting listening for CQL clients")):
		return LogState{Native: +1}, true
	case bytes.Contains(line, []byte("Stop listening for CQL clients")):
		return LogState{Native: -1}, true
	}
	return LogState{}, false
}

// logWatch follows Cassandra's log file from where it ended when the watch was made (lines
// already there belong to an earlier incarnation). The file may not exist yet, and may be
// truncated or replaced by log rotation. New lines are read as soon as the kernel reports a write
// to the log's directory (inotify, through fsnotify); a slow poll stays as a safety net, and is
// the only source where no watch can be made (e.g. the user's inotify instances are used up).
type logWatch struct {
	path   string
	offset int64
	// safety is how often a watched log is read anyway (default safetyPoll).
	safety time.Duration
	// notify: try a kernel watch (default true; false polls only).
	notify bool
	// watching is true while a kernel watch delivers the writes.
	watching atomic.Bool
}

func newLogWatch(path string) *logWatch {
	w := &logWatch{path: path, safety: safetyPoll, notify: true}
	if st, err := os.Stat(path); err == nil {
		w.offset = st.Size()
	}
	return w
}

// logFollower is the reading state of one run.
type logFollower struct {
	path    string
	offset  int64
	f       *os.File
	partial []byte
	buf     []byte
}

// readNew reads what was appended since the last call and calls onLine for every complete line.
func (r *logFollower) readNew(onLine func([]byte)) {
	for range 2 { // a second round reads the new file after a rotation
		if r.f == nil {
			nf, err := os.Open(r.path)
			if err != nil {
				return
			}
			r.f = nf
		}
		st, err := os.Stat(r.path)
		cur, ferr := r.f.Stat()
		switch {
		case err != nil || ferr != nil:
			return
		case !os.SameFile(st, cur) || st.Size() < r.offset:
			// Rotated or truncated: read the new file from its start.
			r.f.Close()
			r.f, r.offset, r.partial = nil, 0, nil
			continue
		case st.Size() > r.offset:
			for {
				n, rerr := r.f.ReadAt(r.buf, r.offset)
				r.offset += int64(n)
				data := append(r.partial, r.buf[:n]...)
				for {
					i := bytes.IndexByte(data, '\n')
					if i < 0 {
						break
					}
					onLine(data[:i])
					data = data[i+1:]
				}
				// Keep an unfinished line for the next read, bounded against a runaway line.
				r.partial = append(r.partial[:0], data...)
				if len(r.partial) > 1<<20 {
					r.partial = r.partial[:0]
				}
				if rerr == io.EOF || n == 0 || rerr != nil {
					break
				}
			}
		}
		return
	}
}

// run calls onLine for every new complete line until ctx ends. Without a kernel watch it polls
// every interval; with one it reads on every write and polls every w.safety in case a
// notification was lost.
func (w *logWatch) run(ctx context.Context, interval time.Duration, onLine func([]byte)) {
	r := &logFollower{path: w.path, offset: w.offset, buf: make([]byte, 64<<10)}
	defer func() {
		if r.f != nil {
			r.f.Close()
		}
	}()
	var events <-chan fsnotify.Event
	var errs <-chan error
	dir := filepath.Dir(w.path)
	watching := false
	var fw *fsnotify.Watcher
	if w.notify {
		if nw, err := fsnotify.NewWatcher(); err == nil {
			fw = nw
			defer fw.Close()
			events, errs = fw.Events, fw.Errors
		}
	}
	period := interval
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if fw != nil && !watching && fw.Add(dir) == nil {
			watching = true
			w.watching.Store(true)
			if p := max(interval, w.safety); p != period {
				period = p
				t.Reset(period)
			}
		}
		r.readNew(onLine)
		if !w.wait(ctx, t, &events, &errs) {
			return
		}
		if events == nil && watching {
			watching, period = false, interval // the watch broke: poll
			w.watching.Store(false)
			t.Reset(period)
		}
	}
}

// wait returns when there may be something new to read (false when ctx ended): a write to the
// log, or the poll. A closed notification channel is set to nil.
func (w *logWatch) wait(ctx context.Context, t *time.Ticker, events *<-chan fsnotify.Event, errs *<-chan error) bool {
	base := filepath.Base(w.path)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case ev, ok := <-*events:
			if !ok {
				*events = nil
				return true
			}
			if filepath.Base(ev.Name) == base {
				return true
			}
		case _, ok := <-*errs:
			if !ok {
				*errs = nil
			}
		}
	}
}

// safetyPoll is how often a watched log is read anyway.
const safetyPoll = time.Second
