package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/docgen"
	"github.com/cassmesos/cassmesos/cli/help"
	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// run executes args through Run with CASSMESOS_SERVER pointing at the fake daemon.
func run(e *clitest.Env, env map[string]string, args ...string) int {
	if env == nil {
		env = map[string]string{"CASSMESOS_SERVER": clitest.Addr}
	}
	e.F.Getenv = func(k string) string { return env[k] }
	return Run(context.Background(), e.F, args)
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, s := range c.Commands() {
		walk(s, fn)
	}
}

func TestCommandTreeSanity(t *testing.T) {
	e := clitest.New(t)
	root := NewCmdRoot(e.F)
	useRE := regexp.MustCompile(`^[a-z][a-z0-9-]*( (<[a-z][a-z0-9:-]*>|\[[^\]]+\]|\{[^}]+\}|--[a-z-]+ <[a-z:-]+>|<command>|<verb>))*( \[flags\])?$`)
	flagRE := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	groups := map[string]bool{}
	for _, c := range root.Commands() {
		groups[c.Name()] = true
	}
	for _, want := range []string{"ring", "node", "repair", "cleanup", "op", "config", "completion", "version"} {
		if !groups[want] {
			t.Errorf("root lacks the %s command", want)
		}
	}
	walk(root, func(c *cobra.Command) {
		if c.Name() == "help" || c.Name() == "__complete" || c.Name() == "__completeNoDesc" {
			return
		}
		path := c.CommandPath()
		if c.Short == "" || !unicode.IsUpper([]rune(c.Short)[0]) || strings.HasSuffix(c.Short, ".") {
			t.Errorf("%s: Short %q must start with a capital letter and have no full stop", path, c.Short)
		}
		if c != root && !useRE.MatchString(c.Use) {
			t.Errorf("%s: Use %q does not follow `name <required> [optional] {a|b}`", path, c.Use)
		}
		if c.RunE == nil && c.Run == nil {
			t.Errorf("%s: not runnable", path)
		}
		c.LocalFlags().VisitAll(func(fl *pflag.Flag) {
			if !flagRE.MatchString(fl.Name) {
				t.Errorf("%s: flag --%s is not lower-case and hyphenated", path, fl.Name)
			}
			if fl.Usage == "" || !unicode.IsUpper([]rune(fl.Usage)[0]) && fl.Name != "help" {
				t.Errorf("%s: flag --%s usage %q must start with a capital letter", path, fl.Name, fl.Usage)
			}
		})
		for _, f := range cmdutil.OutputFormats(c) {
			if err := cmdutil.ValidateOutput(c, f); err != nil {
				t.Errorf("%s: -o %s: %v", path, f, err)
			}
		}
		if cmdutil.ValidateOutput(c, "bogus") == nil {
			t.Errorf("%s accepts -o bogus", path)
		}
		if fl := c.Flags().Lookup("wait"); fl != nil {
			if formats := cmdutil.OutputFormats(c); !strings.Contains(strings.Join(formats, ","), "json") {
				t.Errorf("%s has --wait but not -o json", path)
			}
		}
	})
}

