package mesossim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/google/uuid"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
)

type agentState int

const (
	agentRegistered agentState = iota
	agentUnreachable
	agentGone
	// agentRecovering: known from the registry after a master failover, not re-registered yet.
	agentRecovering
)

type agent struct {
	s          *Sim
	index      int
	id         string
	hostname   string
	port       int
	dir        string
	configured mesos.Resources
	attributes []mesos.Attribute
	domain     *mesos.DomainInfo
	total      mesos.Resources // checkpointed: with reservations and volumes

	// master's view
	mstate           agentState
	unreachableAt    time.Time
	unreachableTimer *time.Timer
	goneTimer        *time.Timer
	reregisterAt     time.Time // agentRecovering: when it re-registers (if reachable)

	// faults
	down, partitioned bool
	restarting        bool      // RestartAgent: down, executors kept, recovering afterwards
	recoveredAt       time.Time // when the agent last came back from RestartAgent
	recoveries        int       // how many times it did

	srv *http.Server
	ln  net.Listener

	frameworks map[string]*agentFramework
	tasks      map[taskKey]*atask
	streams    map[taskKey]*updateStream
	containers int
	fetchCache *fetchCache // the fetcher cache (<agent dir>/fetch)
}

type taskKey struct{ fwID, taskID string }

type agentFramework struct {
	info      mesos.FrameworkInfo
	executors map[string]*executorProc
	removed   bool
}

func (af *agentFramework) sortedExecutors() []*executorProc {
	out := make([]*executorProc, 0, len(af.executors))
	for _, ex := range af.executors {
		out = append(out, ex)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].info.ExecutorID.Value < out[j].info.ExecutorID.Value })
	return out
}

// atask is a task as the agent knows it.
type atask struct {
	fwID, execID string
	info         mesos.TaskInfo
	state        mesos.TaskState
	queued       bool // not yet handed to the executor
	healthy      *bool
	group        bool
}

// updateStream is the status-update stream of one task: only its head is
// forwarded (and retried) until the scheduler acknowledges it.
type updateStream struct {
	key     taskKey
	pending []mesos.TaskStatus
	seen    map[string]bool
	timer   *time.Timer
	backoff time.Duration
}

func (s *Sim) newAgent(i int, ac AgentConfig) (*agent, error) {
	host := ac.Hostname
	if host == "" {
		host = fmt.Sprintf("127.0.0.%d", i+2)
	}
	resText := ac.Resources
	if resText == "" {
		resText = DefaultAgentResources
	}
	res, err := parseResources(resText)
	if err != nil {
		return nil, fmt.Errorf("mesossim: agent %d resources: %w", i, err)
	}
	attrText := ac.Attributes
	if attrText == "" {
		attrText = fmt.Sprintf("rack:r%d;zone:z1", i%3+1)
	}
	attrs, err := parseAttributes(attrText)
	if err != nil {
		return nil, fmt.Errorf("mesossim: agent %d attributes: %w", i, err)
	}
	domain, err := parseDomain(ac.Domain)
	if err != nil {
		return nil, fmt.Errorf("mesossim: agent %d: %w", i, err)
	}
	if domain != nil && s.domain == nil {
		return nil, fmt.Errorf("mesossim: agent %d has domain %s but the master has none (Mesos refuses such an agent)", i, ac.Domain)
	}
	s.agentCounter++
	a := &agent{
		s: s, index: i, hostname: host, port: ac.Port,
		id:         fmt.Sprintf("%s-S%d", s.masterID, s.agentCounter),
		dir:        filepath.Join(s.cfg.WorkDir, host),
		configured: res, total: res.Clone(), attributes: attrs, domain: domain,
		frameworks: map[string]*agentFramework{},
		tasks:      map[taskKey]*atask{},
		streams:    map[taskKey]*updateStream{},
		fetchCache: newFetchCache(filepath.Join(s.cfg.WorkDir, host, "fetch")),
	}
	if s.cfg.FetcherCacheDir != "" {
		a.fetchCache = s.sharedFetchCache()
	}
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return nil, fmt.Errorf("mesossim: agent dir: %w", err)
	}
	if err := a.startServer(); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *agent) endpoint() string { return net.JoinHostPort(a.hostname, strconv.Itoa(a.port)) }

