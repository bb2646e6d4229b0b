package cassandrasim

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// view is one node's picture of the cluster at an instant, from its gossip states.
type view struct {
	self    string
	port    int
	now     time.Time
	states  map[string]*EndpointState
	alive   map[string]bool
	owned   map[string][]int64 // NORMAL, LEAVING, removing, hibernate: tokens each endpoint owns
	boot    map[string][]int64 // bootstrapping endpoints and their pending tokens
	leaving map[string]bool    // LEAVING and removing
	ring    *Ring
	schema  map[string]Keyspace
}

func (n *node) view() *view {
	states := n.g.snapshot()
	now := time.Now()
	v := &view{self: n.cfg.ListenAddress, port: n.cfg.StoragePort, now: now, states: states, alive: map[string]bool{},
		owned: map[string][]int64{}, boot: map[string][]int64{}, leaving: map[string]bool{}}
	for addr := range states {
		v.alive[addr] = n.g.alive(addr, now)
	}
	n.mu.Lock()
	v.schema = cloneSchema(n.schema)
	ready := n.distReady
	n.mu.Unlock()
	if !ready {
		for _, k := range distributedSystemKeyspaces {
			delete(v.schema, k)
		}
	}
	buildOwnership(v)
	return v
}

// distributedSystemKeyspaces are the replicated system keyspaces a node only has once it joined
// (or pulled the schema from a peer).
var distributedSystemKeyspaces = []string{"system_auth", "system_distributed", "system_traces"}

// noNodesMsg is Murmur3Partitioner.describeOwnership's exception for a ring without tokens.
const noNodesMsg = "No nodes present in the cluster. Has this node finished starting up?"

// errNoNodes is describeOwnership's RuntimeException escaping StorageService.effectiveOwnership:
// nodetool reports it as "error: ..." with exit code 2.
var errNoNodes = errors.New(noNodesMsg)

// buildOwnership resolves which endpoint owns each token: among the endpoints claiming it, the one
// with the newest generation wins (as Cassandra's "Nodes X and Y have the same token" rule).
//
// An endpoint another address replaced is out of the ring for good once the replacement reached
// NORMAL (and stays out when the replacement later leaves): Cassandra removes it from token
// metadata and evicts it from gossip (Gossiper.replacedEndpoint), so it never owns the tokens again.
func buildOwnership(v *view) {
	replacedBy := map[string]int64{} // replaced address -> newest generation that replaced it
	for addr, s := range v.states {
		switch s.Status {
		case StatusNormal, StatusLeaving, StatusRemoving, StatusLeft, StatusRemoved:
			if s.Replacing != "" && s.Replacing != addr && s.Generation > replacedBy[s.Replacing] {
				replacedBy[s.Replacing] = s.Generation
			}
		}
	}
	claim := map[int64]string{}
	for _, addr := range sortedKeys(v.states) {
		s := v.states[addr]
		if g, ok := replacedBy[addr]; ok && s.Generation <= g {
			continue // the incarnation that was replaced (a later one at that address is not)
		}
		switch s.Status {
		case StatusNormal, StatusLeaving, StatusRemoving, StatusHibernate:
		case StatusBoot:
			v.boot[addr] = append([]int64(nil), s.Tokens...)
			continue
		default:
			continue
		}
		for _, t := range s.Tokens {
			if cur, ok := claim[t]; ok && v.states[cur].Generation >= s.Generation {
				continue
			}
			claim[t] = addr
		}
		if s.Status == StatusLeaving || s.Status == StatusRemoving {
			v.leaving[addr] = true
		}
	}
	for t, addr := range claim {
		v.owned[addr] = append(v.owned[addr], t)
	}
	for addr := range v.leaving {
		if _, ok := v.owned[addr]; !ok {
			delete(v.leaving, addr)
		}
	}
	dc, rack := map[string]string{}, map[string]string{}
	for addr, s := range v.states {
		dc[addr], rack[addr] = s.DC, s.Rack
	}
	v.ring = NewRing(v.owned, dc, rack)
}

// members are the endpoints nodetool status lists (normal and bootstrapping tokens), each with its
// sorted tokens.
func (v *view) members() map[string][]int64 {
	out := map[string][]int64{}
	for a, ts := range v.owned {
		out[a] = append([]int64(nil), ts...)
	}
	for a, ts := range v.boot {
		out[a] = append(out[a], ts...)
	}
	for _, ts := range out {
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	}
	return out
}

