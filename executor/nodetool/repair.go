package nodetool

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// RepairEventKind classifies one line of `nodetool repair` output.
type RepairEventKind int

const (
	// RepairOther is a timestamped message this parser does not know.
	RepairOther RepairEventKind = iota
	// RepairStart is "Starting repair command #N (...), repairing keyspace ks with repair options (...)".
	RepairStart
	// RepairSessionFinished is "Repair session <id> for range [...] finished".
	RepairSessionFinished
	// RepairSessionFailed is "Repair session <id> for range [...] failed with error <msg>".
	RepairSessionFailed
	// RepairProgress is any other message carrying "(progress: N%)".
	RepairProgress
	// RepairSucceeded is "Repair completed successfully".
	RepairSucceeded
	// RepairFailed is "Repair command #N failed with error <msg>", "Repair command #N finished
	// with error", "Some repair failed", or a status query that discovered a failed repair.
	RepairFailed
	// RepairCommandFinished is "Repair command #N finished in <duration>".
	RepairCommandFinished
	// RepairNotNeeded is "Replication factor is 1. No repair is needed for keyspace 'ks'".
	RepairNotNeeded
	// RepairStatusQueried is "... queried for parent session status and discovered repair
	// completed." (4.0+, after lost JMX notifications).
	RepairStatusQueried
)

var repairKindNames = map[RepairEventKind]string{
	RepairOther: "other", RepairStart: "start", RepairSessionFinished: "session-finished",
	RepairSessionFailed: "session-failed", RepairProgress: "progress", RepairSucceeded: "succeeded",
	RepairFailed: "failed", RepairCommandFinished: "command-finished", RepairNotNeeded: "not-needed",
	RepairStatusQueried: "status-queried",
}

// String returns a short lower-case name ("start", "session-finished", ...).
func (k RepairEventKind) String() string {
	if s, ok := repairKindNames[k]; ok {
		return s
	}
	return "RepairEventKind(" + strconv.Itoa(int(k)) + ")"
}

// Range is a token range (Start, End] as repair prints it.
type Range struct {
	Start, End string
}

// RepairEvent is one parsed line of `nodetool repair` output.
type RepairEvent struct {
	// Time is the line's "[yyyy-MM-dd HH:mm:ss,SSS]" stamp in the local time zone (nodetool prints
	// the JVM's local time without a zone).
	Time time.Time
	Kind RepairEventKind
	// Message is the text after the stamp, without the " (progress: N%)" suffix.
	Message string
	// Progress is the percentage of the "(progress: N%)" suffix, -1 when the line has none.
	Progress int
	// Command is the repair command number when the line names one (#N), else 0.
	Command int
	// ParentSession is the parent repair session ID of a 3.10+ start line.
	ParentSession string
	// Keyspace is set on start and not-needed lines.
	Keyspace string
	// Session is the repair session ID of a session line.
	Session string
	// Ranges are the token ranges of a session line ("..." elisions are skipped).
	Ranges []Range
	// Error is the error text of a failure line.
	Error string
	// Duration is the human duration of "finished in <duration>" ("1 second").
	Duration string
	// Line is the line as read, without the trailing newline.
	Line string
}

// Failure reports whether the event reports a failed session or repair.
func (e RepairEvent) Failure() bool {
	return e.Kind == RepairFailed || e.Kind == RepairSessionFailed
}

var (
	repairStampRE    = regexp.MustCompile(`^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3})\] ?(.*)$`)
	repairProgressRE = regexp.MustCompile(` \(progress: (\d{1,3})%\)$`)
	repairStartRE    = regexp.MustCompile(`^Starting repair command #(\d+)(?: \(([^)]*)\))?, repairing (?:(\d+) ranges for )?keyspace (\S+)`)
	repairSessionRE  = regexp.MustCompile(`^Repair session (\S+) for range (.*?) (finished|failed with error (.*))$`)
	repairRangeRE    = regexp.MustCompile(`\(([^,()\[\]]*),([^,()\[\]]*)\]`)
	repairCmdDoneRE  = regexp.MustCompile(`^Repair command #(\d+) finished in (.+)$`)
	repairCmdFailRE  = regexp.MustCompile(`^Repair command #(\d+) failed with error (.*)$`)
	repairCmdErrRE   = regexp.MustCompile(`^Repair command #(\d+) finished with error$`)
	repairRF1RE      = regexp.MustCompile(`^Replication factor is 1\. No repair is needed for keyspace '(.*)'$`)
	repairQueriedRE  = regexp.MustCompile(`queried for parent session status and discovered repair (completed|failed)\.$`)
)

