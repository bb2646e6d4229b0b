package zkstate

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The znode schema. Every path the store uses is built here. Paths handed to the Store's methods
// are relative to the framework root, <chroot>/cassmesos/<framework>:
//
//	/framework_id                     FrameworkRecord
//	/leader/member-<seq>              ephemeral sequential; data: the leader candidate's gRPC address
//	/leader_epoch                     persistent; data: the leader epoch, decimal text
//	/rings/<ring>                     RingRecord
//	/rings/<ring>/nodes               (no data)
//	/rings/<ring>/nodes/<node>        NodeRecord
//	/operations/<id>                  OperationRecord
//	/operations/<id>/segments         (no data)
//	/operations/<id>/segments/<n>     SegmentRecord
//	/operations/<id>/steps-<n>        StepChunkRecord (the operation's steps, chunked)
//	/schedules/<id>                   ScheduleRecord
//	/events/e-<10-digit seq>          cassmesos.v1.Event (bounded log, see events.go)
//	/journal                          (no data)
//	/journal/txn-<seq>                persistent sequential; data: journal header (see txn.go)
//	/journal/txn-<seq>/chunk-<n>      staged writes of a large transaction (binary, see txn.go)
//	/journal/txn-<seq>/commit         commit marker; data: the number of chunks

const (
	// TopNode is the znode under the chroot that holds every framework's root.
	TopNode = "/cassmesos"
	// MemberPrefix starts every election znode's name.
	MemberPrefix = "member-"
	// maxNameLen bounds a record name (a path component).
	maxNameLen = 200
)

// RootPath is the absolute framework root: <chroot>/cassmesos/<framework>.
func RootPath(chroot, framework string) (string, error) {
	if chroot != "" {
		if err := checkPath(chroot); err != nil {
			return "", fmt.Errorf("zkstate: chroot %q: %w", chroot, err)
		}
		if chroot == "/" {
			chroot = ""
		}
	}
	if err := checkName(framework); err != nil {
		return "", fmt.Errorf("zkstate: framework name %q: %w", framework, err)
	}
	return chroot + TopNode + "/" + framework, nil
}

// FrameworkIDPath is the record of the Mesos framework ID.
func FrameworkIDPath() string { return "/framework_id" }

// LeaderPath holds the election's member znodes.
func LeaderPath() string { return "/leader" }

// LeaderEpochPath holds the leader epoch, raised by one by each new leader.
func LeaderEpochPath() string { return "/leader_epoch" }

// RingsPath holds one znode per ring.
func RingsPath() string { return "/rings" }

// RingPath is ring's record.
func RingPath(ring string) string { return RingsPath() + "/" + ring }

// NodesPath holds ring's node records.
func NodesPath(ring string) string { return RingPath(ring) + "/nodes" }

// NodePath is node's record in ring.
func NodePath(ring, node string) string { return NodesPath(ring) + "/" + node }

// OperationsPath holds one znode per operation.
func OperationsPath() string { return "/operations" }

// OperationPath is operation id's record.
func OperationPath(id string) string { return OperationsPath() + "/" + id }

// SegmentsPath holds operation id's repair segments.
func SegmentsPath(id string) string { return OperationPath(id) + "/segments" }

// SegmentPath is repair segment n of operation id.
func SegmentPath(id string, n int) string { return SegmentsPath(id) + "/" + strconv.Itoa(n) }

// StepChunkPrefix starts the name of an operation's step chunk znodes.
const StepChunkPrefix = "steps-"

// StepChunkPath is chunk n of operation id's steps.
func StepChunkPath(id string, n int) string {
	return OperationPath(id) + "/" + StepChunkPrefix + strconv.Itoa(n)
}

// JournalPath holds the write-ahead journals of transactions too large for one multi-op.
func JournalPath() string { return "/journal" }

// journalTxnPrefix starts a journal's (sequential) znode name.
const journalTxnPrefix = "txn-"

// journalChunkPath is chunk n of journal txn (a znode name under JournalPath).
func journalChunkPath(txn string, n int) string {
	return JournalPath() + "/" + txn + "/chunk-" + strconv.Itoa(n)
}

