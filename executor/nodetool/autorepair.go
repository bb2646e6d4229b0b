package nodetool

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Cassandra Auto Repair (CEP-37, Cassandra 5.0.7+): `nodetool getautorepairconfig`,
// `autorepairstatus -t <type>` and `setautorepairconfig [-t <type>] <param> <value>`. The
// scheduler runs only on a node started with -Dcassandra.autorepair.enable=true and
// auto_repair.enabled: true in cassandra.yaml; otherwise the commands print "Auto-repair is not
// enabled" (get, status) or "Auto-repair is not supported or not enabled via
// -Dcassandra.autorepair.enable=true on the server." (set), and exit 0.

// AutoRepairTypes are the repair types Auto Repair schedules, as nodetool's -t takes them.
var AutoRepairTypes = []string{"full", "incremental", "preview_repaired"}

// ValidAutoRepairType reports whether t is one of AutoRepairTypes.
func ValidAutoRepairType(t string) bool {
	for _, v := range AutoRepairTypes {
		if v == t {
			return true
		}
	}
	return false
}

// ErrAutoRepairDisabled: the node runs without Auto Repair (no JVM property, or
// auto_repair.enabled false), so it cannot be configured at run time.
var ErrAutoRepairDisabled = errors.New("auto repair is not enabled on this node")

// AutoRepairConfig is the parsed output of `nodetool getautorepairconfig`.
type AutoRepairConfig struct {
	// Enabled is false when the node answered "Auto-repair is not enabled".
	Enabled bool
	// Global are the "repair scheduler configuration:" settings (repair_check_interval, ...).
	Global map[string]string
	// Types are the "configuration for repair_type: <t>" sections in output order.
	Types []AutoRepairTypeConfig
}

// AutoRepairTypeConfig is one repair type's section. A disabled type shows only "enabled: false".
type AutoRepairTypeConfig struct {
	Type     string
	Enabled  bool
	Settings map[string]string
}

// Type returns the section of repair type t.
func (c *AutoRepairConfig) Type(t string) (AutoRepairTypeConfig, bool) {
	for _, tc := range c.Types {
		if tc.Type == t {
			return tc, true
		}
	}
	return AutoRepairTypeConfig{}, false
}

const autoRepairNotEnabled = "Auto-repair is not enabled"

// ParseAutoRepairConfig parses the stdout of `nodetool getautorepairconfig` (5.0.7+ layout:
// "repair scheduler configuration:" then one "configuration for repair_type: <t>" section per
// type, settings as tab-indented "key: value" lines).
func ParseAutoRepairConfig(out string) (*AutoRepairConfig, error) {
	c := &AutoRepairConfig{Global: map[string]string{}}
	section := ""
	var cur *AutoRepairTypeConfig
	seen := map[string]bool{}
	for i, raw := range lines(out) {
		ln := i + 1
		t := strings.TrimSpace(raw)
		if t == "" {
			continue
		}
		if section == "" && t == autoRepairNotEnabled {
			return &AutoRepairConfig{Global: map[string]string{}}, nil
		}
		if t == "repair scheduler configuration:" {
			if section != "" {
				return nil, fmt.Errorf("getautorepairconfig line %d: a second scheduler section", ln)
			}
			section = "global"
			continue
		}
		if rt, ok := strings.CutPrefix(t, "configuration for repair_type:"); ok {
			if section == "" {
				return nil, fmt.Errorf("getautorepairconfig line %d: repair type section before \"repair scheduler configuration:\"", ln)
			}
			rt = strings.TrimSpace(rt)
			if !ValidAutoRepairType(rt) {
				return nil, fmt.Errorf("getautorepairconfig line %d: unknown repair type %q", ln, truncate(rt))
			}
			if seen[rt] {
				return nil, fmt.Errorf("getautorepairconfig line %d: repair type %s twice", ln, rt)
			}
			seen[rt] = true
			c.finishType(cur)
			cur = &AutoRepairTypeConfig{Type: rt, Settings: map[string]string{}}
			section = "type"
			continue
		}
		if section == "" {
			return nil, fmt.Errorf("getautorepairconfig line %d: want \"repair scheduler configuration:\", got %q", ln, truncate(t))
		}
		k, v, ok := strings.Cut(t, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("getautorepairconfig line %d: want \"key: value\", got %q", ln, truncate(t))
		}
		m := c.Global
		if cur != nil {
			m = cur.Settings
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("getautorepairconfig line %d: %s twice", ln, truncate(k))
		}
		m[k] = v
	}
	if section == "" {
		return nil, fmt.Errorf("getautorepairconfig: no \"repair scheduler configuration:\" line in output")
	}
	c.finishType(cur)
	for _, tc := range c.Types {
		if _, ok := tc.Settings["enabled"]; !ok {
			return nil, fmt.Errorf("getautorepairconfig: repair type %s has no \"enabled\" line", tc.Type)
		}
		switch tc.Settings["enabled"] {
		case "true", "false":
		default:
			return nil, fmt.Errorf("getautorepairconfig: repair type %s: enabled %q is not true or false", tc.Type, truncate(tc.Settings["enabled"]))
		}
	}
	c.Enabled = true
	return c, nil
}

