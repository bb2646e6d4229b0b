package clitest

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/config"
	"github.com/cassmesos/cassmesos/cli/iostreams"
)

// Now is the fixed clock of every test: 2026-11-23T10:00:00Z.
var Now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// Ago is a timestamp d before Now.
func Ago(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(Now.Add(-d)) }

type recorder struct {
	mu   sync.Mutex
	reqs []proto.Message
}

func (r *recorder) record(m proto.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, proto.Clone(m))
}

// Requests returns every request the fake received, in order.
func (r *recorder) Requests() []proto.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]proto.Message(nil), r.reqs...)
}

// Env is one test's CLI world: a Factory wired to buffer streams and a fake daemon.
type Env struct {
	F      *cmdutil.Factory
	Srv    *Server
	IO     *iostreams.IOStreams
	In     *bytes.Buffer
	Out    *bytes.Buffer
	ErrOut *bytes.Buffer
	// Config is what the Factory's Config returns.
	Config *config.File
}

// Listeners maps addresses to in-memory listeners, so tests can run several fake daemons.
type Listeners struct {
	mu sync.Mutex
	m  map[string]*bufconn.Listener
}

// Serve starts srv on an in-memory listener reachable at addr.
func (l *Listeners) Serve(t testing.TB, addr string, srv *Server) {
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	register(gs, srv)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*bufconn.Listener{}
	}
	l.m[addr] = lis
}

// Dial is a cmdutil.DialFunc reaching the listeners; an unknown address refuses connections.
func (l *Listeners) Dial(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			l.mu.Lock()
			lis := l.m[addr]
			l.mu.Unlock()
			if lis == nil {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errRefused}
			}
			return lis.DialContext(ctx)
		}))
}

type refused struct{}

func (refused) Error() string { return "connection refused" }

var errRefused error = refused{}

// Addr is the address of the fake daemon New starts.
const Addr = "fake:9090"

// New returns an Env whose Factory talks to a fresh fake daemon at Addr, with no terminal.
func New(t testing.TB) *Env {
	ios, in, out, errOut := iostreams.Test()
	e := &Env{Srv: &Server{}, IO: ios, In: in, Out: out, ErrOut: errOut, Config: &config.File{}}
	ls := &Listeners{}
	ls.Serve(t, Addr, e.Srv)
	f := &cmdutil.Factory{
		IOStreams:  ios,
		Globals:    &cmdutil.Globals{Server: Addr},
		Now:        func() time.Time { return Now },
		Getenv:     func(string) string { return "" },
		ConfigPath: func() (string, error) { return "/nonexistent/config.yaml", nil },
		Config:     func() (*config.File, error) { return e.Config, nil },
	}
	f.WithDialer(ls.Dial)
	e.F = f
	t.Cleanup(func() {
		if c, err := f.Conn(); err == nil {
			_ = c.Close()
		}
	})
	return e
}

// TTY marks every stream as a terminal, or none.
func (e *Env) TTY(v bool) *Env {
	e.IO.SetTTY(v)
	return e
}

// Exec runs cmd with args the way the root command would (no global flags), returning its error.
func Exec(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetIn(&bytes.Buffer{})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	cmd.SetFlagErrorFunc(cmdutil.FlagErrorFunc)
	_, err := cmd.ExecuteC()
	return err
}

// Diff fails t when got is not want, showing both.
func Diff(t testing.TB, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n--- got ---\n%s--- want ---\n%s", what, visible(got), visible(want))
	}
}

func visible(s string) string {
	return strings.ReplaceAll(s, "\x1b", `\x1b`)
}

// Split splits a command line on spaces, keeping 'single-quoted' parts together.
func Split(s string) []string {
	var (
		out   []string
		cur   strings.Builder
		quote bool
		has   bool
	)
	for _, r := range s {
		switch {
		case r == '\'':
			quote = !quote
			has = true
		case r == ' ' && !quote:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}
