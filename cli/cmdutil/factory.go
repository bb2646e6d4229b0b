package cmdutil

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/cassmesos/cassmesos/cli/config"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/internal/version"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// DefaultServer is the daemon address used when nothing else names one.
const DefaultServer = "127.0.0.1:9090"

// DefaultRequestTimeout bounds one request when --timeout is not given.
const DefaultRequestTimeout = 30 * time.Second

// CompletionTimeout bounds the requests made for shell completion, so a dead server does not hang the shell.
const CompletionTimeout = 2 * time.Second

// Globals are the values of the root command's persistent flags.
type Globals struct {
	Server  string        // --server
	Context string        // --context
	Timeout time.Duration // --timeout; 0: DefaultRequestTimeout per request, no limit for --wait
	Output  string        // -o
	// Credentials: --ca, --cert, --key, --token, --insecure (see Factory.Security).
	CA, Cert, Key, Token string
	Insecure             bool
}

// Factory gives commands what they need, each piece evaluated lazily so a command that never
// talks to the daemon never dials, and a broken config file only fails commands that read it.
// Tests replace the function fields.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Globals   *Globals
	// Now is the clock (ages in tables, timestamps of progress lines).
	Now func() time.Time
	// Getenv reads the environment.
	Getenv func(string) string
	// ConfigPath is where the config file lives.
	ConfigPath func() (string, error)
	// Config reads the config file.
	Config func() (*config.File, error)
	// Conn is the connection to the daemon.
	Conn func() (*Conn, error)
}

// New returns the production Factory.
func New(ios *iostreams.IOStreams) *Factory {
	f := &Factory{
		IOStreams:  ios,
		Globals:    &Globals{},
		Now:        time.Now,
		Getenv:     os.Getenv,
		ConfigPath: config.Path,
	}
	f.Config = ConfigLoader(func() (string, error) { return f.ConfigPath() })
	f.Conn = dialOnce(f, func(addr string) (*grpc.ClientConn, error) {
		sec, err := f.Security()
		if err != nil {
			return nil, err
		}
		opts, err := sec.DialOptions()
		if err != nil {
			return nil, err
		}
		return grpc.NewClient(addr, append(opts, grpc.WithUserAgent("cassmesos/"+version.Version))...)
	})
	return f
}

// ConfigLoader returns a Config function that reads the file at path() once; a broken file is a
// ConfigError naming the path.
func ConfigLoader(path func() (string, error)) func() (*config.File, error) {
	var (
		once sync.Once
		file *config.File
		err  error
	)
	return func() (*config.File, error) {
		once.Do(func() {
			var p string
			p, err = path()
			if err != nil {
				err = &ConfigError{Path: "(unknown)", Err: err}
				return
			}
			file, err = config.Load(p)
			if err != nil {
				err = &ConfigError{Path: p, Err: err}
			}
		})
		return file, err
	}
}

// DialOnce returns a Conn function that dials the resolved server address on first use.
func dialOnce(f *Factory, dial DialFunc) func() (*Conn, error) {
	var (
		once sync.Once
		conn *Conn
		err  error
	)
	return func() (*Conn, error) {
		once.Do(func() {
			var addr string
			addr, err = f.ServerAddress()
			if err != nil {
				return
			}
			conn, err = NewConn(addr, dial)
		})
		return conn, err
	}
}

// WithDialer makes f dial through dial (tests: bufconn).
func (f *Factory) WithDialer(dial DialFunc) {
	f.Conn = dialOnce(f, dial)
}

// ServerAddress resolves the daemon address: --server, then the --context's server, then
// $CASSMESOS_SERVER, then the current context's server, then DefaultServer.
func (f *Factory) ServerAddress() (string, error) {
	g := f.Globals
	if g.Server != "" {
		return g.Server, nil
	}
	if g.Context != "" {
		cfg, err := f.Config()
		if err != nil {
			return "", err
		}
		c, ok := cfg.Context(g.Context)
		if !ok {
			return "", FlagErrorf("--context %q: no such context in the config file (see `cassmesos config view`)", g.Context)
		}
		return c.Server, nil
	}
	if s := f.Getenv("CASSMESOS_SERVER"); s != "" {
		return s, nil
	}
	cfg, err := f.Config()
	if err != nil {
		return "", err
	}
	if c, ok := cfg.Current(); ok {
		return c.Server, nil
	}
	return DefaultServer, nil
}

// Rings returns a RingService client.
func (f *Factory) Rings() (pb.RingServiceClient, error) {
	c, err := f.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewRingServiceClient(c), nil
}

// Nodes returns a NodeService client.
func (f *Factory) Nodes() (pb.NodeServiceClient, error) {
	c, err := f.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewNodeServiceClient(c), nil
}

// Operations returns an OperationService client.
func (f *Factory) Operations() (pb.OperationServiceClient, error) {
	c, err := f.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewOperationServiceClient(c), nil
}

// Repairs returns a RepairService client.
func (f *Factory) Repairs() (pb.RepairServiceClient, error) {
	c, err := f.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewRepairServiceClient(c), nil
}

// Cleanups returns a CleanupService client.
func (f *Factory) Cleanups() (pb.CleanupServiceClient, error) {
	c, err := f.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewCleanupServiceClient(c), nil
}

// Backups returns a BackupService client.
func (f *Factory) Backups() (pb.BackupServiceClient, error) {
	c, err := f.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewBackupServiceClient(c), nil
}

// System returns a SystemService client.
func (f *Factory) System() (pb.SystemServiceClient, error) {
	c, err := f.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewSystemServiceClient(c), nil
}

// Audit returns an AuditService client.
func (f *Factory) Audit() (pb.AuditServiceClient, error) {
	c, err := f.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewAuditServiceClient(c), nil
}

// Events returns an EventService client.
func (f *Factory) Events() (pb.EventServiceClient, error) {
	c, err := f.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewEventServiceClient(c), nil
}

// RequestContext bounds one request by --timeout (DefaultRequestTimeout when unset).
func (f *Factory) RequestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := f.Globals.Timeout
	if d <= 0 {
		d = DefaultRequestTimeout
	}
	return context.WithTimeout(ctx, d)
}

// CompletionContext bounds a completion request.
func CompletionContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, CompletionTimeout)
}
