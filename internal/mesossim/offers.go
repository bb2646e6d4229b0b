package mesossim

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"time"

	"github.com/gogo/protobuf/proto"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	rez "github.com/mesos/mesos-go/api/v1/lib/resources"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
)

const (
	defaultRefuseSeconds = 5.0
	maxRefuseSeconds     = 365 * 24 * 3600.0
)

func (s *Sim) allocationLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.AllocationInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.mu.Lock()
			s.allocateLocked()
			s.mu.Unlock()
		}
	}
}

func isEmpty(rs mesos.Resources) bool {
	for i := range rs {
		if !rs[i].IsEmpty() {
			return false
		}
	}
	return true
}

// offeredOn sums the resources outstanding in offers on agent a.
func (s *Sim) offeredOn(a *agent) mesos.Resources {
	var out mesos.Resources
	for _, o := range s.offers {
		if o.agent == a {
			out = sum(out, o.resources)
		}
	}
	return out
}

// allocateLocked makes offers: one per agent and role, for every subscribed
// framework whose role is not suppressed and not filtered on that agent.
func (s *Sim) allocateLocked() {
	if s.closed || s.masterRecovering || time.Now().Before(s.recoveringUntil) {
		return
	}
	now := time.Now()
	pending := map[*framework][]mesos.Offer{}
	fws := s.sortedFrameworks()
	for _, a := range s.agents {
		if a.mstate != agentRegistered || a.down {
			continue
		}
		avail := minus(a.total, append(a.used(), s.offeredOn(a)...)...)
		for _, fw := range fws {
			if fw.sub == nil || !s.offersTo(fw, a) {
				continue
			}
			for _, role := range fw.roles() {
				if fw.suppressed[role] {
					continue
				}
				res := allocatable(avail, role)
				if isEmpty(res) {
					continue
				}
				k := filterKey{a.id, role}
				if f := fw.filters[k]; f != nil {
					if now.Before(f.expires) {
						if rez.ContainsAll(f.resources, res) {
							continue
						}
					} else {
						delete(fw.filters, k)
					}
				}
				s.offerCounter++
				o := &offer{id: fmt.Sprintf("%s-O%d", s.masterID, s.offerCounter), fwID: fw.id, role: role, agent: a, resources: res}
				s.offers[o.id] = o
				fw.offers[o.id] = o
				avail = minus(avail, res...)
				pending[fw] = append(pending[fw], s.offerProto(fw, o))
			}
		}
	}
	for _, fw := range fws {
		if offers := pending[fw]; len(offers) > 0 {
			s.log.Debug("sending offers", "framework_id", fw.id, "count", len(offers))
			fw.send(s.log, &scheduler.Event{Type: scheduler.Event_OFFERS, Offers: &scheduler.Event_Offers{Offers: offers}})
		}
	}
}

// forFramework converts internal resources to what a framework expects.
func forFramework(fw *framework, rs mesos.Resources, role string) mesos.Resources {
	out := rs.Clone()
	if !fw.hasCap(mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT) {
		out = downgradeResources(out)
	}
	if fw.hasCap(mesos.FrameworkInfo_Capability_MULTI_ROLE) {
		out = allocate(out, role)
	}
	return out
}

func (s *Sim) offerProto(fw *framework, o *offer) mesos.Offer {
	a := o.agent
	off := mesos.Offer{
		ID:          mesos.OfferID{Value: o.id},
		FrameworkID: mesos.FrameworkID{Value: fw.id},
		AgentID:     mesos.AgentID{Value: a.id},
		Hostname:    a.hostname,
		URL: &mesos.URL{
			Scheme:  "http",
			Address: mesos.Address{Hostname: proto.String(a.hostname), IP: proto.String(a.hostname), Port: int32(a.port)},
			Path:    proto.String("/slave(1)"),
		},
		Resources:  forFramework(fw, o.resources, o.role),
		Attributes: a.attributes,
		Domain:     a.domain,
	}
	if af := a.frameworks[fw.id]; af != nil {
		for _, ex := range af.sortedExecutors() {
			if ex.kind != kindCommand {
				off.ExecutorIDs = append(off.ExecutorIDs, ex.info.ExecutorID)
			}
		}
	}
	if fw.hasCap(mesos.FrameworkInfo_Capability_MULTI_ROLE) {
		off.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(o.role)}
	}
	return off
}