func TestBadInput(t *testing.T) {
	cfgDir := t.TempDir()
	broken := filepath.Join(cfgDir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("contexts: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		config   string
		wantCode int
		wantErr  string
	}{
		{name: "unknown flag", args: []string{"ring", "list", "--colour"}, wantCode: 2, wantErr: "error: unknown flag: --colour (see `cassmesos ring list --help`)"},
		{name: "unknown command", args: []string{"rings"}, wantCode: 2, wantErr: `error: unknown command "rings" for "cassmesos"`},
		{name: "unknown verb", args: []string{"ring", "grow"}, wantCode: 2, wantErr: `error: unknown command "grow" for "cassmesos ring"`},
		{name: "bad -o", args: []string{"ring", "list", "-o", "xml"}, wantCode: 2, wantErr: `error: invalid value "xml" for -o: want one of table|wide|json|yaml|name`},
		{name: "-o on a verb without it", args: []string{"config", "current-context", "-o", "json"}, wantCode: 2, wantErr: `does not take -o`},
		{name: "bad timeout", args: []string{"ring", "list", "--timeout", "soon"}, wantCode: 2, wantErr: `invalid argument "soon" for "--timeout"`},
		{name: "missing argument", args: []string{"ring", "status"}, wantCode: 2, wantErr: "error: cassmesos ring status needs a ring name"},
		{name: "unreachable", args: []string{"ring", "list", "--server", "down:9090"}, wantCode: 3,
			wantErr: "error: listing rings: cannot reach cassmesosd at down:9090: connection refused; set the address with --server, CASSMESOS_SERVER or `cassmesos config set-context`"},
		{name: "unimplemented", args: []string{"ring", "list"}, wantCode: 10,
			wantErr: "error: listing rings: the server at fake:9090 does not implement cassmesos.v1.RingService/ListRings (an older cassmesosd?)"},
		{name: "malformed config", args: []string{"ring", "list"}, env: map[string]string{"CASSMESOS_CONFIG": broken}, config: broken, wantCode: 2,
			wantErr: "error: config file " + broken + ": yaml: line 1: did not find expected node content"},
		{name: "unknown context", args: []string{"ring", "list", "--context", "nope"}, wantCode: 2, wantErr: `error: --context "nope": no such context`},
		{name: "delete without --yes in a pipe", args: []string{"ring", "delete", "demo"}, wantCode: 2,
			wantErr: "error: refusing to delete ring demo without --yes: stdin is not a terminal"},
		{name: "intensity", args: []string{"repair", "run", "demo", "--intensity", "1.5"}, wantCode: 2, wantErr: "error: --intensity: want a number in (0, 1], got 1.5"},
		{name: "window", args: []string{"repair", "schedule", "create", "demo", "--every", "1d", "--window", "1-6"}, wantCode: 2, wantErr: `error: --window: "1-6": want HH:MM-HH:MM`},
		{name: "cron", args: []string{"repair", "schedule", "create", "demo", "--cron", "0 2 * *"}, wantCode: 2, wantErr: `error: --cron: "0 2 * *": expected exactly 5 fields`},
		{name: "full and incremental", args: []string{"repair", "run", "demo", "--full", "--incremental"}, wantCode: 2, wantErr: "error: --full and --incremental cannot be used together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			if tc.config != "" {
				e.F.Config = cmdutil.ConfigLoader(func() (string, error) { return tc.config, nil })
			}
			code := run(e, tc.env, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.wantCode, e.ErrOut.String())
			}
			got := e.ErrOut.String()
			if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "error: ") {
				t.Errorf("stderr is not one error line: %q", got)
			}
			if !strings.Contains(got, tc.wantErr) {
				t.Errorf("stderr %q\nwant it to contain %q", got, tc.wantErr)
			}
		})
	}
}

