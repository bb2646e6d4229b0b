package chaos

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/e2e"
)

func TestMain(m *testing.M) { e2e.Main(m) }

// TestChaos kills the leading daemon CHAOS_KILLS times (default 20, the `make test` subset) with
// the seed CHAOS_SEED (default 1, so the subset is the same every run; `make chaos` draws one and
// prints it) and fails on any invariant violation.
func TestChaos(t *testing.T) {
	kills, seed := 20, uint64(1)
	if v := os.Getenv("CHAOS_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("CHAOS_KILLS=%q: want a positive integer", v)
		}
		kills = n
	}
	if v := os.Getenv("CHAOS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q: want an unsigned integer", v)
		}
		seed = n
	}
	t.Logf("chaos: CHAOS_KILLS=%d CHAOS_SEED=%d", kills, seed)
	timeout := 2 * time.Minute
	if v := os.Getenv("CHAOS_OP_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("CHAOS_OP_TIMEOUT=%q: want a positive Go duration such as 4m", v)
		}
		timeout = d
	}
	rep := Run(t, Config{Kills: kills, Seed: seed, OpTimeout: timeout})
	t.Log("\n" + rep.String())
	if rep.Kills < kills {
		t.Errorf("%d kills, want at least %d", rep.Kills, kills)
	}
	if len(rep.Fired) == 0 {
		t.Errorf("no failpoint fired in %d kills", rep.Kills)
	}
	if len(rep.Violations) > 0 {
		t.Errorf("%d invariant violations (seed %d): rerun with CHAOS_SEED=%d CHAOS_KILLS=%d", len(rep.Violations), seed, seed, kills)
	}
}
