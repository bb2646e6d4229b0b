package nodetool

import (
	"fmt"
	"strings"
)

// Ring is the parsed output of `nodetool ring [keyspace]`: one entry per token.
type Ring struct {
	Datacenters []RingDatacenter
	Notes       []string
}

// RingDatacenter is one "Datacenter: <name>" block of `nodetool ring`.
type RingDatacenter struct {
	Name string
	// LastToken is the lone token printed under the header (the DC's last token, where the ring
	// wraps round).
	LastToken string
	Entries   []RingEntry
}

// RingEntry is one token row of `nodetool ring`.
type RingEntry struct {
	Address  string
	Rack     string
	Liveness Liveness
	State    State
	Load     Load
	Owns     Ownership
	Token    string
}

// ParseRing parses the stdout of `nodetool ring` (2.1 to 5.0 layout: Address Rack Status State
// Load Owns Token, with the warning lines and Note trailer of vnode clusters).
func ParseRing(out string) (*Ring, error) {
	r := &Ring{}
	dc := -1
	header := false
	for i, raw := range lines(out) {
		ln := i + 1
		t := strings.TrimSpace(raw)
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "Datacenter:"):
			r.Datacenters = append(r.Datacenters, RingDatacenter{Name: strings.TrimSpace(strings.TrimPrefix(t, "Datacenter:"))})
			dc = len(r.Datacenters) - 1
			header = false
		case strings.Trim(t, "=") == "":
			continue
		case strings.HasPrefix(t, "Warning:") || strings.HasPrefix(t, "To view status related info"):
			continue
		case strings.HasPrefix(t, "Note:"):
			r.Notes = append(r.Notes, strings.TrimSpace(strings.TrimPrefix(t, "Note:")))
		case strings.HasPrefix(t, "Error:"):
			return nil, fmt.Errorf("nodetool ring: %s", strings.TrimSpace(strings.TrimPrefix(t, "Error:")))
		case strings.HasPrefix(t, "Address") && len(strings.Fields(t)) == 7 && strings.Fields(t)[6] == "Token":
			if dc < 0 {
				r.Datacenters = append(r.Datacenters, RingDatacenter{})
				dc = 0
			}
			header = true
		default:
			if !header {
				return nil, fmt.Errorf("ring line %d: unexpected %q before a column header", ln, truncate(t))
			}
			f := strings.Fields(t)
			if len(f) == 1 {
				if r.Datacenters[dc].LastToken != "" || len(r.Datacenters[dc].Entries) > 0 {
					return nil, fmt.Errorf("ring line %d: lone token %q not right under the header", ln, truncate(t))
				}
				r.Datacenters[dc].LastToken = f[0]
				continue
			}
			e, err := parseRingRow(f)
			if err != nil {
				return nil, fmt.Errorf("ring line %d: %q: %w", ln, truncate(t), err)
			}
			r.Datacenters[dc].Entries = append(r.Datacenters[dc].Entries, e)
		}
	}
	n := 0
	for _, d := range r.Datacenters {
		n += len(d.Entries)
	}
	if n == 0 {
		return nil, fmt.Errorf("ring: no token rows in output")
	}
	return r, nil
}

func parseRingRow(f []string) (RingEntry, error) {
	// Address Rack Status State Load(1 or 2 fields) Owns Token
	if len(f) != 7 && len(f) != 8 {
		return RingEntry{}, fmt.Errorf("want 7 or 8 fields, got %d", len(f))
	}
	e := RingEntry{Address: f[0], Rack: f[1], Token: f[len(f)-1]}
	switch f[2] {
	case "Up":
		e.Liveness = LivenessUp
	case "Down":
		e.Liveness = LivenessDown
	case "?":
		e.Liveness = LivenessUnknown
	default:
		return e, fmt.Errorf("status %q is not Up, Down or ?", f[2])
	}
	switch f[3] {
	case "Normal":
		e.State = StateNormal
	case "Leaving":
		e.State = StateLeaving
	case "Joining":
		e.State = StateJoining
	case "Moving":
		e.State = StateMoving
	default:
		return e, fmt.Errorf("state %q is not Normal, Leaving, Joining or Moving", f[3])
	}
	var err error
	if len(f) == 8 {
		e.Load, err = parseLoadParts(f[4], f[5])
	} else if f[4] != "?" {
		err = fmt.Errorf("load %q has no unit", f[4])
	}
	if err != nil {
		return e, err
	}
	e.Owns, err = ParseOwnership(f[len(f)-2])
	return e, err
}
