package nodetool

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Mode is Cassandra's StorageService operation mode, the "Mode:" line of `nodetool netstats`.
type Mode string

// Operation modes of Cassandra 3.x–5.0. 5.0 adds JOINING_FAILED and DECOMMISSION_FAILED.
const (
	ModeStarting           Mode = "STARTING"
	ModeNormal             Mode = "NORMAL"
	ModeJoining            Mode = "JOINING"
	ModeLeaving            Mode = "LEAVING"
	ModeDecommissioned     Mode = "DECOMMISSIONED"
	ModeMoving             Mode = "MOVING"
	ModeDraining           Mode = "DRAINING"
	ModeDrained            Mode = "DRAINED"
	ModeJoiningFailed      Mode = "JOINING_FAILED"
	ModeDecommissionFailed Mode = "DECOMMISSION_FAILED"
)

// Known reports whether m is one of the modes above.
func (m Mode) Known() bool {
	switch m {
	case ModeStarting, ModeNormal, ModeJoining, ModeLeaving, ModeDecommissioned, ModeMoving,
		ModeDraining, ModeDrained, ModeJoiningFailed, ModeDecommissionFailed:
		return true
	}
	return false
}

// Netstats is the parsed output of `nodetool netstats [-H]`.
type Netstats struct {
	Mode Mode
	// Streams are the stream plans under way; empty with "Not sending any streams.".
	Streams []Stream
	// ReadRepair is nil when the block is absent (mode STARTING).
	ReadRepair *ReadRepairStats
	Pools      []Pool
	// Other keeps lines this parser does not understand (for logs), in order.
	Other []string
}

// Stream is one stream plan ("Bootstrap <planId>", "Unbootstrap ...", "Repair ...").
type Stream struct {
	Description string
	PlanID      string
	Peers       []StreamPeer
}

// StreamPeer is one "/<peer>" block of a stream plan.
type StreamPeer struct {
	Address   string
	Receiving *StreamProgress
	Sending   *StreamProgress
}

// StreamProgress is a "Receiving|Sending N files, B total. Already received|sent n files, b total"
// line. Bytes are exact without -H and rounded with it.
type StreamProgress struct {
	Files, FilesDone int
	Bytes, BytesDone int64
}

// ReadRepairStats is the "Read Repair Statistics:" block.
type ReadRepairStats struct {
	Attempted, MismatchBlocking, MismatchBackground int64
}

// Pool is one row of the message pool table. Values are as printed ("n/a", "0"), keyed by column.
type Pool struct {
	Name   string
	Values map[string]string
}

var streamProgressRE = regexp.MustCompile(`^(Receiving|Sending) (\d+) files, (.+?) total\. Already (?:received|sent) (\d+) files(?: \([^)]*\))?, (.+?) total`)

