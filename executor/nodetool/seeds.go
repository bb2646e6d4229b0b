package nodetool

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// ParseSeeds parses the stdout of `nodetool getseeds` and `nodetool reloadseeds` (Cassandra
// 4.0+): one line "Current list of seed node IPs, excluding the current node's IP: /10.0.0.2:7000
// /10.0.0.3:7000" (reloadseeds: "Updated seed node IP list, excluding the current node's IP:
// ..."), or "Seed node list does not contain any remote node IPs" (none). It returns the seeds'
// IP addresses, without port. "Failed to reload the seed node list." is an error.
func ParseSeeds(out string) ([]string, error) {
	for _, l := range lines(out) {
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "Seed node list does not contain any remote node IPs"):
			return []string{}, nil
		case strings.HasPrefix(t, "Failed to reload the seed node list"):
			return nil, fmt.Errorf("seeds: %s", truncate(t))
		}
		_, list, ok := strings.Cut(t, "IP: ")
		if !ok || !strings.Contains(t, "seed node IP") {
			return nil, fmt.Errorf("seeds: unexpected line %q", truncate(t))
		}
		seeds := []string{}
		for _, f := range strings.Fields(list) {
			ip, err := seedIP(f)
			if err != nil {
				return nil, err
			}
			seeds = append(seeds, ip)
		}
		return seeds, nil
	}
	return nil, fmt.Errorf("seeds: empty output")
}

// seedIP reads "/10.0.0.2:7000", "host/10.0.0.2:7000", "/[::1]:7000" or a bare address.
func seedIP(f string) (string, error) {
	if i := strings.LastIndex(f, "/"); i >= 0 {
		f = f[i+1:]
	}
	host := f
	if h, _, err := net.SplitHostPort(f); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return "", fmt.Errorf("seeds: %q is not an address", truncate(f))
	}
	return ip.String(), nil
}

// GetSeeds runs `nodetool getseeds`: the seeds the node uses, without its own address.
func (c *Client) GetSeeds(ctx context.Context) ([]string, error) {
	return parsed(c, ctx, ParseSeeds, "getseeds")
}

// ReloadSeeds runs `nodetool reloadseeds`: Cassandra reads its seed provider's list again (for
// SimpleSeedProvider, cassandra.yaml's seeds) and returns the seeds it now uses.
func (c *Client) ReloadSeeds(ctx context.Context) ([]string, error) {
	return parsed(c, ctx, ParseSeeds, "reloadseeds")
}
