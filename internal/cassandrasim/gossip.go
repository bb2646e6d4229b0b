package cassandrasim

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Gossip STATUS values, as Cassandra names them.
const (
	StatusBoot        = "BOOT"
	StatusBootReplace = "BOOT_REPLACE"
	StatusHibernate   = "hibernate"
	StatusNormal      = "NORMAL"
	StatusLeaving     = "LEAVING"
	StatusLeft        = "LEFT"
	StatusRemoving    = "removing"
	StatusRemoved     = "removed"
)

const releaseVersion = "4.1.5"

// EndpointState is what one node gossips about itself. Generation and Version order the states: a
// receiver keeps the state with the higher (Generation, Version).
type EndpointState struct {
	Address        string              `json:"address"`
	StoragePort    int                 `json:"storage_port"`
	Generation     int64               `json:"generation"`
	Version        int64               `json:"version"`
	HostID         string              `json:"host_id,omitempty"`
	Tokens         []int64             `json:"tokens,omitempty"`
	Status         string              `json:"status,omitempty"`
	Shutdown       bool                `json:"shutdown,omitempty"`
	Replacing      string              `json:"replacing,omitempty"` // address this node replaces
	DC             string              `json:"dc"`
	Rack           string              `json:"rack"`
	Load           float64             `json:"load"` // bytes; < 0 unknown
	ReleaseVersion string              `json:"release_version"`
	NativeAddress  string              `json:"native_address"`
	NativePort     int                 `json:"native_port"`
	Schema         map[string]Keyspace `json:"schema,omitempty"`
	RemovedBy      string              `json:"removed_by,omitempty"` // host ID of the removenode coordinator
	// Heartbeat is bumped every round instead of Version when gossip_fanout > 0 (Cassandra's
	// HeartBeatState): it travels in digests, so an unchanged state is not sent again.
	Heartbeat int64 `json:"heartbeat,omitempty"`
}

func (s *EndpointState) newer(o *EndpointState) bool {
	if s.Generation != o.Generation {
		return s.Generation > o.Generation
	}
	return s.Version > o.Version
}

func (s *EndpointState) clone() *EndpointState {
	c := *s
	c.Tokens = append([]int64(nil), s.Tokens...)
	c.Schema = make(map[string]Keyspace, len(s.Schema))
	for k, v := range s.Schema {
		c.Schema[k] = v
	}
	return &c
}

