package server

import (
	"context"
	"log/slog"
	"os"
	"sort"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cassmesos/cassmesos/daemon/artifacts"
	"github.com/cassmesos/cassmesos/daemon/authz"
	"github.com/cassmesos/cassmesos/daemon/config"
	"github.com/cassmesos/cassmesos/daemon/engine"
	"github.com/cassmesos/cassmesos/daemon/plan"
	"github.com/cassmesos/cassmesos/internal/version"
	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// LeaderTrailer is the trailer metadata key a standby puts the leader's gRPC address in.
const LeaderTrailer = "cassmesos-leader"

// Backend is what the handlers need from the leader's engine (daemon/engine.Engine satisfies it).
type Backend interface {
	Submit(ctx context.Context, req plan.Request) (plan.Accepted, error)
	Read(ctx context.Context, fn func(s *plan.State)) error
	Watch(ctx context.Context, id string) (<-chan engine.Snapshot, error)
	Info() engine.Info
}

// Leadership says whether this daemon leads and who does.
type Leadership interface {
	// Backend returns the running engine, or nil while this daemon is not (yet) the leader.
	Backend() Backend
	// LeaderAddress is the leader's gRPC address ("" when unknown).
	LeaderAddress() string
}

// Options configure the services.
type Options struct {
	Leadership    Leadership
	FrameworkName string
	// DefaultDistribution is the tarball used when a spec names none.
	DefaultDistribution string
	// Mirror is the Apache archive base URL for versions.
	Mirror string
	// Allow is the operator's artifact allow-list: a distribution or Java URL a caller names must
	// fall under it (nil refuses every caller-named URL).
	Allow *artifacts.AllowList
	// WatchPerClient and WatchTotal bound concurrent WatchOperation streams per client (peer
	// address) and in all (defaults 8 and 256).
	WatchPerClient, WatchTotal int
	Logger                     *slog.Logger
	// Auth authenticates, authorises and audits every call (see daemon/authz). Nil installs no
	// check at all: only tests of the handlers leave it out; cassmesosd always sets it.
	Auth *authz.Authorizer
	// AuditLog serves AuditService (nil: the service answers Unavailable).
	AuditLog AuditLog
	// Events serves EventService (nil: the service answers Unavailable).
	Events EventLog
}

type services struct {
	opts    Options
	log     *slog.Logger
	watches *watchLimiter
}

// Register registers every service on s and returns the interceptors to install for the standby
// redirect (use NewGRPCServer to get both at once).
func Register(s *grpc.Server, opts Options) {
	svc := newServices(opts)
	cassmesosv1.RegisterRingServiceServer(s, &ringServer{services: svc})
	cassmesosv1.RegisterNodeServiceServer(s, &nodeServer{services: svc})
	cassmesosv1.RegisterOperationServiceServer(s, &operationServer{services: svc})
	cassmesosv1.RegisterSystemServiceServer(s, &systemServer{services: svc})
	cassmesosv1.RegisterRepairServiceServer(s, &repairServer{services: svc})
	cassmesosv1.RegisterCleanupServiceServer(s, &cleanupServer{services: svc})
	cassmesosv1.RegisterBackupServiceServer(s, &backupServer{services: svc})
	cassmesosv1.RegisterAuditServiceServer(s, &auditServer{services: svc})
	cassmesosv1.RegisterEventServiceServer(s, &eventServer{services: svc})
}

func newServices(opts Options) *services {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.WatchPerClient <= 0 {
		opts.WatchPerClient = DefaultWatchPerClient
	}
	if opts.WatchTotal <= 0 {
		opts.WatchTotal = DefaultWatchTotal
	}
	return &services{opts: opts, log: opts.Logger.With("component", "grpc"), watches: newWatchLimiter(opts.WatchPerClient, opts.WatchTotal)}
}

// NewGRPCServer returns a gRPC server with every service registered and the panic-recovering and
// standby interceptors installed.
func NewGRPCServer(opts Options, extra ...grpc.ServerOption) *grpc.Server {
	svc := newServices(opts)
	unary := []grpc.UnaryServerInterceptor{svc.recoverUnary}
	stream := []grpc.StreamServerInterceptor{svc.recoverStream}
	if opts.Auth != nil { // before the standby gate: a standby refuses strangers too, and audits
		unary, stream = append(unary, opts.Auth.Unary), append(stream, opts.Auth.Stream)
	}
	all := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(append(unary, svc.unaryLeaderGate)...),
		grpc.ChainStreamInterceptor(append(stream, svc.streamLeaderGate)...),
	}, extra...)
	s := grpc.NewServer(all...)
	Register(s, opts)
	return s
}

