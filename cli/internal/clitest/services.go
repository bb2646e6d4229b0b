package clitest

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Server is a fake cassmesosd: every RPC records its request and calls its hook, or answers
// Unimplemented when the hook is nil.
type Server struct {
	recorder
	CreateRingFn           func(context.Context, *pb.CreateRingRequest) (*pb.CreateRingResponse, error)
	GetRingFn              func(context.Context, *pb.GetRingRequest) (*pb.GetRingResponse, error)
	ListRingsFn            func(context.Context, *pb.ListRingsRequest) (*pb.ListRingsResponse, error)
	UpdateRingFn           func(context.Context, *pb.UpdateRingRequest) (*pb.UpdateRingResponse, error)
	ScaleRingFn            func(context.Context, *pb.ScaleRingRequest) (*pb.ScaleRingResponse, error)
	AddDataCenterFn        func(context.Context, *pb.AddDataCenterRequest) (*pb.AddDataCenterResponse, error)
	RemoveDataCenterFn     func(context.Context, *pb.RemoveDataCenterRequest) (*pb.RemoveDataCenterResponse, error)
	RestartRingFn          func(context.Context, *pb.RestartRingRequest) (*pb.RestartRingResponse, error)
	DeleteRingFn           func(context.Context, *pb.DeleteRingRequest) (*pb.DeleteRingResponse, error)
	ListKeyspacesFn        func(context.Context, *pb.RingServiceListKeyspacesRequest) (*pb.RingServiceListKeyspacesResponse, error)
	ListNodesFn            func(context.Context, *pb.ListNodesRequest) (*pb.ListNodesResponse, error)
	GetNodeFn              func(context.Context, *pb.GetNodeRequest) (*pb.GetNodeResponse, error)
	ReplaceNodeFn          func(context.Context, *pb.ReplaceNodeRequest) (*pb.ReplaceNodeResponse, error)
	RestartNodeFn          func(context.Context, *pb.RestartNodeRequest) (*pb.RestartNodeResponse, error)
	DecommissionNodeFn     func(context.Context, *pb.DecommissionNodeRequest) (*pb.DecommissionNodeResponse, error)
	RemoveNodeFn           func(context.Context, *pb.RemoveNodeRequest) (*pb.RemoveNodeResponse, error)
	ListOperationsFn       func(context.Context, *pb.ListOperationsRequest) (*pb.ListOperationsResponse, error)
	GetOperationFn         func(context.Context, *pb.GetOperationRequest) (*pb.GetOperationResponse, error)
	CancelOperationFn      func(context.Context, *pb.CancelOperationRequest) (*pb.CancelOperationResponse, error)
	RunRepairFn            func(context.Context, *pb.RunRepairRequest) (*pb.RunRepairResponse, error)
	ListRepairsFn          func(context.Context, *pb.ListRepairsRequest) (*pb.ListRepairsResponse, error)
	GetRepairFn            func(context.Context, *pb.GetRepairRequest) (*pb.GetRepairResponse, error)
	CancelRepairFn         func(context.Context, *pb.CancelRepairRequest) (*pb.CancelRepairResponse, error)
	PauseRepairFn          func(context.Context, *pb.PauseRepairRequest) (*pb.PauseRepairResponse, error)
	ResumeRepairFn         func(context.Context, *pb.ResumeRepairRequest) (*pb.ResumeRepairResponse, error)
	CreateRepairScheduleFn func(context.Context, *pb.CreateRepairScheduleRequest) (*pb.CreateRepairScheduleResponse, error)
	ListRepairSchedulesFn  func(context.Context, *pb.ListRepairSchedulesRequest) (*pb.ListRepairSchedulesResponse, error)
	DeleteRepairScheduleFn func(context.Context, *pb.DeleteRepairScheduleRequest) (*pb.DeleteRepairScheduleResponse, error)
	GetAutoRepairStatusFn  func(context.Context, *pb.GetAutoRepairStatusRequest) (*pb.GetAutoRepairStatusResponse, error)
	RunCleanupFn           func(context.Context, *pb.RunCleanupRequest) (*pb.RunCleanupResponse, error)
	GetVersionFn           func(context.Context, *pb.GetVersionRequest) (*pb.GetVersionResponse, error)
	ListAuditEventsFn      func(context.Context, *pb.ListAuditEventsRequest) (*pb.ListAuditEventsResponse, error)
	VerifyAuditLogFn       func(context.Context, *pb.VerifyAuditLogRequest) (*pb.VerifyAuditLogResponse, error)
	WatchOperationFn       func(*pb.WatchOperationRequest, grpc.ServerStreamingServer[pb.WatchOperationResponse]) error
	ListEventsFn           func(context.Context, *pb.ListEventsRequest) (*pb.ListEventsResponse, error)
	WatchEventsFn          func(*pb.WatchEventsRequest, grpc.ServerStreamingServer[pb.WatchEventsResponse]) error
}