// SchemaVersion is a UUID-shaped digest of a schema.
func SchemaVersion(schema map[string]Keyspace) string {
	h := sha256.New()
	for _, name := range sortedKeys(schema) {
		b, _ := json.Marshal(schema[name])
		h.Write(b)
	}
	s := h.Sum(nil)
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

type gossipMessage struct {
	ClusterName string           `json:"cluster_name"`
	Partitioner string           `json:"partitioner"`
	From        string           `json:"from"`
	States      []*EndpointState `json:"states"`
	// Digest exchange (gossip_fanout > 0, gossip_digest.go): Syn marks a digest SYN, whose
	// Digests list the sender's (address, generation, version, heartbeat); the answer carries the
	// states the sender lacks, Beats (newer heartbeats of states it has) and Request (addresses whose
	// full state the receiver wants, sent in a last message). Echo is a direct liveness probe.
	Syn     bool     `json:"syn,omitempty"`
	Echo    bool     `json:"echo,omitempty"`
	Digests string   `json:"digests,omitempty"`
	Beats   string   `json:"beats,omitempty"`
	Request []string `json:"request,omitempty"`
}

// gossiper keeps the endpoint states and decides which peers are alive.
type gossiper struct {
	cluster  string
	self     string
	interval time.Duration
	fdTime   time.Duration
	log      *systemLog
	seeds    []string
	port     int
	fanout   int

	mu        sync.Mutex
	states    map[string]*EndpointState
	lastBeat  map[string]time.Time // local time the peer's (generation, version) last advanced
	contacted map[string]bool      // a direct exchange succeeded since the peer's current generation
	seedSeen  bool
	running   bool
	onChange  func()
	ln        net.Listener
	// tls is the node's internode TLS (nil or no Server: plaintext gossip).
	tls *TLSConfig
	// quarantine holds evicted endpoints: their states at or below the generation are ignored.
	quarantine map[string]int64
	// prevSelf is the newest state peers hold for our address from an earlier incarnation (another
	// host ID): what Cassandra's shadow round finds when a node replaces its own address.
	prevSelf *EndpointState
	// echoed is when a peer not yet contacted was last echoed (digest mode).
	echoed map[string]time.Time
}

func newGossiper(c *Config, log *systemLog, self *EndpointState) *gossiper {
	g := &gossiper{
		cluster: c.ClusterName, self: self.Address, interval: c.Knobs.GossipInterval,
		fdTime: c.Knobs.FailureDetectionTimeout, log: log, seeds: c.Seeds, port: c.StoragePort,
		states: map[string]*EndpointState{self.Address: self}, lastBeat: map[string]time.Time{},
		contacted: map[string]bool{}, quarantine: map[string]int64{}, tls: c.TLS,
		fanout: c.Knobs.GossipFanout, echoed: map[string]time.Time{},
	}
	return g
}

// update changes the local node's own state under the lock and bumps its version.
func (g *gossiper) update(f func(s *EndpointState)) {
	g.mu.Lock()
	s := g.states[g.self]
	f(s)
	s.Version++
	g.mu.Unlock()
}

// updateOther changes a dead peer's state on its behalf (removenode), with a newer generation.
func (g *gossiper) updateOther(addr string, f func(s *EndpointState)) {
	g.mu.Lock()
	if s, ok := g.states[addr]; ok {
		c := s.clone()
		f(c)
		c.Generation++
		c.Version = 0
		g.states[addr] = c
	}
	g.mu.Unlock()
}

// snapshot copies every known state.
func (g *gossiper) snapshot() map[string]*EndpointState {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]*EndpointState, len(g.states))
	for k, v := range g.states {
		out[k] = v.clone()
	}
	return out
}

// previousSelf returns what peers know of an earlier incarnation of our address, or nil.
func (g *gossiper) previousSelf() *EndpointState {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.prevSelf == nil {
		return nil
	}
	return g.prevSelf.clone()
}

// alive reports the failure detector's view of a peer.
func (g *gossiper) alive(addr string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.aliveLocked(addr, now)
}

func (g *gossiper) aliveLocked(addr string, now time.Time) bool {
	if addr == g.self {
		return g.running
	}
	s, ok := g.states[addr]
	if !ok || s.Shutdown || s.Status == StatusHibernate || !g.contacted[addr] {
		return false
	}
	return now.Sub(g.lastBeat[addr]) < g.fdTime
}

// heartbeatSince reports whether the peer's heartbeat advanced after t.
func (g *gossiper) heartbeatSince(addr string, t time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lastBeat[addr].After(t)
}

func (g *gossiper) seedContact() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seedSeen
}

