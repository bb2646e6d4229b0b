package daemon

import (
	"fmt"

	"github.com/cassmesos/cassmesos/daemon/authz"
	"github.com/cassmesos/cassmesos/daemon/server"
	"github.com/cassmesos/cassmesos/zkstate"
)

// authorizer builds the gRPC API's authorisation: callers identified by client certificate or by
// a token of --tokens-file; with --insecure everybody is an admin (logged loudly). The audit log
// goes through the unfenced store zs: a standby audits the calls it answers or refuses too.
func (d *daemon) authorizer(zs *zkstate.Store) (*authz.Authorizer, server.AuditLog, error) {
	audit := server.ZKAudit{Store: zs}
	a := &authz.Authorizer{Audit: audit, Logger: d.log.With("component", "authz")}
	if d.cfg.TLS.Insecure {
		a.Disabled = true
		d.log.Warn("INSECURE: --insecure is set: every gRPC caller is an admin named \"anonymous\"; " +
			"calls are still audited. Use client certificates or --tokens-file (docs/security.md)")
	}
	if d.cfg.TokensFile != "" {
		t, err := authz.LoadTokens(d.cfg.TokensFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--tokens-file: %w", err)
		}
		a.Tokens = t
	}
	return a, audit, nil
}
