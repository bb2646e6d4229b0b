package daemon

import (
	"fmt"

	"github.com/cassmesos/cassmesos/daemon/authz"
	"github.com/cassmesos/cassmesos/daemon/server"
	"github.com/cassmesos/cassmesos/zkstate"
)

// authorizer builds the gRPC API's authorisation: callers identified by client certificate or by
// a token of --tokens-file; with --insecure everybody is an admin (logged loudly). It runs before
// anything is opened, so a bad tokens file stops the daemon at once; the audit log is attached
// later (withAudit).
func (d *daemon) authorizer() (*authz.Authorizer, error) {
	a := &authz.Authorizer{Logger: d.log.With("component", "authz")}
	if d.cfg.TLS.Insecure {
		a.Disabled = true
		d.log.Warn("INSECURE: --insecure is set: every gRPC caller is an admin named \"anonymous\"; " +
			"calls are still audited. Use client certificates or --tokens-file (docs/security.md)")
	}
	if d.cfg.TokensFile != "" {
		t, err := authz.LoadTokens(d.cfg.TokensFile)
		if err != nil {
			return nil, fmt.Errorf("--tokens-file: %w", err)
		}
		a.Tokens = t
		d.log.Info("bearer tokens accepted", "tokens_file", d.cfg.TokensFile)
	}
	return a, nil
}

// withAudit makes a write the audit log through the unfenced store zs: a standby audits the calls
// it answers or refuses too.
func withAudit(a *authz.Authorizer, zs *zkstate.Store) server.AuditLog {
	audit := server.ZKAudit{Store: zs}
	a.Audit = audit
	return audit
}
