package plan

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/internal/specrules"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
)

// Renewal of Cassandra node certificates (encrypted rings). Each launch gets a certificate valid
// Config.CassandraCertValidity; the launch records when it is due for renewal (cert_renew_at, two
// thirds into its life). When that time has come and the node's task runs, the pass records the
// renewal as intent (cert_renewal_id, cert_renewal_time: persisted before the call goes out, like
// every write of a pass) and relays RelayRenewCert: the daemon's relay client issues a new
// certificate from its CA in memory and sends it to the executor (RenewCertificate), which writes
// the PEM files atomically and runs nodetool reloadssl. Success moves cert_renew_at two thirds into
// the new certificate's life; a failure is retried after certRetry. A node whose task is not
// running is skipped: its next launch issues a new certificate anyway.

// RenewAfter is when a certificate valid for validity from issue is renewed: two thirds into
// its life.
func RenewAfter(issue time.Time, validity time.Duration) time.Time {
	return issue.Add(validity * 2 / 3)
}

// certRetry is how long after a failed renewal the next attempt goes out: a twentieth of the
// validity, between a second and ten minutes.
func certRetry(validity time.Duration) time.Duration {
	return min(max(validity/20, time.Second), 10*time.Minute)
}

// renewsCerts reports whether node certificates of ring are issued (and renewed) by the daemon.
func (ps *pass) renewsCerts(ring *statev1.RingRecord) bool {
	return ps.p.cfg.CassandraTLS && ps.p.cfg.CassandraCertValidity > 0 && specrules.EncryptionOn(ring.GetSpec().GetEncryption())
}

// markCertIssued records, at a launch of n, when the certificate the launch carries is due for
// renewal (nothing for a ring without encryption).
func (ps *pass) markCertIssued(n *statev1.NodeRecord) {
	n.CertRenewalId, n.CertRenewalTime, n.CertRenewals, n.CertRenewalError = "", nil, 0, ""
	n.CertRenewAt = nil
	if ring := ps.ring(n.GetRing()); ring != nil && ps.renewsCerts(ring) {
		n.CertRenewAt = timestamppb.New(RenewAfter(ps.now, ps.p.cfg.CassandraCertValidity))
	}
}

// renewCerts renews the certificates that are due (see above).
func (ps *pass) renewCerts() {
	validity := ps.p.cfg.CassandraCertValidity
	for _, name := range sortedKeys(ps.nodes) {
		n := ps.nodes[name]
		ring := ps.ring(n.GetRing())
		if ring == nil || !ps.renewsCerts(ring) || n.GetCertRenewAt() == nil || !ps.roleHeld(n.GetRing()) {
			continue
		}
		if c, _ := ps.task(n); c != condRunning || n.GetAddress() == "" || n.GetAgentPort() == 0 {
			continue
		}
		due := n.GetCertRenewAt().AsTime()
		if ps.now.Before(due) {
			ps.wakeAt(due)
			continue
		}
		id := n.GetCertRenewalId()
		if id == "" {
			m := ps.mutNode(name)
			m.CertRenewalId = "cert/" + n.GetTaskId() + "/" + strconv.FormatInt(ps.now.UnixNano(), 10)
			m.CertRenewalTime = ps.ts()
			n, id = m, m.CertRenewalId
		}
		if res, ok := ps.s.Relays[id]; ok && res.Done {
			m := ps.mutNode(name)
			m.CertRenewalId, m.CertRenewalTime = "", nil
			if res.Err == "" {
				m.CertRenewals++
				m.CertRenewalError = ""
				m.CertRenewAt = timestamppb.New(RenewAfter(ps.now, validity))
			} else {
				m.CertRenewalError = res.Err
				m.CertRenewAt = timestamppb.New(ps.now.Add(certRetry(validity)))
			}
			ps.wakeAt(m.GetCertRenewAt().AsTime())
			continue
		}
		sent := n.GetCertRenewalTime().AsTime()
		if ps.now.Sub(sent) > ps.p.cfg.RelayTimeout {
			m := ps.mutNode(name)
			m.CertRenewalId, m.CertRenewalTime = "", nil
			m.CertRenewalError = "no result within " + ps.p.cfg.RelayTimeout.String()
			ps.wakeAt(ps.now)
			continue
		}
		rl := ps.relayTo(n, RelayRenewCert)
		rl.ID = id
		rl.Hostname = n.GetHostname()
		rl.Timeout = 2 * time.Minute
		ps.act(rl)
		ps.wakeAt(sent.Add(ps.p.cfg.RelayTimeout))
	}
}
