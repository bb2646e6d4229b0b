package cassandrasim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Cassandra 5.0.7+ Auto Repair (CEP-37), as far as cassmesos uses it: the scheduler is on when the
// JVM runs with -Dcassandra.autorepair.enable=true and cassandra.yaml has auto_repair.enabled:
// true; each repair type (full, incremental, preview_repaired) is enabled per
// auto_repair.repair_type_overrides.<type>.enabled and can be switched at run time with
// `nodetool setautorepairconfig -t <type> enabled true|false` (lost at restart, as in Cassandra).
// `nodetool getautorepairconfig` and `autorepairstatus -t <type>` print what 5.0.8 prints
// (executor/nodetool/testdata/real-5.0.8). The stand-in does not run repairs of its own: Active
// Repairs is always NONE. Every change is an action ("autorepair", Target "<type>=<bool>").

// autoRepairTypes in Cassandra's order.
var autoRepairTypes = []string{"full", "incremental", "preview_repaired"}

// autoRepairConf is the auto_repair section.
type autoRepairConf struct {
	Enabled        bool                          `yaml:"enabled"`
	RepairCheck    string                        `yaml:"repair_check_interval"`
	TypeOverrides  map[string]autoRepairTypeConf `yaml:"repair_type_overrides"`
	GlobalSettings map[string]any                `yaml:"global_settings"`
	Other          map[string]any                `yaml:",inline"`
}

type autoRepairTypeConf struct {
	Enabled     *bool          `yaml:"enabled"`
	MinInterval string         `yaml:"min_repair_interval"`
	Other       map[string]any `yaml:",inline"`
}

// AutoRepair is a node's Auto Repair state.
type AutoRepair struct {
	// On: the JVM property and auto_repair.enabled.
	On bool
	// Enabled by repair type; MinInterval by repair type ("24h").
	Enabled     map[string]bool
	MinInterval map[string]string
}

// parseAutoRepair reads the auto_repair section of cassandra.yaml (raw) and the JVM property.
func parseAutoRepair(raw []byte, props map[string]string) (AutoRepair, error) {
	ar := AutoRepair{Enabled: map[string]bool{}, MinInterval: map[string]string{}}
	for _, t := range autoRepairTypes {
		ar.MinInterval[t] = "24h"
	}
	var y struct {
		AutoRepair *autoRepairConf `yaml:"auto_repair"`
	}
	if err := yaml.Unmarshal(raw, &y); err != nil {
		return ar, fmt.Errorf("auto_repair: %w", err)
	}
	if y.AutoRepair == nil {
		return ar, nil
	}
	for t, o := range y.AutoRepair.TypeOverrides {
		if !validAutoRepairType(t) {
			return ar, fmt.Errorf("auto_repair.repair_type_overrides: unknown repair type %s", t)
		}
		if o.Enabled != nil {
			ar.Enabled[t] = *o.Enabled
		}
		if o.MinInterval != "" {
			ar.MinInterval[t] = o.MinInterval
		}
	}
	ar.On = y.AutoRepair.Enabled && props["cassandra.autorepair.enable"] == "true"
	return ar, nil
}

func validAutoRepairType(t string) bool {
	for _, v := range autoRepairTypes {
		if v == t {
			return true
		}
	}
	return false
}

const (
	autoRepairOffGet = "Auto-repair is not enabled"
	autoRepairOffSet = "Auto-repair is not supported or not enabled via -Dcassandra.autorepair.enable=true on the server."
)

// repairTypeArg takes -t/--repair-type from args; the rest are returned.
func repairTypeArg(args []string) (typ string, rest []string, bad string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-t" || a == "--repair-type":
			if i+1 >= len(args) {
				return "", nil, "Required values for option 'repair type' not provided"
			}
			typ = args[i+1]
			i++
		case strings.HasPrefix(a, "--repair-type="):
			typ = strings.TrimPrefix(a, "--repair-type=")
		case a == "--":
		case strings.HasPrefix(a, "-"):
			return "", nil, "Found unexpected parameters: [" + a + "]"
		default:
			rest = append(rest, a)
		}
	}
	return typ, rest, ""
}

func (n *node) autoRepairCommand(cmd string, args []string, r *reply) int {
	typ, rest, bad := repairTypeArg(args)
	if bad != "" {
		return r.badUse(bad)
	}
	if typ != "" && !validAutoRepairType(strings.ToLower(typ)) {
		return r.badUse("No enum constant org.apache.cassandra.repair.autorepair.AutoRepairConfig.RepairType." + strings.ToUpper(typ))
	}
	typ = strings.ToLower(typ)
	n.mu.Lock()
	ar := n.autoRepair
	n.mu.Unlock()
	switch cmd {
	case "getautorepairconfig":
		if len(rest) > 0 || typ != "" {
			return r.badUse("Found unexpected parameters: " + fmt.Sprint(append([]string(nil), args...)))
		}
		if !ar.On {
			r.out("%s\n", autoRepairOffGet)
			return 0
		}
		var b strings.Builder
		b.WriteString("repair scheduler configuration:\n\trepair_check_interval: 5m\n\trepair_task_min_duration: 5s\n\thistory_clear_delete_hosts_buffer_interval: 2h\n\tmixed_major_version_repair_enabled: false\n")
		for _, t := range autoRepairTypes {
			fmt.Fprintf(&b, "configuration for repair_type: %s\n\tenabled: %v\n", t, ar.Enabled[t])
			if ar.Enabled[t] {
				fmt.Fprintf(&b, "\tmin_repair_interval: %s\n\trepair_by_keyspace: true\n\tnumber_of_repair_threads: 1\n", ar.MinInterval[t])
			}
		}
		r.out("%s", b.String())
		return 0
	case "autorepairstatus":
		if len(rest) > 0 {
			return r.badUse("Found unexpected parameters: " + fmt.Sprint(rest))
		}
		if typ == "" {
			return r.badUse("--repair-type is required.")
		}
		if !ar.On {
			r.out("%s\n", autoRepairOffGet)
			return 0
		}
		r.out("Active Repairs\nNONE          \n")
		return 0
	}
	// setautorepairconfig [-t type] <param> <value>
	if len(rest) != 2 {
		return r.badUse("setautorepairconfig requires param-type, and value args.")
	}
	if !ar.On {
		r.out("%s\n", autoRepairOffSet)
		return 0
	}
	param, val := rest[0], rest[1]
	if typ == "" {
		return r.badUse("--repair-type is required for this parameter.")
	}
	switch param {
	case "enabled":
		on := strings.EqualFold(val, "true") // Boolean.parseBoolean
		n.mu.Lock()
		n.autoRepair.Enabled = copyBools(n.autoRepair.Enabled)
		n.autoRepair.Enabled[typ] = on
		n.mu.Unlock()
		n.actions.record(Action{Node: n.cfg.ListenAddress, HostID: n.hostID(), Action: "autorepair", Status: "ok", Target: fmt.Sprintf("%s=%v", typ, on), Time: time.Now()})
		n.log.info("main", "AutoRepairConfig.java", 200, "Auto repair for %s is now %v", typ, map[bool]string{true: "enabled", false: "disabled"}[on])
	case "min_repair_interval":
		n.mu.Lock()
		n.autoRepair.MinInterval = copyStrings(n.autoRepair.MinInterval)
		n.autoRepair.MinInterval[typ] = val
		n.mu.Unlock()
	default:
		// Other parameters are accepted and ignored by the stand-in.
	}
	return 0
}

func copyBools(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyStrings(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}
