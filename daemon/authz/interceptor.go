package authz

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
	v1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Auditor appends audit records (zkstate.Store.AppendAudit through a small adapter).
type Auditor interface {
	Audit(ctx context.Context, rec *statev1.AuditRecord) error
}

// Authorizer authenticates and authorises every call and audits the mutating ones.
type Authorizer struct {
	// Tokens, if set, identifies bearer tokens; nil: tokens are refused.
	Tokens *Tokens
	// Disabled makes every caller an admin named "anonymous" (the daemon's --insecure); calls
	// are still audited.
	Disabled bool
	// Audit receives the audit records; nil: nothing is audited (tests of other packages only).
	Audit Auditor
	// AuditTimeout bounds one audit write (default 10s); it runs even if the caller went away.
	AuditTimeout time.Duration
	Logger       *slog.Logger
}

func (a *Authorizer) log() *slog.Logger {
	if a.Logger == nil {
		return slog.Default()
	}
	return a.Logger
}

// Authenticate establishes the caller's identity: a bearer token if the call carries an
// authorization header (a wrong one is not retried with the certificate), else a client
// certificate verified by the TLS handshake (CN = name; the highest of viewer, operator and admin
// among its Organization entries = role). Its error is an Unauthenticated status.
func (a *Authorizer) Authenticate(ctx context.Context) (Identity, error) {
	id := Identity{}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		id.Peer = p.Addr.String()
	}
	if a.Disabled {
		id.Name, id.Role, id.Via = "anonymous", Admin, ViaInsecure
		return id, nil
	}
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("authorization")) > 0 {
		vals := md.Get("authorization")
		if len(vals) != 1 {
			return id, status.Error(codes.Unauthenticated, "more than one authorization header")
		}
		scheme, tok, ok := strings.Cut(vals[0], " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return id, status.Error(codes.Unauthenticated, `authorization header is not "Bearer <token>"`)
		}
		if a.Tokens == nil {
			return id, status.Error(codes.Unauthenticated, "bearer tokens are not accepted: the daemon has no --tokens-file")
		}
		name, role, err := a.Tokens.Lookup(strings.TrimSpace(tok))
		if err != nil {
			if err != errUnknownToken {
				a.log().Error("tokens file unusable: every token is refused", "err", err)
			}
			return id, status.Error(codes.Unauthenticated, "bearer token not accepted")
		}
		id.Name, id.Role, id.Via = name, role, ViaToken
		return id, nil
	}
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.VerifiedChains) > 0 && len(ti.State.VerifiedChains[0]) > 0 {
			cert := ti.State.VerifiedChains[0][0]
			if cert.Subject.CommonName == "" {
				return id, status.Error(codes.Unauthenticated, "client certificate has no common name")
			}
			role := RoleNone // the highest role among the Organization entries; others (e.g. "daemon") are ignored
			for _, o := range cert.Subject.Organization {
				if r, err := ParseRole(o); err == nil && r > role {
					role = r
				}
			}
			if role == RoleNone {
				return id, status.Errorf(codes.Unauthenticated, "client certificate %q names no role (viewer, operator or admin) in its organization", cert.Subject.CommonName)
			}
			id.Name, id.Role, id.Via = cert.Subject.CommonName, role, ViaCert
			return id, nil
		}
	}
	return id, status.Error(codes.Unauthenticated, "no credentials: present a client certificate or an authorization: Bearer token")
}

// authorize checks id against method's rule; its error is a PermissionDenied status naming the
// role needed.
func authorize(id Identity, method string, req any) (Rule, error) {
	rule, ok := Methods[method]
	if !ok {
		return Rule{Mutating: true}, status.Errorf(codes.PermissionDenied, "method %s is not in the authorisation table; nobody may call it", method)
	}
	need, why := rule.Role, ""
	if rule.Escalate != nil && req != nil {
		if r, w := rule.Escalate(req); r > need {
			need, why = r, " ("+w+")"
		}
	}
	if id.Role < need {
		return rule, status.Errorf(codes.PermissionDenied, "%s needs role %s%s; %q has role %s", method, need, why, id.Name, id.Role)
	}
	return rule, nil
}

// Unary is the unary server interceptor.
func (a *Authorizer) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	id, err := a.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	rule, err := authorize(id, info.FullMethod, req)
	if err != nil {
		if rule.Mutating {
			a.audit(ctx, id, info.FullMethod, req, err)
		}
		return nil, err
	}
	resp, err := handler(WithIdentity(ctx, id), req)
	if rule.Mutating {
		a.audit(ctx, id, info.FullMethod, req, err)
	}
	return resp, err
}

// Stream is the stream server interceptor (streams are read-only today; a mutating one is audited
// without its request's fields).
func (a *Authorizer) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx := ss.Context()
	id, err := a.Authenticate(ctx)
	if err != nil {
		return err
	}
	rule, err := authorize(id, info.FullMethod, nil)
	if err != nil {
		if rule.Mutating {
			a.audit(ctx, id, info.FullMethod, nil, err)
		}
		return err
	}
	err = handler(srv, &identityStream{ServerStream: ss, ctx: WithIdentity(ctx, id)})
	if rule.Mutating {
		a.audit(ctx, id, info.FullMethod, nil, err)
	}
	return err
}

type identityStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *identityStream) Context() context.Context { return s.ctx }

// audit writes one record; a failed write is logged (the call's outcome stands).
func (a *Authorizer) audit(ctx context.Context, id Identity, method string, req any, callErr error) {
	if a.Audit == nil {
		return
	}
	st := status.Convert(callErr)
	ev := &v1.AuditEvent{
		Time: timestamppb.Now(), Identity: id.Name, Role: id.Role.String(), Via: id.Via, Peer: id.Peer,
		Method: method, Code: st.Code().String(), Message: st.Message(),
	}
	if m, ok := req.(proto.Message); ok {
		describe(ev, method, m.ProtoReflect())
	}
	timeout := a.AuditTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := a.Audit.Audit(actx, &statev1.AuditRecord{Event: ev}); err != nil {
		a.log().Error("audit record not written", "method", method, "identity", id.Name, "code", ev.Code, "err", err)
	}
}

// describe fills the ring, node, target and request IDs from the request's fields: "ring",
// "ref" (a NodeRef), "spec.name", "name" (a ring in RingService), "id" and "request_id".
func describe(ev *v1.AuditEvent, method string, m protoreflect.Message) {
	str := func(m protoreflect.Message, name string) string {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() || fd.IsMap() {
			return ""
		}
		return m.Get(fd).String()
	}
	msg := func(m protoreflect.Message, name string) protoreflect.Message {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil || fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() || !m.Has(fd) {
			return nil
		}
		return m.Get(fd).Message()
	}
	ev.Ring = str(m, "ring")
	if ref := msg(m, "ref"); ref != nil {
		ev.Ring, ev.Node = str(ref, "ring"), str(ref, "node")
		if ev.Node == "" {
			ev.Node = str(ref, "name")
		}
	}
	if ev.Ring == "" {
		if spec := msg(m, "spec"); spec != nil {
			ev.Ring = str(spec, "name")
		}
	}
	if ev.Ring == "" {
		if sch := msg(m, "schedule"); sch != nil {
			ev.Ring = str(sch, "ring")
		}
	}
	if ev.Ring == "" && strings.HasPrefix(method, "/cassmesos.v1.RingService/") {
		ev.Ring = str(m, "name")
	}
	ev.TargetId = str(m, "id")
	ev.RequestId = str(m, "request_id")
}