// journalCommitPath is the commit marker of journal txn.
func journalCommitPath(txn string) string { return JournalPath() + "/" + txn + "/commit" }

// SchedulesPath holds one znode per repair schedule.
func SchedulesPath() string { return "/schedules" }

// SchedulePath is schedule id's record.
func SchedulePath(id string) string { return SchedulesPath() + "/" + id }

// layoutPaths are created (empty) under the root when a store opens.
func layoutPaths() []string {
	return []string{LeaderPath(), RingsPath(), OperationsPath(), SchedulesPath(), JournalPath(), EventsPath()}
}

// collectionsOf names the empty child znodes created and deleted together with the record at
// rel: a ring's "nodes", an operation's "segments".
func collectionsOf(rel string) []string {
	parts := strings.Split(strings.TrimPrefix(rel, "/"), "/")
	if len(parts) == 2 {
		switch "/" + parts[0] {
		case RingsPath():
			return []string{NodesPath(parts[1])}
		case OperationsPath():
			return []string{SegmentsPath(parts[1])}
		}
	}
	return nil
}

// CheckName reports whether name may be a path component (a record name): see checkName.
func CheckName(name string) error { return checkName(name) }

// checkName accepts one path component: non-empty, at most 200 bytes of printable UTF-8, no "/",
// not "." or "..", and not "zookeeper".
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty name", ErrInvalid)
	case len(name) > maxNameLen:
		return fmt.Errorf("%w: name longer than %d bytes", ErrInvalid, maxNameLen)
	case name == "." || name == "..":
		return fmt.Errorf("%w: name %q", ErrInvalid, name)
	case strings.Contains(name, "/"):
		return fmt.Errorf("%w: name %q contains '/'", ErrInvalid, name)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: name %q is not UTF-8", ErrInvalid, name)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) || r == '\uFFFD' {
			return fmt.Errorf("%w: name %q contains %U", ErrInvalid, name, r)
		}
	}
	return nil
}

// checkPath accepts an absolute path of valid names ("/" alone too).
func checkPath(p string) error {
	if p == "/" {
		return nil
	}
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%w: path %q does not start with '/'", ErrInvalid, p)
	}
	for _, c := range strings.Split(p[1:], "/") {
		if err := checkName(c); err != nil {
			return fmt.Errorf("path %q: %w", p, err)
		}
	}
	return nil
}

// ParseConnectString splits a ZooKeeper connect string, "host:port[,host:port...][/chroot]", into
// the server list and the chroot ("" when there is none). A server without a port gets 2181.
func ParseConnectString(s string) (servers []string, chroot string, err error) {
	hosts := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hosts, chroot = s[:i], s[i:]
		if chroot == "/" {
			chroot = ""
		} else if err := checkPath(chroot); err != nil {
			return nil, "", fmt.Errorf("zkstate: connect string %q: chroot: %w", s, err)
		}
	}
	if strings.TrimSpace(hosts) == "" {
		return nil, "", fmt.Errorf("zkstate: connect string %q: %w: no servers", s, ErrInvalid)
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			if strings.Contains(err.Error(), "missing port") {
				host, port, err = h, "2181", nil
				if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
					host = host[1 : len(host)-1]
				}
			} else {
				return nil, "", fmt.Errorf("zkstate: connect string %q: %w: server %q: %v", s, ErrInvalid, h, err)
			}
		}
		if host == "" || strings.ContainsAny(host, " \t[]/") {
			return nil, "", fmt.Errorf("zkstate: connect string %q: %w: server %q has no host", s, ErrInvalid, h)
		}
		if n, perr := strconv.Atoi(port); perr != nil || n < 1 || n > 65535 {
			return nil, "", fmt.Errorf("zkstate: connect string %q: %w: server %q: bad port %q", s, ErrInvalid, h, port)
		}
		servers = append(servers, net.JoinHostPort(host, port))
	}
	return servers, chroot, nil
}

// memberSeq returns the sequence number of an election znode name ("member-0000000007").
func memberSeq(name string) (int64, bool) {
	s, ok := strings.CutPrefix(name, MemberPrefix)
	if !ok || s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}
