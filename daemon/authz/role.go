// Package authz decides who may call what on cassmesosd's gRPC API and writes the audit log.
//
// A caller is identified by a verified TLS client certificate (CN = name, the highest role among
// its Organization entries = role) or by a
// bearer token ("authorization: Bearer <token>" metadata) found in the tokens file. Roles are
// ordered viewer < operator < admin; Methods maps every RPC to the least role it needs. Every
// mutating call, allowed or refused for permission, is appended to the audit log.
package authz

import (
	"context"
	"fmt"
)

// Role is what an identity may do; a higher role may do everything a lower one may.
type Role int

// The roles, least first.
const (
	RoleNone Role = iota
	Viewer
	Operator
	Admin
)

func (r Role) String() string {
	switch r {
	case Viewer:
		return "viewer"
	case Operator:
		return "operator"
	case Admin:
		return "admin"
	default:
		return "none"
	}
}

// ParseRole parses "viewer", "operator" or "admin".
func ParseRole(s string) (Role, error) {
	switch s {
	case "viewer":
		return Viewer, nil
	case "operator":
		return Operator, nil
	case "admin":
		return Admin, nil
	}
	return RoleNone, fmt.Errorf("unknown role %q (want viewer, operator or admin)", s)
}

// How an identity was established.
const (
	ViaCert     = "cert"
	ViaToken    = "token"
	ViaInsecure = "insecure"
)

// Identity is an authenticated caller.
type Identity struct {
	Name string
	Role Role
	Via  string // ViaCert, ViaToken or ViaInsecure
	Peer string // network address
}

type identityKey struct{}

// FromContext returns the caller's identity placed by the interceptor.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}
