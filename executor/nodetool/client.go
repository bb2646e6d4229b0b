package nodetool

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Controller is what the executor needs from its Cassandra node. Client runs bin/nodetool;
// nodetoolfake.Fake stands in for it in unit tests.
//
// Every method blocks until nodetool exits or ctx is done; on ctx done the nodetool process group
// is killed and the error is an *Error with Kind ErrTimeout (deadline) or wrapping
// context.Canceled. Failures are *Error values; test them with errors.Is(err, ErrX).
type Controller interface {
	// Status runs `nodetool status`.
	Status(ctx context.Context) (*Status, error)
	// StatusKeyspace runs `nodetool status <keyspace>` (effective ownership for that keyspace).
	StatusKeyspace(ctx context.Context, keyspace string) (*Status, error)
	// Info runs `nodetool info`.
	Info(ctx context.Context) (*Info, error)
	// DescribeRing runs `nodetool describering <keyspace>`.
	DescribeRing(ctx context.Context, keyspace string) (*RingDescription, error)
	// Ring runs `nodetool ring`.
	Ring(ctx context.Context) (*Ring, error)
	// Netstats runs `nodetool netstats`; its Mode is the node's operation mode.
	Netstats(ctx context.Context) (*Netstats, error)
	// DescribeCluster runs `nodetool describecluster`.
	DescribeCluster(ctx context.Context) (*ClusterDescription, error)
	// TableCounts runs `nodetool tablestats -F json` (tablestats.go): the number of tables of
	// each keyspace that has any.
	TableCounts(ctx context.Context) (map[string]int, error)
	// StatusBinary runs `nodetool statusbinary`: whether CQL (native transport) is running.
	StatusBinary(ctx context.Context) (bool, error)
	// StatusGossip runs `nodetool statusgossip`: whether gossip is running.
	StatusGossip(ctx context.Context) (bool, error)
	// Version runs `nodetool version` and returns the release version ("4.1.3").
	Version(ctx context.Context) (string, error)
	// Drain runs `nodetool drain`: flush memtables and stop accepting writes (mode DRAINED).
	Drain(ctx context.Context) error
	// Decommission runs `nodetool decommission` (with --force when force is set; 4.0+ only) on
	// this node, streaming its data away. It blocks until the node is DECOMMISSIONED.
	Decommission(ctx context.Context, force bool) error
	// RemoveNode runs `nodetool removenode <hostID>` for a dead node, from this live node.
	RemoveNode(ctx context.Context, hostID string) error
	// RemoveNodeStatus runs `nodetool removenode status` and returns its text
	// ("RemovalStatus: No removals in process.").
	RemoveNodeStatus(ctx context.Context) (string, error)
	// RemoveNodeForce runs `nodetool removenode force`.
	RemoveNodeForce(ctx context.Context) error
	// Cleanup runs `nodetool cleanup <keyspace> [tables...]`; keyspace "" cleans every keyspace.
	Cleanup(ctx context.Context, keyspace string, tables ...string) error
	// Flush runs `nodetool flush <keyspace> [tables...]`; keyspace "" flushes every keyspace.
	Flush(ctx context.Context, keyspace string, tables ...string) error
	// Repair runs `nodetool repair ...` and calls progress (if not nil) on the calling goroutine
	// for each output line as it arrives. A failed repair returns an error matching
	// ErrRepairFailed.
	Repair(ctx context.Context, opts RepairOptions, progress func(RepairEvent)) error
	// EnableBinary, DisableBinary, EnableGossip and DisableGossip run the nodetool commands of
	// the same names.
	EnableBinary(ctx context.Context) error
	DisableBinary(ctx context.Context) error
	EnableGossip(ctx context.Context) error
	DisableGossip(ctx context.Context) error
	// GetAutoRepairConfig, AutoRepairStatus and SetAutoRepairEnabled run Cassandra 5's Auto
	// Repair commands (autorepair.go).
	GetAutoRepairConfig(ctx context.Context) (*AutoRepairConfig, error)
	AutoRepairStatus(ctx context.Context, repairType string) (*AutoRepairStatus, error)
	SetAutoRepairEnabled(ctx context.Context, repairType string, enabled bool) error
	// GetSeeds runs `nodetool getseeds`; ReloadSeeds `nodetool reloadseeds` (Cassandra 4.0+):
	// the seed IP addresses the node uses, without its own.
	GetSeeds(ctx context.Context) ([]string, error)
	ReloadSeeds(ctx context.Context) ([]string, error)
	// ReloadSSL runs `nodetool reloadssl` (Cassandra 4.0+): the node re-reads its keystores and
	// truststores and uses them for new connections.
	ReloadSSL(ctx context.Context) error
	// Rebuild runs `nodetool rebuild -- <source datacenter>`: streams this node's data from that
	// data centre (a node of a data centre added with auto_bootstrap false).
	Rebuild(ctx context.Context, sourceDC string) error
}

