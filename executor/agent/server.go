package agent

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/executor/nodetool"
	"github.com/cassmesos/cassmesos/internal/failpoint"
	"github.com/cassmesos/cassmesos/internal/specrules"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Config configures the NodeAgentService.
type Config struct {
	// Controller reaches the node (nodetool.Client in production). Required.
	Controller nodetool.Controller
	// Restart drains, stops and starts Cassandra again in place (RestartCassandra). Nil makes
	// RestartCassandra Unimplemented.
	Restart func(ctx context.Context) error
	// RewriteSeeds writes a new seed list into the node's rendered cassandra.yaml (ReloadSeeds).
	// Nil makes ReloadSeeds Unimplemented.
	RewriteSeeds func(seeds []string) error
	// Backups does the node's backups and restores. Nil makes BackupNode and RestoreNode
	// Unimplemented.
	Backups BackupRunner
	// RenewCertificate checks a new Cassandra certificate, key and CA and writes them over the
	// node's PEM keystore and truststore (RenewCertificate then runs nodetool reloadssl); it
	// returns the certificate's serial (hex) and end. Nil makes RenewCertificate Unimplemented.
	RenewCertificate func(cert, key, ca []byte) (serial string, notAfter time.Time, err error)
	// CheckServed says whether the node's TLS ports serve the certificate with this serial (an
	// error naming what they serve when not). Nil: not checked.
	CheckServed func(ctx context.Context, serial string) error
	// Secret is the per-task bearer secret. Required.
	Secret string
	// TLS, when set, makes the API serve TLS and accept only the daemon's client certificate
	// (ServerTLS); nil serves plaintext (a daemon run with --insecure).
	TLS *TLS
	// Ring and Node name this executor's node (NodeTaskConfig.ring and .node). Required: a call
	// must name the same (metadata RingMetadataKey and NodeMetadataKey) or it is refused.
	Ring, Node string
	// EpochFile keeps the highest leader epoch seen (EpochFileName in the node's data directory,
	// so it outlives the executor). Empty: the epoch is kept in memory only.
	EpochFile string
	Logger    *slog.Logger
}

type server struct {
	cassmesosv1.UnimplementedNodeAgentServiceServer
	ctl     nodetool.Controller
	restart func(context.Context) error
	seeds   func([]string) error
	backups BackupRunner
	renew   func(cert, key, ca []byte) (string, time.Time, error)
	served  func(context.Context, string) error
	log     *slog.Logger
}

// NewServer returns the NodeAgentService handlers without authentication (NewGRPCServer adds it).
func NewServer(cfg Config) cassmesosv1.NodeAgentServiceServer {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &server{ctl: cfg.Controller, restart: cfg.Restart, seeds: cfg.RewriteSeeds, backups: cfg.Backups, renew: cfg.RenewCertificate, served: cfg.CheckServed, log: log}
}

// NewGRPCServer returns a gRPC server with NodeAgentService registered, refusing every call that
// does not carry "authorization: Bearer <cfg.Secret>" (Unauthenticated), refusing a call whose
// leader epoch (metadata EpochMetadataKey) is older than the highest one seen, and a mutating
// call without one (FailedPrecondition), and answering a call whose handler panics with Internal
// (the panic is logged with its stack). A call must also name this executor's ring and node
// (metadata RingMetadataKey and NodeMetadataKey), or it is refused with FailedPrecondition.
func NewGRPCServer(cfg Config, opts ...grpc.ServerOption) (*grpc.Server, error) {
	if cfg.Controller == nil {
		return nil, errors.New("agent: Config.Controller is nil")
	}
	if cfg.Secret == "" {
		return nil, errors.New("agent: Config.Secret is empty: the task's agent_secret is required")
	}
	if cfg.Ring == "" || cfg.Node == "" {
		return nil, errors.New("agent: Config.Ring and Config.Node are required")
	}
	a := auth{secret: []byte(cfg.Secret), ring: cfg.Ring, node: cfg.Node}
	r := recoverer{log: cfg.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	g := newEpochGuard(cfg.EpochFile, r.log)
	if cfg.TLS != nil {
		tc, err := ServerTLS(*cfg.TLS)
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(tc)))
	}
	opts = append(opts, grpc.ChainUnaryInterceptor(r.unary, a.unary, g.unary), grpc.ChainStreamInterceptor(r.stream, a.stream, g.stream))
	s := grpc.NewServer(opts...)
	cassmesosv1.RegisterNodeAgentServiceServer(s, NewServer(cfg))
	return s, nil
}

