package cassandrasim

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Snapshots and imports. The stand-in keeps no rows, but it treats the files in its data
// directory as Cassandra 5.0 does: a table is a directory <data>/<keyspace>/<table>-<32 hex>, its
// sstables files "<version>-<generation>-big-<Component>"; `nodetool snapshot -t <tag>` hard-links
// every table's files into <table dir>/snapshots/<tag>/ (with manifest.json and schema.cql),
// `clearsnapshot -t <tag>` removes them, and `import <ks> <table> <dir>` moves a directory's
// sstables into the table under new generations. Output and errors are 5.0.8's.

var (
	simTableDirRE = regexp.MustCompile(`^([A-Za-z0-9_]+)-([0-9a-f]{32})$`)
	simSSTableRE  = regexp.MustCompile(`^([a-z]{2})-(\d+)-big-([A-Za-z0-9.]+)$`)
)

// tableDirs lists the table directories of the given keyspaces (all when none), sorted.
func (n *node) tableDirs(keyspaces []string) []string {
	data := n.cfg.DataDirs[0]
	var out []string
	kss := keyspaces
	if len(kss) == 0 {
		ents, _ := os.ReadDir(data)
		for _, e := range ents {
			if e.IsDir() {
				kss = append(kss, e.Name())
			}
		}
	}
	for _, ks := range kss {
		ents, _ := os.ReadDir(filepath.Join(data, ks))
		for _, e := range ents {
			if e.IsDir() && simTableDirRE.MatchString(e.Name()) {
				out = append(out, filepath.Join(data, ks, e.Name()))
			}
		}
	}
	sort.Strings(out)
	return out
}

func (n *node) cmdSnapshot(args []string, r *reply) int {
	var tag string
	var kss []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-t" || a == "--tag":
			if i+1 >= len(args) {
				return r.badUse("Required values for option 'snapshot_name' not provided")
			}
			i++
			tag = args[i]
		case a == "-sf" || a == "--skip-flush":
		case strings.HasPrefix(a, "-"):
			return r.badUse("Found unexpected parameters: [" + a + "]")
		default:
			kss = append(kss, a)
		}
	}
	if tag == "" {
		return r.badUse("You must supply a snapshot name.")
	}
	v := n.view()
	for _, ks := range kss {
		if _, ok := v.keyspace(ks); !ok {
			return r.javaError("java.io.IOException", "org.apache.cassandra.service.snapshot.SnapshotManager.takeSnapshot(SnapshotManager.java:193)", "Keyspace "+ks+" does not exist")
		}
	}
	dirs := n.tableDirs(kss)
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "snapshots", tag)); err == nil {
			return r.javaError("java.io.IOException", "org.apache.cassandra.service.StorageService.takeSnapshot(StorageService.java:4175)", "Snapshot "+tag+" already exists.")
		}
	}
	which := "[all keyspaces]"
	if len(kss) > 0 {
		which = "[" + strings.Join(kss, ", ") + "]"
	}
	r.out("Requested creating snapshot(s) for %s with snapshot name [%s] and options {skipFlush=false}\n", which, tag)
	for _, d := range dirs {
		sd := filepath.Join(d, "snapshots", tag)
		if err := os.MkdirAll(sd, 0o755); err != nil {
			return r.javaError("java.io.IOException", "org.apache.cassandra.db.ColumnFamilyStore.snapshot(ColumnFamilyStore.java:2094)", err.Error())
		}
		ents, _ := os.ReadDir(d)
		var files []string
		for _, e := range ents {
			if e.Type().IsRegular() && simSSTableRE.MatchString(e.Name()) {
				if err := os.Link(filepath.Join(d, e.Name()), filepath.Join(sd, e.Name())); err != nil {
					return r.javaError("java.io.IOException", "org.apache.cassandra.db.ColumnFamilyStore.snapshot(ColumnFamilyStore.java:2094)", err.Error())
				}
				files = append(files, e.Name())
			}
		}
		ks := filepath.Base(filepath.Dir(d))
		m := simTableDirRE.FindStringSubmatch(filepath.Base(d))
		schema := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (\n    id int PRIMARY KEY,\n    v text\n) WITH ID = %s;\n", ks, m[1], m[2])
		manifest := fmt.Sprintf("{\n  \"files\" : [ %s ],\n  \"created_at\" : \"2026-01-01T00:00:00Z\",\n  \"expires_at\" : null,\n  \"ephemeral\" : false\n}\n", quoteList(files))
		_ = os.WriteFile(filepath.Join(sd, "schema.cql"), []byte(schema), 0o644)
		_ = os.WriteFile(filepath.Join(sd, "manifest.json"), []byte(manifest), 0o644)
	}
	r.out("Snapshot directory: %s\n", tag)
	n.actions.record(Action{Node: n.cfg.ListenAddress, HostID: n.hostID(), Action: "snapshot", Status: "ok", Keyspace: strings.Join(kss, ","), Tables: []string{tag}})
	return 0
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, ", ")
}