func register(s *grpc.Server, f *Server) {
	pb.RegisterRingServiceServer(s, ringServer{f: f})
	pb.RegisterNodeServiceServer(s, nodeServer{f: f})
	pb.RegisterOperationServiceServer(s, operationServer{f: f})
	pb.RegisterRepairServiceServer(s, repairServer{f: f})
	pb.RegisterCleanupServiceServer(s, cleanupServer{f: f})
	pb.RegisterSystemServiceServer(s, systemServer{f: f})
	pb.RegisterAuditServiceServer(s, auditServer{f: f})
	pb.RegisterEventServiceServer(s, eventServer{f: f})
}

type eventServer struct {
	pb.UnimplementedEventServiceServer
	f *Server
}

func (s eventServer) ListEvents(ctx context.Context, in *pb.ListEventsRequest) (*pb.ListEventsResponse, error) {
	s.f.record(in)
	if s.f.ListEventsFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ListEvents not implemented")
	}
	return s.f.ListEventsFn(ctx, in)
}

func (s eventServer) WatchEvents(in *pb.WatchEventsRequest, stream grpc.ServerStreamingServer[pb.WatchEventsResponse]) error {
	s.f.record(in)
	if s.f.WatchEventsFn == nil {
		return status.Error(codes.Unimplemented, "method WatchEvents not implemented")
	}
	return s.f.WatchEventsFn(in, stream)
}

type auditServer struct {
	pb.UnimplementedAuditServiceServer
	f *Server
}

func (s auditServer) ListAuditEvents(ctx context.Context, in *pb.ListAuditEventsRequest) (*pb.ListAuditEventsResponse, error) {
	s.f.record(in)
	if s.f.ListAuditEventsFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ListAuditEvents not implemented")
	}
	return s.f.ListAuditEventsFn(ctx, in)
}

func (s auditServer) VerifyAuditLog(ctx context.Context, in *pb.VerifyAuditLogRequest) (*pb.VerifyAuditLogResponse, error) {
	s.f.record(in)
	if s.f.VerifyAuditLogFn == nil {
		return nil, status.Error(codes.Unimplemented, "method VerifyAuditLog not implemented")
	}
	return s.f.VerifyAuditLogFn(ctx, in)
}

type ringServer struct {
	pb.UnimplementedRingServiceServer
	f *Server
}

func (s ringServer) CreateRing(ctx context.Context, in *pb.CreateRingRequest) (*pb.CreateRingResponse, error) {
	s.f.record(in)
	if s.f.CreateRingFn == nil {
		return nil, status.Error(codes.Unimplemented, "method CreateRing not implemented")
	}
	return s.f.CreateRingFn(ctx, in)
}

func (s ringServer) GetRing(ctx context.Context, in *pb.GetRingRequest) (*pb.GetRingResponse, error) {
	s.f.record(in)
	if s.f.GetRingFn == nil {
		return nil, status.Error(codes.Unimplemented, "method GetRing not implemented")
	}
	return s.f.GetRingFn(ctx, in)
}

func (s ringServer) ListRings(ctx context.Context, in *pb.ListRingsRequest) (*pb.ListRingsResponse, error) {
	s.f.record(in)
	if s.f.ListRingsFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ListRings not implemented")
	}
	return s.f.ListRingsFn(ctx, in)
}

func (s ringServer) ListKeyspaces(ctx context.Context, in *pb.RingServiceListKeyspacesRequest) (*pb.RingServiceListKeyspacesResponse, error) {
	s.f.record(in)
	if s.f.ListKeyspacesFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ListKeyspaces not implemented")
	}
	return s.f.ListKeyspacesFn(ctx, in)
}

func (s ringServer) UpdateRing(ctx context.Context, in *pb.UpdateRingRequest) (*pb.UpdateRingResponse, error) {
	s.f.record(in)
	if s.f.UpdateRingFn == nil {
		return nil, status.Error(codes.Unimplemented, "method UpdateRing not implemented")
	}
	return s.f.UpdateRingFn(ctx, in)
}

func (s ringServer) ScaleRing(ctx context.Context, in *pb.ScaleRingRequest) (*pb.ScaleRingResponse, error) {
	s.f.record(in)
	if s.f.ScaleRingFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ScaleRing not implemented")
	}
	return s.f.ScaleRingFn(ctx, in)
}

func (s ringServer) AddDataCenter(ctx context.Context, in *pb.AddDataCenterRequest) (*pb.AddDataCenterResponse, error) {
	s.f.record(in)
	if s.f.AddDataCenterFn == nil {
		return nil, status.Error(codes.Unimplemented, "method AddDataCenter not implemented")
	}
	return s.f.AddDataCenterFn(ctx, in)
}

