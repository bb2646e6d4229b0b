package authz

import (
	"net"
	"net/http"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// AuthenticateHTTP identifies the caller of an HTTP request exactly as Authenticate does a gRPC
// call: its Authorization: Bearer header if it has one, else the client certificate the TLS
// handshake verified.
func (a *Authorizer) AuthenticateHTTP(r *http.Request) (Identity, error) {
	ctx := r.Context()
	p := &peer.Peer{}
	if addr, err := net.ResolveTCPAddr("tcp", r.RemoteAddr); err == nil {
		p.Addr = addr
	}
	if r.TLS != nil {
		p.AuthInfo = credentials.TLSInfo{State: *r.TLS}
	}
	ctx = peer.NewContext(ctx, p)
	if vals := r.Header.Values("Authorization"); len(vals) > 0 {
		ctx = metadata.NewIncomingContext(ctx, metadata.MD{"authorization": vals})
	}
	return a.Authenticate(ctx)
}

// RequireHTTP wraps h so that only callers with at least role need reach it: others get 401
// (unauthenticated, with a WWW-Authenticate challenge) or 403, with the reason as plain text.
// The caller's identity is in the request's context (FromContext).
func (a *Authorizer) RequireHTTP(need Role, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := a.AuthenticateHTTP(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cassmesos"`)
			http.Error(w, status.Convert(err).Message(), http.StatusUnauthorized)
			return
		}
		if id.Role < need {
			http.Error(w, "needs role "+need.String()+"; "+id.Name+" has role "+id.Role.String(), http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
	})
}