func TestExitCodeMapping(t *testing.T) {
	for _, tc := range []struct {
		code codes.Code
		want int
	}{
		{codes.OK, 0}, {codes.InvalidArgument, 2}, {codes.OutOfRange, 2}, {codes.Unavailable, 3}, {codes.NotFound, 4},
		{codes.AlreadyExists, 5}, {codes.FailedPrecondition, 5}, {codes.Aborted, 5},
		{codes.DeadlineExceeded, 8}, {codes.Unimplemented, 10}, {codes.Canceled, 130}, {codes.Unauthenticated, 11}, {codes.PermissionDenied, 11}, {codes.Internal, 1},
		{codes.Unknown, 1}, {codes.DataLoss, 1}, {codes.ResourceExhausted, 1},
	} {
		err := status.Error(tc.code, "x")
		if tc.code == codes.OK {
			err = nil
		}
		if got := cmdutil.ExitCode(err); got != tc.want {
			t.Errorf("%v: exit %d, want %d", tc.code, got, tc.want)
		}
	}
	for _, tc := range []struct {
		err  error
		want int
	}{
		{&cmdutil.FlagError{Err: context.Canceled}, 2},
		{&cmdutil.ConfigError{Path: "p", Err: context.Canceled}, 2},
		{&cmdutil.UnreachableError{Addr: "a", Err: status.Error(codes.Unavailable, "x")}, 3},
		{&cmdutil.OperationError{ID: "1"}, 6},
		{&cmdutil.OperationError{ID: "1", Cancelled: true}, 7},
		{&cmdutil.TimeoutError{What: "x"}, 8},
		{&cmdutil.RepairRunningError{Ring: "r", Err: status.Error(codes.FailedPrecondition, "x")}, 9},
		{&cmdutil.UnimplementedError{Err: status.Error(codes.Unimplemented, "x")}, 10},
		{&cmdutil.InterruptedError{}, 130},
		{&cmdutil.SilentError{Err: &cmdutil.UnreachableError{}}, 3},
		{cmdutil.ErrCancelled, 1},
		{context.DeadlineExceeded, 8},
		{os.ErrNotExist, 1},
	} {
		if got := cmdutil.ExitCode(tc.err); got != tc.want {
			t.Errorf("%T %v: exit %d, want %d", tc.err, tc.err, got, tc.want)
		}
	}
	// Every documented code is distinct and in ascending order.
	for i := 1; i < len(cmdutil.ExitCodes); i++ {
		if cmdutil.ExitCodes[i].Code <= cmdutil.ExitCodes[i-1].Code {
			t.Errorf("exit code table out of order at %d", cmdutil.ExitCodes[i].Code)
		}
	}
}

// standby answers every call with Unavailable and the leader's address.
func standbyServer(viaDetail bool) *clitest.Server {
	refuse := func(ctx context.Context) error {
		if viaDetail {
			st, _ := status.New(codes.Unavailable, "standby").WithDetails()
			p := st.Proto()
			p.Details = append(p.Details, &anypb.Any{TypeUrl: "type.googleapis.com/google.rpc.ErrorInfo",
				Value: cmdutil.AppendErrorInfo("NOT_LEADER", map[string]string{"leader": "leader:9090"})})
			return status.FromProto(p).Err()
		}
		_ = grpc.SetTrailer(ctx, metadata.Pairs(cmdutil.LeaderMetadataKey, "leader:9090"))
		return status.Error(codes.Unavailable, "this daemon is a standby")
	}
	return &clitest.Server{
		ListRingsFn: func(ctx context.Context, _ *pb.ListRingsRequest) (*pb.ListRingsResponse, error) {
			return nil, refuse(ctx)
		},
		WatchOperationFn: func(_ *pb.WatchOperationRequest, s grpc.ServerStreamingServer[pb.WatchOperationResponse]) error {
			return refuse(s.Context())
		},
	}
}

func TestStandbyRedirectsToLeader(t *testing.T) {
	for _, viaDetail := range []bool{false, true} {
		ls := &clitest.Listeners{}
		ls.Serve(t, "standby:9090", standbyServer(viaDetail))
		ls.Serve(t, "leader:9090", &clitest.Server{
			ListRingsFn: func(context.Context, *pb.ListRingsRequest) (*pb.ListRingsResponse, error) {
				return &pb.ListRingsResponse{Rings: []*pb.Ring{{Spec: &pb.RingSpec{Name: "demo"}}}}, nil
			},
			WatchOperationFn: func(in *pb.WatchOperationRequest, s grpc.ServerStreamingServer[pb.WatchOperationResponse]) error {
				return s.Send(&pb.WatchOperationResponse{Operation: &pb.Operation{Id: in.Id, Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED}})
			},
		})
		for _, args := range [][]string{{"ring", "list", "-o", "name"}, {"op", "watch", "0001", "-o", "name"}} {
			e := clitest.New(t)
			e.F.WithDialer(ls.Dial)
			code := run(e, map[string]string{"CASSMESOS_SERVER": "standby:9090"}, args...)
			if code != 0 {
				t.Fatalf("%v (detail=%v): exit %d: %s", args, viaDetail, code, e.ErrOut.String())
			}
			if got := e.Out.String(); got != "ring/demo\n" && got != "operation/0001\n" {
				t.Fatalf("%v: stdout %q", args, got)
			}
		}
	}
	// A standby whose leader is down: the error names the leader's address.
	ls := &clitest.Listeners{}
	ls.Serve(t, "standby:9090", standbyServer(false))
	e := clitest.New(t)
	e.F.WithDialer(ls.Dial)
	if code := run(e, map[string]string{"CASSMESOS_SERVER": "standby:9090"}, "ring", "list"); code != 3 || !strings.Contains(e.ErrOut.String(), "leader:9090") {
		t.Fatalf("exit %d, stderr %q", code, e.ErrOut.String())
	}
}