func (n *node) cmdClearSnapshot(args []string, r *reply) int {
	var tag string
	all := false
	var kss []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-t":
			if i+1 >= len(args) {
				return r.badUse("Required values for option 'snapshot_name' not provided")
			}
			i++
			tag = args[i]
		case a == "--all":
			all = true
		case strings.HasPrefix(a, "-"):
			return r.badUse("Found unexpected parameters: [" + a + "]")
		default:
			kss = append(kss, a)
		}
	}
	if tag == "" && !all {
		r.err("error: Specify snapshot name or --all\n-- StackTrace --\njava.lang.RuntimeException: Specify snapshot name or --all\n")
		return 2
	}
	which := "[all keyspaces]"
	if len(kss) > 0 {
		which = "[" + strings.Join(kss, ", ") + "]"
	}
	if all {
		r.out("Requested clearing snapshot(s) for %s with [all snapshots]\n", which)
	} else {
		r.out("Requested clearing snapshot(s) for %s with snapshot name [%s]\n", which, tag)
	}
	for _, d := range n.tableDirs(kss) {
		if all {
			_ = os.RemoveAll(filepath.Join(d, "snapshots"))
		} else {
			_ = os.RemoveAll(filepath.Join(d, "snapshots", tag))
		}
	}
	return 0
}

func (n *node) cmdImport(args []string, r *reply) int {
	var pos []string
	for _, a := range args {
		switch {
		case a == "--":
		case strings.HasPrefix(a, "-"):
			// -c, -e, -l, -p (copy), -q, -r, -t, -v: accepted; the stand-in always moves.
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) < 3 {
		return r.badUse("import requires keyspace, table name and directories")
	}
	ks, table, dirs := pos[0], pos[1], pos[2:]
	var tdir string
	if m, _ := filepath.Glob(filepath.Join(n.cfg.DataDirs[0], ks, table+"-*")); len(m) == 1 && simTableDirRE.MatchString(filepath.Base(m[0])) {
		tdir = m[0]
	}
	if tdir == "" {
		return r.javaError("java.lang.IllegalArgumentException", "org.apache.cassandra.service.StorageService.getValidColumnFamilies(StorageService.java:3854)", fmt.Sprintf("Unknown keyspace/cf pair (%s.%s)", ks, table))
	}
	var failed []string
	for _, dir := range dirs {
		if err := importDir(tdir, dir); err != nil {
			n.log.info("RMI TCP Connection", "SSTableImporter.java", 139, "Failed importing sstables in directory %s: %v", dir, err)
			failed = append(failed, dir)
		}
	}
	if len(failed) > 0 {
		r.err("Some directories failed to import, check server logs for details:\n%s\n", strings.Join(failed, "\n"))
		return 1
	}
	n.actions.record(Action{Node: n.cfg.ListenAddress, HostID: n.hostID(), Action: "import", Status: "ok", Keyspace: ks, Tables: []string{table}})
	return 0
}

// importDir moves the sstables of dir into the table directory tdir, each sstable (its
// components) under the next free generation, as SSTableImporter does.
func importDir(tdir, dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	next := 0
	cur, _ := os.ReadDir(tdir)
	for _, e := range cur {
		if m := simSSTableRE.FindStringSubmatch(e.Name()); m != nil {
			if g, _ := strconv.Atoi(m[2]); g > next {
				next = g
			}
		}
	}
	gens := map[string]int{}
	for _, e := range ents {
		m := simSSTableRE.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		if _, ok := gens[m[2]]; !ok {
			next++
			gens[m[2]] = next
		}
		dst := filepath.Join(tdir, fmt.Sprintf("%s-%d-big-%s", m[1], gens[m[2]], m[3]))
		if err := os.Rename(filepath.Join(dir, e.Name()), dst); err != nil {
			return err
		}
	}
	if len(gens) == 0 {
		return fmt.Errorf("no sstables in %s", dir)
	}
	return nil
}