func refuseSeconds(f *mesos.Filters) float64 {
	if f == nil || f.RefuseSeconds == nil {
		return defaultRefuseSeconds
	}
	v := *f.RefuseSeconds
	switch {
	case math.IsNaN(v) || v < 0:
		return defaultRefuseSeconds
	case v > maxRefuseSeconds:
		return maxRefuseSeconds
	}
	return v
}

// acceptLocked handles ACCEPT (and DECLINE, with no operations).
func (s *Sim) acceptLocked(fw *framework, offerIDs []mesos.OfferID, ops []mesos.Offer_Operation, filters *mesos.Filters, log *slog.Logger) {
	var invalid string
	var offers []*offer
	seen := map[string]bool{}
	if len(offerIDs) == 0 {
		invalid = "No offers specified"
	}
	for _, id := range offerIDs {
		o := s.offers[id.Value]
		switch {
		case seen[id.Value]:
			invalid = fmt.Sprintf("Offer %s appears more than once", id.Value)
		case o == nil:
			invalid = fmt.Sprintf("Offer %s is no longer valid", id.Value)
		case o.fwID != fw.id:
			invalid = fmt.Sprintf("Offer %s has invalid framework %s while framework %s is expected", id.Value, o.fwID, fw.id)
			o = nil
		case len(offers) > 0 && offers[0].agent != o.agent:
			invalid = fmt.Sprintf("Aggregated offers must belong to one single agent. Offer %s uses agent %s and offer %s uses agent %s", offers[0].id, offers[0].agent.id, o.id, o.agent.id)
		case len(offers) > 0 && offers[0].role != o.role:
			invalid = fmt.Sprintf("Aggregated offers must be allocated to the same role. Offer %s uses role %s and offer %s uses role %s", offers[0].id, offers[0].role, o.id, o.role)
		}
		seen[id.Value] = true
		if o != nil && o.fwID == fw.id {
			offers = append(offers, o)
		}
	}
	for _, o := range offers {
		s.removeOfferLocked(o.id, false)
	}
	if invalid != "" {
		log.Warn("ACCEPT with invalid offers", "reason", invalid)
		state := mesos.TASK_LOST
		if fw.partitionAware() {
			state = mesos.TASK_DROPPED
		}
		for _, op := range ops {
			var tasks []mesos.TaskInfo
			switch op.Type {
			case mesos.Offer_Operation_LAUNCH:
				tasks = op.GetLaunch().GetTaskInfos()
			case mesos.Offer_Operation_LAUNCH_GROUP:
				tasks = op.GetLaunchGroup().GetTaskGroup().Tasks
			default:
				if op.ID != nil {
					s.operationStatusLocked(fw, op.ID, nil, mesos.OPERATION_ERROR, invalid)
				}
			}
			for _, t := range tasks {
				fw.send(s.log, updateEvent(masterStatus(t.TaskID.Value, t.AgentID.Value, state, mesos.REASON_INVALID_OFFERS, "Task launched with invalid offers: "+invalid)))
			}
		}
		return
	}
	a, role := offers[0].agent, offers[0].role
	var pool mesos.Resources
	for _, o := range offers {
		pool = sum(pool, o.resources)
	}
	for i := range ops {
		op := &ops[i]
		switch op.Type {
		case mesos.Offer_Operation_LAUNCH:
			if op.ID != nil {
				for _, t := range op.GetLaunch().GetTaskInfos() {
					s.taskErrorLocked(fw, t, mesos.REASON_TASK_INVALID, "Unsupported: Operation feedback is not supported for LAUNCH operations")
				}
				continue
			}
			for _, t := range op.GetLaunch().GetTaskInfos() {
				if msg := taskAllocationMismatch(t, nil, role, pool); msg != "" {
					s.taskErrorLocked(fw, t, mesos.REASON_TASK_INVALID, msg)
					continue
				}
				s.launchLocked(fw, a, &pool, []mesos.TaskInfo{t}, nil, log)
			}
		case mesos.Offer_Operation_LAUNCH_GROUP:
			lg := op.GetLaunchGroup()
			if lg == nil {
				log.Warn("dropping LAUNCH_GROUP without 'launch_group'")
				continue
			}
			ex := lg.Executor
			bad := ""
			for _, t := range lg.TaskGroup.Tasks {
				if bad == "" {
					bad = taskAllocationMismatch(t, &ex, role, pool)
				}
			}
			if bad != "" {
				for _, t := range lg.TaskGroup.Tasks {
					s.taskErrorLocked(fw, t, mesos.REASON_TASK_GROUP_INVALID, bad)
				}
				continue
			}
			s.launchLocked(fw, a, &pool, lg.TaskGroup.Tasks, &ex, log)
		case mesos.Offer_Operation_RESERVE, mesos.Offer_Operation_UNRESERVE, mesos.Offer_Operation_CREATE, mesos.Offer_Operation_DESTROY:
			if err := s.applyResourceOpLocked(fw, a, role, &pool, op); err != nil {
				log.Warn("dropping offer operation", "operation", op.Type.String(), "agent_id", a.id, "reason", err.Error())
				if op.ID != nil {
					s.operationStatusLocked(fw, op.ID, a, mesos.OPERATION_ERROR, err.Error())
				}
			}
		default:
			log.Warn("dropping unsupported offer operation", "operation", op.Type.String())
			if op.ID != nil {
				s.operationStatusLocked(fw, op.ID, a, mesos.OPERATION_ERROR, "Unsupported operation "+op.Type.String())
			}
		}
	}
	if secs := refuseSeconds(filters); secs > 0 && !isEmpty(pool) {
		fw.filters[filterKey{a.id, role}] = &filter{resources: pool, expires: time.Now().Add(time.Duration(secs * float64(time.Second)))}
	}
}

