package mesossim

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/google/uuid"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
)

type framework struct {
	id            string
	info          mesos.FrameworkInfo
	sub           *subscription
	failoverTimer *time.Timer
	suppressed    map[string]bool
	filters       map[filterKey]*filter
	offers        map[string]*offer
	tasks         map[string]*mtask
}

type subscription struct {
	stream   *eventStream
	streamID string
}

type filterKey struct{ agentID, role string }

type filter struct {
	resources mesos.Resources
	expires   time.Time
}

type offer struct {
	id, fwID, role string
	agent          *agent
	resources      mesos.Resources // internal format
}

// mtask is a task as the master knows it.
type mtask struct {
	info            mesos.TaskInfo
	agentID, execID string
	state           mesos.TaskState
	healthy         *bool // the latest status's healthy, which reconciliation answers keep
	unreachableTime *mesos.TimeInfo
}

func (fw *framework) hasCap(c mesos.FrameworkInfo_Capability_Type) bool {
	for _, x := range fw.info.Capabilities {
		if x.Type == c {
			return true
		}
	}
	return false
}

func infoHasCap(info *mesos.FrameworkInfo, c mesos.FrameworkInfo_Capability_Type) bool {
	for _, x := range info.Capabilities {
		if x.Type == c {
			return true
		}
	}
	return false
}

func (fw *framework) partitionAware() bool {
	return fw.hasCap(mesos.FrameworkInfo_Capability_PARTITION_AWARE)
}

func (fw *framework) roles() []string {
	if fw.hasCap(mesos.FrameworkInfo_Capability_MULTI_ROLE) {
		return fw.info.Roles
	}
	if r := fw.info.GetRole(); r != "" {
		return []string{r}
	}
	return []string{"*"}
}

func (fw *framework) hasRole(role string) bool {
	for _, r := range fw.roles() {
		if r == role {
			return true
		}
	}
	return false
}

func (fw *framework) send(log *slog.Logger, ev *scheduler.Event) {
	if fw.sub != nil {
		fw.sub.stream.send(log, ev)
	}
}

func (s *Sim) masterInfo() *mesos.MasterInfo {
	host := s.addr.IP.String()
	port := uint32(s.addr.Port)
	ip4 := s.addr.IP.To4()
	var ip uint32
	if ip4 != nil {
		// libprocess stores the address in network order in a uint32.
		ip = uint32(ip4[0]) | uint32(ip4[1])<<8 | uint32(ip4[2])<<16 | uint32(ip4[3])<<24
	}
	return &mesos.MasterInfo{
		ID:       s.masterID,
		IP:       ip,
		Port:     &port,
		PID:      proto.String(fmt.Sprintf("master@%s:%d", host, port)),
		Hostname: proto.String(host),
		Version:  proto.String(s.cfg.Version),
		Address:  &mesos.Address{Hostname: proto.String(host), IP: proto.String(host), Port: int32(port)},
		Capabilities: []mesos.MasterInfo_Capability{
			{Type: mesos.MasterInfo_Capability_AGENT_UPDATE},
			{Type: mesos.MasterInfo_Capability_AGENT_DRAINING},
		},
	}
}

func (s *Sim) masterMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/scheduler", s.handleScheduler)
	mux.HandleFunc("/master/state", s.handleState)
	mux.HandleFunc("/state", s.handleState)
	mux.HandleFunc("/master/state.json", s.handleState)
	mux.HandleFunc("/master/redirect", s.handleRedirect)
	mux.HandleFunc("/redirect", s.handleRedirect)
	mux.HandleFunc("/health", s.handleHealth)
	mux.HandleFunc("/master/health", s.handleHealth)
	mux.HandleFunc("/admin/", s.handleAdmin)
	return mux
}