// RepairTimeLayout is the Go layout of the stamp nodetool puts before every repair line.
const RepairTimeLayout = "2006-01-02 15:04:05,000"

// ParseRepairLine parses one line of `nodetool repair` stdout (Cassandra 2.1 to 5.0, per
// RepairRunner): "[yyyy-MM-dd HH:mm:ss,SSS] <message>[ (progress: N%)]". It returns an error for
// a line without the stamp; a stamped message it does not know is RepairOther, not an error. It
// is meant to be called on each line as it arrives.
func ParseRepairLine(line string) (RepairEvent, error) {
	line = strings.TrimRight(line, "\r\n")
	ev := RepairEvent{Line: line, Progress: -1}
	m := repairStampRE.FindStringSubmatch(line)
	if m == nil {
		return ev, fmt.Errorf("repair line %q: no [yyyy-MM-dd HH:mm:ss,SSS] stamp", truncate(line))
	}
	ts, err := time.ParseInLocation(RepairTimeLayout, m[1], time.Local)
	if err != nil {
		return ev, fmt.Errorf("repair line %q: bad stamp: %w", truncate(line), err)
	}
	if ts.Year() < 1970 {
		return ev, fmt.Errorf("repair line %q: stamp before 1970", truncate(line))
	}
	ev.Time = ts
	msg := m[2]
	if pm := repairProgressRE.FindStringSubmatchIndex(msg); pm != nil {
		p, _ := strconv.Atoi(msg[pm[2]:pm[3]])
		if p > 100 {
			return ev, fmt.Errorf("repair line %q: progress %d%% over 100", truncate(line), p)
		}
		ev.Progress = p
		msg = msg[:pm[0]]
	}
	ev.Message = msg
	ev.Kind = RepairOther
	if ev.Progress >= 0 {
		ev.Kind = RepairProgress
	}
	switch {
	case repairStartRE.MatchString(msg):
		sm := repairStartRE.FindStringSubmatch(msg)
		ev.Kind = RepairStart
		ev.Command = atoiOrZero(sm[1])
		ev.ParentSession = sm[2]
		ev.Keyspace = sm[4]
	case repairSessionRE.MatchString(msg):
		sm := repairSessionRE.FindStringSubmatch(msg)
		ev.Session = sm[1]
		for _, r := range repairRangeRE.FindAllStringSubmatch(sm[2], -1) {
			ev.Ranges = append(ev.Ranges, Range{Start: strings.TrimSpace(r[1]), End: strings.TrimSpace(r[2])})
		}
		if sm[3] == "finished" {
			ev.Kind = RepairSessionFinished
		} else {
			ev.Kind = RepairSessionFailed
			ev.Error = sm[4]
		}
	case msg == "Repair completed successfully":
		ev.Kind = RepairSucceeded
	case msg == "Some repair failed":
		ev.Kind = RepairFailed
		ev.Error = msg
	case repairCmdDoneRE.MatchString(msg):
		sm := repairCmdDoneRE.FindStringSubmatch(msg)
		ev.Kind = RepairCommandFinished
		ev.Command = atoiOrZero(sm[1])
		ev.Duration = sm[2]
	case repairCmdFailRE.MatchString(msg):
		sm := repairCmdFailRE.FindStringSubmatch(msg)
		ev.Kind = RepairFailed
		ev.Command = atoiOrZero(sm[1])
		ev.Error = sm[2]
	case repairCmdErrRE.MatchString(msg):
		sm := repairCmdErrRE.FindStringSubmatch(msg)
		ev.Kind = RepairFailed
		ev.Command = atoiOrZero(sm[1])
		ev.Error = msg
	case repairRF1RE.MatchString(msg):
		ev.Kind = RepairNotNeeded
		ev.Keyspace = repairRF1RE.FindStringSubmatch(msg)[1]
	case repairQueriedRE.MatchString(msg):
		if repairQueriedRE.FindStringSubmatch(msg)[1] == "failed" {
			ev.Kind = RepairFailed
			ev.Error = msg
		} else {
			ev.Kind = RepairStatusQueried
		}
	}
	return ev, nil
}

func atoiOrZero(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}
