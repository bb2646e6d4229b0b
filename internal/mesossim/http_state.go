package mesossim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// resourcesJSON renders resources the way /master/state does: scalars as
// numbers, ranges as "[a-b, c-d]", sets as "{a, b}".
func resourcesJSON(rs mesos.Resources) map[string]any {
	out := map[string]any{"cpus": 0.0, "mem": 0.0, "disk": 0.0, "gpus": 0.0}
	for _, r := range rs {
		switch r.GetType() {
		case mesos.SCALAR:
			v, _ := out[r.Name].(float64)
			out[r.Name] = v + r.GetScalar().GetValue()
		case mesos.RANGES:
			s, _ := out[r.Name].(string)
			var parts []string
			for _, rg := range r.GetRanges().GetRange() {
				parts = append(parts, fmt.Sprintf("%d-%d", rg.Begin, rg.End))
			}
			str := "[" + strings.Join(parts, ", ") + "]"
			if s != "" {
				str = s[:len(s)-1] + ", " + str[1:]
			}
			out[r.Name] = str
		case mesos.SET:
			out[r.Name] = fmt.Sprint(r.GetSet().GetItem())
		}
	}
	return out
}

func attributesJSON(as []mesos.Attribute) map[string]any {
	out := map[string]any{}
	for _, a := range as {
		switch a.Type {
		case mesos.SCALAR:
			out[a.Name] = a.GetScalar().GetValue()
		case mesos.TEXT:
			out[a.Name] = a.GetText().GetValue()
		default:
			out[a.Name] = a.String()
		}
	}
	return out
}

func (s *Sim) handleState(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		httpError(s.log, w, http.StatusMethodNotAllowed, "Expecting a 'GET' request")
		return
	}
	s.mu.Lock()
	pid := fmt.Sprintf("master@%s", s.addr)
	state := map[string]any{
		"version":  s.cfg.Version,
		"id":       s.masterID,
		"pid":      pid,
		"hostname": s.addr.IP.String(),
		"leader":   pid,
	}
	if s.cfg.Leader != "" {
		state["leader"] = "master@" + s.cfg.Leader
	}
	var fws []map[string]any
	for _, fw := range s.sortedFrameworks() {
		var tasks, unreachable []map[string]any
		for _, mt := range sortedTasks(fw) {
			t := map[string]any{
				"id": mt.info.TaskID.Value, "name": mt.info.Name, "framework_id": fw.id,
				"executor_id": mt.execID, "slave_id": mt.agentID, "agent_id": mt.agentID,
				"state": mt.state.String(), "resources": resourcesJSON(mt.info.Resources),
			}
			if mt.state == mesos.TASK_UNREACHABLE {
				unreachable = append(unreachable, t)
			} else {
				tasks = append(tasks, t)
			}
		}
		var offers []map[string]any
		for _, id := range sortedOfferIDs(fw) {
			o := fw.offers[id]
			offers = append(offers, map[string]any{"id": o.id, "framework_id": fw.id, "slave_id": o.agent.id, "agent_id": o.agent.id, "role": o.role, "resources": resourcesJSON(o.resources)})
		}
		var caps []string
		for _, c := range fw.info.Capabilities {
			caps = append(caps, c.Type.String())
		}
		fws = append(fws, map[string]any{
			"id": fw.id, "name": fw.info.Name, "user": fw.info.User, "principal": fw.info.GetPrincipal(),
			"role": fw.info.GetRole(), "roles": fw.roles(), "active": fw.sub != nil, "connected": fw.sub != nil,
			"failover_timeout": fw.info.GetFailoverTimeout(), "checkpoint": fw.info.GetCheckpoint(),
			"capabilities": caps, "tasks": nonNil(tasks), "unreachable_tasks": nonNil(unreachable), "offers": nonNil(offers),
		})
	}
	state["frameworks"] = nonNil(fws)
	var completed []map[string]any
	for _, id := range sortedKeysBool(s.removedFrameworks) {
		completed = append(completed, map[string]any{"id": id})
	}
	state["completed_frameworks"] = nonNil(completed)
	var slaves, unreachableSlaves []map[string]any
	active := 0
	for _, a := range s.agents {
		if a.mstate == agentUnreachable {
			unreachableSlaves = append(unreachableSlaves, map[string]any{"id": a.id, "timestamp": map[string]any{"nanoseconds": a.unreachableAt.UnixNano()}})
			continue
		}
		if a.mstate == agentGone {
			continue
		}
		if !a.down {
			active++
		}
		reserved := map[string]any{}
		byRole := map[string]mesos.Resources{}
		var unreserved mesos.Resources
		for _, r := range a.total {
			if r.IsReserved("") {
				byRole[r.ReservationRole()] = append(byRole[r.ReservationRole()], r)
			} else {
				unreserved = append(unreserved, r)
			}
		}
		for role, rs := range byRole {
			reserved[role] = resourcesJSON(rs)
		}
		slaves = append(slaves, map[string]any{
			"id": a.id, "pid": "slave(1)@" + a.endpoint(), "hostname": a.hostname, "port": a.port,
			"resources": resourcesJSON(a.total), "used_resources": resourcesJSON(a.used()),
			"offered_resources": resourcesJSON(s.offeredOn(a)), "reserved_resources": reserved,
			"unreserved_resources": resourcesJSON(unreserved), "attributes": attributesJSON(a.attributes),
			"active": !a.down, "version": s.cfg.Version,
		})
		if a.domain != nil && a.domain.FaultDomain != nil {
			slaves[len(slaves)-1]["domain"] = map[string]any{"fault_domain": map[string]any{
				"region": map[string]any{"name": a.domain.FaultDomain.Region.Name},
				"zone":   map[string]any{"name": a.domain.FaultDomain.Zone.Name}}}
		}
	}
	state["slaves"] = nonNil(slaves)
	state["unreachable_slaves"] = nonNil(unreachableSlaves)
	state["activated_slaves"] = active
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(state)
}