func (s ringServer) RemoveDataCenter(ctx context.Context, in *pb.RemoveDataCenterRequest) (*pb.RemoveDataCenterResponse, error) {
	s.f.record(in)
	if s.f.RemoveDataCenterFn == nil {
		return nil, status.Error(codes.Unimplemented, "method RemoveDataCenter not implemented")
	}
	return s.f.RemoveDataCenterFn(ctx, in)
}

func (s ringServer) RestartRing(ctx context.Context, in *pb.RestartRingRequest) (*pb.RestartRingResponse, error) {
	s.f.record(in)
	if s.f.RestartRingFn == nil {
		return nil, status.Error(codes.Unimplemented, "method RestartRing not implemented")
	}
	return s.f.RestartRingFn(ctx, in)
}

func (s ringServer) DeleteRing(ctx context.Context, in *pb.DeleteRingRequest) (*pb.DeleteRingResponse, error) {
	s.f.record(in)
	if s.f.DeleteRingFn == nil {
		return nil, status.Error(codes.Unimplemented, "method DeleteRing not implemented")
	}
	return s.f.DeleteRingFn(ctx, in)
}

type nodeServer struct {
	pb.UnimplementedNodeServiceServer
	f *Server
}

func (s nodeServer) ListNodes(ctx context.Context, in *pb.ListNodesRequest) (*pb.ListNodesResponse, error) {
	s.f.record(in)
	if s.f.ListNodesFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ListNodes not implemented")
	}
	return s.f.ListNodesFn(ctx, in)
}

func (s nodeServer) GetNode(ctx context.Context, in *pb.GetNodeRequest) (*pb.GetNodeResponse, error) {
	s.f.record(in)
	if s.f.GetNodeFn == nil {
		return nil, status.Error(codes.Unimplemented, "method GetNode not implemented")
	}
	return s.f.GetNodeFn(ctx, in)
}

func (s nodeServer) ReplaceNode(ctx context.Context, in *pb.ReplaceNodeRequest) (*pb.ReplaceNodeResponse, error) {
	s.f.record(in)
	if s.f.ReplaceNodeFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ReplaceNode not implemented")
	}
	return s.f.ReplaceNodeFn(ctx, in)
}

func (s nodeServer) RestartNode(ctx context.Context, in *pb.RestartNodeRequest) (*pb.RestartNodeResponse, error) {
	s.f.record(in)
	if s.f.RestartNodeFn == nil {
		return nil, status.Error(codes.Unimplemented, "method RestartNode not implemented")
	}
	return s.f.RestartNodeFn(ctx, in)
}

func (s nodeServer) DecommissionNode(ctx context.Context, in *pb.DecommissionNodeRequest) (*pb.DecommissionNodeResponse, error) {
	s.f.record(in)
	if s.f.DecommissionNodeFn == nil {
		return nil, status.Error(codes.Unimplemented, "method DecommissionNode not implemented")
	}
	return s.f.DecommissionNodeFn(ctx, in)
}

func (s nodeServer) RemoveNode(ctx context.Context, in *pb.RemoveNodeRequest) (*pb.RemoveNodeResponse, error) {
	s.f.record(in)
	if s.f.RemoveNodeFn == nil {
		return nil, status.Error(codes.Unimplemented, "method RemoveNode not implemented")
	}
	return s.f.RemoveNodeFn(ctx, in)
}

type operationServer struct {
	pb.UnimplementedOperationServiceServer
	f *Server
}

func (s operationServer) ListOperations(ctx context.Context, in *pb.ListOperationsRequest) (*pb.ListOperationsResponse, error) {
	s.f.record(in)
	if s.f.ListOperationsFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ListOperations not implemented")
	}
	return s.f.ListOperationsFn(ctx, in)
}

func (s operationServer) GetOperation(ctx context.Context, in *pb.GetOperationRequest) (*pb.GetOperationResponse, error) {
	s.f.record(in)
	if s.f.GetOperationFn == nil {
		return nil, status.Error(codes.Unimplemented, "method GetOperation not implemented")
	}
	return s.f.GetOperationFn(ctx, in)
}

func (s operationServer) CancelOperation(ctx context.Context, in *pb.CancelOperationRequest) (*pb.CancelOperationResponse, error) {
	s.f.record(in)
	if s.f.CancelOperationFn == nil {
		return nil, status.Error(codes.Unimplemented, "method CancelOperation not implemented")
	}
	return s.f.CancelOperationFn(ctx, in)
}

type repairServer struct {
	pb.UnimplementedRepairServiceServer
	f *Server
}

func (s repairServer) RunRepair(ctx context.Context, in *pb.RunRepairRequest) (*pb.RunRepairResponse, error) {
	s.f.record(in)
	if s.f.RunRepairFn == nil {
		return nil, status.Error(codes.Unimplemented, "method RunRepair not implemented")
	}
	return s.f.RunRepairFn(ctx, in)
}

