package cassandrasim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The native transport port accepts TCP connections. Real CQL clients get nothing useful back; the
// stand-in's own cqlsh speaks a private JSON line protocol on it: {"cql": "<statements>"} answered by
// {"error": "<class>: <message>"} or {}. Only the schema statements the stand-in needs are known:
// CREATE/ALTER/DROP KEYSPACE and CREATE/DROP TABLE.

type cqlRequest struct {
	CQL string `json:"cql"`
}

type cqlResponse struct {
	Error string `json:"error,omitempty"`
}

func (n *node) serveNative(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func(conn net.Conn) {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
			conn = n.cfg.TLS.nativeConn(conn)
			var req cqlRequest
			if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&req); err != nil {
				return
			}
			resp := cqlResponse{}
			if err := n.execCQL(req.CQL); err != nil {
				resp.Error = err.Error()
			}
			_ = json.NewEncoder(conn).Encode(resp)
		}(conn)
	}
}

// Statement is a parsed schema statement.
type Statement struct {
	Kind        string // CREATE KEYSPACE, ALTER KEYSPACE, DROP KEYSPACE, CREATE TABLE, DROP TABLE
	Keyspace    string
	Table       string
	IfNotExists bool
	IfExists    bool
	Replication map[string]string
}

var (
	reCreateKS = regexp.MustCompile(`(?is)^\s*(CREATE|ALTER)\s+KEYSPACE\s+(IF\s+NOT\s+EXISTS\s+)?("?[A-Za-z0-9_]+"?)\s+WITH\s+replication\s*=\s*(\{.*?\})(\s+AND\s+durable_writes\s*=\s*(true|false))?\s*$`)
	reDropKS   = regexp.MustCompile(`(?is)^\s*DROP\s+KEYSPACE\s+(IF\s+EXISTS\s+)?("?[A-Za-z0-9_]+"?)\s*$`)
	reTable    = regexp.MustCompile(`(?is)^\s*(CREATE|DROP)\s+TABLE\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?("?[A-Za-z0-9_]+"?)\.("?[A-Za-z0-9_]+"?)(\s*\(.*)?$`)
	reMapEntry = regexp.MustCompile(`^\s*'([^']*)'\s*:\s*(?:'([^']*)'|([0-9]+))\s*$`)
)

// ParseCQL parses the schema statements the stand-in understands, separated by semicolons.
func ParseCQL(src string) ([]Statement, error) {
	var out []Statement
	for _, raw := range strings.Split(src, ";") {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		if m := reCreateKS.FindStringSubmatch(s); m != nil {
			st := Statement{Kind: strings.ToUpper(m[1]) + " KEYSPACE", Keyspace: unquote(m[3]), IfNotExists: m[2] != ""}
			repl, err := parseCQLMap(m[4])
			if err != nil {
				return nil, err
			}
			st.Replication = repl
			out = append(out, st)
			continue
		}
		if m := reDropKS.FindStringSubmatch(s); m != nil {
			out = append(out, Statement{Kind: "DROP KEYSPACE", Keyspace: unquote(m[2]), IfExists: m[1] != ""})
			continue
		}
		if m := reTable.FindStringSubmatch(s); m != nil {
			kind := strings.ToUpper(m[1]) + " TABLE"
			if kind == "CREATE TABLE" && m[5] == "" {
				return nil, fmt.Errorf("SyntaxException: line 1:%d mismatched input: CREATE TABLE needs a column list", len(s))
			}
			st := Statement{Kind: kind, Keyspace: unquote(m[3]), Table: unquote(m[4])}
			if m[2] != "" {
				st.IfNotExists = kind == "CREATE TABLE"
				st.IfExists = kind == "DROP TABLE"
			}
			out = append(out, st)
			continue
		}
		first := strings.Fields(s)[0]
		return nil, fmt.Errorf("SyntaxException: line 1:0 no viable alternative at input '%s' (the stand-in only knows CREATE/ALTER/DROP KEYSPACE and CREATE/DROP TABLE)", first)
	}
	return out, nil
}

func unquote(s string) string {
	if strings.HasPrefix(s, `"`) {
		return strings.Trim(s, `"`)
	}
	return strings.ToLower(s)
}

func parseCQLMap(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil, fmt.Errorf("SyntaxException: replication must be a map literal {...}")
	}
	out := map[string]string{}
	body := strings.TrimSpace(s[1 : len(s)-1])
	if body == "" {
		return out, nil
	}
	for _, e := range strings.Split(body, ",") {
		m := reMapEntry.FindStringSubmatch(e)
		if m == nil {
			return nil, fmt.Errorf("SyntaxException: cannot parse replication entry %q", strings.TrimSpace(e))
		}
		out[m[1]] = m[2] + m[3]
	}
	return out, nil
}

