package nodetool

import (
	"fmt"
	"strconv"
	"strings"
)

// Liveness is the first letter of a status code: whether the node is in gossip's live set.
type Liveness byte

const (
	// LivenessUp is "U": the node is live.
	LivenessUp Liveness = 'U'
	// LivenessDown is "D": the node is unreachable.
	LivenessDown Liveness = 'D'
	// LivenessUnknown is "?": the node is in neither set.
	LivenessUnknown Liveness = '?'
)

// String returns "Up", "Down" or "?".
func (l Liveness) String() string {
	switch l {
	case LivenessUp:
		return "Up"
	case LivenessDown:
		return "Down"
	case LivenessUnknown:
		return "?"
	}
	return fmt.Sprintf("Liveness(%q)", byte(l))
}

// State is the second letter of a status code: the node's place in a topology change.
type State byte

const (
	// StateNormal is "N".
	StateNormal State = 'N'
	// StateLeaving is "L" (decommission or removenode under way).
	StateLeaving State = 'L'
	// StateJoining is "J" (bootstrapping or replacing).
	StateJoining State = 'J'
	// StateMoving is "M".
	StateMoving State = 'M'
)

// String returns "Normal", "Leaving", "Joining" or "Moving".
func (s State) String() string {
	switch s {
	case StateNormal:
		return "Normal"
	case StateLeaving:
		return "Leaving"
	case StateJoining:
		return "Joining"
	case StateMoving:
		return "Moving"
	}
	return fmt.Sprintf("State(%q)", byte(s))
}

// Status is the parsed output of `nodetool status [keyspace]`.
type Status struct {
	// Datacenters in the order nodetool printed them (sorted by name).
	Datacenters []Datacenter
	// EffectiveOwnership is true when the header said "Owns (effective)": ownership accounts for
	// replication (of the keyspace given, or of all non-system keyspaces when they agree).
	EffectiveOwnership bool
	// Notes are the trailer lines after "Note: ", e.g. "Non-system keyspaces don't have the same
	// replication settings, effective ownership information is meaningless".
	Notes []string
}

// Datacenter is one "Datacenter: <name>" block of `nodetool status`.
type Datacenter struct {
	Name  string
	Nodes []NodeStatus
}

// NodeStatus is one row of `nodetool status`.
type NodeStatus struct {
	Liveness Liveness
	State    State
	// Address as printed: an IP ("10.0.0.1", "0:0:0:0:0:0:0:1"), an IP and port with -pp
	// ("127.0.0.1:7000", "[::1]:7000"), or a host name with -r.
	Address string
	Load    Load
	// Tokens is the token count; 1 when nodetool printed the single-token layout.
	Tokens int
	// Token is the node's token in the single-token layout ("Token" column), else "".
	Token string
	Owns  Ownership
	// HostID is the node's host ID, "" when nodetool printed none (4.x) or "null" (3.x).
	HostID     string
	Rack       string
	Datacenter string
}

// Up reports whether the node is live ("U").
func (n NodeStatus) Up() bool { return n.Liveness == LivenessUp }

// Code returns the two-letter status code as nodetool prints it: "UN", "DN", "UJ", "UL", "UM", "?N".
func (n NodeStatus) Code() string { return string([]byte{byte(n.Liveness), byte(n.State)}) }

// Host returns the address without the port that -pp adds.
func (n NodeStatus) Host() string { return hostOf(n.Address) }

// hostOf strips a ":port" suffix and IPv6 brackets: "[::1]:7000" -> "::1", "1.2.3.4:7000" ->
// "1.2.3.4"; "0:0:0:0:0:0:0:1" stays as it is.
func hostOf(addr string) string {
	addr = strings.TrimPrefix(addr, "/")
	if strings.HasPrefix(addr, "[") {
		if i := strings.Index(addr, "]"); i > 0 {
			return addr[1:i]
		}
		return addr
	}
	if strings.Count(addr, ":") == 1 {
		h, _, _ := strings.Cut(addr, ":")
		return h
	}
	return addr
}

// All returns every node of every datacenter, in printed order.
func (s *Status) All() []NodeStatus {
	var all []NodeStatus
	for _, dc := range s.Datacenters {
		all = append(all, dc.Nodes...)
	}
	return all
}

