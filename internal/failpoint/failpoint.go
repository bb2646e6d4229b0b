// Package failpoint holds named failure points compiled into the product so tests can make
// the daemon and the executor fail at exact moments (issue 12's chaos suite).
//
// Product code calls Inject(name) at a point of interest. While nothing is armed Inject costs
// one atomic load and returns nil. Tests arm points in-process with Enable/Disable, and child
// processes arm them from the CASSMESOS_FAILPOINTS environment variable, read once at start:
//
//	CASSMESOS_FAILPOINTS='engine/after-persist=kill@3;executor/mid-relay=error'
//
// An action is one of
//
//	kill           SIGKILL this process (a real kill -9: no deferred code runs)
//	error          Inject returns an error wrapping ErrInjected
//	panic          Inject panics
//	pause(DUR)     Inject sleeps DUR (a Go duration, e.g. pause(2s)) then returns nil
//	off            nothing (keeps the point counted but harmless)
//
// optionally followed by @N: the action fires on the Nth hit only (earlier hits pass, later
// hits pass too), or *N: the action fires on the first N hits. Without a count it fires on
// every hit.
//
// When CASSMESOS_FAILPOINTS_FILE names a file, the process re-reads it whenever it changes
// (polled every 20 ms) and arms exactly the points of its spec (same format; an empty or missing
// file disarms everything), so a test can arm a running child process at the moment it chooses.
// Nothing polls unless the variable is set.
//
// When CASSMESOS_FAILPOINT_LOG names a file, each hit of an armed point appends one line
// "<pid> <name> <fired|passed>\n" to it (and each point armed from the spec file a line
// "<pid> <name> armed") (opened O_APPEND, one write per line, so several
// processes may share the file), before the action runs: a kill is logged before it happens.
package failpoint

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// EnvPoints is the environment variable arming points in a process at start.
const EnvPoints = "CASSMESOS_FAILPOINTS"

// EnvFile is the environment variable naming a spec file a process follows while it runs.
const EnvFile = "CASSMESOS_FAILPOINTS_FILE"

// EnvLog is the environment variable naming the file every armed hit is appended to.
const EnvLog = "CASSMESOS_FAILPOINT_LOG"

// ErrInjected is wrapped by the error an "error" action returns.
var ErrInjected = errors.New("failpoint injected error")

// Kind is what an armed point does when it fires.
type Kind int

// The kinds of action.
const (
	Off Kind = iota
	Kill
	Error
	Panic
	Pause
)

// Action is what an armed point does, and on which hits.
type Action struct {
	Kind Kind
	// Pause is the sleep of a Pause action.
	Pause time.Duration
	// At, when > 0, fires the action on the At-th hit only.
	At int
	// Times, when > 0, fires the action on the first Times hits only.
	Times int
}

func (a Action) String() string {
	var s string
	switch a.Kind {
	case Off:
		s = "off"
	case Kill:
		s = "kill"
	case Error:
		s = "error"
	case Panic:
		s = "panic"
	case Pause:
		s = "pause(" + a.Pause.String() + ")"
	default:
		s = "unknown"
	}
	if a.At > 0 {
		s += "@" + strconv.Itoa(a.At)
	}
	if a.Times > 0 {
		s += "*" + strconv.Itoa(a.Times)
	}
	return s
}

type point struct {
	action Action
	hits   atomic.Int64
}

var (
	armed  atomic.Bool // fast path: false while no point is armed
	mu     sync.RWMutex
	points = map[string]*point{}

	logMu   sync.Mutex
	logFile *os.File

	// killSelf is replaced in tests so a kill can be observed without dying.
	killSelf = func() {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		// SIGKILL to self is not deferred; block until it lands.
		select {}
	}
)

func init() {
	if spec := os.Getenv(EnvPoints); spec != "" {
		if err := EnableSpec(spec); err != nil {
			fmt.Fprintf(os.Stderr, "failpoint: %s: %v\n", EnvPoints, err)
			os.Exit(2)
		}
	}
	if path := os.Getenv(EnvLog); path != "" {
		if err := SetLog(path); err != nil {
			fmt.Fprintf(os.Stderr, "failpoint: %s: %v\n", EnvLog, err)
			os.Exit(2)
		}
	}
	if path := os.Getenv(EnvFile); path != "" {
		go follow(path, 20*time.Millisecond, nil)
	}
}

// follow arms the points of the spec file at path each time its content changes, until stop is
// closed (never, for the env var's follower). A spec that does not parse is reported on stderr
// and leaves the armed points as they were.
func follow(path string, every time.Duration, stop <-chan struct{}) {
	var last string
	first := true
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		b, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			b = []byte(last) // unreadable for now: keep what is armed
		}
		if spec := string(b); spec != last || first {
			first = false
			last = spec
			if err := replaceSpec(spec); err != nil {
				fmt.Fprintf(os.Stderr, "failpoint: %s %s: %v\n", EnvFile, path, err)
			} else {
				for _, a := range Armed() {
					name, _, _ := strings.Cut(a, "=")
					writeLogLine(name, "armed")
				}
			}
		}
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

// replaceSpec disarms every point and arms those of spec; a bad spec changes nothing.
func replaceSpec(spec string) error {
	if _, err := parseSpec(spec); err != nil {
		return err
	}
	DisableAll()
	return EnableSpec(spec)
}

// Inject is the product's hook at the failure point name. It returns nil unless the point is
// armed with an error action that fires (or it kills, panics or pauses as armed).
func Inject(name string) error {
	if !armed.Load() {
		return nil
	}
	return inject(name)
}

