package realcassandra

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/internal/e2e"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// checkKeyspaceTables creates keyspace kt with two tables and a secondary index on a real ring,
// reads `nodetool tablestats -F json` from node n with the real nodetool and parses it with the
// executor's parser (an index is not a table), and checks that `cassmesos keyspace list --system`
// shows the same counts. With CASSMESOS_GOLDEN_DIR set it writes the raw output there as
// tablestats-json.txt (executor/nodetool/testdata/real-5.0.8 holds the committed one).
func checkKeyspaceTables(t *testing.T, w *e2e.World, ring string, nodes map[string]*cassmesosv1.Node, n *cassmesosv1.Node) {
	t.Helper()
	var hosts []string
	for _, node := range nodes {
		hosts = append(hosts, node.GetAddress())
	}
	s := w.CQL(hosts...)
	defer s.Close()
	w.ExecCQL(s, gocql.All, "CREATE KEYSPACE IF NOT EXISTS kt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	w.ExecCQL(s, gocql.All, "CREATE TABLE IF NOT EXISTS kt.items (id int PRIMARY KEY, v text)")
	w.ExecCQL(s, gocql.All, "CREATE TABLE IF NOT EXISTS kt.orders (id int PRIMARY KEY, item int)")
	w.ExecCQL(s, gocql.All, "CREATE INDEX IF NOT EXISTS items_v ON kt.items (v)")

	out, errOut, code := w.NodetoolJMX("127.0.0.1", int(n.GetJmxPort()), "tablestats", "-F", "json")
	if code != 0 {
		t.Fatalf("nodetool tablestats -F json: exit %d: %s%s", code, out, errOut)
	}
	counts, err := nodetool.ParseTableCounts(out)
	if err != nil {
		t.Fatalf("ParseTableCounts of real output: %v\n%s", err, out)
	}
	if counts["kt"] != 2 || counts["system"] < 10 || counts["system_schema"] < 5 || counts["system_auth"] < 1 {
		t.Errorf("real table counts %v: want kt 2 (its index not counted) and the system keyspaces' tables", counts)
	}
	if dir := os.Getenv("CASSMESOS_GOLDEN_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tablestats-json.txt"), []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote the real tablestats -F json output to %s", dir)
	}

	w.Eventually(time.Minute, func() error {
		var resp cassmesosv1.RingServiceListKeyspacesResponse
		js := cli(t, w, "keyspace", "list", ring, "--system", "-o", "json")
		if err := protojson.Unmarshal([]byte(js), &resp); err != nil {
			t.Fatalf("keyspace list -o json: %v\n%s", err, js)
		}
		got := map[string]int32{}
		for _, k := range resp.GetKeyspaces() {
			got[k.GetName()] = k.GetTables()
		}
		for _, ks := range []string{"kt", "system", "system_schema", "system_auth", "system_distributed"} {
			if int(got[ks]) != counts[ks] {
				return fmt.Errorf("keyspace list: %s has %d tables, nodetool tablestats on %s %d (all %v)", ks, got[ks], n.GetName(), counts[ks], got)
			}
		}
		return nil
	}, "keyspace list table counts")
	table := cli(t, w, "keyspace", "list", ring)
	found := false
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "kt" && f[3] == "2" {
			found = true
		}
	}
	if !found {
		t.Errorf("keyspace list %s: no row \"kt ... 2\":\n%s", ring, table)
	}
}