func (a *agent) stateString() string {
	switch {
	case a.down:
		return "down"
	case a.mstate == agentUnreachable:
		return "unreachable"
	case a.mstate == agentGone:
		return "gone"
	case a.mstate == agentRecovering:
		return "recovering"
	case a.partitioned:
		return "partitioned"
	}
	return "registered"
}

func (a *agent) startServer() error {
	ln, err := net.Listen("tcp", net.JoinHostPort(a.hostname, strconv.Itoa(a.port)))
	if err != nil {
		return fmt.Errorf("mesossim: agent %s listen: %w (each agent needs its own loopback address)", a.hostname, err)
	}
	a.ln = ln
	a.port = ln.Addr().(*net.TCPAddr).Port
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/executor", a.handleExecutor)
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	srv := a.srv
	a.s.wg.Add(1)
	go func() {
		defer a.s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.s.log.Error("agent server stopped", "agent", a.hostname, "err", err)
		}
	}()
	return nil
}

func (a *agent) stopServer() {
	if a.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = a.srv.Shutdown(ctx)
		cancel()
		_ = a.srv.Close()
	}
}

// stopServerAsync closes the listener and every connection now (streams
// included) without waiting; the caller holds the lock.
func (a *agent) stopServerAsync() {
	if a.srv != nil {
		_ = a.srv.Close()
		a.srv = nil
	}
	for _, ex := range a.allExecutors() {
		if ex.stream != nil {
			ex.stream.close()
			ex.stream = nil
		}
	}
}

func (a *agent) stopTimers() {
	if a.unreachableTimer != nil {
		a.unreachableTimer.Stop()
	}
	if a.goneTimer != nil {
		a.goneTimer.Stop()
	}
	for _, st := range a.streams {
		if st.timer != nil {
			st.timer.Stop()
		}
	}
	for _, ex := range a.allExecutors() {
		ex.stopTimers()
	}
}

// reset is the agent told by the master to shut down: everything it runs is
// killed and it starts afresh (persistent volume directories stay on disk).
func (a *agent) reset() {
	for _, ex := range a.allExecutors() {
		ex.state = execTerminated
		ex.killGroup()
		ex.stopTimers()
		if ex.stream != nil {
			ex.stream.close()
		}
	}
	for _, st := range a.streams {
		if st.timer != nil {
			st.timer.Stop()
		}
	}
	a.frameworks = map[string]*agentFramework{}
	a.tasks = map[taskKey]*atask{}
	a.streams = map[taskKey]*updateStream{}
	a.total = a.configured.Clone()
}

func (a *agent) allExecutors() []*executorProc {
	var out []*executorProc
	ids := make([]string, 0, len(a.frameworks))
	for id := range a.frameworks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out = append(out, a.frameworks[id].sortedExecutors()...)
	}
	return out
}

func (a *agent) sortedTasks() []*atask {
	out := make([]*atask, 0, len(a.tasks))
	for _, t := range a.tasks {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].fwID != out[j].fwID {
			return out[i].fwID < out[j].fwID
		}
		return out[i].info.TaskID.Value < out[j].info.TaskID.Value
	})
	return out
}

func (a *agent) hasExecutor(fwID, execID string) bool {
	if af := a.frameworks[fwID]; af != nil {
		ex := af.executors[execID]
		return ex != nil && ex.state != execTerminated
	}
	return false
}