// RingMetadataKey and NodeMetadataKey carry the ring and node a call is meant for (the daemon's
// nodeagent.RingMetadataKey and nodeagent.NodeMetadataKey).
const (
	RingMetadataKey = "cassmesos-ring"
	NodeMetadataKey = "cassmesos-node"
)

type auth struct {
	secret     []byte
	ring, node string
}

func (a auth) check(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) != 1 {
		return status.Error(codes.Unauthenticated, "missing authorization: Bearer <secret>")
	}
	token, ok := strings.CutPrefix(vals[0], "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), a.secret) != 1 {
		return status.Error(codes.Unauthenticated, "bad bearer secret")
	}
	// The call must be meant for this node: a relay built for another ring's or node's task (an
	// address and port since reused) is refused before it reaches nodetool.
	rings, nodes := md.Get(RingMetadataKey), md.Get(NodeMetadataKey)
	if len(rings) != 1 || len(nodes) != 1 {
		return status.Errorf(codes.FailedPrecondition, "the call names no ring and node (metadata %s, %s); this executor runs node %s of ring %s",
			RingMetadataKey, NodeMetadataKey, a.node, a.ring)
	}
	if rings[0] != a.ring || nodes[0] != a.node {
		return status.Errorf(codes.FailedPrecondition, "the call is meant for node %q of ring %q; this executor runs node %s of ring %s",
			nodes[0], rings[0], a.node, a.ring)
	}
	return nil
}

func (a auth) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := a.check(ctx); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (a auth) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := a.check(ss.Context()); err != nil {
		return err
	}
	return h(srv, ss)
}

