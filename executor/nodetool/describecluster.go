package nodetool

import (
	"fmt"
	"strconv"
	"strings"
)

// ClusterDescription is the parsed output of `nodetool describecluster`. The sections after
// "Schema versions" exist in 4.0+ only; they are nil or empty for 3.x.
type ClusterDescription struct {
	Name        string
	Snitch      string
	Partitioner string
	// DynamicSnitch is the 3.11+ "DynamicEndPointSnitch: enabled|disabled" line; nil if absent.
	DynamicSnitch *bool
	// SchemaVersions lists each schema version and the nodes on it; nodes that could not be asked
	// are under the version "UNREACHABLE".
	SchemaVersions []EndpointGroup
	Stats          *ClusterStats
	Datacenters    []DatacenterSummary
	// DatabaseVersions lists each release version and its nodes (4.0+).
	DatabaseVersions []EndpointGroup
	Keyspaces        []KeyspaceReplication
}

// EndpointGroup is one "<key>: [ip, ip, ...]" line.
type EndpointGroup struct {
	Key       string
	Endpoints []string
}

// ClusterStats is the 4.0+ "Stats for all nodes:" section.
type ClusterStats struct {
	Live, Joining, Moving, Leaving, Unreachable int
}

// DatacenterSummary is one line of the 4.0+ "Data Centers:" section.
type DatacenterSummary struct {
	Name        string
	Nodes, Down int
}

// KeyspaceReplication is one line of the 4.0+ "Keyspaces:" section.
type KeyspaceReplication struct {
	Name, Replication string
}

// SchemaAgreement reports whether every reachable node is on one schema version and none is
// unreachable.
func (c *ClusterDescription) SchemaAgreement() bool {
	return len(c.SchemaVersions) == 1 && c.SchemaVersions[0].Key != "UNREACHABLE"
}

// ParseDescribeCluster parses the stdout of `nodetool describecluster` (3.x layout and the
// longer 4.0+ layout). Indentation (tabs in real output) is not relied on.
func ParseDescribeCluster(out string) (*ClusterDescription, error) {
	cd := &ClusterDescription{}
	section := ""
	sawHeader := false
	for i, raw := range lines(out) {
		ln := i + 1
		t := strings.TrimSpace(raw)
		if t == "" {
			continue
		}
		if !sawHeader {
			if t != "Cluster Information:" {
				return nil, fmt.Errorf("describecluster line %d: want \"Cluster Information:\", got %q", ln, truncate(t))
			}
			sawHeader = true
			section = "info"
			continue
		}
		switch t {
		case "Schema versions:":
			section = "schema"
			continue
		case "Stats for all nodes:":
			section, cd.Stats = "stats", &ClusterStats{}
			continue
		case "Data Centers:":
			section = "dcs"
			continue
		case "Database versions:":
			section = "versions"
			continue
		case "Keyspaces:":
			section = "keyspaces"
			continue
		}
		var err error
		switch section {
		case "info":
			k, v, ok := strings.Cut(t, ":")
			if !ok {
				return nil, fmt.Errorf("describecluster line %d: %q is not \"key: value\"", ln, truncate(t))
			}
			v = strings.TrimSpace(v)
			switch k {
			case "Name":
				cd.Name = v
			case "Snitch":
				cd.Snitch = v
			case "Partitioner":
				cd.Partitioner = v
			case "DynamicEndPointSnitch":
				b := v == "enabled"
				if !b && v != "disabled" {
					return nil, fmt.Errorf("describecluster line %d: DynamicEndPointSnitch %q", ln, truncate(v))
				}
				cd.DynamicSnitch = &b
			}
		case "schema", "versions":
			var g EndpointGroup
			g, err = parseEndpointGroup(t)
			if section == "schema" {
				cd.SchemaVersions = append(cd.SchemaVersions, g)
			} else {
				cd.DatabaseVersions = append(cd.DatabaseVersions, g)
			}
		case "stats":
			k, v, ok := strings.Cut(t, ":")
			var n int
			if ok {
				n, err = strconv.Atoi(strings.TrimSpace(v))
			}
			if !ok || err != nil {
				return nil, fmt.Errorf("describecluster line %d: %q is not \"<state>: <count>\"", ln, truncate(t))
			}
			switch k {
			case "Live":
				cd.Stats.Live = n
			case "Joining":
				cd.Stats.Joining = n
			case "Moving":
				cd.Stats.Moving = n
			case "Leaving":
				cd.Stats.Leaving = n
			case "Unreachable":
				cd.Stats.Unreachable = n
			}
		case "dcs":
			var d DatacenterSummary
			d, err = parseDCSummary(t)
			cd.Datacenters = append(cd.Datacenters, d)
		case "keyspaces":
			name, repl, ok := strings.Cut(t, " -> ")
			if !ok {
				return nil, fmt.Errorf("describecluster line %d: %q is not \"<ks> -> Replication class: ...\"", ln, truncate(t))
			}
			cd.Keyspaces = append(cd.Keyspaces, KeyspaceReplication{Name: name, Replication: strings.TrimSpace(strings.TrimPrefix(repl, "Replication class:"))})
		}
		if err != nil {
			return nil, fmt.Errorf("describecluster line %d: %w", ln, err)
		}
	}
	if !sawHeader {
		return nil, fmt.Errorf("describecluster: no \"Cluster Information:\" line in output")
	}
	if cd.Name == "" {
		return nil, fmt.Errorf("describecluster: no Name line in output")
	}
	return cd, nil
}

// parseEndpointGroup reads "<key>: [a, b]". The key may contain colons (never in practice).
func parseEndpointGroup(t string) (EndpointGroup, error) {
	i := strings.LastIndex(t, ": [")
	if i < 0 || !strings.HasSuffix(t, "]") {
		return EndpointGroup{}, fmt.Errorf("%q is not \"<key>: [endpoints]\"", truncate(t))
	}
	g := EndpointGroup{Key: t[:i]}
	inner := strings.TrimSpace(t[i+3 : len(t)-1])
	if inner != "" {
		for _, e := range strings.Split(inner, ",") {
			g.Endpoints = append(g.Endpoints, strings.TrimSpace(e))
		}
	}
	return g, nil
}

// parseDCSummary reads "dc1 #Nodes: 3 #Down: 0".
func parseDCSummary(t string) (DatacenterSummary, error) {
	i := strings.LastIndex(t, " #Nodes: ")
	if i < 0 {
		return DatacenterSummary{}, fmt.Errorf("%q is not \"<dc> #Nodes: N #Down: N\"", truncate(t))
	}
	d := DatacenterSummary{Name: t[:i]}
	nodes, down, ok := strings.Cut(t[i+len(" #Nodes: "):], " #Down: ")
	var err1, err2 error
	d.Nodes, err1 = strconv.Atoi(strings.TrimSpace(nodes))
	d.Down, err2 = strconv.Atoi(strings.TrimSpace(down))
	if !ok || err1 != nil || err2 != nil {
		return DatacenterSummary{}, fmt.Errorf("%q is not \"<dc> #Nodes: N #Down: N\"", truncate(t))
	}
	return d, nil
}
