package nodetool

import (
	"fmt"
	"strconv"
	"strings"
)

// Info is the parsed output of `nodetool info [-T]`. Fields nodetool did not print (Thrift in
// 4.0+, the 5.0 bootstrap and decommission lines in older versions) are nil or zero; Fields keeps
// every "label: value" line as printed, in order.
type Info struct {
	ID                    string
	GossipActive          bool
	ThriftActive          *bool // 3.x only
	NativeTransportActive bool
	Load                  Load
	GenerationNo          int64
	UptimeSeconds         int64
	HeapUsedMB            float64
	HeapMaxMB             float64
	OffHeapMB             float64
	DataCenter            string
	Rack                  string
	Exceptions            int64
	// PercentRepaired is nil when nodetool printed none or a value that is not a percentage.
	PercentRepaired *float64
	// Tokens are the node's tokens when nodetool printed them (one token, or -T).
	Tokens []string
	// TokenCount is the number of tokens when known: len(Tokens), or N from
	// "(invoke with -T/--tokens to see all N tokens)".
	TokenCount int
	// Joined is false when nodetool printed "Token : (node is not joined to the cluster)".
	Joined bool
	// BootstrapState is the 5.0 "Bootstrap state" line (e.g. COMPLETED); "" when absent. The
	// other 5.0 lines (Bootstrap failed, Decommissioning, Decommission failed) are in Fields.
	BootstrapState string
	Fields         []InfoField
}

// InfoField is one "label : value" line of `nodetool info`.
type InfoField struct {
	Label, Value string
}

// Field returns the value of the first line with the given label.
func (in *Info) Field(label string) (string, bool) {
	for _, f := range in.Fields {
		if f.Label == label {
			return f.Value, true
		}
	}
	return "", false
}

// ParseInfo parses the stdout of `nodetool info [-T]` from Cassandra 3.x to 5.0. Every line is
// "%-23s: %s"; lines without a colon are rejected. The ID line is required.
func ParseInfo(out string) (*Info, error) {
	in := &Info{Joined: true}
	sawID := false
	for i, raw := range lines(out) {
		t := strings.TrimSpace(raw)
		if t == "" {
			continue
		}
		label, value, ok := strings.Cut(t, ":")
		if !ok {
			return nil, fmt.Errorf("info line %d: %q is not \"label : value\"", i+1, truncate(t))
		}
		label, value = strings.TrimSpace(label), strings.TrimSpace(value)
		if label == "" {
			return nil, fmt.Errorf("info line %d: %q has no label", i+1, truncate(t))
		}
		in.Fields = append(in.Fields, InfoField{Label: label, Value: value})
		var err error
		switch label {
		case "ID":
			if sawID {
				return nil, fmt.Errorf("info line %d: second ID line", i+1)
			}
			sawID = true
			if value == "" {
				return nil, fmt.Errorf("info line %d: empty ID", i+1)
			}
			if value != "null" {
				in.ID = strings.ToLower(value)
			}
		case "Gossip active":
			in.GossipActive, err = parseBool(value)
		case "Thrift active":
			var b bool
			b, err = parseBool(value)
			in.ThriftActive = &b
		case "Native Transport active":
			in.NativeTransportActive, err = parseBool(value)
		case "Load":
			in.Load, err = ParseLoad(value)
		case "Generation No":
			in.GenerationNo, err = strconv.ParseInt(value, 10, 64)
		case "Uptime (seconds)":
			in.UptimeSeconds, err = strconv.ParseInt(value, 10, 64)
		case "Heap Memory (MB)":
			used, max, ok := strings.Cut(value, "/")
			if !ok {
				err = fmt.Errorf("want \"used / max\"")
				break
			}
			if in.HeapUsedMB, err = parseDecimal(strings.TrimSpace(used)); err == nil {
				in.HeapMaxMB, err = parseDecimal(strings.TrimSpace(max))
			}
		case "Off Heap Memory (MB)":
			in.OffHeapMB, err = parseDecimal(value)
		case "Data Center":
			in.DataCenter = value
		case "Rack":
			in.Rack = value
		case "Exceptions":
			in.Exceptions, err = strconv.ParseInt(value, 10, 64)
		case "Percent Repaired":
			if num, ok := strings.CutSuffix(value, "%"); ok {
				if f, perr := parseDecimal(num); perr == nil {
					in.PercentRepaired = &f
				}
			}
		case "Token":
			err = in.addToken(value)
		case "Bootstrap state":
			in.BootstrapState = value
		}
		if err != nil {
			return nil, fmt.Errorf("info line %d: %s %q: %w", i+1, label, truncate(value), err)
		}
	}
	if !sawID {
		return nil, fmt.Errorf("info: no ID line in output")
	}
	return in, nil
}

func (in *Info) addToken(v string) error {
	switch {
	case v == "(node is not joined to the cluster)":
		in.Joined = false
	case strings.HasPrefix(v, "(invoke with -T/--tokens to see all "):
		n := strings.TrimSuffix(strings.TrimPrefix(v, "(invoke with -T/--tokens to see all "), " tokens)")
		k, err := strconv.Atoi(n)
		if err != nil || k < 0 {
			return fmt.Errorf("bad token count %q", n)
		}
		in.TokenCount = k
	case strings.HasPrefix(v, "("):
		return fmt.Errorf("unknown token note")
	case v == "":
		return fmt.Errorf("empty token")
	default:
		in.Tokens = append(in.Tokens, v)
		in.TokenCount = len(in.Tokens)
	}
	return nil
}

func parseBool(s string) (bool, error) {
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("want true or false")
}