// Config says how to run nodetool.
type Config struct {
	// Path is the nodetool program, normally <cassandra_home>/bin/nodetool. Required.
	Path string
	// Host is the JMX host (-h); default 127.0.0.1.
	Host string
	// Port is the JMX port (-p); default 7199.
	Port int
	// Username and Password are JMX credentials (-u, -pw), optional. Note that the password is
	// then visible in the process list of the host: prefer PasswordFile.
	Username, Password string
	// PasswordFile is a file of "user password" lines nodetool reads the password from (-pwf);
	// it takes the place of Password (the executor's choice: no password on a command line).
	PasswordFile string
	// Env is added to the process environment (os.Environ()) as "KEY=value" entries, e.g.
	// JAVA_HOME or MAX_HEAP_SIZE for nodetool's own JVM.
	Env []string
	// KillGrace is how long to wait for the process's output pipes to close after it is killed
	// or exits; default 2s.
	KillGrace time.Duration
	// Logger gets one debug line per invocation; nil logs nothing.
	Logger *slog.Logger
}

// DefaultJMXPort is Cassandra's JMX port.
const DefaultJMXPort = 7199

// maxCapture caps how much of a stream is kept for parsing and error reports.
const maxCapture = 8 << 20

// Client runs a Cassandra distribution's bin/nodetool as a subprocess. It is safe for concurrent
// use; each call is its own process.
type Client struct {
	cfg Config
}

var _ Controller = (*Client)(nil)

// New returns a Client for cfg, with defaults filled in.
func New(cfg Config) (*Client, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("nodetool: Config.Path is empty: want <cassandra_home>/bin/nodetool")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultJMXPort
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("nodetool: Config.Port %d out of range 1-65535", cfg.Port)
	}
	if (cfg.Password != "" || cfg.PasswordFile != "") && cfg.Username == "" {
		return nil, fmt.Errorf("nodetool: Config.Password or PasswordFile set without Config.Username")
	}
	if cfg.Password != "" && cfg.PasswordFile != "" {
		return nil, fmt.Errorf("nodetool: give Config.Password or Config.PasswordFile, not both")
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = 2 * time.Second
	}
	return &Client{cfg: cfg}, nil
}

// Args returns the full argument list for a nodetool command: the global options (-h, -p, and
// -u with -pwf or -pw when set) and then the command's arguments.
func (c *Client) Args(cmd ...string) []string {
	args := []string{"-h", c.cfg.Host, "-p", strconv.Itoa(c.cfg.Port)}
	if c.cfg.Username != "" {
		args = append(args, "-u", c.cfg.Username)
		switch {
		case c.cfg.PasswordFile != "":
			args = append(args, "-pwf", c.cfg.PasswordFile)
		case c.cfg.Password != "":
			args = append(args, "-pw", c.cfg.Password)
		}
	}
	return append(args, cmd...)
}

// result is a finished nodetool run.
type result struct {
	stdout, stderr string
}