// Methods a standby answers itself.
var standbyMethods = map[string]bool{
	cassmesosv1.SystemService_GetVersion_FullMethodName:     true,
	cassmesosv1.AuditService_ListAuditEvents_FullMethodName: true, // read from ZooKeeper directly
	cassmesosv1.EventService_ListEvents_FullMethodName:      true, // read from ZooKeeper directly
	cassmesosv1.EventService_WatchEvents_FullMethodName:     true,
	cassmesosv1.AuditService_VerifyAuditLog_FullMethodName:  true, // read from ZooKeeper directly
}

func (s *services) notLeader(ctx context.Context) error {
	addr := s.opts.Leadership.LeaderAddress()
	if addr != "" {
		_ = grpc.SetTrailer(ctx, metadata.Pairs(LeaderTrailer, addr))
		return status.Errorf(codes.Unavailable, "%v; the leader is at %s (trailer %s)", ErrNotLeader, addr, LeaderTrailer)
	}
	return status.Errorf(codes.Unavailable, "%v; no leader is known yet", ErrNotLeader)
}

func (s *services) unaryLeaderGate(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if !standbyMethods[info.FullMethod] && s.opts.Leadership.Backend() == nil {
		return nil, s.notLeader(ctx)
	}
	return handler(ctx, req)
}

func (s *services) streamLeaderGate(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if !standbyMethods[info.FullMethod] && s.opts.Leadership.Backend() == nil {
		addr := s.opts.Leadership.LeaderAddress()
		if addr != "" {
			ss.SetTrailer(metadata.Pairs(LeaderTrailer, addr))
			return status.Errorf(codes.Unavailable, "%v; the leader is at %s (trailer %s)", ErrNotLeader, addr, LeaderTrailer)
		}
		return status.Errorf(codes.Unavailable, "%v; no leader is known yet", ErrNotLeader)
	}
	return handler(srv, ss)
}

// backend returns the engine or the standby error.
func (s *services) backend(ctx context.Context) (Backend, error) {
	b := s.opts.Leadership.Backend()
	if b == nil {
		return nil, s.notLeader(ctx)
	}
	return b, nil
}

// ---- RingService

type ringServer struct {
	cassmesosv1.UnimplementedRingServiceServer
	*services
}

