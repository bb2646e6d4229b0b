package create

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/internal/clitest"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestNewCmdCreate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    string
		want    *pb.RingSpec
		dryRun  bool
		wait    bool
		wantErr string
	}{
		{
			name: "everything",
			args: "demo --nodes 3 --seeds 2 --cpus 1.5 --mem 8Gi --disk 4096 --heap 4096Mi --heap-new '800 MiB' " +
				"--jvm-opt -XX:+UseG1GC --jvm-opt -Dx=y --cassandra-version 4.1.5 --java-url file:///jre.tgz " +
				"--cluster-name Demo --num-tokens 8 --snitch SimpleSnitch --dc dc2 --rack-attribute zone " +
				"--constraint rack:SPREAD --constraint hostname:LIKE:db-.* --storage-port 7010 --jmx-port 7299 --native-port 9142 " +
				"--ephemeral-data --replace-after 2h --placement-timeout 5m --cleanup-after-grow --set concurrent_writes=64 --wait",
			wait: true,
			want: &pb.RingSpec{Name: "demo", Nodes: 3, Seeds: 2,
				Resources: &pb.Resources{Cpus: 1.5, MemMb: 8192, DiskMb: 4096}, HeapMb: 4096, HeapNewMb: 800,
				JvmOptions:   []string{"-XX:+UseG1GC", "-Dx=y"},
				Distribution: &pb.Distribution{Version: "4.1.5", JavaUrl: "file:///jre.tgz"},
				ClusterName:  "Demo", NumTokens: 8, Snitch: "SimpleSnitch", Datacenter: "dc2", RackAttribute: "zone",
				Constraints: []*pb.PlacementConstraint{
					{Attribute: "rack", Operator: pb.ConstraintOperator_CONSTRAINT_OPERATOR_SPREAD},
					{Attribute: "hostname", Operator: pb.ConstraintOperator_CONSTRAINT_OPERATOR_LIKE, Value: "db-.*"},
				},
				Ports:         &pb.Ports{Storage: 7010, Jmx: 7299, Native: 9142},
				EphemeralData: true, ReplaceAfter: durationpb.New(2 * time.Hour), PlacementTimeout: durationpb.New(5 * time.Minute),
				CleanupAfterGrow: true, CassandraYaml: map[string]string{"concurrent_writes": "64"}},
		},
		{
			name:   "minimal dry run",
			args:   "demo --nodes 1 --replace-after 0 --dry-run",
			dryRun: true,
			want: &pb.RingSpec{Name: "demo", Nodes: 1, Resources: &pb.Resources{}, Distribution: &pb.Distribution{},
				Ports: &pb.Ports{}, ReplaceAfter: durationpb.New(0)},
		},
		{
			name: "jmx port from offer",
			args: "demo --nodes 2 --jmx-port-from-offer",
			want: &pb.RingSpec{Name: "demo", Nodes: 2, Resources: &pb.Resources{}, Distribution: &pb.Distribution{},
				Ports: &pb.Ports{JmxFromOffer: true}},
		},
		{
			name: "encryption",
			args: "demo --nodes 2 --internode-encryption all --client-encryption Required",
			want: &pb.RingSpec{Name: "demo", Nodes: 2, Resources: &pb.Resources{}, Distribution: &pb.Distribution{}, Ports: &pb.Ports{},
				Encryption: &pb.Encryption{Internode: pb.InternodeEncryption_INTERNODE_ENCRYPTION_ALL, Client: pb.ClientEncryption_CLIENT_ENCRYPTION_REQUIRED}},
		},
		{
			name: "client encryption only",
			args: "demo --nodes 1 --client-encryption optional",
			want: &pb.RingSpec{Name: "demo", Nodes: 1, Resources: &pb.Resources{}, Distribution: &pb.Distribution{}, Ports: &pb.Ports{},
				Encryption: &pb.Encryption{Client: pb.ClientEncryption_CLIENT_ENCRYPTION_OPTIONAL}},
		},
		{name: "bad internode encryption", args: "demo --nodes 1 --internode-encryption yes", wantErr: `--internode-encryption: "yes": want one of none, dc, rack, all`},
		{name: "bad client encryption", args: "demo --nodes 1 --client-encryption tls", wantErr: `--client-encryption: "tls": want one of none, optional, required`},
		{name: "no name", args: "--nodes 3", wantErr: "needs a ring name"},
		{name: "bad name", args: "Demo --nodes 3", wantErr: `ring name "Demo"`},
		{name: "no nodes", args: "demo", wantErr: "--nodes is required"},
		{name: "zero nodes", args: "demo --nodes 0", wantErr: "--nodes: want at least 1"},
		{name: "too many seeds", args: "demo --nodes 2 --seeds 3", wantErr: "--seeds: want 1..2"},
		{name: "decimal unit", args: "demo --nodes 1 --mem 4G", wantErr: `--mem: "4G": unknown unit`},
		{name: "version and url", args: "demo --nodes 1 --cassandra-version 4 --cassandra-url http://x", wantErr: "--cassandra-version and --cassandra-url cannot be used together"},
		{name: "bad constraint", args: "demo --nodes 1 --constraint rack:NEAR", wantErr: "--constraint:"},
		{name: "bad port", args: "demo --nodes 1 --jmx-port 70000", wantErr: "--jmx-port: want 1..65535"},
		{name: "jmx port and from offer", args: "demo --nodes 1 --jmx-port 7299 --jmx-port-from-offer", wantErr: "--jmx-port and --jmx-port-from-offer cannot be used together"},
		{name: "bad duration", args: "demo --nodes 1 --replace-after soon", wantErr: "--replace-after:"},
		{name: "bad set", args: "demo --nodes 1 --set x", wantErr: "--set:"},
		{name: "dry run and wait", args: "demo --nodes 1 --dry-run --wait", wantErr: "--dry-run and --wait"},
		{name: "unknown flag", args: "demo --nodes 1 --color red", wantErr: "unknown flag: --color"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t)
			var got *CreateOptions
			cmd := NewCmdCreate(e.F, func(o *CreateOptions) error { got = o; return nil })
			err := clitest.Exec(cmd, clitest.Split(tc.args)...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if code := cmdutil.ExitCode(err); code != cmdutil.ExitUsage && !strings.Contains(tc.wantErr, "unknown flag") {
					t.Fatalf("exit code %d, want %d", code, cmdutil.ExitUsage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got.Spec, tc.want) {
				t.Fatalf("spec\n got %v\nwant %v", got.Spec, tc.want)
			}
			if got.DryRun != tc.dryRun || got.Wait != tc.wait {
				t.Fatalf("dryRun=%v wait=%v", got.DryRun, got.Wait)
			}
		})
	}
}

