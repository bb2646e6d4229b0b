package nodetool

import (
	"fmt"
	"strings"
)

// SystemKeyspaces are the keyspaces Cassandra (3.x to 5.0) creates for itself. Repair and
// cleanup runs that name no keyspace leave them out.
var SystemKeyspaces = map[string]bool{
	"system": true, "system_auth": true, "system_distributed": true, "system_schema": true,
	"system_traces": true, "system_views": true, "system_virtual_schema": true,
	// 5.1+ (transactional cluster metadata); harmless before.
	"system_cluster_metadata": true,
}

// IsSystemKeyspace reports whether name is one of Cassandra's own keyspaces.
func IsSystemKeyspace(name string) bool { return SystemKeyspaces[name] }

// ParseReplication parses the replication describecluster prints after "Replication class: "
// ("SimpleStrategy {replication_factor=3}", "NetworkTopologyStrategy {dc1=3, dc2=2}",
// "LocalStrategy {}") into the strategy class (short name) and its options. A fully qualified
// class (org.apache.cassandra.locator.SimpleStrategy) is shortened.
func ParseReplication(s string) (class string, options map[string]string, err error) {
	s = strings.TrimSpace(s)
	i := strings.IndexByte(s, '{')
	if i < 0 || !strings.HasSuffix(s, "}") {
		return "", nil, fmt.Errorf("replication %q: want \"<class> {<option>=<value>, ...}\"", truncate(s))
	}
	class = strings.TrimSpace(s[:i])
	if j := strings.LastIndexByte(class, '.'); j >= 0 {
		class = class[j+1:]
	}
	if class == "" || strings.ContainsAny(class, " \t{}=,") {
		return "", nil, fmt.Errorf("replication %q: %q is not a strategy class", truncate(s), truncate(class))
	}
	options = map[string]string{}
	body := strings.TrimSpace(s[i+1 : len(s)-1])
	if body == "" {
		return class, options, nil
	}
	for _, part := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" || strings.ContainsAny(k+v, "{}= \t") {
			return "", nil, fmt.Errorf("replication %q: option %q is not <name>=<value>", truncate(s), truncate(strings.TrimSpace(part)))
		}
		if _, dup := options[k]; dup {
			return "", nil, fmt.Errorf("replication %q: option %s given twice", truncate(s), k)
		}
		options[k] = v
	}
	return class, options, nil
}
