package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Node certificates of an encrypted ring are renewed without a restart: with
// --cassandra-cert-validity 30s every node gets a new certificate about 20s after its launch and
// again 20s later; each node's storage and native ports then serve the new certificate (a new
// serial, still the node's own, of the world's CA), its task is the same, and its record counts
// the renewals.
func TestCertificateRenewalWithoutRestart(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 3, DaemonFlags: []string{"--cassandra-cert-validity", "30s"}})
	if out, errOut, code := w.CLI(append(createArgs("crt", 2, 1, "--internode-encryption", "all", "--client-encryption", "required"), "--wait", "--timeout", "3m")...); code != 0 {
		t.Fatalf("ring create --wait: exit %d\n%s%s", code, out, errOut)
	}
	nodes := w.Ring("crt").GetNodes()
	type served struct{ storage, native string }

	serial := func(addr string, port int) (string, error) {
		leaf, err := w.TLSPeer(addr, port, nil)
		if err != nil {
			return "", err
		}
		return leaf.SerialNumber.Text(16), nil
	}
	first := map[string]served{}
	tasks := map[string]string{}
	for _, n := range nodes {
		s7, err := serial(n.GetAddress(), 7000)
		if err != nil {
			t.Fatalf("%s: TLS on 7000: %v", n.GetName(), err)
		}
		s9, err := serial(n.GetAddress(), 9042)
		if err != nil {
			t.Fatalf("%s: TLS on 9042: %v", n.GetName(), err)
		}
		first[n.GetName()] = served{s7, s9}
		tasks[n.GetName()] = n.GetTaskId()
	}
	begin := time.Now()
	for _, n := range nodes {
		seen := map[string]bool{first[n.GetName()].storage: true}
		w.Eventually(2*time.Minute, func() error {
			rec, _, err := w.ZK().NodeByName(context.Background(), "crt", n.GetName())
			if err != nil {
				return err
			}
			s7, err := serial(n.GetAddress(), 7000)
			if err != nil {
				return err
			}
			s9, err := serial(n.GetAddress(), 9042)
			if err != nil {
				return err
			}
			seen[s7] = true
			if rec.GetCertRenewals() < 2 || len(seen) < 3 || s7 != s9 {
				return fmt.Errorf("%s: %d renewals recorded (error %q), serials seen on 7000 %d, now 7000 %s 9042 %s",
					n.GetName(), rec.GetCertRenewals(), rec.GetCertRenewalError(), len(seen), s7, s9)
			}
			return nil
		}, "two renewals of %s's certificate, served on 7000 and 9042", n.GetName())
	}
	t.Logf("figure: two renewals of each node's certificate in %v", time.Since(begin).Round(time.Millisecond))
	for _, n := range w.Ring("crt").GetNodes() {
		if n.GetTaskId() != tasks[n.GetName()] {
			t.Errorf("%s was relaunched (%s -> %s)", n.GetName(), tasks[n.GetName()], n.GetTaskId())
		}
		leaf, err := w.TLSPeer(n.GetAddress(), 7000, nil)
		if err != nil {
			t.Fatal(err)
		}
		if leaf.Subject.CommonName != n.GetName()+".crt.cassandra" {
			t.Errorf("%s serves %q", n.GetName(), leaf.Subject.CommonName)
		}
		// The peers still gossip over mutual TLS with the renewed certificates.
		out, errOut, code := w.Nodetool(n.GetAddress(), "status")
		if un := strings.Count(out, "\nUN "); code != 0 || un != 2 {
			t.Errorf("%s: nodetool status (exit %d) shows %d UN, want 2:\n%s%s", n.GetName(), code, un, out, errOut)
		}
	}
}