func TestDynamicCompletion(t *testing.T) {
	e := clitest.New(t)
	e.Srv.ListRingsFn = func(context.Context, *pb.ListRingsRequest) (*pb.ListRingsResponse, error) {
		return &pb.ListRingsResponse{Rings: []*pb.Ring{{Spec: &pb.RingSpec{Name: "demo"}}, {Spec: &pb.RingSpec{Name: "prod"}}}}, nil
	}
	e.Srv.ListNodesFn = func(_ context.Context, in *pb.ListNodesRequest) (*pb.ListNodesResponse, error) {
		return &pb.ListNodesResponse{Nodes: []*pb.Node{{Name: "demo-0", Ring: "demo"}, {Name: "demo-1", Ring: "demo"}}}, nil
	}
	e.Srv.ListOperationsFn = func(context.Context, *pb.ListOperationsRequest) (*pb.ListOperationsResponse, error) {
		return &pb.ListOperationsResponse{Operations: []*pb.Operation{{Id: "0007", Kind: pb.OperationKind_OPERATION_KIND_REPAIR, Ring: "demo"}}}, nil
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "ring", "status", "d"}, "demo\n:4\n"},
		{[]string{"__complete", "node", "restart", ""}, "demo-0\tdemo\ndemo-1\tdemo\n:4\n"},
		{[]string{"__complete", "op", "watch", ""}, "0007\trepair demo\n:4\n"},
		{[]string{"__complete", "node", "list", "--ring", "p"}, "prod\n:4\n"},
		{[]string{"__complete", "ring", "list", "-o", ""}, "table\nwide\njson\nyaml\nname\n:4\n"},
	} {
		e.Out.Reset()
		if code := run(e, nil, tc.args...); code != 0 {
			t.Fatalf("%v: exit %d", tc.args, code)
		}
		clitest.Diff(t, strings.Join(tc.args, " "), e.Out.String(), tc.want)
	}
	// A dead server completes nothing, quickly.
	e2 := clitest.New(t)
	start := time.Now()
	if code := run(e2, map[string]string{"CASSMESOS_SERVER": "down:9090"}, "__complete", "ring", "status", ""); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if d := time.Since(start); d > cmdutil.CompletionTimeout+time.Second {
		t.Fatalf("completion against a dead server took %v", d)
	}
	clitest.Diff(t, "dead server", e2.Out.String(), ":4\n")
}

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "__start_cassmesos", "zsh": "#compdef cassmesos", "fish": "complete -c cassmesos", "powershell": "Register-ArgumentCompleter"} {
		e := clitest.New(t)
		if code := run(e, nil, "completion", shell); code != 0 {
			t.Fatalf("%s: exit %d: %s", shell, code, e.ErrOut.String())
		}
		if !strings.Contains(e.Out.String(), marker) {
			t.Errorf("%s script lacks %q", shell, marker)
		}
	}
	e := clitest.New(t)
	if code := run(e, nil, "completion", "tcsh"); code != 2 {
		t.Fatalf("tcsh: exit %d", code)
	}
}