func op(phase pb.OperationPhase) *pb.Operation {
	return &pb.Operation{Id: "0001", Kind: pb.OperationKind_OPERATION_KIND_CREATE_RING, Ring: "demo", Phase: phase,
		Progress: &pb.Progress{Done: 0, Total: 1}}
}

func TestCreateRun(t *testing.T) {
	for _, tc := range []struct {
		name       string
		tty        bool
		args       string
		output     string
		wantOut    string
		wantErrOut string
		wantCode   int
	}{
		{
			name:    "pipe",
			args:    "demo --nodes 1",
			wantOut: "operation 0001 (create-ring demo) started; follow it with `cassmesos op watch 0001`\n",
		},
		{
			name:    "terminal",
			tty:     true,
			args:    "demo --nodes 1",
			wantOut: "operation 0001 (create-ring demo) started; follow it with `cassmesos op watch 0001`\n",
		},
		{
			name:    "name",
			args:    "demo --nodes 1",
			output:  "name",
			wantOut: "operation/0001\n",
		},
		{
			name:    "dry run",
			args:    "demo --nodes 1 --dry-run",
			wantOut: "ring demo is valid (dry run: nothing was created)\n",
		},
		{
			name:       "wait in a pipe",
			args:       "demo --nodes 1 --wait",
			wantOut:    "operation 0001 (create-ring demo) succeeded\n",
			wantErrOut: "2026-11-23T10:00:00Z op 0001 running 0/1 demo-0 UJ starting\n2026-11-23T10:00:00Z op 0001 succeeded 1/1 demo-0 UN running\n",
		},
		{
			name:       "wait on a terminal",
			tty:        true,
			args:       "demo --nodes 1 --wait",
			wantOut:    "operation 0001 (create-ring demo) succeeded\n",
			wantErrOut: "op 0001 create-ring demo: running 0/1\n  demo-0  UJ  starting\n\x1b[2A\x1b[Jop 0001 create-ring demo: succeeded 1/1\n  demo-0  UN  running\n",
		},
		{
			name:   "wait json",
			args:   "demo --nodes 1 --wait",
			output: "json",
			wantOut: `{
  "operation": {
    "id": "0001",
    "kind": "OPERATION_KIND_CREATE_RING",
    "ring": "demo",
    "phase": "OPERATION_PHASE_SUCCEEDED",
    "progress": {
      "done": "1",
      "total": "1"
    }
  }
}
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := clitest.New(t).TTY(tc.tty)
			e.F.Globals.Output = tc.output
			var gotReq *pb.CreateRingRequest
			e.Srv.CreateRingFn = func(_ context.Context, in *pb.CreateRingRequest) (*pb.CreateRingResponse, error) {
				gotReq = in
				return &pb.CreateRingResponse{Ring: &pb.Ring{Spec: in.Spec}, Operation: op(pb.OperationPhase_OPERATION_PHASE_PENDING), Created: true}, nil
			}
			e.Srv.WatchOperationFn = func(in *pb.WatchOperationRequest, s grpc.ServerStreamingServer[pb.WatchOperationResponse]) error {
				n := &pb.Node{Name: "demo-0", Liveness: pb.Liveness_LIVENESS_UP, Mode: pb.CassandraMode_CASSANDRA_MODE_JOINING, Phase: pb.NodePhase_NODE_PHASE_STARTING}
				if tc.output != "json" {
					if err := s.Send(&pb.WatchOperationResponse{Operation: op(pb.OperationPhase_OPERATION_PHASE_RUNNING), Nodes: []*pb.Node{n}}); err != nil {
						return err
					}
				}
				done := op(pb.OperationPhase_OPERATION_PHASE_SUCCEEDED)
				done.Progress.Done = 1
				var nodes []*pb.Node
				if tc.output != "json" {
					nodes = []*pb.Node{{Name: "demo-0", Liveness: pb.Liveness_LIVENESS_UP, Mode: pb.CassandraMode_CASSANDRA_MODE_NORMAL, Phase: pb.NodePhase_NODE_PHASE_RUNNING}}
				}
				return s.Send(&pb.WatchOperationResponse{Operation: done, Nodes: nodes})
			}
			err := clitest.Exec(NewCmdCreate(e.F, nil), clitest.Split(tc.args)...)
			if code := cmdutil.ExitCode(err); code != tc.wantCode {
				t.Fatalf("exit code %d (%v), want %d", code, err, tc.wantCode)
			}
			if gotReq.GetSpec().GetName() != "demo" || gotReq.GetValidateOnly() != strings.Contains(tc.args, "--dry-run") {
				t.Fatalf("request %v", gotReq)
			}
			clitest.Diff(t, "stdout", e.Out.String(), tc.wantOut)
			clitest.Diff(t, "stderr", e.ErrOut.String(), tc.wantErrOut)
		})
	}
}

func TestCreateRunServerErrors(t *testing.T) {
	e := clitest.New(t)
	err := clitest.Exec(NewCmdCreate(e.F, nil), "demo", "--nodes", "1")
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitUnimplemented {
		t.Fatalf("exit code %d (%v)", code, err)
	}
	if want := "the server at fake:9090 does not implement cassmesos.v1.RingService/CreateRing"; !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v", err)
	}
}