func (s *ringServer) CreateRing(ctx context.Context, req *cassmesosv1.CreateRingRequest) (*cassmesosv1.CreateRingResponse, error) {
	const method = "CreateRing"
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	spec, err := checkCreateRingRequest(req)
	if err != nil {
		return nil, toStatus(s.log, method, err)
	}
	if err := s.checkDistribution(ctx, spec.GetDistribution()); err != nil {
		return nil, toStatus(s.log, method, err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := b.Submit(ctx, plan.CreateRing{Spec: spec, ValidateOnly: req.GetValidateOnly(), RequestID: req.GetRequestId(), FromBackup: req.GetFromBackup()})
	if err != nil {
		return nil, toStatus(s.log, method, err)
	}
	s.log.Info("CreateRing", "ring", spec.GetName(), "created", acc.Created, "validate_only", req.GetValidateOnly())
	return &cassmesosv1.CreateRingResponse{Ring: RingFromRecord(acc.Ring), Operation: acc.Operation.GetOperation(), Created: acc.Created}, nil
}

func (s *ringServer) GetRing(ctx context.Context, req *cassmesosv1.GetRingRequest) (*cassmesosv1.GetRingResponse, error) {
	if err := checkRingName("name", req.GetName()); err != nil {
		return nil, toStatus(s.log, "GetRing", err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	var resp *cassmesosv1.GetRingResponse
	err = b.Read(ctx, func(st *plan.State) {
		r := st.Rings[req.GetName()]
		if r == nil {
			return
		}
		resp = &cassmesosv1.GetRingResponse{Ring: RingFromRecord(r), Nodes: NodesFromState(st, st.RingNodes(req.GetName()))}
	})
	if err != nil {
		return nil, toStatus(s.log, "GetRing", err)
	}
	if resp == nil {
		return nil, toStatus(s.log, "GetRing", notFound(plan.ErrRingNotFound, req.GetName()))
	}
	return resp, nil
}

func (s *ringServer) ListRings(ctx context.Context, _ *cassmesosv1.ListRingsRequest) (*cassmesosv1.ListRingsResponse, error) {
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	resp := &cassmesosv1.ListRingsResponse{}
	err = b.Read(ctx, func(st *plan.State) {
		names := make([]string, 0, len(st.Rings))
		for n := range st.Rings {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			resp.Rings = append(resp.Rings, RingFromRecord(st.Rings[n]))
		}
	})
	if err != nil {
		return nil, toStatus(s.log, "ListRings", err)
	}
	return resp, nil
}

func (s *ringServer) DeleteRing(ctx context.Context, req *cassmesosv1.DeleteRingRequest) (*cassmesosv1.DeleteRingResponse, error) {
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, "DeleteRing", err)
	}
	if err := checkRingName("name", req.GetName()); err != nil {
		return nil, toStatus(s.log, "DeleteRing", err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := b.Submit(ctx, plan.DeleteRing{Ring: req.GetName(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, toStatus(s.log, "DeleteRing", err)
	}
	s.log.Info("DeleteRing", "ring", req.GetName())
	return &cassmesosv1.DeleteRingResponse{Operation: acc.Operation.GetOperation()}, nil
}

// ---- NodeService

type nodeServer struct {
	cassmesosv1.UnimplementedNodeServiceServer
	*services
}

func (s *nodeServer) ListNodes(ctx context.Context, req *cassmesosv1.ListNodesRequest) (*cassmesosv1.ListNodesResponse, error) {
	if req.GetRing() != "" {
		if err := checkRingName("ring", req.GetRing()); err != nil {
			return nil, toStatus(s.log, "ListNodes", err)
		}
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	resp := &cassmesosv1.ListNodesResponse{}
	missing := false
	err = b.Read(ctx, func(st *plan.State) {
		if req.GetRing() != "" {
			if st.Rings[req.GetRing()] == nil {
				missing = true
				return
			}
			resp.Nodes = NodesFromState(st, st.RingNodes(req.GetRing()))
			return
		}
		rings := make([]string, 0, len(st.Rings))
		for r := range st.Rings {
			rings = append(rings, r)
		}
		sort.Strings(rings)
		for _, r := range rings {
			resp.Nodes = append(resp.Nodes, NodesFromState(st, st.RingNodes(r))...)
		}
	})
	if err != nil {
		return nil, toStatus(s.log, "ListNodes", err)
	}
	if missing {
		return nil, toStatus(s.log, "ListNodes", notFound(plan.ErrRingNotFound, req.GetRing()))
	}
	return resp, nil
}

func (s *nodeServer) GetNode(ctx context.Context, req *cassmesosv1.GetNodeRequest) (*cassmesosv1.GetNodeResponse, error) {
	if err := checkNodeRef("ref", req.GetRef()); err != nil {
		return nil, toStatus(s.log, "GetNode", err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	var node *cassmesosv1.Node
	err = b.Read(ctx, func(st *plan.State) {
		n := st.Nodes[req.GetRef().GetNode()]
		if n == nil || (req.GetRef().GetRing() != "" && n.GetRing() != req.GetRef().GetRing()) {
			return
		}
		node = NodeFromState(st, n)
	})
	if err != nil {
		return nil, toStatus(s.log, "GetNode", err)
	}
	if node == nil {
		return nil, toStatus(s.log, "GetNode", notFound(plan.ErrNodeNotFound, req.GetRef().GetNode()))
	}
	return &cassmesosv1.GetNodeResponse{Node: node}, nil
}

// ---- OperationService

type operationServer struct {
	cassmesosv1.UnimplementedOperationServiceServer
	*services
}

func (s *operationServer) ListOperations(ctx context.Context, req *cassmesosv1.ListOperationsRequest) (*cassmesosv1.ListOperationsResponse, error) {
	if err := checkListOperationsRequest(req); err != nil {
		return nil, toStatus(s.log, "ListOperations", err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	kinds := map[cassmesosv1.OperationKind]bool{}
	for _, k := range req.GetKinds() {
		kinds[k] = true
	}
	limit := int(req.GetLimit())
	if limit == 0 {
		limit = 100
	}
	resp := &cassmesosv1.ListOperationsResponse{}
	err = b.Read(ctx, func(st *plan.State) {
		var ops []*cassmesosv1.Operation
		for _, r := range st.Operations {
			op := r.GetOperation()
			if req.GetRing() != "" && op.GetRing() != req.GetRing() {
				continue
			}
			if len(kinds) > 0 && !kinds[op.GetKind()] {
				continue
			}
			if !req.GetAll() && engine.Terminal(op.GetPhase()) {
				continue
			}
			ops = append(ops, op)
		}
		sort.Slice(ops, func(i, j int) bool {
			ti, tj := ops[i].GetCreateTime().AsTime(), ops[j].GetCreateTime().AsTime()
			if !ti.Equal(tj) {
				return ti.After(tj)
			}
			return ops[i].GetId() > ops[j].GetId()
		})
		if len(ops) > limit {
			ops = ops[:limit]
		}
		resp.Operations = ops
	})
	if err != nil {
		return nil, toStatus(s.log, "ListOperations", err)
	}
	return resp, nil
}

func (s *operationServer) GetOperation(ctx context.Context, req *cassmesosv1.GetOperationRequest) (*cassmesosv1.GetOperationResponse, error) {
	if err := checkOperationID("id", req.GetId()); err != nil {
		return nil, toStatus(s.log, "GetOperation", err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	var op *cassmesosv1.Operation
	err = b.Read(ctx, func(st *plan.State) { op = st.Operations[req.GetId()].GetOperation() })
	if err != nil {
		return nil, toStatus(s.log, "GetOperation", err)
	}
	if op == nil {
		return nil, toStatus(s.log, "GetOperation", notFound(plan.ErrOperationNotFound, req.GetId()))
	}
	return &cassmesosv1.GetOperationResponse{Operation: op}, nil
}

func (s *operationServer) CancelOperation(ctx context.Context, req *cassmesosv1.CancelOperationRequest) (*cassmesosv1.CancelOperationResponse, error) {
	if err := checkRequestID(req); err != nil {
		return nil, toStatus(s.log, "CancelOperation", err)
	}
	if err := checkOperationID("id", req.GetId()); err != nil {
		return nil, toStatus(s.log, "CancelOperation", err)
	}
	b, err := s.backend(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := b.Submit(ctx, plan.CancelOperation{ID: req.GetId(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, toStatus(s.log, "CancelOperation", err)
	}
	op := acc.Operation.GetOperation()
	if op == nil {
		_ = b.Read(ctx, func(st *plan.State) { op = st.Operations[req.GetId()].GetOperation() })
	}
	s.log.Info("CancelOperation", "operation_id", req.GetId())
	return &cassmesosv1.CancelOperationResponse{Operation: op}, nil
}

func (s *operationServer) WatchOperation(req *cassmesosv1.WatchOperationRequest, stream cassmesosv1.OperationService_WatchOperationServer) error {
	if err := checkOperationID("id", req.GetId()); err != nil {
		return toStatus(s.log, "WatchOperation", err)
	}
	ctx := stream.Context()
	b, err := s.backend(ctx)
	if err != nil {
		return err
	}
	release, err := s.watches.acquire(ctx)
	if err != nil {
		s.log.Warn("WatchOperation refused", "client", clientKey(ctx), "err", err)
		return err
	}
	defer release()
	ch, err := b.Watch(ctx, req.GetId())
	if err != nil {
		return toStatus(s.log, "WatchOperation", err)
	}
	for {
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case snap, ok := <-ch:
			if !ok {
				if ctx.Err() != nil {
					return status.FromContextError(ctx.Err()).Err()
				}
				// The engine stopped (leadership lost): the client should re-dial the leader.
				return s.notLeader(ctx)
			}
			if snap.Gone {
				return toStatus(s.log, "WatchOperation", notFound(plan.ErrOperationNotFound, req.GetId()))
			}
			if err := stream.Send(&cassmesosv1.WatchOperationResponse{
				Operation: snap.Operation.GetOperation(),
				Nodes:     NodesFromRecords(snap.Nodes),
			}); err != nil {
				return err
			}
			if snap.Terminal {
				return nil
			}
		}
	}
}

// ---- SystemService

type systemServer struct {
	cassmesosv1.UnimplementedSystemServiceServer
	*services
}

func (s *systemServer) GetVersion(ctx context.Context, _ *cassmesosv1.GetVersionRequest) (*cassmesosv1.GetVersionResponse, error) {
	resp := &cassmesosv1.GetVersionResponse{
		Version:       version.Version,
		FrameworkName: s.opts.FrameworkName,
		LeaderAddress: s.opts.Leadership.LeaderAddress(),
	}
	if b := s.opts.Leadership.Backend(); b != nil {
		info := b.Info()
		resp.IsLeader = true
		resp.MesosVersion = info.MasterVersion
		resp.FrameworkId = info.FrameworkID
	}
	return resp, nil
}

// ---- conversions

// RingFromRecord is the API view of a ring record.
func RingFromRecord(r *statev1.RingRecord) *cassmesosv1.Ring {
	if r == nil {
		return nil
	}
	return &cassmesosv1.Ring{Spec: r.GetSpec(), Status: r.GetStatus(), CreateTime: r.GetCreateTime(), Generation: r.GetGeneration()}
}

// NodeFromRecord is the API view of a node record.
func NodeFromRecord(n *statev1.NodeRecord) *cassmesosv1.Node {
	if n == nil {
		return nil
	}
	return &cassmesosv1.Node{
		Ring: n.GetRing(), Name: n.GetName(), Seed: n.GetSeed(), Phase: n.GetPhase(),
		Liveness: n.GetLiveness(), Mode: n.GetMode(), AgentId: n.GetAgentId(), Hostname: n.GetHostname(),
		Address: n.GetAddress(), HostId: n.GetHostId(), TaskId: n.GetTaskId(), Datacenter: n.GetDatacenter(),
		Rack: n.GetRack(), PhaseTime: n.GetPhaseTime(), CreateTime: n.GetCreateTime(), Restarts: n.GetRestarts(),
		Message: n.GetMessage(), ReplacesAddress: n.GetReplacesAddress(), LoadBytes: n.GetLoadBytes(), Tokens: n.GetTokens(),
		JmxPort: n.GetJmxPort(),
	}
}

// NodeFromState is the API view of a node record with where its state comes from (live or
// recorded, and when; plan.State.Observed).
func NodeFromState(st *plan.State, n *statev1.NodeRecord) *cassmesosv1.Node {
	out := NodeFromRecord(n)
	if out == nil {
		return nil
	}
	live, at := st.Observed(n)
	out.StateSource = cassmesosv1.NodeStateSource_NODE_STATE_SOURCE_RECORDED
	if live {
		out.StateSource = cassmesosv1.NodeStateSource_NODE_STATE_SOURCE_LIVE
	}
	if !at.IsZero() {
		out.StateTime = timestamppb.New(at)
	}
	return out
}

// NodesFromState converts in order (NodeFromState).
func NodesFromState(st *plan.State, ns []*statev1.NodeRecord) []*cassmesosv1.Node {
	out := make([]*cassmesosv1.Node, 0, len(ns))
	for _, n := range ns {
		out = append(out, NodeFromState(st, n))
	}
	return out
}

// NodesFromRecords converts in order.
func NodesFromRecords(ns []*statev1.NodeRecord) []*cassmesosv1.Node {
	out := make([]*cassmesosv1.Node, 0, len(ns))
	for _, n := range ns {
		out = append(out, NodeFromRecord(n))
	}
	return out
}

// distributionURL is where the spec's Cassandra comes from.
func (s *services) distributionURL(d *cassmesosv1.Distribution) (field, url string) {
	switch {
	case d.GetUrl() != "":
		return "spec.distribution.url", d.GetUrl()
	case d.GetVersion() != "":
		return "spec.distribution.version", config.MirrorURL(s.opts.Mirror, d.GetVersion())
	default:
		return "spec.distribution", s.opts.DefaultDistribution
	}
}

// checkDistribution checks that the distribution and Java URLs a caller names fall under the
// operator's allow-list (Options.Allow). Nothing is fetched and no host is probed on the caller's
// behalf: an http(s) URL that does not answer is reported by the node's first launch (the Mesos
// fetcher fails the task and the node's message says why). A local file under an allowed prefix
// must exist on the daemon's host (checked after resolving symlinks, only once it is allowed).
func (s *services) checkDistribution(_ context.Context, d *cassmesosv1.Distribution) error {
	if d.GetUrl() != "" || d.GetVersion() != "" {
		field, u := s.distributionURL(d)
		if err := s.allowed(field, u); err != nil {
			return err
		}
	} else if s.opts.DefaultDistribution == "" {
		return invalid("spec.distribution", "no distribution given and the daemon has no default")
	}
	if d.GetJavaUrl() != "" {
		return s.allowed("spec.distribution.java_url", d.GetJavaUrl())
	}
	return nil
}

func (s *services) allowed(field, u string) error {
	if err := s.opts.Allow.Check(u); err != nil {
		return invalid(field, "%v", err)
	}
	if config.IsLocalPath(u) {
		real, err := s.opts.Allow.LocalFile(u)
		if err != nil {
			return invalid(field, "%s is not readable on the daemon's host: %v", u, err)
		}
		st, err := os.Stat(real)
		if err != nil {
			return invalid(field, "%s is not readable on the daemon's host: %v", u, err)
		}
		if !st.Mode().IsRegular() {
			return invalid(field, "%s is not a regular file", u)
		}
	}
	return nil
}