// run runs nodetool with cmd and returns its output, or an *Error. If onLine is not nil, stdout is
// read line by line and passed to it as it arrives (on this goroutine).
func (c *Client) run(ctx context.Context, onLine func(string), cmd ...string) (result, error) {
	name := strings.Join(cmd, " ")
	sub := ""
	if len(cmd) > 0 {
		sub = cmd[0]
	}
	if err := ctx.Err(); err != nil {
		return result{}, ctxError(name, err, "", "")
	}
	start := time.Now()
	p := exec.CommandContext(ctx, c.cfg.Path, c.Args(cmd...)...)
	p.Env = append(os.Environ(), c.cfg.Env...)
	p.Stdin = nil
	p.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.Cancel = func() error {
		// Kill the whole group: bin/nodetool is a shell script that starts a JVM.
		if p.Process == nil {
			return nil
		}
		if err := syscall.Kill(-p.Process.Pid, syscall.SIGKILL); err != nil {
			return p.Process.Kill()
		}
		return nil
	}
	p.WaitDelay = c.cfg.KillGrace
	stderr := &tailBuffer{max: maxCapture}
	p.Stderr = stderr
	stdout := &tailBuffer{max: maxCapture}
	var werr error
	if onLine == nil {
		p.Stdout = stdout
		if err := p.Start(); err != nil {
			return result{}, &Error{Cmd: name, ExitCode: -1, Kind: ErrNotStarted, Err: err}
		}
		werr = p.Wait()
	} else {
		var serr error
		if werr, serr = c.runStreaming(p, stdout, onLine); serr != nil {
			return result{}, &Error{Cmd: name, ExitCode: -1, Kind: ErrNotStarted, Err: serr}
		}
	}
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	if c.cfg.Logger != nil {
		c.cfg.Logger.Debug("nodetool", "cmd", name, "host", c.cfg.Host, "port", c.cfg.Port,
			"duration", time.Since(start), "err", werr)
	}
	if cerr := ctx.Err(); cerr != nil {
		return res, ctxError(name, cerr, res.stdout, res.stderr)
	}
	if werr != nil {
		var ee *exec.ExitError
		if !errors.As(werr, &ee) {
			if errors.Is(werr, exec.ErrWaitDelay) {
				// nodetool exited but something it started still holds its output open.
				return res, nil
			}
			return res, &Error{Cmd: name, ExitCode: -1, Stdout: res.stdout, Stderr: res.stderr, Err: werr}
		}
		code := ee.ExitCode()
		kind := classifyText(sub, res.stdout, res.stderr)
		if code < 0 {
			return res, &Error{Cmd: name, ExitCode: code, Stdout: res.stdout, Stderr: res.stderr, Kind: kind, Err: werr}
		}
		return res, &Error{Cmd: name, ExitCode: code, Stdout: res.stdout, Stderr: res.stderr, Kind: kind}
	}
	return res, nil
}

// runStreaming starts p with its stdout on a pipe, passes each line to onLine as it arrives
// (on this goroutine), and returns p.Wait's result once the process has exited and stdout is
// done: at EOF, or KillGrace after the exit if something the process started still holds the
// pipe open. startErr is set when p could not be started.
func (c *Client) runStreaming(p *exec.Cmd, stdout io.Writer, onLine func(string)) (waitErr, startErr error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.Stdout = pw
	if err := p.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, err
	}
	pw.Close()
	exited := make(chan struct{})
	var werr error
	go func() {
		werr = p.Wait()
		close(exited)
	}()
	r := &watchedReader{r: pr}
	readDone := make(chan struct{})
	go func() {
		// After the process has exited, close the pipe if a read stays blocked for a whole grace
		// period: the pipe is then empty and held open only by something the process left
		// behind. A read never blocks while data is buffered, so no output is lost.
		select {
		case <-exited:
		case <-readDone:
			return
		}
		t := time.NewTicker(c.cfg.KillGrace)
		defer t.Stop()
		last := r.reads.Load()
		for {
			select {
			case <-readDone:
				return
			case <-t.C:
				n := r.reads.Load()
				if n == last && r.blocked.Load() {
					pr.Close()
					return
				}
				last = n
			}
		}
	}()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxCapture)
	for sc.Scan() {
		line := sc.Text()
		_, _ = stdout.Write([]byte(line + "\n"))
		onLine(line)
	}
	// Drain whatever is left (an over-long line) so the process is not blocked on a full pipe.
	_, _ = io.Copy(stdout, r)
	close(readDone)
	<-exited
	pr.Close()
	return werr, nil
}