// declineLocked handles DECLINE as Master::decline does: each offer is discarded on its own, with
// the call's filters; offers of several agents may be declined together, and an offer that is no
// longer valid is ignored with a warning (no TASK_LOST, no error: there is nothing to report).
func (s *Sim) declineLocked(fw *framework, offerIDs []mesos.OfferID, filters *mesos.Filters, log *slog.Logger) {
	secs := refuseSeconds(filters)
	for _, id := range offerIDs {
		o := s.offers[id.Value]
		if o == nil || o.fwID != fw.id {
			log.Warn("ignoring decline of an offer that is no longer valid", "offer_id", id.Value)
			continue
		}
		s.removeOfferLocked(o.id, false)
		if secs > 0 && !isEmpty(o.resources) {
			fw.filters[filterKey{o.agent.id, o.role}] = &filter{resources: o.resources, expires: time.Now().Add(time.Duration(secs * float64(time.Second)))}
		}
	}
}

func (s *Sim) operationStatusLocked(fw *framework, id *mesos.OperationID, a *agent, state mesos.OperationState, msg string) {
	st := mesos.OperationStatus{OperationID: id, State: state, Message: proto.String(msg)}
	if a != nil {
		st.AgentID = &mesos.AgentID{Value: a.id}
	}
	fw.send(s.log, &scheduler.Event{Type: scheduler.Event_UPDATE_OPERATION_STATUS, UpdateOperationStatus: &scheduler.Event_UpdateOperationStatus{Status: st}})
}

func (s *Sim) taskErrorLocked(fw *framework, t mesos.TaskInfo, reason mesos.TaskStatus_Reason, msg string) {
	s.log.Warn("task rejected", "framework_id", fw.id, "task_id", t.TaskID.Value, "reason", msg)
	fw.send(s.log, updateEvent(masterStatus(t.TaskID.Value, t.AgentID.Value, mesos.TASK_ERROR, reason, msg)))
}

func validateID(kind, id string) string {
	switch {
	case id == "":
		return kind + " must not be empty"
	case len(id) > 255:
		return kind + " is too long"
	case id == "." || id == "..":
		return fmt.Sprintf("%s '%s' is disallowed", kind, id)
	case strings.ContainsAny(id, "/\x00"):
		return fmt.Sprintf("%s '%s' contains invalid characters", kind, id)
	}
	return ""
}

