package daemon

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

// healthz serves GET /healthz on the metrics listener: 200 while the process runs and serves,
// with its role as the body ("leader", "standby; leader at host:port", or "starting" before it
// has joined the election). Both instances of a leader/standby pair are healthy: the check is
// for liveness, as Marathon's and systemd's restart policies want it.
type healthz struct {
	role atomic.Pointer[func() string]
}

func (h *healthz) setRole(f func() string) { h.role.Store(&f) }

func (h *healthz) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	role := "starting"
	if f := h.role.Load(); f != nil {
		role = (*f)()
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, role)
}

// leaderRole is the health endpoint's body for a daemon that leads or not.
func leaderRole(leading bool, leaderAddr string) string {
	switch {
	case leading:
		return "leader"
	case leaderAddr != "":
		return "standby; leader at " + leaderAddr
	default:
		return "standby"
	}
}