// used sums the resources of live tasks and executors.
func (a *agent) used() mesos.Resources {
	var out mesos.Resources
	for _, t := range a.tasks {
		if !isTerminal(t.state) {
			out = sum(out, t.info.Resources)
		}
	}
	for _, ex := range a.allExecutors() {
		if ex.state != execTerminated && ex.kind != kindCommand {
			out = sum(out, ex.info.Resources)
		}
	}
	return out
}

func (a *agent) volumeInUse(v mesos.Resource) bool {
	id := v.GetDisk().GetPersistence().GetID()
	for _, t := range a.tasks {
		if isTerminal(t.state) {
			continue
		}
		for _, r := range t.info.Resources {
			if r.IsPersistentVolume() && r.Disk.Persistence.ID == id && r.ReservationRole() == v.ReservationRole() {
				return true
			}
		}
	}
	return false
}

func (a *agent) agentInfo() mesos.AgentInfo {
	port := int32(a.port)
	return mesos.AgentInfo{
		Hostname:   a.hostname,
		Port:       &port,
		Resources:  a.total.Clone(),
		Attributes: a.attributes,
		ID:         &mesos.AgentID{Value: a.id},
	}
}

// runTasks is RunTask(Group)Message arriving at the agent.
func (a *agent) runTasks(fw *framework, info mesos.ExecutorInfo, kind executorKind, tasks []mesos.TaskInfo, group bool) {
	af := a.frameworks[fw.id]
	if af == nil {
		af = &agentFramework{info: fw.info, executors: map[string]*executorProc{}}
		a.frameworks[fw.id] = af
	}
	af.info = fw.info
	ex := af.executors[info.ExecutorID.Value]
	if ex != nil && (ex.state == execTerminating || ex.state == execTerminated) {
		state := mesos.TASK_LOST
		if fw.partitionAware() {
			state = mesos.TASK_DROPPED
		}
		for _, t := range tasks {
			a.tasks[taskKey{fw.id, t.TaskID.Value}] = &atask{fwID: fw.id, execID: info.ExecutorID.Value, info: t, state: mesos.TASK_STAGING}
			a.statusUpdate(fw.id, a.agentStatus(t.TaskID.Value, info.ExecutorID.Value, state, mesos.REASON_EXECUTOR_TERMINATED, "Executor terminating"), nil)
		}
		return
	}
	if ex == nil {
		var err error
		ex, err = a.newExecutor(af, info, kind)
		if err != nil {
			a.s.log.Error("cannot create executor", "err", err)
			for _, t := range tasks {
				a.tasks[taskKey{fw.id, t.TaskID.Value}] = &atask{fwID: fw.id, execID: info.ExecutorID.Value, info: t, state: mesos.TASK_STAGING}
				a.statusUpdate(fw.id, a.agentStatus(t.TaskID.Value, info.ExecutorID.Value, mesos.TASK_FAILED, mesos.REASON_CONTAINER_LAUNCH_FAILED, err.Error()), nil)
			}
			return
		}
		af.executors[info.ExecutorID.Value] = ex
	}
	var ts []*atask
	for _, t := range tasks {
		at := &atask{fwID: fw.id, execID: info.ExecutorID.Value, info: t, state: mesos.TASK_STAGING, queued: true, group: group}
		a.tasks[taskKey{fw.id, t.TaskID.Value}] = at
		ts = append(ts, at)
		a.linkVolumes(ex, t.Resources)
	}
	ex.enqueue(ts)
}

// linkVolumes makes persistent volumes visible at their container path in
// the executor's sandbox.
func (a *agent) linkVolumes(ex *executorProc, rs []mesos.Resource) {
	for _, v := range persistentVolumes(rs) {
		cp := v.GetDisk().GetVolume().GetContainerPath()
		if cp == "" || filepath.IsAbs(cp) || !filepath.IsLocal(cp) {
			a.s.log.Warn("persistent volume container path must be relative to the sandbox; not linked", "container_path", cp)
			continue
		}
		host := a.volumePath(v)
		if err := os.MkdirAll(host, 0o755); err != nil {
			a.s.log.Error("cannot create volume directory", "path", host, "err", err)
			continue
		}
		link := filepath.Join(ex.sandbox, cp)
		if cur, err := os.Readlink(link); err == nil && cur == host {
			continue
		}
		_ = os.MkdirAll(filepath.Dir(link), 0o755)
		_ = os.Remove(link)
		if err := os.Symlink(host, link); err != nil {
			a.s.log.Error("cannot link persistent volume into the sandbox", "link", link, "err", err)
		}
	}
}