// validateTaskLocked checks one task the way the master does; execNew
// reports whether the task's executor would be launched by it.
func (s *Sim) validateTaskLocked(fw *framework, a *agent, t *mesos.TaskInfo, group *mesos.ExecutorInfo, batch map[string]bool) string {
	if msg := validateID("Task ID", t.TaskID.Value); msg != "" {
		return msg
	}
	if _, dup := fw.tasks[t.TaskID.Value]; dup || batch[t.TaskID.Value] {
		return "Task has duplicate ID: " + t.TaskID.Value
	}
	if t.AgentID.Value != a.id {
		return fmt.Sprintf("Task uses invalid agent: %s", t.AgentID.Value)
	}
	if len(t.Resources) == 0 {
		return "Task uses no resources"
	}
	if err := rez.Validate(upgradeResources(t.Resources)...); err != nil {
		return "Task uses invalid resources: " + err.Error()
	}
	if kp := t.KillPolicy; kp != nil && kp.GracePeriod != nil && kp.GracePeriod.Nanoseconds < 0 {
		return "Task's 'kill_policy.grace_period' must be non-negative"
	}
	if group != nil {
		if t.Executor != nil {
			return "'TaskInfo.executor' must not be set"
		}
		return ""
	}
	if (t.Command == nil) == (t.Executor == nil) {
		return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
	}
	if t.Command != nil && t.Command.GetValue() == "" && len(t.Command.Arguments) == 0 {
		return "Task's CommandInfo has no 'value'"
	}
	if t.Executor != nil {
		return s.validateExecutorLocked(fw, a, t.Executor, mesos.ExecutorInfo_CUSTOM)
	}
	return ""
}

func (s *Sim) validateExecutorLocked(fw *framework, a *agent, ex *mesos.ExecutorInfo, want mesos.ExecutorInfo_Type) string {
	if msg := validateID("Executor ID", ex.ExecutorID.Value); msg != "" {
		return msg
	}
	if want == mesos.ExecutorInfo_CUSTOM && ex.Type != mesos.ExecutorInfo_CUSTOM {
		return "'ExecutorInfo.type' must be 'CUSTOM'"
	}
	if ex.Type == mesos.ExecutorInfo_UNKNOWN {
		return "'ExecutorInfo.type' must be 'DEFAULT' or 'CUSTOM'"
	}
	if ex.Type == mesos.ExecutorInfo_CUSTOM && ex.Command == nil {
		return "'ExecutorInfo.command' must be set for 'CUSTOM' executors"
	}
	if ex.FrameworkID != nil && ex.FrameworkID.Value != fw.id {
		return fmt.Sprintf("ExecutorInfo has an invalid FrameworkID (Actual: %s vs Expected: %s)", ex.FrameworkID.Value, fw.id)
	}
	if err := rez.Validate(upgradeResources(ex.Resources)...); err != nil {
		return "Executor uses invalid resources: " + err.Error()
	}
	if af := a.frameworks[fw.id]; af != nil {
		if cur := af.executors[ex.ExecutorID.Value]; cur != nil && cur.state != execTerminated {
			if !proto.Equal(cur.info.Command, ex.Command) || cur.info.Type != ex.Type {
				return fmt.Sprintf("ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID '%s'", ex.ExecutorID.Value)
			}
		}
	}
	return ""
}