// watchedReader tells whether a Read is under way and counts completed reads.
type watchedReader struct {
	r       io.Reader
	blocked atomic.Bool
	reads   atomic.Int64
}

func (w *watchedReader) Read(p []byte) (int, error) {
	w.blocked.Store(true)
	n, err := w.r.Read(p)
	w.blocked.Store(false)
	w.reads.Add(1)
	return n, err
}

func ctxError(name string, cerr error, stdout, stderr string) *Error {
	e := &Error{Cmd: name, ExitCode: -1, Stdout: stdout, Stderr: stderr, Err: cerr}
	if errors.Is(cerr, context.DeadlineExceeded) {
		e.Kind = ErrTimeout
	}
	return e
}

// parsed runs cmd and parses its stdout with parse; a parse failure is an *Error of kind
// ErrBadOutput.
func parsed[T any](c *Client, ctx context.Context, parse func(string) (T, error), cmd ...string) (T, error) {
	var zero T
	res, err := c.run(ctx, nil, cmd...)
	if err != nil {
		return zero, err
	}
	v, perr := parse(res.stdout)
	if perr != nil {
		return zero, &Error{Cmd: strings.Join(cmd, " "), ExitCode: 0, Stdout: res.stdout, Stderr: res.stderr, Kind: ErrBadOutput, Err: perr}
	}
	return v, nil
}

func (c *Client) plain(ctx context.Context, cmd ...string) error {
	_, err := c.run(ctx, nil, cmd...)
	return err
}

// checkArg rejects arguments nodetool would take for options or that cannot be names.
func checkArg(what, v string) error {
	if v == "" {
		return fmt.Errorf("nodetool: %s is empty", what)
	}
	if strings.HasPrefix(v, "-") || strings.ContainsAny(v, " \t\r\n\x00") {
		return fmt.Errorf("nodetool: %s %q is not a valid name", what, v)
	}
	return nil
}

// Status runs `nodetool status`.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	return parsed(c, ctx, ParseStatus, "status")
}

// StatusKeyspace runs `nodetool status <keyspace>`.
func (c *Client) StatusKeyspace(ctx context.Context, keyspace string) (*Status, error) {
	if err := checkArg("keyspace", keyspace); err != nil {
		return nil, err
	}
	return parsed(c, ctx, ParseStatus, "status", keyspace)
}

// Info runs `nodetool info`.
func (c *Client) Info(ctx context.Context) (*Info, error) {
	return parsed(c, ctx, ParseInfo, "info")
}

// DescribeRing runs `nodetool describering <keyspace>`.
func (c *Client) DescribeRing(ctx context.Context, keyspace string) (*RingDescription, error) {
	if err := checkArg("keyspace", keyspace); err != nil {
		return nil, err
	}
	return parsed(c, ctx, ParseDescribeRing, "describering", keyspace)
}

// Ring runs `nodetool ring`.
func (c *Client) Ring(ctx context.Context) (*Ring, error) {
	return parsed(c, ctx, ParseRing, "ring")
}

// Netstats runs `nodetool netstats`.
func (c *Client) Netstats(ctx context.Context) (*Netstats, error) {
	return parsed(c, ctx, ParseNetstats, "netstats")
}

// DescribeCluster runs `nodetool describecluster`.
func (c *Client) DescribeCluster(ctx context.Context) (*ClusterDescription, error) {
	return parsed(c, ctx, ParseDescribeCluster, "describecluster")
}

// StatusBinary runs `nodetool statusbinary`.
func (c *Client) StatusBinary(ctx context.Context) (bool, error) {
	return parsed(c, ctx, ParseRunning, "statusbinary")
}

// StatusGossip runs `nodetool statusgossip`.
func (c *Client) StatusGossip(ctx context.Context) (bool, error) {
	return parsed(c, ctx, ParseRunning, "statusgossip")
}

