package e2e

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// TestTLSEverywhere: in a TLS world the daemon refuses a CLI without a client certificate, and a
// node's executor API refuses every caller but the daemon's certificate (the task's key never
// reaches ZooKeeper).
func TestTLSEverywhere(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 1})

	// The CLI: CA only (no client certificate), or plaintext: refused.
	for name, env := range map[string][]string{
		"no client certificate": {"CASSMESOS_CA=" + w.PKIDir() + "/ca.crt"},
		"plaintext":             {"CASSMESOS_INSECURE=true"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, w.Binaries().CLI, "--server", w.DaemonAddr(), "ring", "list")
		cmd.Env = append(w.baseEnv(), env...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil {
			t.Fatalf("CLI with %s: accepted\n%s", name, out)
		}
	}

	out, errOut, code := w.CLI("ring", "create", "tls", "--nodes", "1", "--seeds", "1", "--cpus", "0.5", "--mem", "1Gi", "--disk", "1Gi", "--wait", "--timeout", "2m")
	if code != 0 {
		t.Fatalf("ring create: exit %d\n%s%s", code, out, errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nodes, err := w.ZK().ListNodes(ctx, "tls")
	if err != nil || len(nodes) != 1 {
		t.Fatalf("node records: %v %v", nodes, err)
	}
	n := nodes[0].Value
	if b, _ := proto.Marshal(n); bytes.Contains(b, []byte("PRIVATE KEY")) {
		t.Fatal("a private key is in the node's ZooKeeper record")
	}
	addr := net.JoinHostPort(n.GetAddress(), strconv.Itoa(int(n.GetAgentPort())))
	call := func(creds credentials.TransportCredentials) error {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
		if err != nil {
			return err
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// No bearer secret: a caller that gets past TLS is answered Unauthenticated.
		_, err = cassmesosv1.NewNodeAgentServiceClient(cc).GetNodeStatus(ctx, &cassmesosv1.GetNodeStatusRequest{})
		return err
	}
	for name, creds := range map[string]credentials.TransportCredentials{
		"plaintext":             insecure.NewCredentials(),
		"TLS, no certificate":   credentials.NewTLS(w.ClientTLS("")),
		"TLS, the admin's cert": credentials.NewTLS(w.ClientTLS("admin")),
	} {
		if err := call(creds); status.Code(err) != codes.Unavailable {
			t.Errorf("executor API with %s: %v, want Unavailable (refused at the handshake)", name, err)
		}
	}
	if err := call(credentials.NewTLS(w.ClientTLS("daemon"))); status.Code(err) != codes.Unauthenticated {
		t.Errorf("executor API with the daemon's certificate: %v, want Unauthenticated (past TLS, no secret)", err)
	}
}