// launchLocked validates and launches a task (group nil) or a task group.
func (s *Sim) launchLocked(fw *framework, a *agent, pool *mesos.Resources, tasks []mesos.TaskInfo, group *mesos.ExecutorInfo, log *slog.Logger) {
	reason := mesos.REASON_TASK_INVALID
	if group != nil {
		reason = mesos.REASON_TASK_GROUP_INVALID
	}
	fail := func(msg string) {
		for _, t := range tasks {
			s.taskErrorLocked(fw, t, reason, msg)
		}
	}
	if group != nil {
		if len(tasks) == 0 {
			log.Warn("dropping LAUNCH_GROUP with no tasks")
			return
		}
		if msg := s.validateExecutorLocked(fw, a, group, mesos.ExecutorInfo_UNKNOWN); msg != "" {
			fail(msg)
			return
		}
	}
	batch := map[string]bool{}
	for i := range tasks {
		if msg := s.validateTaskLocked(fw, a, &tasks[i], group, batch); msg != "" {
			fail(msg)
			return
		}
		if group != nil && group.Type == mesos.ExecutorInfo_DEFAULT && tasks[i].Command == nil {
			fail("Task in a group run by the default executor must have a 'command'")
			return
		}
		batch[tasks[i].TaskID.Value] = true
	}
	var need mesos.Resources
	var exInfo *mesos.ExecutorInfo
	if group != nil {
		exInfo = group
	} else {
		exInfo = tasks[0].Executor
	}
	for _, t := range tasks {
		need = sum(need, upgradeResources(t.Resources))
	}
	if exInfo != nil && !a.hasExecutor(fw.id, exInfo.ExecutorID.Value) {
		need = sum(need, upgradeResources(exInfo.Resources))
	}
	if !rez.ContainsAll(*pool, need) {
		fail(fmt.Sprintf("Total resources %s required by task and its executor is more than available %s", need, *pool))
		return
	}
	*pool = minus(*pool, need...)
	var info mesos.ExecutorInfo
	kind := kindCommand
	if exInfo != nil {
		info = *proto.Clone(exInfo).(*mesos.ExecutorInfo)
		info.FrameworkID = &mesos.FrameworkID{Value: fw.id}
		info.Resources = upgradeResources(info.Resources)
		kind = kindCustom
		if info.Type == mesos.ExecutorInfo_DEFAULT {
			kind = kindDefault
		}
	} else {
		t := tasks[0]
		info = mesos.ExecutorInfo{
			Type:        mesos.ExecutorInfo_DEFAULT,
			ExecutorID:  mesos.ExecutorID{Value: t.TaskID.Value},
			FrameworkID: &mesos.FrameworkID{Value: fw.id},
			Name:        proto.String("Command Executor (Task: " + t.TaskID.Value + ")"),
			Command:     &mesos.CommandInfo{Value: proto.String("mesos-executor")},
		}
	}
	clean := make([]mesos.TaskInfo, len(tasks))
	for i, t := range tasks {
		t = *proto.Clone(&t).(*mesos.TaskInfo)
		t.Resources = upgradeResources(t.Resources)
		if t.Executor != nil {
			t.Executor = proto.Clone(&info).(*mesos.ExecutorInfo)
		}
		clean[i] = t
		fw.tasks[t.TaskID.Value] = &mtask{info: t, agentID: a.id, execID: info.ExecutorID.Value, state: mesos.TASK_STAGING}
		log.Info("launching task", "task_id", t.TaskID.Value, "agent_id", a.id, "executor_id", info.ExecutorID.Value)
	}
	if !s.linkOK(a) {
		log.Warn("RunTask to an unreachable agent is lost", "agent_id", a.id)
		return
	}
	a.runTasks(fw, info, kind, clean, group != nil)
}

