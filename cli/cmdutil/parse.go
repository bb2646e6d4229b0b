package cmdutil

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ParseMiB parses a size in MiB: "4Gi", "4GiB", "4096Mi", "4096 MiB", "1Ti" or a bare number of
// MiB ("4096"). Decimal units (G, GB, M) are refused as ambiguous.
func ParseMiB(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9') {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%q is not a size (want e.g. 4Gi, 4096Mi or 4096 MiB)", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: %w", s, err)
	}
	var mult int64
	switch unit := strings.TrimSpace(t[i:]); unit {
	case "", "Mi", "MiB":
		mult = 1
	case "Gi", "GiB":
		mult = 1024
	case "Ti", "TiB":
		mult = 1024 * 1024
	default:
		return 0, fmt.Errorf("%q: unknown unit %q (want Mi, MiB, Gi, GiB, Ti or TiB)", s, unit)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

// ParseDuration parses a Go duration that may also use days ("7d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	var days int64
	if i := strings.IndexByte(t, 'd'); i > 0 {
		n, err := strconv.ParseInt(t[:i], 10, 64)
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("%q is not a duration (want e.g. 30m, 1h, 7d)", s)
		}
		days, t = n, t[i+1:]
		if t == "" {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (want e.g. 30m, 1h, 7d)", s)
	}
	if days > 0 && d < 0 {
		return 0, fmt.Errorf("%q is not a duration (want e.g. 30m, 1h, 7d)", s)
	}
	return time.Duration(days)*24*time.Hour + d, nil
}

// ParseConstraint parses "attribute:OPERATOR[:value]" (SPREAD takes no value; LIKE and UNLIKE
// take a regular expression, which may itself contain ':').
func ParseConstraint(s string) (*pb.PlacementConstraint, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 || parts[0] == "" {
		return nil, fmt.Errorf("%q: want attribute:OPERATOR[:value], e.g. rack:SPREAD or hostname:LIKE:db-.*", s)
	}
	c := &pb.PlacementConstraint{Attribute: parts[0]}
	switch strings.ToUpper(parts[1]) {
	case "SPREAD":
		c.Operator = pb.ConstraintOperator_CONSTRAINT_OPERATOR_SPREAD
		if len(parts) == 3 {
			return nil, fmt.Errorf("%q: SPREAD takes no value", s)
		}
		return c, nil
	case "LIKE":
		c.Operator = pb.ConstraintOperator_CONSTRAINT_OPERATOR_LIKE
	case "UNLIKE":
		c.Operator = pb.ConstraintOperator_CONSTRAINT_OPERATOR_UNLIKE
	default:
		return nil, fmt.Errorf("%q: unknown operator %q (want SPREAD, LIKE or UNLIKE)", s, parts[1])
	}
	if len(parts) < 3 || parts[2] == "" {
		return nil, fmt.Errorf("%q: %s needs a value (a regular expression)", s, strings.ToUpper(parts[1]))
	}
	if _, err := regexp.Compile(parts[2]); err != nil {
		return nil, fmt.Errorf("%q: bad regular expression: %w", s, err)
	}
	c.Value = parts[2]
	return c, nil
}

// ParseKeyValues parses repeated "key=value" flags into a map.
func ParseKeyValues(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want key=value", kv)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%q: key %s given twice", kv, k)
		}
		m[k] = v
	}
	return m, nil
}

var windowRE = regexp.MustCompile(`^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$`)

// ParseWindow checks a daily window "HH:MM-HH:MM" (it may wrap midnight; start and end differ).
func ParseWindow(s string) (string, error) {
	m := windowRE.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("%q: want HH:MM-HH:MM, e.g. 01:00-06:00", s)
	}
	if m[1] == m[3] && m[2] == m[4] {
		return "", fmt.Errorf("%q: start and end are the same", s)
	}
	return s, nil
}

var clockRE = regexp.MustCompile(`^([01]?\d|2[0-3]):([0-5]\d)$`)

// ParseClock parses "HH:MM" into hour and minute.
func ParseClock(s string) (hour, minute int, err error) {
	m := clockRE.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("%q: want HH:MM, e.g. 02:00", s)
	}
	hour, _ = strconv.Atoi(m[1])
	minute, _ = strconv.Atoi(m[2])
	return hour, minute, nil
}

// TrimRef strips an optional "kind/" prefix, so the output of -o name can be passed back:
// TrimRef("operation", "operation/0001") == "0001".
func TrimRef(kind, s string) string {
	return strings.TrimPrefix(s, kind+"/")
}

// EnumName turns an enum value name into its CLI spelling:
// OPERATION_KIND_CREATE_RING with prefix "OPERATION_KIND_" is "create-ring".
func EnumName(full, prefix string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(full, prefix)), "_", "-")
}

// OperationKinds are the CLI spellings of every operation kind, in enum order.
func OperationKinds() []string {
	var nums []int32
	for i := range pb.OperationKind_name {
		if i != 0 {
			nums = append(nums, i)
		}
	}
	slices.Sort(nums) // enum numbers have gaps (kinds added later take numbers well above)
	var out []string
	for _, i := range nums {
		out = append(out, EnumName(pb.OperationKind_name[i], "OPERATION_KIND_"))
	}
	return out
}

// ParseOperationKind parses a CLI spelling ("repair", "create-ring") of an operation kind.
func ParseOperationKind(s string) (pb.OperationKind, error) {
	want := "OPERATION_KIND_" + strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	if v, ok := pb.OperationKind_value[want]; ok && v != 0 {
		return pb.OperationKind(v), nil
	}
	return 0, fmt.Errorf("%q: unknown operation kind (want one of %s)", s, strings.Join(OperationKinds(), ", "))
}
