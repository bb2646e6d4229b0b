package cassandrasim

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Digest gossip (knob gossip_fanout > 0), shaped like Cassandra's: every round a node bumps its
// heartbeat and sends a SYN listing a digest (address, generation, version, heartbeat) of every
// state it knows to gossip_fanout random live peers, now and then to a down peer, and to a seed
// when the peers it chose hold none (Gossiper.doGossipToSeed's odds). The receiver answers with the
// full states the sender lacks or holds older, the heartbeats it holds newer, and the addresses
// whose state it wants, which the sender sends last. A peer learnt through gossip is echoed
// directly once before it is marked UP (Cassandra's EchoMessage). The cost of a round is O(ring
// size) per node, not O(ring size²); heartbeats spread epidemically, so
// failure_detection_timeout must exceed a few log2(ring size) gossip intervals.

// maxEchoesPerRound bounds the direct echoes one round sends (a node joining a large ring learns
// every peer at once).
const maxEchoesPerRound = 64

type digest struct {
	addr   string
	gen, v int64
	beat   int64
}

// appendDigest writes "addr,gen,version,heartbeat;".
func appendDigest(b []byte, s *EndpointState) []byte {
	b = append(b, s.Address...)
	b = append(b, ',')
	b = strconv.AppendInt(b, s.Generation, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, s.Version, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, s.Heartbeat, 10)
	return append(b, ';')
}

// parseDigests reads appendDigest's format, skipping malformed entries.
func parseDigests(s string) []digest {
	var out []digest
	for s != "" {
		var e string
		e, s, _ = strings.Cut(s, ";")
		f := strings.Split(e, ",")
		if len(f) != 4 || net.ParseIP(f[0]) == nil {
			continue
		}
		g, err1 := strconv.ParseInt(f[1], 10, 64)
		v, err2 := strconv.ParseInt(f[2], 10, 64)
		h, err3 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		out = append(out, digest{addr: f[0], gen: g, v: v, beat: h})
	}
	return out
}

// digestsLocked lists every known state's digest. g.mu is held.
func (g *gossiper) digestsLocked() string {
	b := make([]byte, 0, 48*len(g.states))
	for _, s := range g.states {
		b = appendDigest(b, s)
	}
	return string(b)
}

// applyBeats takes newer heartbeats of states whose generation and version we hold.
func (g *gossiper) applyBeats(beats string, now time.Time) {
	ds := parseDigests(beats)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, d := range ds {
		ls, ok := g.states[d.addr]
		if !ok || d.addr == g.self || ls.Generation != d.gen || d.beat <= ls.Heartbeat {
			continue
		}
		ls.Heartbeat = d.beat
		if !ls.Shutdown {
			g.lastBeat[d.addr] = now
		}
	}
}

// digestRound is one round of digest gossip.
func (g *gossiper) digestRound(ctx context.Context) {
	now := time.Now()
	g.mu.Lock()
	if !g.running {
		g.mu.Unlock()
		return
	}
	g.states[g.self].Heartbeat++
	var live, down, echo []string
	for a, s := range g.states {
		if a == g.self || s.Status == StatusLeft || s.Status == StatusRemoved {
			continue
		}
		if g.aliveLocked(a, now) {
			live = append(live, a)
			continue
		}
		down = append(down, a)
		if !g.contacted[a] && !s.Shutdown && s.Status != StatusHibernate && len(echo) < maxEchoesPerRound &&
			now.Sub(g.echoed[a]) >= 4*g.interval {
			g.echoed[a] = now
			echo = append(echo, a)
		}
	}
	var seeds []string
	for _, s := range g.seeds {
		if s != g.self {
			seeds = append(seeds, s)
		}
	}
	seedSeen := g.seedSeen
	g.mu.Unlock()

	targets := map[string]bool{}
	rand.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	for _, a := range live[:min(g.fanout, len(live))] {
		targets[a] = true
	}
	if len(down) > 0 && rand.Float64() < float64(len(down))/float64(len(live)+1) {
		targets[down[rand.IntN(len(down))]] = true
	}
	if len(seeds) > 0 {
		toSeed := false
		for _, s := range seeds {
			toSeed = toSeed || targets[s]
		}
		if !toSeed && (len(live) == 0 || !seedSeen || rand.Float64() < float64(len(seeds))/float64(len(live)+len(down))) {
			targets[seeds[rand.IntN(len(seeds))]] = true
		}
	}
	var wg sync.WaitGroup
	for a := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = g.digestExchange(ctx, a)
		}()
	}
	for _, a := range echo {
		if targets[a] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = g.echo(ctx, a)
		}()
	}
	wg.Wait()
}