// applyResourceOpLocked applies RESERVE/UNRESERVE/CREATE/DESTROY to the
// offered pool and the agent's checkpointed resources.
func (s *Sim) applyResourceOpLocked(fw *framework, a *agent, role string, pool *mesos.Resources, op *mesos.Offer_Operation) error {
	orig := op
	op = proto.Clone(op).(*mesos.Offer_Operation)
	var opRes []mesos.Resource
	switch op.Type {
	case mesos.Offer_Operation_RESERVE:
		if op.Reserve == nil {
			return fmt.Errorf("missing 'reserve'")
		}
		op.Reserve.Resources = upgradeResources(op.Reserve.Resources)
		op.Reserve.Source = nil
		opRes = op.Reserve.Resources
	case mesos.Offer_Operation_UNRESERVE:
		if op.Unreserve == nil {
			return fmt.Errorf("missing 'unreserve'")
		}
		op.Unreserve.Resources = upgradeResources(op.Unreserve.Resources)
		opRes = op.Unreserve.Resources
	case mesos.Offer_Operation_CREATE:
		if op.Create == nil {
			return fmt.Errorf("missing 'create'")
		}
		op.Create.Volumes = upgradeResources(op.Create.Volumes)
		opRes = op.Create.Volumes
	case mesos.Offer_Operation_DESTROY:
		if op.Destroy == nil {
			return fmt.Errorf("missing 'destroy'")
		}
		op.Destroy.Volumes = upgradeResources(op.Destroy.Volumes)
		opRes = op.Destroy.Volumes
	}
	if len(opRes) == 0 {
		return fmt.Errorf("%s has no resources", op.Type)
	}
	if msg := allocationMismatch(rawOpResources(orig), role); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	for _, r := range opRes {
		if len(r.Reservations) == 0 {
			return fmt.Errorf("resource %s is not reserved", mesos.Resources{r})
		}
		if r.ReservationRole() != role {
			return fmt.Errorf("invalid reservation: role '%s' does not match the allocated role '%s'", r.ReservationRole(), role)
		}
		if op.Type == mesos.Offer_Operation_RESERVE {
			last := r.Reservations[len(r.Reservations)-1]
			if last.Principal != nil && last.GetPrincipal() != fw.info.GetPrincipal() {
				return fmt.Errorf("a reserve operation was attempted with principal '%s', which does not match the framework's principal '%s'", last.GetPrincipal(), fw.info.GetPrincipal())
			}
		}
		if op.Type == mesos.Offer_Operation_CREATE {
			if r.GetDisk().GetPersistence() == nil {
				return fmt.Errorf("create: volume %s has no 'disk.persistence'", mesos.Resources{r})
			}
			if r.GetDisk().GetVolume() == nil {
				return fmt.Errorf("create: volume %s has no 'disk.volume'", mesos.Resources{r})
			}
			if msg := validateID("Persistence ID", r.Disk.Persistence.ID); msg != "" {
				return fmt.Errorf("%s", msg)
			}
			for _, v := range a.total {
				if v.IsPersistentVolume() && v.ReservationRole() == role && v.Disk.Persistence.ID == r.Disk.Persistence.ID {
					return fmt.Errorf("persistence ID '%s' is already in use", r.Disk.Persistence.ID)
				}
			}
		}
		if op.Type == mesos.Offer_Operation_DESTROY && a.volumeInUse(r) {
			return fmt.Errorf("persistent volume '%s' is in use by a task", r.GetDisk().GetPersistence().GetID())
		}
	}
	newPool, err := applyOp(op, *pool)
	if err != nil {
		return err
	}
	newTotal, err := applyOp(op, a.total)
	if err != nil {
		return err
	}
	switch op.Type {
	case mesos.Offer_Operation_CREATE:
		for _, r := range opRes {
			if err := os.MkdirAll(a.volumePath(r), 0o755); err != nil {
				return fmt.Errorf("create volume directory: %w", err)
			}
		}
	case mesos.Offer_Operation_DESTROY:
		for _, r := range opRes {
			if err := os.RemoveAll(a.volumePath(r)); err != nil {
				s.log.Warn("cannot remove volume directory", "path", a.volumePath(r), "err", err)
			}
		}
	}
	*pool = newPool
	a.total = newTotal
	s.log.Info("applied offer operation", "operation", op.Type.String(), "framework_id", fw.id, "agent_id", a.id, "resources", mesos.Resources(opRes).String())
	return nil
}

// --- agent reachability as the master sees it ---

// linkOK reports whether master and agent hear each other.
func (s *Sim) linkOK(a *agent) bool {
	return !s.closed && !a.down && !a.partitioned && a.mstate == agentRegistered && !s.masterRecovering && !time.Now().Before(s.recoveringUntil)
}

func (s *Sim) linkDownLocked(a *agent) {
	if a.down {
		// A dead agent's socket closes: the master deactivates it at once.
		for id, o := range s.offers {
			if o.agent == a {
				s.removeOfferLocked(id, true)
			}
		}
	}
	if a.mstate != agentRegistered || a.unreachableTimer != nil {
		return
	}
	a.unreachableTimer = time.AfterFunc(s.cfg.AgentUnreachableTimeout, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		a.unreachableTimer = nil
		if s.closed || !(a.down || a.partitioned) || a.mstate != agentRegistered {
			return
		}
		s.markUnreachableLocked(a)
	})
}