// agentStatus builds a reliable status update generated by the agent.
func (a *agent) agentStatus(taskID, execID string, state mesos.TaskState, reason mesos.TaskStatus_Reason, msg string) mesos.TaskStatus {
	u := uuid.New()
	st := mesos.TaskStatus{
		TaskID:    mesos.TaskID{Value: taskID},
		State:     state.Enum(),
		Source:    mesos.SOURCE_AGENT.Enum(),
		Reason:    reason.Enum(),
		Message:   proto.String(msg),
		AgentID:   &mesos.AgentID{Value: a.id},
		Timestamp: proto.Float64(nowSeconds()),
		UUID:      u[:],
	}
	if execID != "" {
		st.ExecutorID = &mesos.ExecutorID{Value: execID}
	}
	return st
}

// statusUpdate takes an update into the task's stream. from is the custom
// executor that sent it (it gets ACKNOWLEDGED), or nil.
func (a *agent) statusUpdate(fwID string, st mesos.TaskStatus, from *executorProc) {
	key := taskKey{fwID, st.TaskID.Value}
	if af := a.frameworks[fwID]; af != nil && af.removed {
		return
	}
	us := a.streams[key]
	if us == nil {
		us = &updateStream{key: key, seen: map[string]bool{}}
		a.streams[key] = us
	}
	if us.seen[string(st.UUID)] {
		a.s.log.Info("duplicate status update ignored", "task_id", key.taskID, "state", st.GetState().String())
		if from != nil {
			from.sendAck(st)
		}
		return
	}
	us.seen[string(st.UUID)] = true
	st.AgentID = &mesos.AgentID{Value: a.id}
	if st.Timestamp == nil {
		st.Timestamp = proto.Float64(nowSeconds())
	}
	if t := a.tasks[key]; t != nil {
		t.state = st.GetState()
		t.healthy = st.Healthy
		if st.ExecutorID == nil {
			st.ExecutorID = &mesos.ExecutorID{Value: t.execID}
		}
	}
	a.s.log.Debug("status update", "agent_id", a.id, "framework_id", fwID, "task_id", key.taskID, "state", st.GetState().String())
	if from != nil {
		from.sendAck(st)
	}
	us.pending = append(us.pending, st)
	if len(us.pending) == 1 {
		us.backoff = 0
		a.forwardHead(us)
	}
}

// forwardHead sends the head of a stream to the master and arms the retry.
func (a *agent) forwardHead(us *updateStream) {
	if us.timer != nil {
		us.timer.Stop()
		us.timer = nil
	}
	if len(us.pending) == 0 {
		return
	}
	cfg := a.s.cfg
	if us.backoff == 0 {
		us.backoff = cfg.StatusUpdateRetryMin
	} else {
		us.backoff *= 2
		if us.backoff > cfg.StatusUpdateRetryMax {
			us.backoff = cfg.StatusUpdateRetryMax
		}
	}
	head := us.pending[0]
	a.s.deliverUpdateLocked(a, us.key.fwID, head)
	us.timer = time.AfterFunc(us.backoff, func() {
		a.s.mu.Lock()
		defer a.s.mu.Unlock()
		if a.s.closed || a.streams[us.key] != us || len(us.pending) == 0 || string(us.pending[0].UUID) != string(head.UUID) {
			return
		}
		a.s.log.Debug("retrying unacknowledged status update", "task_id", us.key.taskID, "state", head.GetState().String())
		a.forwardHead(us)
	})
}

