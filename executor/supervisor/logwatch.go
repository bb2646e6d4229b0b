package supervisor

import (
	"bytes"
	"context"
	"io"
	"os"
	"time"
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

// logWatch follows Cassandra's log file from where it ended when the watch was made (lines
// already there belong to an earlier incarnation). The file may not exist yet, and may be
// truncated or replaced by log rotation. Reading a growing file by size is all it needs: no
// inotify, nothing outside the standard library.
type logWatch struct {
	path   string
	offset int64
}

func newLogWatch(path string) *logWatch {
	w := &logWatch{path: path}
	if st, err := os.Stat(path); err == nil {
		w.offset = st.Size()
	}
	return w
}

// run checks for new data every interval and calls wake for every new line that marks a state
// change. It returns when ctx ends.
func (w *logWatch) run(ctx context.Context, interval time.Duration, wake func()) {
	var (
		f       *os.File
		partial []byte
		buf     = make([]byte, 64<<10)
		path    = w.path
		offset  = w.offset
	)
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if f == nil {
			if nf, err := os.Open(path); err == nil {
				f = nf
			}
		}
		if f != nil {
			st, err := os.Stat(path)
			cur, ferr := f.Stat()
			switch {
			case err != nil || ferr != nil:
			case !os.SameFile(st, cur) || st.Size() < offset:
				// Rotated or truncated: read the new file from its start.
				f.Close()
				f, offset, partial = nil, 0, nil
				continue
			case st.Size() > offset:
				for {
					n, rerr := f.ReadAt(buf, offset)
					offset += int64(n)
					data := append(partial, buf[:n]...)
					for {
						i := bytes.IndexByte(data, '\n')
						if i < 0 {
							break
						}
						if isStateLine(data[:i]) {
							wake()
						}
						data = data[i+1:]
					}
					// Keep an unfinished line for the next read, bounded against a runaway line.
					partial = append(partial[:0], data...)
					if len(partial) > 1<<20 {
						partial = partial[:0]
					}
					if rerr == io.EOF || n == 0 || rerr != nil {
						break
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