func (s *Sim) markUnreachableLocked(a *agent) {
	s.log.Info("agent unreachable", "agent_id", a.id, "hostname", a.hostname)
	a.mstate = agentUnreachable
	a.unreachableAt = time.Now()
	ut := &mesos.TimeInfo{Nanoseconds: a.unreachableAt.UnixNano()}
	for id, o := range s.offers {
		if o.agent == a {
			s.removeOfferLocked(id, true)
		}
	}
	for _, fw := range s.sortedFrameworks() {
		for _, mt := range sortedTasks(fw) {
			if mt.agentID != a.id || isTerminal(mt.state) {
				continue
			}
			mt.state = mesos.TASK_UNREACHABLE
			mt.unreachableTime = ut
			state := mesos.TASK_LOST
			if fw.partitionAware() {
				state = mesos.TASK_UNREACHABLE
			}
			st := masterStatus(mt.info.TaskID.Value, a.id, state, mesos.REASON_AGENT_REMOVED, "Agent "+a.hostname+" is unreachable")
			st.UnreachableTime = ut
			st.ExecutorID = &mesos.ExecutorID{Value: mt.execID}
			fw.send(s.log, updateEvent(st))
		}
		s.sendFailureLocked(fw, a.id, "", nil)
	}
	if s.cfg.AgentGoneTimeout <= 0 {
		return // as a real master: unreachable until it returns or an operator marks it gone
	}
	a.goneTimer = time.AfterFunc(s.cfg.AgentGoneTimeout, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		a.goneTimer = nil
		if s.closed || a.mstate != agentUnreachable {
			return
		}
		s.markGoneLocked(a)
	})
}

func (s *Sim) markGoneLocked(a *agent) {
	s.log.Info("agent removed for good", "agent_id", a.id, "hostname", a.hostname)
	a.mstate = agentGone
	for _, fw := range s.sortedFrameworks() {
		for _, mt := range sortedTasks(fw) {
			if mt.agentID != a.id {
				continue
			}
			delete(fw.tasks, mt.info.TaskID.Value)
			if fw.partitionAware() {
				st := masterStatus(mt.info.TaskID.Value, a.id, mesos.TASK_GONE, mesos.REASON_AGENT_REMOVED, "Agent "+a.hostname+" was removed")
				st.ExecutorID = &mesos.ExecutorID{Value: mt.execID}
				fw.send(s.log, updateEvent(st))
			}
		}
	}
}