// merge applies received states; it returns whether anything changed.
func (g *gossiper) merge(states []*EndpointState, now time.Time) bool {
	g.mu.Lock()
	changed := false
	for _, rs := range states {
		if rs == nil || rs.Address == "" || net.ParseIP(rs.Address) == nil {
			continue
		}
		if rs.Address == g.self {
			// Someone holds a newer state for us (removenode of a previous incarnation): we stay
			// authoritative by jumping our generation past it.
			own := g.states[g.self]
			if rs.Generation >= own.Generation && rs.HostID == own.HostID && rs.Status != own.Status {
				own.Generation = rs.Generation + 1
				own.Version = 0
			}
			if rs.HostID != own.HostID && rs.Generation < own.Generation && (g.prevSelf == nil || rs.newer(g.prevSelf)) {
				g.prevSelf = rs.clone()
			}
			continue
		}
		if q, ok := g.quarantine[rs.Address]; ok && rs.Generation <= q {
			continue
		}
		ls, ok := g.states[rs.Address]
		if ok && !rs.newer(ls) && rs.Generation == ls.Generation && rs.Heartbeat > ls.Heartbeat {
			ls.Heartbeat = rs.Heartbeat
			if !ls.Shutdown {
				g.lastBeat[rs.Address] = now
			}
		}
		if !ok || rs.newer(ls) {
			if ok && rs.Generation != ls.Generation {
				g.contacted[rs.Address] = false
			}
			wasShutdown := ok && ls.Shutdown
			g.states[rs.Address] = rs.clone()
			if !rs.Shutdown {
				g.lastBeat[rs.Address] = now
			}
			if !ok {
				g.log.info("GossipStage:1", "Gossiper.java", 1418, "Node /%s:%d is now part of the cluster", rs.Address, rs.StoragePort)
			}
			if rs.Shutdown && !wasShutdown {
				g.log.info("GossipStage:1", "Gossiper.java", 1337, "InetAddress /%s:%d is now DOWN", rs.Address, rs.StoragePort)
			}
			if rs.Status == StatusNormal && !rs.Shutdown && (!ok || ls.Status != StatusNormal || wasShutdown) {
				// As Cassandra 5.0.8 logs a peer turning NORMAL: the same words as its own.
				g.log.info("GossipStage:1", "StorageService.java", 3320, "Node /%s:%d state jump to NORMAL", rs.Address, rs.StoragePort)
			}
			changed = true
		}
	}
	g.mu.Unlock()
	if changed && g.onChange != nil {
		g.onChange()
	}
	return changed
}

func (g *gossiper) message() gossipMessage {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := gossipMessage{ClusterName: g.cluster, Partitioner: murmur3, From: g.self}
	for _, s := range g.states {
		m.States = append(m.States, s.clone())
	}
	return m
}

const murmur3 = "org.apache.cassandra.dht.Murmur3Partitioner"

// serve answers gossip exchanges on the storage port.
func (g *gossiper) serve(ln net.Listener) {
	g.ln = ln
	if g.tls != nil && g.tls.Server != nil {
		ln = tls.NewListener(ln, g.tls.Server)
	}
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go g.handle(conn)
	}
}

func (g *gossiper) handle(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	var m gossipMessage
	dec := json.NewDecoder(bufio.NewReader(conn))
	if err := dec.Decode(&m); err != nil {
		return
	}
	if m.ClusterName != g.cluster {
		g.log.warn("GossipStage:1", "GossipDigestSynVerbHandler.java", 60, "ClusterName mismatch from /%s:%d %s!=%s", m.From, g.port, m.ClusterName, g.cluster)
		return
	}
	if m.Partitioner != murmur3 {
		g.log.warn("GossipStage:1", "GossipDigestSynVerbHandler.java", 66, "Partitioner mismatch from /%s:%d %s!=%s", m.From, g.port, m.Partitioner, murmur3)
		return
	}
	g.mu.Lock()
	running := g.running
	g.mu.Unlock()
	if !running {
		return
	}
	if m.Syn || m.Echo {
		g.handleDigest(conn, dec, &m)
		return
	}
	now := time.Now()
	g.merge(m.States, now)
	g.markContacted(m.From, now)
	_ = json.NewEncoder(conn).Encode(g.message())
}

func (g *gossiper) markContacted(addr string, now time.Time) {
	g.mu.Lock()
	if s, ok := g.states[addr]; ok && addr != g.self {
		if !g.contacted[addr] && !s.Shutdown {
			g.log.info("GossipStage:1", "Gossiper.java", 1224, "InetAddress /%s:%d is now UP", addr, s.StoragePort)
		}
		if !s.Shutdown {
			g.contacted[addr] = true
			g.lastBeat[addr] = now
		}
	}
	if contains(g.seeds, addr) {
		g.seedSeen = true
	}
	g.mu.Unlock()
}