func TestHelpExitCodes(t *testing.T) {
	e := clitest.New(t)
	if code := run(e, nil, "help", "exit-codes"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	clitest.Diff(t, "help exit-codes", e.Out.String(), help.ExitCodesText())
	if !strings.Contains(e.Out.String(), "  9    repair-running ") {
		t.Fatalf("table lacks code 9:\n%s", e.Out.String())
	}
}

func TestConfigCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cassmesos", "config.yaml")
	newEnv := func() *clitest.Env {
		e := clitest.New(t)
		e.F.ConfigPath = func() (string, error) { return path, nil }
		e.F.Config = cmdutil.ConfigLoader(e.F.ConfigPath)
		return e
	}
	steps := []struct {
		args    []string
		code    int
		wantOut string
	}{
		{[]string{"config", "current-context"}, 1, ""},
		{[]string{"config", "set-context", "prod", "--server", "prod:9090"}, 0, "context prod added: prod:9090 (current)\n"},
		{[]string{"config", "set-context", "dev", "--server", "dev:9090"}, 0, "context dev added: dev:9090\n"},
		{[]string{"config", "use-context", "dev"}, 0, "switched to context dev (dev:9090)\n"},
		{[]string{"config", "use-context", "nope"}, 2, ""},
		{[]string{"config", "set-context", "x", "--server", "nohostport"}, 2, ""},
		{[]string{"config", "current-context"}, 0, "dev\n"},
		{[]string{"config", "view"}, 0, "current-context: dev\ncontexts:\n  - name: prod\n    server: prod:9090\n  - name: dev\n    server: dev:9090\n"},
	}
	for _, s := range steps {
		e := newEnv()
		code := run(e, map[string]string{}, s.args...)
		if code != s.code {
			t.Fatalf("%v: exit %d, want %d (%s)", s.args, code, s.code, e.ErrOut.String())
		}
		clitest.Diff(t, strings.Join(s.args, " "), e.Out.String(), s.wantOut)
	}
	// The current context now names the server: version asks dev:9090, which is down.
	e := newEnv()
	if code := run(e, map[string]string{}, "version"); code != 3 || !strings.Contains(e.ErrOut.String(), "dev:9090") {
		t.Fatalf("exit %d, stderr %q", code, e.ErrOut.String())
	}
}

func TestVersion(t *testing.T) {
	e := clitest.New(t)
	e.Srv.GetVersionFn = func(context.Context, *pb.GetVersionRequest) (*pb.GetVersionResponse, error) {
		return &pb.GetVersionResponse{Version: "1.2.3", MesosVersion: "1.11.0", FrameworkName: "cassmesos", FrameworkId: "fw-1", IsLeader: true}, nil
	}
	if code := run(e, nil, "version"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut.String())
	}
	clitest.Diff(t, "version", e.Out.String(), "Client Version: dev\nServer Version: 1.2.3\nServer:         fake:9090 (leader)\nMesos Version:  1.11.0\nFramework:      cassmesos (fw-1)\n")
	e = clitest.New(t)
	if code := run(e, map[string]string{"CASSMESOS_SERVER": "down:1"}, "version", "-o", "json"); code != 3 {
		t.Fatalf("exit %d", code)
	}
	clitest.Diff(t, "version json", e.Out.String(), "{\n  \"clientVersion\": \"dev\"\n}\n")
	if got := e.ErrOut.String(); strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "warning: server version unknown: cannot reach cassmesosd at down:1") {
		t.Fatalf("stderr %q", got)
	}
}

// TestDocs fails when docs/cli.md or docs/exit-codes.md is stale.
// CASSMESOS_UPDATE_DOCS=1 go test ./cli -run TestDocs rewrites them.
func TestDocs(t *testing.T) {
	e := clitest.New(t)
	files := map[string]string{
		"../docs/cli.md":        docgen.Markdown(NewCmdRoot(e.F)),
		"../docs/exit-codes.md": help.ExitCodesMarkdown(),
	}
	for path, want := range files {
		if os.Getenv("CASSMESOS_UPDATE_DOCS") == "1" {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is stale; run CASSMESOS_UPDATE_DOCS=1 go test ./cli -run TestDocs", path)
		}
	}
}
