package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/executor/nodetool/nodetoolfake"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestRenewCertificate(t *testing.T) {
	fake := nodetoolfake.New()
	var written [][]byte
	var hookErr error
	end := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	cli := serve(t, Config{Controller: fake, Secret: secret, RenewCertificate: func(cert, key, ca []byte) (string, time.Time, error) {
		if hookErr != nil {
			return "", time.Time{}, hookErr
		}
		written = append(written, cert)
		return fmt.Sprintf("%x", len(written)), end, nil
	}})
	req := &cassmesosv1.RenewCertificateRequest{Cert: []byte("C"), Key: []byte("K"), Ca: []byte("A")}
	resp, err := cli.RenewCertificate(authed(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetSerial() != "1" || !resp.GetNotAfter().AsTime().Equal(end) || len(written) != 1 {
		t.Fatalf("answer %v, written %d", resp, len(written))
	}
	if n := len(fake.CallsOf("ReloadSSL")); n != 1 {
		t.Fatalf("%d nodetool reloadssl, want 1", n)
	}
	// Empty material is refused before the hook or nodetool run.
	for _, bad := range []*cassmesosv1.RenewCertificateRequest{{Key: []byte("K"), Ca: []byte("A")}, {Cert: []byte("C"), Ca: []byte("A")}, {Cert: []byte("C"), Key: []byte("K")}} {
		if _, err := cli.RenewCertificate(authed(), bad); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%v: %v, want InvalidArgument", bad, err)
		}
	}
	// Material the hook refuses: InvalidArgument, no reloadssl.
	hookErr = fmt.Errorf("%w: cassandra_tls_cert names another address", ErrBadCertificate)
	if _, err := cli.RenewCertificate(authed(), req); status.Code(err) != codes.InvalidArgument {
		t.Errorf("refused material: %v", err)
	}
	hookErr = nil
	if len(written) != 1 || len(fake.CallsOf("ReloadSSL")) != 1 {
		t.Fatalf("a refused request wrote %d or ran nodetool %d", len(written), len(fake.CallsOf("ReloadSSL")))
	}
	// A failed reloadssl is reported.
	fake.SetError("ReloadSSL", errors.New("reload failed"))
	if _, err := cli.RenewCertificate(authed(), req); err == nil {
		t.Errorf("failed reloadssl not reported")
	}
	fake.SetError("ReloadSSL", nil)
	// Mutating: refused without a leader epoch.
	noEpoch := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+secret,
		RingMetadataKey, testRing, NodeMetadataKey, testNode)
	if _, err := cli.RenewCertificate(noEpoch, req); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("without an epoch: %v", err)
	}
	bare := serve(t, Config{Controller: fake, Secret: secret})
	if _, err := bare.RenewCertificate(authed(), req); status.Code(err) != codes.Unimplemented {
		t.Errorf("without a hook: %v", err)
	}
}

// Cassandra does not always reload every SSL context on one nodetool reloadssl: RenewCertificate
// runs it again until the node serves the new certificate, and fails when it never does.
func TestRenewCertificateReloadsUntilServed(t *testing.T) {
	defer func(p time.Duration) { reloadPause = p }(reloadPause)
	reloadPause = time.Millisecond
	fake := nodetoolfake.New()
	stale := 2
	cli := serve(t, Config{Controller: fake, Secret: secret,
		RenewCertificate: func(cert, key, ca []byte) (string, time.Time, error) { return "5", time.Now(), nil },
		CheckServed: func(_ context.Context, serial string) error {
			if serial != "5" {
				t.Errorf("checked serial %q, want 5", serial)
			}
			if stale > 0 {
				stale--
				return errors.New("port 7000 still serves certificate 4")
			}
			return nil
		}})
	req := &cassmesosv1.RenewCertificateRequest{Cert: []byte("C"), Key: []byte("K"), Ca: []byte("A")}
	if _, err := cli.RenewCertificate(authed(), req); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.CallsOf("ReloadSSL")); n != 3 {
		t.Fatalf("%d reloadssl, want 3 (two still served the old certificate)", n)
	}
	stale = 100
	_, err := cli.RenewCertificate(authed(), req)
	if err == nil || !strings.Contains(err.Error(), "still serves certificate 4") {
		t.Fatalf("never served: %v", err)
	}
	if n := len(fake.CallsOf("ReloadSSL")); n != 3+reloadAttempts {
		t.Fatalf("%d reloadssl in all, want %d", n, 3+reloadAttempts)
	}
}