// names a keyspace or table may have (Cassandra: [a-zA-Z0-9_]{1,48}, quoted names aside).
var identRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,222}$`)
var hostIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
var tokenRE = regexp.MustCompile(`^-?[0-9A-Za-z.]{1,128}$`)

func checkIdent(field, v string) error {
	if !identRE.MatchString(v) {
		return fmt.Errorf("%w: %s %q is not a keyspace or table name", errInvalid, field, v)
	}
	return nil
}

func checkTables(tables []string) error {
	for _, t := range tables {
		if err := checkIdent("tables", t); err != nil {
			return err
		}
	}
	return nil
}

var modes = map[nodetool.Mode]cassmesosv1.CassandraMode{
	nodetool.ModeStarting:           cassmesosv1.CassandraMode_CASSANDRA_MODE_STARTING,
	nodetool.ModeJoining:            cassmesosv1.CassandraMode_CASSANDRA_MODE_JOINING,
	nodetool.ModeJoiningFailed:      cassmesosv1.CassandraMode_CASSANDRA_MODE_JOINING,
	nodetool.ModeNormal:             cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL,
	nodetool.ModeLeaving:            cassmesosv1.CassandraMode_CASSANDRA_MODE_LEAVING,
	nodetool.ModeDecommissionFailed: cassmesosv1.CassandraMode_CASSANDRA_MODE_LEAVING,
	nodetool.ModeDecommissioned:     cassmesosv1.CassandraMode_CASSANDRA_MODE_DECOMMISSIONED,
	nodetool.ModeDraining:           cassmesosv1.CassandraMode_CASSANDRA_MODE_DRAINING,
	nodetool.ModeDrained:            cassmesosv1.CassandraMode_CASSANDRA_MODE_DRAINED,
	nodetool.ModeMoving:             cassmesosv1.CassandraMode_CASSANDRA_MODE_MOVING,
}

// ModeProto maps Cassandra's operation mode to the API enum (UNSPECIFIED when unknown).
func ModeProto(m nodetool.Mode) cassmesosv1.CassandraMode { return modes[m] }

var stateModes = map[nodetool.State]cassmesosv1.CassandraMode{
	nodetool.StateNormal:  cassmesosv1.CassandraMode_CASSANDRA_MODE_NORMAL,
	nodetool.StateJoining: cassmesosv1.CassandraMode_CASSANDRA_MODE_JOINING,
	nodetool.StateLeaving: cassmesosv1.CassandraMode_CASSANDRA_MODE_LEAVING,
	nodetool.StateMoving:  cassmesosv1.CassandraMode_CASSANDRA_MODE_MOVING,
}

func peerProto(n nodetool.NodeStatus) *cassmesosv1.PeerStatus {
	p := &cassmesosv1.PeerStatus{Address: n.Host(), Mode: stateModes[n.State], HostId: n.HostID,
		Datacenter: n.Datacenter, Rack: n.Rack, Tokens: int32(n.Tokens), LoadBytes: -1, OwnsPercent: -1}
	switch n.Liveness {
	case nodetool.LivenessUp:
		p.Liveness = cassmesosv1.Liveness_LIVENESS_UP
	case nodetool.LivenessDown:
		p.Liveness = cassmesosv1.Liveness_LIVENESS_DOWN
	}
	if n.Load.Known {
		p.LoadBytes = n.Load.Bytes
	}
	if n.Owns.Known {
		p.OwnsPercent = n.Owns.Percent
	}
	return p
}

// GetNodeStatus runs nodetool netstats, info, version and status.
func (s *server) GetNodeStatus(ctx context.Context, req *cassmesosv1.GetNodeStatusRequest) (*cassmesosv1.GetNodeStatusResponse, error) {
	const m = "GetNodeStatus"
	if req.GetKeyspace() != "" {
		if err := checkIdent("keyspace", req.GetKeyspace()); err != nil {
			return nil, toStatus(s.log, m, err)
		}
	}
	ns, err := s.ctl.Netstats(ctx)
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	info, err := s.ctl.Info(ctx)
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	var st *nodetool.Status
	if req.GetKeyspace() != "" {
		st, err = s.ctl.StatusKeyspace(ctx, req.GetKeyspace())
	} else {
		st, err = s.ctl.Status(ctx)
	}
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	resp := &cassmesosv1.GetNodeStatusResponse{Mode: ModeProto(ns.Mode), HostId: info.ID,
		NativeTransport: info.NativeTransportActive}
	if v, err := s.ctl.Version(ctx); err == nil {
		resp.ReleaseVersion = v
	} else {
		s.log.Debug("nodetool version", "err", err)
	}
	for _, n := range st.All() {
		resp.Peers = append(resp.Peers, peerProto(n))
	}
	return resp, nil
}

// DescribeRing runs nodetool describering.
func (s *server) DescribeRing(ctx context.Context, req *cassmesosv1.DescribeRingRequest) (*cassmesosv1.DescribeRingResponse, error) {
	if err := checkIdent("keyspace", req.GetKeyspace()); err != nil {
		return nil, toStatus(s.log, "DescribeRing", err)
	}
	rd, err := s.ctl.DescribeRing(ctx, req.GetKeyspace())
	if err != nil {
		return nil, toStatus(s.log, "DescribeRing", err)
	}
	resp := &cassmesosv1.DescribeRingResponse{}
	for _, r := range rd.Ranges {
		resp.Ranges = append(resp.Ranges, &cassmesosv1.TokenRange{StartToken: r.Start, EndToken: r.End,
			Endpoints: append([]string(nil), r.Endpoints...)})
	}
	return resp, nil
}

// ListKeyspaces runs nodetool describecluster: every keyspace with its replication; with tables,
// also nodetool tablestats -F json for each keyspace's table count (0 for a keyspace it does not
// list: nodetool lists only keyspaces that have tables; -1 when not asked).
func (s *server) ListKeyspaces(ctx context.Context, req *cassmesosv1.ListKeyspacesRequest) (*cassmesosv1.ListKeyspacesResponse, error) {
	const m = "ListKeyspaces"
	cd, err := s.ctl.DescribeCluster(ctx)
	if err != nil {
		return nil, toStatus(s.log, m, err)
	}
	if len(cd.Keyspaces) == 0 {
		// 3.x's describecluster has no Keyspaces section.
		return nil, toStatus(s.log, m, fmt.Errorf("%w: nodetool describecluster lists no keyspaces (Cassandra before 4.0?)", nodetool.ErrUnknownCommand))
	}
	var counts map[string]int
	if req.GetTables() {
		if counts, err = s.ctl.TableCounts(ctx); err != nil {
			return nil, toStatus(s.log, m, err)
		}
	}
	resp := &cassmesosv1.ListKeyspacesResponse{}
	for _, k := range cd.Keyspaces {
		class, opts, err := nodetool.ParseReplication(k.Replication)
		if err != nil {
			return nil, toStatus(s.log, m, fmt.Errorf("%w: keyspace %s: %v", nodetool.ErrBadOutput, k.Name, err))
		}
		tables := int32(-1)
		if counts != nil {
			tables = int32(counts[k.Name])
		}
		resp.Keyspaces = append(resp.Keyspaces, &cassmesosv1.Keyspace{Name: k.Name, ReplicationClass: class, Replication: opts,
			Tables: tables, System: nodetool.IsSystemKeyspace(k.Name) || class == "LocalStrategy"})
	}
	sort.Slice(resp.Keyspaces, func(i, j int) bool { return resp.Keyspaces[i].Name < resp.Keyspaces[j].Name })
	return resp, nil
}

func checkRepair(req *cassmesosv1.RepairRangeRequest) error {
	if err := checkIdent("keyspace", req.GetKeyspace()); err != nil {
		return err
	}
	if err := checkTables(req.GetTables()); err != nil {
		return err
	}
	st, et := req.GetStartToken(), req.GetEndToken()
	if (st == "") != (et == "") {
		return fmt.Errorf("%w: start_token and end_token go together", errInvalid)
	}
	if st != "" {
		for _, t := range []string{st, et} {
			if !tokenRE.MatchString(t) {
				return fmt.Errorf("%w: token %q is not a token", errInvalid, t)
			}
		}
		if req.GetPrimaryRange() {
			return fmt.Errorf("%w: primary_range and a token subrange exclude each other", errInvalid)
		}
	}
	return nil
}

// RepairRange runs nodetool repair and streams each progress line; the last message has done set
// and, on failure, error. A failed repair then ends the RPC with Aborted.
func (s *server) RepairRange(req *cassmesosv1.RepairRangeRequest, stream cassmesosv1.NodeAgentService_RepairRangeServer) error {
	const m = "RepairRange"
	if err := checkRepair(req); err != nil {
		return toStatus(s.log, m, err)
	}
	opts := nodetool.RepairOptions{Keyspace: req.GetKeyspace(), Tables: req.GetTables(), Full: req.GetFull(),
		PrimaryRange: req.GetPrimaryRange(), StartToken: req.GetStartToken(), EndToken: req.GetEndToken()}
	if dc := req.GetDatacenter(); dc != "" {
		if err := specrules.RackDC("datacenter", dc); err != nil {
			return toStatus(s.log, m, fmt.Errorf("%w: %v", errInvalid, err))
		}
		opts.Datacenters = []string{dc}
	}
	s.log.Info("repair", "keyspace", opts.Keyspace, "full", opts.Full, "pr", opts.PrimaryRange,
		"start_token", opts.StartToken, "end_token", opts.EndToken)
	var sendErr error
	err := s.ctl.Repair(stream.Context(), opts, func(ev nodetool.RepairEvent) {
		if sendErr != nil {
			return
		}
		msg := ev.Line
		if msg == "" {
			msg = ev.Message
		}
		sendErr = stream.Send(&cassmesosv1.RepairRangeResponse{Message: msg, Percent: float64(ev.Progress)})
	})
	if sendErr != nil {
		return sendErr // the client went away; nothing more to say
	}
	_ = failpoint.Inject("executor/mid-relay")
	last := &cassmesosv1.RepairRangeResponse{Done: true, Percent: 100, Message: "repair finished"}
	if err != nil {
		last.Percent = -1
		last.Message = "repair failed"
		last.Error = err.Error()
	}
	if serr := stream.Send(last); serr != nil {
		return serr
	}
	return toStatus(s.log, m, err)
}

// Cleanup runs nodetool cleanup.
func (s *server) Cleanup(ctx context.Context, req *cassmesosv1.CleanupRequest) (*cassmesosv1.CleanupResponse, error) {
	if req.GetKeyspace() != "" {
		if err := checkIdent("keyspace", req.GetKeyspace()); err != nil {
			return nil, toStatus(s.log, "Cleanup", err)
		}
	} else if len(req.GetTables()) > 0 {
		return nil, toStatus(s.log, "Cleanup", fmt.Errorf("%w: tables need a keyspace", errInvalid))
	}
	if err := checkTables(req.GetTables()); err != nil {
		return nil, toStatus(s.log, "Cleanup", err)
	}
	if err := s.ctl.Cleanup(ctx, req.GetKeyspace(), req.GetTables()...); err != nil {
		return nil, toStatus(s.log, "Cleanup", err)
	}
	_ = failpoint.Inject("executor/mid-relay")
	return &cassmesosv1.CleanupResponse{}, nil
}

// Drain runs nodetool drain.
func (s *server) Drain(ctx context.Context, _ *cassmesosv1.DrainRequest) (*cassmesosv1.DrainResponse, error) {
	if err := s.ctl.Drain(ctx); err != nil {
		return nil, toStatus(s.log, "Drain", err)
	}
	return &cassmesosv1.DrainResponse{}, nil
}

// decommissionConfirmInterval is how often Decommission reads the node's mode after nodetool
// decommission returned.
var decommissionConfirmInterval = time.Second

// Decommission runs nodetool decommission and answers only once the node's own mode is
// DECOMMISSIONED: Cassandra 5.0's nodetool also exits 0 when a decommission is already under way
// ("This node is still decommissioning."), so a relayed retry must not be taken for the end of the
// leave (the daemon stops the node next).
func (s *server) Decommission(ctx context.Context, _ *cassmesosv1.DecommissionRequest) (*cassmesosv1.DecommissionResponse, error) {
	s.log.Warn("decommission requested")
	if err := s.ctl.Decommission(ctx, false); err != nil {
		return nil, toStatus(s.log, "Decommission", err)
	}
	_ = failpoint.Inject("executor/mid-relay")
	for {
		ns, err := s.ctl.Netstats(ctx)
		switch {
		case err == nil && ns.Mode == nodetool.ModeDecommissioned:
			return &cassmesosv1.DecommissionResponse{}, nil
		case err == nil && ns.Mode == nodetool.ModeDecommissionFailed:
			return nil, status.Error(codes.FailedPrecondition, "decommission failed: the node reports DECOMMISSION_FAILED; see its system.log")
		case err != nil && !errors.Is(err, nodetool.ErrTimeout) && !errors.Is(err, nodetool.ErrConnectionRefused):
			return nil, toStatus(s.log, "Decommission", err)
		}
		select {
		case <-ctx.Done():
			return nil, toStatus(s.log, "Decommission", ctx.Err())
		case <-time.After(decommissionConfirmInterval):
		}
	}
}

// RemovePeer runs nodetool removenode.
func (s *server) RemovePeer(ctx context.Context, req *cassmesosv1.RemovePeerRequest) (*cassmesosv1.RemovePeerResponse, error) {
	if !hostIDRE.MatchString(req.GetHostId()) {
		return nil, toStatus(s.log, "RemovePeer", fmt.Errorf("%w: host_id %q is not a UUID", errInvalid, req.GetHostId()))
	}
	s.log.Warn("removenode requested", "host_id", req.GetHostId())
	if err := s.ctl.RemoveNode(ctx, req.GetHostId()); err != nil {
		return nil, toStatus(s.log, "RemovePeer", err)
	}
	return &cassmesosv1.RemovePeerResponse{}, nil
}

// RestartCassandra drains, stops and starts Cassandra again in place.
func (s *server) RestartCassandra(ctx context.Context, _ *cassmesosv1.RestartCassandraRequest) (*cassmesosv1.RestartCassandraResponse, error) {
	if s.restart == nil {
		return nil, status.Error(codes.Unimplemented, "restart is not available")
	}
	s.log.Info("restart requested")
	if err := s.restart(ctx); err != nil {
		return nil, toStatus(s.log, "RestartCassandra", err)
	}
	_ = failpoint.Inject("executor/mid-relay")
	return &cassmesosv1.RestartCassandraResponse{}, nil
}

// Rebuild runs nodetool rebuild from the named data centre and answers when it has finished.
func (s *server) Rebuild(ctx context.Context, req *cassmesosv1.RebuildRequest) (*cassmesosv1.RebuildResponse, error) {
	dc := req.GetSourceDatacenter()
	if err := specrules.RackDC("source_datacenter", dc); err != nil {
		return nil, toStatus(s.log, "Rebuild", fmt.Errorf("%w: %v", errInvalid, err))
	}
	s.log.Info("rebuild requested", "source_datacenter", dc)
	if err := s.ctl.Rebuild(ctx, dc); err != nil {
		return nil, toStatus(s.log, "Rebuild", err)
	}
	s.log.Info("rebuild finished", "source_datacenter", dc)
	return &cassmesosv1.RebuildResponse{}, nil
}

// maxSeeds bounds a ReloadSeeds request's list.
const maxSeeds = 64

// ReloadSeeds writes the seed list into the node's cassandra.yaml, runs nodetool reloadseeds and
// answers with the seeds Cassandra then uses (without the node's own address).
func (s *server) ReloadSeeds(ctx context.Context, req *cassmesosv1.ReloadSeedsRequest) (*cassmesosv1.ReloadSeedsResponse, error) {
	if s.seeds == nil {
		return nil, status.Error(codes.Unimplemented, "reloading seeds is not available")
	}
	seeds := req.GetSeeds()
	if len(seeds) == 0 || len(seeds) > maxSeeds {
		return nil, toStatus(s.log, "ReloadSeeds", fmt.Errorf("%w: seeds: want 1 to %d addresses, got %d", errInvalid, maxSeeds, len(seeds)))
	}
	for _, a := range seeds {
		if net.ParseIP(a) == nil {
			return nil, toStatus(s.log, "ReloadSeeds", fmt.Errorf("%w: seeds: %q is not an IP address", errInvalid, a))
		}
	}
	s.log.Info("seed list reload requested", "seeds", strings.Join(seeds, ","))
	if err := s.seeds(seeds); err != nil {
		return nil, toStatus(s.log, "ReloadSeeds", err)
	}
	got, err := s.ctl.ReloadSeeds(ctx)
	if err != nil {
		return nil, toStatus(s.log, "ReloadSeeds", err)
	}
	return &cassmesosv1.ReloadSeedsResponse{Seeds: got}, nil
}

// maxPEM bounds each PEM field of a RenewCertificate request.
const maxPEM = 64 << 10

// RenewCertificate writes the node's new Cassandra certificate, key and CA (checked first: bad
// material writes nothing) and runs nodetool reloadssl, so Cassandra uses them for new
// connections without a restart.
func (s *server) RenewCertificate(ctx context.Context, req *cassmesosv1.RenewCertificateRequest) (*cassmesosv1.RenewCertificateResponse, error) {
	if s.renew == nil {
		return nil, status.Error(codes.Unimplemented, "certificate renewal is not available")
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{"cert", req.GetCert()}, {"key", req.GetKey()}, {"ca", req.GetCa()}} {
		if len(f.b) == 0 || len(f.b) > maxPEM {
			return nil, toStatus(s.log, "RenewCertificate", fmt.Errorf("%w: %s: want 1 to %d bytes of PEM, got %d", errInvalid, f.name, maxPEM, len(f.b)))
		}
	}
	serial, notAfter, err := s.renew(req.GetCert(), req.GetKey(), req.GetCa())
	if err != nil {
		return nil, toStatus(s.log, "RenewCertificate", err)
	}
	if err := s.reloadSSL(ctx, serial); err != nil {
		return nil, toStatus(s.log, "RenewCertificate", err)
	}
	s.log.Info("Cassandra certificate renewed", "serial", serial, "not_after", notAfter.UTC().Format(time.RFC3339))
	return &cassmesosv1.RenewCertificateResponse{Serial: serial, NotAfter: timestamppb.New(notAfter)}, nil
}

// reloadAttempts bounds the nodetool reloadssl calls of one renewal; reloadPause separates them.
var (
	reloadAttempts = 5
	reloadPause    = 2 * time.Second
)

// reloadSSL runs nodetool reloadssl until the node serves the certificate serial on its TLS
// ports. Cassandra 5.0 reloads only the SSL contexts it has cached at that moment, and not always
// the storage port's: a renewal is done only when both ports serve the new certificate.
func (s *server) reloadSSL(ctx context.Context, serial string) error {
	var last error
	for i := range reloadAttempts {
		if i > 0 {
			t := time.NewTimer(reloadPause)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		if err := s.ctl.ReloadSSL(ctx); err != nil {
			return fmt.Errorf("the certificate %s was written but nodetool reloadssl failed: %w", serial, err)
		}
		if s.served == nil {
			return nil
		}
		if last = s.served(ctx, serial); last == nil {
			return nil
		}
		s.log.Warn("after nodetool reloadssl the node does not serve its new certificate yet", "serial", serial, "attempt", i+1, "err", last)
	}
	return fmt.Errorf("the certificate %s was written and reloaded %d times, but %w", serial, reloadAttempts, last)
}