// Node returns the node with the given address. An address with a port matches a row printed
// without one and the other way round.
func (s *Status) Node(address string) (NodeStatus, bool) {
	for _, n := range s.All() {
		if n.Address == address {
			return n, true
		}
	}
	h := hostOf(address)
	for _, n := range s.All() {
		if n.Host() == h {
			return n, true
		}
	}
	return NodeStatus{}, false
}

// NodeByHostID returns the node with the given host ID.
func (s *Status) NodeByHostID(hostID string) (NodeStatus, bool) {
	if hostID == "" {
		return NodeStatus{}, false
	}
	for _, n := range s.All() {
		if strings.EqualFold(n.HostID, hostID) {
			return n, true
		}
	}
	return NodeStatus{}, false
}

// Datacenter returns the named datacenter block.
func (s *Status) Datacenter(name string) (Datacenter, bool) {
	for _, dc := range s.Datacenters {
		if dc.Name == name {
			return dc, true
		}
	}
	return Datacenter{}, false
}

// status table columns
const (
	colAddress = "Address"
	colLoad    = "Load"
	colTokens  = "Tokens"
	colToken   = "Token"
	colOwns    = "Owns"
	colHostID  = "Host ID"
	colRack    = "Rack"
)

// ParseStatus parses the stdout of `nodetool status [keyspace]` from Cassandra 2.1 to 5.0 (and
// scylla-tools-java): every datacenter block, both header variants (Tokens/Token, Owns/Owns
// (effective)), "?" loads and ownerships, and the Note trailers. It splits rows on whitespace, so
// it does not depend on the column widths, which differ between versions and overflow in 3.x.
//
// Rows before any "Datacenter:" line are put in a datacenter with an empty name. An "Error: ..."
// line (what status prints for an unknown keyspace) is returned as an error.
func ParseStatus(out string) (*Status, error) {
	st := &Status{}
	var cols []string // current header, nil before the first header
	dc := -1
	sawHeader := false
	for i, raw := range lines(out) {
		ln := i + 1
		t := strings.TrimSpace(raw)
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "Datacenter:"):
			st.Datacenters = append(st.Datacenters, Datacenter{Name: strings.TrimSpace(strings.TrimPrefix(t, "Datacenter:"))})
			dc = len(st.Datacenters) - 1
			cols = nil
		case strings.Trim(t, "=") == "":
			continue
		case strings.HasPrefix(t, "Status=") || strings.HasPrefix(t, "|/ State="):
			continue
		case strings.HasPrefix(t, "Note:"):
			st.Notes = append(st.Notes, strings.TrimSpace(strings.TrimPrefix(t, "Note:")))
		case strings.HasPrefix(t, "Error:"):
			return nil, fmt.Errorf("nodetool status: %s", strings.TrimSpace(strings.TrimPrefix(t, "Error:")))
		case strings.HasPrefix(t, "--"):
			c, eff, err := parseStatusHeader(t)
			if err != nil {
				return nil, fmt.Errorf("status line %d: %w", ln, err)
			}
			if sawHeader && eff != st.EffectiveOwnership {
				return nil, fmt.Errorf("status line %d: ownership header differs between datacenters", ln)
			}
			st.EffectiveOwnership = eff
			sawHeader = true
			cols = c
			if dc < 0 {
				st.Datacenters = append(st.Datacenters, Datacenter{})
				dc = 0
			}
		default:
			if cols == nil {
				return nil, fmt.Errorf("status line %d: unexpected %q before a column header", ln, truncate(t))
			}
			n, err := parseStatusRow(t, cols)
			if err != nil {
				return nil, fmt.Errorf("status line %d: %w", ln, err)
			}
			n.Datacenter = st.Datacenters[dc].Name
			st.Datacenters[dc].Nodes = append(st.Datacenters[dc].Nodes, n)
		}
	}
	if !sawHeader {
		return nil, fmt.Errorf("status: no column header (\"--  Address ...\") in output")
	}
	if len(st.All()) == 0 {
		return nil, fmt.Errorf("status: no node rows in output")
	}
	for _, d := range st.Datacenters {
		if len(d.Nodes) == 0 {
			return nil, fmt.Errorf("status: datacenter %q has no node rows", d.Name)
		}
	}
	return st, nil
}