func (s *Sim) handleHealth(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

func (s *Sim) handleRedirect(w http.ResponseWriter, _ *http.Request) {
	leader := s.addr.String()
	if s.cfg.Leader != "" {
		leader = s.cfg.Leader
	}
	w.Header().Set("Location", "//"+leader)
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// authenticate checks HTTP basic credentials when credentials are configured.
// It returns the principal ("" when authentication is off).
func (s *Sim) authenticate(r *http.Request) (string, bool) {
	if len(s.cfg.Credentials) == 0 {
		return "", true
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return "", false
	}
	for _, c := range s.cfg.Credentials {
		if c.Principal == user && c.Secret == pass {
			return user, true
		}
	}
	return "", false
}

func (s *Sim) handleScheduler(w http.ResponseWriter, r *http.Request) {
	log := s.log.With("endpoint", "/api/v1/scheduler", "remote", r.RemoteAddr)
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic handling scheduler call", "panic", p)
			httpError(log, w, http.StatusInternalServerError, fmt.Sprintf("internal error: %v", p))
		}
	}()
	principal, ok := s.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="mesos"`)
		httpError(log, w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if s.cfg.Leader != "" {
		w.Header().Set("Location", "//"+s.cfg.Leader+r.URL.Path)
		log.Info("redirecting to the leading master", "leader", s.cfg.Leader)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	s.mu.Lock()
	recovering := s.masterRecovering || time.Now().Before(s.recoveringUntil)
	s.mu.Unlock()
	if recovering {
		httpError(log, w, http.StatusServiceUnavailable, "Master has not finished recovery")
		return
	}
	var call scheduler.Call
	_, typePresent, rerr := decodeCall(r, &call, 2, "Call")
	if rerr != nil {
		httpError(log, w, rerr.code, rerr.msg)
		return
	}
	if msg := validateSchedulerCall(&call, typePresent); msg != "" {
		httpError(log, w, http.StatusBadRequest, "Failed to validate scheduler::Call: "+msg, "call", call.Type.String())
		return
	}
	if call.Type == scheduler.Call_SUBSCRIBE {
		s.subscribe(w, r, &call, principal, log)
		return
	}
	log = log.With("call", call.Type.String(), "framework_id", call.FrameworkID.GetValue())
	code, msg := func() (int, string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.dispatchLocked(&call, principal, r.Header.Get("Mesos-Stream-Id"), log)
	}()
	switch {
	case code >= 400:
		httpError(log, w, code, msg)
	default:
		w.WriteHeader(code)
	}
}

func validUUID(b []byte) bool {
	_, err := uuid.FromBytes(b)
	return err == nil
}

func validateSchedulerCall(c *scheduler.Call, typePresent bool) string {
	if !typePresent {
		return "Expecting 'type' to be present"
	}
	if c.Type == scheduler.Call_SUBSCRIBE {
		if c.Subscribe == nil {
			return "Expecting 'subscribe' to be present"
		}
		if c.Subscribe.FrameworkInfo == nil {
			return "Expecting 'framework_info' to be present"
		}
		if c.Subscribe.FrameworkInfo.ID.GetValue() != c.FrameworkID.GetValue() {
			return "'framework_id' differs from 'subscribe.framework_info.id'"
		}
		return ""
	}
	if c.FrameworkID == nil || c.FrameworkID.Value == "" {
		return "Expecting 'framework_id' to be present"
	}
	need := func(present bool, name string) string {
		if !present {
			return "Expecting '" + name + "' to be present"
		}
		return ""
	}
	switch c.Type {
	case scheduler.Call_ACCEPT:
		return need(c.Accept != nil, "accept")
	case scheduler.Call_DECLINE:
		return need(c.Decline != nil, "decline")
	case scheduler.Call_ACCEPT_INVERSE_OFFERS:
		return need(c.AcceptInverseOffers != nil, "accept_inverse_offers")
	case scheduler.Call_DECLINE_INVERSE_OFFERS:
		return need(c.DeclineInverseOffers != nil, "decline_inverse_offers")
	case scheduler.Call_KILL:
		return need(c.Kill != nil, "kill")
	case scheduler.Call_SHUTDOWN:
		return need(c.Shutdown != nil, "shutdown")
	case scheduler.Call_ACKNOWLEDGE:
		if c.Acknowledge == nil {
			return "Expecting 'acknowledge' to be present"
		}
		if !validUUID(c.Acknowledge.UUID) {
			return "Failed to parse UUID: not a 16 byte UUID"
		}
	case scheduler.Call_ACKNOWLEDGE_OPERATION_STATUS:
		if c.AcknowledgeOperationStatus == nil {
			return "Expecting 'acknowledge_operation_status' to be present"
		}
		if !validUUID(c.AcknowledgeOperationStatus.UUID) {
			return "Failed to parse UUID: not a 16 byte UUID"
		}
		if c.AcknowledgeOperationStatus.AgentID == nil {
			return "Expecting 'agent_id' to be present"
		}
	case scheduler.Call_RECONCILE:
		return need(c.Reconcile != nil, "reconcile")
	case scheduler.Call_RECONCILE_OPERATIONS:
		return need(c.ReconcileOperations != nil, "reconcile_operations")
	case scheduler.Call_MESSAGE:
		return need(c.Message != nil, "message")
	case scheduler.Call_REQUEST:
		return need(c.Request != nil, "request")
	case scheduler.Call_UPDATE_FRAMEWORK:
		if c.UpdateFramework == nil {
			return "Expecting 'update_framework' to be present"
		}
		if c.UpdateFramework.FrameworkInfo.ID.GetValue() != c.FrameworkID.GetValue() {
			return "'framework_id' differs from 'update_framework.framework_info.id'"
		}
	}
	return ""
}

// validateFrameworkInfo gives the reason a SUBSCRIBE is refused with an ERROR
// event, or "".
func validateFrameworkInfo(info *mesos.FrameworkInfo) string {
	multi := infoHasCap(info, mesos.FrameworkInfo_Capability_MULTI_ROLE)
	if multi {
		if info.Role != nil {
			return "'FrameworkInfo.role' must not be set when the framework has the MULTI_ROLE capability"
		}
		seen := map[string]bool{}
		for _, r := range info.Roles {
			if seen[r] {
				return fmt.Sprintf("'FrameworkInfo.roles' contains duplicate items: %s", r)
			}
			seen[r] = true
			if msg := validateRole(r); msg != "" {
				return msg
			}
		}
	} else {
		if len(info.Roles) > 0 {
			return "'FrameworkInfo.roles' must be empty when the framework does not have the MULTI_ROLE capability"
		}
		if info.Role != nil {
			if msg := validateRole(info.GetRole()); msg != "" {
				return msg
			}
		}
	}
	if ft := info.GetFailoverTimeout(); math.IsNaN(ft) || math.IsInf(ft, 0) || ft < 0 || ft > float64(math.MaxInt64)/1e9 {
		return fmt.Sprintf("Invalid failover_timeout: %v", ft)
	}
	if info.User == "" {
		return "'FrameworkInfo.user' must be set"
	}
	return ""
}

func validateRole(r string) string {
	switch {
	case r == "":
		return "Role name must not be empty"
	case r == "." || r == "..":
		return fmt.Sprintf("Role name '%s' is invalid", r)
	case strings.HasPrefix(r, "-"):
		return fmt.Sprintf("Role name '%s' must not start with '-'", r)
	case strings.ContainsAny(r, " \t\n\x00\\"):
		return fmt.Sprintf("Role name '%s' contains invalid characters", r)
	}
	return ""
}

func (s *Sim) subscribe(w http.ResponseWriter, r *http.Request, call *scheduler.Call, principal string, log *slog.Logger) {
	media, ok := negotiate(r.Header.Get("Accept"))
	if !ok {
		httpError(log, w, http.StatusNotAcceptable, fmt.Sprintf("Expecting 'Accept' to allow '%s' or '%s'", mediaJSON, mediaProtobuf))
		return
	}
	if r.Header.Get("Mesos-Stream-Id") != "" {
		httpError(log, w, http.StatusBadRequest, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
		return
	}
	info := *proto.Clone(call.Subscribe.FrameworkInfo).(*mesos.FrameworkInfo)
	if principal != "" && info.GetPrincipal() != principal {
		httpError(log, w, http.StatusBadRequest, fmt.Sprintf("Authenticated principal '%s' does not match principal '%s' set in `FrameworkInfo`", principal, info.GetPrincipal()))
		return
	}
	stream := newEventStream(media)
	streamID := uuid.NewString()
	fw, stop, ok := func() (*framework, chan struct{}, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return nil, nil, false
		}
		return s.subscribeLocked(&info, call.Subscribe.SuppressedRoles, stream, streamID, log), s.masterStop, true
	}()
	if !ok {
		httpError(log, w, http.StatusServiceUnavailable, "Master is shutting down")
		return
	}

	w.Header().Set("Content-Type", media)
	w.Header().Set("Mesos-Stream-Id", streamID)
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	heartbeat := func() []byte {
		s.mu.Lock()
		stopped := s.faults.heartbeatsStopped
		s.mu.Unlock()
		if stopped {
			return nil
		}
		b, _ := encode(media, &scheduler.Event{Type: scheduler.Event_HEARTBEAT})
		return b
	}
	stream.serve(w, r, stop, s.cfg.HeartbeatInterval, heartbeat)

	s.mu.Lock()
	defer s.mu.Unlock()
	if fw != nil && fw.sub != nil && fw.sub.stream == stream && s.frameworks[fw.id] == fw {
		s.disconnectLocked(fw, log)
	}
}

func errorEvent(msg string) *scheduler.Event {
	return &scheduler.Event{Type: scheduler.Event_ERROR, Error: &scheduler.Event_Error{Message: msg}}
}

// subscribeLocked registers or fails over a framework. On refusal it writes
// an ERROR event, closes the stream and returns nil.
func (s *Sim) subscribeLocked(info *mesos.FrameworkInfo, suppressed []string, stream *eventStream, streamID string, log *slog.Logger) *framework {
	refuse := func(msg string) *framework {
		log.Warn("refusing subscription", "reason", msg, "framework_id", info.ID.GetValue(), "name", info.Name)
		stream.send(log, errorEvent(msg))
		stream.close()
		return nil
	}
	if msg := validateFrameworkInfo(info); msg != "" {
		return refuse(msg)
	}
	var fw *framework
	if info.ID != nil && info.ID.Value != "" {
		id := info.ID.Value
		if s.removedFrameworks[id] {
			return refuse("Framework has been removed")
		}
		fw = s.frameworks[id]
		if fw != nil {
			if fw.info.GetPrincipal() != info.GetPrincipal() {
				return refuse(fmt.Sprintf("Changing framework's principal is not allowed (from '%s' to '%s')", fw.info.GetPrincipal(), info.GetPrincipal()))
			}
			// user and checkpoint cannot change; the change is ignored.
			info.User = fw.info.User
			info.Checkpoint = fw.info.Checkpoint
			if fw.sub != nil {
				log.Info("framework failed over", "framework_id", id)
				fw.sub.stream.send(log, errorEvent("Framework failed over"))
				fw.sub.stream.close()
				fw.sub = nil
			}
			if fw.failoverTimer != nil {
				fw.failoverTimer.Stop()
				fw.failoverTimer = nil
			}
			// Offers of the old subscription are discarded without RESCIND.
			s.removeOffersLocked(fw, false)
			fw.info = *info
		} else {
			log.Info("re-creating framework unknown to this master", "framework_id", id)
		}
	} else {
		id := fmt.Sprintf("%s-%04d", s.masterID, s.fwCounter)
		s.fwCounter++
		info.ID = &mesos.FrameworkID{Value: id}
	}
	if fw == nil {
		fw = &framework{
			id:      info.ID.Value,
			info:    *info,
			filters: map[filterKey]*filter{},
			offers:  map[string]*offer{},
			tasks:   map[string]*mtask{},
		}
		s.frameworks[fw.id] = fw
		// A framework the master did not know may have tasks on agents
		// (master failover): the agents report them.
		s.recoverFrameworkTasksLocked(fw)
	}
	fw.suppressed = map[string]bool{}
	for _, r := range suppressed {
		fw.suppressed[r] = true
	}
	fw.sub = &subscription{stream: stream, streamID: streamID}
	hb := s.cfg.HeartbeatInterval.Seconds()
	stream.send(log, &scheduler.Event{Type: scheduler.Event_SUBSCRIBED, Subscribed: &scheduler.Event_Subscribed{
		FrameworkID:              &mesos.FrameworkID{Value: fw.id},
		HeartbeatIntervalSeconds: &hb,
		MasterInfo:               s.masterInfo(),
	}})
	stream.send(log, &scheduler.Event{Type: scheduler.Event_HEARTBEAT})
	log.Info("framework subscribed", "framework_id", fw.id, "name", fw.info.Name, "roles", fw.roles(), "stream_id", streamID)
	for _, a := range s.agents {
		if af := a.frameworks[fw.id]; af != nil {
			af.info = fw.info
		}
		if s.linkOK(a) {
			a.resumeUpdates(fw.id)
		}
	}
	s.allocateLocked()
	return fw
}

// recoverFrameworkTasksLocked adds the tasks agents run for fw to the
// master's view.
func (s *Sim) recoverFrameworkTasksLocked(fw *framework) {
	for _, a := range s.agents {
		if a.mstate != agentRegistered {
			continue
		}
		for key, t := range a.tasks {
			if key.fwID == fw.id && !isTerminal(t.state) {
				fw.tasks[key.taskID] = &mtask{info: t.info, agentID: a.id, execID: t.execID, state: t.state, healthy: t.healthy}
			}
		}
	}
}

func (s *Sim) disconnectLocked(fw *framework, log *slog.Logger) {
	fw.sub = nil
	s.removeOffersLocked(fw, false)
	// The allocator deactivates the framework and clears its offer filters
	// (HierarchicalAllocatorProcess::deactivateFramework): a framework that fails over is
	// offered everything again, whatever its previous instance declined.
	fw.filters = map[filterKey]*filter{}
	timeout := time.Duration(fw.info.GetFailoverTimeout() * float64(time.Second))
	log.Info("framework disconnected", "framework_id", fw.id, "failover_timeout", timeout)
	if timeout <= 0 {
		s.removeFrameworkLocked(fw, "failover timeout 0 expired")
		return
	}
	gen := s.masterGen
	fw.failoverTimer = time.AfterFunc(timeout, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || gen != s.masterGen || s.frameworks[fw.id] != fw || fw.sub != nil {
			return
		}
		s.removeFrameworkLocked(fw, "failover timeout expired")
	})
}

// removeFrameworkLocked tears a framework down: its executors are shut down,
// its tasks killed, its stream closed; its ID can never subscribe again.
func (s *Sim) removeFrameworkLocked(fw *framework, why string) {
	s.log.Info("removing framework", "framework_id", fw.id, "reason", why)
	if fw.sub != nil {
		fw.sub.stream.close()
		fw.sub = nil
	}
	if fw.failoverTimer != nil {
		fw.failoverTimer.Stop()
	}
	s.removeOffersLocked(fw, false)
	for _, a := range s.agents {
		if s.linkOK(a) || a.down {
			a.shutdownFramework(fw.id)
		}
	}
	delete(s.frameworks, fw.id)
	s.removedFrameworks[fw.id] = true
}

// removeOffersLocked drops a framework's offers, with RESCIND events if
// rescind is set.
func (s *Sim) removeOffersLocked(fw *framework, rescind bool) {
	for id := range fw.offers {
		s.removeOfferLocked(id, rescind)
	}
}

func (s *Sim) removeOfferLocked(id string, rescind bool) {
	o := s.offers[id]
	if o == nil {
		return
	}
	delete(s.offers, id)
	fw := s.frameworks[o.fwID]
	if fw == nil {
		return
	}
	delete(fw.offers, id)
	if rescind {
		fw.send(s.log, &scheduler.Event{Type: scheduler.Event_RESCIND, Rescind: &scheduler.Event_Rescind{OfferID: mesos.OfferID{Value: id}}})
	}
}

func (s *Sim) dispatchLocked(call *scheduler.Call, principal, streamID string, log *slog.Logger) (int, string) {
	fw := s.frameworks[call.FrameworkID.Value]
	if fw == nil {
		return http.StatusBadRequest, "Framework cannot be found"
	}
	if principal != "" && fw.info.GetPrincipal() != principal {
		return http.StatusBadRequest, fmt.Sprintf("Authenticated principal '%s' does not match principal '%s' set in `FrameworkInfo`", principal, fw.info.GetPrincipal())
	}
	if fw.sub == nil {
		return http.StatusForbidden, "Framework is not subscribed"
	}
	if streamID == "" {
		return http.StatusBadRequest, "All non-subscribe calls should include the 'Mesos-Stream-Id' header"
	}
	if streamID != fw.sub.streamID {
		return http.StatusBadRequest, fmt.Sprintf("The stream ID '%s' included in this request didn't match the stream ID currently associated with framework ID %s", streamID, fw.id)
	}
	switch call.Type {
	case scheduler.Call_TEARDOWN:
		s.removeFrameworkLocked(fw, "TEARDOWN")
	case scheduler.Call_ACCEPT:
		s.acceptLocked(fw, call.Accept.OfferIDs, call.Accept.Operations, call.Accept.Filters, log)
	case scheduler.Call_DECLINE:
		s.declineLocked(fw, call.Decline.OfferIDs, call.Decline.Filters, log)
	case scheduler.Call_ACCEPT_INVERSE_OFFERS, scheduler.Call_DECLINE_INVERSE_OFFERS, scheduler.Call_REQUEST,
		scheduler.Call_ACKNOWLEDGE_OPERATION_STATUS, scheduler.Call_RECONCILE_OPERATIONS:
		// No inverse offers or resource providers here; nothing to do.
	case scheduler.Call_REVIVE:
		roles := call.Revive.GetRoles()
		for _, r := range roles {
			if !fw.hasRole(r) {
				return http.StatusBadRequest, fmt.Sprintf("REVIVE call includes role '%s' which is not one of the framework's roles", r)
			}
		}
		if len(roles) == 0 {
			roles = fw.roles()
		}
		for _, r := range roles {
			delete(fw.suppressed, r)
			for k := range fw.filters {
				if k.role == r {
					delete(fw.filters, k)
				}
			}
		}
		s.allocateLocked()
	case scheduler.Call_SUPPRESS:
		roles := call.Suppress.GetRoles()
		for _, r := range roles {
			if !fw.hasRole(r) {
				return http.StatusBadRequest, fmt.Sprintf("SUPPRESS call includes role '%s' which is not one of the framework's roles", r)
			}
		}
		if len(roles) == 0 {
			roles = fw.roles()
		}
		for _, r := range roles {
			fw.suppressed[r] = true
		}
	case scheduler.Call_KILL:
		s.killLocked(fw, call.Kill, log)
	case scheduler.Call_SHUTDOWN:
		a := s.agentByIDLocked(call.Shutdown.AgentID.Value)
		if a == nil || !s.linkOK(a) {
			log.Warn("dropping SHUTDOWN for an unknown or unreachable agent", "agent_id", call.Shutdown.AgentID.Value)
			break
		}
		a.shutdownExecutorByID(fw.id, call.Shutdown.ExecutorID.Value)
	case scheduler.Call_ACKNOWLEDGE:
		s.acknowledgeLocked(fw, call.Acknowledge, log)
	case scheduler.Call_RECONCILE:
		s.reconcileLocked(fw, call.Reconcile.Tasks)
	case scheduler.Call_MESSAGE:
		a := s.agentByIDLocked(call.Message.AgentID.Value)
		if a == nil || !s.linkOK(a) {
			log.Warn("dropping MESSAGE for an unknown or unreachable agent", "agent_id", call.Message.AgentID.Value)
			break
		}
		a.deliverMessage(fw.id, call.Message.ExecutorID.Value, call.Message.Data)
	case scheduler.Call_UPDATE_FRAMEWORK:
		info := call.UpdateFramework.FrameworkInfo
		if msg := validateFrameworkInfo(&info); msg != "" {
			return http.StatusBadRequest, msg
		}
		if info.GetPrincipal() != fw.info.GetPrincipal() {
			return http.StatusBadRequest, "Updating 'FrameworkInfo.principal' is unsupported"
		}
		if info.User != fw.info.User {
			return http.StatusBadRequest, "Updating 'FrameworkInfo.user' is unsupported"
		}
		if info.GetCheckpoint() != fw.info.GetCheckpoint() {
			return http.StatusBadRequest, "Updating 'FrameworkInfo.checkpoint' is unsupported"
		}
		fw.info = info
		fw.suppressed = map[string]bool{}
		for _, r := range call.UpdateFramework.SuppressedRoles {
			fw.suppressed[r] = true
		}
		for _, o := range fw.offers {
			if !fw.hasRole(o.role) {
				s.removeOfferLocked(o.id, true)
			}
		}
		return http.StatusOK, ""
	default:
		return http.StatusNotImplemented, fmt.Sprintf("Received unexpected '%s' call", call.Type)
	}
	return http.StatusAccepted, ""
}

func (s *Sim) agentByIDLocked(id string) *agent {
	for _, a := range s.agents {
		if a.id == id {
			return a
		}
	}
	return nil
}

// masterStatus builds a status update generated by the master: no uuid.
func masterStatus(taskID, agentID string, state mesos.TaskState, reason mesos.TaskStatus_Reason, msg string) mesos.TaskStatus {
	st := mesos.TaskStatus{
		TaskID:    mesos.TaskID{Value: taskID},
		State:     state.Enum(),
		Source:    mesos.SOURCE_MASTER.Enum(),
		Reason:    reason.Enum(),
		Message:   proto.String(msg),
		Timestamp: proto.Float64(nowSeconds()),
	}
	if agentID != "" {
		st.AgentID = &mesos.AgentID{Value: agentID}
	}
	return st
}

func nowSeconds() float64 { return float64(time.Now().UnixNano()) / 1e9 }

func updateEvent(st mesos.TaskStatus) *scheduler.Event {
	return &scheduler.Event{Type: scheduler.Event_UPDATE, Update: &scheduler.Event_Update{Status: st}}
}

func (s *Sim) killLocked(fw *framework, k *scheduler.Call_Kill, log *slog.Logger) {
	mt := fw.tasks[k.TaskID.Value]
	if mt == nil {
		log.Info("KILL for a task unknown to the master; reconciling it", "task_id", k.TaskID.Value)
		s.reconcileLocked(fw, []scheduler.Call_Reconcile_Task{{TaskID: k.TaskID, AgentID: k.AgentID}})
		return
	}
	a := s.agentByIDLocked(mt.agentID)
	if a == nil || !s.linkOK(a) {
		log.Warn("cannot forward KILL: agent unreachable", "task_id", k.TaskID.Value, "agent_id", mt.agentID)
		return
	}
	a.killTask(fw.id, k.TaskID.Value, k.KillPolicy)
}

func (s *Sim) acknowledgeLocked(fw *framework, ack *scheduler.Call_Acknowledge, log *slog.Logger) {
	a := s.agentByIDLocked(ack.AgentID.Value)
	if a == nil || !s.linkOK(a) {
		log.Warn("dropping ACKNOWLEDGE for an unknown or unreachable agent", "agent_id", ack.AgentID.Value, "task_id", ack.TaskID.Value)
		return
	}
	s.acks[string(ack.UUID)]++
	terminal, ok := a.acknowledge(fw.id, ack.TaskID.Value, ack.UUID)
	if ok && terminal {
		if mt := fw.tasks[ack.TaskID.Value]; mt != nil && mt.agentID == a.id {
			delete(fw.tasks, ack.TaskID.Value)
		}
	}
}

func (s *Sim) reconcileLocked(fw *framework, tasks []scheduler.Call_Reconcile_Task) {
	pa := fw.partitionAware()
	visible := func(st mesos.TaskState) mesos.TaskState {
		if !pa {
			switch st {
			case mesos.TASK_UNREACHABLE, mesos.TASK_GONE, mesos.TASK_GONE_BY_OPERATOR, mesos.TASK_UNKNOWN, mesos.TASK_DROPPED:
				return mesos.TASK_LOST
			}
		}
		return st
	}
	// A real master answers from its own copy of the task: the state, healthy and the
	// timestamps, but none of the executor's labels, data or message.
	report := func(mt *mtask) {
		st := masterStatus(mt.info.TaskID.Value, mt.agentID, visible(mt.state), mesos.REASON_RECONCILIATION, "Reconciliation: Latest task state")
		st.Healthy = mt.healthy
		if mt.execID != "" {
			st.ExecutorID = &mesos.ExecutorID{Value: mt.execID}
		}
		st.UnreachableTime = mt.unreachableTime
		fw.send(s.log, updateEvent(st))
	}
	if len(tasks) == 0 {
		ids := make([]string, 0, len(fw.tasks))
		for id := range fw.tasks {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			report(fw.tasks[id])
		}
		return
	}
	for _, t := range tasks {
		if mt := fw.tasks[t.TaskID.Value]; mt != nil {
			report(mt)
			continue
		}
		agentID := t.AgentID.GetValue()
		state, msg := mesos.TASK_UNKNOWN, "Reconciliation: Task is unknown"
		var unreachable *mesos.TimeInfo
		if agentID != "" {
			a := s.agentByIDLocked(agentID)
			switch {
			case a == nil:
				state, msg = mesos.TASK_UNKNOWN, "Reconciliation: Task is unknown"
			case a.mstate == agentRecovering:
				// Forgotten in a failover until it re-registers.
				state, msg = mesos.TASK_UNKNOWN, "Reconciliation: Task is unknown"
			case a.mstate == agentRegistered:
				state, msg = mesos.TASK_GONE, "Reconciliation: Task is unknown to the agent"
			case a.mstate == agentUnreachable:
				state, msg = mesos.TASK_UNREACHABLE, "Reconciliation: Task is unreachable"
				unreachable = &mesos.TimeInfo{Nanoseconds: a.unreachableAt.UnixNano()}
			case a.mstate == agentGone:
				state, msg = mesos.TASK_GONE_BY_OPERATOR, "Reconciliation: Task is gone"
			}
		}
		st := masterStatus(t.TaskID.Value, agentID, visible(state), mesos.REASON_RECONCILIATION, msg)
		st.UnreachableTime = unreachable
		fw.send(s.log, updateEvent(st))
	}
}

// receiveUpdateLocked is the master receiving a status update from an agent.
func (s *Sim) receiveUpdateLocked(a *agent, fwID string, st mesos.TaskStatus) {
	fw := s.frameworks[fwID]
	if fw == nil {
		s.log.Warn("dropping status update for an unknown framework", "framework_id", fwID, "task_id", st.TaskID.Value)
		return
	}
	if mt := fw.tasks[st.TaskID.Value]; mt != nil {
		mt.state = st.GetState()
		mt.healthy = st.Healthy
		mt.unreachableTime = nil
	} else if !isTerminal(st.GetState()) {
		t := a.tasks[taskKey{fwID, st.TaskID.Value}]
		if t != nil {
			fw.tasks[st.TaskID.Value] = &mtask{info: t.info, agentID: a.id, execID: t.execID, state: st.GetState(), healthy: st.Healthy}
		}
	}
	if fw.sub == nil {
		s.log.Debug("framework not connected; status update dropped until the agent retries", "framework_id", fwID, "task_id", st.TaskID.Value)
		return
	}
	s.log.Debug("forwarding status update", "framework_id", fwID, "task_id", st.TaskID.Value, "state", st.GetState().String(), "uuid", base64.StdEncoding.EncodeToString(st.UUID))
	fw.send(s.log, updateEvent(st))
}

// sendFailureLocked tells a framework an executor exited (or, with no
// executor, that an agent was lost).
func (s *Sim) sendFailureLocked(fw *framework, agentID string, execID string, status *int32) {
	f := &scheduler.Event_Failure{AgentID: &mesos.AgentID{Value: agentID}, Status: status}
	if execID != "" {
		f.ExecutorID = &mesos.ExecutorID{Value: execID}
	}
	fw.send(s.log, &scheduler.Event{Type: scheduler.Event_FAILURE, Failure: f})
}

func isTerminal(st mesos.TaskState) bool {
	switch st {
	case mesos.TASK_FINISHED, mesos.TASK_FAILED, mesos.TASK_KILLED, mesos.TASK_ERROR, mesos.TASK_LOST,
		mesos.TASK_DROPPED, mesos.TASK_GONE, mesos.TASK_GONE_BY_OPERATOR:
		return true
	}
	return false
}

func (s *Sim) sortedFrameworks() []*framework {
	out := make([]*framework, 0, len(s.frameworks))
	for _, fw := range s.frameworks {
		out = append(out, fw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}
