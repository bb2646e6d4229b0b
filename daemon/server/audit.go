package server

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
	"github.com/cassmesos/cassmesos/zkstate"
)

// AuditLog is the audit log in ZooKeeper: ZKAudit adapts a zkstate.Store to it.
type AuditLog interface {
	ListAudit(ctx context.Context, f zkstate.AuditFilter) ([]zkstate.AuditEntry, string, error)
	VerifyAudit(ctx context.Context) (zkstate.AuditVerification, error)
}

// ZKAudit writes and reads the audit log through an unfenced store: a standby that answers (or
// refuses) a call audits it as well as the leader does. It satisfies authz.Auditor and AuditLog.
type ZKAudit struct {
	Store *zkstate.Store
	// Keep is how many records are kept (0: zkstate.DefaultAuditKeep).
	Keep int
}

// Audit appends rec.
func (z ZKAudit) Audit(ctx context.Context, rec *statev1.AuditRecord) error {
	_, err := z.Store.AppendAudit(ctx, rec, z.Keep)
	return err
}

// ListAudit reads records newest first.
func (z ZKAudit) ListAudit(ctx context.Context, f zkstate.AuditFilter) ([]zkstate.AuditEntry, string, error) {
	return z.Store.ListAudit(ctx, f)
}

// VerifyAudit checks the log's hash chain.
func (z ZKAudit) VerifyAudit(ctx context.Context) (zkstate.AuditVerification, error) {
	return z.Store.VerifyAudit(ctx)
}

// maxAuditPage bounds ListAuditEvents' limit.
const maxAuditPage = 1000

type auditServer struct {
	cassmesosv1.UnimplementedAuditServiceServer
	*services
}

func (s *auditServer) ListAuditEvents(ctx context.Context, req *cassmesosv1.ListAuditEventsRequest) (*cassmesosv1.ListAuditEventsResponse, error) {
	if s.opts.AuditLog == nil {
		return nil, status.Error(codes.Unavailable, "this daemon keeps no audit log")
	}
	if req.GetLimit() < 0 || req.GetLimit() > maxAuditPage {
		return nil, status.Errorf(codes.InvalidArgument, "limit %d: want 0 (default 100) to %d", req.GetLimit(), maxAuditPage)
	}
	f := zkstate.AuditFilter{Identity: req.GetIdentity(), Ring: req.GetRing(), Limit: int(req.GetLimit()), Before: req.GetPageToken()}
	if req.GetSince() != nil {
		if err := req.GetSince().CheckValid(); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "since: %v", err)
		}
		f.Since = req.GetSince().AsTime()
	}
	entries, next, err := s.opts.AuditLog.ListAudit(ctx, f)
	if errors.Is(err, zkstate.ErrInvalid) {
		return nil, status.Errorf(codes.InvalidArgument, "page_token: %v", err)
	}
	if err != nil {
		return nil, status.Error(codes.Unavailable, fmt.Sprintf("reading the audit log: %v", err))
	}
	resp := &cassmesosv1.ListAuditEventsResponse{NextPageToken: next}
	for _, e := range entries {
		ev := e.Record.GetEvent()
		if ev == nil {
			ev = &cassmesosv1.AuditEvent{}
		}
		ev.Id = e.Name
		resp.Events = append(resp.Events, ev)
	}
	return resp, nil
}

func (s *auditServer) VerifyAuditLog(ctx context.Context, _ *cassmesosv1.VerifyAuditLogRequest) (*cassmesosv1.VerifyAuditLogResponse, error) {
	if s.opts.AuditLog == nil {
		return nil, status.Error(codes.Unavailable, "this daemon keeps no audit log")
	}
	v, err := s.opts.AuditLog.VerifyAudit(ctx)
	if err != nil {
		return nil, status.Error(codes.Unavailable, fmt.Sprintf("reading the audit log: %v", err))
	}
	return &cassmesosv1.VerifyAuditLogResponse{
		Ok: v.OK, Checked: int64(v.Checked), Unchained: int64(v.Unchained), BrokenId: v.BrokenName, Reason: v.Reason,
		HeadIndex: v.HeadIndex, HeadHash: v.HeadHash, AnchorIndex: v.AnchorIndex,
	}, nil
}