// ParseNetstats parses the stdout of `nodetool netstats [-H]` from Cassandra 2.1 to 5.0. The
// first non-empty line must be "Mode: <MODE>"; lines it does not understand after that are kept
// in Other rather than failing, so that a new section in a new version does not hide the mode.
func ParseNetstats(out string) (*Netstats, error) {
	ns := &Netstats{}
	var poolCols []string
	var cur *Stream
	var peer *StreamPeer
	inReadRepair := false
	peerIndent := 0
	for i, raw := range lines(out) {
		ln := i + 1
		t := strings.TrimSpace(raw)
		if t == "" {
			continue
		}
		if ns.Mode == "" {
			m, ok := strings.CutPrefix(t, "Mode:")
			if !ok {
				return nil, fmt.Errorf("netstats line %d: want \"Mode: <MODE>\", got %q", ln, truncate(t))
			}
			m = strings.TrimSpace(m)
			if !isModeWord(m) {
				return nil, fmt.Errorf("netstats line %d: bad mode %q", ln, truncate(m))
			}
			ns.Mode = Mode(m)
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
		indented := indent > 0
		switch {
		case t == "Not sending any streams.":
			cur, peer = nil, nil
		case t == "Read Repair Statistics:":
			ns.ReadRepair = &ReadRepairStats{}
			inReadRepair = true
			cur, peer = nil, nil
		case inReadRepair && (strings.HasPrefix(t, "Attempted:") || strings.HasPrefix(t, "Mismatch (Blocking):") || strings.HasPrefix(t, "Mismatch (Background):")):
			label, v, _ := strings.Cut(t, ":")
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("netstats line %d: %s %q is not a number", ln, label, truncate(v))
			}
			switch label {
			case "Attempted":
				ns.ReadRepair.Attempted = n
			case "Mismatch (Blocking)":
				ns.ReadRepair.MismatchBlocking = n
			default:
				ns.ReadRepair.MismatchBackground = n
			}
		case strings.HasPrefix(t, "Pool Name"):
			inReadRepair = false
			poolCols = strings.Fields(strings.TrimPrefix(t, "Pool Name"))
			if len(poolCols) == 0 {
				return nil, fmt.Errorf("netstats line %d: pool header has no columns", ln)
			}
		case poolCols != nil:
			f := strings.Fields(t)
			if len(f) <= len(poolCols) || !poolValues(f[len(f)-len(poolCols):]) {
				ns.Other = append(ns.Other, t)
				continue
			}
			p := Pool{Name: strings.Join(f[:len(f)-len(poolCols)], " "), Values: map[string]string{}}
			for j, c := range poolCols {
				p.Values[c] = f[len(f)-len(poolCols)+j]
			}
			ns.Pools = append(ns.Pools, p)
		case indented && cur != nil && strings.HasPrefix(t, "/") && (peer == nil || indent <= peerIndent):
			// Peers are indented 4, the files under them 12.
			peerIndent = indent
			addr, _, _ := strings.Cut(strings.TrimPrefix(t, "/"), " ")
			cur.Peers = append(cur.Peers, StreamPeer{Address: addr})
			peer = &cur.Peers[len(cur.Peers)-1]
		case indented && peer != nil && (strings.HasPrefix(t, "Receiving ") || strings.HasPrefix(t, "Sending ")):
			sp, err := parseStreamProgress(t)
			if err != nil {
				return nil, fmt.Errorf("netstats line %d: %w", ln, err)
			}
			if strings.HasPrefix(t, "Receiving ") {
				peer.Receiving = sp
			} else {
				peer.Sending = sp
			}
		case indented && peer != nil:
			// one line per file being streamed
		case !indented && !inReadRepair && isStreamHeader(t):
			f := strings.Fields(t)
			ns.Streams = append(ns.Streams, Stream{Description: strings.Join(f[:len(f)-1], " "), PlanID: strings.ToLower(f[len(f)-1])})
			cur, peer = &ns.Streams[len(ns.Streams)-1], nil
		default:
			ns.Other = append(ns.Other, t)
		}
	}
	if ns.Mode == "" {
		return nil, fmt.Errorf("netstats: no \"Mode:\" line in output")
	}
	return ns, nil
}

func isModeWord(m string) bool {
	if m == "" || len(m) > 64 {
		return false
	}
	for _, c := range m {
		if !(c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}

func poolValues(vs []string) bool {
	for _, v := range vs {
		if v == "n/a" {
			continue
		}
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return false
		}
	}
	return true
}

func isStreamHeader(t string) bool {
	f := strings.Fields(t)
	return len(f) >= 2 && isUUID(f[len(f)-1])
}

func parseStreamProgress(t string) (*StreamProgress, error) {
	m := streamProgressRE.FindStringSubmatch(t)
	if m == nil {
		return nil, fmt.Errorf("stream progress %q: unknown layout", truncate(t))
	}
	sp := &StreamProgress{}
	var err error
	if sp.Files, err = strconv.Atoi(m[2]); err != nil {
		return nil, fmt.Errorf("stream progress %q: file count: %w", truncate(t), err)
	}
	if sp.FilesDone, err = strconv.Atoi(m[4]); err != nil {
		return nil, fmt.Errorf("stream progress %q: file count: %w", truncate(t), err)
	}
	total, err := ParseLoad(m[3])
	if err != nil {
		return nil, fmt.Errorf("stream progress %q: %w", truncate(t), err)
	}
	done, err := ParseLoad(m[5])
	if err != nil {
		return nil, fmt.Errorf("stream progress %q: %w", truncate(t), err)
	}
	sp.Bytes, sp.BytesDone = total.Bytes, done.Bytes
	return sp, nil
}
