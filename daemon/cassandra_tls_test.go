package daemon

import (
	"context"
	"crypto/x509"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/internal/specrules"
	"github.com/cassmesos/cassmesos/internal/tlsutil"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// TestCassandraCertificateOnlyInTheLaunch: an encrypted ring's launch carries the node's own
// Cassandra certificate (SANs: its address and host name; server and client authentication;
// chained to the daemon's CA; a key other than the executor API's), the key only in what is sent
// to Mesos. A ring without encryption gets none.
func TestCassandraCertificateOnlyInTheLaunch(t *testing.T) {
	dir := certsDir(t)
	enc := &cassmesosv1.Encryption{Internode: cassmesosv1.InternodeEncryption_INTERNODE_ENCRYPTION_ALL}
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "r1", Node: "n0", Address: "10.1.2.3", Hostname: "agent-7.example.net", Encryption: enc}
	fake := &fakeMesos{}
	m := tlsMesos{Mesos: fake, tls: taskTLS{caFile: filepath.Join(dir, CACertFile), caKeyFile: filepath.Join(dir, CAKeyFile)}}
	a := plan.Accept{Operations: []plan.OfferOp{{Kind: plan.OpLaunch, Task: &plan.TaskLaunch{TaskID: "t", Config: cfg}}}}
	if err := m.Accept(context.Background(), 1, a); err != nil {
		t.Fatal(err)
	}
	if len(cfg.GetCassandraTlsKey()) != 0 || len(a.Operations[0].Task.Config.GetCassandraTlsKey()) != 0 {
		t.Fatal("the planner's launch was given the Cassandra key")
	}
	sent := fake.accepted.Operations[0].Task.Config
	if err := specrules.TLSMaterial("", sent.GetCassandraTlsCert(), sent.GetCassandraTlsKey(), sent.GetCassandraTlsCa(), "10.1.2.3"); err != nil {
		t.Fatalf("the executor would refuse the material: %v", err)
	}
	certs, err := tlsutil.ParseCertificates(sent.GetCassandraTlsCert())
	if err != nil {
		t.Fatal(err)
	}
	leaf := certs[0]
	if !slices.Equal(leaf.DNSNames, []string{"agent-7.example.net"}) || len(leaf.IPAddresses) != 1 || leaf.IPAddresses[0].String() != "10.1.2.3" {
		t.Errorf("SANs: DNS %v IP %v, want the host name and the address", leaf.DNSNames, leaf.IPAddresses)
	}
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) || !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		t.Errorf("key usages %v: internode TLS is mutual, want server and client", leaf.ExtKeyUsage)
	}
	if leaf.Subject.CommonName != "n0.r1.cassandra" || tlsutil.HasRole(leaf, tlsutil.RoleDaemon) {
		t.Errorf("subject %v", leaf.Subject)
	}
	ca, err := tlsutil.LoadCA(filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "agent-7.example.net", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("does not chain to the daemon's CA: %v", err)
	}
	if string(sent.GetCassandraTlsCa()) != string(ca.CertPEM) {
		t.Error("the CA bundle sent is not the daemon's")
	}
	if string(sent.GetCassandraTlsKey()) == string(sent.GetAgentTlsKey()) {
		t.Error("Cassandra and the executor API share a key")
	}

	// No encryption: no Cassandra certificate.
	plain := &cassmesosv1.NodeTaskConfig{Ring: "r1", Node: "n1", Address: "10.1.2.4"}
	out, err := m.tls.secure(plain)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.GetCassandraTlsCert())+len(out.GetCassandraTlsKey())+len(out.GetCassandraTlsCa()) != 0 {
		t.Error("a ring without encryption got a Cassandra certificate")
	}
}