// exchange gossips with one peer: send our states, merge theirs.
func (g *gossiper) exchange(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: g.interval}
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, strconv.Itoa(g.port)))
	if err != nil {
		return err
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(2*g.interval + time.Second))
	conn, err := g.dialPeer(raw, addr)
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(2*g.interval + time.Second))
	if err := json.NewEncoder(conn).Encode(g.message()); err != nil {
		return err
	}
	var m gossipMessage
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&m); err != nil {
		return err
	}
	if m.ClusterName != g.cluster {
		return fmt.Errorf("cluster name mismatch")
	}
	now := time.Now()
	g.merge(m.States, now)
	g.markContacted(addr, now)
	return nil
}

// shadowRound asks the seeds for their endpoint states without announcing ours (an empty
// message), as Cassandra's shadow round does before a replacement, and keeps what they know of our
// own address when it is an earlier incarnation. It tries until a seed answers or ctx ends.
func (g *gossiper) shadowRound(ctx context.Context) {
	empty := gossipMessage{ClusterName: g.cluster, Partitioner: murmur3}
	for {
		for _, seed := range g.seedList() {
			if seed == g.self {
				continue
			}
			states, err := g.ask(ctx, seed, empty)
			if err != nil {
				continue
			}
			g.mu.Lock()
			own := g.states[g.self]
			for _, rs := range states {
				if rs != nil && rs.Address == g.self && rs.HostID != own.HostID && (g.prevSelf == nil || rs.newer(g.prevSelf)) {
					g.prevSelf = rs.clone()
				}
			}
			g.mu.Unlock()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(g.interval):
		}
	}
}

// ask sends one message to a peer and returns the states it answers with, merging nothing.
func (g *gossiper) ask(ctx context.Context, addr string, m gossipMessage) ([]*EndpointState, error) {
	d := net.Dialer{Timeout: g.interval}
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, strconv.Itoa(g.port)))
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(2*g.interval + time.Second))
	conn, err := g.dialPeer(raw, addr)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(2*g.interval + time.Second))
	if err := json.NewEncoder(conn).Encode(m); err != nil {
		return nil, err
	}
	var reply gossipMessage
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&reply); err != nil {
		return nil, err
	}
	if reply.ClusterName != g.cluster {
		return nil, fmt.Errorf("cluster name mismatch")
	}
	return reply.States, nil
}

// run gossips every interval with the seeds and every known endpoint until ctx ends.
func (g *gossiper) run(ctx context.Context) {
	t := time.NewTicker(g.interval)
	defer t.Stop()
	for {
		g.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (g *gossiper) round(ctx context.Context) {
	if g.fanout > 0 {
		g.digestRound(ctx)
		return
	}
	g.mu.Lock()
	if !g.running {
		g.mu.Unlock()
		return
	}
	g.states[g.self].Version++ // heartbeat
	targets := map[string]bool{}
	for _, s := range g.seeds {
		targets[s] = true
	}
	for a, s := range g.states {
		if s.Status != StatusLeft && s.Status != StatusRemoved {
			targets[a] = true
		}
	}
	delete(targets, g.self)
	g.mu.Unlock()
	var wg sync.WaitGroup
	for a := range targets {
		wg.Add(1)
		go func(a string) {
			defer wg.Done()
			_ = g.exchange(ctx, a)
		}(a)
	}
	wg.Wait()
}

// announce pushes the current state to every peer once (shutdown, LEFT).
func (g *gossiper) announce(ctx context.Context) {
	g.mu.Lock()
	var targets []string
	for a := range g.states {
		if a != g.self && g.aliveLocked(a, time.Now()) {
			targets = append(targets, a)
		}
	}
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, a := range targets {
		wg.Add(1)
		go func(a string) {
			defer wg.Done()
			_ = g.exchange(ctx, a)
		}(a)
	}
	wg.Wait()
}

func (g *gossiper) setRunning(b bool) {
	g.mu.Lock()
	g.running = b
	g.mu.Unlock()
}

func (g *gossiper) isRunning() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running
}

// seedList is the gossiper's current seed list.
func (g *gossiper) seedList() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.seeds...)
}

// setSeeds replaces the seed list (nodetool reloadseeds).
func (g *gossiper) setSeeds(seeds []string) {
	g.mu.Lock()
	g.seeds = append([]string(nil), seeds...)
	g.mu.Unlock()
}