// parseStatusHeader reads "--  Address  Load  Tokens  Owns (effective)  Host ID  Rack" into
// column names.
func parseStatusHeader(t string) (cols []string, effective bool, err error) {
	f := strings.Fields(t)
	if len(f) == 0 || f[0] != "--" {
		return nil, false, fmt.Errorf("column header %q does not start with --", truncate(t))
	}
	seen := map[string]bool{}
	for i := 1; i < len(f); i++ {
		var c string
		switch f[i] {
		case "Address", "Load", "Tokens", "Token", "Rack":
			c = f[i]
		case "Owns":
			c = colOwns
			if i+1 < len(f) && f[i+1] == "(effective)" {
				effective = true
				i++
			}
		case "Host":
			if i+1 >= len(f) || f[i+1] != "ID" {
				return nil, false, fmt.Errorf("column header %q: \"Host\" not followed by \"ID\"", truncate(t))
			}
			c = colHostID
			i++
		default:
			return nil, false, fmt.Errorf("column header %q: unknown column %q", truncate(t), f[i])
		}
		if seen[c] {
			return nil, false, fmt.Errorf("column header %q: column %q twice", truncate(t), c)
		}
		seen[c] = true
		cols = append(cols, c)
	}
	for _, need := range []string{colAddress, colLoad, colOwns} {
		if !seen[need] {
			return nil, false, fmt.Errorf("column header %q: no %q column", truncate(t), need)
		}
	}
	if len(cols) == 0 || cols[0] != colAddress {
		return nil, false, fmt.Errorf("column header %q: Address must come first", truncate(t))
	}
	return cols, effective, nil
}

func parseStatusRow(t string, cols []string) (NodeStatus, error) {
	f := strings.Fields(t)
	var n NodeStatus
	code := f[0]
	if len(code) != 2 {
		return n, fmt.Errorf("row %q: status code %q is not two letters", truncate(t), code)
	}
	switch Liveness(code[0]) {
	case LivenessUp, LivenessDown, LivenessUnknown:
		n.Liveness = Liveness(code[0])
	default:
		return n, fmt.Errorf("row %q: unknown status letter %q in %q", truncate(t), code[0], code)
	}
	switch State(code[1]) {
	case StateNormal, StateLeaving, StateJoining, StateMoving:
		n.State = State(code[1])
	default:
		return n, fmt.Errorf("row %q: unknown state letter %q in %q", truncate(t), code[1], code)
	}
	i := 1
	next := func(what string) (string, error) {
		if i >= len(f) {
			return "", fmt.Errorf("row %q: no %s", truncate(t), what)
		}
		i++
		return f[i-1], nil
	}
	for ci, c := range cols {
		switch c {
		case colAddress:
			v, err := next("address")
			if err != nil {
				return n, err
			}
			n.Address = v
		case colLoad:
			v, err := next("load")
			if err != nil {
				return n, err
			}
			if v == "?" {
				break
			}
			u, err := next("load unit")
			if err != nil {
				return n, err
			}
			l, err := parseLoadParts(v, u)
			if err != nil {
				return n, fmt.Errorf("row %q: %w", truncate(t), err)
			}
			n.Load = l
		case colTokens:
			v, err := next("token count")
			if err != nil {
				return n, err
			}
			k, err := strconv.Atoi(v)
			if err != nil || k < 0 {
				return n, fmt.Errorf("row %q: token count %q is not a number", truncate(t), v)
			}
			n.Tokens = k
		case colOwns:
			v, err := next("ownership")
			if err != nil {
				return n, err
			}
			o, err := ParseOwnership(v)
			if err != nil {
				return n, fmt.Errorf("row %q: %w", truncate(t), err)
			}
			n.Owns = o
		case colHostID:
			// 3.x prints "null" for a missing host ID, 4.x an empty (all-space) cell.
			if i < len(f) && (isUUID(f[i]) || f[i] == "null") {
				if f[i] != "null" {
					n.HostID = strings.ToLower(f[i])
				}
				i++
			}
		case colToken:
			v, err := next("token")
			if err != nil {
				return n, err
			}
			n.Token = v
			n.Tokens = 1
		case colRack:
			if ci != len(cols)-1 {
				v, err := next("rack")
				if err != nil {
					return n, err
				}
				n.Rack = v
				break
			}
			// Rack is the last column and is not padded in 3.x: take the rest of the line.
			n.Rack = strings.Join(f[i:], " ")
			i = len(f)
		}
	}
	if i != len(f) {
		return n, fmt.Errorf("row %q: %d unexpected trailing fields", truncate(t), len(f)-i)
	}
	return n, nil
}
