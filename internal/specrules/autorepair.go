package specrules

import (
	"fmt"
	"time"
)

// AutoRepairTypes are Cassandra Auto Repair's repair types (nodetool setautorepairconfig -t).
var AutoRepairTypes = []string{"full", "incremental", "preview_repaired"}

// MinAutoRepairInterval is the smallest min_repair_interval accepted.
const MinAutoRepairInterval = time.Minute

// DefaultAutoRepairInterval is min_repair_interval when the spec leaves it unset (Cassandra's
// own default).
const DefaultAutoRepairInterval = 24 * time.Hour

// AutoRepair checks an Auto Repair setting: known, distinct repair types and an interval of at
// least a minute (0: the default).
func AutoRepair(prefix string, types []string, interval time.Duration) error {
	seen := map[string]bool{}
	for i, t := range types {
		field := fmt.Sprintf("%srepair_types[%d]", prefix, i)
		ok := false
		for _, v := range AutoRepairTypes {
			ok = ok || v == t
		}
		if !ok {
			return bad(field, t, "not a repair type (want one of full, incremental, preview_repaired)")
		}
		if seen[t] {
			return bad(field, t, "named twice")
		}
		seen[t] = true
	}
	if interval != 0 && interval < MinAutoRepairInterval {
		return bad(prefix+"min_repair_interval", interval.String(), "shorter than 1m")
	}
	return nil
}
