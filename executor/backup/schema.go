package backup

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// Schema in backups. At backup time each node's manifest records, for every backed-up table, the
// statements of its snapshot's schema.cql (Manifest.Tables) and, for every backed-up keyspace,
// a CREATE KEYSPACE statement of the replication `nodetool describecluster` printed
// (Manifest.Keyspaces), and the tokens the node owned (`nodetool info -T`). Before a restore
// imports a table, it creates the keyspace and the table when the node's schema lacks them (a
// dropped table, a new ring): CREATE ... IF NOT EXISTS, through CQL to the node itself, waiting
// for schema agreement. The table is created without its old ID ("WITH ID = ..." is taken out
// of schema.cql's CREATE TABLE): a new table gets a new ID and a new directory, so nothing left
// of the dropped table (its directory, snapshots, commit log entries) is mistaken for the new
// one's; nodetool import does not care about the ID the sstables were written under.

// Cluster is what a backup reads about its node and how a restore recreates missing schema.
type Cluster interface {
	// Tokens returns the tokens the node owns (nodetool info -T).
	Tokens(ctx context.Context) ([]string, error)
	// Keyspaces returns every keyspace's replication as describecluster prints it
	// ("SimpleStrategy {replication_factor=2}").
	Keyspaces(ctx context.Context) (map[string]string, error)
	// Tables returns the node's tables by keyspace (nodetool tablestats).
	Tables(ctx context.Context) (map[string][]string, error)
	// ExecCQL runs schema statements, in order, on the node, and returns once every node of the
	// ring agrees on the resulting schema.
	ExecCQL(ctx context.Context, statements ...string) error
}

// KeyspaceCQL is the CREATE KEYSPACE IF NOT EXISTS statement of keyspace name with the
// replication describecluster printed for it.
func KeyspaceCQL(name, replication string) (string, error) {
	if !identRE.MatchString(name) {
		return "", fmt.Errorf("keyspace %q is not a keyspace name", name)
	}
	class, opts, err := nodetool.ParseReplication(replication)
	if err != nil {
		return "", fmt.Errorf("keyspace %s: %w", name, err)
	}
	if class == "LocalStrategy" || class == "EverywhereStrategy" {
		return "", fmt.Errorf("keyspace %s: %s is Cassandra's own; not recreated", name, class)
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{"'class': " + cqlString(class)}
	for _, k := range keys {
		parts = append(parts, cqlString(k)+": "+cqlString(opts[k]))
	}
	return fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %q WITH replication = {%s}", name, strings.Join(parts, ", ")), nil
}

func cqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// SplitCQL splits CQL text into its statements (without the ';'), skipping empty ones and
// comments; a ';' inside a quoted string, a quoted name, a $$ string or a comment does not end a
// statement.
func SplitCQL(src string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(src) {
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(src))
			cur.WriteString(src[i:end])
			i = end - 1
		case c == '$' && strings.HasPrefix(src[i:], "$$"):
			j := strings.Index(src[i+2:], "$$")
			end := len(src)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			cur.WriteString(src[i:end])
			i = end - 1
		case (c == '-' && strings.HasPrefix(src[i:], "--")) || (c == '/' && strings.HasPrefix(src[i:], "//")):
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				i = len(src)
			} else {
				i += j
				cur.WriteByte('\n')
			}
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				i = len(src)
			} else {
				i += 2 + j + 1
				cur.WriteByte(' ')
			}
		case c == ';':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

var (
	uuidPat = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
	// "WITH ID = <uuid> AND x" -> "WITH x"; "WITH ID = <uuid>" at the end -> ""; "AND ID = <uuid>" -> "".
	withIDAndRE = regexp.MustCompile(`(?is)\bWITH\s+ID\s*=\s*` + uuidPat + `\s+AND\s+`)
	withIDEndRE = regexp.MustCompile(`(?is)\s*\bWITH\s+ID\s*=\s*` + uuidPat + `\s*$`)
	andIDRE     = regexp.MustCompile(`(?is)\s+AND\s+ID\s*=\s*` + uuidPat + `\b`)
	createRE    = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s`)
)

// StripTableID takes the table ID option out of a CREATE TABLE statement (other statements are
// returned as they are).
func StripTableID(stmt string) string {
	if !createRE.MatchString(stmt) {
		return stmt
	}
	stmt = withIDAndRE.ReplaceAllString(stmt, "WITH ")
	stmt = withIDEndRE.ReplaceAllString(stmt, "")
	return andIDRE.ReplaceAllString(stmt, "")
}

type tableRef struct{ ks, t string }

// ensureSchema creates, through c, the keyspaces and tables of want that the node lacks, from
// the manifest's statements; it says which it created. A missing keyspace or table the manifest
// has no statement for is an error naming it.
func ensureSchema(ctx context.Context, c Cluster, m *Manifest, want []tableRef) ([]string, error) {
	tables, err := c.Tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the node's tables: %w", err)
	}
	kss, err := c.Keyspaces(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the node's keyspaces: %w", err)
	}
	var created []string
	for _, k := range want {
		if contains(tables[k.ks], k.t) {
			continue
		}
		var stmts []string
		if _, ok := kss[k.ks]; !ok {
			ks := m.Keyspaces[k.ks]
			if ks == "" {
				return created, fmt.Errorf("keyspace %s does not exist and the manifest of %s in backup %s records no replication for it: create it, then restore again", k.ks, m.Node, m.BackupID)
			}
			stmts = append(stmts, ks)
		}
		schema := SplitCQL(m.Tables[k.ks+"."+k.t])
		if len(schema) == 0 {
			return created, fmt.Errorf("table %s.%s does not exist and the manifest of %s in backup %s holds no schema for it: create it, then restore again", k.ks, k.t, m.Node, m.BackupID)
		}
		for _, st := range schema {
			stmts = append(stmts, StripTableID(st))
		}
		if err := c.ExecCQL(ctx, stmts...); err != nil {
			return created, fmt.Errorf("creating %s.%s from the backup's schema: %w", k.ks, k.t, err)
		}
		if _, ok := kss[k.ks]; !ok {
			kss[k.ks] = "created"
			created = append(created, k.ks)
		}
		tables[k.ks] = append(tables[k.ks], k.t)
		created = append(created, k.ks+"."+k.t)
	}
	return created, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
