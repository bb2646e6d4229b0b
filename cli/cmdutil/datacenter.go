package cmdutil

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cassmesos/cassmesos/internal/specrules"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ParseDataCenter parses a data centre flag value NAME=NODES[:SEEDS][@REGION] ("dc1=3",
// "dc2=3:2", "east=3@us-east"): the data centre's name, node count, seed count (0: the default)
// and the agents' fault-domain region it runs in ("": any agent).
func ParseDataCenter(v string) (*pb.DataCenter, error) {
	name, rest, ok := strings.Cut(v, "=")
	if !ok || name == "" || rest == "" {
		return nil, fmt.Errorf("%q: want NAME=NODES[:SEEDS][@REGION], e.g. dc1=3", v)
	}
	if err := specrules.Datacenter("name", name); err != nil {
		return nil, fmt.Errorf("%q: %w", v, err)
	}
	dc := &pb.DataCenter{Name: name}
	rest, region, hasRegion := strings.Cut(rest, "@")
	if hasRegion {
		if err := specrules.RackDC("region", region); err != nil {
			return nil, fmt.Errorf("%q: %w", v, err)
		}
		dc.Region = region
	}
	nodes, seeds, hasSeeds := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(nodes, 10, 32)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%q: nodes %q: want a whole number >= 1", v, nodes)
	}
	dc.Nodes = int32(n)
	if hasSeeds {
		s, err := strconv.ParseInt(seeds, 10, 32)
		if err != nil || s < 1 || s > n {
			return nil, fmt.Errorf("%q: seeds %q: want a whole number from 1 to %d", v, seeds, n)
		}
		dc.Seeds = int32(s)
	}
	return dc, nil
}