func inject(name string) error {
	mu.RLock()
	p := points[name]
	mu.RUnlock()
	if p == nil {
		return nil
	}
	n := p.hits.Add(1)
	a := p.action
	fire := true
	switch {
	case a.At > 0:
		fire = n == int64(a.At)
	case a.Times > 0:
		fire = n <= int64(a.Times)
	}
	if a.Kind == Off {
		fire = false
	}
	writeLog(name, fire)
	if !fire {
		return nil
	}
	switch a.Kind {
	case Kill:
		killSelf()
		return nil
	case Error:
		return fmt.Errorf("%w at %s", ErrInjected, name)
	case Panic:
		panic("failpoint " + name + " panicked")
	case Pause:
		time.Sleep(a.Pause)
	}
	return nil
}

// Enable arms the point name with action, replacing any earlier arming and resetting its hits.
func Enable(name string, action Action) error {
	if name == "" || strings.ContainsAny(name, "=; \t\n") {
		return fmt.Errorf("failpoint name %q: must be non-empty without '=', ';' or spaces", name)
	}
	if action.At < 0 || action.Times < 0 || (action.At > 0 && action.Times > 0) {
		return fmt.Errorf("failpoint %s: bad hit count in %s (use @N or *N, N > 0)", name, action)
	}
	if action.Kind == Pause && action.Pause <= 0 {
		return fmt.Errorf("failpoint %s: pause needs a positive duration", name)
	}
	mu.Lock()
	points[name] = &point{action: action}
	armed.Store(true)
	mu.Unlock()
	return nil
}

// Disable disarms the point name (no-op when it is not armed).
func Disable(name string) {
	mu.Lock()
	delete(points, name)
	armed.Store(len(points) > 0)
	mu.Unlock()
}

// DisableAll disarms every point.
func DisableAll() {
	mu.Lock()
	points = map[string]*point{}
	armed.Store(false)
	mu.Unlock()
}

// Hits returns how often the armed point name was hit since it was armed (0 when not armed).
func Hits(name string) int {
	mu.RLock()
	defer mu.RUnlock()
	if p := points[name]; p != nil {
		return int(p.hits.Load())
	}
	return 0
}

// Armed lists the armed points with their actions, sorted by name.
func Armed() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(points))
	for n, p := range points {
		out = append(out, n+"="+p.action.String())
	}
	sort.Strings(out)
	return out
}

// EnableSpec arms the points of a spec "name=action[;name=action...]" (the env var's format).
// On error nothing is armed.
func EnableSpec(spec string) error {
	entries, err := parseSpec(spec)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := Enable(e.name, e.a); err != nil {
			return err
		}
	}
	return nil
}

type entry struct {
	name string
	a    Action
}

func parseSpec(spec string) ([]entry, error) {
	var entries []entry
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, act, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("failpoint entry %q: want name=action", part)
		}
		a, err := ParseAction(act)
		if err != nil {
			return nil, fmt.Errorf("failpoint %s: %w", name, err)
		}
		name = strings.TrimSpace(name)
		if name == "" || strings.ContainsAny(name, " \t\n") {
			return nil, fmt.Errorf("failpoint entry %q: bad name", part)
		}
		entries = append(entries, entry{name, a})
	}
	return entries, nil
}

// ParseAction parses "kill", "error", "panic", "off" or "pause(DUR)", optionally followed by
// "@N" (Nth hit only) or "*N" (first N hits).
func ParseAction(s string) (Action, error) {
	s = strings.TrimSpace(s)
	var a Action
	if i := strings.LastIndexAny(s, "@*"); i >= 0 {
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n <= 0 {
			return Action{}, fmt.Errorf("action %q: hit count %q is not a positive integer", s, s[i+1:])
		}
		if s[i] == '@' {
			a.At = n
		} else {
			a.Times = n
		}
		s = s[:i]
	}
	switch {
	case s == "off":
		a.Kind = Off
	case s == "kill":
		a.Kind = Kill
	case s == "error":
		a.Kind = Error
	case s == "panic":
		a.Kind = Panic
	case strings.HasPrefix(s, "pause(") && strings.HasSuffix(s, ")"):
		d, err := time.ParseDuration(s[len("pause(") : len(s)-1])
		if err != nil || d <= 0 {
			return Action{}, fmt.Errorf("action %q: pause needs a positive Go duration", s)
		}
		a.Kind = Pause
		a.Pause = d
	default:
		return Action{}, fmt.Errorf("unknown action %q (want kill, error, panic, off or pause(DUR))", s)
	}
	return a, nil
}

// SetLog makes every hit of an armed point append a line to path ("" stops logging).
func SetLog(path string) error {
	logMu.Lock()
	defer logMu.Unlock()
	if logFile != nil {
		_ = logFile.Close()
		logFile = nil
	}
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	logFile = f
	return nil
}

func writeLog(name string, fired bool) {
	what := "passed"
	if fired {
		what = "fired"
	}
	writeLogLine(name, what)
}

func writeLogLine(name, what string) {
	logMu.Lock()
	defer logMu.Unlock()
	if logFile == nil {
		return
	}
	_, _ = fmt.Fprintf(logFile, "%d %s %s\n", os.Getpid(), name, what)
}

// Hit is one line of a failpoint log.
type Hit struct {
	PID  int
	Name string
	// Fired: the action ran; else the point was passed (or, with Armed, armed from the file).
	Fired bool
	// Armed: the line says the point was (re)armed from CASSMESOS_FAILPOINTS_FILE.
	Armed bool
}

// ReadLog parses a failpoint log file; a missing file is an empty log.
func ReadLog(path string) ([]Hit, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Hit
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s line %d: %q: want '<pid> <name> <fired|passed>'", path, i+1, line)
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: pid %q: %v", path, i+1, f[0], err)
		}
		out = append(out, Hit{PID: pid, Name: f[1], Fired: f[2] == "fired", Armed: f[2] == "armed"})
	}
	return out, nil
}