// resumeUpdates re-sends the head of every stream (of one framework, or all
// when fwID is empty) at once, as the agent does when the master or the
// framework comes back.
func (a *agent) resumeUpdates(fwID string) {
	keys := make([]taskKey, 0, len(a.streams))
	for k := range a.streams {
		if fwID == "" || k.fwID == fwID {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].taskID < keys[j].taskID })
	for _, k := range keys {
		us := a.streams[k]
		if len(us.pending) > 0 {
			us.backoff = 0
			a.forwardHead(us)
		}
	}
}

// deliverUpdateLocked carries a status update from agent to master, subject
// to the link and the status-update faults.
func (s *Sim) deliverUpdateLocked(a *agent, fwID string, st mesos.TaskStatus) {
	if !s.linkOK(a) {
		return
	}
	if s.faults.dropUpdates {
		s.log.Info("fault: status update dropped", "task_id", st.TaskID.Value, "state", st.GetState().String())
		return
	}
	copies := 1
	if s.faults.duplicateUpdates {
		copies = 2
		s.log.Info("fault: status update delivered twice", "task_id", st.TaskID.Value, "state", st.GetState().String())
	}
	if d := s.faults.updateDelay; d > 0 {
		time.AfterFunc(d, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			for i := 0; i < copies && s.linkOK(a); i++ {
				s.receiveUpdateLocked(a, fwID, st)
			}
		})
		return
	}
	for i := 0; i < copies; i++ {
		s.receiveUpdateLocked(a, fwID, st)
	}
}

// acknowledge is a scheduler acknowledgement reaching the agent. It reports
// whether the acknowledged update was terminal and whether it matched.
func (a *agent) acknowledge(fwID, taskID string, id []byte) (terminal, ok bool) {
	key := taskKey{fwID, taskID}
	us := a.streams[key]
	if us == nil {
		// The real agent: "Failed to handle status update acknowledgement ... Cannot find the
		// status update stream for task ..." (the stream ended with its terminal update's ACK).
		a.s.unknownAcks++
		a.s.log.Warn("Cannot find the status update stream for task; acknowledgement ignored", "agent_id", a.id, "framework_id", fwID, "task_id", taskID, "uuid", uuidString(id))
		return false, false
	}
	if len(us.pending) == 0 || string(us.pending[0].UUID) != string(id) {
		a.s.unknownAcks++
		a.s.log.Warn("ignoring unexpected status update acknowledgement", "agent_id", a.id, "framework_id", fwID, "task_id", taskID, "uuid", uuidString(id))
		return false, false
	}
	head := us.pending[0]
	us.pending = us.pending[1:]
	if us.timer != nil {
		us.timer.Stop()
		us.timer = nil
	}
	terminal = isTerminal(head.GetState())
	if terminal {
		delete(a.streams, key)
		delete(a.tasks, key)
		a.cleanupFramework(fwID)
		return true, true
	}
	us.backoff = 0
	a.forwardHead(us)
	return false, true
}

func (a *agent) cleanupFramework(fwID string) {
	af := a.frameworks[fwID]
	if af == nil || len(af.executors) > 0 {
		return
	}
	for k := range a.tasks {
		if k.fwID == fwID {
			return
		}
	}
	for k := range a.streams {
		if k.fwID == fwID {
			return
		}
	}
	delete(a.frameworks, fwID)
}

func (a *agent) killTask(fwID, taskID string, policy *mesos.KillPolicy) {
	t := a.tasks[taskKey{fwID, taskID}]
	if t == nil || isTerminal(t.state) {
		a.s.log.Info("KILL for a task the agent does not run", "agent_id", a.id, "task_id", taskID)
		return
	}
	ex := a.frameworks[fwID].executors[t.execID]
	if ex == nil {
		return
	}
	if t.queued {
		ex.dequeue(taskID)
		a.statusUpdate(fwID, a.agentStatus(taskID, t.execID, mesos.TASK_KILLED, mesos.REASON_TASK_KILLED_DURING_LAUNCH, "Task killed before delivery to the executor"), nil)
		return
	}
	ex.kill(t, policy)
}

