package cassandrasim

import (
	"encoding/json"
)

// tableStatsJSON renders `nodetool tablestats -F json` as TableStatsHolder.convert2Map does: a
// "total_number_of_tables" count and, per keyspace with at least one table, its read/write
// figures and a "tables" object of per-table statistics (the stand-in keeps no data, so every
// figure is 0). Cassandra's own keyspaces carry no tables in the stand-in's schema.
func (v *view) tableStatsJSON() string {
	out := map[string]any{}
	total := 0
	for _, name := range sortedKeys(v.schema) {
		ks := v.schema[name]
		if ks.Dropped || len(ks.Tables) == 0 {
			continue
		}
		tables := map[string]any{}
		for _, t := range ks.Tables {
			tables[t] = map[string]any{
				"average_live_cells_per_slice_last_five_minutes": "NaN", "sstable_count": 0,
				"space_used_live": "0", "space_used_total": "0", "local_read_count": 0, "local_write_count": 0,
				"number_of_partitions_estimate": 0, "sstables_in_each_level": []any{},
			}
			total++
		}
		out[name] = map[string]any{
			"read_latency": "NaN", "read_count": 0, "read_latency_ms": "NaN",
			"write_latency": "NaN", "write_count": 0, "write_latency_ms": "NaN",
			"pending_flushes": 0, "tables": tables,
		}
	}
	out["total_number_of_tables"] = total
	b, _ := json.MarshalIndent(out, "", "  ") // maps of strings and numbers: cannot fail
	return string(b) + "\n"
}