// dial opens a gossip connection to a peer (TLS when internode encryption is on).
func (g *gossiper) dial(ctx context.Context, addr string) (net.Conn, func(), error) {
	d := net.Dialer{Timeout: g.interval}
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, strconv.Itoa(g.port)))
	if err != nil {
		return nil, nil, err
	}
	_ = raw.SetDeadline(time.Now().Add(2*g.interval + time.Second))
	conn, err := g.dialPeer(raw, addr)
	if err != nil {
		raw.Close()
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(2*g.interval + time.Second))
	return conn, func() { raw.Close() }, nil
}

// digestExchange sends a SYN to a peer, merges its answer and sends the states it asked for.
func (g *gossiper) digestExchange(ctx context.Context, addr string) error {
	conn, done, err := g.dial(ctx, addr)
	if err != nil {
		return err
	}
	defer done()
	g.mu.Lock()
	syn := gossipMessage{ClusterName: g.cluster, Partitioner: murmur3, From: g.self, Syn: true, Digests: g.digestsLocked()}
	g.mu.Unlock()
	enc, dec := json.NewEncoder(conn), json.NewDecoder(bufio.NewReader(conn))
	if err := enc.Encode(syn); err != nil {
		return err
	}
	var ack gossipMessage
	if err := dec.Decode(&ack); err != nil {
		return err
	}
	if ack.ClusterName != g.cluster {
		return errClusterMismatch
	}
	now := time.Now()
	g.merge(ack.States, now)
	g.applyBeats(ack.Beats, now)
	g.markContacted(addr, now)
	if len(ack.Request) == 0 {
		return nil
	}
	ack2 := gossipMessage{ClusterName: g.cluster, Partitioner: murmur3, From: g.self}
	g.mu.Lock()
	for _, a := range ack.Request {
		if s, ok := g.states[a]; ok {
			ack2.States = append(ack2.States, s.clone())
		}
	}
	g.mu.Unlock()
	return enc.Encode(ack2)
}

// echo probes a peer directly with our own state and marks it contacted when it answers.
func (g *gossiper) echo(ctx context.Context, addr string) error {
	conn, done, err := g.dial(ctx, addr)
	if err != nil {
		return err
	}
	defer done()
	g.mu.Lock()
	m := gossipMessage{ClusterName: g.cluster, Partitioner: murmur3, From: g.self, Echo: true,
		States: []*EndpointState{g.states[g.self].clone()}}
	g.mu.Unlock()
	if err := json.NewEncoder(conn).Encode(m); err != nil {
		return err
	}
	var reply gossipMessage
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&reply); err != nil {
		return err
	}
	if reply.ClusterName != g.cluster {
		return errClusterMismatch
	}
	now := time.Now()
	g.merge(reply.States, now)
	g.markContacted(addr, now)
	return nil
}

// handleDigest answers a SYN or an echo (m, already read from dec).
func (g *gossiper) handleDigest(conn net.Conn, dec *json.Decoder, m *gossipMessage) {
	now := time.Now()
	reply := gossipMessage{ClusterName: g.cluster, Partitioner: murmur3, From: g.self}
	if m.Echo {
		g.merge(m.States, now)
		g.markContacted(m.From, now)
		g.mu.Lock()
		reply.Echo = true
		reply.States = []*EndpointState{g.states[g.self].clone()}
		g.mu.Unlock()
		_ = json.NewEncoder(conn).Encode(reply)
		return
	}
	ds := parseDigests(m.Digests)
	seen := make(map[string]bool, len(ds))
	var beats []byte
	g.mu.Lock()
	for _, d := range ds {
		seen[d.addr] = true
		ls, ok := g.states[d.addr]
		switch {
		case !ok || d.gen > ls.Generation || d.gen == ls.Generation && d.v > ls.Version:
			if q, quarantined := g.quarantine[d.addr]; quarantined && d.gen <= q {
				continue
			}
			reply.Request = append(reply.Request, d.addr)
		case ls.Generation > d.gen || ls.Version > d.v:
			reply.States = append(reply.States, ls.clone())
		case d.beat > ls.Heartbeat:
			if d.addr != g.self {
				ls.Heartbeat = d.beat
				if !ls.Shutdown {
					g.lastBeat[d.addr] = now
				}
			}
		case ls.Heartbeat > d.beat:
			beats = appendDigest(beats, ls)
		}
	}
	for a, ls := range g.states {
		if !seen[a] {
			reply.States = append(reply.States, ls.clone())
		}
	}
	g.mu.Unlock()
	reply.Beats = string(beats)
	g.markContacted(m.From, now)
	enc := json.NewEncoder(conn)
	if err := enc.Encode(reply); err != nil || len(reply.Request) == 0 {
		return
	}
	var ack2 gossipMessage
	if err := dec.Decode(&ack2); err != nil || ack2.ClusterName != g.cluster {
		return
	}
	g.merge(ack2.States, time.Now())
}

type gossipError string

func (e gossipError) Error() string { return string(e) }

const errClusterMismatch = gossipError("cluster name mismatch")