func (c *AutoRepairConfig) finishType(t *AutoRepairTypeConfig) {
	if t == nil {
		return
	}
	t.Enabled = t.Settings["enabled"] == "true"
	c.Types = append(c.Types, *t)
}

// AutoRepairStatus is the parsed output of `nodetool autorepairstatus -t <type>`.
type AutoRepairStatus struct {
	// Enabled is false when the node answered "Auto-repair is not enabled".
	Enabled bool
	// Active are the host IDs with a repair of the type in progress ("NONE": empty).
	Active []string
}

// ParseAutoRepairStatus parses the stdout of `nodetool autorepairstatus -t <type>`: a table whose
// header is "Active Repairs" and whose one row is "NONE" or comma-separated host IDs.
func ParseAutoRepairStatus(out string) (*AutoRepairStatus, error) {
	var got []string
	for _, l := range lines(out) {
		if t := strings.TrimSpace(l); t != "" {
			got = append(got, t)
		}
	}
	if len(got) == 1 && got[0] == autoRepairNotEnabled {
		return &AutoRepairStatus{}, nil
	}
	if len(got) != 2 || got[0] != "Active Repairs" {
		return nil, fmt.Errorf("autorepairstatus: want \"Active Repairs\" and one row, got %d lines", len(got))
	}
	st := &AutoRepairStatus{Enabled: true}
	if got[1] == "NONE" {
		return st, nil
	}
	seen := map[string]bool{}
	for _, id := range strings.Split(got[1], ",") {
		id = strings.TrimSpace(id)
		if id == "" || strings.ContainsAny(id, " \t") || seen[id] {
			return nil, fmt.Errorf("autorepairstatus: bad host ID list %q", truncate(got[1]))
		}
		seen[id] = true
		st.Active = append(st.Active, id)
	}
	return st, nil
}

// parseSetAutoRepair checks the stdout of `nodetool setautorepairconfig`: nothing on success, a
// sentence when the node has no Auto Repair.
func parseSetAutoRepair(out string) (struct{}, error) {
	t := strings.TrimSpace(out)
	switch {
	case t == "":
		return struct{}{}, nil
	case strings.HasPrefix(t, "Auto-repair is not"):
		return struct{}{}, fmt.Errorf("%w: %s", ErrAutoRepairDisabled, truncate(t))
	}
	return struct{}{}, fmt.Errorf("setautorepairconfig: unexpected output %q", truncate(t))
}

// GetAutoRepairConfig runs `nodetool getautorepairconfig`.
func (c *Client) GetAutoRepairConfig(ctx context.Context) (*AutoRepairConfig, error) {
	return parsed(c, ctx, ParseAutoRepairConfig, "getautorepairconfig")
}

// AutoRepairStatus runs `nodetool autorepairstatus -t <repairType>`.
func (c *Client) AutoRepairStatus(ctx context.Context, repairType string) (*AutoRepairStatus, error) {
	if !ValidAutoRepairType(repairType) {
		return nil, fmt.Errorf("nodetool autorepairstatus: repair type %q: want one of %s", truncate(repairType), strings.Join(AutoRepairTypes, ", "))
	}
	return parsed(c, ctx, ParseAutoRepairStatus, "autorepairstatus", "-t", repairType)
}

// SetAutoRepairEnabled runs `nodetool setautorepairconfig -t <repairType> enabled true|false`. A
// node without Auto Repair gives an error matching ErrAutoRepairDisabled (wrapped in *Error).
func (c *Client) SetAutoRepairEnabled(ctx context.Context, repairType string, enabled bool) error {
	if !ValidAutoRepairType(repairType) {
		return fmt.Errorf("nodetool setautorepairconfig: repair type %q: want one of %s", truncate(repairType), strings.Join(AutoRepairTypes, ", "))
	}
	v := "false"
	if enabled {
		v = "true"
	}
	_, err := parsed(c, ctx, parseSetAutoRepair, "setautorepairconfig", "-t", repairType, "enabled", v)
	return err
}