func nonNil(m []map[string]any) []map[string]any {
	if m == nil {
		return []map[string]any{}
	}
	return m
}

func sortedOfferIDs(fw *framework) []string {
	out := make([]string, 0, len(fw.offers))
	for id := range fw.offers {
		out = append(out, id)
	}
	sortStrings(out)
	return out
}

func sortedKeysBool(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func sortStrings(ss []string) {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && ss[j] < ss[j-1]; j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}

// handleAdmin exposes the fault methods to scripts:
//
//	GET  /admin/state
//	POST /admin/agents/{id}/kill | partition | heal
//	POST /admin/agents/{id}/restart?down=1s          (executors kept; recovery)
//	POST /admin/master/restart
//	POST /admin/frameworks/{framework}/executors/{executor}/kill
//	POST /admin/status-updates/delay?duration=2s     (0 turns it off)
//	POST /admin/status-updates/drop?on=true|false
//	POST /admin/status-updates/duplicate?on=true|false
//	POST /admin/heartbeats/stop?on=true|false
func (s *Sim) handleAdmin(w http.ResponseWriter, r *http.Request) {
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }
	fail := func(w http.ResponseWriter, err error) {
		code := http.StatusBadRequest
		if errors.Is(err, ErrUnknownAgent) || errors.Is(err, ErrUnknownExecutor) {
			code = http.StatusNotFound
		}
		httpError(s.log, w, code, err.Error(), "endpoint", r.URL.Path)
	}
	boolParam := func(r *http.Request) (bool, error) {
		v := r.URL.Query().Get("on")
		if v == "" {
			return true, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("query parameter 'on': %q is not a boolean", v)
		}
		return b, nil
	}
	mux.HandleFunc("GET /admin/state", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.State())
	})
	mux.HandleFunc("POST /admin/agents/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		var err error
		switch r.PathValue("action") {
		case "kill":
			err = s.KillAgent(id)
		case "partition":
			err = s.PartitionAgent(id)
		case "heal":
			err = s.HealAgent(id)
		case "restart":
			down := time.Duration(0)
			if q := r.URL.Query().Get("down"); q != "" {
				d, perr := time.ParseDuration(q)
				if perr != nil || d < 0 {
					http.Error(w, fmt.Sprintf("query parameter 'down': want a non-negative Go duration such as 1s, got %q", q), http.StatusBadRequest)
					return
				}
				down = d
			}
			err = s.RestartAgent(id, down)
		default:
			err = fmt.Errorf("unknown agent action %q (want kill, partition, heal or restart)", r.PathValue("action"))
		}
		if err != nil {
			fail(w, err)
			return
		}
		ok(w)
	})
	mux.HandleFunc("POST /admin/master/restart", func(w http.ResponseWriter, _ *http.Request) {
		s.RestartMaster()
		ok(w)
	})
	mux.HandleFunc("POST /admin/frameworks/{fw}/executors/{ex}/kill", func(w http.ResponseWriter, r *http.Request) {
		if err := s.KillExecutor(r.PathValue("fw"), r.PathValue("ex")); err != nil {
			fail(w, err)
			return
		}
		ok(w)
	})
	mux.HandleFunc("POST /admin/status-updates/delay", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("duration"))
		if err != nil || d < 0 {
			fail(w, fmt.Errorf("query parameter 'duration': want a non-negative Go duration such as 2s, got %q", r.URL.Query().Get("duration")))
			return
		}
		s.DelayStatusUpdates(d)
		ok(w)
	})
	mux.HandleFunc("POST /admin/status-updates/drop", func(w http.ResponseWriter, r *http.Request) {
		on, err := boolParam(r)
		if err != nil {
			fail(w, err)
			return
		}
		s.DropStatusUpdates(on)
		ok(w)
	})
	mux.HandleFunc("POST /admin/status-updates/duplicate", func(w http.ResponseWriter, r *http.Request) {
		on, err := boolParam(r)
		if err != nil {
			fail(w, err)
			return
		}
		s.DuplicateStatusUpdates(on)
		ok(w)
	})
	mux.HandleFunc("POST /admin/heartbeats/stop", func(w http.ResponseWriter, r *http.Request) {
		on, err := boolParam(r)
		if err != nil {
			fail(w, err)
			return
		}
		s.StopHeartbeats(on)
		ok(w)
	})
	mux.ServeHTTP(w, r)
}