func (s repairServer) ListRepairs(ctx context.Context, in *pb.ListRepairsRequest) (*pb.ListRepairsResponse, error) {
	s.f.record(in)
	if s.f.ListRepairsFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ListRepairs not implemented")
	}
	return s.f.ListRepairsFn(ctx, in)
}

func (s repairServer) GetRepair(ctx context.Context, in *pb.GetRepairRequest) (*pb.GetRepairResponse, error) {
	s.f.record(in)
	if s.f.GetRepairFn == nil {
		return nil, status.Error(codes.Unimplemented, "method GetRepair not implemented")
	}
	return s.f.GetRepairFn(ctx, in)
}

func (s repairServer) CancelRepair(ctx context.Context, in *pb.CancelRepairRequest) (*pb.CancelRepairResponse, error) {
	s.f.record(in)
	if s.f.CancelRepairFn == nil {
		return nil, status.Error(codes.Unimplemented, "method CancelRepair not implemented")
	}
	return s.f.CancelRepairFn(ctx, in)
}

func (s repairServer) PauseRepair(ctx context.Context, in *pb.PauseRepairRequest) (*pb.PauseRepairResponse, error) {
	s.f.record(in)
	if s.f.PauseRepairFn == nil {
		return nil, status.Error(codes.Unimplemented, "method PauseRepair not implemented")
	}
	return s.f.PauseRepairFn(ctx, in)
}

func (s repairServer) ResumeRepair(ctx context.Context, in *pb.ResumeRepairRequest) (*pb.ResumeRepairResponse, error) {
	s.f.record(in)
	if s.f.ResumeRepairFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ResumeRepair not implemented")
	}
	return s.f.ResumeRepairFn(ctx, in)
}

func (s repairServer) CreateRepairSchedule(ctx context.Context, in *pb.CreateRepairScheduleRequest) (*pb.CreateRepairScheduleResponse, error) {
	s.f.record(in)
	if s.f.CreateRepairScheduleFn == nil {
		return nil, status.Error(codes.Unimplemented, "method CreateRepairSchedule not implemented")
	}
	return s.f.CreateRepairScheduleFn(ctx, in)
}

func (s repairServer) ListRepairSchedules(ctx context.Context, in *pb.ListRepairSchedulesRequest) (*pb.ListRepairSchedulesResponse, error) {
	s.f.record(in)
	if s.f.ListRepairSchedulesFn == nil {
		return nil, status.Error(codes.Unimplemented, "method ListRepairSchedules not implemented")
	}
	return s.f.ListRepairSchedulesFn(ctx, in)
}

func (s repairServer) DeleteRepairSchedule(ctx context.Context, in *pb.DeleteRepairScheduleRequest) (*pb.DeleteRepairScheduleResponse, error) {
	s.f.record(in)
	if s.f.DeleteRepairScheduleFn == nil {
		return nil, status.Error(codes.Unimplemented, "method DeleteRepairSchedule not implemented")
	}
	return s.f.DeleteRepairScheduleFn(ctx, in)
}

type cleanupServer struct {
	pb.UnimplementedCleanupServiceServer
	f *Server
}

func (s cleanupServer) RunCleanup(ctx context.Context, in *pb.RunCleanupRequest) (*pb.RunCleanupResponse, error) {
	s.f.record(in)
	if s.f.RunCleanupFn == nil {
		return nil, status.Error(codes.Unimplemented, "method RunCleanup not implemented")
	}
	return s.f.RunCleanupFn(ctx, in)
}

type systemServer struct {
	pb.UnimplementedSystemServiceServer
	f *Server
}

func (s systemServer) GetVersion(ctx context.Context, in *pb.GetVersionRequest) (*pb.GetVersionResponse, error) {
	s.f.record(in)
	if s.f.GetVersionFn == nil {
		return nil, status.Error(codes.Unimplemented, "method GetVersion not implemented")
	}
	return s.f.GetVersionFn(ctx, in)
}

func (s operationServer) WatchOperation(in *pb.WatchOperationRequest, stream grpc.ServerStreamingServer[pb.WatchOperationResponse]) error {
	s.f.record(in)
	if s.f.WatchOperationFn == nil {
		return status.Error(codes.Unimplemented, "method WatchOperation not implemented")
	}
	return s.f.WatchOperationFn(in, stream)
}

func (s repairServer) GetAutoRepairStatus(ctx context.Context, in *pb.GetAutoRepairStatusRequest) (*pb.GetAutoRepairStatusResponse, error) {
	s.f.record(in)
	if s.f.GetAutoRepairStatusFn == nil {
		return nil, status.Error(codes.Unimplemented, "method GetAutoRepairStatus not implemented")
	}
	return s.f.GetAutoRepairStatusFn(ctx, in)
}
