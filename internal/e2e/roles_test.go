package e2e

import (
	"strings"
	"testing"
	"time"
)

// Issue 13: per-ring Mesos roles. One daemon subscribes with two roles (--role ra --roles rb);
// a ring created without --role gets the first, another with --role rb the second, and each
// reserves its resources and volume for its own role (the simulator's state, where the role is
// the reservation's); a ring of a role the daemon does not hold is refused with nothing
// written. Deleting the rings leaves nothing reserved for either role, and the audit log of
// those calls verifies.
func TestTwoRingsTwoRoles(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 4, DaemonFlags: []string{"--role", "ra", "--roles", "rb"}})

	out, errOut, code := w.CLI(append(createArgs("gamma", 1, 1), "--role", "rx")...)
	if code != 2 || !strings.Contains(errOut, `"rx"`) || !strings.Contains(errOut, "ra, rb") {
		t.Fatalf("ring create --role rx: exit %d, want 2 naming the role and the allowed ones\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if r, err := w.GetRing("gamma"); err == nil {
		t.Fatalf("a ring of a refused role exists: %v", r)
	}

	for _, args := range [][]string{createArgs("alpha", 1, 1, "--wait", "--timeout", "3m"), createArgs("beta", 1, 1, "--role", "rb", "--wait", "--timeout", "3m")} {
		if out, errOut, code := w.CLI(args...); code != 0 {
			t.Fatalf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
		}
	}
	for ring, role := range map[string]string{"alpha": "ra", "beta": "rb"} {
		if got := w.Ring(ring).GetRing().GetSpec().GetRole(); got != role {
			t.Fatalf("ring %s has role %q, want %q", ring, got, role)
		}
	}

	// Each ring's reservations (cpus, mem, disk) and volume are its role's.
	seen := map[string]int{}
	for _, a := range w.MesosState().Agents {
		for _, r := range a.Reservations {
			for ring, role := range map[string]string{"alpha": "ra", "beta": "rb"} {
				if !strings.Contains(r, "cassmesos.ring="+ring) {
					continue
				}
				seen[ring]++
				if !strings.HasPrefix(r, role+":") {
					t.Errorf("reservation of ring %s is not for role %s: %s", ring, role, r)
				}
			}
		}
		for _, v := range a.Volumes {
			want := map[string]string{"alpha": "ra", "beta": "rb"}[strings.SplitN(v.PersistenceID, "-", 2)[0]]
			if v.Role != want {
				t.Errorf("volume %s is reserved for %q, want %q", v.PersistenceID, v.Role, want)
			}
		}
	}
	if seen["alpha"] == 0 || seen["beta"] == 0 {
		t.Fatalf("reservations seen per ring: %v", seen)
	}

	for _, ring := range []string{"alpha", "beta"} {
		if out, errOut, code := w.CLI("ring", "delete", ring, "--yes", "--wait", "--timeout", "3m"); code != 0 {
			t.Fatalf("ring delete %s: exit %d\nstdout:\n%s\nstderr:\n%s", ring, code, out, errOut)
		}
	}
	w.WaitFor(60*time.Second, func() bool {
		for _, a := range w.MesosState().Agents {
			if len(a.Reservations) > 0 || len(a.Volumes) > 0 {
				return false
			}
		}
		return true
	}, "no reservation or volume left for either role")

	// Every call above was audited into one intact hash chain.
	out, errOut, code = w.CLI("audit", "verify")
	if code != 0 || !strings.Contains(out, "chain:      intact") {
		t.Fatalf("audit verify: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