// Version runs `nodetool version`.
func (c *Client) Version(ctx context.Context) (string, error) {
	return parsed(c, ctx, ParseVersion, "version")
}

// Drain runs `nodetool drain`.
func (c *Client) Drain(ctx context.Context) error { return c.plain(ctx, "drain") }

// Decommission runs `nodetool decommission [--force]`.
func (c *Client) Decommission(ctx context.Context, force bool) error {
	if force {
		return c.plain(ctx, "decommission", "--force")
	}
	return c.plain(ctx, "decommission")
}

// Rebuild runs `nodetool rebuild -- <sourceDC>`.
func (c *Client) Rebuild(ctx context.Context, sourceDC string) error {
	if err := checkArg("rebuild source datacenter", sourceDC); err != nil {
		return err
	}
	return c.plain(ctx, "rebuild", "--", sourceDC)
}

// RemoveNode runs `nodetool removenode <hostID>`.
func (c *Client) RemoveNode(ctx context.Context, hostID string) error {
	if !isUUID(hostID) {
		return fmt.Errorf("nodetool: host ID %q is not a UUID", hostID)
	}
	return c.plain(ctx, "removenode", hostID)
}

// RemoveNodeStatus runs `nodetool removenode status`.
func (c *Client) RemoveNodeStatus(ctx context.Context) (string, error) {
	res, err := c.run(ctx, nil, "removenode", "status")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(res.stdout), nil
}

// RemoveNodeForce runs `nodetool removenode force`.
func (c *Client) RemoveNodeForce(ctx context.Context) error {
	return c.plain(ctx, "removenode", "force")
}

func keyspaceTables(cmd, keyspace string, tables []string) ([]string, error) {
	args := []string{cmd}
	if keyspace == "" {
		if len(tables) > 0 {
			return nil, fmt.Errorf("nodetool %s: tables given without a keyspace", cmd)
		}
		return args, nil
	}
	if err := checkArg("keyspace", keyspace); err != nil {
		return nil, err
	}
	args = append(args, keyspace)
	for _, t := range tables {
		if err := checkArg("table", t); err != nil {
			return nil, err
		}
		args = append(args, t)
	}
	return args, nil
}

// Cleanup runs `nodetool cleanup [<keyspace> [tables...]]`.
func (c *Client) Cleanup(ctx context.Context, keyspace string, tables ...string) error {
	args, err := keyspaceTables("cleanup", keyspace, tables)
	if err != nil {
		return err
	}
	return c.plain(ctx, args...)
}

// Flush runs `nodetool flush [<keyspace> [tables...]]`.
func (c *Client) Flush(ctx context.Context, keyspace string, tables ...string) error {
	args, err := keyspaceTables("flush", keyspace, tables)
	if err != nil {
		return err
	}
	return c.plain(ctx, args...)
}

// EnableBinary runs `nodetool enablebinary`.
func (c *Client) EnableBinary(ctx context.Context) error { return c.plain(ctx, "enablebinary") }

// DisableBinary runs `nodetool disablebinary`.
func (c *Client) DisableBinary(ctx context.Context) error { return c.plain(ctx, "disablebinary") }

// EnableGossip runs `nodetool enablegossip`.
func (c *Client) EnableGossip(ctx context.Context) error { return c.plain(ctx, "enablegossip") }

// ReloadSSL runs `nodetool reloadssl`.
func (c *Client) ReloadSSL(ctx context.Context) error { return c.plain(ctx, "reloadssl") }

// DisableGossip runs `nodetool disablegossip`.
func (c *Client) DisableGossip(ctx context.Context) error { return c.plain(ctx, "disablegossip") }

// RepairOptions are the arguments of `nodetool repair`.
type RepairOptions struct {
	// Keyspace to repair. Required.
	Keyspace string
	// Tables to repair; empty means every table of the keyspace.
	Tables []string
	// Full runs a full repair (--full) instead of an incremental one (nodetool's default).
	Full bool
	// PrimaryRange repairs only the ranges this node is primary for (-pr).
	PrimaryRange bool
	// StartToken and EndToken restrict the repair to the range (StartToken, EndToken] (-st, -et).
	// Both or neither.
	StartToken, EndToken string
	// Sequential (-seq) and DCParallel (-dcpar) choose the parallelism; neither means parallel.
	Sequential, DCParallel bool
	// LocalDC restricts the repair to this node's datacenter (-local).
	LocalDC bool
	// Datacenters restricts the repair to these datacenters (-dc, repeated).
	Datacenters []string
	// JobThreads is the number of tables repaired at once (-j, 1-4); 0 leaves nodetool's default.
	JobThreads int
}

