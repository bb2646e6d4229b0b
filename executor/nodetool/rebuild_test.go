package nodetool

import (
	"slices"
	"strings"
	"testing"
)

func TestRebuildArgs(t *testing.T) {
	f := newFake(t, Config{})
	ctx := testCtx(t)
	if err := f.client.Rebuild(ctx, "dc1"); err != nil {
		t.Fatal(err)
	}
	calls := f.calls(t)
	if len(calls) != 1 || !strings.HasSuffix(calls[0], "rebuild -- dc1") {
		t.Fatalf("calls %q, want one ending in \"rebuild -- dc1\"", calls)
	}
	for _, bad := range []string{"", "-ks", "dc 1"} {
		if err := f.client.Rebuild(ctx, bad); err == nil {
			t.Errorf("Rebuild(%q) accepted", bad)
		}
	}
	if len(f.calls(t)) != 1 {
		t.Fatalf("a refused rebuild ran nodetool: %q", f.calls(t))
	}
	args, err := RepairOptions{Keyspace: "ks", StartToken: "1", EndToken: "2", Datacenters: []string{"dc2"}}.Args()
	if err != nil || !slices.Contains(args, "-dc") || !slices.Contains(args, "dc2") {
		t.Fatalf("repair -dc args %q, %v", args, err)
	}
}