// keyspaceFromReplication validates a replication map the way Cassandra does.
func keyspaceFromReplication(name string, repl map[string]string) (Keyspace, error) {
	class := repl["class"]
	class = strings.TrimPrefix(class, "org.apache.cassandra.locator.")
	ks := Keyspace{Name: name, Class: class}
	switch class {
	case "SimpleStrategy":
		v, ok := repl["replication_factor"]
		if !ok {
			return ks, fmt.Errorf("ConfigurationException: SimpleStrategy requires a replication_factor strategy option.")
		}
		rf, err := strconv.Atoi(v)
		if err != nil || rf < 0 {
			return ks, fmt.Errorf("ConfigurationException: Replication factor must be non-negative; found %s", v)
		}
		ks.RF = rf
		for k := range repl {
			if k != "class" && k != "replication_factor" {
				return ks, fmt.Errorf("ConfigurationException: Unrecognized strategy option {%s} passed to SimpleStrategy for keyspace %s", k, name)
			}
		}
	case "NetworkTopologyStrategy":
		ks.DCs = map[string]int{}
		for k, v := range repl {
			if k == "class" {
				continue
			}
			rf, err := strconv.Atoi(v)
			if err != nil || rf < 0 {
				return ks, fmt.Errorf("ConfigurationException: Replication factor must be non-negative; found %s", v)
			}
			ks.DCs[k] = rf
		}
	case "":
		return ks, fmt.Errorf("ConfigurationException: Missing replication strategy class")
	default:
		return ks, fmt.Errorf("ConfigurationException: Unable to find replication strategy class 'org.apache.cassandra.locator.%s'", class)
	}
	return ks, nil
}

func (n *node) execCQL(src string) error {
	stmts, err := ParseCQL(src)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		if err := n.applyStatement(st); err != nil {
			return err
		}
	}
	return nil
}

func (n *node) applyStatement(st Statement) error {
	n.mu.Lock()
	cur, exists := n.schema[st.Keyspace]
	exists = exists && !cur.Dropped
	stamp := time.Now().UnixMicro()
	if stamp <= cur.Stamp {
		stamp = cur.Stamp + 1
	}
	var next Keyspace
	switch st.Kind {
	case "CREATE KEYSPACE", "ALTER KEYSPACE":
		if IsSystem(st.Keyspace) {
			n.mu.Unlock()
			return fmt.Errorf("Unauthorized: Cannot %s system keyspace %s", strings.ToLower(st.Kind[:6]), st.Keyspace)
		}
		if st.Kind == "CREATE KEYSPACE" && exists {
			n.mu.Unlock()
			if st.IfNotExists {
				return nil
			}
			return fmt.Errorf("AlreadyExists: Keyspace '%s' already exists", st.Keyspace)
		}
		if st.Kind == "ALTER KEYSPACE" && !exists {
			n.mu.Unlock()
			return fmt.Errorf("InvalidRequest: Keyspace '%s' doesn't exist", st.Keyspace)
		}
		ks, err := keyspaceFromReplication(st.Keyspace, st.Replication)
		if err != nil {
			n.mu.Unlock()
			return err
		}
		if exists {
			ks.Tables = cur.Tables
		}
		next = ks
	case "DROP KEYSPACE":
		if !exists {
			n.mu.Unlock()
			if st.IfExists {
				return nil
			}
			return fmt.Errorf("InvalidRequest: Keyspace '%s' doesn't exist", st.Keyspace)
		}
		next = cur
		next.Dropped = true
	case "CREATE TABLE", "DROP TABLE":
		if !exists {
			n.mu.Unlock()
			return fmt.Errorf("InvalidRequest: Keyspace '%s' doesn't exist", st.Keyspace)
		}
		next = cur
		has := contains(cur.Tables, st.Table)
		if st.Kind == "CREATE TABLE" {
			if has {
				n.mu.Unlock()
				if st.IfNotExists {
					return nil
				}
				return fmt.Errorf("AlreadyExists: Table '%s.%s' already exists", st.Keyspace, st.Table)
			}
			next.Tables = append(append([]string(nil), cur.Tables...), st.Table)
		} else {
			if !has {
				n.mu.Unlock()
				if st.IfExists {
					return nil
				}
				return fmt.Errorf("InvalidRequest: Table '%s.%s' doesn't exist", st.Keyspace, st.Table)
			}
			next.Tables = nil
			for _, t := range cur.Tables {
				if t != st.Table {
					next.Tables = append(next.Tables, t)
				}
			}
		}
	}
	next.Stamp = stamp
	n.schema[st.Keyspace] = next
	schema := cloneSchema(n.schema)
	n.mu.Unlock()
	n.g.update(func(s *EndpointState) { s.Schema = schema })
	n.log.info("Native-Transport-Requests-1", "MigrationCoordinator.java", 246, "%s %s", st.Kind, st.Keyspace)
	return n.saveLocal()
}