func (v *view) liveMembers() (live, unreachable []string) {
	for a := range v.members() {
		if v.alive[a] {
			live = append(live, a)
		} else {
			unreachable = append(unreachable, a)
		}
	}
	sort.Strings(live)
	sort.Strings(unreachable)
	return
}

func (v *view) userKeyspaces() []string {
	var out []string
	for name, ks := range v.schema {
		if !IsSystem(name) && !ks.Dropped {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (v *view) keyspace(name string) (Keyspace, bool) {
	ks, ok := v.schema[name]
	if !ok || ks.Dropped {
		return Keyspace{}, false
	}
	return ks, true
}

// errIllegalState and errIllegalArgument mirror the exceptions StorageService.effectiveOwnership throws.
type errIllegalState struct{ msg string }

func (e errIllegalState) Error() string { return e.msg }

type errIllegalArgument struct{ msg string }

func (e errIllegalArgument) Error() string { return e.msg }

func (v *view) effectiveOwnership(keyspace string) (map[string]float64, error) {
	var ks Keyspace
	if keyspace != "" {
		k, ok := v.keyspace(keyspace)
		if !ok {
			return nil, errIllegalArgument{"The keyspace " + keyspace + ", does not exist"}
		}
		if k.Class == "LocalStrategy" {
			return nil, errIllegalState{"Ownership values for keyspaces with LocalStrategy are meaningless"}
		}
		ks = k
	} else {
		user := v.userKeyspaces()
		if len(user) > 0 {
			ks = v.schema[user[0]]
			for _, name := range user[1:] {
				if !v.schema[name].sameReplication(ks) {
					return nil, errIllegalState{"Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless"}
				}
			}
		} else {
			k, ok := v.schema["system_traces"]
			if !ok {
				return nil, errIllegalState{"The node does not have system_traces yet, probably still bootstrapping. Effective ownership information is meaningless."}
			}
			ks = k
		}
	}
	return v.ring.EffectiveOwnership(ks), nil
}

func (v *view) addr(a string, printPort bool) string {
	if printPort {
		return a + ":" + strconv.Itoa(v.port)
	}
	return a
}

// stringifyFileSize is FileUtils.stringifyFileSize: binary units, DecimalFormat("#.##").
func stringifyFileSize(value float64) string {
	const kb, mb, gb, tb = 1024.0, 1024.0 * 1024, 1024.0 * 1024 * 1024, 1024.0 * 1024 * 1024 * 1024
	switch {
	case value >= tb:
		return decimal2(value/tb) + " TiB"
	case value >= gb:
		return decimal2(value/gb) + " GiB"
	case value >= mb:
		return decimal2(value/mb) + " MiB"
	case value >= kb:
		return decimal2(value/kb) + " KiB"
	}
	return decimal2(value) + " bytes"
}

func decimal2(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func percent1(f float64) string {
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}

// table is nodetool's TableBuilder: every cell padded to its column's widest cell, columns joined
// by the delimiter, widths shared between the tables of one SharedTable.
type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func renderShared(tables []*table, delim string) []string {
	var widths []int
	for _, t := range tables {
		for _, r := range t.rows {
			for i, c := range r {
				if i >= len(widths) {
					widths = append(widths, 0)
				}
				if len(c) > widths[i] {
					widths[i] = len(c)
				}
			}
		}
	}
	var out []string
	for _, t := range tables {
		var b strings.Builder
		for _, r := range t.rows {
			for i := range widths {
				c := ""
				if i < len(r) {
					c = r[i]
				}
				fmt.Fprintf(&b, "%-*s", widths[i], c)
				if i < len(widths)-1 {
					b.WriteString(delim)
				}
			}
			b.WriteString("\n")
		}
		out = append(out, b.String())
	}
	return out
}

// status renders `nodetool status [keyspace]` exactly as Cassandra 4.1's Status.java does. Without
// any NORMAL token (a node that has not joined yet and knows no peer) it fails as 5.0 does: when
// effective ownership cannot be computed, the fallback (plain ownership) fails too and Status
// prints "Error: No nodes present in the cluster..." with exit code 1; otherwise effective
// ownership itself throws and the error (errNoNodes) goes to nodetool's error handler (exit 2).
func (v *view) status(keyspace string, printPort bool) (string, int, error) {
	var b strings.Builder
	errs := ""
	owns, err := v.effectiveOwnership(keyspace)
	hasEffective := err == nil
	if err != nil {
		if _, ok := err.(errIllegalArgument); ok {
			return "\nError: " + err.Error() + "\n", 1, nil
		}
		if len(v.owned) == 0 {
			return "\nError: " + noNodesMsg + "\n", 1, nil
		}
		errs = "Note: " + err.Error() + "\n"
	} else if len(v.owned) == 0 {
		return "", 0, errNoNodes
	}
	members := v.members()
	byDC := map[string][]string{}
	tokenCount := 0
	for a, ts := range members {
		dc := v.states[a].DC
		byDC[dc] = append(byDC[dc], a)
		tokenCount += len(ts)
	}
	tokenPerNode := !(len(byDC) < tokenCount)
	var tables []*table
	dcs := sortedKeys(byDC)
	for _, dc := range dcs {
		eps := byDC[dc]
		sort.Slice(eps, func(i, j int) bool { return members[eps[i]][0] < members[eps[j]][0] })
		t := &table{}
		ownsHdr := "Owns"
		if hasEffective {
			ownsHdr = "Owns (effective)"
		}
		if tokenPerNode {
			t.add("--", "Address", "Load", ownsHdr, "Host ID", "Token", "Rack")
		} else {
			t.add("--", "Address", "Load", "Tokens", ownsHdr, "Host ID", "Rack")
		}
		for _, a := range eps {
			s := v.states[a]
			st := "?"
			if v.alive[a] {
				st = "U"
			} else {
				st = "D"
			}
			state := "N"
			if _, ok := v.boot[a]; ok {
				state = "J"
			} else if v.leaving[a] {
				state = "L"
			}
			load := "?"
			if s.Load >= 0 {
				load = stringifyFileSize(s.Load)
			}
			o := "?"
			if f, ok := owns[a]; ok && hasEffective {
				o = percent1(f)
			}
			if tokenPerNode {
				t.add(st+state, v.addr(a, printPort), load, o, s.HostID, strconv.FormatInt(members[a][0], 10), s.Rack)
			} else {
				t.add(st+state, v.addr(a, printPort), load, strconv.Itoa(len(members[a])), o, s.HostID, s.Rack)
			}
		}
		tables = append(tables, t)
	}
	rendered := renderShared(tables, "  ")
	for i, dc := range dcs {
		if i > 0 {
			b.WriteString("\n")
		}
		hdr := "Datacenter: " + dc
		b.WriteString(hdr + "\n" + strings.Repeat("=", len(hdr)) + "\n")
		b.WriteString("Status=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n")
		b.WriteString(rendered[i])
	}
	b.WriteString("\n" + errs)
	return b.String(), 0, nil
}

// info renders `nodetool info [-T]` (4.1 labels: no Thrift line, Network Cache present).
func (n *node) info(allTokens bool) string {
	v := n.view()
	c := n.cfg
	n.mu.Lock()
	hostID, tokens, joined := n.local.HostID, append([]int64(nil), n.local.Tokens...), n.joined
	gen := n.local.Generation
	repaired := n.repairedAll
	n.mu.Unlock()
	gossip := n.g.isRunning()
	if !gossip {
		gen = 0
	}
	load := c.Knobs.LoadBytes
	if s := v.states[c.ListenAddress]; s != nil && s.Load < 0 {
		load = 0
	}
	var b strings.Builder
	line := func(label, value string) { fmt.Fprintf(&b, "%-23s: %s\n", label, value) }
	line("ID", hostID)
	line("Gossip active", strconv.FormatBool(gossip))
	line("Native Transport active", strconv.FormatBool(n.nativeRunning()))
	line("Load", stringifyFileSize(load))
	line("Generation No", strconv.FormatInt(gen, 10))
	line("Uptime (seconds)", strconv.FormatInt(int64(time.Since(n.started).Seconds()), 10))
	heap := c.MaxHeapMB
	line("Heap Memory (MB)", fmt.Sprintf("%.2f / %.2f", heap*0.21, heap))
	line("Off Heap Memory (MB)", "0.00")
	line("Data Center", c.DC)
	line("Rack", c.Rack)
	line("Exceptions", "0")
	// Cache capacities are whole MiB computed from the heap, as DatabaseDescriptor sizes them
	// (a 512 MiB heap: key cache 25 MiB, counter cache 12 MiB, network cache 32 MiB).
	mib := func(f float64) string { return stringifyFileSize(math.Floor(f) * 1024 * 1024) }
	line("Key Cache", fmt.Sprintf("entries 0, size 0 bytes, capacity %s, 0 hits, 0 requests, NaN recent hit rate, 14400 save period in seconds", mib(math.Min(heap*0.05, 100))))
	line("Row Cache", "entries 0, size 0 bytes, capacity 0 bytes, 0 hits, 0 requests, NaN recent hit rate, 0 save period in seconds")
	line("Counter Cache", fmt.Sprintf("entries 0, size 0 bytes, capacity %s, 0 hits, 0 requests, NaN recent hit rate, 7200 save period in seconds", mib(math.Min(heap*0.025, 50))))
	line("Chunk Cache", fmt.Sprintf("entries 0, size 0 bytes, capacity %s, 0 misses, 0 requests, NaN recent hit rate, NaN microseconds miss latency", mib(math.Min(heap/4, 512))))
	line("Network Cache", fmt.Sprintf("size 0 bytes, overflow size: 0 bytes, capacity %s", mib(math.Min(heap/16, 128))))
	pr := "0.0"
	if repaired {
		pr = "100.0"
	}
	line("Percent Repaired", pr+"%")
	switch {
	case !joined:
		line("Token", "(node is not joined to the cluster)")
	case len(tokens) == 1 || allTokens:
		for _, t := range tokens {
			line("Token", strconv.FormatInt(t, 10))
		}
	default:
		line("Token", fmt.Sprintf("(invoke with -T/--tokens to see all %d tokens)", len(tokens)))
	}
	return b.String()
}

// describeCluster renders `nodetool describecluster` as 4.1's DescribeCluster.java does.
func (n *node) describeCluster(printPort bool) string {
	v := n.view()
	c := n.cfg
	var b strings.Builder
	b.WriteString("Cluster Information:\n")
	b.WriteString("\tName: " + c.ClusterName + "\n")
	b.WriteString("\tSnitch: " + c.Snitch + "\n")
	b.WriteString("\tDynamicEndPointSnitch: enabled\n")
	b.WriteString("\tPartitioner: " + murmur3 + "\n")
	b.WriteString("\tSchema versions:\n")
	versions := map[string][]string{}
	for _, a := range sortedKeys(v.states) {
		s := v.states[a]
		if s.Status == StatusLeft || s.Status == StatusRemoved {
			continue
		}
		key := SchemaVersion(s.Schema)
		if !v.alive[a] {
			key = "UNREACHABLE"
		}
		versions[key] = append(versions[key], v.addr(a, printPort))
	}
	for _, k := range sortedKeys(versions) {
		fmt.Fprintf(&b, "\t\t%s: [%s]\n\n", k, strings.Join(versions[k], ", "))
	}
	live, unreachable := v.liveMembers()
	joining := len(v.boot)
	b.WriteString("Stats for all nodes:\n")
	fmt.Fprintf(&b, "\tLive: %d\n\tJoining: %d\n\tMoving: 0\n\tLeaving: %d\n\tUnreachable: %d\n", len(live), joining, len(v.leaving), len(unreachable))
	b.WriteString("\nData Centers: \n")
	byDC := map[string][2]int{}
	for a := range v.members() {
		x := byDC[v.states[a].DC]
		x[0]++
		if !v.alive[a] {
			x[1]++
		}
		byDC[v.states[a].DC] = x
	}
	for _, dc := range sortedKeys(byDC) {
		fmt.Fprintf(&b, "\t%s #Nodes: %d #Down: %d\n", dc, byDC[dc][0], byDC[dc][1])
	}
	b.WriteString("\nDatabase versions:\n")
	rel := map[string][]string{}
	for _, a := range sortedKeys(v.states) {
		s := v.states[a]
		if s.Status == StatusLeft || s.Status == StatusRemoved {
			continue
		}
		rel[s.ReleaseVersion] = append(rel[s.ReleaseVersion], a+":"+strconv.Itoa(s.StoragePort))
	}
	for _, r := range sortedKeys(rel) {
		fmt.Fprintf(&b, "\t%s: [%s]\n\n", r, strings.Join(rel[r], ", "))
	}
	b.WriteString("Keyspaces:\n")
	for _, name := range sortedKeys(v.schema) {
		ks := v.schema[name]
		if ks.Dropped {
			continue
		}
		fmt.Fprintf(&b, "\t%s -> Replication class: %s\n", name, ks.ReplicationString())
	}
	if _, err := v.effectiveOwnership(""); err != nil {
		b.WriteString("\nNote: " + err.Error() + "\n")
	}
	return b.String()
}

// describeRing renders `nodetool describering <keyspace>`. nodetool prints the two header lines
// before it asks for the ring, so they come first even when the keyspace is refused; the refusal
// is StorageService.describeRingJMX's IOException.
func (v *view) describeRing(keyspace string) (string, error) {
	var b strings.Builder
	b.WriteString("Schema Version:" + SchemaVersion(v.states[v.self].Schema) + "\n")
	b.WriteString("TokenRange: \n")
	ks, ok := v.keyspace(keyspace)
	if !ok {
		return b.String(), fmt.Errorf("No such keyspace: %s", keyspace)
	}
	if ks.Class == "LocalStrategy" {
		return b.String(), fmt.Errorf("There is no ring for the keyspace: %s", keyspace)
	}
	for _, p := range v.ring.Placement(ks) {
		var details []string
		var rpc []string
		for _, ep := range p.Replicas {
			s := v.states[ep]
			details = append(details, fmt.Sprintf("EndpointDetails(host:%s, datacenter:%s, rack:%s)", ep, s.DC, s.Rack))
			rpc = append(rpc, s.NativeAddress)
		}
		fmt.Fprintf(&b, "\tTokenRange(start_token:%d, end_token:%d, endpoints:[%s], rpc_endpoints:[%s], endpoint_details:[%s])\n",
			p.Range.Start, p.Range.End, strings.Join(p.Replicas, ", "), strings.Join(rpc, ", "), strings.Join(details, ", "))
	}
	return b.String(), nil
}

// errRingEmpty is what Ring.java runs into without any token: Collections.max of an empty
// collection (nodetool prints "error: null", exit code 2).
var errRingEmpty = errors.New("null")

// ringOutput renders `nodetool ring [keyspace]` (Ring.java layout). Like 5.0's Ring.java, when
// effective ownership fails and plain ownership fails too (no NORMAL token), it prints the first
// failure's message as "Error: ..." with exit code 1.
func (v *view) ringOutput(keyspace string, printPort bool) (string, int, error) {
	members := v.members()
	if len(members) == 0 {
		return "", 0, errRingEmpty
	}
	owns, err := v.effectiveOwnership(keyspace)
	errs := ""
	hasEffective := err == nil
	if err != nil {
		if _, ok := err.(errIllegalArgument); ok {
			return "\nError: " + err.Error() + "\n", 1, nil
		}
		if len(v.owned) == 0 {
			return "\nError: " + err.Error() + "\n", 1, nil
		}
		errs = "Note: " + err.Error() + "\n"
	} else if len(v.owned) == 0 {
		return "", 0, errNoNodes
	}
	// Ring.java sizes the address column from the addresses with their ports
	// (getTokenToEndpointMap(true)) even when it prints them without.
	width := 0
	for a := range members {
		if l := len(v.addr(a, true)); l > width {
			width = l
		}
	}
	type tok struct {
		t  int64
		ep string
	}
	byDC := map[string][]tok{}
	total := 0
	for a, ts := range members {
		for _, t := range ts {
			byDC[v.states[a].DC] = append(byDC[v.states[a].DC], tok{t, a})
			total++
		}
	}
	var b strings.Builder
	b.WriteString("\n")
	format := "%-" + strconv.Itoa(width) + "s  %-12s%-7s%-8s%-16s%-20s%-44s\n"
	for _, dc := range sortedKeys(byDC) {
		ts := byDC[dc]
		sort.Slice(ts, func(i, j int) bool { return ts[i].t < ts[j].t })
		b.WriteString("Datacenter: " + dc + "\n==========\n")
		fmt.Fprintf(&b, format, "Address", "Rack", "Status", "State", "Load", "Owns", "Token")
		if len(ts) > 1 {
			fmt.Fprintf(&b, format, "", "", "", "", "", "", strconv.FormatInt(ts[len(ts)-1].t, 10))
		}
		for _, x := range ts {
			s := v.states[x.ep]
			status := "Down"
			if v.alive[x.ep] {
				status = "Up"
			}
			state := "Normal"
			if _, ok := v.boot[x.ep]; ok {
				state = "Joining"
			} else if v.leaving[x.ep] {
				state = "Leaving"
			}
			load := "?"
			if s.Load >= 0 {
				load = stringifyFileSize(s.Load)
			}
			o := "?"
			if f, ok := owns[x.ep]; ok && hasEffective {
				o = strconv.FormatFloat(f*100, 'f', 2, 64) + "%"
			}
			fmt.Fprintf(&b, format, v.addr(x.ep, printPort), s.Rack, status, state, load, o, strconv.FormatInt(x.t, 10))
		}
		b.WriteString("\n")
	}
	if total > len(members) {
		b.WriteString("  Warning: \"nodetool ring\" is used to output all the tokens of a node.\n")
		b.WriteString("  To view status related info of a node use \"nodetool status\" instead.\n\n\n")
	}
	b.WriteString("  " + errs)
	return b.String(), 0, nil
}
