package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/daemon/nodeagent"
	"github.com/cassmesos/cassmesos/internal/secrets"
	"github.com/cassmesos/cassmesos/internal/zktest"
	"github.com/cassmesos/cassmesos/zkstate"
)

// zkScan walks every znode of the world's chroot and checks it: no znode holds any of the
// forbidden byte strings, every znode of the framework's root refuses a client without the
// digest (the shared ancestors above it hold no data). It returns how many znodes it read.
func zkScan(t *testing.T, w *World, forbidden map[string][]byte) int {
	t.Helper()
	owner := w.ZK().Conn()
	servers, _, err := zkstate.ParseConnectString(w.zkAddr)
	if err != nil {
		t.Fatal(err)
	}
	anon := zktest.Connect(t, servers)
	root := w.ZK().Root()
	todo := []string{w.chroot}
	n := 0
	for len(todo) > 0 {
		p := todo[0]
		todo = todo[1:]
		data, _, err := owner.Get(p)
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			t.Fatalf("Get %s: %v", p, err)
		}
		n++
		for what, b := range forbidden {
			if bytes.Contains(data, b) {
				t.Errorf("znode %s holds %s in clear text:\n%s", p, what, data)
			}
		}
		if p == root || strings.HasPrefix(p, root+"/") {
			if _, _, err := anon.Get(p); !errors.Is(err, zk.ErrNoAuth) {
				t.Errorf("anonymous Get %s = %v; want ErrNoAuth", p, err)
			}
		} else if len(data) > 0 {
			t.Errorf("shared ancestor %s holds data %q", p, data)
		}
		kids, _, err := owner.Children(p)
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			t.Fatalf("Children %s: %v", p, err)
		}
		for _, k := range kids {
			todo = append(todo, p+"/"+k)
		}
	}
	return n
}

// TestSecurityNoSecretInZooKeeper runs a ring through create, repair and delete and scans every
// ZooKeeper record at each stage: none holds an executor's task secret (each checked against
// its executor, which accepts it and refuses another), the secret key, or the ZooKeeper
// password; none can be read without the digest.
func TestSecurityNoSecretInZooKeeper(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 3})
	key, err := secrets.LoadKeyFile(w.SecretKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	keyText, err := os.ReadFile(w.SecretKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	forbidden := map[string][]byte{
		"the ZooKeeper password": []byte(strings.SplitN(w.ZKCredentials(), ":", 2)[1]),
		"the secret key (text)":  bytes.TrimSpace(keyText),
		"the secret key (url)":   []byte(base64.RawURLEncoding.EncodeToString(key)),
	}
	// Any 12 consecutive bytes of the key, raw.
	for i := 0; i+12 <= len(key); i++ {
		forbidden["bytes of the secret key"+strings.Repeat(" ", i)] = key[i : i+12]
	}

	// collect adds the secret of every node's current task, after checking that its executor
	// accepts exactly that secret.
	collect := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		zs := w.ZK()
		ring, _, err := zs.RingByName(ctx, "demo")
		if err != nil {
			t.Fatal(err)
		}
		data, _, err := zs.Conn().Get(zs.Root() + zkstate.LeaderEpochPath())
		if err != nil {
			t.Fatal(err)
		}
		epoch, err := zkstate.ParseEpoch(data)
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := zs.ListNodes(ctx, "demo")
		if err != nil || len(nodes) == 0 {
			t.Fatalf("ListNodes = %v, %v", nodes, err)
		}
		forbidden["the ring's JMX password"] = []byte(secrets.Derive(key, secrets.PurposeJMX, "cassmesos", ring.GetUid(), "demo"))
		cli := &nodeagent.Client{}
		if tc := w.ClientTLS("daemon"); tc != nil {
			// The executor takes only the daemon's client certificate (TestTLSEverywhere).
			cli.TLS = func() *tls.Config { return tc.Clone() }
		}
		for _, r := range nodes {
			n := r.Value
			secret := secrets.Derive(key, secrets.PurposeTaskAPI, "cassmesos", ring.GetUid(), "demo", n.GetName(), n.GetTaskId())
			if _, err := cli.NodeStatus(ctx, epoch, "demo", n.GetName(), n.GetAddress(), n.GetAgentPort(), secret); err != nil {
				t.Fatalf("executor of %s (task %s) refuses the derived secret: %v", n.GetName(), n.GetTaskId(), err)
			}
			if _, err := cli.NodeStatus(ctx, epoch, "demo", n.GetName(), n.GetAddress(), n.GetAgentPort(), secret+"x"); status.Code(err) != codes.Unauthenticated {
				t.Fatalf("executor of %s accepts another secret: %v", n.GetName(), err)
			}
			forbidden["the task secret of "+n.GetTaskId()] = []byte(secret)
		}
	}

	// The ring is encrypted (internode all, client optional, so the stand-in's cqlsh still
	// talks plaintext): every node's Cassandra key travels in its TaskInfo and must stay out of
	// ZooKeeper too.
	forbidden["a PEM private key"] = []byte("PRIVATE KEY")
	repairRingTB(t, w, "demo", 3, "--internode-encryption", "all", "--client-encryption", "optional")
	keys := cassandraKeys(t, w)
	if len(keys) < 3*3 { // three pieces of each of three keys
		t.Fatalf("found %d Cassandra keys in the sandboxes, want one per node", len(keys))
	}
	for i, k := range keys {
		forbidden[fmt.Sprintf("Cassandra key %d", i)] = k
	}
	collect()
	t.Logf("after create: %d znodes scanned", zkScan(t, w, forbidden))

	if out, errOut, code := w.CLI("repair", "run", "demo", "--keyspace", "ks", "--wait", "--timeout", "2m"); code != 0 {
		t.Fatalf("repair run --wait: exit %d: %s%s", code, out, errOut)
	}
	t.Logf("after repair: %d znodes scanned", zkScan(t, w, forbidden))

	if out, errOut, code := w.CLI("ring", "delete", "demo", "--yes", "--wait", "--timeout", "2m"); code != 0 {
		t.Fatalf("ring delete --wait: exit %d: %s%s", code, out, errOut)
	}
	t.Logf("after delete: %d znodes scanned, %d secrets checked", zkScan(t, w, forbidden), len(forbidden))
}

// cassandraKeys are the base64 lines of every node's Cassandra private key, read from the
// keystores the executors wrote (0600) into their sandboxes.
func cassandraKeys(t *testing.T, w *World) [][]byte {
	t.Helper()
	var out [][]byte
	_ = filepath.WalkDir(w.Dir(), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cassandra-tls.pem" {
			return nil
		}
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", p, st.Mode().Perm(), err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "PRIVATE KEY" {
			t.Fatalf("%s does not start with a PRIVATE KEY block", p)
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		ec, ok := k.(*ecdsa.PrivateKey)
		if err != nil || !ok {
			t.Fatalf("%s: not an ECDSA PKCS#8 key: %v", p, err)
		}
		// The private scalar raw and in base64, and the PEM's first line of the key.
		priv, err := ec.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		line, _, _ := strings.Cut(strings.SplitN(string(b), "\n", 2)[1], "\n")
		out = append(out, priv, []byte(base64.StdEncoding.EncodeToString(priv)), []byte(line))
		return nil
	})
	return out
}