func (a *agent) shutdownExecutorByID(fwID, execID string) {
	af := a.frameworks[fwID]
	if af == nil || af.executors[execID] == nil {
		a.s.log.Warn("SHUTDOWN for an unknown executor", "agent_id", a.id, "framework_id", fwID, "executor_id", execID)
		return
	}
	af.executors[execID].shutdown()
}

// shutdownFramework shuts down a removed framework's executors and forgets
// its tasks and status updates.
func (a *agent) shutdownFramework(fwID string) {
	af := a.frameworks[fwID]
	if af == nil {
		return
	}
	af.removed = true
	for _, ex := range af.sortedExecutors() {
		ex.shutdown()
	}
	for k, us := range a.streams {
		if k.fwID == fwID {
			if us.timer != nil {
				us.timer.Stop()
			}
			delete(a.streams, k)
		}
	}
	for k := range a.tasks {
		if k.fwID == fwID {
			delete(a.tasks, k)
		}
	}
	if len(af.executors) == 0 {
		delete(a.frameworks, fwID)
	}
}

func (a *agent) deliverMessage(fwID, execID string, data []byte) {
	af := a.frameworks[fwID]
	if af == nil || af.executors[execID] == nil || af.executors[execID].stream == nil {
		a.s.log.Warn("dropping framework message for an unknown or unsubscribed executor", "agent_id", a.id, "executor_id", execID)
		return
	}
	af.executors[execID].stream.send(a.s.log, &executor.Event{Type: executor.Event_MESSAGE, Message: &executor.Event_Message{Data: data}})
}

// --- the executor HTTP API ---

func (a *agent) handleExecutor(w http.ResponseWriter, r *http.Request) {
	s := a.s
	log := s.log.With("endpoint", "/api/v1/executor", "agent", a.hostname, "remote", r.RemoteAddr)
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic handling executor call", "panic", p)
			httpError(log, w, http.StatusInternalServerError, fmt.Sprintf("internal error: %v", p))
		}
	}()
	var call executor.Call
	_, typePresent, rerr := decodeCall(r, &call, 3, "Call")
	if rerr != nil {
		httpError(log, w, rerr.code, rerr.msg)
		return
	}
	if msg := validateExecutorCall(&call, typePresent); msg != "" {
		httpError(log, w, http.StatusBadRequest, "Failed to validate executor::Call: "+msg)
		return
	}
	log = log.With("call", call.Type.String(), "framework_id", call.FrameworkID.Value, "executor_id", call.ExecutorID.Value)
	if call.Type == executor.Call_HEARTBEAT {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	media := ""
	if call.Type == executor.Call_SUBSCRIBE {
		var ok bool
		if media, ok = negotiate(r.Header.Get("Accept")); !ok {
			httpError(log, w, http.StatusNotAcceptable, fmt.Sprintf("Expecting 'Accept' to allow '%s' or '%s'", mediaJSON, mediaProtobuf))
			return
		}
	}
	type outcome struct {
		code   int
		msg    string
		stream *eventStream
		ex     *executorProc
	}
	out := func() outcome {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || a.down {
			return outcome{code: http.StatusServiceUnavailable, msg: "Agent has not finished recovery"}
		}
		af := a.frameworks[call.FrameworkID.Value]
		if af == nil || af.removed {
			return outcome{code: http.StatusBadRequest, msg: "Framework cannot be found"}
		}
		ex := af.executors[call.ExecutorID.Value]
		if ex == nil || ex.kind != kindCustom || ex.state == execTerminated {
			return outcome{code: http.StatusBadRequest, msg: "Executor cannot be found"}
		}
		switch call.Type {
		case executor.Call_SUBSCRIBE:
			return outcome{code: http.StatusOK, stream: ex.subscribe(call.Subscribe, media, log), ex: ex}
		case executor.Call_UPDATE, executor.Call_MESSAGE:
			if ex.state == execRegistering {
				return outcome{code: http.StatusForbidden, msg: "Executor is not subscribed"}
			}
			if call.Type == executor.Call_UPDATE {
				st := call.Update.Status
				st.Source = mesos.SOURCE_EXECUTOR.Enum()
				st.ExecutorID = &mesos.ExecutorID{Value: ex.info.ExecutorID.Value}
				a.statusUpdate(ex.fwID, st, ex)
			} else if fw := s.frameworks[ex.fwID]; fw != nil && s.linkOK(a) {
				fw.send(s.log, &scheduler.Event{Type: scheduler.Event_MESSAGE, Message: &scheduler.Event_Message{
					AgentID: mesos.AgentID{Value: a.id}, ExecutorID: ex.info.ExecutorID, Data: call.Message.Data,
				}})
			}
			return outcome{code: http.StatusAccepted}
		}
		return outcome{code: http.StatusNotImplemented, msg: fmt.Sprintf("Received unexpected '%s' call", call.Type)}
	}()
	switch {
	case out.stream != nil:
		w.Header().Set("Content-Type", media)
		w.WriteHeader(http.StatusOK)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		out.stream.serve(w, r, s.ctx.Done(), 0, nil)
		s.mu.Lock()
		defer s.mu.Unlock()
		if out.ex.stream == out.stream {
			out.ex.stream = nil
			log.Info("executor disconnected")
		}
	case out.code >= 400:
		httpError(log, w, out.code, out.msg)
	default:
		w.WriteHeader(out.code)
	}
}

