package nodetool

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// InfoTokens runs `nodetool info -T`: the node's information with every token it owns.
func (c *Client) InfoTokens(ctx context.Context) (*Info, error) {
	return parsed(c, ctx, ParseInfo, "info", "-T")
}

// Tables runs `nodetool tablestats -F json` and returns each listed keyspace's table names.
func (c *Client) Tables(ctx context.Context) (map[string][]string, error) {
	return parsed(c, ctx, ParseTables, "tablestats", "-F", "json")
}

// ParseTables parses the stdout of `nodetool tablestats -F json` into the sorted table names of
// each keyspace it lists (a secondary index's "<table>.<index>" entry is left out). A keyspace
// without tables is not listed by nodetool.
func ParseTables(out string) (map[string][]string, error) {
	counts, err := ParseTableCounts(out)
	if err != nil {
		return nil, err
	}
	var top map[string]struct {
		Tables map[string]json.RawMessage `json:"tables"`
	}
	// ParseTableCounts accepted it: every keyspace entry is an object with a "tables" object,
	// except "total_number_of_tables".
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&raw); err != nil {
		return nil, fmt.Errorf("tablestats -F json: %v", err)
	}
	delete(raw, "total_number_of_tables")
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("tablestats -F json: %v", err)
	}
	names := make(map[string][]string, len(counts))
	for ks := range counts {
		list := []string{}
		for t := range top[ks].Tables {
			if !strings.Contains(t, ".") {
				list = append(list, t)
			}
		}
		sort.Strings(list)
		names[ks] = list
	}
	return names, nil
}
