package cmdutil

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"testing"
	"time"

	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestParseMiB(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4Gi", 4096, true}, {"4GiB", 4096, true}, {"4096Mi", 4096, true}, {"4096 MiB", 4096, true},
		{"4096", 4096, true}, {"1Ti", 1 << 20, true}, {" 512Mi ", 512, true},
		{"4G", 0, false}, {"4GB", 0, false}, {"", 0, false}, {"Gi", 0, false}, {"-1Gi", 0, false},
		{"1.5Gi", 0, false}, {"99999999999999999999", 0, false}, {"9999999999999999Ti", 0, false},
	} {
		got, err := ParseMiB(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseMiB(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", 168 * time.Hour, true}, {"1d12h", 36 * time.Hour, true}, {"90m", 90 * time.Minute, true},
		{"0", 0, true}, {"d", 0, false}, {"xd", 0, false}, {"1d-1h", 0, false}, {"1w", 0, false}, {"", 0, false},
	} {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseConstraint(t *testing.T) {
	c, err := ParseConstraint("hostname:like:db-[0-9]+:x")
	if err != nil || c.Attribute != "hostname" || c.Operator != pb.ConstraintOperator_CONSTRAINT_OPERATOR_LIKE || c.Value != "db-[0-9]+:x" {
		t.Fatalf("got %v %v", c, err)
	}
	if c, err := ParseConstraint("rack:SPREAD"); err != nil || c.Operator != pb.ConstraintOperator_CONSTRAINT_OPERATOR_SPREAD {
		t.Fatalf("got %v %v", c, err)
	}
	for _, bad := range []string{"rack", ":SPREAD", "rack:SPREAD:x", "rack:LIKE", "rack:LIKE:", "rack:UNLIKE:(", "rack:NEAR:x"} {
		if _, err := ParseConstraint(bad); err == nil {
			t.Errorf("ParseConstraint(%q) accepted", bad)
		}
	}
}

func TestParseWindowAndClock(t *testing.T) {
	for in, ok := range map[string]bool{"01:00-06:00": true, "22:00-04:00": true, "1:00-6:00": false, "01:00-01:00": false, "25:00-01:00": false, "01:00": false} {
		if _, err := ParseWindow(in); (err == nil) != ok {
			t.Errorf("ParseWindow(%q) = %v", in, err)
		}
	}
	if h, m, err := ParseClock("2:30"); err != nil || h != 2 || m != 30 {
		t.Errorf("ParseClock = %d %d %v", h, m, err)
	}
	if _, _, err := ParseClock("24:00"); err == nil {
		t.Error("ParseClock(24:00) accepted")
	}
}

func TestOperationKinds(t *testing.T) {
	k, err := ParseOperationKind("create-ring")
	if err != nil || k != pb.OperationKind_OPERATION_KIND_CREATE_RING {
		t.Fatalf("got %v %v", k, err)
	}
	if _, err := ParseOperationKind("unspecified"); err == nil {
		t.Fatal("unspecified accepted")
	}
	if got := OperationKinds(); len(got) != len(pb.OperationKind_name)-1 || got[8] != "repair" {
		t.Fatalf("OperationKinds = %v", got)
	}
}

func TestParseKeyValues(t *testing.T) {
	m, err := ParseKeyValues([]string{"a=1", "b=x=y"})
	if err != nil || m["a"] != "1" || m["b"] != "x=y" {
		t.Fatalf("got %v %v", m, err)
	}
	for _, bad := range [][]string{{"a"}, {"=1"}, {"a=1", "a=2"}} {
		if _, err := ParseKeyValues(bad); err == nil {
			t.Errorf("ParseKeyValues(%q) accepted", bad)
		}
	}
}

func FuzzParseMiB(f *testing.F) {
	for _, s := range []string{"4Gi", "4096 MiB", "x", "1Ti"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseMiB(s); err == nil && n < 0 {
			t.Fatalf("ParseMiB(%q) = %d", s, n)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"7d", "1d2h", "d", "5m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { _, _ = ParseDuration(s) })
}

func FuzzParseConstraint(f *testing.F) {
	for _, s := range []string{"rack:SPREAD", "h:LIKE:a.*", "::", "a:UNLIKE:("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := ParseConstraint(s); err == nil && c.Attribute == "" {
			t.Fatalf("ParseConstraint(%q) accepted an empty attribute", s)
		}
	})
}

func TestErrorMessageIsOneCleanLine(t *testing.T) {
	err := fmt.Errorf("ring demo: %w", status.Error(codes.NotFound, "no\nsuch \x1b[31mring\x1b[0m"))
	if got := ErrorMessage(err); got != "ring demo: no such [31mring[0m" {
		t.Fatalf("ErrorMessage = %q", got)
	}
}