// Args returns the nodetool command line for these options: "repair", the options, the
// keyspace and the tables.
func (o RepairOptions) Args() ([]string, error) {
	if err := checkArg("RepairOptions.Keyspace", o.Keyspace); err != nil {
		return nil, err
	}
	if (o.StartToken == "") != (o.EndToken == "") {
		return nil, fmt.Errorf("nodetool repair: StartToken and EndToken must be given together")
	}
	if o.Sequential && o.DCParallel {
		return nil, fmt.Errorf("nodetool repair: Sequential and DCParallel exclude each other")
	}
	if o.JobThreads < 0 || o.JobThreads > 4 {
		return nil, fmt.Errorf("nodetool repair: JobThreads %d out of range 0-4", o.JobThreads)
	}
	if o.LocalDC && len(o.Datacenters) > 0 {
		return nil, fmt.Errorf("nodetool repair: LocalDC and Datacenters exclude each other")
	}
	args := []string{"repair"}
	if o.Full {
		args = append(args, "--full")
	}
	if o.PrimaryRange {
		args = append(args, "-pr")
	}
	if o.StartToken != "" {
		for _, t := range []string{o.StartToken, o.EndToken} {
			if strings.ContainsAny(t, " \t\r\n\x00") {
				return nil, fmt.Errorf("nodetool repair: token %q contains white space", t)
			}
		}
		args = append(args, "-st", o.StartToken, "-et", o.EndToken)
	}
	if o.Sequential {
		args = append(args, "-seq")
	}
	if o.DCParallel {
		args = append(args, "-dcpar")
	}
	if o.LocalDC {
		args = append(args, "-local")
	}
	for _, dc := range o.Datacenters {
		if err := checkArg("datacenter", dc); err != nil {
			return nil, err
		}
		args = append(args, "-dc", dc)
	}
	if o.JobThreads > 0 {
		args = append(args, "-j", strconv.Itoa(o.JobThreads))
	}
	args = append(args, o.Keyspace)
	for _, t := range o.Tables {
		if err := checkArg("table", t); err != nil {
			return nil, err
		}
		args = append(args, t)
	}
	return args, nil
}

// Repair runs `nodetool repair` and streams its progress.
func (c *Client) Repair(ctx context.Context, opts RepairOptions, progress func(RepairEvent)) error {
	args, err := opts.Args()
	if err != nil {
		return err
	}
	var failure *RepairEvent
	_, err = c.run(ctx, func(line string) {
		if strings.TrimSpace(line) == "" {
			return
		}
		ev, perr := ParseRepairLine(line)
		if perr != nil {
			ev = RepairEvent{Kind: RepairOther, Message: strings.TrimSpace(line), Progress: -1, Line: line}
		}
		if ev.Failure() && failure == nil {
			f := ev
			failure = &f
		}
		if progress != nil {
			progress(ev)
		}
	}, args...)
	if err != nil {
		return err
	}
	if failure != nil {
		msg := failure.Error
		if msg == "" {
			msg = failure.Message
		}
		return &Error{Cmd: strings.Join(args, " "), ExitCode: 0, Kind: ErrRepairFailed, Err: errors.New(msg)}
	}
	return nil
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	b.buf.Write(p)
	if b.buf.Len() > b.max {
		drop := b.buf.Len() - b.max
		b.buf.Next(drop)
		b.dropped += drop
	}
	return n, nil
}

func (b *tailBuffer) String() string {
	if b.dropped == 0 {
		return b.buf.String()
	}
	return fmt.Sprintf("[%d bytes dropped]\n", b.dropped) + b.buf.String()
}