func validateExecutorCall(c *executor.Call, typePresent bool) string {
	if !typePresent {
		return "Expecting 'type' to be present"
	}
	if c.ExecutorID.Value == "" {
		return "Expecting 'executor_id' to be present"
	}
	if c.FrameworkID.Value == "" {
		return "Expecting 'framework_id' to be present"
	}
	switch c.Type {
	case executor.Call_SUBSCRIBE:
		if c.Subscribe == nil {
			return "Expecting 'subscribe' to be present"
		}
	case executor.Call_UPDATE:
		if c.Update == nil {
			return "Expecting 'update' to be present"
		}
		st := c.Update.Status
		if !validUUID(st.UUID) {
			return "Invalid UUID in status update: not a 16 byte UUID"
		}
		if st.ExecutorID != nil && st.ExecutorID.Value != c.ExecutorID.Value {
			return "ExecutorID in Call: " + c.ExecutorID.Value + " does not match ExecutorID in TaskStatus: " + st.ExecutorID.Value
		}
		if st.Source == nil || *st.Source != mesos.SOURCE_EXECUTOR {
			return "Received Call from executor with invalid source, expecting SOURCE_EXECUTOR"
		}
		if st.GetState() == mesos.TASK_STAGING {
			return "Received TASK_STAGING from executor which is not allowed"
		}
		if st.State == nil {
			return "Expecting 'status.state' to be present"
		}
	case executor.Call_MESSAGE:
		if c.Message == nil {
			return "Expecting 'message' to be present"
		}
	}
	return ""
}

// streamPending returns the head of a task's status-update stream (tests).
func (a *agent) streamPending(fwID, taskID string) (mesos.TaskStatus, bool) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	us := a.streams[taskKey{fwID, taskID}]
	if us == nil || len(us.pending) == 0 {
		return mesos.TaskStatus{}, false
	}
	return us.pending[0], true
}

// uuidString prints a status update UUID as Mesos logs it.
func uuidString(b []byte) string {
	if u, err := uuid.FromBytes(b); err == nil {
		return u.String()
	}
	return fmt.Sprintf("%x", b)
}
