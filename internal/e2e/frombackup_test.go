package e2e

import (
	"context"
	"os"
	"path/filepath"
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
	// A table with sstables on every node (as backup_test.go makes them), to restore.
	oldNodes := w.Ring("olda").GetNodes()
	w.cqlsh(oldNodes[0].GetAddress(), "CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}; CREATE TABLE shop.orders (id int PRIMARY KEY, v text)")
	dirs := simDataDirs(t, w.Dir())
	want := map[string][]string{} // ordinal -> the table's files
	ordinal := func(node string) string { return node[strings.LastIndex(node, "-")+1:] }
	for _, n := range oldNodes {
		td := filepath.Join(dirs[n.GetHostId()], "shop", "orders-6f1c2a40b7c211ee9a4b3d1e5f2a7c90")
		if dirs[n.GetHostId()] == "" || os.MkdirAll(td, 0o755) != nil {
			t.Fatalf("no data directory for %s", n.GetName())
		}
		for comp, b := range map[string]string{"Data.db": "rows of " + n.GetName(), "Statistics.db": "stats", "TOC.txt": "Data.db\nStatistics.db\nTOC.txt\n"} {
			if err := os.WriteFile(filepath.Join(td, "nb-1-big-"+comp), []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want[ordinal(n.GetName())] = tableFiles(t, td)
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

	// The schema first (the stand-in's CQL port serves cqlsh, not the restore's driver, so the
	// restore's create-from-schema path is left to the real tier).
	w.cqlsh(neo.GetNodes()[0].GetAddress(), "CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}; CREATE TABLE shop.orders (id int PRIMARY KEY, v text)")
	dirs = simDataDirs(t, w.Dir())
	for _, n := range neo.GetNodes() {
		if dirs[n.GetHostId()] == "" || os.MkdirAll(filepath.Join(dirs[n.GetHostId()], "shop", "orders-6f1c2a40b7c211ee9a4b3d1e5f2a7c90"), 0o755) != nil {
			t.Fatalf("no data directory for %s", n.GetName())
		}
	}
	if out, errOut, code = w.CLI("backup", "restore", "neo", "--backup", id, "--source-ring", "olda", "--wait", "--timeout", "2m"); code != 0 {
		t.Fatalf("backup restore neo --source-ring olda: exit %d\n%s%s", code, out, errOut)
	}
	// Each node of neo now holds the files of the node of olda with its tokens.
	for _, n := range neo.GetNodes() {
		tds, _ := filepath.Glob(filepath.Join(dirs[n.GetHostId()], "shop", "orders-*"))
		if len(tds) != 1 {
			t.Errorf("%s: table directories %v, want one", n.GetName(), tds)
			continue
		}
		if got := tableFiles(t, tds[0]); strings.Join(got, " ") != strings.Join(want[ordinal(n.GetName())], " ") {
			t.Errorf("%s after the restore holds %v, want olda-%s's %v", n.GetName(), got, ordinal(n.GetName()), want[ordinal(n.GetName())])
		}
	}
}
