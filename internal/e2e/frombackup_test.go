package e2e

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Issue 16: a token-aligned restore into a new ring. Ring olda (3 nodes, 4 tokens each) is
// backed up; `ring create neo --from-backup` makes a ring of the same shape whose node neo-<i>
// owns exactly olda-<i>'s tokens (nodetool info -T on the nodes themselves); a create whose
// flags conflict with the backup's shape is refused and writes nothing; then
// `backup restore neo --source-ring olda` completes.
func TestCreateRingFromBackupOwnsSourceTokens(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, Options{Agents: 6, DaemonFlags: []string{"--backup-store", "file://" + t.TempDir()}})
	if out, errOut, code := w.CLI(append(createArgs("olda", 3, 1), "--num-tokens", "4", "--wait", "--timeout", "3m")...); code != 0 {
		t.Fatalf("ring create olda: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := w.CLI("backup", "create", "olda", "-o", "name", "--wait", "--timeout", "2m")
	if code != 0 {
		t.Fatalf("backup create: exit %d\n%s%s", code, out, errOut)
	}
	id := strings.TrimPrefix(strings.TrimSpace(out), "operation/")

	tokensOf := func(addr string) []string {
		t.Helper()
		o, e, c := w.Nodetool(addr, "info", "-T")
		if c != 0 {
			t.Fatalf("nodetool -h %s info -T: exit %d: %s", addr, c, e)
		}
		in, err := nodetool.ParseInfo(o)
		if err != nil {
			t.Fatalf("nodetool info -T of %s: %v\n%s", addr, err, o)
		}
		ts := append([]string(nil), in.Tokens...)
		sort.Strings(ts)
		return ts
	}
	ordinal := func(node string) string { return node[strings.LastIndex(node, "-")+1:] }
	old := map[string][]string{} // ordinal -> tokens
	for _, n := range w.Ring("olda").GetNodes() {
		old[ordinal(n.GetName())] = tokensOf(n.GetAddress())
		if len(old[ordinal(n.GetName())]) != 4 {
			t.Fatalf("%s owns %v, want 4 tokens", n.GetName(), old[ordinal(n.GetName())])
		}
	}
	// The catalogue has them too.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bop, err := cassmesosv1.NewOperationServiceClient(w.Conn()).GetOperation(ctx, &cassmesosv1.GetOperationRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range bop.GetOperation().GetSteps() {
		ts := append([]string(nil), s.GetBackup().GetTokens()...)
		sort.Strings(ts)
		if o := old[ordinal(s.GetNode())]; strings.Join(ts, ",") != strings.Join(o, ",") {
			t.Errorf("backup step %s recorded tokens %v, the node owns %v", s.GetNode(), ts, o)
		}
	}

	// Flags that conflict with the backup's shape: refused, naming them; no ring.
	out, errOut, code = w.CLI(append([]string{"ring", "create", "bad", "--from-backup", id, "--nodes", "5", "--num-tokens", "16"}, nodeSize...)...)
	if code != 2 || !strings.Contains(errOut, "spec.nodes (5; the backup has 3)") || !strings.Contains(errOut, "spec.num_tokens (16;") {
		t.Errorf("conflicting create: exit %d, want 2 naming spec.nodes and spec.num_tokens\n%s%s", code, out, errOut)
	}
	if _, err := w.GetRing("bad"); err == nil {
		t.Error("ring bad exists after a refused create")
	}

	out, errOut, code = w.CLI(append([]string{"ring", "create", "neo", "--from-backup", id, "--wait", "--timeout", "3m"}, nodeSize...)...)
	if code != 0 {
		t.Fatalf("ring create neo --from-backup: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "cassmesos backup restore neo --backup "+id) {
		t.Errorf("ring create --from-backup does not print the restore to run:\n%s", errOut)
	}
	neo := w.Ring("neo")
	if s := neo.GetRing().GetSpec(); s.GetNodes() != 3 || s.GetSeeds() != 1 || s.GetNumTokens() != 4 {
		t.Errorf("neo's spec: nodes %d seeds %d num_tokens %d, want olda's 3 1 4", s.GetNodes(), s.GetSeeds(), s.GetNumTokens())
	}
	for _, n := range neo.GetNodes() {
		if got, want := tokensOf(n.GetAddress()), old[ordinal(n.GetName())]; len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s owns %v, want olda-%s's %v", n.GetName(), got, ordinal(n.GetName()), want)
		}
	}

	if out, errOut, code = w.CLI("backup", "restore", "neo", "--backup", id, "--source-ring", "olda", "--wait", "--timeout", "2m"); code != 0 {
		t.Fatalf("backup restore neo --source-ring olda: exit %d\n%s%s", code, out, errOut)
	}
}