func sortedTasks(fw *framework) []*mtask {
	out := make([]*mtask, 0, len(fw.tasks))
	for _, mt := range fw.tasks {
		out = append(out, mt)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].info.TaskID.Value < out[j-1].info.TaskID.Value; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// linkUpLocked is an agent that can talk to the master again: it
// re-registers, or, if the master removed it, is told to shut down and
// comes back as a new agent.
func (s *Sim) linkUpLocked(a *agent) {
	if a.unreachableTimer != nil {
		a.unreachableTimer.Stop()
		a.unreachableTimer = nil
	}
	switch a.mstate {
	case agentRegistered:
		a.resumeUpdates("")
	case agentUnreachable:
		if a.goneTimer != nil {
			a.goneTimer.Stop()
			a.goneTimer = nil
		}
		s.log.Info("agent re-registered", "agent_id", a.id, "hostname", a.hostname)
		a.mstate = agentRegistered
		for fwID, af := range a.frameworks {
			if s.removedFrameworks[fwID] {
				a.shutdownFramework(fwID)
				continue
			}
			_ = af
		}
		for _, fw := range s.sortedFrameworks() {
			for _, mt := range sortedTasks(fw) {
				if mt.agentID != a.id {
					continue
				}
				t := a.tasks[taskKey{fw.id, mt.info.TaskID.Value}]
				if t == nil {
					delete(fw.tasks, mt.info.TaskID.Value)
					state := mesos.TASK_LOST
					if fw.partitionAware() {
						state = mesos.TASK_DROPPED
					}
					fw.send(s.log, updateEvent(masterStatus(mt.info.TaskID.Value, a.id, state, mesos.REASON_AGENT_REREGISTERED, "Task was not found on the re-registered agent")))
					continue
				}
				if mt.state == mesos.TASK_UNREACHABLE {
					mt.state = t.state
					mt.unreachableTime = nil
					if s.faults.duplicateUpdates && isTerminal(t.state) {
						// What a real 1.11 master was seen doing: its own UUID-less TASK_FAILED
						// for the task it had marked lost, before the agent's own update.
						st := masterStatus(mt.info.TaskID.Value, a.id, mesos.TASK_FAILED, mesos.REASON_AGENT_REREGISTERED, "Agent "+a.hostname+" re-registered; the task is terminal on it")
						st.ExecutorID = &mesos.ExecutorID{Value: mt.execID}
						fw.send(s.log, updateEvent(st))
					}
					if !isTerminal(t.state) {
						st := masterStatus(mt.info.TaskID.Value, a.id, t.state, mesos.REASON_AGENT_REREGISTERED, "Agent "+a.hostname+" re-registered")
						st.ExecutorID = &mesos.ExecutorID{Value: mt.execID}
						fw.send(s.log, updateEvent(st))
					}
				}
			}
		}
		a.resumeUpdates("")
	case agentRecovering:
		if !s.masterRecovering && !time.Now().Before(a.reregisterAt) {
			s.reregisterLocked(a)
		}
	case agentGone:
		s.log.Info("removed agent came back; shutting it down and registering it as a new agent", "old_agent_id", a.id, "hostname", a.hostname)
		a.reset()
		s.agentCounter++
		a.id = fmt.Sprintf("%s-S%d", s.masterID, s.agentCounter)
		a.mstate = agentRegistered
	}
	s.allocateLocked()
}

// reregisterLocked is an agent the master forgot in a failover re-registering: the master learns
// its tasks again (it sends no status update for them: the framework must reconcile), and the
// agent re-sends its unacknowledged status updates.
func (s *Sim) reregisterLocked(a *agent) {
	s.log.Info("agent re-registered after the master failover", "agent_id", a.id, "hostname", a.hostname)
	a.mstate = agentRegistered
	a.reregisterAt = time.Time{}
	for fwID := range a.frameworks {
		if s.removedFrameworks[fwID] {
			a.shutdownFramework(fwID)
		}
	}
	for _, t := range a.sortedTasks() {
		fw := s.frameworks[t.fwID]
		if fw == nil || isTerminal(t.state) {
			continue
		}
		fw.tasks[t.info.TaskID.Value] = &mtask{info: t.info, agentID: a.id, execID: t.execID, state: t.state, healthy: t.healthy}
	}
	a.resumeUpdates("")
	s.allocateLocked()
}

// The master injects the offers' allocation_info into the resources of accepted operations that
// leave it out (Master::accept, protobuf::injectAllocationInfo); a resource that names another
// role is not part of what was offered, so the operation fails like any resource not offered:
// a task gets TASK_ERROR ("more than available"), a RESERVE/UNRESERVE/CREATE/DESTROY is dropped
// (OPERATION_ERROR when it has an id). RESERVE also needs the allocation role to be the
// reservation role (validation::operation::validate(Reserve)), checked by the caller.

// allocationMismatch names the first resource whose allocation_info names a role other than
// role ("" when there is none).
func allocationMismatch(rs []mesos.Resource, role string) string {
	for _, r := range rs {
		if ai := r.GetAllocationInfo(); ai != nil && ai.Role != nil && ai.GetRole() != role {
			return fmt.Sprintf("resource %s is allocated to role '%s' but the offers are allocated to role '%s'", mesos.Resources{r}, ai.GetRole(), role)
		}
	}
	return ""
}

// taskAllocationMismatch is allocationMismatch over a task's and its executor's resources,
// worded as the master words resources not contained in the offers.
func taskAllocationMismatch(t mesos.TaskInfo, group *mesos.ExecutorInfo, role string, pool mesos.Resources) string {
	rs := append([]mesos.Resource(nil), t.Resources...)
	if t.Executor != nil {
		rs = append(rs, t.Executor.Resources...)
	}
	if group != nil {
		rs = append(rs, group.Resources...)
	}
	if msg := allocationMismatch(rs, role); msg != "" {
		return fmt.Sprintf("Total resources %s required by task and its executor is more than available %s (%s)", mesos.Resources(rs), pool, msg)
	}
	return ""
}

// rawOpResources are an operation's resources as the framework sent them.
func rawOpResources(op *mesos.Offer_Operation) []mesos.Resource {
	switch op.Type {
	case mesos.Offer_Operation_RESERVE:
		return op.GetReserve().GetResources()
	case mesos.Offer_Operation_UNRESERVE:
		return op.GetUnreserve().GetResources()
	case mesos.Offer_Operation_CREATE:
		return op.GetCreate().GetVolumes()
	case mesos.Offer_Operation_DESTROY:
		return op.GetDestroy().GetVolumes()
	}
	return nil
}
