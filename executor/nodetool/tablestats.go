package nodetool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// `nodetool tablestats -F json` (Cassandra 3.0+) prints one JSON object: a
// "total_number_of_tables" number and, per keyspace that has at least one table, an object whose
// "tables" object holds one entry per table (with its statistics). A secondary index's table
// appears as "<table>.<index>" (a table name cannot contain a dot) and is not counted.

// ParseTableCounts parses the stdout of `nodetool tablestats -F json` into the number of tables
// of each keyspace it lists. A keyspace without tables is not listed by nodetool.
func ParseTableCounts(out string) (map[string]int, error) {
	var top map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("tablestats -F json: %v", err)
	}
	if top == nil {
		return nil, fmt.Errorf("tablestats -F json: want a JSON object, got null")
	}
	if dec.More() {
		return nil, fmt.Errorf("tablestats -F json: more than one JSON value")
	}
	counts := map[string]int{}
	for name, raw := range top {
		if name == "total_number_of_tables" {
			continue
		}
		if name == "" || strings.ContainsAny(name, " \t\r\n.") {
			return nil, fmt.Errorf("tablestats -F json: %q is not a keyspace name", truncate(name))
		}
		var ks struct {
			Tables map[string]json.RawMessage `json:"tables"`
		}
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
			return nil, fmt.Errorf("tablestats -F json: keyspace %s: want an object, got %s", truncate(name), truncate(string(t)))
		}
		if err := json.Unmarshal(raw, &ks); err != nil {
			return nil, fmt.Errorf("tablestats -F json: keyspace %s: %v", truncate(name), err)
		}
		if ks.Tables == nil {
			return nil, fmt.Errorf("tablestats -F json: keyspace %s has no \"tables\" object", truncate(name))
		}
		n := 0
		for table := range ks.Tables {
			if table == "" || strings.ContainsAny(table, " \t\r\n") {
				return nil, fmt.Errorf("tablestats -F json: keyspace %s: %q is not a table name", truncate(name), truncate(table))
			}
			if !strings.Contains(table, ".") {
				n++
			}
		}
		counts[name] = n
	}
	return counts, nil
}

// TableCounts runs `nodetool tablestats -F json` and returns each listed keyspace's table count.
func (c *Client) TableCounts(ctx context.Context) (map[string]int, error) {
	return parsed(c, ctx, ParseTableCounts, "tablestats", "-F", "json")
}
